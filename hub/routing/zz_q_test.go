package routing

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/crossdockhq/crossdock/hub/store"
)

func TestZZQ(t *testing.T) {
	ctx := context.Background()
	db, _ := store.Open(ctx, "sqlite:/tmp/rbench/bench.db")
	s := SQLStock{Dialect: db.Dialect}
	runtime.LockOSThread()
	for _, n := range []int{1, 10, 60} {
		var locs []string
		for i := 0; i < n; i++ {
			locs = append(locs, fmt.Sprintf("st-%04d", 1+i*16))
		}
		for _, skus := range [][]string{{"SKU-000004"}, {"SKU-000004", "SKU-000010", "SKU-050500"}} {
			for i := 0; i < 50; i++ {
				s.Levels(ctx, db, skus, locs)
			}
			c0, _ := threadCPU()
			for i := 0; i < 300; i++ {
				s.Levels(ctx, db, skus, locs)
			}
			c1, _ := threadCPU()
			t.Logf("locs=%d skus=%d: %v per query", n, len(skus), (c1-c0)/300)
		}
	}
	c := SQLCapacity{Dialect: db.Dialect}
	c0, _ := threadCPU()
	for i := 0; i < 300; i++ {
		c.AllocatedToday(ctx, db, []string{"st-0001", "st-0002"}, testNow)
	}
	c1, _ := threadCPU()
	t.Logf("capacity 2 locs: %v", (c1-c0)/300)
}
