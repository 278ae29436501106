// Package api is the hub's HTTP API under /api/v1: orders (search with cursor
// pagination, one order with everything the hub knows about it, and the
// customer-service changes allowed before fulfilment), inventory per SKU (per
// location, network and per channel, and "near me"), customers and locations.
// Its OpenAPI 3 document is served at /api/v1/openapi.json.
//
// Promises:
//   - Every request but the OpenAPI document needs a bearer token (hub/auth):
//     401 without a valid one, 403 when the token's role may not do it. Reads
//     are open to every role; order changes need csr or admin.
//   - Every change runs in one transaction with its audit entry (hub/audit) and
//     the commands it causes (published through Publisher), so a change is
//     never without its audit record or its messages, nor they without it.
//   - Errors are {"error":{"code","message","field"}} with the right status;
//     never a stack trace, never a secret. Unexpected errors are logged with
//     the request id and answered 500 "internal".
//   - Writes honour If-Match: <version> (from the order's ETag); a stale one
//     is 409 conflict.
//   - The OpenAPI document lists exactly the routes served (a test checks).
package api
