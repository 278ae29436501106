package pipelines

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

// Step processes one record and returns the records that go on: none (the
// record is dropped), the record itself (changed or not), or several. A step
// must be safe for concurrent use once provisioned, and idempotent: the bus
// delivers at least once.
//
// The lifecycle of every step, as in Caddy: the Registry's StepFactory returns a
// fresh value; its YAML config is decoded into it strictly (yamlconf struct tags,
// or yamlconf.Unmarshaler for custom forms); then Provision (Provisioner), then
// Validate (Validator); then Process for each record; Cleanup (CleanerUpper) at
// shutdown.
type Step interface {
	Process(sc *StepContext, rec *Record) ([]*Record, error)
}

// Provisioner is implemented by steps that prepare themselves after decoding:
// compile CEL expressions, look up services, set defaults.
type Provisioner interface {
	Provision(pc *ProvisionContext) error
}

// Validator is implemented by steps that check their provisioned config.
type Validator interface {
	Validate() error
}

// CleanerUpper is implemented by steps that hold resources to release.
type CleanerUpper interface {
	Cleanup() error
}

// KindChanger is implemented by steps whose output records are of another kind
// than their input (route turns an order into allocations); the steps after it
// are type-checked against the new kind.
type KindChanger interface {
	OutputKind(in canonical.Kind) canonical.Kind
}

// StepFactory returns a new, unconfigured step: a pointer its config decodes into.
type StepFactory func() Step

// DBTX is what a step needs of the transaction it runs in; *sql.Tx, *sql.DB and
// hub/store's DBTX all satisfy it.
type DBTX interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// StepContext is what a step sees while it processes a record.
type StepContext struct {
	// Context is cancelled when the handler gives up (shutdown, timeout).
	Context context.Context
	// Tx is the transaction that consumes the input message: state changes made
	// through it commit together with the records the pipeline emits. Nil in
	// `crossdock test`, where services are mocks.
	Tx DBTX
	// Dialect is "sqlite" or "postgres"; write SQL with ? and Rebind.
	Dialect string
	// Pipeline and Step name what is running, for logs and errors.
	Pipeline string
	Step     string
	// Logger is tagged with the pipeline and step.
	Logger *slog.Logger
	// Services are the hub services steps may call.
	Services *Services
	// Now is the time the record entered the pipeline; CEL's `now`.
	Now time.Time
}

// Rebind turns ? placeholders into the dialect's ($1... for PostgreSQL).
func (sc *StepContext) Rebind(query string) string {
	if sc.Dialect != "postgres" {
		return query
	}
	out := make([]byte, 0, len(query)+8)
	n := 0
	inQuote := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		if c == '\'' {
			inQuote = !inQuote
		}
		if c == '?' && !inQuote {
			n++
			out = append(out, fmt.Sprintf("$%d", n)...)
			continue
		}
		out = append(out, c)
	}
	return string(out)
}

// ProvisionContext is what a step sees while it provisions itself.
type ProvisionContext struct {
	// Pipeline and Step name the step being provisioned.
	Pipeline string
	Step     string
	// Kind is the kind of the records that reach the step.
	Kind canonical.Kind
	// Pos is where the step is written.
	Pos yamlconf.Pos
	// Services are the hub services; fields may be nil when only validating.
	Services *Services
	// Logger is tagged with the pipeline and step.
	Logger *slog.Logger
}

// Errorf returns a problem at pos (the step's position when pos is zero), for a
// step to return from Provision or Validate.
func (pc *ProvisionContext) Errorf(pos yamlconf.Pos, format string, args ...any) error {
	if pos.IsZero() {
		pos = pc.Pos
	}
	return &yamlconf.Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// StepError is a failure of one step on one record. The engine dead-letters it
// with the pipeline and the step named.
type StepError struct {
	Pipeline string
	Step     string
	Err      error
}

// Error says which pipeline and step failed and why.
func (e *StepError) Error() string {
	return fmt.Sprintf("pipeline %s: step %s: %v", e.Pipeline, e.Step, e.Err)
}

// Unwrap returns the step's error.
func (e *StepError) Unwrap() error { return e.Err }

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that retrying cannot fix (a CEL evaluation error, a
// record without an idempotency key): the engine sends the record to the
// dead-letter queue at once.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// StepInfo is a registered step kind.
type StepInfo struct {
	// Kind is the name written in YAML, e.g. "filter".
	Kind string
	// New returns a fresh step.
	New StepFactory
}

// Registry is the set of step kinds pipelines may use. The standard steps are in
// NewStandardRegistry; hub packages add theirs with Register at wiring time.
type Registry struct {
	mu    sync.RWMutex
	steps map[string]StepInfo
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{steps: map[string]StepInfo{}} }

// NewStandardRegistry returns a registry with the steps of this package:
// filter, map, dedupe and log.
func NewStandardRegistry() *Registry {
	r := NewRegistry()
	r.Register("filter", func() Step { return new(FilterStep) })
	r.Register("map", func() Step { return new(MapStep) })
	r.Register("dedupe", func() Step { return new(DedupeStep) })
	r.Register("log", func() Step { return new(LogStep) })
	return r
}

// Register adds a step kind. It panics if kind is empty or already registered:
// both are wiring mistakes to find at start-up, as with database/sql.Register.
func (r *Registry) Register(kind string, f StepFactory) {
	if kind == "" || f == nil || kind == "name" {
		panic("pipelines: Register needs a kind other than \"name\" and a factory")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.steps[kind]; dup {
		panic(fmt.Sprintf("pipelines: step kind %q registered twice", kind))
	}
	r.steps[kind] = StepInfo{Kind: kind, New: f}
}

// Lookup returns the registered step kind.
func (r *Registry) Lookup(kind string) (StepInfo, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	info, ok := r.steps[kind]
	return info, ok
}

// Kinds returns the registered step kinds, sorted.
func (r *Registry) Kinds() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.steps))
	for k := range r.steps {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
