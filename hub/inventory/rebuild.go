package inventory

import (
	"context"
	"fmt"

	"github.com/crossdockhq/crossdock/hub/store"
)

// Drift is a level that did not match what the ledger and the reservations say.
type Drift struct {
	SKU        string `json:"sku"`
	LocationID string `json:"location_id"` // "" for the network-wide reserved figure
	Field      string `json:"field"`       // on_hand, reserved, network_reserved or network_atp
	// Scope names the location selection of a network_atp aggregate ("" is
	// every active location; else a channel's {"l","g","x"} selection).
	Scope   string `json:"scope,omitempty"`
	Live    int64  `json:"live"`
	Rebuilt int64  `json:"rebuilt"`
}

// Rebuild recomputes every level from the ledger (on hand = sum of movements)
// and the active reservations (reserved), corrects the rows that differ, and
// returns what it corrected (nothing when the live levels were right). Safety
// stock is recomputed too; channel figures are not re-published (call SyncAll).
func (s *Service) Rebuild(ctx context.Context, tx store.DBTX) ([]Drift, error) {
	type key struct{ sku, loc string }
	onHand := map[key]int64{}
	reserved := map[key]int64{}
	network := map[string]int64{}
	if err := each(ctx, tx, `SELECT sku, location_id, SUM(delta) FROM inventory_movements GROUP BY sku, location_id`, func(sku, loc string, n int64) {
		onHand[key{sku, loc}] = n
	}); err != nil {
		return nil, fmt.Errorf("rebuild: ledger: %w", err)
	}
	if err := each(ctx, tx, s.q(`SELECT sku, location_id, SUM(quantity) FROM reservations WHERE status = '`+StatusActive+`' GROUP BY sku, location_id`), func(sku, loc string, n int64) {
		if loc == "" {
			network[sku] = n
		} else {
			reserved[key{sku, loc}] = n
		}
	}); err != nil {
		return nil, fmt.Errorf("rebuild: reservations: %w", err)
	}
	for k := range onHand {
		if err := s.ensureLevel(ctx, tx, k.sku, k.loc); err != nil {
			return nil, err
		}
	}
	for k := range reserved {
		if err := s.ensureLevel(ctx, tx, k.sku, k.loc); err != nil {
			return nil, err
		}
	}
	var drifts []Drift
	live := map[key][2]int64{}
	rs, err := tx.QueryContext(ctx, `SELECT sku, location_id, on_hand, reserved FROM inventory_levels`)
	if err != nil {
		return nil, fmt.Errorf("rebuild: levels: %w", err)
	}
	for rs.Next() {
		var k key
		var oh, rv int64
		if err := rs.Scan(&k.sku, &k.loc, &oh, &rv); err != nil {
			rs.Close()
			return nil, fmt.Errorf("rebuild: levels: %w", err)
		}
		live[k] = [2]int64{oh, rv}
	}
	rs.Close()
	for k, v := range live {
		oh, rv := onHand[k], reserved[k]
		if v[0] != oh {
			drifts = append(drifts, Drift{SKU: k.sku, LocationID: k.loc, Field: "on_hand", Live: v[0], Rebuilt: oh})
		}
		if v[1] != rv {
			drifts = append(drifts, Drift{SKU: k.sku, LocationID: k.loc, Field: "reserved", Live: v[1], Rebuilt: rv})
		}
		if v[0] != oh || v[1] != rv {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE inventory_levels SET on_hand = ?, reserved = ?, version = version + 1 WHERE sku = ? AND location_id = ?`),
				oh, rv, k.sku, k.loc); err != nil {
				return nil, fmt.Errorf("rebuild: %w", err)
			}
		}
	}
	skus, err := s.skus(ctx, tx)
	if err != nil {
		return nil, err
	}
	for _, sku := range skus {
		var live int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT network_reserved FROM inventory_skus WHERE sku = ?`), sku).Scan(&live); err != nil {
			return nil, fmt.Errorf("rebuild: %w", err)
		}
		if live != network[sku] {
			drifts = append(drifts, Drift{SKU: sku, Field: "network_reserved", Live: live, Rebuilt: network[sku]})
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE inventory_skus SET network_reserved = ? WHERE sku = ?`), network[sku], sku); err != nil {
				return nil, fmt.Errorf("rebuild: %w", err)
			}
		}
		if _, err := s.refreshSafetyNoSync(ctx, tx, sku); err != nil {
			return nil, err
		}
		// The network aggregates follow the rebuilt levels.
		d, err := s.recomputeAggs(ctx, tx, sku)
		if err != nil {
			return nil, err
		}
		drifts = append(drifts, d...)
	}
	return drifts, nil
}

func (s *Service) refreshSafetyNoSync(ctx context.Context, tx store.DBTX, sku string) (int, error) {
	rows, err := s.levels(ctx, tx, sku)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rows {
		q, err := s.effectiveSafety(ctx, tx, sku, r.LocationID)
		if err != nil {
			return 0, err
		}
		if q != r.SafetyStock {
			n++
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE inventory_levels SET safety_stock = ? WHERE sku = ? AND location_id = ?`), q, sku, r.LocationID); err != nil {
				return 0, fmt.Errorf("rebuild safety %s: %w", sku, err)
			}
		}
	}
	return n, nil
}

func each(ctx context.Context, db store.DBTX, query string, f func(sku, loc string, n int64)) error {
	rs, err := db.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var sku, loc string
		var n int64
		if err := rs.Scan(&sku, &loc, &n); err != nil {
			return err
		}
		f(sku, loc, n)
	}
	return rs.Err()
}
