package canonical

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzDecodeRecord feeds arbitrary bytes to DecodeRecord, as a webhook or a
// plugin might. It must never panic; what it accepts must be valid, survive a
// re-encoding unchanged in meaning, and decode into its kind's type. Seeds are
// in testdata/fuzz/FuzzDecodeRecord.
func FuzzDecodeRecord(f *testing.F) {
	f.Add([]byte(`{"kind":"inventory_level","source":"s","version":1,"idempotency_key":"k","at":"2024-06-14T16:45:03Z",` +
		`"payload":{"sku":"A","location_id":"L","on_hand":3,"reserved":0,"safety_stock":0,"incoming":0}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := DecodeRecord(data)
		if err != nil {
			var verrs ValidationErrors
			if errors.As(err, &verrs) && len(verrs) == 0 {
				t.Fatal("empty ValidationErrors returned as an error")
			}
			return
		}
		if err := rec.Validate(); err != nil {
			t.Fatalf("DecodeRecord accepted a record that does not validate: %v", err)
		}
		v, err := rec.Decode()
		if err != nil {
			t.Fatalf("accepted record's payload does not decode: %v", err)
		}
		if err := v.Validate(); err != nil {
			t.Fatalf("accepted record's payload does not validate on its own: %v", err)
		}
		again, err := json.Marshal(rec)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if _, err := DecodeRecord(again); err != nil {
			t.Fatalf("re-encoded record refused: %v", err)
		}
	})
}

// FuzzParseMoney checks that ParseMoney never panics and is exact: whatever it
// accepts formats back to a decimal that parses to the same Money. Seeds are in
// testdata/fuzz/FuzzParseMoney.
func FuzzParseMoney(f *testing.F) {
	f.Add("59.98", "USD")
	f.Fuzz(func(t *testing.T, s, currency string) {
		m, err := ParseMoney(s, currency)
		if err != nil {
			if m != (Money{}) {
				t.Fatalf("error %v with a non-zero Money %v", err, m)
			}
			return
		}
		if !KnownCurrency(m.Currency) {
			t.Fatalf("accepted unknown currency %q", m.Currency)
		}
		back, err := ParseMoney(m.Decimal(), m.Currency)
		if err != nil || back != m {
			t.Fatalf("ParseMoney(%q, %q) = %v, but its Decimal %q parses to %v, %v", s, currency, m, m.Decimal(), back, err)
		}
		if !strings.HasSuffix(m.String(), " "+m.Currency) {
			t.Fatalf("String() = %q lacks the currency", m.String())
		}
	})
}

// FuzzCheckNoCardData checks that the card guard never panics and never
// repeats what it refuses.
func FuzzCheckNoCardData(f *testing.F) {
	f.Add("4111 1111 1111 1111")
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckNoCardData(Order{Notes: s, Tags: []string{s}, Refs: Refs{{Connector: "c", ID: s}}})
		if err == nil {
			return
		}
		for _, e := range err.(ValidationErrors) {
			if e.Message != cardMessage || !(e.Path == "notes" || e.Path == "tags[0]" || e.Path == "refs[0].id") {
				t.Fatalf("unexpected problem %v", e)
			}
		}
	})
}
