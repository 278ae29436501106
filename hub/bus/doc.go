// Package bus is Crossdock's durable message bus: Watermill over
// watermill-sql, on the hub's own database (one SQLite file by default,
// PostgreSQL for several replicas). New picks the adapters by the database's
// dialect: SQLiteSchema and SQLiteOffsetsAdapter (this package) for SQLite,
// watermill-sql's DefaultPostgreSQLSchema and DefaultPostgreSQLOffsetsAdapter
// for PostgreSQL.
//
// What it promises (DESIGN.md §3.1):
//
//   - Delivery is at-least-once, in order per topic and handler; every handler
//     is its own consumer group, so each sees every message of its topic.
//   - A Handler runs inside the SQL transaction that consumes its message. The
//     state it changes through that transaction and the messages it returns
//     (Out) commit together with the consumer's new offset, or not at all. A
//     failed attempt is rolled back to a savepoint, so neither its state nor its
//     outgoing messages survive, and the message is retried. (watermill-sql
//     resends a nacked message in the same transaction; the savepoint is what
//     makes a retry start clean.)
//   - A message that still fails after the retry policy (exponential backoff
//     with jitter; Permanent errors skip it) goes to the dead-letter table
//     through Watermill's poison-queue middleware, with the reason, the
//     pipeline, the step, the topic and the original message, in the same
//     transaction that acks it. Dead letters can be listed, shown, replayed
//     (at most once) and purged: see DeadLetters and `crossdock dlq`.
//   - A panicking handler is an error like any other; each attempt has a
//     timeout; the "correlation_id" metadata of a message is carried to every
//     message published while handling it (and set to the message's UUID at
//     ingress when missing).
//   - Metrics go to the prometheus.Registerer of Config, never to a global one.
//
// A handler is written like this:
//
//	b.Handle("orders-in", "orders.in", func(ctx context.Context, tx *sql.Tx, msg *message.Message) ([]bus.Out, error) {
//		// change state through tx, idempotently (msg may come twice)
//		return []bus.Out{{Topic: "orders.routed", Msg: next}}, nil
//	}, bus.WithPipeline("orders"), bus.WithStep("route"))
//
// # SQLite
//
// SQLite has no SELECT ... FOR UPDATE. The SQLite adapters rely instead on
// store.Open's immediate transactions, which take the database's single write
// lock at BEGIN: a consuming transaction reads its offset, hands the batch to
// the handler and stores the new offset while no one else can write. Within
// the process the bus queues its own transactions for that lock in FIFO order
// (see writeLock) instead of leaving them to SQLite's sleeping busy handler.
//
// Two consequences for handler authors: a handler must write only through the
// transaction it is given (a write on another connection waits for the lock
// the handler itself holds, until the busy timeout), and it must not call
// Publish (which opens a transaction of its own) — use the returned Outs or
// PublishTx with the handler's tx. Also, a handler that cancels a running
// statement (its context expiring mid-write) makes SQLite roll the whole
// transaction back; the bus notices, abandons the batch and it is redelivered.
package bus
