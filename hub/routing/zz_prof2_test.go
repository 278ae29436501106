package routing

import (
	"context"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/hub/store"
)

func TestZZProf2(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:/tmp/rbench/bench.db")
	if err != nil {
		t.Fatal(err)
	}
	rules, _ := LoadRules("../../configs/routing/default.yaml")
	sl := &SQLLocations{Dialect: db.Dialect, TTL: time.Hour}
	locs, _ := sl.All(ctx, db)
	r, _ := New(Config{Rules: rules, Locations: sl, Stock: SQLStock{Dialect: db.Dialect}, Velocity: SQLVelocity{Dialect: db.Dialect}, Capacity: SQLCapacity{Dialect: db.Dialect}})
	orders := benchOrders(rand.New(rand.NewPCG(9, 9)), BenchConfig{SKUs: 100000}, locs, 3000)
	type rec struct {
		d    time.Duration
		rule string
	}
	var recs []rec
	runtime.LockOSThread()
	for _, o := range orders {
		c0, _ := threadCPU()
		d, err := r.Decide(ctx, db, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		c1, _ := threadCPU()
		recs = append(recs, rec{time.Duration(c1 - c0), d.Rule})
	}
	slices.SortFunc(recs, func(a, b rec) int { return int(a.d - b.d) })
	for _, p := range []int{50, 90, 99} {
		x := recs[len(recs)*p/100]
		t.Logf("p%d %v %s", p, x.d, x.rule)
	}
	byRule := map[string][]time.Duration{}
	for _, x := range recs {
		byRule[x.rule] = append(byRule[x.rule], x.d)
	}
	for k, v := range byRule {
		t.Logf("%s n=%d p50=%v p90=%v max=%v", k, len(v), v[len(v)/2], v[len(v)*9/10], v[len(v)-1])
	}
}
