package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/crossdockhq/crossdock/canonical"

	"github.com/crossdockhq/crossdock/plugins/host"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// Outcome is the result of one check.
type Outcome string

// Outcomes.
const (
	Passed  Outcome = "pass"
	Failed  Outcome = "FAIL"
	Skipped Outcome = "skip"
)

// Result is one check's outcome.
type Result struct {
	Check    string
	Outcome  Outcome
	Detail   string
	Duration time.Duration
}

// Report is the outcome of a whole run.
type Report struct {
	Target  string
	Results []Result
}

// OK reports whether no check failed.
func (r Report) OK() bool {
	for _, x := range r.Results {
		if x.Outcome == Failed {
			return false
		}
	}
	return true
}

// Skipped lists the checks skipped because their capability was not declared.
func (r Report) Skipped() []string {
	var out []string
	for _, x := range r.Results {
		if x.Outcome == Skipped {
			out = append(out, x.Check)
		}
	}
	return out
}

type check struct {
	name string
	cap  Capability // "" for always
	fn   func(ctx context.Context, s *suite) error
}

var checks = []check{
	{"spec", "", checkSpec},
	{string(CapCheckAuth), CapCheckAuth, checkAuth},
	{string(CapCheckNetwork), CapCheckNetwork, checkNetwork},
	{string(CapRead), CapRead, checkRead},
	{string(CapResume), CapResume, checkResume},
	{string(CapWrite), CapWrite, checkWrite},
	{string(CapRateLimit), CapRateLimit, checkRateLimit},
	{string(CapWebhook), CapWebhook, checkWebhook},
	{string(CapCrashResume), CapCrashResume, checkCrashResume},
}

type suite struct {
	t      Target
	sb     *Sandbox
	dir    string
	shared *conn // one connector process for every check but crash_resume
}

// Run runs the suite as subtests of t, one per check; a check whose capability
// the target does not declare is logged as skipped (and does not pass).
func Run(t *testing.T, target Target) {
	t.Helper()
	ctx := t.Context()
	s, err := start(ctx, target, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.close)
	var skipped []string
	for _, c := range checks {
		if c.cap != "" && !target.declared(c.cap) {
			skipped = append(skipped, c.name)
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			if err := s.run(ctx, c); err != nil {
				t.Fatal(err)
			}
		})
	}
	if len(skipped) > 0 {
		t.Logf("conformance %s: skipped (capability not declared): %s", target.Name, strings.Join(skipped, ", "))
	}
}

// Verify runs the suite outside `go test`, writing one line per check to w.
// Its error is about setting up (the sandbox would not start), not about checks.
func Verify(ctx context.Context, target Target, w io.Writer) (Report, error) {
	rep := Report{Target: target.Name}
	dir, err := os.MkdirTemp("", "crossdock-conformance-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(dir)
	s, err := start(ctx, target, dir)
	if err != nil {
		return rep, err
	}
	defer s.close()
	for _, c := range checks {
		r := Result{Check: c.name}
		if c.cap != "" && !target.declared(c.cap) {
			r.Outcome, r.Detail = Skipped, "capability not declared"
		} else {
			begin := time.Now()
			err := s.run(ctx, c)
			r.Duration = time.Since(begin)
			if err != nil {
				r.Outcome, r.Detail = Failed, err.Error()
			} else {
				r.Outcome = Passed
			}
		}
		rep.Results = append(rep.Results, r)
		if w != nil {
			fmt.Fprintf(w, "%-5s %-18s %8s  %s\n", r.Outcome, r.Check, r.Duration.Round(time.Millisecond), r.Detail)
		}
	}
	return rep, nil
}

func start(ctx context.Context, target Target, dir string) (*suite, error) {
	if target.Sandbox == nil {
		return nil, fmt.Errorf("conformance %s: target has no Sandbox", target.Name)
	}
	if target.Plugin == nil && target.New == nil {
		return nil, fmt.Errorf("conformance %s: target has neither Plugin nor New", target.Name)
	}
	if target.Timeout == 0 {
		target.Timeout = 60 * time.Second
	}
	sb, err := target.Sandbox(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("conformance %s: start sandbox: %w", target.Name, err)
	}
	return &suite{t: target, sb: sb, dir: dir}, nil
}

func (s *suite) close() {
	if s.shared != nil {
		s.shared.proc.Kill()
	}
	if s.sb.Close != nil {
		_ = s.sb.Close()
	}
}

func (s *suite) run(ctx context.Context, c check) error {
	ctx, cancel := context.WithTimeout(ctx, s.t.Timeout)
	defer cancel()
	return c.fn(ctx, s)
}

// conn is a connector under test and how to let it go.
type conn struct {
	sdk.Connector
	proc   *host.Client
	shared bool
}

func (c *conn) close() {
	if c.proc != nil && !c.shared {
		c.proc.Kill()
	}
}

func (c *conn) reader() (sdk.Reader, error) {
	r, ok := c.Connector.(sdk.Reader)
	if !ok {
		return nil, errors.New("connector does not implement sdk.Reader")
	}
	return r, nil
}

// open returns the shared connector process (starting it if needed, or again
// if it died), configured with config. An in-process connector is built anew.
func (s *suite) open(ctx context.Context, config []byte) (*conn, error) {
	if s.t.Plugin != nil && (s.shared == nil || s.shared.proc.Exited()) {
		c, err := s.launch(ctx, nil)
		if err != nil {
			return nil, err
		}
		c.shared = true
		s.shared = c
	}
	if s.t.Plugin != nil {
		if config != nil {
			if err := s.shared.Configure(ctx, config); err != nil {
				return nil, fmt.Errorf("configure: %w", err)
			}
		}
		return s.shared, nil
	}
	return s.launch(ctx, config)
}

// launch starts a new connector process (or builds an in-process connector)
// and configures it with config.
func (s *suite) launch(ctx context.Context, config []byte) (*conn, error) {
	var c *conn
	if s.t.Plugin != nil {
		p, err := host.Launch(ctx, host.Config{Name: s.t.Name, Path: s.t.Plugin.Path, Args: s.t.Plugin.Args, Env: s.t.Plugin.Env, Logger: s.t.Logger})
		if err != nil {
			return nil, err
		}
		c = &conn{Connector: p, proc: p}
	} else {
		c = &conn{Connector: s.t.New()}
	}
	if config != nil {
		if err := c.Configure(ctx, config); err != nil {
			c.close()
			return nil, fmt.Errorf("configure: %w", err)
		}
	}
	return c, nil
}

func checkSpec(ctx context.Context, s *suite) error {
	c, err := s.open(ctx, nil)
	if err != nil {
		return err
	}
	defer c.close()
	spec := c.Spec()
	var problems []string
	if spec.Name == "" {
		problems = append(problems, "spec has no name")
	}
	if spec.Version == "" {
		problems = append(problems, "spec has no version")
	}
	sch, err := compileSchema(spec.ConfigSchema)
	if err != nil {
		problems = append(problems, err.Error())
	} else if err := validateJSON(sch, s.sb.Config); err != nil {
		problems = append(problems, fmt.Sprintf("config schema rejects the sandbox config: %v", err))
	}
	seen := map[string]bool{}
	for _, st := range spec.Streams {
		if st.Name == "" || seen[st.Name] {
			problems = append(problems, fmt.Sprintf("stream %q: empty or duplicate name", st.Name))
		}
		seen[st.Name] = true
		if !slices.Contains(canonical.Kinds, st.Kind) {
			problems = append(problems, fmt.Sprintf("stream %q: unknown kind %q", st.Name, st.Kind))
		}
	}
	for _, rl := range spec.RateLimits {
		if rl.PerSecond <= 0 || rl.Burst < 0 {
			problems = append(problems, fmt.Sprintf("rate limit %q: per_second must be > 0 and burst >= 0", rl.Name))
		}
	}
	if s.t.declared(CapWebhook) && !spec.Webhooks {
		problems = append(problems, "target declares webhook but the spec says webhooks: false")
	}
	if s.t.declared(CapWrite) && len(spec.Actions) == 0 {
		problems = append(problems, "target declares write_idempotent but the spec has no actions")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	if err := c.Configure(ctx, s.sb.Config); err != nil {
		return fmt.Errorf("configure with the sandbox config: %w", err)
	}
	if err := c.Check(ctx); err != nil {
		return fmt.Errorf("check against the sandbox: %w", err)
	}
	return nil
}

func compileSchema(schema []byte) (*jsonschema.Schema, error) {
	if len(schema) == 0 {
		return nil, errors.New("spec has no config schema")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("config schema is not JSON: %w", err)
	}
	comp := jsonschema.NewCompiler()
	comp.DefaultDraft(jsonschema.Draft2020)
	if err := comp.AddResource("config.schema.json", doc); err != nil {
		return nil, fmt.Errorf("config schema: %w", err)
	}
	sch, err := comp.Compile("config.schema.json")
	if err != nil {
		return nil, fmt.Errorf("config schema does not compile: %w", err)
	}
	return sch, nil
}

func validateJSON(sch *jsonschema.Schema, b []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

func wantCheckFailure(ctx context.Context, s *suite, config []byte, want sdk.CheckReason) error {
	if config == nil {
		return fmt.Errorf("sandbox gives no config for this check")
	}
	c, err := s.open(ctx, config)
	if err != nil {
		return err
	}
	defer c.close()
	begin := time.Now()
	err = c.Check(ctx)
	var ce *sdk.CheckError
	switch {
	case err == nil:
		return fmt.Errorf("check succeeded; want a %s failure", want)
	case !errors.As(err, &ce):
		return fmt.Errorf("check failed untyped (%v); want *sdk.CheckError with reason %s", err, want)
	case ce.Reason != want:
		return fmt.Errorf("check failed with reason %q (%s); want %q", ce.Reason, ce.Message, want)
	case ce.Message == "":
		return errors.New("check failure has no message")
	case ctx.Err() != nil:
		return fmt.Errorf("check took %s, until the suite's deadline", time.Since(begin))
	}
	return nil
}

func checkAuth(ctx context.Context, s *suite) error {
	return wantCheckFailure(ctx, s, s.sb.BadCredentials, sdk.CheckAuth)
}

func checkNetwork(ctx context.Context, s *suite) error {
	return wantCheckFailure(ctx, s, s.sb.Unreachable, sdk.CheckNetwork)
}
