package orders_test

import (
	"context"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/orders"
	"github.com/crossdockhq/crossdock/hub/store/storetest"
)

// BenchmarkAccept measures order acceptance (store + reserve two lines) on SQLite.
func BenchmarkAccept(b *testing.B) {
	ctx := context.Background()
	db := storetest.SQLite(b)
	inv, err := inventory.New(db.Dialect, inventory.Config{Buffers: map[string]inventory.ChannelBuffer{"web": {}}})
	if err != nil {
		b.Fatal(err)
	}
	if err := orders.SeedBench(ctx, db, inv, 20); err != nil {
		b.Fatal(err)
	}
	svc := orders.New(db.Dialect, inv)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := orders.AcceptBenchOrder(ctx, db, svc, i); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}

func TestBench_ReportsBothFigures(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 1,000 locations")
	}
	rep, err := orders.Bench(context.Background(), t.TempDir(), 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ATPLookups == 0 || rep.Orders == 0 || rep.ATPLookupsPerSecond <= 0 || rep.AcceptsPerSecond <= 0 {
		t.Fatalf("report = %+v", rep)
	}
}

// BenchmarkAccept_1000Locations is BenchmarkAccept with stock at 1,000 locations.
func BenchmarkAccept_1000Locations(b *testing.B) {
	ctx := context.Background()
	db := storetest.SQLite(b)
	inv, err := inventory.New(db.Dialect, inventory.Config{Buffers: map[string]inventory.ChannelBuffer{"web": {Fixed: 2}}})
	if err != nil {
		b.Fatal(err)
	}
	if err := orders.SeedBench(ctx, db, inv, 1000); err != nil {
		b.Fatal(err)
	}
	svc := orders.New(db.Dialect, inv)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := orders.AcceptBenchOrder(ctx, db, svc, i); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}
