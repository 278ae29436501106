// Package bus is Crossdock's durable message bus: Watermill over
// watermill-sql, on the hub's own database (one SQLite file by default,
// PostgreSQL for several replicas).
//
// What it promises (DESIGN.md §3.1):
//
//   - Delivery is at-least-once, in order per topic and consumer group; every
//     handler is its own consumer group, so each sees every message of its topic.
//   - A Handler runs inside the SQL transaction that consumes its message. The
//     state it changes through that transaction and the messages it returns
//     (Out) commit together with the consumer's new offset, or not at all: a
//     failed attempt is rolled back to a savepoint, so neither its state nor its
//     outgoing messages survive, and the message is retried.
//   - A message that still fails after the retry policy (exponential backoff
//     with jitter) goes to the dead-letter table with the reason, the pipeline,
//     the step and the original message, in the same transaction that acks it.
//     Dead letters can be listed, shown, replayed (once) and purged.
//   - A panicking handler is an error like any other; a handler attempt has a
//     timeout; the "correlation_id" metadata of a message is carried to every
//     message published while handling it.
//
// SQLite has no SELECT ... FOR UPDATE; the SQLite adapters (SQLiteSchema,
// SQLiteOffsetsAdapter) rely on store.Open's immediate transactions instead,
// which serialise writers. A handler must therefore write only through the
// transaction it is given: a write on another connection would wait for the
// lock the handler itself holds.
package bus
