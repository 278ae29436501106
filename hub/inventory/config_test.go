package inventory_test

import (
	"strings"
	"testing"

	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

func decodeConfig(t *testing.T, src string) (inventory.Config, error) {
	t.Helper()
	n, err := yamlconf.Parse("hub.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var c inventory.Config
	d := yamlconf.NewDecoder("hub.yaml", nil)
	d.Decode(n, &c)
	return c, d.Err()
}

func TestConfig_DecodesTheHubYAMLSectionStrictly(t *testing.T) {
	c, err := decodeConfig(t, `
reservation_ttl: 48h
safety_stock:
  - { name: stores, groups: [stores], quantity: 2 }
  - { name: fragile, tags: [fragile], locations: [wh-east], quantity: 5 }
buffers:
  shopify-us: { groups: [us], fixed: 2, zero_below: 3 }
  amazon-us: { percent: 80, cap: 100, exclude: [st-1] }
  pos: { per_location: true }
`)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(c.SafetyStock) != 2 || c.SafetyStock[1].Quantity != 5 || c.Buffers["amazon-us"].Percent == nil || *c.Buffers["amazon-us"].Percent != 80 ||
		!c.Buffers["pos"].PerLocation || c.Buffers["shopify-us"].ZeroBelow != 3 {
		t.Fatalf("config = %+v", c)
	}
	_, err = decodeConfig(t, "buffers:\n  web: { fixd: 2 }\n")
	if err == nil || !strings.Contains(err.Error(), "hub.yaml:2") || !strings.Contains(err.Error(), "fixd") {
		t.Fatalf("typo must be reported with its line: %v", err)
	}
}
