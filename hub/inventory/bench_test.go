package inventory_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/hub/store/storetest"
)

// BenchmarkNetworkATP_1000Locations measures ATP lookups for one SKU stocked
// at 1,000 locations (SQLite).
func BenchmarkNetworkATP_1000Locations(b *testing.B) {
	ctx := context.Background()
	db := storetest.SQLite(b)
	s := newService(b, db, inventory.Config{Buffers: map[string]inventory.ChannelBuffer{"web": {Groups: []string{"us"}}}})
	inTx(b, db, func(tx *sql.Tx) error {
		for i := 0; i < 1000; i++ {
			id := fmt.Sprintf("loc-%04d", i)
			if _, err := (store.Locations{Dialect: db.Dialect}).Put(ctx, tx, store.LocationRow{Location: canonical.Location{ID: id, Name: id,
				Type: canonical.LocationStore, Groups: []string{"us"}, Active: true}}); err != nil {
				return err
			}
			if err := s.RecordOnly(ctx, tx, canonical.InventoryMovement{SKU: "S", LocationID: id, Delta: 10, Reason: canonical.MoveReceipt}); err != nil {
				return err
			}
		}
		return nil
	})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		atp, err := s.NetworkATP(ctx, db, "S", "web")
		if err != nil || atp != 10000 {
			b.Fatalf("atp %d %v", atp, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}
