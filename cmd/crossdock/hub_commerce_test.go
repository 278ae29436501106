package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidate_HubSectionsAreCheckedWithTheirPositions(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("hub.yaml", `hub:
  data: sqlite:hub.db
locations: missing.csv
inventory:
  buffers:
    web: { percent: 150 }
routing: rules.yaml
`)
	write("rules.yaml", `version: 1
default_warehouse: wh
shipping_rates:
  currency: USD
  weight_bands_g: [1000]
  zones:
    - { prices: [100, 200] }
rules:
  - name: ship
    when: { fulfilment: ship }
    candidates: { type: warehouse, max_distanse_km: 100 }
`)
	stdout, stderr, code := connectorCLI(t, "validate", filepath.Join(dir, "hub.yaml"))
	out := stdout + stderr
	if code != 1 {
		t.Fatalf("exit %d, want 1; output:\n%s", code, out)
	}
	for _, want := range []string{
		"hub.yaml:3:12: locations: open " + filepath.Join(dir, "missing.csv"),
		"rules.yaml:11:36: candidates: unknown field \"max_distanse_km\"",
		"hub.yaml:5:3: inventory: inventory config: buffers.web: percent 150 is outside 0..100",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
