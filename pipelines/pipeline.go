package pipelines

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

// Pipeline is a pipeline file as written.
type Pipeline struct {
	// Name identifies the pipeline in metrics, logs and dead letters.
	Name string `yaml:"name" required:"true"`
	// Description says what the pipeline is for.
	Description string `yaml:"description"`
	// From is where records come from.
	From From `yaml:"from" required:"true"`
	// Steps are applied in order.
	Steps []StepSpec `yaml:"steps"`
	// To are where the records that come out go; each record goes to every target.
	To []Target `yaml:"to"`
	// OnError says how failures are retried and dead-lettered.
	OnError OnError `yaml:"on_error"`

	// File is the file the pipeline was read from.
	File string             `yaml:"-"`
	Pos  yamlconf.Positions `yaml:"-"`

	source []byte
}

// From is a pipeline's source: a connector's stream, or a hub topic.
type From struct {
	// Connector and Stream name a stream of a connector instance. The records
	// arrive on the <kind>.in topic; the pipeline takes those whose source is
	// the connector.
	Connector string `yaml:"connector"`
	Stream    string `yaml:"stream"`
	// Topic names a hub topic.
	Topic string `yaml:"topic"`
	// Kind is the kind of the records; inferred from <kind>.in topics and the
	// usual stream names (orders, products, inventory, ...).
	Kind string `yaml:"kind"`

	Pos yamlconf.Positions `yaml:"-"`
}

// Target is one destination of a pipeline's output.
type Target struct {
	// Topic is a hub topic.
	Topic string `yaml:"topic"`
	// Connector and Action send each record as a command to a connector
	// instance (via the <connector>.out topic).
	Connector string `yaml:"connector"`
	Action    string `yaml:"action"`

	Pos yamlconf.Positions `yaml:"-"`
}

// TopicName is the bus topic the target publishes to.
func (t Target) TopicName() string {
	if t.Connector != "" {
		return OutTopic(t.Connector)
	}
	return t.Topic
}

// String names the target for errors and test output.
func (t Target) String() string {
	if t.Connector != "" {
		return "connector " + t.Connector + " " + t.Action
	}
	return "topic " + t.Topic
}

// OnError is a pipeline's failure policy.
type OnError struct {
	// Retry is how a failing record is retried.
	Retry Retry `yaml:"retry"`
	// DeadLetter, true by default, sends a record that still fails after the
	// retries to the dead-letter queue and moves on. false retries forever,
	// holding the records behind it (for strictly ordered streams).
	DeadLetter *bool `yaml:"dead_letter"`

	Pos yamlconf.Positions `yaml:"-"`
}

// DeadLetters reports whether failures go to the dead-letter queue.
func (o OnError) DeadLetters() bool { return o.DeadLetter == nil || *o.DeadLetter }

// Retry is an exponential backoff.
type Retry struct {
	// MaxAttempts counts every try, the first included; 5 when zero.
	MaxAttempts int `yaml:"max_attempts"`
	// InitialInterval is the first wait; 100ms when zero.
	InitialInterval time.Duration `yaml:"initial_interval"`
	// MaxInterval caps the wait; 10s when zero.
	MaxInterval time.Duration `yaml:"max_interval"`
	// Multiplier grows the wait; 2 when zero.
	Multiplier float64 `yaml:"multiplier"`

	Pos yamlconf.Positions `yaml:"-"`
}

// WithDefaults returns r with its zero fields set to the defaults.
func (r Retry) WithDefaults() Retry {
	if r.MaxAttempts == 0 {
		r.MaxAttempts = 5
	}
	if r.InitialInterval == 0 {
		r.InitialInterval = 100 * time.Millisecond
	}
	if r.MaxInterval == 0 {
		r.MaxInterval = 10 * time.Second
	}
	if r.Multiplier == 0 {
		r.Multiplier = 2
	}
	return r
}

// StepSpec is one step as written: a mapping with an optional name and exactly
// one other key, the step's kind, whose value is the step's config.
type StepSpec struct {
	// Name names the step in metrics, logs and dead letters; the kind when
	// omitted (kind-N when the kind appears several times).
	Name string
	// Kind is the step kind, e.g. "filter".
	Kind string
	// Config is the value under the kind key.
	Config *yaml.Node
	// Pos is where the step starts; KindPos where its kind key is.
	Pos, KindPos yamlconf.Pos
}

// DecodeYAML reads a step.
func (s *StepSpec) DecodeYAML(d *yamlconf.Decoder, n *yaml.Node) {
	s.Pos = d.Pos(n)
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "expected a step: a mapping such as {filter: EXPR}")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "name" {
			if v.Kind != yaml.ScalarNode || v.Value == "" {
				d.Errorf(v, "expected a step name")
				continue
			}
			s.Name = v.Value
			continue
		}
		if s.Kind != "" {
			d.Errorf(k, "step has two kinds, %q and %q: write them as two steps", s.Kind, k.Value)
			continue
		}
		s.Kind, s.Config, s.KindPos = k.Value, v, d.Pos(k)
	}
	if s.Kind == "" {
		d.Errorf(n, "step has no kind: want a key such as filter, map, dedupe or log")
	}
}

var topicPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)

// Parse reads a pipeline file strictly. References in it (${env:...}) are
// resolved into env.Secrets. It does not check steps or references: Compile does.
func Parse(file string, data []byte, env *Env) (*Pipeline, yamlconf.Errors) {
	root, err := yamlconf.Parse(file, data)
	if err != nil {
		return nil, err.(yamlconf.Errors)
	}
	var errs yamlconf.Errors
	if root == nil {
		errs.Add(yamlconf.Pos{File: file, Line: 1, Col: 1}, "empty pipeline file")
		return nil, errs
	}
	res := &yamlconf.Resolver{Secrets: env.secrets(), Getenv: env.Getenv, Dir: filepath.Dir(file)}
	errs = append(errs, res.Resolve(file, root)...)
	dec := yamlconf.NewDecoder(file, env.secrets())
	dec.Source = data
	p := &Pipeline{File: file, source: data}
	dec.Decode(root, p)
	errs = append(errs, dec.Errs...)
	return p, errs
}

// Env is what pipelines are checked and compiled against.
type Env struct {
	// Registry holds the step kinds; NewStandardRegistry() when nil.
	Registry *Registry
	// Connectors are the connector instances of the hub config.
	Connectors []string
	// Topics are topics produced outside the pipelines being compiled (by the
	// hub's other pipelines when one file is tested alone).
	Topics []string
	// Services are injected into steps; may be empty when only validating.
	Services *Services
	// Secrets receives resolved ${env:...}/${file:...} values.
	Secrets *yamlconf.Secrets
	// Getenv looks up environment variables; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	// Logger is given to steps; slog.Default() when nil.
	Logger *slog.Logger
}

func (e *Env) secrets() *yamlconf.Secrets {
	if e.Secrets == nil {
		e.Secrets = yamlconf.NewSecrets()
	}
	return e.Secrets
}

func (e *Env) registry() *Registry {
	if e.Registry == nil {
		e.Registry = NewStandardRegistry()
	}
	return e.Registry
}

func (e *Env) hasConnector(name string) bool {
	for _, c := range e.Connectors {
		if c == name {
			return true
		}
	}
	return false
}

// Set is a loaded set of pipelines, compiled together so that topic references
// between them are checked.
type Set struct {
	Pipelines []*Compiled
}

// Topics returns every topic the set's pipelines publish to, sorted.
func (s *Set) Topics() []string {
	seen := map[string]bool{}
	for _, c := range s.Pipelines {
		for _, t := range c.Topics() {
			seen[t] = true
		}
	}
	out := sortedKeys(seen)
	sort.Strings(out)
	return out
}

// Lookup returns the compiled pipeline called name.
func (s *Set) Lookup(name string) (*Compiled, bool) {
	for _, c := range s.Pipelines {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}

// LoadFiles reads, checks and compiles the pipeline files. The error, if any,
// is a yamlconf.Errors list with every problem of every file.
func LoadFiles(files []string, env *Env) (*Set, error) {
	var errs yamlconf.Errors
	var parsed []*Pipeline
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			errs.Add(yamlconf.Pos{File: f}, "read pipeline: %v", err)
			continue
		}
		p, perrs := Parse(f, data, env)
		errs = append(errs, perrs...)
		if p != nil {
			parsed = append(parsed, p)
		}
	}
	set, cerrs := Compile(parsed, env)
	errs = append(errs, cerrs...)
	if len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}
	return set, nil
}

// Compile checks parsed pipelines together (names, topics, connectors) and
// compiles their steps.
func Compile(ps []*Pipeline, env *Env) (*Set, yamlconf.Errors) {
	var errs yamlconf.Errors
	produced := map[string]bool{}
	for _, k := range canonical.Kinds {
		produced[InTopic(k)] = true
	}
	for _, c := range env.Connectors {
		produced[OutTopic(c)] = true
	}
	for _, t := range env.Topics {
		produced[t] = true
	}
	for _, p := range ps {
		for _, t := range p.To {
			if t.Topic != "" {
				produced[t.Topic] = true
			}
		}
	}
	names := map[string]yamlconf.Pos{}
	set := &Set{}
	for _, p := range ps {
		if p.Name != "" {
			if prev, dup := names[p.Name]; dup {
				errs.Add(p.Pos.Of("name"), "pipeline %q is already defined at %s", p.Name, prev)
			} else {
				names[p.Name] = p.Pos.Of("name")
			}
		}
		c, cerrs := compileOne(p, env, produced)
		errs = append(errs, cerrs...)
		if c != nil && len(cerrs) == 0 {
			set.Pipelines = append(set.Pipelines, c)
		}
	}
	return set, errs
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func compileOne(p *Pipeline, env *Env, produced map[string]bool) (*Compiled, yamlconf.Errors) {
	var errs yamlconf.Errors
	c := &Compiled{Pipeline: p}
	if p.Name != "" && !topicPattern.MatchString(p.Name) {
		errs.Add(p.Pos.Of("name"), "pipeline name %q: use lower-case letters, digits, ., - and _", p.Name)
	}
	// from
	f := p.From
	switch {
	case f.Topic != "" && (f.Connector != "" || f.Stream != ""):
		errs.Add(f.Pos.Of("topic"), "from: set topic, or connector and stream, not both")
	case f.Topic != "":
		c.Topic = f.Topic
		if !produced[f.Topic] {
			errs.Add(f.Pos.Of("topic"), "from: unknown topic %q: no connector or pipeline produces it%s", f.Topic, yamlconf.Suggest(f.Topic, sortedKeys(produced)))
		}
		if k, ok := strings.CutSuffix(f.Topic, ".in"); ok {
			if _, known := LookupKind(canonical.Kind(k)); known {
				c.Kind = canonical.Kind(k)
			}
		}
	case f.Connector != "":
		c.Connector = f.Connector
		if !env.hasConnector(f.Connector) {
			errs.Add(f.Pos.Of("connector"), "from: unknown connector %q%s", f.Connector, yamlconf.Suggest(f.Connector, env.Connectors))
		}
		if f.Stream == "" {
			errs.Add(f.Pos.Of(""), "from: missing required field \"stream\"")
		} else if k, ok := streamKinds[f.Stream]; ok {
			c.Kind = k
		}
	case f.Stream != "":
		errs.Add(f.Pos.Of(""), "from: a stream needs its connector")
	default:
		if f.Pos != nil {
			errs.Add(f.Pos.Of(""), "from: set topic, or connector and stream")
		}
	}
	if f.Kind != "" {
		if _, ok := LookupKind(canonical.Kind(f.Kind)); !ok {
			errs.Add(f.Pos.Of("kind"), "from: unknown record kind %q%s", f.Kind, yamlconf.Suggest(f.Kind, kindNames()))
		} else {
			if c.Kind != "" && c.Kind != canonical.Kind(f.Kind) && f.Topic != "" {
				errs.Add(f.Pos.Of("kind"), "from: topic %s carries %s records, not %s", f.Topic, c.Kind, f.Kind)
			}
			c.Kind = canonical.Kind(f.Kind)
		}
	}
	if c.Kind == "" && len(errs) == 0 && (f.Topic != "" || f.Connector != "") {
		errs.Add(f.Pos.Of(""), "from: cannot tell the kind of the records: add kind (one of %s)", strings.Join(kindNames(), ", "))
	}
	if c.Connector != "" && c.Kind != "" {
		c.Topic = InTopic(c.Kind)
	}

	// steps
	kind := c.Kind
	reg := env.registry()
	counts := map[string]int{}
	for _, s := range p.Steps {
		counts[s.Kind]++
	}
	stepNames := map[string]bool{}
	for i, s := range p.Steps {
		if s.Kind == "" {
			continue
		}
		name := s.Name
		if name == "" {
			name = s.Kind
			if counts[s.Kind] > 1 {
				name = fmt.Sprintf("%s-%d", s.Kind, i+1)
			}
		}
		if stepNames[name] {
			errs.Add(s.Pos, "step name %q is used twice in this pipeline", name)
		}
		stepNames[name] = true
		info, ok := reg.Lookup(s.Kind)
		if !ok {
			errs.Add(s.KindPos, "steps[%d]: unknown step kind %q%s (known: %s)", i, s.Kind, yamlconf.Suggest(s.Kind, reg.Kinds()), strings.Join(reg.Kinds(), ", "))
			continue
		}
		// With the source in error the kind is unknown: the step's config is
		// still decoded, so its own mistakes are reported too.
		step, serrs := provision(info, s, i, name, kind, p, env)
		errs = append(errs, serrs...)
		if len(serrs) == 0 {
			c.Steps = append(c.Steps, &CompiledStep{Name: name, Kind: s.Kind, Pos: s.Pos, Step: step})
		}
		// Even a step in error says what it emits, so the steps after it are
		// checked against the right kind and report only their own mistakes.
		if kc, ok := step.(KindChanger); ok && kind != "" {
			kind = kc.OutputKind(kind)
		}
	}
	c.OutKind = kind

	// to
	for i, t := range p.To {
		at := fmt.Sprintf("to[%d]", i)
		switch {
		case t.Topic != "" && t.Connector != "":
			errs.Add(t.Pos.Of("connector"), "%s: set topic, or connector and action, not both", at)
		case t.Topic != "":
			if !topicPattern.MatchString(t.Topic) {
				errs.Add(t.Pos.Of("topic"), "%s: topic %q: use lower-case letters, digits, ., - and _", at, t.Topic)
			} else if conn, ok := strings.CutSuffix(t.Topic, ".out"); ok && !env.hasConnector(conn) {
				errs.Add(t.Pos.Of("topic"), "%s: topic %q names unknown connector %q%s", at, t.Topic, conn, yamlconf.Suggest(conn, env.Connectors))
			} else if t.Topic == c.Topic {
				errs.Add(t.Pos.Of("topic"), "%s: topic %q is the pipeline's own source: it would loop", at, t.Topic)
			}
		case t.Connector != "":
			if !env.hasConnector(t.Connector) {
				errs.Add(t.Pos.Of("connector"), "%s: unknown connector %q%s", at, t.Connector, yamlconf.Suggest(t.Connector, env.Connectors))
			}
			if t.Action == "" {
				errs.Add(t.Pos.Of(""), "%s: missing required field \"action\"", at)
			} else if !knownAction(t.Action) {
				errs.Add(t.Pos.Of("action"), "%s: unknown action %q%s", at, t.Action, yamlconf.Suggest(t.Action, actionNames()))
			}
		default:
			errs.Add(t.Pos.Of(""), "%s: set topic, or connector and action", at)
		}
	}

	// on_error
	r := p.OnError.Retry
	if r.MaxAttempts < 0 {
		errs.Add(r.Pos.Of("max_attempts"), "on_error.retry.max_attempts must be at least 1")
	}
	if r.Multiplier != 0 && r.Multiplier < 1 {
		errs.Add(r.Pos.Of("multiplier"), "on_error.retry.multiplier must be at least 1")
	}
	if r.InitialInterval < 0 || r.MaxInterval < 0 {
		errs.Add(r.Pos.Of(""), "on_error.retry: intervals must be positive")
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

func actionNames() []string {
	return []string{string(canonical.ActionSetInventory), string(canonical.ActionUpsertProduct),
		string(canonical.ActionPublishProduct), string(canonical.ActionFulfilOrder),
		string(canonical.ActionCancelOrder), string(canonical.ActionFulfilmentRequest),
		string(canonical.ActionWriteRecord)}
}

func knownAction(a string) bool {
	for _, n := range actionNames() {
		if n == a {
			return true
		}
	}
	return false
}

// provision runs a step's lifecycle up to Validate.
func provision(info StepInfo, s StepSpec, index int, name string, kind canonical.Kind, p *Pipeline, env *Env) (Step, yamlconf.Errors) {
	step := info.New()
	dec := yamlconf.NewDecoder(p.File, env.secrets())
	dec.Source = p.source
	dec.Path = []string{fmt.Sprintf("steps[%d].%s", index, s.Kind)}
	if s.Config != nil {
		dec.Decode(s.Config, step)
	}
	if len(dec.Errs) > 0 || kind == "" {
		return step, dec.Errs
	}
	logger := env.Logger
	if logger == nil {
		logger = slog.Default()
	}
	pc := &ProvisionContext{Pipeline: p.Name, Step: name, Kind: kind, Pos: s.KindPos, Services: env.Services,
		Logger: logger.With("pipeline", p.Name, "step", name)}
	var errs yamlconf.Errors
	if pv, ok := step.(Provisioner); ok {
		if err := pv.Provision(pc); err != nil {
			errs.Append(s.KindPos, err)
			return step, prefix(errs, dec.PathString())
		}
	}
	if v, ok := step.(Validator); ok {
		if err := v.Validate(); err != nil {
			errs.Append(s.KindPos, err)
			return step, prefix(errs, dec.PathString())
		}
	}
	return step, nil
}

// prefix puts the step's path before messages that do not start with it.
func prefix(errs yamlconf.Errors, path string) yamlconf.Errors {
	for i, e := range errs {
		if !strings.HasPrefix(e.Msg, path) {
			errs[i] = &yamlconf.Error{Pos: e.Pos, Msg: path + ": " + e.Msg}
		}
	}
	return errs
}
