package shopify

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/connectors/shopify/sandbox"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

func command(t *testing.T, id string, action canonical.Action, payload any) sdk.Command {
	t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return sdk.Command{ID: id, Action: action, IdempotencyKey: "key-" + id, Payload: raw}
}

func writeOne(t *testing.T, s *shop, cmd sdk.Command) sdk.Result {
	t.Helper()
	rs := s.conn.Write(ctxT(t, 30*time.Second), []sdk.Command{cmd})
	if len(rs) != 1 || rs[0].CommandID != cmd.ID {
		t.Fatalf("results %+v", rs)
	}
	return rs[0]
}

func emptyShop(t *testing.T) *shop {
	seed := sandbox.DefaultSeed()
	seed.Orders = 0
	return newShop(t, sandbox.Config{Seed: &seed, Plan: sandbox.PlanPlus}, nil)
}

func TestWrite_FulfilTwiceCreatesOneFulfillment(t *testing.T) {
	s := emptyShop(t)
	oid, err := s.srv.PlaceOrder(sandbox.OrderSpec{Lines: []sandbox.OrderLineSpec{{SKU: "TRS-M", Quantity: 2}, {SKU: "MCS-L", Quantity: 1}}, Email: "f@example.com", FirstName: "F", LastName: "L"})
	if err != nil {
		t.Fatal(err)
	}
	lines := s.srv.LineIDs(oid)
	sh := canonical.Shipment{OrderID: oid, Lines: []canonical.LineQuantity{{LineID: lines[0], SKU: "TRS-M", Quantity: 2}}, Carrier: "ups",
		Packages: []canonical.Package{{TrackingNumber: "1Z999AA10123456784", TrackingURL: "https://www.ups.com/track?tracknum=1Z999AA10123456784"}}}
	first := writeOne(t, s, command(t, "f1", canonical.ActionFulfilOrder, sh))
	second := writeOne(t, s, command(t, "f1", canonical.ActionFulfilOrder, sh))
	if first.Status != sdk.StatusOK || second.Status != sdk.StatusOK {
		t.Fatalf("results %+v / %+v", first, second)
	}
	if first.ExternalID == "" || first.ExternalID != second.ExternalID {
		t.Errorf("fulfillment ids %q and %q; want one", first.ExternalID, second.ExternalID)
	}
	if n := s.srv.FulfillmentCount(oid); n != 1 {
		t.Errorf("%d fulfillments, want 1", n)
	}
	recs, _, _ := readAll(t, s.conn, StreamOrders, nil)
	o := decodeOrder(t, recs[0])
	if o.Status != canonical.OrderPartiallyFulfilled || o.Lines[0].Fulfilled != 2 || o.Lines[1].Fulfilled != 0 {
		t.Errorf("order after fulfilment: status %s, fulfilled %d/%d", o.Status, o.Lines[0].Fulfilled, o.Lines[1].Fulfilled)
	}
}

func TestWrite_CancelTwiceCancelsOnceAndRestocks(t *testing.T) {
	s := emptyShop(t)
	before, _ := s.srv.Available("HKP-S", "Reno Warehouse")
	oid, err := s.srv.PlaceOrder(sandbox.OrderSpec{Lines: []sandbox.OrderLineSpec{{SKU: "HKP-S", Quantity: 2}}, Email: "c@example.com", FirstName: "C", LastName: "X"})
	if err != nil {
		t.Fatal(err)
	}
	cmd := command(t, "c1", canonical.ActionCancelOrder, canonical.CancelOrder{OrderID: "o-1", ExternalID: oid, Reason: "inventory", Restock: true, Refund: true})
	for i := 0; i < 2; i++ {
		if r := writeOne(t, s, cmd); r.Status != sdk.StatusOK || r.ExternalID != oid {
			t.Fatalf("attempt %d: %+v", i+1, r)
		}
	}
	if !s.srv.OrderCancelled(oid) {
		t.Fatal("order not cancelled")
	}
	if after, _ := s.srv.Available("HKP-S", "Reno Warehouse"); after != before {
		t.Errorf("available %d after restock, want %d", after, before)
	}
}

func TestWrite_SetInventoryCompareAndSet(t *testing.T) {
	s := emptyShop(t)
	loc := s.srv.LocationGID("Pasadena Store")
	ten := int64(25) // the seeded quantity the hub last published
	stale := int64(99)
	tests := []struct {
		name     string
		sku      string
		before   func()
		previous *int64
		target   int64
	}{
		{"previous matches", "TRS-S", nil, &ten, 30},
		{"changed behind our back: re-read and retried", "TRS-M", func() { _ = s.srv.SetAvailable("TRS-M", "Pasadena Store", 4) }, &ten, 12},
		{"previous unknown: read first", "TRS-L", nil, nil, 7},
		{"already at target (a retry after success)", "MCS-S", func() { _ = s.srv.SetAvailable("MCS-S", "Pasadena Store", 8) }, &stale, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			r := writeOne(t, s, command(t, tt.sku, canonical.ActionSetInventory, canonical.SetInventory{SKU: tt.sku, LocationID: loc, Available: tt.target, Previous: tt.previous}))
			if r.Status != sdk.StatusOK {
				t.Fatalf("result %+v", r)
			}
			if got, _ := s.srv.Available(tt.sku, "Pasadena Store"); got != tt.target {
				t.Errorf("available %d, want %d", got, tt.target)
			}
		})
	}
}

func TestWrite_SetInventoryRefusesUnknownSKUAndUnmappedLocation(t *testing.T) {
	s := emptyShop(t)
	loc := s.srv.LocationGID("Pasadena Store")
	tests := []struct {
		name string
		p    canonical.SetInventory
	}{
		{"unknown sku", canonical.SetInventory{SKU: "NOPE-1", LocationID: loc, Available: 1}},
		{"unmapped location", canonical.SetInventory{SKU: "TRS-S", LocationID: "store-42", Available: 1}},
		{"negative quantity", canonical.SetInventory{SKU: "TRS-S", LocationID: loc, Available: -1}},
		{"gift card is not stocked", canonical.SetInventory{SKU: "GIFT-25", LocationID: loc, Available: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := writeOne(t, s, command(t, tt.name, canonical.ActionSetInventory, tt.p)); r.Status != sdk.StatusPermanent {
				t.Errorf("status %s (%s), want permanent", r.Status, r.Error)
			}
		})
	}
}

func TestWrite_UpsertProductIsIdempotentAndUpdatesByHandle(t *testing.T) {
	s := emptyShop(t)
	_, before, _ := s.srv.Counts()
	p := canonical.Product{ID: "p-1", Handle: "summit-jacket", Title: "Summit Jacket", Vendor: "Crossdock", Category: "Outerwear", Status: canonical.ProductActive,
		Variants: []canonical.Variant{{SKU: "SJ-M", Options: map[string]string{"Size": "M"}, Price: usd(24900)}, {SKU: "SJ-L", Options: map[string]string{"Size": "L"}, Price: usd(24900)}}}
	first := writeOne(t, s, command(t, "u1", canonical.ActionUpsertProduct, p))
	second := writeOne(t, s, command(t, "u1", canonical.ActionUpsertProduct, p))
	if first.Status != sdk.StatusOK || second.Status != sdk.StatusOK || first.ExternalID != second.ExternalID {
		t.Fatalf("results %+v / %+v", first, second)
	}
	p.Variants[0].Price = usd(22900)
	if r := writeOne(t, s, command(t, "u2", canonical.ActionUpsertProduct, p)); r.Status != sdk.StatusOK || r.ExternalID != first.ExternalID {
		t.Fatalf("update: %+v", r)
	}
	_, after, _ := s.srv.Counts()
	id, variants, price, ok := s.srv.ProductByHandle("summit-jacket")
	if !ok || id != first.ExternalID || variants != 2 || price != 22900 || after != before+1 {
		t.Errorf("product %s ok=%v variants=%d price=%d, products %d -> %d", id, ok, variants, price, before, after)
	}
	if r := writeOne(t, s, command(t, "u3", canonical.ActionUpsertProduct, canonical.Product{Title: "No variants"})); r.Status != sdk.StatusPermanent {
		t.Errorf("product without variants: %s", r.Status)
	}
}

func TestWrite_PublishAndUnpublish(t *testing.T) {
	s := emptyShop(t)
	id, _, _, _ := s.srv.ProductByHandle("canvas-tote")
	for _, published := range []bool{false, true, false} {
		r := writeOne(t, s, command(t, "pub", canonical.ActionPublishProduct, canonical.Publish{ProductID: "p", ExternalID: id, Published: published}))
		if r.Status != sdk.StatusOK {
			t.Fatalf("publish=%v: %+v", published, r)
		}
		if got := s.srv.ProductPublished("canvas-tote", "Online Store"); got != published {
			t.Errorf("published on Online Store = %v, want %v", got, published)
		}
	}
	if r := writeOne(t, s, command(t, "bad", canonical.ActionPublishProduct, canonical.Publish{ExternalID: "gid://shopify/Product/1", Published: true})); r.Status != sdk.StatusPermanent {
		t.Errorf("unknown product: %s %s", r.Status, r.Error)
	}
}

func TestWrite_ServerErrorOnMutationIsRetryable(t *testing.T) {
	s := emptyShop(t)
	loc := s.srv.LocationGID("Chicago Store")
	prev := int64(25)
	s.conn.client.sleep = func(context.Context, time.Duration) error { return nil } // no real backoff
	s.srv.Inject(sandbox.FaultServerError, 20)
	r := writeOne(t, s, command(t, "i", canonical.ActionSetInventory, canonical.SetInventory{SKU: "WLB-S", LocationID: loc, Available: 3, Previous: &prev}))
	if r.Status != sdk.StatusRetryable {
		t.Fatalf("status %s (%s), want retryable", r.Status, r.Error)
	}
}
