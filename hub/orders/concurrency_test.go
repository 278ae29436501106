package orders_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/orders"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/hub/store/storetest"
)

// Orders whose lines name the same SKUs in opposite orders, accepted at the
// same time, all succeed: the SKUs are locked in one order, so PostgreSQL
// transactions queue instead of deadlocking.
func TestAccept_ConcurrentOrdersWithLinesInOppositeOrderAllSucceed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		db.SetMaxOpenConns(12)
		inv, err := inventory.New(db.Dialect, inventory.Config{Buffers: map[string]inventory.ChannelBuffer{"shopify-us": {}}})
		if err != nil {
			t.Fatal(err)
		}
		svc := orders.New(db.Dialect, inv)
		f := fixture{db: db, inv: inv, svc: svc}
		f.tx(t, func(tx *sql.Tx) error {
			for _, sku := range []string{"A", "B", "C"} {
				if _, err := inv.Record(ctx, tx, canonical.InventoryMovement{SKU: sku, LocationID: "wh", Delta: 1000, Reason: canonical.MoveReceipt}); err != nil {
					return err
				}
			}
			return nil
		})
		const workers, each = 12, 6
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		start := make(chan struct{})
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				<-start
				for i := 0; i < each; i++ {
					skus := [][]string{{"A", "B", "C"}, {"C", "B", "A"}, {"B", "A"}}[(w+i)%3]
					o := order(fmt.Sprintf("X-%d-%d", w, i))
					o.Customer = &canonical.Customer{Email: fmt.Sprintf("c%d-%d@example.com", w, i)}
					for k, sku := range skus {
						o.Lines = append(o.Lines, line(fmt.Sprint(k+1), sku, 1))
					}
					tx, err := db.BeginTx(ctx, nil)
					if err != nil {
						errs <- err
						return
					}
					res, err := svc.Accept(ctx, tx, o)
					if err == nil && res.Order.Status != canonical.OrderConfirmed {
						err = fmt.Errorf("order %s is %s", o.ExternalID, res.Order.Status)
					}
					if err == nil {
						err = tx.Commit()
					} else {
						tx.Rollback()
					}
					if err != nil {
						errs <- err
					}
				}
			}(w)
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		var reserved int64
		if err := db.QueryRowContext(ctx, `SELECT SUM(network_reserved) FROM inventory_skus`).Scan(&reserved); err != nil {
			t.Fatal(err)
		}
		// Two of every three orders have three lines, the others two.
		want := int64(0)
		for w := 0; w < workers; w++ {
			for i := 0; i < each; i++ {
				want += []int64{3, 3, 2}[(w+i)%3]
			}
		}
		if reserved != want {
			t.Errorf("network reserved %d units, want %d", reserved, want)
		}
	})
}
