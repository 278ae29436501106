// Package audit keeps Crossdock's audit trail: an append-only, hash-chained log
// of every change made through the API, every config load and every refused
// webhook — who (actor), what (action, subject, before and after), when, and
// from where.
//
// Each Entry carries the SHA-256 of the entry before it (PrevHash) and its own
// Hash, computed over a canonical encoding of all its fields including
// PrevHash, so changing, removing or reordering any stored entry breaks the
// chain. Verify recomputes the chain and reports the first broken link;
// `crossdock audit verify` runs it.
//
// Promises:
//   - Append runs inside the caller's transaction: the entry commits or rolls
//     back with the change it records. Appends serialise on the chain head row
//     (a row lock on PostgreSQL, the database write lock on SQLite), so the
//     chain never forks, whatever the number of writers or hub replicas.
//   - No card data and no secrets are stored: Before and After are scrubbed
//     before hashing. Values of keys named like token, secret, password,
//     authorization, api key, credential or card become "[REDACTED]", and any
//     string that canonical.CheckNoCardData flags has its card-like digits
//     replaced by "[REDACTED]" (the whole string when that is not enough).
//   - Entries are never updated or deleted by this package.
//
// Conventions for callers: Actor is "token:NAME" (auth.Principal.Actor),
// "connector:NAME" or "system"; Action is "noun.verb" ("order.cancel",
// "config.load", "webhook.refused"); Subject is "kind:id" ("order:1001").
package audit
