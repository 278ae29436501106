package canonical

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compileSchemas loads every committed schema and compiles the one named.
func compileSchemas(t testing.TB, name string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	add := func(n string, b []byte) {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if err := c.AddResource(SchemaBaseURL+n+".json", doc); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
	}
	for _, k := range Kinds {
		b, err := Schema(k)
		if err != nil {
			t.Fatal(err)
		}
		add(string(k), b)
	}
	add("record", RecordSchema())
	s, err := c.Compile(SchemaBaseURL + name + ".json")
	if err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	return s
}

func instance(t testing.TB, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSchema_EveryKindHasADraft2020Schema(t *testing.T) {
	for _, k := range Kinds {
		b, err := Schema(k)
		if err != nil {
			t.Fatalf("Schema(%s): %v", k, err)
		}
		var doc struct {
			Schema string `json:"$schema"`
			ID     string `json:"$id"`
			Type   string `json:"type"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if doc.Schema != "https://json-schema.org/draft/2020-12/schema" || doc.ID != SchemaBaseURL+string(k)+".json" || doc.Type != "object" {
			t.Errorf("%s: $schema %q, $id %q, type %q", k, doc.Schema, doc.ID, doc.Type)
		}
		compileSchemas(t, string(k))
	}
	if _, err := Schema("widget"); err == nil || !strings.Contains(err.Error(), "order") {
		t.Errorf("Schema(widget) err = %v; want an error listing the kinds", err)
	}
}

func TestSchema_FixturesConform(t *testing.T) {
	for _, f := range fixtures {
		s := compileSchemas(t, string(f.kind))
		if err := s.Validate(instance(t, readFixture(t, f.file))); err != nil {
			t.Errorf("%s: %v", f.file, err)
		}
		// What Go encodes conforms as well.
		out, err := json.Marshal(loadFixture(t, f.file, f.kind))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(instance(t, out)); err != nil {
			t.Errorf("%s re-encoded: %v", f.file, err)
		}
	}
}

func TestSchema_RefusesWhatValidationRefuses(t *testing.T) {
	s := compileSchemas(t, "order")
	base := string(readFixture(t, "order.json"))
	tests := []struct{ name, from, to string }{
		{"zero quantity", `"quantity": 2`, `"quantity": 0`},
		{"unknown currency", `"amount": 2999, "currency": "USD"`, `"amount": 2999, "currency": "USX"`},
		{"amount as a string", `"amount": 2999,`, `"amount": "29.99",`},
		{"unknown status", `"status": "confirmed"`, `"status": "shipped"`},
		{"lower-case country", `"country": "US"`, `"country": "us"`},
		{"unknown property", `"number": "#1012"`, `"number": "#1012", "numbr": "x"`},
		{"missing required lines", `"lines": [`, `"lines_": [`},
		{"bad time", `"placed_at": "2024-06-14T16:42:19Z"`, `"placed_at": "yesterday"`},
	}
	for _, tt := range tests {
		doc := strings.Replace(base, tt.from, tt.to, 1)
		if doc == base {
			t.Fatalf("%s: fixture has no %q", tt.name, tt.from)
		}
		if err := s.Validate(instance(t, []byte(doc))); err == nil {
			t.Errorf("%s: schema accepted it", tt.name)
		}
	}
}

func TestRecordSchema_ChecksThePayloadByKind(t *testing.T) {
	s := compileSchemas(t, "record")
	env := func(kind, payload string) []byte {
		return []byte(`{"kind":"` + kind + `","source":"shopify-us","version":1,"idempotency_key":"k1",` +
			`"at":"2024-06-14T16:45:03Z","payload":` + payload + `}`)
	}
	if err := s.Validate(instance(t, env("order", string(readFixture(t, "order.json"))))); err != nil {
		t.Errorf("order record: %v", err)
	}
	if err := s.Validate(instance(t, env("shipment", string(readFixture(t, "order.json"))))); err == nil {
		t.Error("an order payload passed as a shipment")
	}
	if err := s.Validate(instance(t, env("widget", `{}`))); err == nil {
		t.Error("unknown kind accepted")
	}
}
