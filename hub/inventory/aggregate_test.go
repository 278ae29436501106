package inventory_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/hub/store/storetest"
)

// expectedNetwork sums max(on hand - reserved - safety, 0) over the levels of
// sku at the locations a selection (the JSON scope of inventory_atp) serves,
// straight from the level and location rows.
func expectedNetwork(t *testing.T, db store.DBTX, sku, scope string) int64 {
	t.Helper()
	var def struct{ L, G, X []string }
	if scope != "" {
		if err := json.Unmarshal([]byte(scope), &def); err != nil {
			t.Fatalf("scope %q: %v", scope, err)
		}
	}
	rs, err := db.QueryContext(context.Background(), `SELECT l.location_id, l.on_hand, l.reserved, l.safety_stock,
		COALESCE(loc.active, 1), COALESCE(loc.groups, '') FROM inventory_levels l LEFT JOIN locations loc ON loc.id = l.location_id
		WHERE l.sku = '`+sku+`'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var sum int64
	for rs.Next() {
		var loc, groups string
		var oh, rv, ss int64
		var active int
		if err := rs.Scan(&loc, &oh, &rv, &ss, &active, &groups); err != nil {
			t.Fatal(err)
		}
		if active == 0 || slices.Contains(def.X, loc) {
			continue
		}
		if len(def.L) > 0 || len(def.G) > 0 {
			in := slices.Contains(def.L, loc)
			for _, g := range store.SplitSet(groups) {
				in = in || slices.Contains(def.G, g)
			}
			if !in {
				continue
			}
		}
		sum += max(oh-rv-ss, 0)
	}
	return sum
}

// checkAggregates asserts that every current network aggregate equals the sum
// over the levels (and, with wantScopes >= 0, that each SKU has that many),
// and that network ATP agrees.
func checkAggregates(t *testing.T, db *store.DB, s *inventory.Service, skus []string, wantScopes int) {
	t.Helper()
	ctx := context.Background()
	epoch, err := (store.Locations{Dialect: db.Dialect}).Epoch(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, sku := range skus {
		rs, err := db.QueryContext(ctx, db.Dialect.Rebind(`SELECT scope, atp, epoch FROM inventory_atp WHERE sku = ?`), sku)
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			scope      string
			atp, epoch int64
		}
		var rows []row
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.scope, &r.atp, &r.epoch); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, r)
		}
		rs.Close()
		if wantScopes >= 0 && len(rows) != wantScopes {
			t.Errorf("%s: %d aggregate rows, want %d", sku, len(rows), wantScopes)
		}
		for _, r := range rows {
			if r.epoch != epoch {
				continue // recomputed before use
			}
			if want := expectedNetwork(t, db, sku, r.scope); r.atp != want {
				t.Errorf("%s scope %q: aggregate %d, levels sum to %d", sku, r.scope, r.atp, want)
			}
		}
		var nr int64
		if err := db.QueryRowContext(ctx, db.Dialect.Rebind(`SELECT network_reserved FROM inventory_skus WHERE sku = ?`), sku).Scan(&nr); err != nil {
			t.Fatal(err)
		}
		got, err := s.NetworkATP(ctx, db, sku, "")
		if err != nil {
			t.Fatal(err)
		}
		if want := max(expectedNetwork(t, db, sku, "")-nr, 0); got != want {
			t.Errorf("%s: network ATP %d, want %d", sku, got, want)
		}
	}
	drift, err := s.AggregateDrift(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(drift) > 0 {
		t.Errorf("aggregate drift: %+v", drift)
	}
}

func TestAggregates_EqualTheSumOfLevelsAfterRandomSequenceAndRebuild(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		cfg := inventory.Config{
			ReservationTTL: "1h",
			SafetyStock:    []inventory.SafetyRule{{Groups: []string{"stores"}, Quantity: 1}, {Tags: []string{"fragile"}, Quantity: 2}},
			Buffers: map[string]inventory.ChannelBuffer{
				"all":    {Fixed: 1},
				"stores": {Groups: []string{"stores"}},
				"west":   {Locations: []string{"wh-2", "st-1"}, Exclude: []string{"st-1"}},
				"each":   {PerLocation: true},
			},
		}
		s := newService(t, db, cfg, inventory.WithClock(func() time.Time { return now }))
		locRepo := store.Locations{Dialect: db.Dialect}
		putLocation(t, db, canonical.Location{ID: "st-1", Name: "Store 1", Type: canonical.LocationStore, Groups: []string{"stores"}, Active: true})
		putLocation(t, db, canonical.Location{ID: "wh-1", Name: "Warehouse", Type: canonical.LocationWarehouse, Active: true})
		// wh-2 and st-2 hold stock before they are known as locations.
		rng := rand.New(rand.NewPCG(7, 11))
		skus := []string{"A", "B", "C"}
		locs := []string{"wh-1", "wh-2", "st-1", "st-2"}
		var active []string
		n := 300
		if testing.Short() {
			n = 100
		}
		for i := 0; i < n; i++ {
			if i%10 == 9 {
				checkAggregates(t, db, s, skus, -1)
				if t.Failed() {
					t.Fatalf("aggregates wrong after %d changes", i)
				}
			}
			sku, loc := skus[rng.IntN(len(skus))], locs[rng.IntN(len(locs))]
			inTx(t, db, func(tx *sql.Tx) error {
				switch op := rng.IntN(20); {
				case op < 6:
					_, err := s.Record(ctx, tx, canonical.InventoryMovement{SKU: sku, LocationID: loc, Delta: int64(rng.IntN(15) - 3), Reason: canonical.MoveAdjustment})
					return err
				case op < 7:
					_, err := s.Transfer(ctx, tx, sku, loc, locs[(indexOf(locs, loc)+1+rng.IntN(3))%4], int64(rng.IntN(3)+1), "t", "")
					return err
				case op < 8:
					_, _, err := s.Count(ctx, tx, canonical.InventoryCount{SKU: sku, LocationID: loc, OnHand: int64(rng.IntN(20))}, "pos")
					return err
				case op < 12:
					target := loc
					if rng.IntN(3) == 0 {
						target = ""
					}
					r, _, err := s.Reserve(ctx, tx, inventory.ReserveRequest{OrderID: "o", LineID: "l", SKU: sku, LocationID: target, Quantity: int64(rng.IntN(3) + 1)})
					if errors.Is(err, inventory.ErrInsufficientStock) {
						return nil
					}
					if err == nil {
						active = append(active, r.ID)
					}
					return err
				case op < 15:
					if len(active) == 0 {
						return nil
					}
					k := rng.IntN(len(active))
					id := active[k]
					active = append(active[:k], active[k+1:]...)
					var err error
					switch rng.IntN(3) {
					case 0:
						_, err = s.Release(ctx, tx, id)
					case 1:
						_, err = s.Consume(ctx, tx, id, 0, loc, "ship")
					default:
						_, _, err = s.Assign(ctx, tx, id, loc)
						active = append(active, id)
					}
					if errors.Is(err, inventory.ErrInsufficientStock) || errors.Is(err, inventory.ErrInvalid) {
						return nil
					}
					return err
				case op < 16:
					_, err := s.SetSafetyStock(ctx, tx, sku, loc, int64(rng.IntN(4)))
					return err
				case op < 17:
					_, err := s.SetTags(ctx, tx, sku, [][]string{nil, {"fragile"}}[rng.IntN(2)])
					return err
				case op < 18:
					now = now.Add(20 * time.Minute) // some reservations lapse
					_, _, err := s.Expire(ctx, tx)
					return err
				default:
					// A location changes: it closes, reopens or changes groups.
					l, err := locRepo.Get(ctx, tx, loc)
					if errors.Is(err, store.ErrNotFound) {
						l = store.LocationRow{Location: canonical.Location{ID: loc, Name: loc, Type: canonical.LocationStore, Active: true}}
					} else if err != nil {
						return err
					}
					switch rng.IntN(3) {
					case 0:
						l.Active = !l.Active
					case 1:
						l.Groups = [][]string{nil, {"stores"}, {"stores", "outlet"}}[rng.IntN(3)]
					default:
						l.Name += "."
					}
					_, err = locRepo.Put(ctx, tx, l)
					return err
				}
			})
		}
		// Sync each SKU so stale aggregates are brought up to date as a
		// change would, then compare: "", "stores" and "west" scopes.
		inTx(t, db, func(tx *sql.Tx) error {
			_, err := s.SyncAll(ctx, tx)
			return err
		})
		checkAggregates(t, db, s, skus, 3)

		inTx(t, db, func(tx *sql.Tx) error {
			drift, err := s.Rebuild(ctx, tx)
			if len(drift) != 0 {
				t.Errorf("rebuild found drift: %+v", drift)
			}
			return err
		})
		checkAggregates(t, db, s, skus, 3)

		// Wipe the levels under the aggregates; Rebuild restores both.
		if _, err := db.ExecContext(ctx, `UPDATE inventory_levels SET on_hand = 0, reserved = 0, safety_stock = 0`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE inventory_atp SET atp = atp + 5`); err != nil {
			t.Fatal(err)
		}
		inTx(t, db, func(tx *sql.Tx) error {
			drift, err := s.Rebuild(ctx, tx)
			var agg int
			for _, d := range drift {
				if d.Field == "network_atp" {
					agg++
				}
			}
			if agg != 9 {
				t.Errorf("rebuild corrected %d network aggregates, want all 9: %+v", agg, drift)
			}
			return err
		})
		checkAggregates(t, db, s, skus, 3)
	})
}

func TestAggregates_LocationChangeIsReflectedInNetworkATP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db, inventory.Config{Buffers: map[string]inventory.ChannelBuffer{"all": {}, "stores": {Groups: []string{"stores"}}}})
		putLocation(t, db, canonical.Location{ID: "st-1", Name: "Store", Type: canonical.LocationStore, Groups: []string{"stores"}, Active: true})
		receive(t, db, s, "A", "st-1", 5)
		receive(t, db, s, "A", "wh-1", 7) // no location row: counts as active, in no group
		tests := []struct {
			name           string
			change         func(l *store.LocationRow)
			loc            string
			network, store int64
		}{
			{"as stocked", nil, "", 12, 5},
			{"store closes", func(l *store.LocationRow) { l.Active = false }, "st-1", 7, 0},
			{"store reopens", func(l *store.LocationRow) { l.Active = true }, "st-1", 12, 5},
			{"warehouse joins stores", func(l *store.LocationRow) { l.Groups = []string{"stores"} }, "wh-1", 12, 12},
			{"warehouse closes", func(l *store.LocationRow) { l.Active = false }, "wh-1", 5, 5},
		}
		repo := store.Locations{Dialect: db.Dialect}
		for _, tc := range tests {
			if tc.change != nil {
				l, err := repo.Get(ctx, db, tc.loc)
				if errors.Is(err, store.ErrNotFound) {
					l = store.LocationRow{Location: canonical.Location{ID: tc.loc, Name: tc.loc, Type: canonical.LocationWarehouse, Active: true}}
				} else if err != nil {
					t.Fatal(err)
				}
				tc.change(&l)
				if _, err := repo.Put(ctx, db, l); err != nil {
					t.Fatal(err)
				}
			}
			// Before any change of the SKU (aggregates stale) and after one.
			for _, when := range []string{"before a change", "after a change"} {
				if when == "after a change" {
					receive(t, db, s, "A", "elsewhere", 0)
					inTx(t, db, func(tx *sql.Tx) error { _, err := s.Sync(ctx, tx, "A"); return err })
				}
				got, err := s.NetworkATP(ctx, db, "A", "")
				if err != nil || got != tc.network {
					t.Errorf("%s, %s: network ATP %d (%v), want %d", tc.name, when, got, err, tc.network)
				}
				got, err = s.NetworkATP(ctx, db, "A", "stores")
				if err != nil || got != tc.store {
					t.Errorf("%s, %s: stores ATP %d (%v), want %d", tc.name, when, got, err, tc.store)
				}
			}
		}
		checkAggregates(t, db, s, []string{"A"}, 2)
	})
}
