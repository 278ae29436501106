package canonical

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fixtures are realistic payloads in testdata/, by kind.
var fixtures = []struct {
	file string
	kind Kind
}{
	{"order.json", KindOrder},
	{"product.json", KindProduct},
	{"shipment.json", KindShipment},
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// loadFixture decodes a fixture strictly into its kind's type.
func loadFixture(t testing.TB, name string, kind Kind) Entity {
	t.Helper()
	v, err := NewPayload(kind)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(readFixture(t, name)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

func decodeAny(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestFixtures_JSONRoundTripIsLossless(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.file, func(t *testing.T) {
			v := loadFixture(t, f.file, f.kind)
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if want, got := decodeAny(t, readFixture(t, f.file)), decodeAny(t, out); !reflect.DeepEqual(want, got) {
				t.Errorf("round trip changed the document:\nfixture: %v\nencoded: %s", want, out)
			}
			again, err := NewPayload(f.kind)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(out, again); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(v, again) {
				t.Errorf("decode(encode(x)) != x:\n%#v\n%#v", v, again)
			}
		})
	}
}

func TestFixtures_AreValid(t *testing.T) {
	for _, f := range fixtures {
		if err := loadFixture(t, f.file, f.kind).Validate(); err != nil {
			t.Errorf("%s: %v", f.file, err)
		}
	}
}

func TestFixtures_OrderAmountsAddUp(t *testing.T) {
	o := *loadFixture(t, "order.json", KindOrder).(*Order)
	var lines, discounts, taxes []Money
	for _, l := range o.Lines {
		sub, err := l.UnitPrice.Mul(l.Quantity)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, sub)
		discounts = append(discounts, l.Discount)
		taxes = append(taxes, l.Tax)
	}
	check := func(what string, parts []Money, want Money) {
		t.Helper()
		if got, err := Sum("USD", parts...); err != nil || got != want {
			t.Errorf("%s: lines sum to %v (%v); totals say %v", what, got, err, want)
		}
	}
	check("subtotal", lines, o.Totals.Subtotal)
	check("discount", discounts, o.Totals.Discount)
	check("tax", taxes, o.Totals.Tax)
	// The line discounts are the order discount allocated by line subtotal.
	alloc, err := Allocate(o.Discounts[0].Amount, []int64{lines[0].Amount, lines[1].Amount})
	if err != nil || alloc[0] != o.Lines[0].Discount || alloc[1] != o.Lines[1].Discount {
		t.Errorf("Allocate(discount) = %v, %v; fixture has %v, %v", alloc, err, o.Lines[0].Discount, o.Lines[1].Discount)
	}
	total, err := Sum("USD", o.Totals.Subtotal, Money{-o.Totals.Discount.Amount, "USD"}, o.Totals.Shipping, o.Totals.Tax)
	if err != nil || total != o.Totals.Total {
		t.Errorf("subtotal - discount + shipping + tax = %v; total is %v", total, o.Totals.Total)
	}
}

func TestRecord_FixturesTravelInTheEnvelope(t *testing.T) {
	for _, f := range fixtures {
		v := loadFixture(t, f.file, f.kind)
		rec, err := NewRecord(f.kind, "shopify-us", v)
		if err != nil {
			t.Fatal(err)
		}
		rec.ExternalID, rec.Version, rec.IdempotencyKey = "5467891234567", 1718383502000, "shopify-us:"+string(f.kind)+":5467891234567:1718383502000"
		rec.At = mustTime(t, "2024-06-14T16:45:03Z")
		raw, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeRecord(raw)
		if err != nil {
			t.Fatalf("%s: DecodeRecord: %v", f.file, err)
		}
		got, err := back.Decode()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, v) {
			t.Errorf("%s: payload changed in the envelope", f.file)
		}
	}
}
