package bus

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/crossdockhq/crossdock/hub/store"
)

// testConfig is fast: short polls and retries.
func testConfig() Config {
	return Config{
		PollInterval: 5 * time.Millisecond,
		Retry: RetryPolicy{
			MaxRetries:      2,
			InitialInterval: time.Millisecond,
			MaxInterval:     5 * time.Millisecond,
			Multiplier:      2,
			Jitter:          0.5,
		},
		HandlerTimeout: 5 * time.Second,
		CloseTimeout:   5 * time.Second,
	}
}

func openSQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newBus(t testing.TB, db *store.DB, cfg Config) *Bus {
	t.Helper()
	b, err := New(db, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// run starts the bus and stops it at the end of the test.
func run(t testing.TB, b *Bus) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	select {
	case <-b.Running():
	case err := <-done:
		t.Fatalf("bus stopped at start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("bus did not start")
	}
	t.Cleanup(func() {
		cancel()
		_ = b.Close()
		<-done
	})
}

// drained waits until every handler has committed every message of its
// topic (a handled message's effects commit with its batch, a moment later).
func drained(t testing.TB, b *Bus) {
	t.Helper()
	waitFor(t, "all handlers to commit", func() bool {
		lags, err := b.Lag(context.Background())
		if err != nil {
			return false
		}
		for _, l := range lags {
			if l.Messages > 0 {
				return false
			}
		}
		return true
	})
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func count(t testing.TB, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func msg(payload string, md ...string) *message.Message {
	m := message.NewMessage(watermill.NewUUID(), []byte(payload))
	for i := 0; i+1 < len(md); i += 2 {
		m.Metadata.Set(md[i], md[i+1])
	}
	return m
}

func createState(t testing.TB, db *store.DB) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), `CREATE TABLE effects (key TEXT PRIMARY KEY, payload TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
}

// TestHandler_FailedAttemptRollsBackStateAndOutgoingThenRedelivers: the
// first attempt writes state, publishes through the tx, and fails; neither
// survives, and the retried attempt's effects are the only ones.
func TestHandler_FailedAttemptRollsBackStateAndOutgoingThenRedelivers(t *testing.T) {
	db := openSQLite(t)
	createState(t, db)
	b := newBus(t, db, testConfig())
	var attempts atomic.Int32
	err := b.Handle("store", "orders.in", func(ctx context.Context, tx *sql.Tx, m *message.Message) ([]Out, error) {
		n := attempts.Add(1)
		if _, err := tx.ExecContext(ctx, `INSERT INTO effects (key, payload) VALUES (?, ?)`, m.UUID, string(m.Payload)); err != nil {
			return nil, err
		}
		if n == 1 {
			if err := b.PublishTx(ctx, tx, "orders.out", msg("from failed attempt")); err != nil {
				return nil, err
			}
			return []Out{{Topic: "orders.out", Msg: msg("also from failed attempt")}}, errors.New("transient failure")
		}
		return []Out{{Topic: "orders.out", Msg: msg("from good attempt")}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	run(t, b)
	if err := b.Publish(context.Background(), "orders.in", msg(`{"id":"o1"}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the message to be consumed", func() bool {
		lags, err := b.Lag(context.Background())
		return err == nil && len(lags) == 1 && lags[0].Messages == 0
	})
	if got := attempts.Load(); got != 2 {
		t.Errorf("attempts = %d, want 2", got)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM effects`); n != 1 {
		t.Errorf("effects = %d, want 1 (the failed attempt's write must be rolled back)", n)
	}
	rows, err := db.QueryContext(context.Background(), `SELECT payload FROM "watermill_orders.out" ORDER BY "offset"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			t.Fatal(err)
		}
		got = append(got, p)
	}
	if strings.Join(got, "|") != "from good attempt" {
		t.Errorf("outgoing = %q, want only the good attempt's message", got)
	}
	if n, _ := b.DeadLetters().Count(context.Background(), Filter{}); n != 0 {
		t.Errorf("dead letters = %d, want 0", n)
	}
}

// TestHandler_ConsumesInPublishOrder: one handler sees a topic's messages in
// the order they were published, across publishes and batches.
func TestHandler_ConsumesInPublishOrder(t *testing.T) {
	db := openSQLite(t)
	cfg := testConfig()
	cfg.BatchSize = 7 // several batches
	b := newBus(t, db, cfg)
	var mu sync.Mutex
	var seen []string
	if err := b.Handle("record", "seq", func(_ context.Context, _ *sql.Tx, m *message.Message) ([]Out, error) {
		mu.Lock()
		seen = append(seen, string(m.Payload))
		mu.Unlock()
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	run(t, b)
	const n = 120
	var want []string
	for i := 0; i < n; i += 10 {
		var batch []*message.Message
		for j := i; j < i+10; j++ {
			batch = append(batch, msg(fmt.Sprint(j)))
			want = append(want, fmt.Sprint(j))
		}
		if err := b.Publish(context.Background(), "seq", batch...); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "all messages", func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) >= n })
	drained(t, b)
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("order:\n got %v\nwant %v", seen, want)
	}
}

// TestDeadLetter_AfterRetriesRecordsReasonPipelineStepAndMessage: a message
// that keeps failing is tried 1+MaxRetries times, then dead-lettered with
// its reason, pipeline, step, topic and original message; the handler moves
// on to the next message.
func TestDeadLetter_AfterRetriesRecordsReasonPipelineStepAndMessage(t *testing.T) {
	tests := []struct {
		name         string
		opts         []HandlerOption
		md           []string
		err          error
		wantAttempts int32
		wantPipeline string
		wantStep     string
	}{
		{name: "handler options name the step", opts: []HandlerOption{WithPipeline("orders"), WithStep("reserve")},
			err: errors.New("no stock at any location"), wantAttempts: 3, wantPipeline: "orders", wantStep: "reserve"},
		{name: "metadata names the step", md: []string{MetaPipeline, "sync", MetaStep, "map"},
			err: errors.New("bad mapping"), wantAttempts: 3, wantPipeline: "sync", wantStep: "map"},
		{name: "a StepError names the step", opts: []HandlerOption{WithPipeline("orders"), WithStep("all")},
			err: &StepError{Pipeline: "orders", Step: "dedupe", Err: errors.New("window store down")}, wantAttempts: 3, wantPipeline: "orders", wantStep: "dedupe"},
		{name: "a permanent error skips retries", opts: []HandlerOption{WithPipeline("p"), WithStep("s")},
			err: Permanent(errors.New("malformed payload")), wantAttempts: 1, wantPipeline: "p", wantStep: "s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openSQLite(t)
			b := newBus(t, db, testConfig())
			var attempts atomic.Int32
			var okSeen atomic.Bool
			if err := b.Handle("h", "in", func(_ context.Context, _ *sql.Tx, m *message.Message) ([]Out, error) {
				if string(m.Payload) == "ok" {
					okSeen.Store(true)
					return nil, nil
				}
				attempts.Add(1)
				return nil, tt.err
			}, tt.opts...); err != nil {
				t.Fatal(err)
			}
			run(t, b)
			bad := msg(`{"kind":"order"}`, append([]string{MetaCorrelationID, "c-1", MetaIdempotencyKey, "k-1"}, tt.md...)...)
			if err := b.Publish(context.Background(), "in", bad, msg("ok")); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the next message", okSeen.Load)
			drained(t, b)
			if got := attempts.Load(); got != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", got, tt.wantAttempts)
			}
			dls, err := b.DeadLetters().List(context.Background(), Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(dls) != 1 {
				t.Fatalf("dead letters = %d, want 1", len(dls))
			}
			dl := dls[0]
			if !strings.Contains(dl.Reason, tt.err.Error()) {
				t.Errorf("reason = %q, want it to contain %q", dl.Reason, tt.err.Error())
			}
			if dl.Pipeline != tt.wantPipeline || dl.Step != tt.wantStep {
				t.Errorf("pipeline/step = %s/%s, want %s/%s", dl.Pipeline, dl.Step, tt.wantPipeline, tt.wantStep)
			}
			if dl.Topic != "in" || dl.Handler != "h" || dl.MessageUUID != bad.UUID || dl.Payload != `{"kind":"order"}` {
				t.Errorf("dead letter = %+v, want the original message from topic in, handler h", dl)
			}
			if dl.Metadata[MetaIdempotencyKey] != "k-1" || dl.Metadata[MetaCorrelationID] != "c-1" {
				t.Errorf("metadata = %v, want the original metadata", dl.Metadata)
			}
			for k := range dl.Metadata {
				if strings.Contains(k, "poisoned") || strings.HasPrefix(k, "_dead_letter") {
					t.Errorf("metadata keeps bookkeeping key %q", k)
				}
			}
			got, err := b.DeadLetters().Get(context.Background(), dl.ID)
			if err != nil || got.ID != dl.ID {
				t.Errorf("Get(%s) = %v, %v", dl.ID, got.ID, err)
			}
		})
	}
}

// TestDeadLetters_ReplayOnceIsIdempotentAndMarksReplayed: replaying a dead
// letter republishes the original once; a second replay does nothing.
func TestDeadLetters_ReplayOnceIsIdempotentAndMarksReplayed(t *testing.T) {
	db := openSQLite(t)
	createState(t, db)
	b := newBus(t, db, testConfig())
	var fixed atomic.Bool
	var handled atomic.Int32
	if err := b.Handle("apply", "in", func(ctx context.Context, tx *sql.Tx, m *message.Message) ([]Out, error) {
		if !fixed.Load() {
			return nil, errors.New("downstream refused")
		}
		// An idempotent handler: the idempotency key makes a repeat a no-op.
		_, err := tx.ExecContext(ctx, `INSERT INTO effects (key, payload) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`,
			m.Metadata.Get(MetaIdempotencyKey), string(m.Payload))
		handled.Add(1)
		return nil, err
	}); err != nil {
		t.Fatal(err)
	}
	run(t, b)
	if err := b.Publish(context.Background(), "in", msg("p", MetaIdempotencyKey, "order-1")); err != nil {
		t.Fatal(err)
	}
	var dl DeadLetter
	waitFor(t, "the dead letter", func() bool {
		dls, _ := b.DeadLetters().List(context.Background(), Filter{Status: StatusPending})
		if len(dls) == 1 {
			dl = dls[0]
		}
		return len(dls) == 1
	})
	fixed.Store(true)
	for i, want := range []bool{true, false} {
		got, err := b.DeadLetters().Replay(context.Background(), dl.ID)
		if err != nil || got != want {
			t.Fatalf("replay #%d = %v, %v; want %v", i+1, got, err, want)
		}
	}
	waitFor(t, "the replay to be handled", func() bool { return handled.Load() >= 1 })
	waitFor(t, "the topic to drain", func() bool {
		lags, err := b.Lag(context.Background())
		return err == nil && lags[0].Messages == 0
	})
	if n := handled.Load(); n != 1 {
		t.Errorf("handled %d times, want 1", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM effects WHERE key = 'order-1'`); n != 1 {
		t.Errorf("effects = %d, want 1", n)
	}
	got, err := b.DeadLetters().Get(context.Background(), dl.ID)
	if err != nil || !got.Replayed() {
		t.Errorf("dead letter after replay = %+v, %v; want replayed", got, err)
	}
	if n, _ := b.DeadLetters().Count(context.Background(), Filter{Status: StatusPending}); n != 0 {
		t.Errorf("pending dead letters = %d, want 0", n)
	}
	if _, err := b.DeadLetters().Replay(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("replay of unknown id: %v, want ErrNotFound", err)
	}
	if n, err := b.DeadLetters().Purge(context.Background(), Filter{Status: StatusReplayed}); err != nil || n != 1 {
		t.Errorf("purge replayed = %d, %v; want 1", n, err)
	}
	if n, _ := b.DeadLetters().Count(context.Background(), Filter{}); n != 0 {
		t.Errorf("dead letters after purge = %d, want 0", n)
	}
}

// TestHandler_PanicIsRecoveredRolledBackAndDeadLettered: a panicking handler
// does not stop the bus; its writes are undone and the message is
// dead-lettered with the panic as reason.
func TestHandler_PanicIsRecoveredRolledBackAndDeadLettered(t *testing.T) {
	db := openSQLite(t)
	createState(t, db)
	b := newBus(t, db, testConfig())
	var next atomic.Bool
	if err := b.Handle("h", "in", func(ctx context.Context, tx *sql.Tx, m *message.Message) ([]Out, error) {
		if string(m.Payload) == "next" {
			next.Store(true)
			return nil, nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO effects (key, payload) VALUES (?, 'x') ON CONFLICT (key) DO NOTHING`, m.UUID); err != nil {
			return nil, err
		}
		var nilMap map[string]int
		nilMap["boom"]++ // panics
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	run(t, b)
	if err := b.Publish(context.Background(), "in", msg("bad"), msg("next")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the next message", next.Load)
	drained(t, b)
	dls, err := b.DeadLetters().List(context.Background(), Filter{})
	if err != nil || len(dls) != 1 {
		t.Fatalf("dead letters = %v, %v; want 1", dls, err)
	}
	if !strings.Contains(dls[0].Reason, "panic") || !strings.Contains(dls[0].Reason, "nil map") {
		t.Errorf("reason = %.200q, want the panic", dls[0].Reason)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM effects`); n != 0 {
		t.Errorf("effects = %d, want 0: a panicking attempt must be rolled back", n)
	}
}

// TestHandler_TimeoutCancelsContextAndDeadLetters: an attempt that outlives
// its timeout sees its context cancelled.
func TestHandler_TimeoutCancelsContextAndDeadLetters(t *testing.T) {
	db := openSQLite(t)
	b := newBus(t, db, testConfig())
	var next atomic.Bool
	if err := b.Handle("slow", "in", func(ctx context.Context, _ *sql.Tx, m *message.Message) ([]Out, error) {
		if string(m.Payload) == "next" {
			next.Store(true)
			return nil, nil
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}, WithTimeout(20*time.Millisecond), WithRetry(RetryPolicy{MaxRetries: 1, InitialInterval: time.Millisecond})); err != nil {
		t.Fatal(err)
	}
	run(t, b)
	if err := b.Publish(context.Background(), "in", msg("stuck"), msg("next")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the next message", next.Load)
	drained(t, b)
	dls, err := b.DeadLetters().List(context.Background(), Filter{Handler: "slow"})
	if err != nil || len(dls) != 1 || !strings.Contains(dls[0].Reason, "deadline exceeded") {
		t.Fatalf("dead letters = %+v, %v; want one for the deadline", dls, err)
	}
}

// TestCorrelationID_CarriedFromIngressToEgress: the correlation id of an
// ingress message reaches every message published downstream, whether a
// handler returns it or publishes it itself; a message without one gets its
// own UUID at ingress.
func TestCorrelationID_CarriedFromIngressToEgress(t *testing.T) {
	db := openSQLite(t)
	b := newBus(t, db, testConfig())
	if err := b.Handle("route", "orders.in", func(ctx context.Context, tx *sql.Tx, m *message.Message) ([]Out, error) {
		if err := b.PublishTx(ctx, tx, "audit", msg("audit "+string(m.Payload))); err != nil {
			return nil, err
		}
		return []Out{{Topic: "orders.routed", Msg: msg(string(m.Payload))}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string]string{} // payload -> correlation id seen at egress (also via ctx)
	egress := func(ctx context.Context, _ *sql.Tx, m *message.Message) ([]Out, error) {
		mu.Lock()
		defer mu.Unlock()
		if CorrelationID(ctx) != m.Metadata.Get(MetaCorrelationID) {
			got[string(m.Payload)] = "ctx/metadata mismatch"
			return nil, nil
		}
		got[string(m.Payload)] = m.Metadata.Get(MetaCorrelationID)
		return nil, nil
	}
	if err := b.Handle("egress", "orders.routed", egress); err != nil {
		t.Fatal(err)
	}
	if err := b.Handle("audit-sink", "audit", egress); err != nil {
		t.Fatal(err)
	}
	run(t, b)
	withID := msg("a", MetaCorrelationID, "corr-42")
	withoutID := msg("b")
	if err := b.Publish(context.Background(), "orders.in", withID, withoutID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "egress", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 4 })
	drained(t, b)
	want := map[string]string{"a": "corr-42", "audit a": "corr-42", "b": withoutID.UUID, "audit b": withoutID.UUID}
	mu.Lock()
	defer mu.Unlock()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("correlation id of %q = %q, want %q", k, got[k], v)
		}
	}
}

// TestBus_RedeliversUncommittedWorkAfterRestart: a bus stopped while a
// message is in flight leaves it unacked; the next bus on the same file
// handles it, and the committed ones are not handled again.
func TestBus_RedeliversUncommittedWorkAfterRestart(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "hub.db")
	db1, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	createState(t, db1)
	cfg := testConfig()
	cfg.BatchSize = 1
	cfg.CloseTimeout = 100 * time.Millisecond
	b1 := newBus(t, db1, cfg)
	block := make(chan struct{})
	started := make(chan struct{}, 10)
	apply := func(ctx context.Context, tx *sql.Tx, m *message.Message) ([]Out, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO effects (key, payload) VALUES (?, ?)`, m.UUID, string(m.Payload))
		return nil, err
	}
	if err := b1.Handle("apply", "in", func(ctx context.Context, tx *sql.Tx, m *message.Message) ([]Out, error) {
		if string(m.Payload) == "second" {
			started <- struct{}{}
			select { // stuck until the bus goes away
			case <-block:
			case <-ctx.Done():
			}
			return nil, Permanent(errors.New("stopped")) // would dead-letter if it could commit
		}
		return apply(ctx, tx, m)
	}, WithRetry(RetryPolicy{MaxRetries: 0, InitialInterval: time.Millisecond})); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b1.Run(ctx) }()
	<-b1.Running()
	if err := b1.Publish(context.Background(), "in", msg("first"), msg("second"), msg("third")); err != nil {
		t.Fatal(err)
	}
	<-started
	// Simulate the process dying mid-message: the database connection goes
	// away under the open transaction, which therefore never commits.
	db1.Close()
	cancel()
	_ = b1.Close()
	close(block)
	<-done

	db2, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db2.Close() })
	b2 := newBus(t, db2, testConfig())
	if err := b2.Handle("apply", "in", apply); err != nil {
		t.Fatal(err)
	}
	run(t, b2)
	waitFor(t, "redelivery", func() bool { return count(t, db2, `SELECT COUNT(*) FROM effects`) == 3 })
	time.Sleep(50 * time.Millisecond)
	if n := count(t, db2, `SELECT COUNT(*) FROM effects WHERE payload IN ('first','second','third')`); n != 3 {
		t.Errorf("effects = %d, want each of the three exactly once", n)
	}
	if n, _ := b2.DeadLetters().Count(context.Background(), Filter{}); n != 0 {
		t.Errorf("dead letters = %d, want 0 (the interrupted attempt never committed)", n)
	}
}

// TestMetrics_CountMessagesLatencyDeadLettersAndLag: the registry passed in
// Config gets the per-handler counters, the latency histogram, the
// dead-letter size and the lag per topic.
func TestMetrics_CountMessagesLatencyDeadLettersAndLag(t *testing.T) {
	db := openSQLite(t)
	reg := prometheus.NewRegistry()
	cfg := testConfig()
	cfg.Registerer = reg
	cfg.Retry = RetryPolicy{MaxRetries: 1, InitialInterval: time.Millisecond}
	b := newBus(t, db, cfg)
	var handled atomic.Int32
	if err := b.Handle("split", "in", func(_ context.Context, _ *sql.Tx, m *message.Message) ([]Out, error) {
		defer handled.Add(1)
		if string(m.Payload) == "bad" {
			return nil, errors.New("bad record")
		}
		return []Out{{Topic: "out", Msg: msg("1")}, {Topic: "out", Msg: msg("2")}}, nil
	}, WithPipeline("p"), WithStep("split")); err != nil {
		t.Fatal(err)
	}
	// A handler on "idle" that is never run: its lag is what it has not read.
	if err := b.Handle("idle-reader", "idle", func(context.Context, *sql.Tx, *message.Message) ([]Out, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(context.Background(), "in", msg("a"), msg("bad"), msg("b")); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(context.Background(), "idle", msg("x"), msg("y")); err != nil {
		t.Fatal(err)
	}
	lags, err := b.Lag(context.Background())
	if err != nil || len(lags) != 2 || lags[0].Messages != 2 || lags[1].Messages != 3 {
		t.Fatalf("lag before run = %+v, %v; want idle 2, in 3", lags, err)
	}
	run(t, b)
	waitFor(t, "three messages", func() bool {
		lags, err := b.Lag(context.Background())
		return err == nil && lags[1].Messages == 0 && lags[0].Messages == 0
	})
	checks := []struct {
		name string
		c    prometheus.Collector
		want float64
	}{
		{"in", b.metrics.in.WithLabelValues("split", "p", "split"), 3},
		{"out", b.metrics.out.WithLabelValues("split", "p", "split"), 4},
		{"failed", b.metrics.failed.WithLabelValues("split", "p", "split"), 1},
		{"retries", b.metrics.retries.WithLabelValues("split", "p", "split"), 1},
		{"dead-lettered", b.metrics.deadLettered.WithLabelValues("split"), 1},
	}
	for _, c := range checks {
		if got := testutil.ToFloat64(c.c); got != c.want {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}
	const want = `
# HELP crossdock_bus_dead_letters Dead letters waiting (not replayed).
# TYPE crossdock_bus_dead_letters gauge
crossdock_bus_dead_letters 1
# HELP crossdock_bus_lag_messages Messages of a topic that a handler (consumer group) has not consumed yet.
# TYPE crossdock_bus_lag_messages gauge
crossdock_bus_lag_messages{handler="idle-reader",topic="idle"} 0
crossdock_bus_lag_messages{handler="split",topic="in"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "crossdock_bus_dead_letters", "crossdock_bus_lag_messages"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(b.metrics.latency); n != 2 {
		t.Errorf("latency series = %d, want 2", n)
	}
}

// TestConfig_ValidateNamesEveryProblem: bad settings are all reported.
func TestConfig_ValidateNamesEveryProblem(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"defaults are valid", Config{}, nil},
		{"negative retries", Config{Retry: RetryPolicy{MaxRetries: -1}}, []string{"max retries -1 is negative"}},
		{"jitter out of range", Config{Retry: RetryPolicy{MaxRetries: 1, Jitter: 1.5}}, []string{"jitter 1.5"}},
		{"bad prefix and batch", Config{TablePrefix: "x;drop", BatchSize: -3}, []string{"table prefix", "batch size -3"}},
		{"negative durations", Config{PollInterval: -1, HandlerTimeout: -1}, []string{"poll interval", "handler timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.setDefaults()
			err := cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %v", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

// TestHandle_RefusesBadNamesAndDuplicates: registration errors are clear.
func TestHandle_RefusesBadNamesAndDuplicates(t *testing.T) {
	b := newBus(t, openSQLite(t), testConfig())
	noop := func(context.Context, *sql.Tx, *message.Message) ([]Out, error) { return nil, nil }
	if err := b.Handle("a", "t", noop); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, topic, want string }{
		{"a", "t", "already registered"},
		{"b", "bad topic", "topic"},
		{"", "t", "needs a name"},
	} {
		if err := b.Handle(tc.name, tc.topic, noop); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Handle(%q, %q) = %v, want error mentioning %q", tc.name, tc.topic, err, tc.want)
		}
	}
}

// TestHandle_AfterRunStartsTheHandler: a handler registered on a running bus
// consumes its topic from the start.
func TestHandle_AfterRunStartsTheHandler(t *testing.T) {
	b := newBus(t, openSQLite(t), testConfig())
	if err := b.Handle("first", "a", func(context.Context, *sql.Tx, *message.Message) ([]Out, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	run(t, b)
	if err := b.Publish(context.Background(), "late", msg("x")); err != nil {
		t.Fatal(err)
	}
	var got atomic.Int32
	if err := b.Handle("late-reader", "late", func(context.Context, *sql.Tx, *message.Message) ([]Out, error) {
		got.Add(1)
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the late handler", func() bool { return got.Load() == 1 })
}

// TestHandler_LostTransactionAbandonsTheBatchAndRedeliversIt: when the
// database drops the consuming transaction under a handler (here the handler
// ends it itself and claims success), nothing of the batch commits — not the
// earlier messages' effects, not the outgoing messages — and the whole batch
// is redelivered and handled once.
func TestHandler_LostTransactionAbandonsTheBatchAndRedeliversIt(t *testing.T) {
	db := openSQLite(t)
	createState(t, db)
	b := newBus(t, db, testConfig())
	var sabotaged atomic.Bool
	if err := b.Handle("h", "in", func(ctx context.Context, tx *sql.Tx, m *message.Message) ([]Out, error) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO effects (key, payload) VALUES (?, 'x')`, string(m.Payload)); err != nil {
			return nil, err
		}
		if string(m.Payload) == "b" && sabotaged.CompareAndSwap(false, true) {
			if _, err := tx.ExecContext(ctx, `ROLLBACK`); err != nil {
				return nil, err
			}
		}
		return []Out{{Topic: "out", Msg: msg(string(m.Payload))}}, nil
	}, WithTimeout(100*time.Millisecond), WithRetry(RetryPolicy{MaxRetries: 0, InitialInterval: time.Millisecond})); err != nil {
		t.Fatal(err)
	}
	if err := b.EnsureTopic(context.Background(), "out"); err != nil {
		t.Fatal(err)
	}
	run(t, b)
	if err := b.Publish(context.Background(), "in", msg("a"), msg("b"), msg("c")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the batch to be redelivered", func() bool { return count(t, db, `SELECT COUNT(*) FROM effects`) == 3 })
	drained(t, b)
	if !sabotaged.Load() {
		t.Fatal("the transaction was never lost")
	}
	if n := count(t, db, `SELECT COUNT(*) FROM "watermill_out"`); n != 3 {
		t.Errorf("outgoing messages = %d, want 3 (one per input, none from the lost transaction)", n)
	}
	if n, _ := b.DeadLetters().Count(context.Background(), Filter{}); n != 0 {
		t.Errorf("dead letters = %d, want 0: a lost transaction is not the message's fault", n)
	}
}
