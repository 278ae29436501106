package routing

import (
	"fmt"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/crossdockhq/crossdock/hub/config"
)

// RulesFromConfig loads the rules the hub configuration names in its
// `routing` section: a path to a rules file, relative to hub.yaml
// (`routing: routing/default.yaml`), or the rules written inline. It returns
// nil, nil when the section is absent (no routing configured).
func RulesFromConfig(cfg *config.Config) (*RuleSet, error) {
	n, ok := cfg.Section("routing")
	if !ok {
		return nil, nil
	}
	if n.Kind == yaml.ScalarNode {
		path := n.Value
		if !filepath.IsAbs(path) {
			path = filepath.Join(cfg.Dir, path)
		}
		rs, err := LoadRules(path)
		if err != nil {
			return nil, fmt.Errorf("%s:%d:%d: routing: %w", cfg.Path, n.Line, n.Column, err)
		}
		return rs, nil
	}
	return DecodeRulesNode(cfg.Path, n)
}
