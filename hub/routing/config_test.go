package routing

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossdockhq/crossdock/hub/config"
)

func TestRulesFromConfig_ReadsTheFileHubYAMLNames(t *testing.T) {
	dir := t.TempDir()
	rules, err := os.ReadFile("../../configs/routing/default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "routing"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "routing", "default.yaml"), rules, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "routing", "bad.yaml"), []byte("version: 1\nrules: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	load := func(section string) (*RuleSet, error) {
		path := filepath.Join(dir, "hub.yaml")
		cfg, err := config.Parse(path, []byte("hub: { data: \"sqlite:hub.db\" }\nrouting: "+section+"\n"), config.Options{})
		if err != nil {
			t.Fatalf("hub.yaml: %v", err)
		}
		return RulesFromConfig(cfg)
	}
	rs, err := load("routing/default.yaml")
	if err != nil || rs == nil || len(rs.Rules) != 6 {
		t.Fatalf("rules from the named file: %v %v", rs, err)
	}
	_, err = load("routing/bad.yaml")
	if err == nil || !strings.Contains(err.Error(), "hub.yaml:2:10: routing:") || !strings.Contains(err.Error(), "bad.yaml:2:8: rules must be a non-empty list") {
		t.Fatalf("a bad rules file must name hub.yaml's line and its own: %v", err)
	}
}
