package bus

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	sqlite3 "github.com/mattn/go-sqlite3"
)

// errTxBroken means the consuming transaction was lost under the subscriber
// (SQLite rolls a whole transaction back when, for example, a statement is
// interrupted by a cancelled context). Nothing more may run on it: the batch
// is abandoned, rolled back and redelivered.
var errTxBroken = errors.New("bus: consuming transaction was rolled back by the database; the batch will be redelivered")

// writeLock queues the bus's SQLite writers in this process. SQLite has one
// write lock per database file; waiting for it in SQLite's busy handler means
// sleeping and polling, which is unfair (a subscriber can starve for seconds
// while others keep winning) and slow. Goroutines blocked sending on a channel
// are woken in FIFO order, so the bus's transactions take turns instead. It
// is nil (no queueing) for PostgreSQL, which has row locks.
type writeLock chan struct{}

func newWriteLock() writeLock { return make(writeLock, 1) }

func (l writeLock) acquire(ctx context.Context) error {
	if l == nil {
		return nil
	}
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l writeLock) release() {
	if l != nil {
		<-l
	}
}

// beginner hands the watermill-sql subscriber (and publisher) transactions
// that take the write lock and that the bus can mark broken.
type beginner struct {
	db   *sql.DB
	lock writeLock
}

var _ wsql.Beginner = beginner{}

func (b beginner) BeginTx(ctx context.Context, opts *sql.TxOptions) (wsql.Tx, error) {
	if err := b.lock.acquire(ctx); err != nil {
		return nil, err
	}
	// The transaction runs on a connection of its own so that the bus can
	// ask the driver whether it is still inside the transaction (see alive).
	conn, err := b.db.Conn(ctx)
	if err != nil {
		b.lock.release()
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		conn.Close()
		b.lock.release()
		return nil, err
	}
	return &consumeTx{Tx: tx, conn: conn, lock: b.lock}, nil
}

// ExecContext runs one autocommit statement (schema creation, a publish
// outside any transaction). It does not queue for the write lock: schema
// creation runs while subscribing, possibly while another subscriber of the
// same caller holds the lock, and CREATE TABLE IF NOT EXISTS of an existing
// table needs no lock at all; SQLite's busy timeout covers the rest.
func (b beginner) ExecContext(ctx context.Context, query string, args ...any) (wsql.Result, error) {
	return b.db.ExecContext(ctx, query, args...)
}

func (b beginner) QueryContext(ctx context.Context, query string, args ...any) (wsql.Rows, error) {
	return b.db.QueryContext(ctx, query, args...)
}

// consumeTx is the transaction that consumes a batch. Once broken, it refuses
// every further statement and its Commit rolls back, so the subscriber can
// neither ack the batch nor commit half of it.
type consumeTx struct {
	*sql.Tx
	conn   *sql.Conn
	broken atomic.Bool
	lock   writeLock
	once   sync.Once
}

// alive reports whether the connection is still inside the transaction. A
// handler that ignored an error after SQLite rolled the transaction back
// (or ran ROLLBACK itself) leaves the connection in autocommit mode, where
// every further statement would commit on its own; alive catches that
// before the bus writes anything more. It marks the transaction broken.
func (t *consumeTx) alive() bool {
	if t.broken.Load() {
		return false
	}
	ok := true
	_ = t.conn.Raw(func(dc any) error {
		if c, isSQLite := dc.(*sqlite3.SQLiteConn); isSQLite && c.AutoCommit() {
			ok = false
		}
		return nil
	})
	if !ok {
		t.broken.Store(true)
	}
	return ok
}

func (t *consumeTx) done() {
	t.once.Do(func() {
		t.conn.Close()
		t.lock.release()
	})
}

var _ wsql.Tx = (*consumeTx)(nil)

func (t *consumeTx) ExecContext(ctx context.Context, query string, args ...any) (wsql.Result, error) {
	if t.broken.Load() {
		return nil, errTxBroken
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

func (t *consumeTx) QueryContext(ctx context.Context, query string, args ...any) (wsql.Rows, error) {
	if t.broken.Load() {
		return nil, errTxBroken
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

func (t *consumeTx) Commit() error {
	defer t.done()
	if t.broken.Load() {
		_ = t.Tx.Rollback()
		return errTxBroken
	}
	return t.Tx.Commit()
}

func (t *consumeTx) Rollback() error {
	defer t.done()
	return t.Tx.Rollback()
}
