package engine

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
)

func TestEncodeRecord_SameAsJSONMarshal(t *testing.T) {
	recs := []canonical.Record{
		{Kind: canonical.KindOrder, ID: "o1", Source: "shopify-us", ExternalID: "5001", Version: 7, IdempotencyKey: "k",
			At: time.Date(2026, 3, 2, 10, 0, 0, 123, time.UTC), Payload: json.RawMessage(`{"id":"o1","tags":["a"]}`)},
		{Kind: canonical.KindProduct, Source: "erp", IdempotencyKey: "k2"},
	}
	for _, rec := range recs {
		got, err := encodeRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(rec)
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%s is not JSON: %v", got, err)
		}
		_ = json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
	// Every field of the envelope but the payload is in the header.
	rt, ht := reflect.TypeOf(canonical.Record{}), reflect.TypeOf(envelopeHeader{})
	if rt.NumField() != ht.NumField()+1 {
		t.Errorf("canonical.Record has %d fields, the header %d (+ payload): keep them in step", rt.NumField(), ht.NumField())
	}
}

func TestOneDecoder_SameRecordAsTwoPasses(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	payload, _ := json.Marshal(canonical.Order{ID: "o1", Tags: []string{"a"}, PlacedAt: at,
		Totals: canonical.Totals{Total: canonical.Money{Amount: 5, Currency: "USD"}}})
	data, _ := json.Marshal(canonical.Record{Kind: canonical.KindOrder, ID: "o1", Source: "s", ExternalID: "e", Version: 3,
		IdempotencyKey: "k", At: at, Payload: payload})
	d, ok := newOneDecoder(canonical.KindOrder)
	if !ok {
		t.Fatal("no decoder for orders")
	}
	rec, ok, err := d.decode(data, map[string]string{"kind": "order"})
	if err != nil || !ok {
		t.Fatalf("decode: %v %v", ok, err)
	}
	env, err := rec.Envelope()
	if err != nil {
		t.Fatal(err)
	}
	var want canonical.Record
	_ = json.Unmarshal(data, &want)
	var gotP, wantP canonical.Order
	_ = json.Unmarshal(env.Payload, &gotP)
	_ = json.Unmarshal(want.Payload, &wantP)
	env.Payload, want.Payload = nil, nil
	if !reflect.DeepEqual(env, want) || !reflect.DeepEqual(gotP, wantP) {
		t.Errorf("got %+v %+v\nwant %+v %+v", env, gotP, want, wantP)
	}
	if _, ok, _ := d.decode(data, map[string]string{"kind": "product"}); ok {
		t.Error("decoded a message of another kind as an order")
	}
}
