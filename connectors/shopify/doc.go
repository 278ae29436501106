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
package shopify
