// Package sandbox is the hello-connector's sandbox: a small HTTP API of
// contacts and stock levels that behaves like a real platform (bearer-token
// auth, cursor pagination, a rate limit it enforces with 429 and Retry-After,
// rate-limit headers, idempotency keys, signed webhooks), plus the conformance
// suite's view of it.
package sandbox
