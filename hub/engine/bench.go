package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/bus"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/pipelines"
)

// BenchResult is what BenchPipeline measured.
type BenchResult struct {
	// Records is the number of records run through the pipeline.
	Records int
	// Pipeline is the time the pipeline took to consume them all.
	Pipeline time.Duration
	// PipelinePerSec is records per second through filter, map and dedupe on
	// the durable SQLite bus, outputs published.
	PipelinePerSec float64
	// Ceiling is the time raw batched inserts of the same payloads took.
	Ceiling time.Duration
	// CeilingPerSec is the raw-insert rate on the same disk.
	CeilingPerSec float64
	// Ratio is PipelinePerSec / CeilingPerSec.
	Ratio float64
}

// String prints the figures on one line.
func (r BenchResult) String() string {
	return fmt.Sprintf("pipeline filter+map+dedupe on the SQLite bus: %d records in %s = %.0f records/s; raw batched inserts: %.0f records/s; ratio %.2f",
		r.Records, r.Pipeline.Round(time.Millisecond), r.PipelinePerSec, r.CeilingPerSec, r.Ratio)
}

// benchPipeline is the three-step pipeline the benchmark runs.
const benchPipeline = `name: bench
from: {topic: order.in}
steps:
  - filter: order.totals.total.amount > 0 && order.status != "cancelled"
  - map:
      set:
        tags: order.tags + ["bench"]
        notes: '"via " + record.source'
      drop: [payment]
  - dedupe: {window: 1h}
to:
  - topic: order.bench
`

// BenchPipeline measures, in dir, records per second through a filter, map
// and dedupe pipeline on the durable SQLite bus, beside the ceiling: raw
// batched inserts of the same payloads into a SQLite file on the same disk.
// The records are published before the clock starts; the pipeline's time runs
// from the start of the bus until every record's dedupe key is committed.
func BenchPipeline(ctx context.Context, dir string, n int) (BenchResult, error) {
	if n <= 0 {
		return BenchResult{}, errors.New("bench: n must be positive")
	}
	payloads, err := benchPayloads(n)
	if err != nil {
		return BenchResult{}, err
	}
	res := BenchResult{Records: n}
	// The ceiling is measured before and after the pipeline and averaged, so
	// that a change in the machine's load during the run weighs on both.
	before, err := benchCeiling(ctx, filepath.Join(dir, "ceiling1.db"), payloads)
	if err != nil {
		return res, err
	}
	if res.Pipeline, err = benchBus(ctx, filepath.Join(dir, "bus.db"), payloads); err != nil {
		return res, err
	}
	after, err := benchCeiling(ctx, filepath.Join(dir, "ceiling2.db"), payloads)
	if err != nil {
		return res, err
	}
	res.Ceiling = (before + after) / 2
	res.PipelinePerSec = float64(n) / res.Pipeline.Seconds()
	res.CeilingPerSec = float64(n) / res.Ceiling.Seconds()
	res.Ratio = res.PipelinePerSec / res.CeilingPerSec
	return res, nil
}

func benchPayloads(n int) ([][]byte, error) {
	out := make([][]byte, n)
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for i := range out {
		order := canonical.Order{
			ID: fmt.Sprintf("ord-%d", i), Channel: "bench", ExternalID: fmt.Sprint(1000 + i), Number: fmt.Sprintf("#%d", 1000+i),
			Status: canonical.OrderPending,
			Lines: []canonical.OrderLine{{ID: "l1", SKU: "SKU-1", Quantity: 2, UnitPrice: canonical.Money{Amount: 1999, Currency: "USD"},
				Discount: canonical.Money{Currency: "USD"}, Tax: canonical.Money{Amount: 320, Currency: "USD"}, RequiresShipping: true}},
			Totals:     canonical.Totals{Total: canonical.Money{Amount: 4318, Currency: "USD"}},
			Payment:    &canonical.Payment{Gateway: "shopify_payments", Token: "tok_x", Brand: "visa", Last4: "4242"},
			Fulfilment: canonical.Fulfilment{Method: canonical.FulfilShip},
			PlacedAt:   at, UpdatedAt: at, Tags: []string{"web"},
		}
		p, err := json.Marshal(order)
		if err != nil {
			return nil, err
		}
		rec := canonical.Record{Kind: canonical.KindOrder, ID: order.ID, Source: "bench", ExternalID: order.ExternalID,
			Version: 1, IdempotencyKey: fmt.Sprintf("bench/orders/%d/1", i), At: at, Payload: p}
		if out[i], err = json.Marshal(rec); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// benchCeiling inserts the payloads in transactions of 500 rows.
func benchCeiling(ctx context.Context, path string, payloads [][]byte) (time.Duration, error) {
	_ = os.Remove(path)
	db, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE raw (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)`); err != nil {
		return 0, fmt.Errorf("bench ceiling: %w", err)
	}
	start := time.Now()
	const batch = 500
	for i := 0; i < len(payloads); i += batch {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, fmt.Errorf("bench ceiling: %w", err)
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO raw (payload) VALUES (?)`)
		if err != nil {
			_ = tx.Rollback()
			return 0, fmt.Errorf("bench ceiling: %w", err)
		}
		for _, p := range payloads[i:min(i+batch, len(payloads))] {
			if _, err := stmt.ExecContext(ctx, string(p)); err != nil {
				_ = tx.Rollback()
				return 0, fmt.Errorf("bench ceiling: %w", err)
			}
		}
		_ = stmt.Close()
		if err := tx.Commit(); err != nil {
			return 0, fmt.Errorf("bench ceiling: %w", err)
		}
	}
	return time.Since(start), nil
}

func benchBus(ctx context.Context, path string, payloads [][]byte) (time.Duration, error) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(path + suffix)
	}
	db, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return 0, err
	}
	logger := slog.New(slog.DiscardHandler)
	b, err := bus.New(db, bus.Config{}, logger)
	if err != nil {
		return 0, err
	}
	defer b.Close()
	env := &pipelines.Env{}
	p, perrs := pipelines.Parse("bench.yaml", []byte(benchPipeline), env)
	if len(perrs) > 0 {
		return 0, perrs
	}
	set, cerrs := pipelines.Compile([]*pipelines.Pipeline{p}, env)
	if len(cerrs) > 0 {
		return 0, cerrs
	}
	msgs := make([]*message.Message, len(payloads))
	for i, pl := range payloads {
		var rec canonical.Record
		if err := json.Unmarshal(pl, &rec); err != nil {
			return 0, err
		}
		if msgs[i], err = RecordMessage(rec); err != nil {
			return 0, err
		}
	}
	for i := 0; i < len(msgs); i += 1000 {
		if err := b.Publish(ctx, "order.in", msgs[i:min(i+1000, len(msgs))]...); err != nil {
			return 0, err
		}
	}
	eng, err := New(b, set, Config{Logger: logger})
	if err != nil {
		return 0, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := eng.Start(runCtx); err != nil {
		return 0, err
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- b.Run(runCtx) }()
	want := int64(len(payloads))
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return 0, fmt.Errorf("bench: bus stopped: %v", err)
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-tick.C:
		}
		var got int64
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pipeline_dedupe`).Scan(&got); err != nil {
			return 0, fmt.Errorf("bench: count: %w", err)
		}
		if got >= want {
			took := time.Since(start)
			cancel()
			<-done
			return took, nil
		}
	}
}
