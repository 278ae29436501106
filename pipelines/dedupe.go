package pipelines

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"cel.dev/cel-go/cel"

	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

// DefaultDedupeWindow is how long dedupe remembers a key when no window is set.
const DefaultDedupeWindow = 7 * 24 * time.Hour

// DedupeStep drops a record whose key was already seen within the window. The
// keys live in the hub database (Services.Dedupe), written in the transaction
// that consumes the record: a record counts as seen exactly when its effects
// are committed, so a crash neither loses nor doubles it.
//
//   - dedupe:
//     key: record.idempotency_key   # the default
//     window: 24h
type DedupeStep struct {
	// Key is a CEL expression for the key; record.idempotency_key when empty.
	Key *Expr `yaml:"key"`
	// Window is how long a key is remembered; DefaultDedupeWindow when zero.
	Window time.Duration `yaml:"window"`

	Pos yamlconf.Positions `yaml:"-"`

	prg   *Program
	scope string
}

var (
	_ Step        = (*DedupeStep)(nil)
	_ Provisioner = (*DedupeStep)(nil)
	_ Validator   = (*DedupeStep)(nil)
)

// Provision compiles the key expression; it must be a string.
func (s *DedupeStep) Provision(pc *ProvisionContext) error {
	key := Expr{Source: "record.idempotency_key", Pos: pc.Pos}
	if s.Key != nil {
		key = *s.Key
	}
	prg, err := pc.Compile(key, cel.StringType)
	if err != nil {
		return err
	}
	s.prg = prg
	s.scope = pc.Pipeline + "/" + pc.Step
	if s.Window == 0 {
		s.Window = DefaultDedupeWindow
	}
	return nil
}

// Validate checks the window.
func (s *DedupeStep) Validate() error {
	if s.Window < 0 {
		return &yamlconf.Error{Pos: s.Pos.Of("window"), Msg: "window must be positive"}
	}
	return nil
}

// Process drops rec when its key was seen.
func (s *DedupeStep) Process(sc *StepContext, rec *Record) ([]*Record, error) {
	key, err := s.prg.EvalString(sc, rec)
	if err != nil {
		return nil, err
	}
	if key == "" {
		return nil, Permanent(errors.New("dedupe: the record's key is empty (is idempotency_key set?)"))
	}
	if sc.Services == nil || sc.Services.Dedupe == nil {
		return nil, errors.New("dedupe: no dedupe store is configured")
	}
	seen, err := sc.Services.Dedupe.Seen(sc, s.scope, key, s.Window)
	if err != nil {
		return nil, fmt.Errorf("dedupe: %w", err)
	}
	if seen {
		return nil, nil
	}
	return []*Record{rec}, nil
}

// MemoryDeduper is a Deduper in memory, for `crossdock test` and unit tests.
// It ignores transactions: it is not durable.
type MemoryDeduper struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// NewMemoryDeduper returns an empty MemoryDeduper.
func NewMemoryDeduper() *MemoryDeduper { return &MemoryDeduper{seen: map[string]time.Time{}} }

// Seen implements Deduper.
func (m *MemoryDeduper) Seen(sc *StepContext, scope, key string, window time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := scope + "\x00" + key
	at, ok := m.seen[k]
	if ok && sc.Now.Sub(at) < window {
		return true, nil
	}
	m.seen[k] = sc.Now
	return false, nil
}
