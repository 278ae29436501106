package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/crossdockhq/crossdock/canonical"
)

func schemaCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runCLI(t, "", "info", args...)
}

func TestSchemaCmd_PrintsTheKindsSchema(t *testing.T) {
	out, stderr, code := schemaCLI(t, "schema", "order")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" || doc["$id"] != canonical.SchemaBaseURL+"order.json" {
		t.Errorf("$schema %v, $id %v", doc["$schema"], doc["$id"])
	}
	want, err := canonical.Schema(canonical.KindOrder)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Error("output differs from canonical.Schema(order)")
	}
	out, _, code = schemaCLI(t, "schema", "record")
	if code != 0 || out != string(canonical.RecordSchema()) {
		t.Errorf("schema record: exit %d, output differs from canonical.RecordSchema", code)
	}
}

func TestSchemaCmd_UnknownKindListsTheKnownOnes(t *testing.T) {
	out, stderr, code := schemaCLI(t, "schema", "widget")
	if code == 0 || out != "" {
		t.Fatalf("exit %d, stdout %q; want a failure and no output", code, out)
	}
	for _, k := range []string{`"widget"`, "order", "inventory_level", "allocation", "record"} {
		if !strings.Contains(stderr, k) {
			t.Errorf("stderr %q does not mention %s", stderr, k)
		}
	}
}

func TestSchemaCmd_WithoutKindListsKinds(t *testing.T) {
	out, stderr, code := schemaCLI(t, "schema")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, k := range canonical.Kinds {
		if !strings.Contains(out, "\n"+string(k)+" ") {
			t.Errorf("listing lacks %s:\n%s", k, out)
		}
	}
	if !strings.Contains(out, "Order is a customer's order from any channel.") {
		t.Errorf("listing lacks descriptions:\n%s", out)
	}
	names, _, _ := schemaCLI(t, "schema", "--names")
	if got := strings.Fields(names); len(got) != len(canonical.Kinds)+1 || got[0] != "order" || got[len(got)-1] != "record" {
		t.Errorf("--names = %v", got)
	}
}

func TestSchemaCmd_HelpHasExamples(t *testing.T) {
	out, _, code := schemaCLI(t, "schema", "--help")
	if code != 0 || !strings.Contains(out, "Examples:") || !strings.Contains(out, "crossdock schema order") {
		t.Errorf("help (exit %d) lacks examples:\n%s", code, out)
	}
}
