// Package egress delivers commands to connectors. Every connector instance has
// a topic, "<instance>.out". A bus handler moves each command into an outbox
// table in the transaction that consumes it; a worker per instance then sends
// due commands to the connector's Write in batches, outside any transaction, so
// a slow or rate-limited platform never holds the database's write lock (on
// SQLite that lock is the whole database's). The outcome of each command:
//
//   - ok: marked done, and the result (with the external id) is published to
//     "<instance>.results" in the same transaction;
//   - retryable: tried again after exponential backoff, and never before the
//     platform's Retry-After, up to MaxAttempts;
//   - permanent, or out of attempts: marked failed and put in the dead-letter
//     queue with the connector's reason; `crossdock dlq replay` sends it again.
//
// Delivery is at least once, so the same command may reach a connector twice;
// each command carries an idempotency key that connectors pass to the platform
// or check before creating (DESIGN.md §3.1).
package egress
