package orders_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/orders"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/hub/store/storetest"
	"github.com/crossdockhq/crossdock/pipelines"
)

var placed = time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)

func order(ext string, lines ...canonical.OrderLine) canonical.Order {
	return canonical.Order{Channel: "shopify-us", ExternalID: ext, Number: "#" + ext, PlacedAt: placed, UpdatedAt: placed,
		Customer:        &canonical.Customer{Email: "Ada@Example.com", FirstName: "Ada"},
		ShippingAddress: &canonical.Address{Line1: "1 Main", PostalCode: "10001", Country: "US"},
		Lines:           lines}
}

func line(id, sku string, qty int64) canonical.OrderLine {
	return canonical.OrderLine{ID: id, SKU: sku, Quantity: qty, RequiresShipping: true, UnitPrice: canonical.Money{Amount: 1000, Currency: "USD"}}
}

type fixture struct {
	db  *store.DB
	inv *inventory.Service
	svc *orders.Service
}

func setup(t *testing.T, db *store.DB) fixture {
	t.Helper()
	inv, err := inventory.New(db.Dialect, inventory.Config{Buffers: map[string]inventory.ChannelBuffer{"shopify-us": {}}})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{db: db, inv: inv, svc: orders.New(db.Dialect, inv)}
	f.tx(t, func(tx *sql.Tx) error {
		for sku, n := range map[string]int64{"A": 5, "B": 1} {
			if _, err := inv.Record(context.Background(), tx, canonical.InventoryMovement{SKU: sku, LocationID: "wh", Delta: n, Reason: canonical.MoveReceipt}); err != nil {
				return err
			}
		}
		return nil
	})
	return f
}

func (f fixture) tx(t *testing.T, fn func(tx *sql.Tx) error) {
	t.Helper()
	tx, err := f.db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func (f fixture) accept(t *testing.T, o canonical.Order) orders.Result {
	t.Helper()
	var res orders.Result
	f.tx(t, func(tx *sql.Tx) error {
		var err error
		res, err = f.svc.Accept(context.Background(), tx, o)
		return err
	})
	return res
}

func TestLifecycle_Transitions(t *testing.T) {
	S := func(s string) canonical.OrderStatus { return canonical.OrderStatus(s) }
	tests := []struct {
		from, to string
		ok       bool
	}{
		{"pending", "confirmed", true},
		{"pending", "cancelled", true},
		{"pending", "allocated", false},
		{"pending", "fulfilled", false},
		{"confirmed", "allocated", true},
		{"confirmed", "cancelled", true},
		{"confirmed", "fulfilled", false},
		{"allocated", "partially_fulfilled", true},
		{"allocated", "fulfilled", true},
		{"allocated", "confirmed", true},
		{"allocated", "returned", false},
		{"partially_fulfilled", "fulfilled", true},
		{"partially_fulfilled", "returned", true},
		{"partially_fulfilled", "pending", false},
		{"fulfilled", "returned", true},
		{"fulfilled", "cancelled", false},
		{"cancelled", "confirmed", false},
		{"cancelled", "pending", false},
		{"returned", "fulfilled", false},
	}
	for _, tt := range tests {
		t.Run(tt.from+"->"+tt.to, func(t *testing.T) {
			if got := orders.CanTransition(S(tt.from), S(tt.to)); got != tt.ok {
				t.Fatalf("CanTransition = %v, want %v", got, tt.ok)
			}
		})
	}
}

func TestTransition_IllegalMoveIsRefusedAndChangesNothing(t *testing.T) {
	f := setup(t, storetest.SQLite(t))
	res := f.accept(t, order("1001", line("1", "A", 1)))
	tx, _ := f.db.BeginTx(context.Background(), nil)
	_, err := f.svc.Transition(context.Background(), tx, res.Order.ID, canonical.OrderReturned, 0, "test")
	tx.Rollback()
	var te *orders.TransitionError
	if !errors.As(err, &te) || te.From != canonical.OrderConfirmed || te.To != canonical.OrderReturned || !errors.Is(err, orders.ErrIllegalTransition) {
		t.Fatalf("err = %v", err)
	}
	row, _ := f.svc.Get(context.Background(), f.db, res.Order.ID)
	if row.Order.Status != canonical.OrderConfirmed {
		t.Fatalf("status = %s", row.Order.Status)
	}
}

func TestAccept_SameOrderTwiceIsOneOrderUpdatedOnlyByNewerVersion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		o := order("1001", line("1", "A", 2))
		webhook := f.accept(t, o)
		if webhook.Outcome != orders.Created || webhook.Order.Status != canonical.OrderConfirmed || len(webhook.Reservations) != 1 {
			t.Fatalf("first arrival = %+v", webhook)
		}
		if len(webhook.Commands) == 0 {
			t.Fatal("reserving must publish the new figure")
		}
		poll := f.accept(t, o) // the same version by the poll
		if poll.Outcome != orders.Unchanged || poll.Order.ID != webhook.Order.ID {
			t.Fatalf("duplicate = %+v", poll)
		}
		older := o
		older.UpdatedAt = placed.Add(-time.Minute)
		older.Number = "#stale"
		if r := f.accept(t, older); r.Outcome != orders.Unchanged {
			t.Fatalf("older version = %s", r.Outcome)
		}
		newer := o
		newer.UpdatedAt = placed.Add(time.Minute)
		newer.Lines = []canonical.OrderLine{line("1", "A", 3)}
		r := f.accept(t, newer)
		if r.Outcome != orders.Updated || r.Order.Status != canonical.OrderConfirmed {
			t.Fatalf("newer version = %+v", r)
		}
		var n int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders`).Scan(&n)
		if n != 1 {
			t.Fatalf("%d orders stored, want 1", n)
		}
		l, _ := f.inv.Level(ctx, db, "A", "wh")
		atp, _ := f.inv.NetworkATP(ctx, db, "A", "")
		if l.Reserved != 0 || atp != 2 {
			t.Fatalf("network reservation should now hold 3 of 5: level %+v, network ATP %d", l, atp)
		}
		hist, _ := f.svc.Repo().History(ctx, db, r.Order.ID)
		var actions []string
		for _, h := range hist {
			actions = append(actions, h.Action)
		}
		if len(hist) < 4 || actions[0] != "created" || actions[1] != "status" {
			t.Fatalf("history = %v", actions)
		}
		// The channel cancels: reservations go back.
		cancelled := newer
		cancelled.UpdatedAt = placed.Add(2 * time.Minute)
		cancelled.Status = canonical.OrderCancelled
		if r := f.accept(t, cancelled); r.Order.Status != canonical.OrderCancelled {
			t.Fatalf("channel cancel = %+v", r.Order.Status)
		}
		if atp, _ := f.inv.NetworkATP(ctx, db, "A", ""); atp != 5 {
			t.Fatalf("network ATP after cancel = %d, want 5", atp)
		}
	})
}

func TestAccept_ShortLineBackordersWholeOrder(t *testing.T) {
	ctx := context.Background()
	f := setup(t, storetest.SQLite(t))
	res := f.accept(t, order("2001", line("1", "A", 2), line("2", "B", 2)))
	if res.Order.Status != canonical.OrderPending || len(res.Shortages) != 1 || res.Shortages[0].SKU != "B" || res.Shortages[0].Available != 1 {
		t.Fatalf("result = %+v", res)
	}
	if atp, _ := f.inv.NetworkATP(ctx, f.db, "A", ""); atp != 5 {
		t.Fatalf("A must not stay reserved: ATP %d", atp)
	}
}

func TestAccept_CustomersUpsertedByEmailAcrossChannels(t *testing.T) {
	ctx := context.Background()
	f := setup(t, storetest.SQLite(t))
	a := f.accept(t, order("3001", line("1", "A", 1)))
	o := order("3002", line("1", "A", 1))
	o.Channel = "amazon-us"
	o.Customer = &canonical.Customer{Email: " ada@example.COM ", Phone: "555"}
	b := f.accept(t, o)
	if a.Order.Customer.ID == "" || a.Order.Customer.ID != b.Order.Customer.ID {
		t.Fatalf("customer ids %q and %q", a.Order.Customer.ID, b.Order.Customer.ID)
	}
	c, err := (store.Customers{Dialect: f.db.Dialect}).GetByEmail(ctx, f.db, "ADA@example.com")
	if err != nil || c.FirstName != "Ada" || c.Phone != "555" {
		t.Fatalf("customer = %+v %v", c, err)
	}
	rows, _, err := f.svc.Repo().Search(ctx, f.db, store.OrderQuery{CustomerID: c.ID})
	if err != nil || len(rows) != 2 {
		t.Fatalf("customer orders = %d %v", len(rows), err)
	}
}

func TestCSR_CancelReleasesReservationsAndEmitsCancelOrder(t *testing.T) {
	ctx := context.Background()
	f := setup(t, storetest.SQLite(t))
	res := f.accept(t, order("4001", line("1", "A", 2), line("2", "A", 1)))
	var ch orders.Change
	f.tx(t, func(tx *sql.Tx) error {
		var err error
		ch, err = f.svc.CancelLine(ctx, tx, res.Order.ID, "1", 1, "customer", res.Version, "token:csr")
		return err
	})
	if ch.After.Lines[0].Cancelled != 1 || ch.After.Status != canonical.OrderConfirmed {
		t.Fatalf("after line cancel = %+v", ch.After)
	}
	if atp, _ := f.inv.NetworkATP(ctx, f.db, "A", ""); atp != 3 {
		t.Fatalf("ATP after cancelling 1 of 3 = %d, want 3", atp)
	}
	// A stale version is refused.
	tx, _ := f.db.BeginTx(ctx, nil)
	_, err := f.svc.Cancel(ctx, tx, res.Order.ID, orders.CancelRequest{}, res.Version, "token:csr")
	tx.Rollback()
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale cancel: %v", err)
	}
	f.tx(t, func(tx *sql.Tx) error {
		var err error
		ch, err = f.svc.Cancel(ctx, tx, res.Order.ID, orders.CancelRequest{Reason: "customer", Restock: true, Refund: true}, 0, "token:csr")
		return err
	})
	var cancel *canonical.CancelOrder
	for _, c := range ch.Commands {
		if c.Command.Action == canonical.ActionCancelOrder {
			if c.Topic != "shopify-us.out" {
				t.Fatalf("topic = %s", c.Topic)
			}
			cancel = new(canonical.CancelOrder)
			json.Unmarshal(c.Command.Payload, cancel)
		}
	}
	if cancel == nil || cancel.ExternalID != "4001" || cancel.Reason != "customer" || !cancel.Refund {
		t.Fatalf("cancel command = %+v", cancel)
	}
	if atp, _ := f.inv.NetworkATP(ctx, f.db, "A", ""); atp != 5 {
		t.Fatalf("ATP after cancel = %d", atp)
	}
	// Cancelled: no more changes, but notes are fine.
	tx, _ = f.db.BeginTx(ctx, nil)
	_, err = f.svc.ChangeShippingAddress(ctx, tx, res.Order.ID, canonical.Address{Line1: "x", Country: "US"}, 0, "csr")
	tx.Rollback()
	if !errors.Is(err, orders.ErrIllegalTransition) {
		t.Fatalf("address change on a cancelled order: %v", err)
	}
	f.tx(t, func(tx *sql.Tx) error {
		_, _, err := f.svc.AddNote(ctx, tx, res.Order.ID, "customer called", 0, "token:csr")
		return err
	})
	hist, _ := f.svc.Repo().History(ctx, f.db, res.Order.ID)
	if notes := orders.Notes(hist); len(notes) != 1 || notes[0].Body != "customer called" {
		t.Fatalf("notes = %+v", notes)
	}
}

func TestShip_ConsumesReservationsIntoSalesAndFulfils(t *testing.T) {
	ctx := context.Background()
	f := setup(t, storetest.SQLite(t))
	res := f.accept(t, order("5001", line("1", "A", 3)))
	ship := func(qty int64) orders.Change {
		t.Helper()
		var ch orders.Change
		f.tx(t, func(tx *sql.Tx) error {
			var err error
			ch, err = f.svc.Ship(ctx, tx, canonical.Shipment{OrderID: res.Order.ID, LocationID: "wh", Lines: []canonical.LineQuantity{{LineID: "1", Quantity: qty}}}, "fulfilment")
			return err
		})
		return ch
	}
	tx, _ := f.db.BeginTx(ctx, nil)
	_, err := f.svc.Ship(ctx, tx, canonical.Shipment{OrderID: res.Order.ID, LocationID: "wh", Lines: []canonical.LineQuantity{{LineID: "1", Quantity: 1}}}, "x")
	tx.Rollback()
	if !errors.Is(err, orders.ErrIllegalTransition) {
		t.Fatalf("shipping an unallocated order: %v", err)
	}
	f.tx(t, func(tx *sql.Tx) error {
		_, err := f.svc.Transition(ctx, tx, res.Order.ID, canonical.OrderAllocated, 0, "routing")
		return err
	})
	if ch := ship(2); ch.After.Status != canonical.OrderPartiallyFulfilled || ch.After.Lines[0].Fulfilled != 2 {
		t.Fatalf("after first shipment: %+v", ch.After)
	}
	if l, _ := f.inv.Level(ctx, f.db, "A", "wh"); l.OnHand != 3 {
		t.Fatalf("on hand = %d, want 3", l.OnHand)
	}
	if atp, _ := f.inv.NetworkATP(ctx, f.db, "A", ""); atp != 2 {
		t.Fatalf("ATP = %d, want 2 (1 unit still promised)", atp)
	}
	if ch := ship(1); ch.After.Status != canonical.OrderFulfilled {
		t.Fatalf("after second shipment: %s", ch.After.Status)
	}
	rs, _ := f.inv.OrderReservations(ctx, f.db, res.Order.ID)
	if len(rs) != 1 || rs[0].Status != inventory.StatusConsumed || rs[0].LocationID != "wh" {
		t.Fatalf("reservations = %+v", rs)
	}
	var sales int64
	f.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(delta),0) FROM inventory_movements WHERE reason = 'sale'`).Scan(&sales)
	if sales != -3 {
		t.Fatalf("sales = %d, want -3", sales)
	}
}

func TestSteps_StoreThenReserveThroughThePipelineInterfaces(t *testing.T) {
	ctx := context.Background()
	f := setup(t, storetest.SQLite(t))
	var sent []inventory.Command
	steps := orders.Steps{Orders: f.svc, Publish: func(_ context.Context, tx pipelines.DBTX, cmds []inventory.Command) error {
		if tx == nil {
			t.Error("published outside the step's transaction")
		}
		sent = append(sent, cmds...)
		return nil
	}}
	o := order("6001", line("1", "A", 1), line("2", "B", 2))
	payload, _ := json.Marshal(o)
	rec := canonical.Record{Kind: canonical.KindOrder, Source: "shopify-us", ExternalID: "6001", Version: 7, Payload: payload}
	f.tx(t, func(tx *sql.Tx) error {
		sc := &pipelines.StepContext{Context: ctx, Tx: tx, Pipeline: "orders-in"}
		changed, err := steps.StoreOrder(sc, rec, &o)
		if err != nil || !changed || o.ID == "" || o.Status != canonical.OrderPending {
			t.Fatalf("store: %v %v %+v", changed, err, o.Status)
		}
		if changed, _ := steps.StoreOrder(sc, rec, &o); changed {
			t.Fatal("the same version stored twice")
		}
		short, err := steps.Reserve(sc, &o)
		if err != nil {
			return err
		}
		if len(short) != 1 || short[0].LineID != "2" || short[0].SKU != "B" || short[0].Quantity != 2 {
			t.Fatalf("short = %+v", short)
		}
		return nil
	})
	if o.Status != canonical.OrderPending || len(sent) != 0 {
		t.Fatalf("backordered order: %s, %d commands", o.Status, len(sent))
	}
}

func TestAccept_NewerChannelVersionKeepsHubSideChanges(t *testing.T) {
	ctx := context.Background()
	f := setup(t, storetest.SQLite(t))
	o := order("7001", line("1", "A", 2), line("2", "A", 1))
	res := f.accept(t, o)
	f.tx(t, func(tx *sql.Tx) error {
		if _, err := f.svc.ChangeShippingAddress(ctx, tx, res.Order.ID, canonical.Address{Line1: "9 New St", Country: "US"}, 0, "csr"); err != nil {
			return err
		}
		_, err := f.svc.CancelLine(ctx, tx, res.Order.ID, "2", 0, "customer", 0, "csr")
		return err
	})
	o.UpdatedAt = placed.Add(time.Hour)
	o.Tags = []string{"vip"}
	r := f.accept(t, o)
	if r.Outcome != orders.Updated || r.Order.ShippingAddress.Line1 != "9 New St" || r.Order.Lines[1].Cancelled != 1 || len(r.Order.Tags) != 1 {
		t.Fatalf("after channel update: %+v", r.Order)
	}
	if atp, _ := f.inv.NetworkATP(ctx, f.db, "A", ""); atp != 3 {
		t.Fatalf("ATP = %d, want 3 (line 1 still holds 2)", atp)
	}
}
