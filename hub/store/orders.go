package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
)

// OrderRow is an order as stored: the canonical document and its bookkeeping.
type OrderRow struct {
	// Order is the canonical order document.
	Order canonical.Order
	// CustomerID is the hub's customer the order belongs to ("" for guests).
	CustomerID string
	// SourceVersion is the channel's version of the document (Record.Version);
	// only a larger one may replace it.
	SourceVersion int64
	// Version is the row version for optimistic concurrency; 1 after insert.
	Version int64
	// CreatedAt is when the hub first stored the order.
	CreatedAt time.Time
	// UpdatedAt is when the hub last changed the row.
	UpdatedAt time.Time

	// refsKey is the external refs known stored for this row (set by reads
	// and writes), so an update that did not change them skips rewriting them.
	refsKey string
}

// HistoryEntry is one change of an order.
type HistoryEntry struct {
	// ID is the entry's id.
	ID string `json:"id"`
	// OrderID is the order changed.
	OrderID string `json:"order_id"`
	// Seq orders the entries of one order.
	Seq int64 `json:"seq"`
	// At is when the change was made.
	At time.Time `json:"at"`
	// Actor is who made it: a connector instance, "hub", or "api:<token name>".
	Actor string `json:"actor"`
	// Action names the change, e.g. "created", "status", "cancel_line", "note".
	Action string `json:"action"`
	// FromStatus and ToStatus are set when the status changed.
	FromStatus string `json:"from_status,omitempty"`
	ToStatus   string `json:"to_status,omitempty"`
	// Detail is what changed, as JSON.
	Detail json.RawMessage `json:"detail,omitempty"`
}

// OrderQuery filters an order search. Zero fields do not filter.
type OrderQuery struct {
	Channel       string
	Status        string
	CustomerEmail string
	CustomerID    string
	ExternalID    string
	PlacedFrom    time.Time // inclusive
	PlacedTo      time.Time // exclusive
	// Limit is the page size; 0 means 50, at most 500.
	Limit int
	// Cursor is the opaque cursor of the previous page's end ("" for the first page).
	Cursor string
}

// ErrBadCursor is returned for a cursor this store did not make.
var ErrBadCursor = errors.New("store: malformed cursor")

type orderCursor struct {
	P string `json:"p"`
	I string `json:"i"`
}

// Orders is the orders repository: orders, their external refs and history.
type Orders struct{ Dialect Dialect }

const orderCols = `id, doc, customer_id, source_version, version, created_at, updated_at`

// Insert stores a new order with version 1. The (channel, external_id) pair is
// unique: inserting it twice fails.
func (r Orders) Insert(ctx context.Context, db DBTX, row *OrderRow) error {
	return r.InsertAs(ctx, db, row, 1)
}

// InsertAs is Insert for a new order whose first changes were made in the
// same transaction before it was written: the row is stored once, at version
// (at least 1), and the history entries describing those changes are appended
// in the same round trip (see AppendHistory).
func (r Orders) InsertAs(ctx context.Context, db DBTX, row *OrderRow, version int64, history ...HistoryEntry) error {
	now := time.Now()
	if row.CreatedAt.IsZero() {
		row.CreatedAt = now
	}
	row.UpdatedAt = now
	row.Version = max(version, 1)
	o := &row.Order
	_, err := db.ExecContext(ctx, r.Dialect.Rebind(`INSERT INTO orders
		(id, channel, external_id, number, status, customer_id, customer_email, placed_at, source_version, doc, version, created_at, updated_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`),
		o.ID, o.Channel, o.ExternalID, o.Number, string(o.Status), row.CustomerID, customerEmail(o), FormatTime(o.PlacedAt),
		row.SourceVersion, mustJSON(o), row.Version, FormatTime(row.CreatedAt), FormatTime(row.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert order %s/%s: %w", o.Channel, o.ExternalID, err)
	}
	if err := r.putRefs(ctx, db, row); err != nil {
		return err
	}
	return r.AppendHistories(ctx, db, history...)
}

// Update writes row if its Version is still the stored one, then increments
// Version. A stale write fails with a *ConflictError (errors.Is ErrConflict).
func (r Orders) Update(ctx context.Context, db DBTX, row *OrderRow) error {
	row.UpdatedAt = time.Now()
	o := &row.Order
	res, err := db.ExecContext(ctx, r.Dialect.Rebind(`UPDATE orders SET number=?, status=?, customer_id=?, customer_email=?, placed_at=?,
		source_version=?, doc=?, version=version+1, updated_at=? WHERE id=? AND version=?`),
		o.Number, string(o.Status), row.CustomerID, customerEmail(o), FormatTime(o.PlacedAt), row.SourceVersion, mustJSON(o),
		FormatTime(row.UpdatedAt), o.ID, row.Version)
	if err != nil {
		return fmt.Errorf("update order %s: %w", o.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &ConflictError{Entity: "order", ID: o.ID, Expected: row.Version}
	}
	row.Version++
	return r.putRefs(ctx, db, row)
}

// refsKeyOf names the external refs an order has (its channel id first).
func refsKeyOf(o *canonical.Order) string {
	var b strings.Builder
	b.WriteString(o.Channel)
	b.WriteByte(0)
	b.WriteString(o.ExternalID)
	for _, ref := range o.Refs {
		b.WriteByte(0)
		b.WriteString(ref.Connector)
		b.WriteByte(0)
		b.WriteString(ref.ID)
	}
	return b.String()
}

// putRefs stores the order's external refs (one statement), unless the row
// is known to have stored exactly these already.
func (r Orders) putRefs(ctx context.Context, db DBTX, row *OrderRow) error {
	o := &row.Order
	key := refsKeyOf(o)
	if key == row.refsKey {
		return nil
	}
	refs := append(canonical.Refs{{Connector: o.Channel, ID: o.ExternalID}}, o.Refs...)
	var vals []string
	var args []any
	for _, ref := range refs {
		if ref.Connector == "" || ref.ID == "" {
			continue
		}
		vals = append(vals, "(?,?,?)")
		args = append(args, ref.Connector, ref.ID, o.ID)
	}
	if len(vals) > 0 {
		_, err := db.ExecContext(ctx, r.Dialect.Rebind(`INSERT INTO order_refs (connector, external_id, order_id) VALUES `+strings.Join(vals, ",")+`
			ON CONFLICT (connector, external_id) DO NOTHING`), args...)
		if err != nil {
			return fmt.Errorf("store order %s refs: %w", o.ID, err)
		}
	}
	row.refsKey = key
	return nil
}

func customerEmail(o *canonical.Order) string {
	if o.Customer == nil {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(o.Customer.Email))
}

// Get returns one order by the hub's id; a *NotFoundError if there is none.
func (r Orders) Get(ctx context.Context, db DBTX, id string) (OrderRow, error) {
	row := db.QueryRowContext(ctx, r.Dialect.Rebind(`SELECT `+orderCols+` FROM orders WHERE id=?`), id)
	o, err := scanOrder(row)
	if errors.Is(err, sql.ErrNoRows) {
		return OrderRow{}, &NotFoundError{Entity: "order", ID: id}
	}
	return o, err
}

// GetByExternal finds an order by a connector instance and the id it has there:
// its channel id or any external ref recorded for it.
func (r Orders) GetByExternal(ctx context.Context, db DBTX, connector, externalID string) (OrderRow, error) {
	row := db.QueryRowContext(ctx, r.Dialect.Rebind(`SELECT o.id, o.doc, o.customer_id, o.source_version, o.version, o.created_at, o.updated_at
		FROM order_refs f JOIN orders o ON o.id = f.order_id WHERE f.connector=? AND f.external_id=?`), connector, externalID)
	o, err := scanOrder(row)
	if errors.Is(err, sql.ErrNoRows) {
		return OrderRow{}, &NotFoundError{Entity: "order", ID: connector + "/" + externalID}
	}
	if err != nil {
		return OrderRow{}, fmt.Errorf("find order %s/%s: %w", connector, externalID, err)
	}
	return o, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanOrder(s scanner) (OrderRow, error) {
	var (
		row                  OrderRow
		id, doc, ca, ua, cid string
	)
	if err := s.Scan(&id, &doc, &cid, &row.SourceVersion, &row.Version, &ca, &ua); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return row, err
		}
		return row, fmt.Errorf("read order: %w", err)
	}
	if err := json.Unmarshal([]byte(doc), &row.Order); err != nil {
		return row, fmt.Errorf("decode order %s: %w", id, err)
	}
	row.CustomerID = cid
	row.CreatedAt, _ = ParseTime(ca)
	row.UpdatedAt, _ = ParseTime(ua)
	row.refsKey = refsKeyOf(&row.Order)
	return row, nil
}

// Search lists orders matching q, newest placed first (ties by id), one page at
// a time. next is the cursor of the following page, "" after the last one.
func (r Orders) Search(ctx context.Context, db DBTX, q OrderQuery) (rows []OrderRow, next string, err error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	if limit > 500 {
		limit = 500
	}
	var where []string
	var args []any
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if q.Channel != "" {
		add("channel = ?", q.Channel)
	}
	if q.Status != "" {
		add("status = ?", q.Status)
	}
	if q.CustomerEmail != "" {
		add("customer_email = ?", strings.ToLower(strings.TrimSpace(q.CustomerEmail)))
	}
	if q.CustomerID != "" {
		add("customer_id = ?", q.CustomerID)
	}
	if q.ExternalID != "" {
		add("(external_id = ? OR id IN (SELECT order_id FROM order_refs WHERE external_id = ?))", q.ExternalID, q.ExternalID)
	}
	if !q.PlacedFrom.IsZero() {
		add("placed_at >= ?", FormatTime(q.PlacedFrom))
	}
	if !q.PlacedTo.IsZero() {
		add("placed_at < ?", FormatTime(q.PlacedTo))
	}
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return nil, "", err
		}
		add("(placed_at < ? OR (placed_at = ? AND id < ?))", c.P, c.P, c.I)
	}
	query := `SELECT ` + orderCols + `, placed_at FROM orders`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += fmt.Sprintf(" ORDER BY placed_at DESC, id DESC LIMIT %d", limit+1)
	rs, err := db.QueryContext(ctx, r.Dialect.Rebind(query), args...)
	if err != nil {
		return nil, "", fmt.Errorf("search orders: %w", err)
	}
	defer rs.Close()
	var lastPlaced []string
	for rs.Next() {
		var placed string
		var row OrderRow
		var id, doc, ca, ua, cid string
		if err := rs.Scan(&id, &doc, &cid, &row.SourceVersion, &row.Version, &ca, &ua, &placed); err != nil {
			return nil, "", fmt.Errorf("search orders: %w", err)
		}
		if err := json.Unmarshal([]byte(doc), &row.Order); err != nil {
			return nil, "", fmt.Errorf("decode order %s: %w", id, err)
		}
		row.CustomerID = cid
		row.CreatedAt, _ = ParseTime(ca)
		row.UpdatedAt, _ = ParseTime(ua)
		rows = append(rows, row)
		lastPlaced = append(lastPlaced, placed)
	}
	if err := rs.Err(); err != nil {
		return nil, "", fmt.Errorf("search orders: %w", err)
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = encodeCursor(orderCursor{P: lastPlaced[limit-1], I: last.Order.ID})
	}
	return rows, next, nil
}

func encodeCursor(c orderCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(mustJSON(c)))
}

func decodeCursor(s string) (orderCursor, error) {
	var c orderCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.P == "" || c.I == "" {
		return c, ErrBadCursor
	}
	if _, err := ParseTime(c.P); err != nil {
		return c, ErrBadCursor
	}
	return c, nil
}

// AppendHistory records one change of an order.
func (r Orders) AppendHistory(ctx context.Context, db DBTX, e HistoryEntry) error {
	return r.AppendHistories(ctx, db, e)
}

// AppendHistories records changes of orders, in one statement (none: nothing
// to do). An entry without ID or At gets a new id and the current time.
func (r Orders) AppendHistories(ctx context.Context, db DBTX, entries ...HistoryEntry) error {
	if len(entries) == 0 {
		return nil
	}
	args := make([]any, 0, 9*len(entries))
	for _, e := range entries {
		if e.ID == "" {
			e.ID = NewID()
		}
		if e.At.IsZero() {
			e.At = time.Now()
		}
		detail := string(e.Detail)
		if detail == "" {
			detail = "{}"
		}
		args = append(args, e.ID, e.OrderID, e.Seq, FormatTime(e.At), e.Actor, e.Action, e.FromStatus, e.ToStatus, detail)
	}
	q := `INSERT INTO order_history (id, order_id, seq, at, actor, action, from_status, to_status, detail) VALUES (?,?,?,?,?,?,?,?,?)` +
		strings.Repeat(",(?,?,?,?,?,?,?,?,?)", len(entries)-1)
	if _, err := db.ExecContext(ctx, r.Dialect.Rebind(q), args...); err != nil {
		return fmt.Errorf("append order %s history: %w", entries[0].OrderID, err)
	}
	return nil
}

// History returns an order's changes, oldest first.
func (r Orders) History(ctx context.Context, db DBTX, orderID string) ([]HistoryEntry, error) {
	rs, err := db.QueryContext(ctx, r.Dialect.Rebind(`SELECT id, order_id, seq, at, actor, action, from_status, to_status, detail
		FROM order_history WHERE order_id=? ORDER BY seq, at, id`), orderID)
	if err != nil {
		return nil, fmt.Errorf("order %s history: %w", orderID, err)
	}
	defer rs.Close()
	var out []HistoryEntry
	for rs.Next() {
		var e HistoryEntry
		var at, detail string
		if err := rs.Scan(&e.ID, &e.OrderID, &e.Seq, &at, &e.Actor, &e.Action, &e.FromStatus, &e.ToStatus, &detail); err != nil {
			return nil, fmt.Errorf("order %s history: %w", orderID, err)
		}
		e.At, _ = ParseTime(at)
		e.Detail = json.RawMessage(detail)
		out = append(out, e)
	}
	return out, rs.Err()
}
