package routing

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/hub/store/storetest"
)

// sqlWorld is the chain of chain() in a real SQLite file, with the SQL
// adapters over the state's tables.
type sqlWorld struct {
	db  *store.DB
	inv *inventory.Service
	r   *Router
}

func newSQLWorld(t *testing.T, rs *RuleSet) *sqlWorld {
	t.Helper()
	return newSQLWorldOn(t, storetest.SQLite(t), rs)
}

func newSQLWorldOn(t *testing.T, db *store.DB, rs *RuleSet) *sqlWorld {
	t.Helper()
	ctx := context.Background()
	inv, err := inventory.New(db.Dialect, inventory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	locs, err := chain().All(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range locs {
		if _, err := (store.Locations{Dialect: db.Dialect}).Put(ctx, db, store.LocationRow{Location: l}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := New(Config{Rules: rs, Locations: &SQLLocations{Dialect: db.Dialect}, Stock: SQLStock{Dialect: db.Dialect},
		Velocity: SQLVelocity{Dialect: db.Dialect}, Capacity: SQLCapacity{Dialect: db.Dialect},
		Reserver: InventoryReserver{Inventory: inv}, Decisions: SQLDecisions{Dialect: db.Dialect}})
	if err != nil {
		t.Fatal(err)
	}
	return &sqlWorld{db: db, inv: inv, r: r}
}

func (w *sqlWorld) receive(t *testing.T, loc, sku string, n int64) {
	t.Helper()
	if _, err := w.inv.Record(context.Background(), w.db, canonical.InventoryMovement{SKU: sku, LocationID: loc, Delta: n,
		Reason: canonical.MoveReceipt, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

// routeTx routes an order in its own transaction, as a bus handler does.
func (w *sqlWorld) routeTx(t *testing.T, o *canonical.Order) *Result {
	t.Helper()
	ctx := context.Background()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		t.Error(err)
		return nil
	}
	res, err := w.r.Route(ctx, tx, o)
	if err != nil {
		_ = tx.Rollback()
		t.Error(err)
		return nil
	}
	if err := tx.Commit(); err != nil {
		t.Error(err)
		return nil
	}
	return res
}

// The state's reservation path on real databases. On SQLite the hub's
// transactions are BEGIN IMMEDIATE, so two handlers routing at once serialise
// on the write lock and the second reads the first one's reservation; on
// PostgreSQL both may decide on the same unit, the second blocks on the SKU's
// row lock in the inventory service, fails to reserve, and decides again.
func TestRouting_ConcurrentOrdersForTheLastUnitGetOneAllocationAndOneHold(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) { concurrentLastUnit(t, db) })
}

func concurrentLastUnit(t *testing.T, db *store.DB) {
	w := newSQLWorldOn(t, db, rulesWith(t, noSplitRule))
	w.receive(t, "st-pasadena", "LAST", 1)
	var wg sync.WaitGroup
	results := make([]*Result, 2)
	for i, id := range []string{"o-a", "o-b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = w.routeTx(t, order(id, canonical.FulfilShip, "", line{"LAST", 1, 2500}))
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	outcomes := map[Outcome]int{}
	for _, r := range results {
		outcomes[r.Decision.Outcome]++
	}
	if outcomes[OutcomeAllocated] != 1 || outcomes[OutcomeHeld] != 1 {
		t.Fatalf("want one allocation and one hold, got %v", outcomes)
	}
	lv, err := w.inv.Level(context.Background(), w.db, "LAST", "st-pasadena")
	if err != nil || lv.Reserved != 1 || lv.ATP != 0 {
		t.Fatalf("the last unit must be reserved exactly once: %+v %v", lv, err)
	}
	var allocs int
	if err := w.db.QueryRow(`SELECT COUNT(*) FROM allocations`).Scan(&allocs); err != nil || allocs != 1 {
		t.Fatalf("one allocation row expected, got %d %v", allocs, err)
	}
	held, err := SQLDecisions{Dialect: w.db.Dialect}.Held(context.Background(), w.db, "awaiting-stock")
	if err != nil || len(held) != 1 {
		t.Fatalf("the losing order must wait in awaiting-stock: %v %v", held, err)
	}
}

func TestRouting_SQLDecisionIsStoredExplainedAndRerouted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) { storedExplainedRerouted(t, db) })
}

func storedExplainedRerouted(t *testing.T, db *store.DB) {
	ctx := context.Background()
	w := newSQLWorldOn(t, db, defaultRules(t))
	w.receive(t, "st-pasadena", "TEE-M", 2)
	w.receive(t, "st-santa-monica", "TEE-M", 2)
	o := order("o-sql", canonical.FulfilShip, "", line{"TEE-M", 1, 2500})
	first := w.routeTx(t, o)
	if first == nil {
		return
	}
	if got := planLocations(first.Decision); !slices.Equal(got, []string{"st-pasadena"}) || len(first.Requests) != 1 {
		t.Fatalf("plan %v, %d requests", got, len(first.Requests))
	}
	if first.Requests[0].Kind != canonical.KindAllocation || first.Requests[0].IdempotencyKey != "routing:"+first.Allocations[0].ID {
		t.Fatalf("the fulfilment request must be an allocation record with a stable key: %+v", first.Requests[0])
	}
	used, _ := store.Locations{Dialect: w.db.Dialect}.CapacityUsed(ctx, w.db, "st-pasadena", time.Now().UTC().Format(time.DateOnly))
	if used != 1 {
		t.Fatalf("the allocation must count against pasadena's capacity: %d", used)
	}

	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	second, err := w.r.Reroute(ctx, tx, o.ID, "st-pasadena")
	if err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := planLocations(second.Decision); !slices.Equal(got, []string{"st-santa-monica"}) {
		t.Fatalf("reroute plan %v; want st-santa-monica", got)
	}
	lp, _ := w.inv.Level(ctx, w.db, "TEE-M", "st-pasadena")
	ls, _ := w.inv.Level(ctx, w.db, "TEE-M", "st-santa-monica")
	if lp.Reserved != 0 || ls.Reserved != 1 {
		t.Fatalf("the reservation must move: pasadena %d, santa monica %d", lp.Reserved, ls.Reserved)
	}
	used, _ = store.Locations{Dialect: w.db.Dialect}.CapacityUsed(ctx, w.db, "st-pasadena", time.Now().UTC().Format(time.DateOnly))
	if used != 0 {
		t.Fatalf("a rejected allocation gives its capacity back: %d", used)
	}

	var ex Explainer = SQLDecisions{Dialect: w.db.Dialect}
	ds, err := ex.Explain(ctx, w.db, o.ID)
	if err != nil || len(ds) != 2 {
		t.Fatalf("explain must return both decisions: %d %v", len(ds), err)
	}
	if ds[0].Rule != "ship-from-nearby-store" || len(ds[0].Rules) == 0 || ds[0].Saving == nil || ds[1].Rerouted != "st-pasadena" {
		t.Fatalf("the stored decision must keep its trace, saving and reroute: %+v", ds)
	}
	var saving sql.NullInt64
	if err := w.db.QueryRow(w.db.Dialect.Rebind(`SELECT saving FROM routing_decisions WHERE order_id = ? AND attempt = 1`), o.ID).Scan(&saving); err != nil ||
		!saving.Valid || saving.Int64 != ds[0].Saving.Amount {
		t.Fatalf("the saving must be queryable for analytics: %v %v", saving, err)
	}
	allocs, _ := store.Allocations{Dialect: w.db.Dialect}.ByOrder(ctx, w.db, o.ID)
	if len(allocs) != 2 || allocs[0].Status != AllocRejected || allocs[1].Status != AllocRequested {
		t.Fatalf("allocations: %+v", allocs)
	}
}

func TestRouting_NetworkReservationIsAssignedToTheChosenLocation(t *testing.T) {
	ctx := context.Background()
	w := newSQLWorld(t, defaultRules(t))
	w.receive(t, "st-pasadena", "TEE-M", 1)
	o := order("o-net", canonical.FulfilShip, "", line{"TEE-M", 1, 2500})
	if _, _, err := w.inv.Reserve(ctx, w.db, inventory.ReserveRequest{OrderID: o.ID, LineID: "L1", SKU: "TEE-M", Quantity: 1}); err != nil {
		t.Fatal(err)
	}
	if res := w.routeTx(t, o); res == nil || res.Decision.Outcome != OutcomeAllocated {
		t.Fatalf("order with a network reservation must be allocated: %+v", res)
	}
	rs, err := w.inv.OrderReservations(ctx, w.db, o.ID)
	if err != nil || len(rs) != 1 || rs[0].LocationID != "st-pasadena" || rs[0].Status != inventory.StatusActive {
		t.Fatalf("the network reservation must be assigned, not doubled: %+v %v", rs, err)
	}
}

func TestRouting_InventoryReserverIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	w := newSQLWorld(t, defaultRules(t))
	w.receive(t, "st-pasadena", "TEE-M", 3)
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	_, err = InventoryReserver{Inventory: w.inv}.Reserve(ctx, tx, "o-half", []Reservation{
		{LineID: "L1", LocationID: "st-pasadena", SKU: "TEE-M", Quantity: 2},
		{LineID: "L2", LocationID: "st-pasadena", SKU: "MISSING", Quantity: 1},
	})
	if !errors.Is(err, inventory.ErrInsufficientStock) {
		t.Fatalf("want insufficient stock, got %v", err)
	}
	lv, err := w.inv.Level(ctx, tx, "TEE-M", "st-pasadena")
	if err != nil || lv.Reserved != 0 {
		t.Fatalf("the first line's reservation must be undone: %+v %v", lv, err)
	}
	rs, _ := w.inv.OrderReservations(ctx, tx, "o-half")
	if len(rs) != 0 {
		t.Fatalf("no reservation row may remain: %+v", rs)
	}
}
