package bus

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
)

// The bus runs each handler in one loop of its own, reading its subscriber's
// messages and running the middleware chain on each inline, instead of
// through Watermill's router. The router hands every message through a
// decorator goroutine and its own loop to a fresh goroutine per message;
// those hand-offs, not SQL, were most of the cost of a message. The
// subscriber still delivers one message at a time and waits for its ack, so
// nothing about ordering or transactions changes.

// runner is one registered handler: its subscriber and its middleware chain.
type runner struct {
	name, topic string
	sub         *wsql.Subscriber
	fn          message.HandlerFunc
	started     bool
}

// subscriberName is what the poison queue records as the subscriber (the
// name Watermill's router gave it).
const subscriberName = "sql.Subscriber"

// start subscribes r and runs its loop until ctx ends, its subscriber closes
// or the bus stops. Called with b.mu held.
func (b *Bus) start(ctx context.Context, r *runner) error {
	if r.started {
		return nil
	}
	msgs, err := r.sub.Subscribe(ctx, r.topic)
	if err != nil {
		return fmt.Errorf("bus: start handler %s: %w", r.name, err)
	}
	r.started = true
	b.loops.Add(1)
	go func() {
		defer b.loops.Done()
		for {
			// Once the bus is stopping, take no new message: the one in
			// flight (if any) has been handled and acked.
			select {
			case <-b.stopping:
				return
			default:
			}
			select {
			case msg, ok := <-msgs:
				if !ok {
					return
				}
				b.handleMessage(r, msg)
			case <-b.stopping:
				return
			}
		}
	}()
	return nil
}

// handleMessage runs the chain on one message and acks or nacks it (the
// subscriber then resends it in the same transaction).
func (b *Bus) handleMessage(r *runner, msg *message.Message) {
	defer func() {
		if p := recover(); p != nil {
			b.logger.Error("bus: panic in handler chain", "handler", r.name, "message_uuid", msg.UUID,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			msg.Nack()
		}
	}()
	if _, err := r.fn(msg); err != nil {
		if !errors.Is(err, context.Canceled) {
			b.logger.Error("bus: handler failed", "handler", r.name, "message_uuid", msg.UUID, "err", err)
		}
		msg.Nack()
		return
	}
	msg.Ack()
}

// Run runs the handlers until ctx is done or Close is called; it returns
// once they have stopped.
func (b *Bus) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b.mu.Lock()
	select {
	case <-b.stopping:
		b.mu.Unlock()
		return errors.New("bus: run: the bus is closed")
	default:
	}
	if b.runCtx != nil {
		b.mu.Unlock()
		return errors.New("bus: run: already running")
	}
	b.runCtx = ctx
	for _, name := range b.order {
		if err := b.start(ctx, b.runners[name]); err != nil {
			b.mu.Unlock()
			_ = b.stop()
			return fmt.Errorf("bus: run: %w", err)
		}
	}
	close(b.running)
	b.mu.Unlock()
	select {
	case <-ctx.Done():
	case <-b.stopping:
	}
	if err := b.stop(); err != nil {
		return fmt.Errorf("bus: run: %w", err)
	}
	return nil
}

// Running is closed once Run has started every handler.
func (b *Bus) Running() <-chan struct{} { return b.running }

// Close stops the handlers, waiting up to Config.CloseTimeout for the
// messages in flight. Uncommitted batches are redelivered on the next Run.
func (b *Bus) Close() error {
	err := b.stop()
	b.bg.Wait()
	if err != nil {
		return fmt.Errorf("bus: close: %w", err)
	}
	return nil
}

// stop stops every handler loop: each finishes the message in flight (up to
// CloseTimeout), then the subscribers close, committing what was acked. It
// runs once; later calls wait for it and return its result.
func (b *Bus) stop() error {
	b.stopOnce.Do(func() {
		b.mu.Lock()
		close(b.stopping)
		subs := make([]*wsql.Subscriber, 0, len(b.runners))
		for _, name := range b.order {
			subs = append(subs, b.runners[name].sub)
		}
		b.mu.Unlock()
		loops := make(chan struct{})
		go func() {
			b.loops.Wait()
			close(loops)
		}()
		timer := time.NewTimer(b.cfg.CloseTimeout)
		defer timer.Stop()
		select {
		case <-loops:
		case <-timer.C:
			b.stopErr = errors.New("timed out waiting for handlers to finish")
		}
		var wg sync.WaitGroup
		for _, s := range subs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = s.Close()
			}()
		}
		wg.Wait()
	})
	return b.stopErr
}
