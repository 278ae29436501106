package orders

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/store"
)

// BenchReport holds the state benchmarks' figures (issue 5): ATP lookups for
// one SKU across many locations, and order acceptance (store + reserve) on SQLite.
type BenchReport struct {
	Locations           int     `json:"locations"`
	ATPLookups          int     `json:"atp_lookups"`
	ATPLookupsPerSecond float64 `json:"atp_lookups_per_second"`
	Orders              int     `json:"orders"`
	LinesPerOrder       int     `json:"lines_per_order"`
	AcceptsPerSecond    float64 `json:"accepts_per_second"`
}

// String renders the report for `crossdock bench`.
func (r BenchReport) String() string {
	return fmt.Sprintf("ATP lookups (1 SKU, %d locations): %.0f/s over %d lookups\norder acceptance (store + reserve, %d lines, SQLite): %.0f/s over %d orders",
		r.Locations, r.ATPLookupsPerSecond, r.ATPLookups, r.LinesPerOrder, r.AcceptsPerSecond, r.Orders)
}

// Bench measures, on a new SQLite database in dir, network ATP lookups for one
// SKU stocked at 1,000 locations and order acceptance, each for about d.
func Bench(ctx context.Context, dir string, d time.Duration) (BenchReport, error) {
	rep := BenchReport{Locations: 1000, LinesPerOrder: 2}
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "bench.db"))
	if err != nil {
		return rep, err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return rep, err
	}
	inv, err := inventory.New(db.Dialect, inventory.Config{Buffers: map[string]inventory.ChannelBuffer{"web": {Fixed: 2}}})
	if err != nil {
		return rep, err
	}
	if err := SeedBench(ctx, db, inv, rep.Locations); err != nil {
		return rep, err
	}
	start := time.Now()
	for time.Since(start) < d {
		if _, err := inv.NetworkATP(ctx, db, "BENCH-SKU", "web"); err != nil {
			return rep, err
		}
		rep.ATPLookups++
	}
	rep.ATPLookupsPerSecond = float64(rep.ATPLookups) / time.Since(start).Seconds()

	svc := New(db.Dialect, inv)
	start = time.Now()
	for time.Since(start) < d {
		if err := AcceptBenchOrder(ctx, db, svc, rep.Orders); err != nil {
			return rep, err
		}
		rep.Orders++
	}
	rep.AcceptsPerSecond = float64(rep.Orders) / time.Since(start).Seconds()
	return rep, nil
}

// SeedBench stocks BENCH-SKU and BENCH-SKU-2 at n locations (for benchmarks).
func SeedBench(ctx context.Context, db *store.DB, inv *inventory.Service, n int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	locs := store.Locations{Dialect: db.Dialect}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("loc-%04d", i)
		l := canonical.Location{ID: id, Name: id, Type: canonical.LocationStore, Geo: &canonical.GeoPoint{Lat: 40, Lng: -74},
			Groups: []string{"us"}, Active: true}
		if _, err := locs.Put(ctx, tx, store.LocationRow{Location: l}); err != nil {
			return err
		}
		for _, sku := range []string{"BENCH-SKU", "BENCH-SKU-2"} {
			if err := inv.RecordOnly(ctx, tx, canonical.InventoryMovement{SKU: sku, LocationID: id, Delta: 1_000_000, Reason: canonical.MoveReceipt, Source: "bench"}); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

// AcceptBenchOrder accepts order number i (two lines) in its own transaction.
func AcceptBenchOrder(ctx context.Context, db *store.DB, svc *Service, i int) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	now := time.Now()
	o := canonical.Order{Channel: "web", ExternalID: fmt.Sprintf("B%d-%d", now.UnixNano(), i), PlacedAt: now, UpdatedAt: now,
		Customer: &canonical.Customer{Email: fmt.Sprintf("c%d@example.com", i%100)},
		Lines:    []canonical.OrderLine{{ID: "1", SKU: "BENCH-SKU", Quantity: 1}, {ID: "2", SKU: "BENCH-SKU-2", Quantity: 2}}}
	res, err := svc.Accept(ctx, tx, o)
	if err != nil {
		return err
	}
	if len(res.Shortages) > 0 {
		return fmt.Errorf("bench order %d short: %v", i, res.Shortages)
	}
	return tx.Commit()
}
