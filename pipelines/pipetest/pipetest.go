package pipetest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"gopkg.in/yaml.v3"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/pipelines"
	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

// File is a test file as written.
type File struct {
	// Pipeline is the pipeline file under test, relative to the test file.
	Pipeline string `yaml:"pipeline" required:"true"`
	// Config is the hub config whose connectors the pipeline may name, relative
	// to the test file. When empty, the runner's default connectors apply.
	Config string `yaml:"config"`
	// Now fixes CEL's now (RFC 3339); the time the run starts when empty.
	Now string `yaml:"now"`
	// Mocks replace the connectors.
	Mocks Mocks `yaml:"mocks"`
	// Tests are the cases.
	Tests []Case `yaml:"tests" required:"true"`

	Pos yamlconf.Positions `yaml:"-"`
}

// Mocks replace external calls.
type Mocks struct {
	// Connectors answer commands sent to connector instances, by instance name.
	// A connector without a mock accepts every command.
	Connectors map[string]ConnectorMock `yaml:"connectors"`
}

// ConnectorMock is how a mocked connector answers.
type ConnectorMock struct {
	// Status is ok (the default), retryable or permanent.
	Status string `yaml:"status"`
	// Error is the refusal's message.
	Error string `yaml:"error"`
	// ExternalID is returned on success.
	ExternalID string `yaml:"external_id"`

	Pos yamlconf.Positions `yaml:"-"`
}

// Case is one test.
type Case struct {
	// Name says what behaviour the case shows.
	Name string `yaml:"name" required:"true"`
	// Input are the records fed to the pipeline, in order.
	Input []Input `yaml:"input" required:"true"`
	// Output are the records expected out, in order; an empty list expects
	// every input to be dropped.
	Output *[]Expected `yaml:"output"`
	// DeadLetter are the failures expected, in order.
	DeadLetter *[]ExpectedDeadLetter `yaml:"dead_letter"`

	Pos yamlconf.Positions `yaml:"-"`
}

// Input is one record: the envelope's fields and its payload.
type Input struct {
	Record canonical.Record
	Pos    yamlconf.Pos
}

// DecodeYAML reads a record written as YAML (the envelope's JSON names).
func (in *Input) DecodeYAML(d *yamlconf.Decoder, n *yaml.Node) {
	in.Pos = d.Pos(n)
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "expected a record: a mapping with kind, source, idempotency_key and payload")
		return
	}
	allowed := map[string]bool{"kind": true, "id": true, "source": true, "external_id": true, "version": true, "idempotency_key": true, "at": true, "payload": true}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !allowed[k.Value] {
			d.Errorf(k, "unknown record field %q%s", k.Value, yamlconf.Suggest(k.Value, keys(allowed)))
			return
		}
	}
	b, err := nodeJSON(n)
	if err != nil {
		d.Errorf(n, "record: %v", err)
		return
	}
	if err := json.Unmarshal(b, &in.Record); err != nil {
		d.Errorf(n, "record: %v", err)
		return
	}
	if in.Record.Kind == "" {
		d.Errorf(n, "record: missing required field \"kind\"")
	} else if _, ok := pipelines.LookupKind(in.Record.Kind); !ok {
		d.Errorf(n, "record: unknown kind %q", in.Record.Kind)
	}
}

// Expected is one output the test expects.
type Expected struct {
	// Topic, or Connector and Action, is where the record must go.
	Topic     string `yaml:"topic"`
	Connector string `yaml:"connector"`
	Action    string `yaml:"action"`
	// Record lists envelope fields that must match (kind, id, source, ...).
	Record yaml.Node `yaml:"record"`
	// Payload lists payload fields that must match; fields not listed are not compared.
	Payload yaml.Node `yaml:"payload"`
	// Check is a CEL condition on the output record that must hold.
	Check *pipelines.Expr `yaml:"check"`

	Pos yamlconf.Positions `yaml:"-"`

	check *pipelines.Program
}

// ExpectedDeadLetter is one failure the test expects.
type ExpectedDeadLetter struct {
	// Step is the failing step's name ("to" for a refused connector command).
	Step string `yaml:"step" required:"true"`
	// Error is text the failure's message must contain.
	Error string `yaml:"error"`

	Pos yamlconf.Positions `yaml:"-"`
}

// Options are the runner's defaults.
type Options struct {
	// Registry is the step registry; the standard one when nil.
	Registry *pipelines.Registry
	// Connectors are the connector instances when a test file names no config.
	Connectors []string
	// LoadHub reads a hub config: the names of its connector instances and the
	// topics its pipelines publish to (the caller supplies it from hub/config,
	// which this package may not import).
	LoadHub func(path string) (connectors, topics []string, err error)
	// Logger receives the pipeline's log lines; discarded when nil.
	Logger *slog.Logger
}

// Result is the outcome of one case.
type Result struct {
	File     string
	Name     string
	Pos      yamlconf.Pos
	Failures []string
	Took     time.Duration
}

// Passed reports whether the case passed.
func (r Result) Passed() bool { return len(r.Failures) == 0 }

// Load reads and checks a test file, compiling its pipeline. The error is a
// yamlconf.Errors list.
func Load(path string, opts Options) (*File, *pipelines.Compiled, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read test file: %w", err)
	}
	root, err := yamlconf.Parse(path, data)
	if err != nil {
		return nil, nil, err
	}
	var errs yamlconf.Errors
	if root == nil {
		errs.Add(yamlconf.Pos{File: path, Line: 1, Col: 1}, "empty test file")
		return nil, nil, errs
	}
	dec := yamlconf.NewDecoder(path, nil)
	dec.Source = data
	f := &File{}
	dec.Decode(root, f)
	errs = append(errs, dec.Errs...)
	if len(errs) > 0 {
		return nil, nil, errs
	}
	for _, c := range f.Tests {
		if c.Output == nil && c.DeadLetter == nil {
			errs.Add(c.Pos.Of(""), "test %q expects nothing: add output (an empty list for a drop) or dead_letter", c.Name)
		}
	}
	for name, m := range f.Mocks.Connectors {
		switch m.Status {
		case "", "ok", "retryable", "permanent":
		default:
			errs.Add(m.Pos.Of("status"), "mock %s: status %q: want ok, retryable or permanent", name, m.Status)
		}
	}
	if f.Now != "" {
		if _, err := time.Parse(time.RFC3339, f.Now); err != nil {
			errs.Add(f.Pos.Of("now"), "now: want an RFC 3339 time such as 2026-03-02T10:00:00Z")
		}
	}
	dir := filepath.Dir(path)
	connectors := opts.Connectors
	var topics []string
	if f.Config != "" {
		cfgPath := filepath.Join(dir, f.Config)
		if opts.LoadHub == nil {
			errs.Add(f.Pos.Of("config"), "config: this runner cannot read hub configs")
		} else if names, ts, err := opts.LoadHub(cfgPath); err != nil {
			errs.Add(f.Pos.Of("config"), "config %s: %v", f.Config, firstLine(err))
		} else {
			connectors, topics = names, ts
		}
	}
	env := &pipelines.Env{Registry: opts.Registry, Connectors: connectors, Topics: topics}
	set, err := pipelines.LoadFiles([]string{filepath.Join(dir, f.Pipeline)}, env)
	if err != nil {
		errs.Append(f.Pos.Of("pipeline"), err)
		return nil, nil, errs
	}
	compiled := set.Pipelines[0]
	// Output checks are type-checked against what the pipeline emits.
	for _, c := range f.Tests {
		if c.Output == nil {
			continue
		}
		for i := range *c.Output {
			e := &(*c.Output)[i]
			if e.Check == nil {
				continue
			}
			pc := &pipelines.ProvisionContext{Pipeline: compiled.Name, Step: "check", Kind: compiled.OutKind, Pos: e.Pos.Of("check")}
			prg, err := pc.Compile(*e.Check, cel.BoolType)
			if err != nil {
				errs.Append(e.Check.Pos, err)
				continue
			}
			e.check = prg
		}
	}
	if len(errs) > 0 {
		errs.Sort()
		return nil, nil, errs
	}
	return f, compiled, nil
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " (and more)"
	}
	return s
}

// RunFile loads a test file and runs its cases.
func RunFile(ctx context.Context, path string, opts Options) ([]Result, error) {
	f, compiled, err := Load(path, opts)
	if err != nil {
		return nil, err
	}
	return Run(ctx, path, f, compiled, opts), nil
}

// Run runs the cases of a loaded file against its compiled pipeline.
func Run(ctx context.Context, path string, f *File, c *pipelines.Compiled, opts Options) []Result {
	now := time.Now().UTC()
	if f.Now != "" {
		now, _ = time.Parse(time.RFC3339, f.Now)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var results []Result
	for _, tc := range f.Tests {
		start := time.Now()
		res := Result{File: path, Name: tc.Name, Pos: tc.Pos.Of("name")}
		mock := &connectorMock{mocks: f.Mocks.Connectors}
		base := pipelines.StepContext{
			Context:  ctx,
			Logger:   logger,
			Now:      now,
			Services: &pipelines.Services{Dedupe: pipelines.NewMemoryDeduper(), Connectors: mock},
		}
		var outs []pipelines.Output
		var dead []deadLetter
		for _, in := range tc.Input {
			o, err := c.Process(base, in.Record, nil, nil)
			if err != nil {
				dead = append(dead, deadLetterOf(err))
				continue
			}
			for _, out := range o {
				if out.Target.Connector != "" {
					if m, ok := f.Mocks.Connectors[out.Target.Connector]; ok && m.Status != "" && m.Status != "ok" {
						dead = append(dead, deadLetter{step: "to", err: fmt.Sprintf("connector %s refused %s (%s): %s", out.Target.Connector, out.Target.Action, m.Status, m.Error)})
						continue
					}
				}
				outs = append(outs, out)
			}
		}
		if tc.Output != nil {
			res.Failures = append(res.Failures, checkOutputs(base, *tc.Output, outs, tc.Pos.Of("output"))...)
		}
		res.Failures = append(res.Failures, checkDeadLetters(tc, dead)...)
		res.Took = time.Since(start)
		results = append(results, res)
	}
	return results
}

type deadLetter struct {
	step string
	err  string
}

func deadLetterOf(err error) deadLetter {
	var se *pipelines.StepError
	if ok := asStepError(err, &se); ok {
		return deadLetter{step: se.Step, err: se.Err.Error()}
	}
	return deadLetter{step: "?", err: err.Error()}
}

func asStepError(err error, target **pipelines.StepError) bool {
	se, ok := err.(*pipelines.StepError)
	if ok {
		*target = se
	}
	return ok
}

func checkDeadLetters(tc Case, dead []deadLetter) []string {
	var fails []string
	var want []ExpectedDeadLetter
	if tc.DeadLetter != nil {
		want = *tc.DeadLetter
	}
	for i, d := range dead {
		if i >= len(want) {
			fails = append(fails, fmt.Sprintf("%s: unexpected dead letter at step %s: %s", tc.Pos.Of("name"), d.step, d.err))
			continue
		}
		w := want[i]
		if w.Step != d.step {
			fails = append(fails, fmt.Sprintf("%s: dead letter %d: step is %s, want %s (error: %s)", w.Pos.Of("step"), i, d.step, w.Step, d.err))
		}
		if w.Error != "" && !strings.Contains(d.err, w.Error) {
			fails = append(fails, fmt.Sprintf("%s: dead letter %d: error %q does not contain %q", w.Pos.Of("error"), i, d.err, w.Error))
		}
	}
	for i := len(dead); i < len(want); i++ {
		fails = append(fails, fmt.Sprintf("%s: expected a dead letter at step %s, got none", want[i].Pos.Of(""), want[i].Step))
	}
	return fails
}

func checkOutputs(base pipelines.StepContext, want []Expected, got []pipelines.Output, pos yamlconf.Pos) []string {
	var fails []string
	if len(got) != len(want) {
		fails = append(fails, fmt.Sprintf("%s: got %d output records, want %d%s", pos, len(got), len(want), describeOutputs(got)))
	}
	for i := 0; i < len(want) && i < len(got); i++ {
		w, g := want[i], got[i]
		p := w.Pos.Of("")
		switch {
		case w.Topic != "" && g.Target.Topic != w.Topic:
			fails = append(fails, fmt.Sprintf("%s: output %d went to %s, want topic %s", p, i, g.Target, w.Topic))
		case w.Connector != "" && (g.Target.Connector != w.Connector || (w.Action != "" && g.Target.Action != w.Action)):
			fails = append(fails, fmt.Sprintf("%s: output %d went to %s, want connector %s %s", p, i, g.Target, w.Connector, w.Action))
		}
		envelope := g.Record
		envelope.Payload = nil
		if w.Record.Kind != 0 {
			fails = append(fails, compare(w.Pos.Of("record"), fmt.Sprintf("output %d record", i), &w.Record, envelope)...)
		}
		if w.Payload.Kind != 0 {
			var payload any
			_ = json.Unmarshal(g.Record.Payload, &payload)
			fails = append(fails, compare(w.Pos.Of("payload"), fmt.Sprintf("output %d payload", i), &w.Payload, payload)...)
		}
		if w.check != nil {
			sc := base
			ok, err := w.check.EvalBool(&sc, pipelines.NewRecord(g.Record, nil))
			if err != nil || !ok {
				fails = append(fails, fmt.Sprintf("%s: output %d: check %q does not hold%s", w.Check.Pos, i, w.check.Source(), errSuffix(err)))
			}
		}
	}
	return fails
}

func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}

func describeOutputs(got []pipelines.Output) string {
	if len(got) == 0 {
		return ""
	}
	parts := make([]string, len(got))
	for i, o := range got {
		parts[i] = fmt.Sprintf("%s %s/%s", o.Target, o.Record.Kind, o.Record.IdempotencyKey)
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// compare checks that every field written in want has the same value in got.
func compare(pos yamlconf.Pos, what string, want *yaml.Node, got any) []string {
	b, err := nodeJSON(want)
	if err != nil {
		return []string{fmt.Sprintf("%s: %s: %v", pos, what, err)}
	}
	var w any
	_ = json.Unmarshal(b, &w)
	gb, _ := json.Marshal(got)
	var g any
	_ = json.Unmarshal(gb, &g)
	var fails []string
	subset(pos, what, w, g, &fails)
	return fails
}

func subset(pos yamlconf.Pos, path string, want, got any, fails *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*fails = append(*fails, fmt.Sprintf("%s: %s: got %s, want an object", pos, path, show(got)))
			return
		}
		names := keys(w)
		for _, k := range names {
			subset(pos, path+"."+k, w[k], g[k], fails)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*fails = append(*fails, fmt.Sprintf("%s: %s: got %s, want %s", pos, path, show(got), show(want)))
			return
		}
		for i := range w {
			subset(pos, fmt.Sprintf("%s[%d]", path, i), w[i], g[i], fails)
		}
	default:
		if !reflect.DeepEqual(want, got) {
			*fails = append(*fails, fmt.Sprintf("%s: %s: got %s, want %s", pos, path, show(got), show(want)))
		}
	}
}

func show(v any) string {
	if v == nil {
		return "nothing"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// nodeJSON encodes a YAML node as JSON.
func nodeJSON(n *yaml.Node) ([]byte, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(yamlconf.JSONable(v))
}

// connectorMock answers connector calls from the file's mocks.
type connectorMock struct {
	mocks map[string]ConnectorMock
}

// Call implements pipelines.ConnectorCaller.
func (m *connectorMock) Call(_ *pipelines.StepContext, call pipelines.ConnectorCall) (pipelines.ConnectorResult, error) {
	mock, ok := m.mocks[call.Connector]
	if !ok || mock.Status == "" || mock.Status == "ok" {
		return pipelines.ConnectorResult{OK: true, ExternalID: mock.ExternalID}, nil
	}
	return pipelines.ConnectorResult{OK: false, Retryable: mock.Status == "retryable", Error: mock.Error}, nil
}
