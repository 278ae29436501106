package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/crossdockhq/crossdock/hub/store"
)

// Log is the audit log of one hub database. It is safe for concurrent use.
type Log struct {
	db  *store.DB
	now func() time.Time
}

// New returns the audit log kept in db, whose schema db.Migrate creates.
func New(db *store.DB) *Log {
	return &Log{db: db, now: time.Now}
}

// txBeginner is a DBTX that is not itself a transaction (*sql.DB, *store.DB,
// *sql.Conn): Append opens its own transaction on one.
type txBeginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// Append adds e to the chain inside tx, the caller's transaction, so the entry
// commits or rolls back with the change it records. It sets the entry's ID,
// PrevHash and Hash (the caller's copy is not changed), At when zero, and
// scrubs Before and After. Passed a database rather than a transaction, it
// runs in a transaction of its own.
//
// Invariant (chain never forks): the chain head row is updated first, so a
// second appender waits for this transaction (row lock on PostgreSQL, write
// lock on SQLite) and then reads the head this one leaves. Under PostgreSQL's
// REPEATABLE READ or SERIALIZABLE isolation a concurrent append makes the later
// transaction fail with a serialization error, to be retried like any other;
// the default READ COMMITTED simply waits.
func (l *Log) Append(ctx context.Context, tx store.DBTX, e Entry) error {
	if b, ok := tx.(txBeginner); ok {
		own, err := b.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("audit append: %w", err)
		}
		defer own.Rollback() //nolint:errcheck // no-op after Commit
		if err := l.append(ctx, own, e); err != nil {
			return err
		}
		if err := own.Commit(); err != nil {
			return fmt.Errorf("audit append: commit: %w", err)
		}
		return nil
	}
	return l.append(ctx, tx, e)
}

func (l *Log) append(ctx context.Context, tx store.DBTX, e Entry) error {
	r, err := l.prepare(e)
	if err != nil {
		return err
	}
	q := l.db.Dialect.Rebind
	res, err := tx.ExecContext(ctx, q(`UPDATE audit_chain_head SET last_id = last_id + 1 WHERE id = 1`))
	if err != nil {
		return fmt.Errorf("audit append: lock chain head: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n != 1 {
		return errors.New("audit append: the chain head row is missing (was the database migrated?)")
	}
	if err := tx.QueryRowContext(ctx, q(`SELECT last_id, last_hash FROM audit_chain_head WHERE id = 1`)).Scan(&r.id, &r.prevHash); err != nil {
		return fmt.Errorf("audit append: read chain head: %w", err)
	}
	r.hash = r.computeHash()
	if _, err := tx.ExecContext(ctx, q(`INSERT INTO audit_log
		(id, at, actor, action, subject, before_json, after_json, remote_addr, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		r.id, r.at, r.actor, r.action, r.subject, nullable(r.before), nullable(r.after),
		r.remoteAddr, r.prevHash, r.hash); err != nil {
		return fmt.Errorf("audit append: insert entry %d: %w", r.id, err)
	}
	if _, err := tx.ExecContext(ctx, q(`UPDATE audit_chain_head SET last_hash = ? WHERE id = 1`), r.hash); err != nil {
		return fmt.Errorf("audit append: update chain head: %w", err)
	}
	return nil
}

// prepare validates e and turns it into the stored text, scrubbed.
func (l *Log) prepare(e Entry) (row, error) {
	r := row{
		actor:      strings.TrimSpace(e.Actor),
		action:     strings.TrimSpace(e.Action),
		subject:    strings.TrimSpace(e.Subject),
		remoteAddr: strings.TrimSpace(e.RemoteAddr),
	}
	if r.actor == "" {
		return row{}, errors.New("audit append: entry has no actor")
	}
	if r.action == "" {
		return row{}, errors.New("audit append: entry has no action")
	}
	// Identifying fields keep their ids but never card data.
	r.actor = scrubString(r.actor, "actor")
	r.action = scrubString(r.action, "action")
	r.subject = scrubString(r.subject, "id")
	r.remoteAddr = scrubString(r.remoteAddr, "remote_addr")
	at := e.At
	if at.IsZero() {
		at = l.now()
	}
	r.at = at.UTC().Format(timeLayout)
	var err error
	if r.before, err = encodeState(e.Before); err != nil {
		return row{}, fmt.Errorf("audit append: before: %w", err)
	}
	if r.after, err = encodeState(e.After); err != nil {
		return row{}, fmt.Errorf("audit append: after: %w", err)
	}
	return r, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const selectColumns = `SELECT id, at, actor, action, subject, before_json, after_json, remote_addr, prev_hash, hash FROM audit_log`

func scanRow(rows *sql.Rows) (row, error) {
	var r row
	var before, after sql.NullString
	err := rows.Scan(&r.id, &r.at, &r.actor, &r.action, &r.subject, &before, &after, &r.remoteAddr, &r.prevHash, &r.hash)
	r.before, r.after = before.String, after.String
	return r, err
}

// List returns the entries f selects, oldest first unless f.Newest.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.Subject != "" {
		add("subject = ?", f.Subject)
	}
	if !f.Since.IsZero() {
		add("at >= ?", f.Since.UTC().Format(timeLayout))
	}
	if !f.Until.IsZero() {
		add("at < ?", f.Until.UTC().Format(timeLayout))
	}
	if f.AfterID > 0 {
		add("id > ?", f.AfterID)
	}
	if f.BeforeID > 0 {
		add("id < ?", f.BeforeID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	q := selectColumns
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Newest {
		q += " ORDER BY id DESC"
	} else {
		q += " ORDER BY id"
	}
	q += " LIMIT ?"
	args = append(args, limit)
	rows, err := l.db.QueryContext(ctx, l.db.Dialect.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("audit list: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, fmt.Errorf("audit list: %w", err)
		}
		out = append(out, r.entry())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit list: %w", err)
	}
	return out, nil
}
