package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
)

// permanentError marks an error that no retry can fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as permanent: the message goes to the dead-letter queue
// at once, without retries (a malformed payload, a refused command).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err: err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// savepoint isolates one attempt of a handler inside the consuming
// transaction: the subscriber resends a failed message in the SAME
// transaction, so without it a failed attempt's writes would survive.
const savepoint = "crossdock_bus_attempt"

// chain builds the handler function the router runs, outermost first:
//
//	observe (correlation id, metrics) -> poison queue (dead letter) ->
//	step naming -> retry (backoff + jitter) -> recover (panics) -> timeout -> attempt
func (b *Bus) chain(name, topic string, hc *handlerConfig, h Handler) (message.HandlerFunc, error) {
	fn := b.attempt(name, topic, hc, h)
	fn = middleware.Timeout(hc.timeout)(fn)
	fn = middleware.Recoverer(fn)
	fn = middleware.Retry{
		MaxRetries:          hc.retry.MaxRetries,
		InitialInterval:     hc.retry.InitialInterval,
		MaxInterval:         hc.retry.MaxInterval,
		Multiplier:          hc.retry.Multiplier,
		RandomizationFactor: hc.retry.Jitter,
		ResetContextOnRetry: true,
		ShouldRetry: func(p middleware.RetryParams) bool {
			return !IsPermanent(p.Err) && !errors.Is(p.Err, errTxBroken)
		},
		OnRetryHook: func(int, time.Duration) {
			if b.metrics != nil {
				b.metrics.retries.WithLabelValues(name, hc.pipeline, hc.step).Inc()
			}
		},
		Logger: b.wlog.With(watermill.LogFields{"handler": name}),
	}.Middleware(fn)
	fn = nameStep(fn)
	pq, err := middleware.PoisonQueueWithFilter(deadLetterPublisher{bus: b}, "dead_letters", func(err error) bool {
		// A broken transaction is not the message's fault: it is redelivered.
		return !errors.Is(err, errTxBroken)
	})
	if err != nil {
		return nil, err
	}
	fn = pq(fn)
	return b.observe(name, hc, fn), nil
}

// nameStep records on the message which step a StepError names, for the
// dead letter.
func nameStep(next message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		out, err := next(msg)
		var se *StepError
		if errors.As(err, &se) {
			msg.Metadata.Set(metaStepPipeline, se.Pipeline)
			msg.Metadata.Set(metaStepStep, se.Step)
		}
		return out, err
	}
}

// observe sets the correlation id and counts the outcome of a message.
func (b *Bus) observe(name string, hc *handlerConfig, next message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		if msg.Metadata.Get(MetaCorrelationID) == "" {
			msg.Metadata.Set(MetaCorrelationID, msg.UUID)
		}
		msg.SetContext(WithCorrelationID(msg.Context(), msg.Metadata.Get(MetaCorrelationID)))
		if b.metrics == nil {
			return next(msg)
		}
		start := time.Now()
		b.metrics.in.WithLabelValues(name, hc.pipeline, hc.step).Inc()
		out, err := next(msg)
		b.metrics.latency.WithLabelValues(name, hc.pipeline, hc.step).Observe(time.Since(start).Seconds())
		if err != nil || msg.Metadata.Get(middleware.ReasonForPoisonedKey) != "" {
			b.metrics.failed.WithLabelValues(name, hc.pipeline, hc.step).Inc()
		}
		return out, err
	}
}

// attempt runs the user's handler once, inside a savepoint of the consuming
// transaction, and publishes its outgoing messages through that transaction.
func (b *Bus) attempt(name, topic string, hc *handlerConfig, h Handler) message.HandlerFunc {
	return func(msg *message.Message) (_ []*message.Message, err error) {
		ctx := msg.Context()
		wtx, ok := wsql.TxFromContext(ctx)
		if !ok {
			return nil, fmt.Errorf("handler %s: message %s came without its consuming transaction", name, msg.UUID)
		}
		tx, ok := wtx.(*consumeTx)
		if !ok {
			return nil, fmt.Errorf("handler %s: unexpected consuming transaction %T", name, wtx)
		}
		if tx.broken.Load() {
			return nil, errTxBroken
		}
		// The bus's own statements must not be interrupted by the handler's
		// deadline: on SQLite an interrupted write rolls back the whole
		// transaction, including messages of the batch already handled.
		own := context.WithoutCancel(ctx)
		if _, err := tx.Tx.ExecContext(own, "SAVEPOINT "+savepoint); err != nil {
			tx.broken.Store(true)
			return nil, fmt.Errorf("handler %s: %w (savepoint: %v)", name, errTxBroken, err)
		}
		done := false
		defer func() {
			if done {
				return
			}
			// Error or panic: undo the attempt, keep the transaction.
			if _, rbErr := tx.Tx.ExecContext(own, "ROLLBACK TO SAVEPOINT "+savepoint); rbErr != nil {
				tx.broken.Store(true)
				if err != nil {
					err = fmt.Errorf("%w (and %w: %v)", err, errTxBroken, rbErr)
				}
				return
			}
			if _, relErr := tx.Tx.ExecContext(own, "RELEASE SAVEPOINT "+savepoint); relErr != nil {
				tx.broken.Store(true)
			}
		}()

		outs, err := h(ctx, tx.Tx, msg)
		if err != nil {
			return nil, err
		}
		if !tx.alive() {
			// Nothing more may be written: it would commit on its own.
			done = true
			return nil, fmt.Errorf("handler %s: %w", name, errTxBroken)
		}
		if err := b.publishOuts(own, tx, msg, outs); err != nil {
			return nil, err
		}
		if _, err := tx.Tx.ExecContext(own, "RELEASE SAVEPOINT "+savepoint); err != nil {
			// The database dropped the transaction under the handler.
			tx.broken.Store(true)
			done = true
			return nil, fmt.Errorf("handler %s: %w (release: %v)", name, errTxBroken, err)
		}
		done = true
		if b.metrics != nil && len(outs) > 0 {
			b.metrics.out.WithLabelValues(name, hc.pipeline, hc.step).Add(float64(len(outs)))
		}
		return nil, nil
	}
}

// publishOuts publishes a handler's outgoing messages in order, grouping
// consecutive messages to one topic into one insert.
func (b *Bus) publishOuts(ctx context.Context, tx *consumeTx, in *message.Message, outs []Out) error {
	corr := in.Metadata.Get(MetaCorrelationID)
	ctx = WithCorrelationID(ctx, corr)
	for i := 0; i < len(outs); {
		j := i
		batch := make([]*message.Message, 0, 1)
		for j < len(outs) && outs[j].Topic == outs[i].Topic {
			if outs[j].Msg == nil {
				return fmt.Errorf("outgoing message %d to %s is nil", j, outs[j].Topic)
			}
			batch = append(batch, outs[j].Msg)
			j++
		}
		if err := b.PublishTx(ctx, tx.Tx, outs[i].Topic, batch...); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// deadLetterPublisher is the publisher Watermill's poison-queue middleware
// hands a poisoned message to: it writes the dead letter into the table, in
// the transaction that consumes (and so acks) the message.
type deadLetterPublisher struct{ bus *Bus }

func (p deadLetterPublisher) Publish(_ string, msgs ...*message.Message) error {
	for _, msg := range msgs {
		wtx, ok := wsql.TxFromContext(msg.Context())
		if !ok {
			return fmt.Errorf("dead letter %s: no consuming transaction", msg.UUID)
		}
		tx, ok := wtx.(*consumeTx)
		if !ok {
			return fmt.Errorf("dead letter %s: unexpected consuming transaction %T", msg.UUID, wtx)
		}
		if tx.broken.Load() {
			return errTxBroken
		}
		if err := p.bus.dead.insert(context.WithoutCancel(msg.Context()), tx.Tx, msg); err != nil {
			return err
		}
		if p.bus.metrics != nil {
			p.bus.metrics.deadLettered.WithLabelValues(msg.Metadata.Get(middleware.PoisonedHandlerKey)).Inc()
		}
	}
	return nil
}

func (p deadLetterPublisher) Close() error { return nil }
