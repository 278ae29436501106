// Package auth guards the hub's HTTP API with bearer tokens and roles.
//
// Tokens are declared in the api section of hub.yaml (see Config): each has a
// name, a role and either the SHA-256 of the token or the token itself, usually
// as ${env:NAME}, hashed as soon as it is loaded. Middleware authenticates a
// request's "Authorization: Bearer <token>" and puts the Principal in the
// request context; Require admits only some roles.
//
// Roles:
//   - admin: everything.
//   - csr: reads everything and changes orders (customer-service staff).
//   - readonly: reads.
//
// Promises:
//   - Only hashes are kept in memory; a presented token is hashed and compared
//     with every declared hash in constant time, so neither the token nor which
//     entry matched leaks through timing.
//   - A missing or bad token gets 401 with "WWW-Authenticate: Bearer" and
//     {"error":{"code":"unauthorized","message":...}}; a known token with the
//     wrong role gets 403 {"error":{"code":"forbidden","message":...}}. Neither
//     response nor log line ever contains the token.
//   - Require fails closed: with no Principal in the context it answers 401.
package auth
