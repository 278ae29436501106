package canonical

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// problems returns the problems of a Validate error as "path: message" lines.
func problems(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var verrs ValidationErrors
	if !errors.As(err, &verrs) {
		t.Fatalf("error %v (%T) is not ValidationErrors", err, err)
	}
	if len(verrs) == 0 {
		t.Fatal("Validate returned an empty ValidationErrors; want nil")
	}
	out := make([]string, len(verrs))
	for i, e := range verrs {
		out[i] = e.Error()
	}
	return out
}

func paths(t *testing.T, err error) []string {
	t.Helper()
	var out []string
	for _, p := range problems(t, err) {
		path, _, _ := strings.Cut(p, ": ")
		out = append(out, path)
	}
	return out
}

func TestOrderValidate_ReportsEveryProblemAtOnce(t *testing.T) {
	o := *loadFixture(t, "order.json", KindOrder).(*Order)
	o.Lines = append(o.Lines, OrderLine{ID: "l3", Title: "Gift wrap", Quantity: 0,
		UnitPrice: Money{500, "EUR"}, Discount: Money{0, "USD"}, Tax: Money{0, "USD"}})
	o.Lines[0].Quantity = -1
	o.Status = "shipped"
	o.ShippingAddress.Country = "USA"
	o.Customer.Email = "maria.lopez(at)example.com"
	o.Taxes[1].Amount.Currency = "usd"
	o.Notes = "card 4111 1111 1111 1111"

	err := o.Validate()
	got := problems(t, err)
	want := []string{
		"status: must be one of pending, confirmed, allocated, partially_fulfilled, fulfilled, cancelled, returned, not \"shipped\"",
		"lines[0].quantity: must be greater than 0",
		"lines[2].sku: is required",
		"lines[2].quantity: must be greater than 0",
		"lines[2].unit_price.currency: EUR differs from the document's currency USD",
		"taxes[1].amount.currency: \"usd\" is not an active ISO 4217 currency code",
		"customer.email: is not an email address",
		"shipping_address.country: must be an ISO 3166-1 alpha-2 code in upper case, e.g. US, not \"USA\"",
		"notes: " + cardMessage,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if !strings.Contains(err.Error(), "lines[0].quantity: must be greater than 0; lines[2].sku: is required") {
		t.Errorf("Error() does not join every problem: %s", err)
	}
	if strings.Contains(err.Error(), "4111") {
		t.Errorf("Error() repeats card digits: %s", err)
	}
}

func TestOrderValidate_LineBookkeepingAndFulfilment(t *testing.T) {
	o := *loadFixture(t, "order.json", KindOrder).(*Order)
	o.ID, o.ExternalID, o.Channel = "", "", ""
	o.Lines[0].Fulfilled, o.Lines[0].Cancelled = 2, 1
	o.Lines[1].Returned = 1
	o.Lines[1].ID = o.Lines[0].ID
	o.Fulfilment = Fulfilment{Method: FulfilPickup}
	o.Refunds = []Refund{{ID: "r1", Amount: Money{-5, "USD"}, Lines: []LineQuantity{{LineID: "nope", Quantity: 1}}}}
	o.PlacedAt = time.Time{}
	o.Payment.Last4 = "42"
	got := paths(t, o.Validate())
	want := []string{"id", "channel", "lines[0].fulfilled", "lines[1].returned", "lines[1].id",
		"payment.last4", "fulfilment.pickup_location_id", "placed_at", "refunds[0].amount.amount", "refunds[0].lines[0].line_id"}
	if !slices.Equal(got, want) {
		t.Errorf("paths = %v; want %v", got, want)
	}
}

func TestOrderValidate_ShipNeedsAnAddressUnlessNothingShips(t *testing.T) {
	o := *loadFixture(t, "order.json", KindOrder).(*Order)
	o.ShippingAddress = nil
	if got := paths(t, o.Validate()); !slices.Equal(got, []string{"shipping_address"}) {
		t.Errorf("paths = %v; want [shipping_address]", got)
	}
	for i := range o.Lines {
		o.Lines[i].RequiresShipping = false
	}
	if err := o.Validate(); err != nil {
		t.Errorf("digital order without an address: %v", err)
	}
}

func TestValidate_EntityRules(t *testing.T) {
	at := mustTime(t, "2024-06-14T16:42:19Z")
	tests := []struct {
		name string
		v    Entity
		want []string
	}{
		{"valid location", Location{ID: "store-3", Name: "Store 3 - Pasadena", Type: LocationStore,
			Address: Address{Country: "US"}, Geo: &GeoPoint{34.1, -118.1}, Capabilities: []Capability{CapShip, CapPickup}, Active: true}, nil},
		{"location", Location{Type: "warehouse2", Address: Address{Country: "us", Email: "x"},
			Geo: &GeoPoint{91, -181}, Capabilities: []Capability{"teleport"}, DailyCapacity: -1},
			[]string{"id", "name", "type", "address.country", "address.email", "geo.lat", "geo.lng", "capabilities[0]", "daily_capacity"}},
		{"location without a country", Location{ID: "w", Name: "W", Type: LocationWarehouse}, []string{"address.country"}},
		{"valid product", Product{ID: "p", Title: "Tee", Variants: []Variant{{SKU: "A", Price: Money{1, "USD"}}}}, nil},
		{"product", Product{Status: "live", Tags: []string{" "}, Variants: []Variant{
			{SKU: "A", Price: Money{-1, "USD"}, CompareAtPrice: &Money{5, "EUR"}, Weight: &Weight{-1}},
			{SKU: "A", Price: Money{1, "XXX"}, Dimensions: &Dimensions{LengthMM: -1}}}},
			[]string{"id", "title", "status", "tags[0]", "variants[0].price.amount", "variants[0].compare_at_price.currency",
				"variants[0].weight.grams", "variants[1].price.currency", "variants[1].dimensions.length_mm", "variants[1].sku"}},
		{"product without variants", Product{Refs: Refs{{Connector: "odoo", ID: "7"}}, Title: "T"}, []string{"variants"}},
		{"inventory level", InventoryLevel{OnHand: -2, Reserved: -1, SafetyStock: -1, Incoming: -1},
			[]string{"sku", "location_id", "reserved", "safety_stock", "incoming"}},
		{"oversold level is allowed", InventoryLevel{SKU: "A", LocationID: "L", OnHand: -2}, nil},
		{"movement", InventoryMovement{SKU: "A", Reason: "theft"}, []string{"location_id", "delta", "reason", "at"}},
		{"count", InventoryCount{SKU: "A", LocationID: "L", OnHand: -1}, []string{"on_hand", "at"}},
		{"shipment", Shipment{OrderID: "o", Status: "lost", Lines: []LineQuantity{{Quantity: 0}},
			Packages: []Package{{Weight: Weight{-5}, Label: &Label{Format: "GIF"}}}, Rate: &Money{100, ""},
			Events: []TrackingEvent{{Status: TrackInTransit, At: at}, {Status: "bounced", At: at.Add(-time.Hour)}},
			ShipTo: &Address{}, CreatedAt: at},
			[]string{"id", "lines[0].line_id", "lines[0].quantity", "status", "packages[0].weight.grams",
				"packages[0].label.format", "packages[0].label", "rate.currency", "events[1].status", "events[1].at", "ship_to.country"}},
		{"return", Return{ID: "r", Status: "pending", Lines: []ReturnLine{{Quantity: 0}}, Refund: &Money{-1, "USD"}},
			[]string{"order_id", "status", "lines[0].line_id", "lines[0].quantity", "refund.amount", "created_at"}},
		{"return without lines", Return{ID: "r", OrderID: "o", Status: ReturnRequested, CreatedAt: at}, []string{"lines"}},
		{"subscription", Subscription{ID: "s", Channel: "recharge", Status: SubscriptionActive,
			Customer: Customer{Email: "no-at-sign"}, ShippingAddress: Address{Country: "US"},
			Lines: []OrderLine{{ID: "1", SKU: "COFFEE", Quantity: 1, UnitPrice: Money{1800, "USD"}, Discount: Money{0, "USD"}, Tax: Money{0, "CAD"}}}},
			[]string{"customer.email", "lines[0].tax.currency", "interval_days", "next_order_at"}},
		{"listing", Listing{Status: ListingError}, []string{"product_id", "channel", "error"}},
		{"allocation", Allocation{Method: "drone", Status: "maybe", DistanceKM: -1, EstimatedShipping: &Money{1, "usd"}, Trace: []TraceStep{{Outcome: "chosen"}}},
			[]string{"order_id", "location_id", "lines", "method", "status", "distance_km", "estimated_shipping.currency", "trace[0].rule"}},
		{"valid allocation", Allocation{OrderID: "o", LocationID: "l", Lines: []LineQuantity{{LineID: "1", Quantity: 1}},
			Method: FulfilShip, Status: AllocationRequested}, nil},
		{"customer", Customer{Email: "a@b", DefaultAddress: &Address{Country: "Germany"}}, []string{"email", "default_address.country"}},
		{"customer with nothing to know them by", Customer{FirstName: "Ann"}, []string{"id"}},
		{"address", Address{Country: "DE", Email: "ann@example.de", Geo: &GeoPoint{Lat: 52.5, Lng: 13.4}}, nil},
		{"set inventory", SetInventory{Available: -1, Previous: new(int64(-3))}, []string{"sku", "location_id", "available", "previous"}},
		{"publish", Publish{}, []string{"product_id"}},
		{"cancel", CancelOrder{Reason: "customer"}, []string{"order_id"}},
		{"money", Money{Amount: 5, Currency: "EURO"}, []string{"currency"}},
		{"geo point", GeoPoint{Lat: -90.5, Lng: 180}, []string{"lat"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := paths(t, tt.v.Validate())
			if !slices.Equal(got, tt.want) {
				t.Errorf("paths = %v; want %v\n%v", got, tt.want, tt.v.Validate())
			}
		})
	}
}

func TestRecordValidate_PayloadProblemsCarryThePayloadPrefix(t *testing.T) {
	o := *loadFixture(t, "order.json", KindOrder).(*Order)
	o.Lines[1].Quantity = 0
	o.Lines[0].Title = "Tee (paid with 5555 5555 5555 4444)"
	rec, err := NewRecord(KindOrder, "shopify-us", o)
	if err != nil {
		t.Fatal(err)
	}
	rec.At = mustTime(t, "2024-06-14T16:45:03Z")
	got := paths(t, rec.Validate())
	want := []string{"idempotency_key", "payload.lines[1].quantity", "payload.lines[0].title"}
	if !slices.Equal(got, want) {
		t.Errorf("paths = %v; want %v", got, want)
	}
}

func TestRecordValidate_EnvelopeAndDecoding(t *testing.T) {
	at := mustTime(t, "2024-06-14T16:45:03Z")
	tests := []struct {
		name string
		rec  Record
		want []string
	}{
		{"empty", Record{}, []string{"kind", "source", "idempotency_key", "at", "payload"}},
		{"unknown kind", Record{Kind: "widget", Source: "s", IdempotencyKey: "k", At: at, Payload: json.RawMessage(`{}`)}, []string{"kind"}},
		{"null payload", Record{Kind: KindOrder, Source: "s", IdempotencyKey: "k", At: at, Payload: json.RawMessage(`null`)}, []string{"payload"}},
		{"payload of the wrong shape", Record{Kind: KindInventoryLevel, Source: "s", IdempotencyKey: "k", At: at, Version: -1,
			Payload: json.RawMessage(`{"sku": 12}`)}, []string{"version", "payload.sku"}},
		{"payload with trailing data", Record{Kind: KindInventoryLevel, Source: "s", IdempotencyKey: "k", At: at,
			Payload: json.RawMessage(`{"sku":"A","location_id":"L"} {}`)}, []string{"payload"}},
		{"valid level", Record{Kind: KindInventoryLevel, Source: "s", IdempotencyKey: "k", At: at,
			Payload: json.RawMessage(`{"sku":"A","location_id":"L","on_hand":3,"reserved":0,"safety_stock":0,"incoming":0}`)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := paths(t, tt.rec.Validate()); !slices.Equal(got, tt.want) {
				t.Errorf("paths = %v; want %v (%v)", got, tt.want, tt.rec.Validate())
			}
		})
	}
}

func TestDecodeRecord_RefusesGarbageWithoutPanicking(t *testing.T) {
	for _, in := range []string{"", "{", "[]", "null", `{"kind":"order"}`, `{"kind":"order","payload":"x"}`} {
		if _, err := DecodeRecord([]byte(in)); err == nil {
			t.Errorf("DecodeRecord(%q) accepted", in)
		}
	}
}

func TestDecodeErrors_NeverQuoteLongDigitRuns(t *testing.T) {
	rec := Record{Kind: KindInventoryLevel, Source: "s", IdempotencyKey: "k", At: time.Unix(1, 0),
		Payload: json.RawMessage(`{"sku":"A","location_id":"L","on_hand":41111111111111111111111}`)}
	err := rec.Validate()
	if err == nil {
		t.Fatal("overflowing on_hand accepted")
	}
	if strings.Contains(err.Error(), "41111111111111") {
		t.Errorf("error quotes the digits: %v", err)
	}
}

func TestNewPayload_CoversEveryKind(t *testing.T) {
	for _, k := range Kinds {
		v, err := NewPayload(k)
		if err != nil || v == nil {
			t.Errorf("NewPayload(%s) = %v, %v", k, v, err)
		}
		if _, ok := v.(validator); !ok {
			t.Errorf("%s payload %T cannot validate inside a record", k, v)
		}
	}
	if _, err := NewPayload("widget"); err == nil {
		t.Error("NewPayload(widget) succeeded")
	}
}
