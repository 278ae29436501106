package shopify

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
)

func testMapper() *mapper {
	cfg := &Config{Instance: "shopify-us", Locations: map[string]string{
		"gid://shopify/Location/68123456789": "wh-reno",
		"gid://shopify/Location/68123456791": "store-chicago",
	}}
	return &mapper{cfg: cfg, currency: "USD"}
}

func loadFixture(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func usd(n int64) canonical.Money { return canonical.Money{Amount: n, Currency: "USD"} }

func mapGraphQLFixture(t *testing.T, name string) canonical.Order {
	t.Helper()
	var g gOrder
	loadFixture(t, name, &g)
	o, err := testMapper().mapOrder(&g)
	if err != nil {
		t.Fatalf("map %s: %v", name, err)
	}
	if err := o.Validate(); err != nil {
		t.Fatalf("%s maps to an invalid order: %v", name, err)
	}
	return o
}

func mapRESTFixture(t *testing.T, name string) canonical.Order {
	t.Helper()
	var r rOrder
	loadFixture(t, name, &r)
	o, err := testMapper().mapOrder(r.toGraphQL())
	if err != nil {
		t.Fatalf("map %s: %v", name, err)
	}
	if err := o.Validate(); err != nil {
		t.Fatalf("%s maps to an invalid order: %v", name, err)
	}
	return o
}

func TestMapping_OrderFixtures(t *testing.T) {
	web := mapGraphQLFixture(t, "graphql_order_web.json")
	pos := mapGraphQLFixture(t, "graphql_order_pos.json")
	cancelled := mapRESTFixture(t, "webhook_orders_cancelled.json")
	cancelledAt := time.Date(2025, 3, 16, 15, 0, 0, 0, time.UTC)

	tests := []struct {
		name string
		got  any
		want any
	}{
		{"web order number and external id", []string{web.Number, web.ExternalID}, []string{"#1042", "gid://shopify/Order/5841234567890"}},
		{"partial fulfilment status", web.Status, canonical.OrderPartiallyFulfilled},
		{"shop currency amounts, presentment currency kept", []any{web.Totals.Total, web.PresentmentCurrency}, []any{usd(18825), "CAD"}},
		{"money strings to minor units", web.Lines[0].UnitPrice, usd(12900)},
		{"line discount from discountAllocations", []canonical.Money{web.Lines[0].Discount, web.Lines[1].Discount}, []canonical.Money{usd(1290), usd(550)}},
		{"line tax from taxLines", []canonical.Money{web.Lines[0].Tax, web.Lines[1].Tax}, []canonical.Money{usd(1030), usd(440)}},
		{"fulfilled units from unfulfilledQuantity", []int64{web.Lines[0].Fulfilled, web.Lines[1].Fulfilled}, []int64{1, 0}},
		{"variant title joins the line title", web.Lines[1].Title, "Merino Crew Sock - M"},
		{"subtotal is lines before discounts", web.Totals.Subtotal, usd(18450)},
		{"totals", []canonical.Money{web.Totals.Discount, web.Totals.Shipping, web.Totals.Tax}, []canonical.Money{usd(1840), usd(795), usd(1470)}},
		{"shipping line", web.ShippingLines, []canonical.ShippingLine{{Code: "STANDARD", Title: "Standard Shipping", Price: usd(795), Discount: usd(0), Tax: usd(0)}}},
		{"order tax lines with basis points", web.Taxes, []canonical.TaxLine{{Title: "NY State Tax", RateBasisPoints: 888, Amount: usd(1470)}}},
		{"discount code with total", web.Discounts, []canonical.Discount{{Code: "SPRING10", Amount: usd(1840)}}},
		{"customer email lower-cased", web.Customer.Email, "ava.nguyen@example.com"},
		{"shipping address with geo", []any{web.ShippingAddress.PostalCode, web.ShippingAddress.Region, web.ShippingAddress.Geo}, []any{"10118", "NY", &canonical.GeoPoint{Lat: 40.7484, Lng: -73.9857}}},
		{"shipped with a service level", web.Fulfilment, canonical.Fulfilment{Method: canonical.FulfilShip, ShippingMethod: "standard"}},
		{"placed at processedAt", web.PlacedAt, time.Date(2025, 3, 14, 16, 2, 10, 0, time.UTC)},
		{"POS order: no customer", pos.Customer, (*canonical.Customer)(nil)},
		{"POS order: store is the source location", pos.SourceLocationID, "store-chicago"},
		{"POS order: handed over at the store", pos.Fulfilment, canonical.Fulfilment{Method: canonical.FulfilPickup, PickupLocationID: "store-chicago"}},
		{"POS order: fulfilled, paid in cash", []any{pos.Status, pos.Payment.Gateway}, []any{canonical.OrderFulfilled, "cash"}},
		{"cancelled order status and reason", []any{cancelled.Status, cancelled.CancelReason, *cancelled.CancelledAt}, []any{canonical.OrderCancelled, "customer", cancelledAt}},
		{"guest without email has no customer", cancelled.Customer, (*canonical.Customer)(nil)},
		{"gift card line is not stock", []bool{cancelled.Lines[0].GiftCard, cancelled.Lines[0].RequiresShipping}, []bool{true, false}},
		{"cancelled units from current_quantity", []int64{cancelled.Lines[0].Cancelled, cancelled.Lines[1].Cancelled}, []int64{1, 1}},
		{"refund with lines and restock", cancelled.Refunds, []canonical.Refund{{ID: "gid://shopify/Refund/929361464", Amount: usd(7500), Reason: "Order canceled",
			Lines:   []canonical.LineQuantity{{LineID: "gid://shopify/LineItem/14465471530001", SKU: "GIFT-50", Quantity: 1}, {LineID: "gid://shopify/LineItem/14465471530002", SKU: "CVT-M", Quantity: 1}},
			Restock: true, At: time.Date(2025, 3, 16, 15, 0, 1, 0, time.UTC)}}},
		{"financial status refunded", cancelled.Payment.Status, "refunded"},
		{"null fulfillment_status is unfulfilled, not an error", cancelled.Lines[1].Fulfilled, int64(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v\nwant %#v", tt.got, tt.want)
			}
		})
	}
}

// The REST webhook body and the GraphQL node of the same order version map
// to the same canonical order.
func TestMapping_WebhookAndGraphQLOfOneOrderAgree(t *testing.T) {
	fromPoll := mapGraphQLFixture(t, "graphql_order_web.json")
	fromHook := mapRESTFixture(t, "webhook_orders_create.json")
	a, _ := json.MarshalIndent(fromPoll, "", " ")
	b, _ := json.MarshalIndent(fromHook, "", " ")
	if string(a) != string(b) {
		t.Errorf("webhook and poll differ\npoll: %s\nhook: %s", a, b)
	}
}

func TestMapping_ProductWebhook(t *testing.T) {
	var r rProduct
	loadFixture(t, "webhook_products_update.json", &r)
	p, err := testMapper().mapProduct(r.toGraphQL())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("invalid product: %v", err)
	}
	cmp := usd(14900)
	want := canonical.Variant{SKU: "TRS-S", Barcode: "0123456789012", Title: "S", Options: map[string]string{"Size": "S"}, Price: usd(12900), CompareAtPrice: &cmp,
		Refs: canonical.Refs{{Connector: "shopify-us", ID: "gid://shopify/ProductVariant/41234567890122"}, {Connector: "shopify-us/inventory_item", ID: "gid://shopify/InventoryItem/43123456789122"}}}
	if !reflect.DeepEqual(p.Variants[0], want) {
		t.Errorf("variant = %#v\nwant %#v", p.Variants[0], want)
	}
	if p.Handle != "trail-runner-shoe" || p.Category != "Shoes" || !reflect.DeepEqual(p.Tags, []string{"running", "shoes"}) || p.Status != canonical.ProductActive {
		t.Errorf("product fields: %+v", p)
	}
	if p.Variants[1].CompareAtPrice != nil || p.Variants[1].Barcode != "" {
		t.Errorf("null compare_at_price/barcode mapped to %v %q", p.Variants[1].CompareAtPrice, p.Variants[1].Barcode)
	}
}

func TestMapping_MoneyRefusesInexactAmounts(t *testing.T) {
	m := testMapper()
	for _, amt := range []string{"1.234", "12,00", "abc", ""} {
		if _, err := m.money(&gBag{ShopMoney: gMoney{Amount: amt, CurrencyCode: "USD"}}); err == nil {
			t.Errorf("amount %q accepted", amt)
		}
	}
	jpy, err := m.money(&gBag{ShopMoney: gMoney{Amount: "1500", CurrencyCode: "JPY"}})
	if err != nil || jpy != (canonical.Money{Amount: 1500, Currency: "JPY"}) {
		t.Errorf("JPY 1500 = %v, %v", jpy, err)
	}
	kwd, err := m.money(&gBag{ShopMoney: gMoney{Amount: "1.250", CurrencyCode: "KWD"}})
	if err != nil || kwd.Amount != 1250 {
		t.Errorf("KWD 1.250 = %v, %v", kwd, err)
	}
}

func TestMapping_NullDisplayFulfillmentStatusIsUnfulfilled(t *testing.T) {
	var g gOrder
	loadFixture(t, "graphql_order_web.json", &g)
	g.DisplayFulfillmentStatus = nil
	g.DisplayFinancialStatus = nil
	o, err := testMapper().mapOrder(&g)
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != canonical.OrderPending {
		t.Errorf("status = %q, want pending (no financial status, no fulfilment status)", o.Status)
	}
}
