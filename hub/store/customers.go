package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
)

// Customers is the customers repository. A customer is keyed by email across
// channels.
type Customers struct{ Dialect Dialect }

// Upsert stores c by its lower-cased email: a new customer gets an id, a known
// one keeps its id and creation time and takes the non-empty fields of c (refs
// are merged). It returns the stored customer.
func (r Customers) Upsert(ctx context.Context, db DBTX, c canonical.Customer) (canonical.Customer, error) {
	c.Email = strings.ToLower(strings.TrimSpace(c.Email))
	if c.Email == "" {
		return c, errors.New("upsert customer: email is empty")
	}
	now := time.Now().UTC()
	old, version, oldDoc, err := r.getDoc(ctx, db, "email", c.Email)
	switch {
	case errors.Is(err, ErrNotFound):
		if c.ID == "" {
			c.ID = NewID()
		}
		c.CreatedAt = now
		var id string
		err := db.QueryRowContext(ctx, r.Dialect.Rebind(`INSERT INTO customers (id, email, doc, version, created_at, updated_at)
			VALUES (?,?,?,1,?,?) ON CONFLICT (email) DO NOTHING RETURNING id`), c.ID, c.Email, mustJSON(c), FormatTime(now), FormatTime(now)).Scan(&id)
		if err == nil {
			return c, nil // stored as given
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return c, fmt.Errorf("insert customer: %w", err)
		}
		// Someone stored the email first: return theirs.
		got, _, err := r.getBy(ctx, db, "email", c.Email)
		return got, err
	case err != nil:
		return c, err
	}
	merged := old
	if c.FirstName != "" {
		merged.FirstName = c.FirstName
	}
	if c.LastName != "" {
		merged.LastName = c.LastName
	}
	if c.Phone != "" {
		merged.Phone = c.Phone
	}
	if c.DefaultAddress != nil {
		merged.DefaultAddress = c.DefaultAddress
	}
	if len(c.Tags) > 0 {
		merged.Tags = c.Tags
	}
	for _, ref := range c.Refs {
		merged.Refs = merged.Refs.Set(ref.Connector, ref.ID)
	}
	doc := mustJSON(merged)
	if doc == oldDoc {
		return merged, nil // nothing new: no write
	}
	res, err := db.ExecContext(ctx, r.Dialect.Rebind(`UPDATE customers SET doc=?, version=version+1, updated_at=? WHERE id=? AND version=?`),
		doc, FormatTime(now), merged.ID, version)
	if err != nil {
		return c, fmt.Errorf("update customer %s: %w", merged.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return c, &ConflictError{Entity: "customer", ID: merged.ID, Expected: version}
	}
	return merged, nil
}

// Get returns a customer by id.
func (r Customers) Get(ctx context.Context, db DBTX, id string) (canonical.Customer, error) {
	c, _, err := r.getBy(ctx, db, "id", id)
	return c, err
}

// GetByEmail returns a customer by email (case-insensitive).
func (r Customers) GetByEmail(ctx context.Context, db DBTX, email string) (canonical.Customer, error) {
	c, _, err := r.getBy(ctx, db, "email", strings.ToLower(strings.TrimSpace(email)))
	return c, err
}

func (r Customers) getBy(ctx context.Context, db DBTX, col, val string) (canonical.Customer, int64, error) {
	c, version, _, err := r.getDoc(ctx, db, col, val)
	return c, version, err
}

// getDoc is getBy that also returns the stored document.
func (r Customers) getDoc(ctx context.Context, db DBTX, col, val string) (canonical.Customer, int64, string, error) {
	var c canonical.Customer
	var doc string
	var version int64
	err := db.QueryRowContext(ctx, r.Dialect.Rebind(`SELECT doc, version FROM customers WHERE `+col+`=?`), val).Scan(&doc, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return c, 0, "", &NotFoundError{Entity: "customer", ID: val}
	}
	if err != nil {
		return c, 0, "", fmt.Errorf("read customer %s: %w", val, err)
	}
	if err := json.Unmarshal([]byte(doc), &c); err != nil {
		return c, 0, "", fmt.Errorf("decode customer %s: %w", val, err)
	}
	return c, version, doc, nil
}
