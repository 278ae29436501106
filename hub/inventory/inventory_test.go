package inventory_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/hub/store/storetest"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

func inTx(t testing.TB, db *store.DB, f func(tx *sql.Tx) error) {
	t.Helper()
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func newService(t testing.TB, db *store.DB, cfg inventory.Config, opts ...inventory.Option) *inventory.Service {
	t.Helper()
	s, err := inventory.New(db.Dialect, cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func receive(t testing.TB, db *store.DB, s *inventory.Service, sku, loc string, n int64) {
	t.Helper()
	inTx(t, db, func(tx *sql.Tx) error {
		_, err := s.Record(context.Background(), tx, canonical.InventoryMovement{SKU: sku, LocationID: loc, Delta: n, Reason: canonical.MoveReceipt, Source: "test"})
		return err
	})
}

func putLocation(t testing.TB, db *store.DB, l canonical.Location) {
	t.Helper()
	if _, err := (store.Locations{Dialect: db.Dialect}).Put(context.Background(), db, store.LocationRow{Location: l}); err != nil {
		t.Fatal(err)
	}
}

// The no-oversell promise: fifty concurrent orders for the last ten
// units give ten reservations and forty clear refusals.
func TestReserve_FiftyConcurrentOrdersForTenUnitsNeverOversell(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Twenty transactions at a time: real contention, without exhausting a
		// shared PostgreSQL server's connection slots.
		db.SetMaxOpenConns(20)
		s := newService(t, db, inventory.Config{Buffers: map[string]inventory.ChannelBuffer{"shop": {}}})
		receive(t, db, s, "SKU-LAST", "wh-1", 12)
		inTx(t, db, func(tx *sql.Tx) error { _, err := s.SetSafetyStock(ctx, tx, "SKU-LAST", "wh-1", 2); return err })

		var wg sync.WaitGroup
		var mu sync.Mutex
		var ok, refused int
		var other []error
		start := make(chan struct{})
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					mu.Lock()
					other = append(other, err)
					mu.Unlock()
					return
				}
				_, _, err = s.Reserve(ctx, tx, inventory.ReserveRequest{OrderID: "o" + string(rune('A'+i%26)) + string(rune('a'+i/26)), LineID: "1", SKU: "SKU-LAST", LocationID: "wh-1", Quantity: 1})
				if err == nil {
					err = tx.Commit()
				} else {
					tx.Rollback()
				}
				mu.Lock()
				defer mu.Unlock()
				var ise *inventory.InsufficientStockError
				switch {
				case err == nil:
					ok++
				case errors.As(err, &ise):
					if ise.SKU != "SKU-LAST" || ise.LocationID != "wh-1" || ise.Requested != 1 || ise.Available != 0 {
						other = append(other, err)
					}
					refused++
				default:
					other = append(other, err)
				}
			}(i)
		}
		close(start)
		wg.Wait()
		if len(other) > 0 {
			t.Fatalf("unexpected errors: %v", other)
		}
		if ok != 10 || refused != 40 {
			t.Fatalf("reserved %d, refused %d; want 10 and 40", ok, refused)
		}
		l, err := s.Level(ctx, db, "SKU-LAST", "wh-1")
		if err != nil {
			t.Fatal(err)
		}
		if l.Reserved != 10 || l.ATP != 0 {
			t.Fatalf("level = %+v, want reserved 10 and ATP 0", l)
		}
		v, err := s.View(ctx, db, "SKU-LAST")
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Channels) != 1 || v.Channels[0].Published == nil || *v.Channels[0].Published != 0 {
			t.Fatalf("channel figure = %+v, want published 0", v.Channels)
		}
	})
}

func TestReserve_NetworkWideCountsAgainstEveryLocation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db, inventory.Config{})
		receive(t, db, s, "A", "wh-1", 3)
		receive(t, db, s, "A", "st-1", 2)
		var netRes inventory.Reservation
		inTx(t, db, func(tx *sql.Tx) error {
			var err error
			netRes, _, err = s.Reserve(ctx, tx, inventory.ReserveRequest{OrderID: "o1", LineID: "1", SKU: "A", Quantity: 3})
			return err
		})
		// wh-1 has 3 free on its own, but 3 of the network's 5 are promised.
		tx, _ := db.BeginTx(ctx, nil)
		_, _, err := s.Reserve(ctx, tx, inventory.ReserveRequest{OrderID: "o2", LineID: "1", SKU: "A", LocationID: "wh-1", Quantity: 3})
		tx.Rollback()
		var ise *inventory.InsufficientStockError
		if !errors.As(err, &ise) || ise.Available != 2 {
			t.Fatalf("reserving 3 when 2 are free must be refused with available 2, got %v", err)
		}
		atp, err := s.NetworkATP(ctx, db, "A", "")
		if err != nil || atp != 2 {
			t.Fatalf("network ATP = %d, %v; want 2", atp, err)
		}
		// Routing assigns the network reservation, then shipping consumes it.
		inTx(t, db, func(tx *sql.Tx) error {
			if _, _, err := s.Assign(ctx, tx, netRes.ID, "wh-1"); err != nil {
				return err
			}
			_, err := s.Consume(ctx, tx, netRes.ID, 0, "", "shipment-1")
			return err
		})
		l, _ := s.Level(ctx, db, "A", "wh-1")
		if l.OnHand != 0 || l.Reserved != 0 {
			t.Fatalf("after consume: %+v, want on hand 0 reserved 0", l)
		}
		r, _ := s.Reservation(ctx, db, netRes.ID)
		if r.Status != inventory.StatusConsumed || r.LocationID != "wh-1" {
			t.Fatalf("reservation = %+v", r)
		}
		atp, _ = s.NetworkATP(ctx, db, "A", "")
		if atp != 2 {
			t.Fatalf("network ATP after shipping = %d, want st-1's 2", atp)
		}
	})
}

func TestReserve_ReleaseAndExpiryGiveUnitsBack(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	now := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	s := newService(t, db, inventory.Config{ReservationTTL: "1h"}, inventory.WithClock(func() time.Time { return now }))
	receive(t, db, s, "A", "wh", 5)
	var r1 inventory.Reservation
	inTx(t, db, func(tx *sql.Tx) error {
		var err error
		r1, _, err = s.Reserve(ctx, tx, inventory.ReserveRequest{OrderID: "o1", LineID: "1", SKU: "A", LocationID: "wh", Quantity: 3})
		if err != nil {
			return err
		}
		_, _, err = s.Reserve(ctx, tx, inventory.ReserveRequest{OrderID: "o2", LineID: "1", SKU: "A", LocationID: "wh", Quantity: 2})
		return err
	})
	if r1.ExpiresAt == nil || !r1.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("expiry = %v, want now+1h", r1.ExpiresAt)
	}
	inTx(t, db, func(tx *sql.Tx) error { _, _, err := s.ReleaseOrder(ctx, tx, "o2", ""); return err })
	if l, _ := s.Level(ctx, db, "A", "wh"); l.Reserved != 3 || l.ATP != 2 {
		t.Fatalf("after release: %+v", l)
	}
	now = now.Add(2 * time.Hour)
	inTx(t, db, func(tx *sql.Tx) error {
		n, _, err := s.Expire(ctx, tx)
		if n != 1 {
			t.Errorf("expired %d, want 1", n)
		}
		return err
	})
	if l, _ := s.Level(ctx, db, "A", "wh"); l.Reserved != 0 || l.ATP != 5 {
		t.Fatalf("after expiry: %+v", l)
	}
	r, _ := s.Reservation(ctx, db, r1.ID)
	if r.Status != inventory.StatusExpired {
		t.Fatalf("status %s, want expired", r.Status)
	}
}

func TestLedger_RebuildEqualsLiveLevelsAfterLongRandomSequence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rules := []inventory.SafetyRule{{Groups: []string{"stores"}, Quantity: 1}}
		s := newService(t, db, inventory.Config{SafetyStock: rules, Buffers: map[string]inventory.ChannelBuffer{"a": {Fixed: 1}, "b": {PerLocation: true}}})
		putLocation(t, db, canonical.Location{ID: "st-1", Name: "Store", Type: canonical.LocationStore, Groups: []string{"stores"}, Active: true})
		rng := rand.New(rand.NewPCG(1, 2))
		skus := []string{"A", "B", "C"}
		locs := []string{"wh-1", "wh-2", "st-1"}
		reasons := []canonical.MovementReason{canonical.MoveReceipt, canonical.MoveSale, canonical.MoveAdjustment, canonical.MoveReturn, canonical.MoveDamage}
		var active []string
		n := 400
		if testing.Short() {
			n = 100
		}
		inTx(t, db, func(tx *sql.Tx) error {
			for i := 0; i < n; i++ {
				sku, loc := skus[rng.IntN(3)], locs[rng.IntN(3)]
				switch op := rng.IntN(10); {
				case op < 4:
					delta := int64(rng.IntN(20) - 5)
					if _, err := s.Record(ctx, tx, canonical.InventoryMovement{SKU: sku, LocationID: loc, Delta: delta, Reason: reasons[rng.IntN(len(reasons))]}); err != nil {
						return err
					}
				case op < 5:
					if _, err := s.Transfer(ctx, tx, sku, loc, locs[(rng.IntN(2)+1+indexOf(locs, loc))%3], int64(rng.IntN(4)+1), "t", ""); err != nil {
						return err
					}
				case op < 6:
					if _, _, err := s.Count(ctx, tx, canonical.InventoryCount{SKU: sku, LocationID: loc, OnHand: int64(rng.IntN(30))}, "pos"); err != nil {
						return err
					}
				case op < 8:
					target := loc
					if rng.IntN(3) == 0 {
						target = ""
					}
					r, _, err := s.Reserve(ctx, tx, inventory.ReserveRequest{OrderID: "o", LineID: "l", SKU: sku, LocationID: target, Quantity: int64(rng.IntN(3) + 1)})
					if errors.Is(err, inventory.ErrInsufficientStock) {
						continue
					}
					if err != nil {
						return err
					}
					active = append(active, r.ID)
				default:
					if len(active) == 0 {
						continue
					}
					k := rng.IntN(len(active))
					id := active[k]
					active = append(active[:k], active[k+1:]...)
					var err error
					if rng.IntN(2) == 0 {
						_, err = s.Release(ctx, tx, id)
					} else {
						_, err = s.Consume(ctx, tx, id, 0, loc, "ship")
					}
					if err != nil && !errors.Is(err, inventory.ErrInsufficientStock) {
						return err
					}
				}
			}
			return nil
		})
		before := snapshot(t, db)
		inTx(t, db, func(tx *sql.Tx) error {
			drift, err := s.Rebuild(ctx, tx)
			if len(drift) != 0 {
				t.Errorf("live levels drifted from the ledger: %+v", drift)
			}
			return err
		})
		// Wipe the derived levels and rebuild them from the ledger alone.
		if _, err := db.ExecContext(ctx, `UPDATE inventory_levels SET on_hand = 0, reserved = 0, safety_stock = 0`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE inventory_skus SET network_reserved = 0`); err != nil {
			t.Fatal(err)
		}
		inTx(t, db, func(tx *sql.Tx) error { _, err := s.Rebuild(ctx, tx); return err })
		after := snapshot(t, db)
		if len(before) == 0 {
			t.Fatal("no levels recorded")
		}
		for k, v := range before {
			if after[k] != v {
				t.Errorf("%s: live %v, rebuilt %v", k, v, after[k])
			}
		}
		if len(after) != len(before) {
			t.Errorf("rebuilt %d rows, live had %d", len(after), len(before))
		}
	})
}

func indexOf(list []string, v string) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

func snapshot(t *testing.T, db *store.DB) map[string][3]int64 {
	t.Helper()
	rs, err := db.QueryContext(context.Background(), `SELECT sku, location_id, on_hand, reserved, safety_stock FROM inventory_levels
		UNION ALL SELECT sku, '(network)', network_reserved, 0, 0 FROM inventory_skus`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	out := map[string][3]int64{}
	for rs.Next() {
		var sku, loc string
		var a, b, c int64
		if err := rs.Scan(&sku, &loc, &a, &b, &c); err != nil {
			t.Fatal(err)
		}
		out[sku+"@"+loc] = [3]int64{a, b, c}
	}
	return out
}

func TestChannelBuffer_Apply(t *testing.T) {
	pct := func(f float64) *float64 { return &f }
	tests := []struct {
		name string
		b    inventory.ChannelBuffer
		atp  int64
		want int64
	}{
		{"no buffer publishes ATP", inventory.ChannelBuffer{}, 17, 17},
		{"negative ATP publishes zero", inventory.ChannelBuffer{}, -3, 0},
		{"fixed units held back", inventory.ChannelBuffer{Fixed: 5}, 17, 12},
		{"fixed never below zero", inventory.ChannelBuffer{Fixed: 5}, 3, 0},
		{"percent rounds down", inventory.ChannelBuffer{Percent: pct(50)}, 7, 3},
		{"fractional percent exact", inventory.ChannelBuffer{Percent: pct(33.33)}, 300, 99},
		{"zero percent hides all", inventory.ChannelBuffer{Percent: pct(0)}, 300, 0},
		{"cap limits", inventory.ChannelBuffer{Cap: 10}, 300, 10},
		{"cap above ATP is no-op", inventory.ChannelBuffer{Cap: 10}, 4, 4},
		{"below threshold publishes zero", inventory.ChannelBuffer{ZeroBelow: 3}, 2, 0},
		{"at threshold publishes", inventory.ChannelBuffer{ZeroBelow: 3}, 3, 3},
		{"all steps in order", inventory.ChannelBuffer{ZeroBelow: 5, Fixed: 2, Percent: pct(50), Cap: 20}, 100, 20},
		{"all steps small", inventory.ChannelBuffer{ZeroBelow: 5, Fixed: 2, Percent: pct(50), Cap: 20}, 9, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.Apply(tt.atp); got != tt.want {
				t.Fatalf("Apply(%d) = %d, want %d", tt.atp, got, tt.want)
			}
		})
	}
}

func TestConfig_ValidateRejectsBadBuffers(t *testing.T) {
	bad := 120.0
	err := inventory.Config{ReservationTTL: "soon", Buffers: map[string]inventory.ChannelBuffer{"x": {Percent: &bad, Fixed: -1}}}.Validate()
	var ce *inventory.ConfigError
	if !errors.As(err, &ce) || len(ce.Problems) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
}

func TestSync_EmitsSetInventoryOnlyWhereThePublishedFigureChanged(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	s := newService(t, db, inventory.Config{Buffers: map[string]inventory.ChannelBuffer{
		"shopify-us": {Groups: []string{"us"}, Fixed: 2},
		"amazon-us":  {Cap: 5},
		"pos":        {PerLocation: true, Locations: []string{"st-1"}},
	}})
	putLocation(t, db, canonical.Location{ID: "wh-1", Name: "WH", Type: canonical.LocationWarehouse, Groups: []string{"us"}, Active: true})
	putLocation(t, db, canonical.Location{ID: "st-1", Name: "Store", Type: canonical.LocationStore, Active: true})
	var cmds []inventory.Command
	inTx(t, db, func(tx *sql.Tx) error {
		var err error
		cmds, err = s.Record(ctx, tx, canonical.InventoryMovement{SKU: "A", LocationID: "wh-1", Delta: 10, Reason: canonical.MoveReceipt})
		return err
	})
	got := figures(t, cmds)
	want := map[string]int64{"shopify-us.out/": 8, "amazon-us.out/": 5}
	if !equalMaps(got, want) {
		t.Fatalf("first receipt: %v, want %v", got, want)
	}
	// A store receipt: shopify (group us) does not change, amazon stays capped at 5, pos gets st-1.
	inTx(t, db, func(tx *sql.Tx) error {
		var err error
		cmds, err = s.Record(ctx, tx, canonical.InventoryMovement{SKU: "A", LocationID: "st-1", Delta: 3, Reason: canonical.MoveReceipt})
		return err
	})
	if got, want := figures(t, cmds), map[string]int64{"pos.out/st-1": 3}; !equalMaps(got, want) {
		t.Fatalf("store receipt: %v, want %v", got, want)
	}
	// Reserving 9 at wh-1: shopify 1-2 -> 0, amazon min(1+3,5)=4.
	inTx(t, db, func(tx *sql.Tx) error {
		var err error
		_, cmds, err = s.Reserve(ctx, tx, inventory.ReserveRequest{OrderID: "o", LineID: "1", SKU: "A", LocationID: "wh-1", Quantity: 9})
		return err
	})
	if got, want := figures(t, cmds), map[string]int64{"shopify-us.out/": 0, "amazon-us.out/": 4}; !equalMaps(got, want) {
		t.Fatalf("after reservation: %v, want %v", got, want)
	}
	var p canonical.SetInventory
	for _, c := range cmds {
		if c.Topic == "shopify-us.out" {
			json.Unmarshal(c.Command.Payload, &p)
		}
	}
	if p.Previous == nil || *p.Previous != 8 {
		t.Fatalf("previous = %v, want 8", p.Previous)
	}
	// Nothing changed: no command.
	inTx(t, db, func(tx *sql.Tx) error {
		var err error
		cmds, err = s.SyncAll(ctx, tx)
		return err
	})
	if len(cmds) != 0 {
		t.Fatalf("unchanged figures emitted %d commands", len(cmds))
	}
}

func figures(t *testing.T, cmds []inventory.Command) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, c := range cmds {
		if c.Command.Action != canonical.ActionSetInventory || c.Command.IdempotencyKey == "" {
			t.Fatalf("bad command %+v", c)
		}
		var p canonical.SetInventory
		if err := json.Unmarshal(c.Command.Payload, &p); err != nil {
			t.Fatal(err)
		}
		out[c.Topic+"/"+p.LocationID] = p.Available
	}
	return out
}

func equalMaps(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestSafetyStock_DirectSettingWinsOverRulesAndTagRulesApply(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	s := newService(t, db, inventory.Config{SafetyStock: []inventory.SafetyRule{
		{Name: "stores", Groups: []string{"stores"}, Quantity: 2},
		{Name: "fragile", Tags: []string{"fragile"}, Quantity: 5},
	}})
	putLocation(t, db, canonical.Location{ID: "st-1", Name: "S", Type: canonical.LocationStore, Groups: []string{"stores"}, Active: true})
	receive(t, db, s, "A", "st-1", 10)
	receive(t, db, s, "A", "wh-1", 10)
	check := func(loc string, want int64) {
		t.Helper()
		l, err := s.Level(ctx, db, "A", loc)
		if err != nil || l.SafetyStock != want || l.ATP != 10-want {
			t.Fatalf("%s: %+v %v; want safety %d", loc, l, err, want)
		}
	}
	check("st-1", 2)
	check("wh-1", 0)
	inTx(t, db, func(tx *sql.Tx) error { _, err := s.SetTags(ctx, tx, "A", []string{"fragile"}); return err })
	check("st-1", 5) // the later rule wins
	check("wh-1", 5)
	inTx(t, db, func(tx *sql.Tx) error { _, err := s.SetSafetyStock(ctx, tx, "A", "st-1", 1); return err })
	check("st-1", 1)
	inTx(t, db, func(tx *sql.Tx) error { _, err := s.ClearSafetyStock(ctx, tx, "A", "st-1"); return err })
	check("st-1", 5)
}

func TestCount_DifferenceFromLedgerBecomesCountMovement(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := newService(t, db, inventory.Config{}, inventory.WithClock(func() time.Time { return now }))
	inTx(t, db, func(tx *sql.Tx) error {
		_, err := s.Record(ctx, tx, canonical.InventoryMovement{SKU: "A", LocationID: "st", Delta: 10, Reason: canonical.MoveReceipt, At: now.Add(-2 * time.Hour)})
		if err != nil {
			return err
		}
		// A sale after the count was taken must not count as a discrepancy.
		_, err = s.Record(ctx, tx, canonical.InventoryMovement{SKU: "A", LocationID: "st", Delta: -1, Reason: canonical.MoveSale, At: now})
		return err
	})
	var delta int64
	inTx(t, db, func(tx *sql.Tx) error {
		var err error
		delta, _, err = s.Count(ctx, tx, canonical.InventoryCount{SKU: "A", LocationID: "st", OnHand: 7, At: now.Add(-time.Hour)}, "pos")
		return err
	})
	if delta != -3 {
		t.Fatalf("count delta = %d, want -3", delta)
	}
	if l, _ := s.Level(ctx, db, "A", "st"); l.OnHand != 6 {
		t.Fatalf("on hand = %d, want 6", l.OnHand)
	}
	var reason string
	db.QueryRowContext(ctx, `SELECT reason FROM inventory_movements WHERE delta = -3`).Scan(&reason)
	if reason != "count" {
		t.Fatalf("reason = %q", reason)
	}
}

func TestRecord_RefusesUnknownReason(t *testing.T) {
	db := storetest.SQLite(t)
	s := newService(t, db, inventory.Config{})
	_, err := s.Record(context.Background(), db, canonical.InventoryMovement{SKU: "A", LocationID: "x", Delta: 1, Reason: "theft"})
	if !errors.Is(err, inventory.ErrInvalid) {
		t.Fatalf("got %v, want ErrInvalid", err)
	}
}

func TestCoalesce_KeepsTheLastFigurePerChannelSKUAndLocation(t *testing.T) {
	mk := func(topic, sku string, avail int64, prev *int64) inventory.Command {
		b, _ := json.Marshal(canonical.SetInventory{SKU: sku, Available: avail, Previous: prev})
		return inventory.Command{Topic: topic, Command: sdk.Command{ID: sku, Action: canonical.ActionSetInventory, IdempotencyKey: "k", Payload: b}}
	}
	p := func(n int64) *int64 { return &n }
	cancel := inventory.Command{Topic: "a.out", Command: sdk.Command{Action: canonical.ActionCancelOrder}}
	out := inventory.Coalesce([]inventory.Command{mk("a.out", "X", 5, p(4)), cancel, mk("b.out", "X", 1, nil), mk("a.out", "X", 6, p(5)),
		mk("c.out", "X", 2, p(3)), mk("c.out", "X", 3, p(2))}) // c.out ends where it began: dropped
	if got := figures(t, []inventory.Command{out[0], out[2]}); len(out) != 3 || got["a.out/"] != 6 || got["b.out/"] != 1 {
		t.Fatalf("coalesced = %+v", out)
	}
	var first canonical.SetInventory
	json.Unmarshal(out[0].Command.Payload, &first)
	if *first.Previous != 4 || out[1].Command.Action != canonical.ActionCancelOrder {
		t.Fatalf("first = %+v", first)
	}
}
