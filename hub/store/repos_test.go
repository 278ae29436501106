package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/hub/store/storetest"
)

func TestOrders_StaleWriteIsRefusedWithErrConflict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		repo := store.Orders{Dialect: db.Dialect}
		row := store.OrderRow{Order: canonical.Order{ID: "o1", Channel: "web", ExternalID: "1", Status: canonical.OrderPending, PlacedAt: time.Now()}}
		if err := repo.Insert(ctx, db, &row); err != nil {
			t.Fatal(err)
		}
		a, _ := repo.Get(ctx, db, "o1")
		b, _ := repo.Get(ctx, db, "o1")
		a.Order.Number = "#A"
		if err := repo.Update(ctx, db, &a); err != nil || a.Version != 2 {
			t.Fatalf("first writer: %v, version %d", err, a.Version)
		}
		b.Order.Number = "#B"
		err := repo.Update(ctx, db, &b)
		var ce *store.ConflictError
		if !errors.Is(err, store.ErrConflict) || !errors.As(err, &ce) || ce.ID != "o1" || ce.Expected != 1 {
			t.Fatalf("second writer: %v", err)
		}
		got, _ := repo.Get(ctx, db, "o1")
		if got.Order.Number != "#A" {
			t.Fatalf("stale write landed: %q", got.Order.Number)
		}
		dup := store.OrderRow{Order: canonical.Order{ID: "o2", Channel: "web", ExternalID: "1", PlacedAt: time.Now()}}
		if err := repo.Insert(ctx, db, &dup); err == nil {
			t.Fatal("a second order with the same (channel, external_id) was stored")
		}
		if _, err := repo.Get(ctx, db, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing order: %v", err)
		}
	})
}

func TestOrders_SearchPagesInPlacedOrderOnBothEngines(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		repo := store.Orders{Dialect: db.Dialect}
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i < 9; i++ {
			row := store.OrderRow{Order: canonical.Order{ID: fmt.Sprintf("o%d", i), Channel: "web", ExternalID: fmt.Sprint(i),
				Status: canonical.OrderPending, PlacedAt: t0.Add(time.Duration(i/3) * time.Hour)}} // ties in threes
			if err := repo.Insert(ctx, db, &row); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		cursor := ""
		for {
			rows, next, err := repo.Search(ctx, db, store.OrderQuery{Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				got = append(got, r.Order.ID)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		want := "[o8 o7 o6 o5 o4 o3 o2 o1 o0]"
		if fmt.Sprint(got) != want {
			t.Fatalf("pages = %v, want %s", got, want)
		}
		if _, _, err := repo.Search(ctx, db, store.OrderQuery{Cursor: "e30"}); !errors.Is(err, store.ErrBadCursor) {
			t.Fatalf("bad cursor: %v", err)
		}
	})
}

func TestCustomers_UpsertByEmailMergesFields(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		repo := store.Customers{Dialect: db.Dialect}
		a, err := repo.Upsert(ctx, db, canonical.Customer{Email: "Ada@Example.com", FirstName: "Ada", Refs: canonical.Refs{{Connector: "shopify", ID: "1"}}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := repo.Upsert(ctx, db, canonical.Customer{Email: "ada@example.com", Phone: "555", Refs: canonical.Refs{{Connector: "amazon", ID: "x"}}})
		if err != nil {
			t.Fatal(err)
		}
		if a.ID != b.ID || b.FirstName != "Ada" || b.Phone != "555" || len(b.Refs) != 2 || b.Email != "ada@example.com" {
			t.Fatalf("merged = %+v", b)
		}
	})
}

func TestAllocationsAndShipments_ListByOrder(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	al := store.Allocations{Dialect: db.Dialect}
	a, err := al.Put(ctx, db, canonical.Allocation{OrderID: "o1", LocationID: "wh", Status: "requested", Lines: []canonical.LineQuantity{{LineID: "1", Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	a.Status = "accepted"
	if _, err := al.Put(ctx, db, a); err != nil {
		t.Fatal(err)
	}
	list, err := al.ByOrder(ctx, db, "o1")
	if err != nil || len(list) != 1 || list[0].Status != "accepted" {
		t.Fatalf("allocations = %+v %v", list, err)
	}
	sh := store.Shipments{Dialect: db.Dialect}
	if _, err := sh.Put(ctx, db, canonical.Shipment{OrderID: "o1", LocationID: "wh", Status: canonical.TrackPending}); err != nil {
		t.Fatal(err)
	}
	if s, _ := sh.ByOrder(ctx, db, "o1"); len(s) != 1 {
		t.Fatalf("shipments = %+v", s)
	}
}
