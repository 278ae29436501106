package routing

import (
	"errors"
	"strings"
	"testing"
)

func TestLoadRules_DefaultRuleSetIsValid(t *testing.T) {
	rs := defaultRules(t)
	if len(rs.Rules) != 6 || rs.DefaultWarehouse != "wh-main" || rs.Rates.Currency != "USD" {
		t.Fatalf("unexpected default rules: %d rules, warehouse %q", len(rs.Rules), rs.DefaultWarehouse)
	}
	if err := ValidateRules("../../configs/routing/default.yaml"); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRules_ErrorsGiveTheirPosition(t *testing.T) {
	_, err := LoadRules("testdata/broken.yaml")
	var errs RuleErrors
	if !errors.As(err, &errs) {
		t.Fatalf("want RuleErrors, got %v", err)
	}
	want := []string{
		"testdata/broken.yaml:7:31: zone.prices has 2 prices, want 3",
		"testdata/broken.yaml:13:33: when.condition: Syntax error: mismatched input '<EOF>'",
		"testdata/broken.yaml:15:13: candidates.type: \"shop\" is not one of",
		"testdata/broken.yaml:16:7: candidates: unknown field \"max_distance\"",
		"testdata/broken.yaml:18:22: rank.by: \"nearness\" is not one of",
		"testdata/broken.yaml:21:12: rule \"split-without-partial\": split allowed needs candidates.lines: partial",
		"testdata/broken.yaml:22:16: otherwise: action hold needs a queue name",
		"testdata/broken.yaml:23:5: rule \"nearby\": duplicate name",
		"testdata/broken.yaml:25:18: when.condition: condition yields int, want bool",
	}
	text := err.Error()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q in:\n%s", w, text)
		}
	}
	if len(errs) != len(want) {
		t.Errorf("got %d errors, want %d:\n%s", len(errs), len(want), text)
	}
}

func TestDecodeRules_RejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"InvalidYAML", "rules: [\n", "x.yaml:1:1: invalid YAML"},
		{"Empty", "", "x.yaml:1:1: empty rules file"},
		{"MissingSections", "version: 1\n", "default_warehouse is required"},
		{"WrongVersion", "version: 2\n", "x.yaml:1:10: version: only version 1 is known"},
		{"ConditionNotBool", "default_warehouse: w\nshipping_rates: {currency: USD, weight_bands_g: [1], zones: [{prices: [1, 2]}]}\nrules:\n  - name: a\n    when: { condition: \"order.total + 1\" }\n",
			"x.yaml:5:24: when.condition: condition yields int, want bool"},
		{"WeightOutsideWeighted", "default_warehouse: w\nshipping_rates: {currency: USD, weight_bands_g: [1], zones: [{prices: [1, 2]}]}\nrules:\n  - name: a\n    rank: { by: [{criterion: distance, weight: 2}] }\n",
			"rank.by.weight only applies with rank.mode: weighted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeRules("x.yaml", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want %q, got %v", tc.want, err)
			}
		})
	}
}

func TestRateTable_EstimatesByDistanceAndWeightBand(t *testing.T) {
	rs := defaultRules(t)
	tests := []struct {
		km    float64
		grams int64
		want  int64
	}{
		{10, 500, 499}, {50, 1000, 499}, {51, 1000, 699}, {200, 4000, 999}, {900, 20000, 2199}, {3000, 25000, 5799},
	}
	for _, tc := range tests {
		if got := rs.Rates.Estimate(tc.km, tc.grams); got.Amount != tc.want || got.Currency != "USD" {
			t.Errorf("Estimate(%g km, %d g) = %+v, want %d USD", tc.km, tc.grams, got, tc.want)
		}
	}
}
