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
