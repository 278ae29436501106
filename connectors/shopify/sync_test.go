package shopify

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/connectors/shopify/sandbox"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// TestInventorySync_5000SKUsStandardPlanUsesBudgetWithoutThrottling pushes
// 5,000 SKUs through Write against a sandbox with the Standard plan's real
// limits (2000-point bucket, 100 points/s). The floor on the time is the
// cost spent beyond the initial bucket divided by the restore rate; the sync
// must stay close to it and never be THROTTLED.
func TestInventorySync_5000SKUsStandardPlanUsesBudgetWithoutThrottling(t *testing.T) {
	const n = 5000
	seed := sandbox.SyntheticSeed(n, 1)
	s := newShop(t, sandbox.Config{Seed: &seed, Plan: sandbox.PlanStandard}, nil)
	loc := s.srv.LocationGID("Location 1")
	cmds := make([]sdk.Command, n)
	for i := range cmds {
		prev := int64(10)
		p, _ := json.Marshal(canonical.SetInventory{SKU: fmt.Sprintf("SKU-%05d", i+1), LocationID: loc, Available: int64(11 + i%9), Previous: &prev})
		cmds[i] = sdk.Command{ID: fmt.Sprint(i), Action: canonical.ActionSetInventory, IdempotencyKey: fmt.Sprintf("sync-%d", i), Payload: p}
	}
	start := time.Now()
	results := s.conn.Write(ctxT(t, 3*time.Minute), cmds)
	elapsed := time.Since(start)

	for i, r := range results {
		if r.Status != sdk.StatusOK {
			t.Fatalf("command %d: %s %s", i, r.Status, r.Error)
		}
	}
	for _, i := range []int{0, 1234, n - 1} {
		got, _ := s.srv.Available(fmt.Sprintf("SKU-%05d", i+1), "Location 1")
		if want := int64(11 + i%9); got != want {
			t.Fatalf("SKU-%05d available = %d, want %d", i+1, got, want)
		}
	}
	st := s.srv.Stats()
	plan := sandbox.PlanStandard
	floor := time.Duration(float64(st.CostSpent-int64(plan.MaximumAvailable)) / plan.RestoreRate * float64(time.Second))
	t.Logf("5000-SKU sync, Standard plan (bucket %.0f, %.0f points/s): %v elapsed, floor %v (%d points spent in %d requests), %d THROTTLED replies",
		plan.MaximumAvailable, plan.RestoreRate, elapsed.Round(10*time.Millisecond), floor.Round(10*time.Millisecond), st.CostSpent, st.Requests, st.Throttled)
	if st.Throttled != 0 {
		t.Errorf("%d THROTTLED replies; want none", st.Throttled)
	}
	if st.InventoryWrites != n {
		t.Errorf("sandbox set %d quantities, want %d", st.InventoryWrites, n)
	}
	if limit := floor + floor/10 + 2*time.Second; elapsed > limit {
		t.Errorf("sync took %v; the budget allows %v (limit %v)", elapsed, floor, limit)
	}
}
