package egress

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/bus"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// scriptedWriter answers each command by its idempotency key, as a platform
// would: a script of outcomes consumed one attempt at a time.
type scriptedWriter struct {
	mu      sync.Mutex
	script  map[string][]sdk.Status
	calls   map[string]int
	batches []int
}

func (w *scriptedWriter) Write(_ context.Context, _ string, cmds []sdk.Command) []sdk.Result {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.batches = append(w.batches, len(cmds))
	out := make([]sdk.Result, len(cmds))
	for i, c := range cmds {
		n := w.calls[c.IdempotencyKey]
		w.calls[c.IdempotencyKey]++
		st := sdk.StatusOK
		if s := w.script[c.IdempotencyKey]; n < len(s) {
			st = s[n]
		}
		out[i] = sdk.Result{CommandID: c.ID, Status: st, ExternalID: "ext-" + c.IdempotencyKey, Error: string(st) + " by script"}
	}
	return out
}

func (w *scriptedWriter) count(key string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.calls[key]
}

func setup(t *testing.T, w Writer) (*bus.Bus, *Egress, context.Context) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := bus.New(db, bus.Config{PollInterval: 10 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(b, w, Config{Instances: []string{"shop"}, PollInterval: 10 * time.Millisecond, MaxAttempts: 3,
		InitialBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond}, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	go b.Run(ctx)
	<-b.Running()
	stopped := make(chan struct{})
	go func() { e.Run(ctx); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped; b.Close() })
	return b, e, ctx
}

// setInventory is the command a hub service sends to set a channel's figure.
func setInventory(key string, available int64) sdk.Command {
	payload, _ := json.Marshal(canonical.SetInventory{SKU: "SKU-1", LocationID: "wh", Available: available})
	return sdk.Command{Action: canonical.ActionSetInventory, IdempotencyKey: key, Payload: payload}
}

func publishSetInventory(t *testing.T, ctx context.Context, b *bus.Bus, key string) {
	t.Helper()
	m, err := NewCommand(setInventory(key, 4))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, Topic("shop"), m); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func outboxStatus(t *testing.T, ctx context.Context, db *store.DB, key string) string {
	var s string
	err := db.QueryRowContext(ctx, `SELECT status FROM egress_outbox WHERE idempotency_key = ?`, key).Scan(&s)
	if err != nil {
		return ""
	}
	return s
}

func TestEgress_DeliversOnceAndPublishesTheResult(t *testing.T) {
	w := &scriptedWriter{calls: map[string]int{}}
	b, _, ctx := setup(t, w)
	results := make(chan Result, 4)
	err := b.Handle("results", ResultTopic("shop"), func(_ context.Context, _ *sql.Tx, msg *message.Message) ([]bus.Out, error) {
		var r Result
		if err := json.Unmarshal(msg.Payload, &r); err != nil {
			return nil, err
		}
		results <- r
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	publishSetInventory(t, ctx, b, "inv-1")
	publishSetInventory(t, ctx, b, "inv-1") // the same command delivered twice by the bus
	select {
	case r := <-results:
		if r.ExternalID != "ext-inv-1" || r.Action != canonical.ActionSetInventory {
			t.Fatalf("result = %+v", r)
		}
		var p canonical.SetInventory
		if err := json.Unmarshal(r.Payload, &p); err != nil || p.SKU != "SKU-1" || p.Available != 4 {
			t.Fatalf("result payload = %s (%v)", r.Payload, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no result published")
	}
	waitFor(t, "both messages consumed", func() bool { return outboxStatus(t, ctx, b.DB(), "inv-1") == "done" })
	time.Sleep(100 * time.Millisecond)
	if n := w.count("inv-1"); n != 1 {
		t.Fatalf("connector called %d times for one idempotency key, want 1", n)
	}
}

func TestEgress_RetriesThenSucceeds(t *testing.T) {
	w := &scriptedWriter{calls: map[string]int{}, script: map[string][]sdk.Status{"inv-2": {sdk.StatusRetryable, sdk.StatusRetryable}}}
	b, _, ctx := setup(t, w)
	publishSetInventory(t, ctx, b, "inv-2")
	waitFor(t, "delivery after retries", func() bool { return outboxStatus(t, ctx, b.DB(), "inv-2") == "done" })
	if n := w.count("inv-2"); n != 3 {
		t.Fatalf("attempts = %d, want 3", n)
	}
}

func TestEgress_PermanentFailureIsDeadLetteredAndReplayable(t *testing.T) {
	w := &scriptedWriter{calls: map[string]int{}, script: map[string][]sdk.Status{"inv-3": {sdk.StatusPermanent}}}
	b, _, ctx := setup(t, w)
	publishSetInventory(t, ctx, b, "inv-3")
	var dls []bus.DeadLetter
	waitFor(t, "a dead letter", func() bool {
		var err error
		dls, err = b.DeadLetters().List(ctx, bus.Filter{Pipeline: "egress:shop"})
		return err == nil && len(dls) == 1
	})
	if dls[0].Topic != Topic("shop") || dls[0].Step != "write" {
		t.Fatalf("dead letter = %+v", dls[0])
	}
	if want := "shop refused set_inventory: permanent by script"; dls[0].Reason != want {
		t.Fatalf("reason = %q, want %q", dls[0].Reason, want)
	}
	if _, err := b.DeadLetters().Replay(ctx, dls[0].ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the replayed command delivered", func() bool { return outboxStatus(t, ctx, b.DB(), "inv-3") == "done" })
	if n := w.count("inv-3"); n != 2 {
		t.Fatalf("attempts = %d, want 2 (refused, then delivered after replay)", n)
	}
}

func TestEgress_RetryableOutOfAttemptsIsDeadLettered(t *testing.T) {
	w := &scriptedWriter{calls: map[string]int{}, script: map[string][]sdk.Status{"inv-4": {sdk.StatusRetryable, sdk.StatusRetryable, sdk.StatusRetryable}}}
	b, _, ctx := setup(t, w)
	publishSetInventory(t, ctx, b, "inv-4")
	waitFor(t, "failed status", func() bool { return outboxStatus(t, ctx, b.DB(), "inv-4") == "failed" })
	dls, err := b.DeadLetters().List(ctx, bus.Filter{Pipeline: "egress:shop"})
	if err != nil || len(dls) != 1 {
		t.Fatalf("dead letters = %v, %v", dls, err)
	}
	if n := w.count("inv-4"); n != 3 {
		t.Fatalf("attempts = %d, want MaxAttempts 3", n)
	}
}

func TestEgress_BatchesDueCommands(t *testing.T) {
	w := &scriptedWriter{calls: map[string]int{}}
	b, e, ctx := setup(t, w)
	_ = e
	var msgs []*message.Message
	for i := range 30 {
		m, _ := NewCommand(setInventory("k"+string(rune('a'+i)), int64(i)))
		msgs = append(msgs, m)
	}
	if err := b.Publish(ctx, Topic("shop"), msgs...); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "all delivered", func() bool {
		n, err := e.Pending(ctx, "shop")
		var done int
		_ = b.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM egress_outbox WHERE status='done'`).Scan(&done)
		return err == nil && n == 0 && done == 30
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.batches) >= 30 {
		t.Fatalf("30 commands went in %d Write calls; want them batched", len(w.batches))
	}
}

func TestCommandOf_ReadsEveryShapeTheHubPublishes(t *testing.T) {
	payload := json.RawMessage(`{"sku":"S","location_id":"wh","available":3}`)
	m1, _ := NewCommand(sdk.Command{ID: "x", Action: canonical.ActionSetInventory, IdempotencyKey: "k1", Payload: payload})

	rec, _ := json.Marshal(canonical.Record{Kind: canonical.KindInventoryLevel, Source: "hub", IdempotencyKey: "k2", Payload: payload})
	m2 := message.NewMessage("u2", rec)
	m2.Metadata.Set(MetaAction, string(canonical.ActionSetInventory))
	for i, tc := range []struct {
		msg *message.Message
		key string
	}{{m1, "k1"}, {m2, "k2"}} {
		cmd, err := commandOf(tc.msg)
		if err != nil {
			t.Fatalf("shape %d: %v", i, err)
		}
		if cmd.Action != canonical.ActionSetInventory || cmd.IdempotencyKey != tc.key || string(cmd.Payload) != string(payload) || cmd.ID != tc.msg.UUID {
			t.Fatalf("shape %d: got %+v", i, cmd)
		}
	}
	wr := message.NewMessage("u3", rec)
	wr.Metadata.Set(MetaAction, string(canonical.ActionWriteRecord))
	if cmd, err := commandOf(wr); err != nil || string(cmd.Payload) != string(rec) {
		t.Fatalf("write_record must carry the whole record: %s, %v", cmd.Payload, err)
	}
	if _, err := commandOf(message.NewMessage("u4", rec)); err == nil {
		t.Fatal("a record without an action must be refused")
	}
	if _, err := commandOf(message.NewMessage("u5", []byte(`{}`))); err == nil {
		t.Fatal("a payload that is neither a command nor a record must be refused")
	}
}
