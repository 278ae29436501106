// Package shopify is Crossdock's Shopify connector. It speaks the GraphQL
// Admin API (a dated version, 2025-01 by default), because REST is legacy
// for new apps, and it takes Shopify's webhooks as Shopify sends them (the
// REST-shaped JSON bodies).
//
// It promises:
//
//   - Reads are resumable from every cursor it emits, with nothing lost or
//     repeated: orders and products are incremental by updated_at (a
//     watermark plus the ids already seen at it, and the page cursor
//     mid-pass); inventory levels are a snapshot per pass.
//   - A webhook and a poll of the same entity version give the same
//     ExternalID (the GID) and Version (updated_at in Unix milliseconds).
//     Webhooks are verified (X-Shopify-Hmac-Sha256 over the raw body, in
//     constant time) and keyed by X-Shopify-Webhook-Id, so Shopify's
//     duplicate deliveries are one record.
//   - Writes are idempotent: check-before-create (fulfilment, cancellation,
//     product by handle) and compare-and-set for inventory
//     (inventorySetQuantities with compareQuantity, re-read and retried on a
//     stale compare).
//   - The cost budget is spent, not exceeded: requests are paced from
//     extensions.cost.throttleStatus, and a THROTTLED reply is retried after
//     the bucket's refill time.
//   - Money is exact: amounts are parsed with canonical.ParseMoney in the
//     shop currency; the presentment currency is kept beside them.
//
// Its sandbox sub-package is a stateful fake shop for tests and the demo.
//
// # Facts relied on
//
// From ../../shared/reference/commerce-apis.md §1 (confirmed there): the
// GraphQL endpoint and X-Shopify-Access-Token; the client-credentials grant;
// the webhook signature and headers; FulfillmentInput; InventorySetQuantities
// with compareQuantity; cost limits by plan (restore 100/200/1000 points/s);
// the throttled body (errors "Throttled", extensions.cost, no data).
//
// From shopify.dev and community threads found while building (not in the
// reference): THROTTLED is errors[].extensions.code with HTTP 200; a query may
// request at most 1000 points (MAX_COST_EXCEEDED); object 1 / connection 2 +
// first / mutation 10 / scalar 0; the 401 body "[API] Invalid API key or
// access token (unrecognized login or wrong password)".
//
// Assumed and marked where used: bucket sizes (20 s of restore: Standard
// 2000); Order.retailLocation for POS orders (2024-07+, replacing
// physicalLocation); productSet variants taking inventoryItem.sku;
// 250 quantities per inventorySetQuantities; REST webhook bodies carrying no
// delivery method, so a local-pickup order's store is read over GraphQL;
// REST products carrying no gift-card flag.
package shopify
