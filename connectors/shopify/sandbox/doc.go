// Package sandbox is a stateful fake Shopify shop that speaks the GraphQL
// Admin API on the paths the Crossdock Shopify connector uses, for tests and
// the demo.
//
// It promises what a real client could observe on those paths:
//
//   - POST /admin/api/{version}/graphql.json executed by a real GraphQL engine
//     (graph-gophers/graphql-go) over a schema subset with Shopify's type,
//     field, argument and enum names; unknown fields fail validation.
//   - X-Shopify-Access-Token auth with Shopify's 401 body; the
//     client-credentials grant at POST /admin/oauth/access_token with expiring
//     tokens.
//   - Calculated query cost (object 1, connection 2 + first x node, mutation
//     10, scalars 0), a leaky bucket per plan, extensions.cost.throttleStatus
//     on every reply, the THROTTLED error (HTTP 200, no data) and
//     MAX_COST_EXCEEDED over 1000 points.
//   - Keyset cursor pagination (pageInfo, edges, nodes, cursor) that stays
//     valid while records change; Shopify's search syntax for updated_at, sku
//     and handle filters.
//   - userErrors for bad mutations, with Shopify's codes where it has them
//     (COMPARE_QUANTITY_STALE, ...).
//   - Signed webhooks (REST-shaped JSON bodies, X-Shopify-* headers) to a
//     configured URL on every state change, retried on failure.
//   - Seeded, repeatable data (Seed, DefaultSeed, SyntheticSeed) and a stream
//     of generated orders; injected faults (throttling, 5xx, slow replies,
//     dropped connections, malformed JSON, duplicate webhooks).
package sandbox
