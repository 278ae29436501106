package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/bus"
	"github.com/crossdockhq/crossdock/hub/egress"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/pipelines"
)

// Config tunes an Engine.
type Config struct {
	// Services are given to steps. A nil Dedupe is filled with the SQL store of
	// this package.
	Services *pipelines.Services
	// Registerer receives the pipeline metrics; nil means none.
	Registerer prometheus.Registerer
	// Logger receives the engine's and the steps' log lines.
	Logger *slog.Logger
	// JanitorInterval is how often expired dedupe keys are deleted; 10m when zero.
	JanitorInterval time.Duration
}

// Engine runs a set of compiled pipelines on a bus.
type Engine struct {
	bus      *bus.Bus
	db       *store.DB
	set      *pipelines.Set
	services *pipelines.Services
	logger   *slog.Logger
	metrics  *metrics
	janitor  time.Duration
	dedupe   *SQLDeduper
}

// New prepares the pipelines of set to run on b. Call Start to register them.
func New(b *bus.Bus, set *pipelines.Set, cfg Config) (*Engine, error) {
	if b == nil || set == nil {
		return nil, errors.New("engine: bus and pipelines are required")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	services := &pipelines.Services{}
	if cfg.Services != nil {
		*services = *cfg.Services
	}
	e := &Engine{bus: b, db: b.DB(), set: set, services: services, logger: logger.With("component", "engine"), janitor: cfg.JanitorInterval}
	if e.janitor <= 0 {
		e.janitor = 10 * time.Minute
	}
	e.dedupe = &SQLDeduper{}
	if services.Dedupe == nil {
		services.Dedupe = e.dedupe
	}
	if cfg.Registerer != nil {
		m, err := newMetrics(cfg.Registerer)
		if err != nil {
			return nil, err
		}
		e.metrics = m
	}
	return e, nil
}

// HandlerName is the bus handler (consumer group) of a pipeline.
func HandlerName(pipeline string) string { return "pipeline:" + pipeline }

// Start creates the topics the pipelines use and registers one bus handler per
// pipeline; they run once the bus runs. It also starts the janitor that deletes
// expired dedupe keys, until ctx is done.
func (e *Engine) Start(ctx context.Context) error {
	for _, c := range e.set.Pipelines {
		topics := append([]string{c.Topic}, c.Topics()...)
		if err := e.bus.EnsureTopic(ctx, topics...); err != nil {
			return fmt.Errorf("engine: pipeline %s: %w", c.Name, err)
		}
		opts := []bus.HandlerOption{bus.WithPipeline(c.Name), bus.WithRetry(retryPolicy(c.OnError))}
		if err := e.bus.Handle(HandlerName(c.Name), c.Topic, e.Handler(c), opts...); err != nil {
			return fmt.Errorf("engine: pipeline %s: %w", c.Name, err)
		}
		if e.metrics != nil {
			e.metrics.init(c)
		}
		e.logger.Info("pipeline started", "pipeline", c.Name, "topic", c.Topic, "steps", len(c.Steps))
	}
	go e.runJanitor(ctx)
	return nil
}

// foreverRetries stands for "never dead-letter" (on_error.dead_letter: false):
// at the longest interval, a million retries last months.
const foreverRetries = 1_000_000

func retryPolicy(o pipelines.OnError) bus.RetryPolicy {
	r := o.Retry.WithDefaults()
	p := bus.RetryPolicy{
		MaxRetries:      r.MaxAttempts - 1,
		InitialInterval: r.InitialInterval,
		MaxInterval:     max(r.MaxInterval, r.InitialInterval),
		Multiplier:      r.Multiplier,
		Jitter:          0.5,
	}
	if !o.DeadLetters() {
		p.MaxRetries = foreverRetries
	}
	return p
}

func (e *Engine) runJanitor(ctx context.Context) {
	t := time.NewTicker(e.janitor)
	defer t.Stop()
	for {
		if n, err := e.dedupe.Expire(ctx, e.db, time.Now()); err != nil {
			if ctx.Err() != nil {
				return
			}
			e.logger.Warn("delete expired dedupe keys", "err", err)
		} else if n > 0 {
			e.logger.Debug("deleted expired dedupe keys", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Handler returns the bus handler that runs pipeline c on one message.
func (e *Engine) Handler(c *pipelines.Compiled) bus.Handler {
	dialect := string(e.db.Dialect)
	var one *oneDecoder
	if c.RewritesPayload() {
		one, _ = newOneDecoder(c.Kind)
	}
	return func(ctx context.Context, tx *sql.Tx, msg *message.Message) ([]bus.Out, error) {
		var rec *pipelines.Record
		if one != nil {
			r, ok, err := one.decode(msg.Payload, msg.Metadata)
			if err != nil {
				return nil, bus.Permanent(&bus.StepError{Pipeline: c.Name, Step: "from", Err: err})
			}
			if ok {
				rec = r
			}
		}
		if rec == nil {
			var env canonical.Record
			if err := json.Unmarshal(msg.Payload, &env); err != nil {
				return nil, bus.Permanent(&bus.StepError{Pipeline: c.Name, Step: "from", Err: fmt.Errorf("decode record: %w", err)})
			}
			rec = pipelines.NewRecord(env, msg.Metadata)
		}
		if e.metrics != nil {
			e.metrics.in.WithLabelValues(c.Name).Inc()
		}
		base := pipelines.StepContext{
			Context:  ctx,
			Tx:       tx,
			Dialect:  dialect,
			Logger:   e.logger,
			Services: e.services,
			Now:      time.Now().UTC(),
		}
		var obs pipelines.Observer
		if e.metrics != nil {
			obs = e.metrics
		}
		outs, err := c.ProcessRecord(base, rec, obs)
		if err != nil {
			if e.metrics != nil {
				step := "?"
				var se *pipelines.StepError
				if errors.As(err, &se) {
					step = se.Step
				}
				e.metrics.failed.WithLabelValues(c.Name, step).Inc()
			}
			return nil, busError(c.Name, err)
		}
		if len(outs) == 0 {
			if e.metrics != nil {
				e.metrics.dropped.WithLabelValues(c.Name).Inc()
			}
			return nil, nil
		}
		res := make([]bus.Out, 0, len(outs))
		for _, o := range outs {
			m, err := outMessage(c.Name, o)
			if err != nil {
				return nil, bus.Permanent(&bus.StepError{Pipeline: c.Name, Step: "to", Err: err})
			}
			res = append(res, bus.Out{Topic: o.Target.TopicName(), Msg: m})
		}
		if e.metrics != nil {
			e.metrics.out.WithLabelValues(c.Name).Add(float64(len(res)))
		}
		return res, nil
	}
}

// busError turns a pipeline failure into what the bus dead-letters: a
// bus.StepError naming the pipeline and step, marked permanent when retrying
// cannot help.
func busError(pipeline string, err error) error {
	se := &bus.StepError{Pipeline: pipeline, Step: "?", Err: err}
	var pe *pipelines.StepError
	if errors.As(err, &pe) {
		se.Step, se.Err = pe.Step, pe.Err
	}
	if pipelines.IsPermanent(err) {
		return bus.Permanent(se)
	}
	return se
}

// outMessage builds the bus message of one output.
func outMessage(pipeline string, o pipelines.Output) (*message.Message, error) {
	payload, err := encodeRecord(o.Record)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	m := message.NewMessage(watermill.NewUUID(), payload)
	if corr := o.Metadata[bus.MetaCorrelationID]; corr != "" {
		m.Metadata.Set(bus.MetaCorrelationID, corr)
	}
	m.Metadata.Set(bus.MetaIdempotencyKey, o.Record.IdempotencyKey)
	m.Metadata.Set(bus.MetaKind, string(o.Record.Kind))
	m.Metadata.Set(bus.MetaSource, o.Record.Source)
	m.Metadata.Set(bus.MetaPipeline, pipeline)
	if o.Target.Connector != "" {
		m.Metadata.Set(egress.MetaAction, o.Target.Action)
	}
	return m, nil
}

// RecordMessage builds the bus message that carries rec, with the metadata the
// hub puts on every record (for ingress and tests).
func RecordMessage(rec canonical.Record) (*message.Message, error) {
	payload, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	m := message.NewMessage(watermill.NewUUID(), payload)
	m.Metadata.Set(bus.MetaIdempotencyKey, rec.IdempotencyKey)
	m.Metadata.Set(bus.MetaKind, string(rec.Kind))
	m.Metadata.Set(bus.MetaSource, rec.Source)
	return m, nil
}

// Cleanup releases the steps' resources.
func (e *Engine) Cleanup() error {
	var errs []error
	for _, c := range e.set.Pipelines {
		errs = append(errs, c.Cleanup())
	}
	return errors.Join(errs...)
}
