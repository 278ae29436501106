package engine_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/bus"
	"github.com/crossdockhq/crossdock/hub/engine"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/pipelines"
)

type harness struct {
	db  *store.DB
	bus *bus.Bus
	reg *prometheus.Registry
	eng *engine.Engine

	mu  sync.Mutex
	out map[string][]canonical.Record // by topic
}

// newHarness runs the pipelines in src (one YAML document each) on a real
// SQLite bus and collects what they publish on the topics named in collect.
func newHarness(t *testing.T, collect []string, srcs ...string) *harness {
	t.Helper()
	ctx := context.Background()
	db := openDB(t, ctx, "sqlite:"+filepath.Join(t.TempDir(), "hub.db"))
	t.Cleanup(func() { db.Close() })
	reg := prometheus.NewRegistry()
	b, err := bus.New(db, bus.Config{PollInterval: 5 * time.Millisecond, Retry: bus.RetryPolicy{MaxRetries: 1, InitialInterval: time.Millisecond}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	env := &pipelines.Env{Connectors: []string{"erp"}}
	var ps []*pipelines.Pipeline
	for i, src := range srcs {
		p, errs := pipelines.Parse(filepath.Join("p", string(rune('a'+i))+".yaml"), []byte(src), env)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		ps = append(ps, p)
	}
	set, errs := pipelines.Compile(ps, env)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	eng, err := engine.New(b, set, engine.Config{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{db: db, bus: b, reg: reg, eng: eng, out: map[string][]canonical.Record{}}
	runCtx, cancel := context.WithCancel(ctx)
	if err := eng.Start(runCtx); err != nil {
		t.Fatal(err)
	}
	for _, topic := range collect {
		topic := topic
		err := b.Handle("collect:"+topic, topic, func(_ context.Context, _ *sql.Tx, msg *message.Message) ([]bus.Out, error) {
			var rec canonical.Record
			if err := json.Unmarshal(msg.Payload, &rec); err != nil {
				return nil, err
			}
			h.mu.Lock()
			h.out[topic] = append(h.out[topic], rec)
			h.mu.Unlock()
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- b.Run(runCtx) }()
	<-b.Running()
	t.Cleanup(func() { cancel(); <-done; _ = b.Close() })
	return h
}

func (h *harness) publish(t *testing.T, topic string, recs ...canonical.Record) {
	t.Helper()
	for _, rec := range recs {
		m, err := engine.RecordMessage(rec)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.bus.Publish(context.Background(), topic, m); err != nil {
			t.Fatal(err)
		}
	}
}

// waitFor polls until cond holds or five seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (h *harness) collected(topic string) []canonical.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]canonical.Record(nil), h.out[topic]...)
}

func orderRecord(t *testing.T, key string, o canonical.Order) canonical.Record {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return canonical.Record{Kind: canonical.KindOrder, ID: o.ID, Source: "shopify-us", Version: 1, IdempotencyKey: key, At: time.Now().UTC(), Payload: b}
}

func TestEngine_FilterMapDedupeRunOnTheDurableBus(t *testing.T) {
	h := newHarness(t, []string{"order.accepted", "erp.out"}, `name: intake
from: {topic: order.in}
steps:
  - dedupe: {}
  - filter: order.totals.total.amount > 0
  - map:
      set: {notes: '"via " + record.source'}
to:
  - topic: order.accepted
  - connector: erp
    action: write_record
`)
	paid := canonical.Order{ID: "o1", Totals: canonical.Totals{Total: canonical.Money{Amount: 500, Currency: "USD"}}}
	free := canonical.Order{ID: "o2"}
	h.publish(t, "order.in", orderRecord(t, "k1", paid), orderRecord(t, "k1", paid), orderRecord(t, "k2", free), orderRecord(t, "k3", paid))
	waitFor(t, "two accepted orders", func() bool { return len(h.collected("order.accepted")) >= 2 })
	waitFor(t, "two ERP commands", func() bool { return len(h.collected("erp.out")) >= 2 })
	time.Sleep(100 * time.Millisecond) // room for a wrong third
	acc := h.collected("order.accepted")
	if len(acc) != 2 || acc[0].IdempotencyKey != "k1" || acc[1].IdempotencyKey != "k3" {
		t.Fatalf("accepted %v, want k1 and k3 once each", acc)
	}
	var o canonical.Order
	_ = json.Unmarshal(acc[0].Payload, &o)
	if o.Notes != "via shopify-us" {
		t.Errorf("notes = %q", o.Notes)
	}
	if got := testutil.ToFloat64(mustCounter(t, h.reg, "crossdock_pipeline_records_in_total", "intake")); got != 4 {
		t.Errorf("records in = %v, want 4", got)
	}
	if got := testutil.ToFloat64(mustCounter(t, h.reg, "crossdock_pipeline_records_out_total", "intake")); got != 4 {
		t.Errorf("records out = %v, want 4 (2 records x 2 targets)", got)
	}
	if got := testutil.ToFloat64(mustCounter(t, h.reg, "crossdock_pipeline_step_records_out_total", "intake", "dedupe")); got != 3 {
		t.Errorf("dedupe passed %v, want 3", got)
	}
	if n := testutil.CollectAndCount(h.reg, "crossdock_pipeline_step_duration_seconds"); n != 3 {
		t.Errorf("%d step latency series, want 3", n)
	}
}

func mustCounter(t *testing.T, reg *prometheus.Registry, name string, labels ...string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			vals := make([]string, 0, len(m.GetLabel()))
			for _, l := range m.GetLabel() {
				vals = append(vals, l.GetValue())
			}
			if strings.Join(vals, ",") == strings.Join(labels, ",") {
				return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "x", Help: "x"}, func() float64 { return m.GetCounter().GetValue() })
			}
		}
	}
	t.Fatalf("no %s{%v}", name, labels)
	return nil
}

func TestEngine_AFailingRecordIsDeadLetteredWithPipelineAndStep(t *testing.T) {
	h := newHarness(t, []string{"order.ok"}, `name: ratio
from: {topic: order.in}
steps:
  - name: margin
    filter: 100 / order.totals.total.amount > 0
to: [{topic: order.ok}]
`)
	h.publish(t, "order.in", orderRecord(t, "bad", canonical.Order{ID: "o1"}),
		orderRecord(t, "good", canonical.Order{ID: "o2", Totals: canonical.Totals{Total: canonical.Money{Amount: 5, Currency: "USD"}}}))
	waitFor(t, "the good record", func() bool { return len(h.collected("order.ok")) == 1 })
	dls, err := h.bus.DeadLetters().List(context.Background(), bus.Filter{Pipeline: "ratio"})
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dls))
	}
	d := dls[0]
	if d.Step != "margin" || d.Topic != "order.in" || !strings.Contains(d.Reason, "division by zero") || !strings.Contains(d.Payload, `"idempotency_key":"bad"`) {
		t.Errorf("dead letter = %+v", d)
	}
}

func TestEngine_PipelinesChainThroughHubTopics(t *testing.T) {
	h := newHarness(t, []string{"order.done"}, `name: first
from: {topic: order.in}
steps:
  - map: {set: {tags: 'order.tags + ["first"]'}}
to: [{topic: order.middle}]
`, `name: second
from: {topic: order.middle, kind: order}
steps:
  - dedupe: {}
  - map: {set: {tags: 'order.tags + ["second"]'}}
to: [{topic: order.done}]
`)
	h.publish(t, "order.in", orderRecord(t, "k", canonical.Order{ID: "o1"}))
	waitFor(t, "the chained record", func() bool { return len(h.collected("order.done")) == 1 })
	var o canonical.Order
	_ = json.Unmarshal(h.collected("order.done")[0].Payload, &o)
	if strings.Join(o.Tags, ",") != "first,second" {
		t.Errorf("tags = %v", o.Tags)
	}
}

func TestSQLDeduper_RemembersAKeyForItsWindowInTheTransaction(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, ctx, "sqlite:"+filepath.Join(t.TempDir(), "d.db"))
	defer db.Close()
	var d engine.SQLDeduper
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	seen := func(key string, at time.Time, commit bool) bool {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		sc := &pipelines.StepContext{Context: ctx, Tx: tx, Dialect: string(db.Dialect), Now: at}
		s, err := d.Seen(sc, "p/dedupe", key, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if commit {
			_ = tx.Commit()
		} else {
			_ = tx.Rollback()
		}
		return s
	}
	steps := []struct {
		key    string
		at     time.Time
		commit bool
		want   bool
	}{
		{"a", now, false, false},                      // rolled back: forgotten
		{"a", now, true, false},                       // first time for real
		{"a", now.Add(30 * time.Minute), true, true},  // a redelivery
		{"b", now.Add(30 * time.Minute), true, false}, // another key
		{"a", now.Add(61 * time.Minute), true, false}, // window over: new again
		{"a", now.Add(62 * time.Minute), true, true},
	}
	for i, s := range steps {
		if got := seen(s.key, s.at, s.commit); got != s.want {
			t.Errorf("step %d (%s at %s): seen = %v, want %v", i, s.key, s.at.Format(time.Kitchen), got, s.want)
		}
	}
	n, err := d.Expire(ctx, db, now.Add(100*time.Minute))
	if err != nil || n != 1 {
		t.Errorf("expired %d (%v), want b's key only", n, err)
	}
}

func TestLoad_TheShippedHubConfigAndPipelines(t *testing.T) {
	loaded, err := engine.Load("../../configs/hub.yaml", engine.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range loaded.Pipelines.Pipelines {
		names = append(names, p.Name+"@"+p.Topic)
	}
	if got := strings.Join(names, " "); got != "inventory-intake@inventory_level.in orders-intake@order.in orders-to-erp@order.accepted" {
		t.Errorf("pipelines = %s", got)
	}
}
