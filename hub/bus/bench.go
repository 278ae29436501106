package bus

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/crossdockhq/crossdock/hub/store"
)

// BenchOptions sets up BenchThroughput.
type BenchOptions struct {
	// Dir holds the two SQLite files (the same disk for both measurements).
	Dir string
	// Records is how many records go through. Default 20,000.
	Records int
	// Stages is the number of handlers in the chain: records go from topic
	// bench.0 through handler 1 to bench.1 ... up to bench.<Stages>. Default
	// 1: a pipeline runs its steps in one handler, from its input topic to its
	// output topic. The run ends when the last handler has committed every
	// record (its lag is zero), so every output is durably on its topic.
	Stages int
	// Step, if set, runs in every stage on each record (the pipeline's work,
	// e.g. filter/map/dedupe); returning false drops the record.
	Step func(ctx context.Context, tx *sql.Tx, msg *message.Message) (bool, error)
	// Config tunes the bus under test; zero fields take the bus defaults.
	Config Config
	// IngressBatch is how many records one Publish carries. Default 100.
	IngressBatch int
}

// BenchResult holds the figures of one run.
type BenchResult struct {
	Records         int
	Stages          int
	BusDuration     time.Duration
	BusPerSec       float64
	CeilingPerSec   float64
	Ratio           float64
	PayloadBytes    int
	CeilingBatch    int
	IngressBatch    int
	BusBatchSize    int
	BusPollInterval time.Duration
}

// String prints the figures on a few lines.
func (r BenchResult) String() string {
	return fmt.Sprintf(`bus throughput (SQLite, %d records of %d bytes, %d handler stage(s), batch %d):
  bus:     %9.0f records/s  (%s end to end)
  ceiling: %9.0f records/s  (raw inserts of the same payloads, %d per transaction)
  ratio:   %9.2f`,
		r.Records, r.PayloadBytes, r.Stages, r.BusBatchSize,
		r.BusPerSec, r.BusDuration.Round(time.Millisecond),
		r.CeilingPerSec, r.CeilingBatch, r.Ratio)
}

// benchPayload is a realistic canonical order record.
func benchPayload(i int) []byte {
	return fmt.Appendf(nil, `{"kind":"order","id":"ord_%08d","source":"shopify-us","external_id":"%d","version":3,"idempotency_key":"shopify-us:order:%d:3","at":"2026-11-29T10:00:00Z","payload":{"id":"ord_%08d","channel":"shopify-us","number":"#%d","status":"open","customer":{"email":"buyer%d@example.com","name":"Ada Buyer"},"shipping_address":{"line1":"1 Main St","city":"Springfield","region":"IL","postal_code":"62701","country":"US"},"lines":[{"id":"l1","sku":"TEE-BLK-M","title":"Black tee M","quantity":2,"unit_price":{"amount":1999,"currency":"USD"}},{"id":"l2","sku":"MUG-WHT","title":"White mug","quantity":1,"unit_price":{"amount":1250,"currency":"USD"}}],"totals":{"total":{"amount":5248,"currency":"USD"}},"placed_at":"2026-11-29T09:59:58Z"}}`,
		i, 1000000+i, 1000000+i, i, 1000+i, i)
}

// BenchThroughput measures records per second through a chain of bus
// handlers on SQLite, beside the ceiling: raw batched inserts of the same
// payloads into a SQLite file on the same disk. It prints the figures to w
// (if not nil) and returns them. It is a benchmark, not a test: it takes
// seconds and its figures depend on the machine.
func BenchThroughput(ctx context.Context, opts BenchOptions, w io.Writer) (BenchResult, error) {
	if opts.Records <= 0 {
		opts.Records = 20000
	}
	if opts.Stages <= 0 {
		opts.Stages = 1
	}
	if opts.IngressBatch <= 0 {
		opts.IngressBatch = 100
	}
	if opts.Dir == "" {
		return BenchResult{}, fmt.Errorf("bench: no directory")
	}
	payloads := make([][]byte, opts.Records)
	for i := range payloads {
		payloads[i] = benchPayload(i)
	}
	res := BenchResult{Records: opts.Records, Stages: opts.Stages, PayloadBytes: len(payloads[0]), IngressBatch: opts.IngressBatch}

	ceiling, batch, err := benchCeiling(ctx, filepath.Join(opts.Dir, "ceiling.db"), payloads, opts.IngressBatch)
	if err != nil {
		return res, err
	}
	res.CeilingPerSec, res.CeilingBatch = ceiling, batch

	d, cfg, err := benchBus(ctx, filepath.Join(opts.Dir, "bus.db"), payloads, opts)
	if err != nil {
		return res, err
	}
	res.BusDuration = d
	res.BusPerSec = float64(opts.Records) / d.Seconds()
	res.Ratio = res.BusPerSec / res.CeilingPerSec
	res.BusBatchSize, res.BusPollInterval = cfg.BatchSize, cfg.PollInterval
	if w != nil {
		fmt.Fprintln(w, res.String())
	}
	return res, nil
}

// benchCeiling inserts the payloads the fastest plain way: multi-row inserts
// into a table shaped like a topic table, batch rows per transaction.
func benchCeiling(ctx context.Context, path string, payloads [][]byte, batch int) (float64, int, error) {
	db, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		return 0, 0, fmt.Errorf("bench ceiling: %w", err)
	}
	defer db.Close()
	q, _ := SQLiteSchema{}.SchemaInitializingQueries(schemaParams("ceiling"))
	if _, err := db.ExecContext(ctx, q[0].Query); err != nil {
		return 0, 0, fmt.Errorf("bench ceiling: %w", err)
	}
	insert := `INSERT INTO "watermill_ceiling" ("uuid", "payload", "metadata") VALUES ` + strings.TrimSuffix(strings.Repeat("(?,?,?),", batch), ",")
	start := time.Now()
	for i := 0; i < len(payloads); i += batch {
		end := min(i+batch, len(payloads))
		args := make([]any, 0, 3*batch)
		for _, p := range payloads[i:end] {
			args = append(args, watermill.NewUUID(), p, `{"correlation_id":"x"}`)
		}
		query := insert
		if end-i < batch {
			query = `INSERT INTO "watermill_ceiling" ("uuid", "payload", "metadata") VALUES ` + strings.TrimSuffix(strings.Repeat("(?,?,?),", end-i), ",")
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, 0, fmt.Errorf("bench ceiling: %w", err)
		}
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			_ = tx.Rollback()
			return 0, 0, fmt.Errorf("bench ceiling: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return 0, 0, fmt.Errorf("bench ceiling: %w", err)
		}
	}
	return float64(len(payloads)) / time.Since(start).Seconds(), batch, nil
}

// benchBus publishes the payloads to bench.0 while the handler chain runs,
// and times until the sink has seen every record.
func benchBus(ctx context.Context, path string, payloads [][]byte, opts BenchOptions) (time.Duration, Config, error) {
	db, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		return 0, Config{}, fmt.Errorf("bench bus: %w", err)
	}
	defer db.Close()
	b, err := New(db, opts.Config, nil)
	if err != nil {
		return 0, Config{}, fmt.Errorf("bench bus: %w", err)
	}
	var last atomic.Int64
	done := make(chan struct{})
	topic := func(i int) string { return fmt.Sprintf("bench.%d", i) }
	for s := 0; s < opts.Stages; s++ {
		next := topic(s + 1)
		final := s == opts.Stages-1
		if err := b.Handle(fmt.Sprintf("stage-%d", s+1), topic(s), func(ctx context.Context, tx *sql.Tx, msg *message.Message) ([]Out, error) {
			if final && last.Add(1) == int64(len(payloads)) {
				close(done)
			}
			if opts.Step != nil {
				keep, err := opts.Step(ctx, tx, msg)
				if err != nil || !keep {
					return nil, err
				}
			}
			out := message.NewMessage(watermill.NewUUID(), msg.Payload)
			out.Metadata = msg.Metadata
			return []Out{{Topic: next, Msg: out}}, nil
		}); err != nil {
			return 0, Config{}, fmt.Errorf("bench bus: %w", err)
		}
	}
	if err := b.EnsureTopic(ctx, topic(opts.Stages)); err != nil {
		return 0, Config{}, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- b.Run(runCtx) }()
	<-b.Running()

	start := time.Now()
	for i := 0; i < len(payloads); i += opts.IngressBatch {
		end := min(i+opts.IngressBatch, len(payloads))
		msgs := make([]*message.Message, 0, end-i)
		for j, p := range payloads[i:end] {
			m := message.NewMessage(watermill.NewUUID(), p)
			m.Metadata.Set(MetaIdempotencyKey, fmt.Sprintf("k%d", i+j))
			msgs = append(msgs, m)
		}
		if err := b.Publish(ctx, topic(0), msgs...); err != nil {
			return 0, Config{}, fmt.Errorf("bench bus: %w", err)
		}
	}
	select {
	case <-done:
	case <-ctx.Done():
		return 0, Config{}, ctx.Err()
	case err := <-runErr:
		return 0, Config{}, fmt.Errorf("bench bus: stopped early: %v", err)
	}
	// The last record is handled; wait for its batch to commit.
	for {
		lags, err := b.Lag(ctx)
		if err != nil {
			return 0, Config{}, fmt.Errorf("bench bus: %w", err)
		}
		drained := true
		for _, l := range lags {
			drained = drained && l.Messages == 0
		}
		if drained {
			break
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	cancel()
	_ = b.Close()
	<-runErr
	return elapsed, b.cfg, nil
}

func schemaParams(topic string) wsql.SchemaInitializingQueriesParams {
	return wsql.SchemaInitializingQueriesParams{Topic: topic}
}
