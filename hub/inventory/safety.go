package inventory

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/crossdockhq/crossdock/hub/store"
)

// effectiveSafety is the safety stock of a SKU at a location: the quantity set
// directly if any, else the last matching rule's, else 0.
func (s *Service) effectiveSafety(ctx context.Context, db store.DBTX, sku, loc string) (int64, error) {
	var q int64
	err := db.QueryRowContext(ctx, s.q(`SELECT quantity FROM safety_stock WHERE sku = ? AND location_id = ?`), sku, loc).Scan(&q)
	if err == nil {
		return q, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("safety stock %s at %s: %w", sku, loc, err)
	}
	if len(s.cfg.SafetyStock) == 0 {
		return 0, nil
	}
	tags, err := s.Tags(ctx, db, sku)
	if err != nil {
		return 0, err
	}
	var groupsSet string
	err = db.QueryRowContext(ctx, s.q(`SELECT groups FROM locations WHERE id = ?`), loc).Scan(&groupsSet)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("safety stock %s at %s: %w", sku, loc, err)
	}
	return RuleSafety(s.cfg.SafetyStock, sku, tags, loc, store.SplitSet(groupsSet)), nil
}

// RuleSafety is the safety stock the rules give a SKU (with its tags) at a
// location (with its groups): the last matching rule's quantity, or 0.
func RuleSafety(rules []SafetyRule, sku string, tags []string, loc string, groups []string) int64 {
	var q int64
	for _, r := range rules {
		if len(r.SKUs) > 0 && !contains(r.SKUs, sku) {
			continue
		}
		if len(r.Locations) > 0 && !contains(r.Locations, loc) {
			continue
		}
		if len(r.Groups) > 0 && !intersects(r.Groups, groups) {
			continue
		}
		if len(r.Tags) > 0 && !intersects(r.Tags, tags) {
			continue
		}
		q = r.Quantity
	}
	return q
}

// Tags returns a SKU's product tags.
func (s *Service) Tags(ctx context.Context, db store.DBTX, sku string) ([]string, error) {
	var raw string
	err := db.QueryRowContext(ctx, s.q(`SELECT tags FROM inventory_skus WHERE sku = ?`), sku).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tags of %s: %w", sku, err)
	}
	var tags []string
	if err := json.Unmarshal([]byte(raw), &tags); err != nil {
		return nil, fmt.Errorf("tags of %s: %w", sku, err)
	}
	return tags, nil
}

// SetTags sets a SKU's product tags (for safety-stock rules) and recomputes
// its safety stock everywhere.
func (s *Service) SetTags(ctx context.Context, tx store.DBTX, sku string, tags []string) ([]Command, error) {
	if tags == nil {
		tags = []string{}
	}
	if err := s.ensureSKU(ctx, tx, sku); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE inventory_skus SET tags = ? WHERE sku = ?`), mustJSON(tags), sku); err != nil {
		return nil, fmt.Errorf("set tags of %s: %w", sku, err)
	}
	return s.refreshSafety(ctx, tx, sku)
}

// SetSafetyStock sets a SKU's safety stock at a location directly; it wins
// over rules until cleared.
func (s *Service) SetSafetyStock(ctx context.Context, tx store.DBTX, sku, loc string, qty int64) ([]Command, error) {
	if sku == "" || loc == "" || qty < 0 {
		return nil, invalid("safety stock needs a sku, a location and a non-negative quantity")
	}
	if err := s.ensureLevel(ctx, tx, sku, loc); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO safety_stock (sku, location_id, quantity, updated_at) VALUES (?,?,?,?)
		ON CONFLICT (sku, location_id) DO UPDATE SET quantity = excluded.quantity, updated_at = excluded.updated_at`),
		sku, loc, qty, store.FormatTime(s.now())); err != nil {
		return nil, fmt.Errorf("set safety stock %s at %s: %w", sku, loc, err)
	}
	return s.refreshSafety(ctx, tx, sku)
}

// ClearSafetyStock removes a directly set safety stock; the rules apply again.
func (s *Service) ClearSafetyStock(ctx context.Context, tx store.DBTX, sku, loc string) ([]Command, error) {
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM safety_stock WHERE sku = ? AND location_id = ?`), sku, loc); err != nil {
		return nil, fmt.Errorf("clear safety stock %s at %s: %w", sku, loc, err)
	}
	return s.refreshSafety(ctx, tx, sku)
}

// refreshSafety recomputes a SKU's safety stock at each of its locations.
func (s *Service) refreshSafety(ctx context.Context, tx store.DBTX, sku string) ([]Command, error) {
	a, err := s.lockAggs(ctx, tx, sku, "")
	if err != nil {
		return nil, err
	}
	rows, err := s.levels(ctx, tx, sku)
	if err != nil {
		return nil, err
	}
	deltas := map[string]int64{}
	for _, r := range rows {
		q, err := s.effectiveSafety(ctx, tx, sku, r.LocationID)
		if err != nil {
			return nil, err
		}
		if q == r.SafetyStock {
			continue
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE inventory_levels SET safety_stock = ?, version = version + 1, updated_at = ? WHERE sku = ? AND location_id = ?`),
			q, store.FormatTime(s.now()), sku, r.LocationID); err != nil {
			return nil, fmt.Errorf("set safety stock %s at %s: %w", sku, r.LocationID, err)
		}
		if d := clampATP(r.OnHand, r.Reserved, q) - clampATP(r.OnHand, r.Reserved, r.SafetyStock); d != 0 {
			for scope := range a.rows {
				b, err := scopeBuffer(scope)
				if err != nil {
					return nil, err
				}
				if b.serves(r) {
					deltas[scope] += d
				}
			}
		}
	}
	if err := a.addScoped(ctx, s, tx, deltas); err != nil {
		return nil, err
	}
	return s.syncWith(ctx, tx, a, sku, "")
}

// ApplyConfig recomputes safety stock and channel figures of every SKU, as
// needed after the rules, buffers or locations changed.
func (s *Service) ApplyConfig(ctx context.Context, tx store.DBTX) ([]Command, error) {
	skus, err := s.skus(ctx, tx)
	if err != nil {
		return nil, err
	}
	var all []Command
	for _, sku := range skus {
		cmds, err := s.refreshSafety(ctx, tx, sku)
		if err != nil {
			return nil, err
		}
		all = append(all, cmds...)
	}
	return all, nil
}
