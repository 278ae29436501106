package routing

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/pipelines"
)

func TestRouteStep_TurnsAnOrderIntoOneFulfilmentRequestPerLocation(t *testing.T) {
	ctx := context.Background()
	w := newSQLWorld(t, defaultRules(t))
	w.receive(t, "wh-main", "TENT", 5)
	w.receive(t, "st-irvine", "LAMP", 2)
	reg := pipelines.NewRegistry()
	var published []inventory.Command
	RegisterStep(reg, w.r, func(sc *pipelines.StepContext, cmds []inventory.Command) error {
		published = append(published, cmds...)
		return nil
	})
	info, ok := reg.Lookup("route")
	if !ok {
		t.Fatal("route step not registered")
	}
	step := info.New()
	if kc, ok := step.(pipelines.KindChanger); !ok || kc.OutputKind(canonical.KindOrder) != canonical.KindAllocation {
		t.Fatal("route must turn orders into allocations")
	}
	o := order("o-step", canonical.FulfilShip, "", line{"TENT", 1, 19900}, line{"LAMP", 1, 4500})
	payload, _ := json.Marshal(o)
	rec := pipelines.NewRecord(canonical.Record{Kind: canonical.KindOrder, ID: o.ID, Source: "shopify-us", Payload: payload}, map[string]string{"correlation_id": "c1"})

	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	out, err := step.Process(&pipelines.StepContext{Context: ctx, Tx: tx, Dialect: "sqlite", Pipeline: "orders", Step: "route", Now: time.Now()}, rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 {
		t.Fatalf("a split over two locations must emit two requests, got %d", len(out))
	}
	locs := map[string]bool{}
	for _, r := range out {
		var a canonical.Allocation
		if err := json.Unmarshal(r.Record.Payload, &a); err != nil || r.Kind != canonical.KindAllocation || r.Metadata["correlation_id"] != "c1" {
			t.Fatalf("bad request record %+v: %v", r.Record, err)
		}
		locs[a.LocationID] = true
	}
	if !locs["wh-main"] || !locs["st-irvine"] {
		t.Fatalf("requests go to the warehouse and irvine: %v", locs)
	}

	again, err := step.Process(&pipelines.StepContext{Context: ctx, Tx: tx, Dialect: "sqlite"}, rec)
	if err != nil || len(again) != 0 {
		t.Fatalf("a redelivered order emits nothing: %d %v", len(again), err)
	}
	if _, err := step.Process(&pipelines.StepContext{Context: ctx}, rec); err == nil {
		t.Fatal("without a transaction the step must refuse")
	}
}
