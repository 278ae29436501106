package canonical

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// The test numbers the card schemes publish for integration testing.
var testCards = map[string]string{
	"visa":                   "4111111111111111",
	"visa spaced":            "4111 1111 1111 1111",
	"visa dashed":            "4111-1111-1111-1111",
	"visa 19 digits":         "4000000000000000006",
	"mastercard":             "5555555555554444",
	"mastercard spaced":      "5555 5555 5555 4444",
	"mastercard 2-series":    "2223003122003222",
	"amex":                   "378282246310005",
	"amex spaced 4-6-5":      "3782 822463 10005",
	"amex dashed 4-6-5":      "3782-822463-10005",
	"discover":               "6011111111111117",
	"jcb":                    "3530111333300000",
	"unionpay":               "6200000000000005",
	"diners 14 digits 4-6-4": "3056 930902 5904",
}

// digitsOf returns the bare digits of a card, to check no error repeats them.
func digitsOf(s string) string {
	return strings.NewReplacer(" ", "", "-", "").Replace(s)
}

func assertNoDigits(t *testing.T, err error, card string) {
	t.Helper()
	msg := err.Error()
	d := digitsOf(card)
	if strings.Contains(msg, card) || strings.Contains(digitsOf(msg), d) || strings.Contains(msg, d[len(d)-8:]) {
		t.Errorf("error repeats the card digits: %s", msg)
	}
}

func TestCheckNoCardData_RefusesCardNumbersAnywhere(t *testing.T) {
	for name, card := range testCards {
		places := []struct {
			where string
			value any
			path  string
		}{
			{"order notes", Order{Notes: "pay with " + card + " exp 12/27"}, "notes"},
			{"order tags", Order{Tags: []string{"vip", card}}, "tags[1]"},
			{"customer tags", Order{Customer: &Customer{Tags: []string{"x", "card:" + card}}}, "customer.tags[1]"},
			{"product attributes", Product{Attributes: map[string]string{"material": "cotton", "note": card}}, "attributes.note"},
			{"attribute key with spaces", Product{Attributes: map[string]string{"gift message": "use " + card}}, `attributes["gift message"]`},
			{"variant options", Product{Variants: []Variant{{}, {Options: map[string]string{"Engraving": card}}}}, "variants[1].options.Engraving"},
			{"listing fields", Listing{Fields: map[string]string{"bullet_point_1": card}}, "fields.bullet_point_1"},
			{"address line", Order{ShippingAddress: &Address{Line2: card}}, "shipping_address.line2"},
			{"payment token", Order{Payment: &Payment{Token: card}}, "payment.token"},
			{"nested attributes in a raw payload", Record{Kind: KindProduct, Payload: json.RawMessage(
				`{"title":"Tee","attributes":{"care":{"notes":["wash cold","` + card + `"]}}}`)}, "payload.attributes.care.notes[1]"},
			{"plain map", map[string]any{"a": []any{map[string]any{"b": card}}}, "a[0].b"},
			{"beside a quantity", Order{Notes: "qty 2 " + card}, "notes"},
			{"before an expiry date", Order{Notes: card + " 12/27 cvv 123"}, "notes"},
		}
		for _, p := range places {
			err := CheckNoCardData(p.value)
			if err == nil {
				t.Errorf("%s in %s: accepted; want refused", name, p.where)
				continue
			}
			var verrs ValidationErrors
			if !errors.As(err, &verrs) || len(verrs) != 1 || verrs[0].Path != p.path {
				t.Errorf("%s in %s: error %v; want one problem at %s", name, p.where, err, p.path)
			}
			assertNoDigits(t, err, card)
		}
	}
}

func TestCheckNoCardData_PassesLookalikes(t *testing.T) {
	tests := []struct {
		name  string
		value any
	}{
		{"16 digits failing Luhn", Order{Notes: "ref 4111111111111112"}},
		{"16 digits failing Luhn, spaced", Order{Notes: "ref 4111 1111 1111 1112"}},
		{"order numbers", Order{Number: "#100012", Notes: "replaces order #1001 and 1002"}},
		{"Amazon order id, 3-7-7 groups passing Luhn", Order{Notes: "Amazon order 305-1234567-1230008"}},
		{"GTIN-13 passing Luhn by chance, in a note", Order{Notes: "barcode 4054567123487 on the box"}},
		{"GTIN-13 in a tag", Product{Tags: []string{"4054567123487"}}},
		{"GTIN-14 passing Luhn, in an attribute", Product{Attributes: map[string]string{"case_gtin": "54006381330010", "pack": "54006381330010"}}},
		{"GTIN-13 in the barcode field", Product{Variants: []Variant{{Barcode: "4054567123487"}}}},
		{"barcode field with a bad check digit", Product{Variants: []Variant{{Barcode: "4503458129011"}}}},
		{"Shopify 13-digit ids passing Luhn, in id fields", Order{ExternalID: "4503458129011", Lines: []OrderLine{{ID: "4503458129011"}},
			Refs: Refs{{Connector: "shopify-us", ID: "4503458129011"}}}},
		{"Shopify id in a record envelope", Record{ExternalID: "4503458129011", IdempotencyKey: "shopify-us:orders/create:4503458129011",
			Payload: json.RawMessage(`{"external_id":"4503458129011","location_id":"4503458129011"}`)}},
		{"numeric SKU", InventoryLevel{SKU: "4503458129011"}},
		{"phone numbers in E.164", Address{Phone: "+4915112345678", Line2: "call +5511912345678"}},
		{"millisecond timestamps", Order{Notes: "synced at 1718383339123"}},
		{"USPS tracking number in blocks", Order{Notes: "USPS 4209 0210 9400 1111 2222 3333 44"}},
		{"too long to be a card", Order{Notes: "41111111111111111111111"}},
		{"too short", Order{Notes: "411111111111"}},
		{"no card prefix", Order{Notes: "9999999999999995"}},
		{"times and money are not strings", Order{PlacedAt: time.Now(), Totals: Totals{Total: Money{Amount: 4111111111111111, Currency: "USD"}}}},
		{"nil and empty values", Order{}},
	}
	for _, tt := range tests {
		if err := CheckNoCardData(tt.value); err != nil {
			t.Errorf("%s: refused: %v", tt.name, err)
		}
	}
}

func TestCheckNoCardData_CardLayoutStillRefusedInIDFields(t *testing.T) {
	err := CheckNoCardData(Order{ExternalID: "4111 1111 1111 1111"})
	if err == nil {
		t.Fatal("a spaced card number in external_id was accepted")
	}
	if !strings.HasPrefix(err.Error(), "external_id: ") {
		t.Errorf("error %q does not name external_id", err)
	}
}

func TestCheckNoCardData_MapKeyIsRedacted(t *testing.T) {
	err := CheckNoCardData(Product{Attributes: map[string]string{"5555555555554444": "x"}})
	if err == nil {
		t.Fatal("card number as a map key was accepted")
	}
	if !strings.Contains(err.Error(), "attributes[redacted]") {
		t.Errorf("error %q does not name attributes[redacted]", err)
	}
	assertNoDigits(t, err, "5555555555554444")
}

func TestCheckNoCardData_MalformedPayloadScannedAsText(t *testing.T) {
	err := CheckNoCardData(Record{Payload: json.RawMessage(`{"notes": "4111111111111111"`)})
	if err == nil || !strings.HasPrefix(err.Error(), "payload: ") {
		t.Fatalf("err = %v; want a card problem at payload", err)
	}
	assertNoDigits(t, err, "4111111111111111")
}

func TestCheckNoCardData_ReportsEveryField(t *testing.T) {
	err := CheckNoCardData(Order{Notes: testCards["visa"], Tags: []string{testCards["amex"]}, CancelReason: testCards["mastercard spaced"]})
	var verrs ValidationErrors
	if !errors.As(err, &verrs) || len(verrs) != 3 {
		t.Fatalf("err = %v; want three problems", err)
	}
}

func TestLuhn(t *testing.T) {
	for _, d := range []string{"4111111111111111", "5555555555554444", "378282246310005", "79927398713"} {
		if !luhn(d) {
			t.Errorf("luhn(%s) = false", d)
		}
	}
	for _, d := range []string{"4111111111111112", "79927398710", "1234567812345678"} {
		if luhn(d) {
			t.Errorf("luhn(%s) = true", d)
		}
	}
}

func TestValidGTIN(t *testing.T) {
	for _, d := range []string{"4006381333931", "0614141000418", "10614141000415", "4054567123487"} {
		if !validGTIN(d) {
			t.Errorf("validGTIN(%s) = false", d)
		}
	}
	for _, d := range []string{"4006381333932", "4111111111111"} {
		if validGTIN(d) {
			t.Errorf("validGTIN(%s) = true", d)
		}
	}
}

func TestCheckNoCardData_DeepNestingIsRefusedNotSkipped(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 400) + `"4111111111111111"` + strings.Repeat(`}`, 400)
	err := CheckNoCardData(Record{Payload: json.RawMessage(deep)})
	if err == nil {
		t.Fatal("a card number nested 400 levels deep was accepted")
	}
	if strings.Contains(err.Error(), "4111") {
		t.Errorf("error repeats the digits: %v", err)
	}
	shallow := strings.Repeat(`{"a":`, 100) + `"4111111111111111"` + strings.Repeat(`}`, 100)
	err = CheckNoCardData(Record{Payload: json.RawMessage(shallow)})
	if err == nil || !strings.Contains(err.Error(), "payment card") {
		t.Errorf("card 100 levels deep: err = %v; want the card found", err)
	}
}

func TestCheckNoCardData_CyclicValueTerminates(t *testing.T) {
	type node struct {
		Note string `json:"note"`
		Next *node  `json:"next"`
	}
	n := &node{Note: "ok"}
	n.Next = n
	if err := CheckNoCardData(n); err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Errorf("cyclic value: err = %v; want a nesting refusal", err)
	}
}
