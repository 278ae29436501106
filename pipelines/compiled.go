package pipelines

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

// Compiled is a checked pipeline, its steps provisioned, ready to process records.
type Compiled struct {
	*Pipeline
	// Topic is the bus topic the pipeline consumes.
	Topic string
	// Connector, when set, keeps only the records whose source it is.
	Connector string
	// Kind is the kind of the records it consumes; OutKind of those it emits.
	Kind, OutKind canonical.Kind
	// Steps are the provisioned steps, in order.
	Steps []*CompiledStep

	loggers sync.Map // *slog.Logger (base) -> []*slog.Logger (per step)
}

// stepLoggers returns base tagged with the pipeline and each step's name,
// built once per base logger rather than once per record.
func (c *Compiled) stepLoggers(base *slog.Logger) []*slog.Logger {
	if ls, ok := c.loggers.Load(base); ok {
		return ls.([]*slog.Logger)
	}
	ls := make([]*slog.Logger, len(c.Steps))
	for i, s := range c.Steps {
		ls[i] = base.With("pipeline", c.Name, "step", s.Name)
	}
	c.loggers.Store(base, ls)
	return ls
}

// CompiledStep is one provisioned step.
type CompiledStep struct {
	Name string
	Kind string
	Pos  yamlconf.Pos
	Step Step
}

// Output is one record the pipeline emits, with its destination.
type Output struct {
	Target Target
	Record canonical.Record
	// Metadata is carried from the input message.
	Metadata map[string]string
}

// Observer is told about every step run, for metrics. Implementations must be
// safe for concurrent use.
type Observer interface {
	StepDone(pipeline, step string, in, out int, took time.Duration, err error)
}

// Topics returns the topics the pipeline publishes to.
func (c *Compiled) Topics() []string {
	var out []string
	for _, t := range c.To {
		out = append(out, t.TopicName())
	}
	return out
}

// Process runs rec through the steps. base supplies the context, transaction,
// services and logger; Pipeline, Step and Now are set here. It returns the
// outputs (each surviving record once per target) or a *StepError naming the
// failing step. A record from another connector than From.Connector is
// skipped: nil, nil.
func (c *Compiled) Process(base StepContext, in canonical.Record, metadata map[string]string, obs Observer) ([]Output, error) {
	return c.ProcessRecord(base, NewRecord(in, metadata), obs)
}

// RewritesPayload reports whether a step of the pipeline rewrites payloads
// (map): then decoding the payload with the envelope, in one pass
// (NewDecodedRecord), costs less than decoding it lazily and encoding it again.
func (c *Compiled) RewritesPayload() bool {
	for _, s := range c.Steps {
		if s.Kind == "map" {
			return true
		}
	}
	return false
}

// ProcessRecord is Process for a record already wrapped (NewDecodedRecord).
func (c *Compiled) ProcessRecord(base StepContext, rec *Record, obs Observer) ([]Output, error) {
	if c.Connector != "" && rec.Source != c.Connector {
		return nil, nil
	}
	if base.Context == nil {
		base.Context = context.Background()
	}
	if base.Now.IsZero() {
		base.Now = time.Now().UTC()
	}
	if base.Logger == nil {
		base.Logger = slog.Default()
	}
	loggers := c.stepLoggers(base.Logger)
	base.Pipeline = c.Name
	recs := []*Record{rec}
	for i, s := range c.Steps {
		sc := base
		sc.Step = s.Name
		sc.Logger = loggers[i]
		start := time.Now()
		var next []*Record
		var err error
		for _, r := range recs {
			var out []*Record
			out, err = s.Step.Process(&sc, r)
			if err != nil {
				break
			}
			next = append(next, out...)
		}
		if obs != nil {
			obs.StepDone(c.Name, s.Name, len(recs), len(next), time.Since(start), err)
		}
		if err != nil {
			return nil, &StepError{Pipeline: c.Name, Step: s.Name, Err: err}
		}
		recs = next
		if len(recs) == 0 {
			return nil, nil
		}
	}
	outs := make([]Output, 0, len(recs)*len(c.To))
	for _, r := range recs {
		env, err := r.Envelope()
		if err != nil {
			return nil, &StepError{Pipeline: c.Name, Step: "to", Err: Permanent(err)}
		}
		for _, t := range c.To {
			outs = append(outs, Output{Target: t, Record: env, Metadata: r.Metadata})
		}
	}
	return outs, nil
}

// Cleanup releases the resources of every step that holds some.
func (c *Compiled) Cleanup() error {
	var errs []error
	for _, s := range c.Steps {
		if cu, ok := s.Step.(CleanerUpper); ok {
			errs = append(errs, cu.Cleanup())
		}
	}
	return errors.Join(errs...)
}
