package routing

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"cel.dev/cel-go/cel"
	"github.com/crossdockhq/crossdock/canonical"
	"gopkg.in/yaml.v3"
)

// LoadRules reads and checks a routing rules file. Every problem found is
// reported, each with its file:line:col, as a RuleErrors.
func LoadRules(path string) (*RuleSet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("routing: load rules: %w", err)
	}
	return DecodeRules(path, data)
}

// ValidateRules checks a routing rules file without keeping it: the function
// `crossdock validate` calls. It returns nil or an error whose text lists every
// problem, one per line, as file:line:col: message (a RuleErrors when the file
// could be read).
func ValidateRules(path string) error {
	_, err := LoadRules(path)
	return err
}

// DecodeRules parses rules from YAML bytes; file names the source in messages.
func DecodeRules(file string, data []byte) (*RuleSet, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, RuleErrors{yamlSyntaxError(file, err)}
	}
	if len(doc.Content) == 0 {
		return nil, RuleErrors{{Pos: Position{File: file, Line: 1, Col: 1}, Msg: "empty rules file"}}
	}
	return DecodeRulesNode(file, doc.Content[0])
}

// DecodeRulesNode decodes rules from a YAML node, e.g. the `routing` section of
// hub.yaml kept as a node by hub/config.
func DecodeRulesNode(file string, n *yaml.Node) (*RuleSet, error) {
	d := &decoder{file: file}
	rs := d.ruleSet(n)
	if len(d.errs) > 0 {
		slices.SortStableFunc(d.errs, func(a, b RuleError) int {
			if a.Pos.Line != b.Pos.Line {
				return a.Pos.Line - b.Pos.Line
			}
			return a.Pos.Col - b.Pos.Col
		})
		return nil, d.errs
	}
	return rs, nil
}

// exprPos maps a line:col inside a condition to the file: exact for a plain or
// quoted one-line scalar; for block scalars, the expression line's start.
func exprPos(n *yaml.Node, start Position, line, col int) Position {
	switch n.Style {
	case 0, yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		if line == 1 && !strings.Contains(n.Value, "\n") {
			if n.Style != 0 {
				col++ // the opening quote
			}
			start.Col += col - 1
		}
	case yaml.LiteralStyle, yaml.FoldedStyle:
		start.Line += line
	}
	return start
}

func yamlSyntaxError(file string, err error) RuleError {
	// yaml.v3 says "yaml: line N: message"; keep the line when it does.
	msg := err.Error()
	line := 1
	if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			if n, e := strconv.Atoi(rest[:i]); e == nil {
				line = n
				msg = strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return RuleError{Pos: Position{File: file, Line: line, Col: 1}, Msg: "invalid YAML: " + msg}
}

type decoder struct {
	file string
	errs RuleErrors
}

func (d *decoder) pos(n *yaml.Node) Position {
	return Position{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, RuleError{Pos: d.pos(n), Msg: fmt.Sprintf(format, args...)})
}

// fields walks a mapping, rejecting unknown and duplicate keys, and calls set
// for each known key with its value node.
func (d *decoder) fields(n *yaml.Node, what string, known []string, set func(key string, k, v *yaml.Node)) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping, got %s", what, kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			d.errorf(k, "%s: duplicate field %q", what, k.Value)
			continue
		}
		seen[k.Value] = true
		if !slices.Contains(known, k.Value) {
			d.errorf(k, "%s: unknown field %q (known: %s)", what, k.Value, strings.Join(known, ", "))
			continue
		}
		set(k.Value, k, v)
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func (d *decoder) str(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorf(n, "%s must be a string, got %s", what, kindName(n))
		return ""
	}
	return n.Value
}

func (d *decoder) strs(n *yaml.Node, what string) []string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list of strings, got %s", what, kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, d.str(c, what+" item"))
	}
	return out
}

func (d *decoder) enum(n *yaml.Node, what string, allowed []string) string {
	s := d.str(n, what)
	if s != "" && !slices.Contains(allowed, s) {
		d.errorf(n, "%s: %q is not one of %s", what, s, strings.Join(allowed, ", "))
		return ""
	}
	return s
}

func (d *decoder) enums(n *yaml.Node, what string, allowed []string) []string {
	var out []string
	if n.Kind == yaml.SequenceNode {
		for _, c := range n.Content {
			out = append(out, d.enum(c, what, allowed))
		}
		return out
	}
	return []string{d.enum(n, what, allowed)}
}

func (d *decoder) float(n *yaml.Node, what string, min float64) float64 {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		d.errorf(n, "%s must be a number, got %s", what, kindName(n))
		return 0
	}
	f, err := strconv.ParseFloat(n.Value, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		d.errorf(n, "%s: %q is not a number", what, n.Value)
		return 0
	}
	if f < min {
		d.errorf(n, "%s must be at least %g, got %g", what, min, f)
	}
	return f
}

func (d *decoder) int(n *yaml.Node, what string, min int64) int64 {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		d.errorf(n, "%s must be a whole number, got %s", what, kindName(n))
		return 0
	}
	i, err := strconv.ParseInt(n.Value, 0, 64)
	if err != nil {
		d.errorf(n, "%s: %q is not a whole number", what, n.Value)
		return 0
	}
	if i < min {
		d.errorf(n, "%s must be at least %d, got %d", what, min, i)
	}
	return i
}

func (d *decoder) bool(n *yaml.Node, what string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.errorf(n, "%s must be true or false, got %s", what, kindName(n))
		return false
	}
	return n.Value == "true" || n.Value == "True" || n.Value == "TRUE"
}

var methods = []string{string(canonical.FulfilShip), string(canonical.FulfilPickup), string(canonical.FulfilShipToStore)}
var locTypes = []string{string(canonical.LocationWarehouse), string(canonical.LocationStore), string(canonical.Location3PL), string(canonical.LocationFBA), string(canonical.LocationDropship)}
var caps = []string{string(canonical.CapShip), string(canonical.CapPickup), string(canonical.CapShipToStore)}

func (d *decoder) ruleSet(n *yaml.Node) *RuleSet {
	rs := &RuleSet{File: d.file, VelocityWindowDays: 28, DefaultQueue: "unroutable"}
	var rulesNode *yaml.Node
	sawRates := false
	d.fields(n, "routing", []string{"version", "default_warehouse", "velocity_window_days", "default_queue", "shipping_rates", "rules"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			if ver := d.int(v, "version", 1); ver != 1 {
				d.errorf(v, "version: only version 1 is known, got %d", ver)
			}
		case "default_warehouse":
			rs.DefaultWarehouse = d.str(v, "default_warehouse")
		case "velocity_window_days":
			rs.VelocityWindowDays = int(d.int(v, "velocity_window_days", 1))
		case "default_queue":
			rs.DefaultQueue = d.str(v, "default_queue")
		case "shipping_rates":
			sawRates = true
			rs.Rates = d.rates(v)
		case "rules":
			rulesNode = v
		}
	})
	if n.Kind != yaml.MappingNode {
		return rs
	}
	if rs.DefaultWarehouse == "" {
		d.errorf(n, "default_warehouse is required (the baseline for routing savings)")
	}
	if !sawRates {
		d.errorf(n, "shipping_rates is required (cost estimates and savings)")
	}
	if rulesNode == nil {
		d.errorf(n, "rules is required")
		return rs
	}
	if rulesNode.Kind != yaml.SequenceNode || len(rulesNode.Content) == 0 {
		d.errorf(rulesNode, "rules must be a non-empty list")
		return rs
	}
	env, err := celEnv()
	if err != nil {
		d.errorf(rulesNode, "internal: CEL environment: %v", err)
		return rs
	}
	names := map[string]bool{}
	for _, rn := range rulesNode.Content {
		r := d.rule(rn, env)
		if r == nil {
			continue
		}
		if r.Name != "" && names[r.Name] {
			d.errorf(rn, "rule %q: duplicate name", r.Name)
		}
		names[r.Name] = true
		rs.Rules = append(rs.Rules, r)
	}
	return rs
}

func (d *decoder) rule(n *yaml.Node, env *cel.Env) *Rule {
	r := &Rule{Pos: d.pos(n), Otherwise: Otherwise{Action: ActionNext}, Rank: Rank{Mode: RankOrdered}}
	sawLines := false
	var splitNode *yaml.Node
	d.fields(n, "rule", []string{"name", "when", "method", "candidates", "rank", "split", "otherwise"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "name":
			r.Name = d.str(v, "name")
		case "method":
			r.Method = canonical.FulfilmentMethod(d.enum(v, "method", methods))
		case "when":
			r.When = d.when(v, env)
		case "candidates":
			r.Candidates, sawLines = d.candidates(v)
		case "rank":
			r.Rank = d.rank(v)
		case "split":
			splitNode = v
			r.Split = d.split(v)
		case "otherwise":
			r.Otherwise = d.otherwise(v)
		}
	})
	if n.Kind != yaml.MappingNode {
		return nil
	}
	if r.Name == "" {
		d.errorf(n, "rule: name is required")
	}
	if len(r.Rank.By) == 0 {
		r.Rank.By = []RankBy{{Criterion: ByDistance, Weight: 1}, {Criterion: ByPriority, Weight: 1}}
	}
	if !sawLines {
		r.Candidates.Lines = LinesAll
		if r.Split.Allowed {
			r.Candidates.Lines = LinesPartial
		}
	}
	if r.Split.Allowed && r.Candidates.Lines == LinesAll {
		d.errorf(splitNode, "rule %q: split allowed needs candidates.lines: partial (with lines: all no location can hold part of an order)", r.Name)
	}
	if r.Candidates.MinCapacityLeft == 0 {
		r.Candidates.MinCapacityLeft = 1
	}
	if r.Candidates.PickupStore && r.Method != "" && r.Method != canonical.FulfilPickup {
		d.errorf(n, "rule %q: candidates.pickup_store only makes sense with method pickup", r.Name)
	}
	return r
}

func (d *decoder) when(n *yaml.Node, env *cel.Env) When {
	var w When
	d.fields(n, "when", []string{"channel", "fulfilment", "shipping_method", "country", "region", "condition"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "channel":
			w.Channels = d.strs(v, "when.channel")
		case "fulfilment":
			for _, m := range d.enums(v, "when.fulfilment", methods) {
				w.Fulfilment = append(w.Fulfilment, canonical.FulfilmentMethod(m))
			}
		case "shipping_method":
			w.ShippingMethods = d.strs(v, "when.shipping_method")
		case "country":
			for _, c := range d.strs(v, "when.country") {
				if len(c) != 2 {
					d.errorf(v, "when.country: %q is not an ISO 3166-1 alpha-2 code", c)
				}
				w.Countries = append(w.Countries, strings.ToUpper(c))
			}
		case "region":
			for _, r := range d.strs(v, "when.region") {
				if !strings.Contains(r, "-") {
					d.errorf(v, "when.region: %q must be an ISO 3166-2 code such as US-CA", r)
				}
				w.Regions = append(w.Regions, strings.ToUpper(r))
			}
		case "condition":
			w.Condition = d.str(v, "when.condition")
			if w.Condition == "" {
				return
			}
			prog, err := compileCondition(env, w.Condition)
			if err != nil {
				pos := d.pos(v)
				var ce *celError
				if errors.As(err, &ce) && ce.line > 0 {
					pos = exprPos(v, pos, ce.line, ce.col)
				}
				d.errs = append(d.errs, RuleError{Pos: pos, Msg: "when.condition: " + err.Error()})
				return
			}
			w.prog = prog
		}
	})
	return w
}

func (d *decoder) candidates(n *yaml.Node) (Candidates, bool) {
	var c Candidates
	sawLines := false
	d.fields(n, "candidates", []string{"type", "group", "tags", "exclude_tags", "capability", "max_distance_km", "distance_exempt", "max_candidates", "min_capacity_left", "lines", "pickup_store"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "type":
			for _, t := range d.enums(v, "candidates.type", locTypes) {
				c.Types = append(c.Types, canonical.LocationType(t))
			}
		case "group":
			c.Groups = d.strs(v, "candidates.group")
		case "tags":
			c.Tags = d.strs(v, "candidates.tags")
		case "exclude_tags":
			c.ExcludeTags = d.strs(v, "candidates.exclude_tags")
		case "capability":
			c.Capability = canonical.Capability(d.enum(v, "candidates.capability", caps))
		case "max_distance_km":
			c.MaxDistanceKM = d.float(v, "candidates.max_distance_km", 0)
		case "max_candidates":
			c.MaxCandidates = int(d.int(v, "candidates.max_candidates", 1))
		case "distance_exempt":
			for _, t := range d.enums(v, "candidates.distance_exempt", locTypes) {
				c.DistanceExempt = append(c.DistanceExempt, canonical.LocationType(t))
			}
		case "min_capacity_left":
			c.MinCapacityLeft = int(d.int(v, "candidates.min_capacity_left", 1))
		case "lines":
			sawLines = true
			c.Lines = LinesMode(d.enum(v, "candidates.lines", []string{string(LinesAll), string(LinesPartial)}))
		case "pickup_store":
			c.PickupStore = d.bool(v, "candidates.pickup_store")
		}
	})
	return c, sawLines
}

func (d *decoder) rank(n *yaml.Node) Rank {
	rk := Rank{Mode: RankOrdered}
	var byNode *yaml.Node
	d.fields(n, "rank", []string{"mode", "by"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "mode":
			rk.Mode = RankMode(d.enum(v, "rank.mode", []string{string(RankOrdered), string(RankWeighted)}))
		case "by":
			byNode = v
		}
	})
	if byNode == nil {
		if n.Kind == yaml.MappingNode {
			d.errorf(n, "rank: by is required (a list of criteria)")
		}
		return rk
	}
	if byNode.Kind != yaml.SequenceNode || len(byNode.Content) == 0 {
		d.errorf(byNode, "rank.by must be a non-empty list")
		return rk
	}
	names := make([]string, len(criteria))
	for i, c := range criteria {
		names[i] = string(c)
	}
	seen := map[Criterion]bool{}
	for _, item := range byNode.Content {
		var b RankBy
		b.Weight = 1
		if item.Kind == yaml.ScalarNode {
			b.Criterion = Criterion(d.enum(item, "rank.by", names))
		} else {
			sawWeight := false
			d.fields(item, "rank.by item", []string{"criterion", "weight", "tolerance"}, func(key string, k, v *yaml.Node) {
				switch key {
				case "criterion":
					b.Criterion = Criterion(d.enum(v, "rank.by.criterion", names))
				case "weight":
					sawWeight = true
					b.Weight = d.float(v, "rank.by.weight", 0)
				case "tolerance":
					b.Tolerance = d.float(v, "rank.by.tolerance", 0)
				}
			})
			if item.Kind == yaml.MappingNode && b.Criterion == "" {
				d.errorf(item, "rank.by item: criterion is required")
			}
			if sawWeight && rk.Mode != RankWeighted {
				d.errorf(item, "rank.by.weight only applies with rank.mode: weighted")
			}
		}
		if b.Criterion != "" && seen[b.Criterion] {
			d.errorf(item, "rank.by: criterion %q appears twice", b.Criterion)
		}
		seen[b.Criterion] = true
		rk.By = append(rk.By, b)
	}
	if rk.Mode == RankWeighted {
		var sum float64
		for _, b := range rk.By {
			sum += b.Weight
		}
		if sum <= 0 {
			d.errorf(byNode, "rank.by: weighted ranking needs at least one positive weight")
		}
	}
	return rk
}

func (d *decoder) split(n *yaml.Node) Split {
	var s Split
	d.fields(n, "split", []string{"allowed", "max_locations", "min_shipment_value"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "allowed":
			s.Allowed = d.bool(v, "split.allowed")
		case "max_locations":
			s.MaxLocations = int(d.int(v, "split.max_locations", 2))
		case "min_shipment_value":
			s.MinShipmentValue = d.int(v, "split.min_shipment_value", 0)
		}
	})
	if s.Allowed && s.MaxLocations == 0 {
		s.MaxLocations = 2
	}
	if !s.Allowed && (s.MaxLocations != 0 || s.MinShipmentValue != 0) && n.Kind == yaml.MappingNode {
		d.errorf(n, "split: max_locations and min_shipment_value need allowed: true")
	}
	return s
}

func (d *decoder) otherwise(n *yaml.Node) Otherwise {
	o := Otherwise{Action: ActionNext}
	d.fields(n, "otherwise", []string{"action", "queue", "alternatives_within_km", "alternatives_limit"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "action":
			o.Action = Action(d.enum(v, "otherwise.action", []string{string(ActionNext), string(ActionHold), string(ActionBackorder)}))
		case "queue":
			o.Queue = d.str(v, "otherwise.queue")
		case "alternatives_within_km":
			o.AlternativesKM = d.float(v, "otherwise.alternatives_within_km", 0)
		case "alternatives_limit":
			o.AlternativesLimit = int(d.int(v, "otherwise.alternatives_limit", 1))
		}
	})
	if n.Kind != yaml.MappingNode {
		return o
	}
	if o.Action == ActionHold && o.Queue == "" {
		d.errorf(n, "otherwise: action hold needs a queue name")
	}
	if o.Action != ActionHold && o.Queue != "" {
		d.errorf(n, "otherwise: queue only applies to action hold")
	}
	if o.AlternativesLimit == 0 {
		o.AlternativesLimit = 3
	}
	return o
}
