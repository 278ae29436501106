package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
)

// Allocations stores routing's allocations of order lines to locations.
type Allocations struct{ Dialect Dialect }

// Put inserts or replaces an allocation (by ID; a new id is made when empty).
func (r Allocations) Put(ctx context.Context, db DBTX, a canonical.Allocation) (canonical.Allocation, error) {
	if a.ID == "" {
		a.ID = NewID()
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = time.Now().UTC()
	}
	now := FormatTime(time.Now())
	_, err := db.ExecContext(ctx, r.Dialect.Rebind(`INSERT INTO allocations (id, order_id, location_id, status, doc, version, created_at, updated_at)
		VALUES (?,?,?,?,?,1,?,?) ON CONFLICT (id) DO UPDATE SET location_id=excluded.location_id, status=excluded.status,
		doc=excluded.doc, version=allocations.version+1, updated_at=excluded.updated_at`),
		a.ID, a.OrderID, a.LocationID, a.Status, mustJSON(a), FormatTime(a.CreatedAt), now)
	if err != nil {
		return a, fmt.Errorf("put allocation %s: %w", a.ID, err)
	}
	return a, nil
}

// ByOrder lists an order's allocations, oldest first.
func (r Allocations) ByOrder(ctx context.Context, db DBTX, orderID string) ([]canonical.Allocation, error) {
	var out []canonical.Allocation
	err := listDocs(ctx, db, r.Dialect.Rebind(`SELECT doc FROM allocations WHERE order_id=? ORDER BY created_at, id`), orderID, func(doc []byte) error {
		var a canonical.Allocation
		if err := json.Unmarshal(doc, &a); err != nil {
			return err
		}
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("allocations of order %s: %w", orderID, err)
	}
	return out, nil
}

// Shipments stores shipments of orders.
type Shipments struct{ Dialect Dialect }

// Put inserts or replaces a shipment (by ID; a new id is made when empty).
func (r Shipments) Put(ctx context.Context, db DBTX, s canonical.Shipment) (canonical.Shipment, error) {
	if s.ID == "" {
		s.ID = NewID()
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = time.Now().UTC()
	}
	now := FormatTime(time.Now())
	_, err := db.ExecContext(ctx, r.Dialect.Rebind(`INSERT INTO shipments (id, order_id, location_id, status, doc, version, created_at, updated_at)
		VALUES (?,?,?,?,?,1,?,?) ON CONFLICT (id) DO UPDATE SET location_id=excluded.location_id, status=excluded.status,
		doc=excluded.doc, version=shipments.version+1, updated_at=excluded.updated_at`),
		s.ID, s.OrderID, s.LocationID, string(s.Status), mustJSON(s), FormatTime(s.CreatedAt), now)
	if err != nil {
		return s, fmt.Errorf("put shipment %s: %w", s.ID, err)
	}
	return s, nil
}

// ByOrder lists an order's shipments, oldest first.
func (r Shipments) ByOrder(ctx context.Context, db DBTX, orderID string) ([]canonical.Shipment, error) {
	var out []canonical.Shipment
	err := listDocs(ctx, db, r.Dialect.Rebind(`SELECT doc FROM shipments WHERE order_id=? ORDER BY created_at, id`), orderID, func(doc []byte) error {
		var s canonical.Shipment
		if err := json.Unmarshal(doc, &s); err != nil {
			return err
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("shipments of order %s: %w", orderID, err)
	}
	return out, nil
}

func listDocs(ctx context.Context, db DBTX, query, arg string, each func([]byte) error) error {
	rs, err := db.QueryContext(ctx, query, arg)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var doc string
		if err := rs.Scan(&doc); err != nil {
			return err
		}
		if err := each([]byte(doc)); err != nil {
			return err
		}
	}
	return rs.Err()
}
