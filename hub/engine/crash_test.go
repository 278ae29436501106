package engine_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/bus"
	"github.com/crossdockhq/crossdock/hub/engine"
	"github.com/crossdockhq/crossdock/hub/store"
)

// binary is the crossdock binary TestMain builds for the tests that run real
// processes; buildErr says why there is none.
var (
	binary   string
	buildErr error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "crossdock-engine-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "crossdock")
	cmd := exec.Command("go", "build", "-o", binary, "github.com/crossdockhq/crossdock/cmd/crossdock")
	if out, err := cmd.CombinedOutput(); err != nil {
		buildErr = fmt.Errorf("go build ./cmd/crossdock: %v\n%s", err, out)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const crashHub = `hub:
  data: sqlite:hub.db
  listen: 127.0.0.1:0
  shutdown_timeout: 5s
pipelines: [crash.yaml]
`

const crashPipeline = `name: crash
from: {topic: order.in}
steps:
  - dedupe: {window: 24h}
  - filter: order.totals.total.amount > 0
  - map:
      set:
        notes: '"effect of " + record.idempotency_key'
to:
  - topic: order.effects
`

// TestCrash_KillNineAtRandomLosesAndDoublesNothing feeds a pipeline N records
// (some delivered twice), SIGKILLs `crossdock run` at random moments several
// times, restarts it, and checks that every record's effect (its message on
// order.effects) is there exactly once.
func TestCrash_KillNineAtRandomLosesAndDoublesNothing(t *testing.T) {
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	const (
		unique = 3000
		kills  = 5
	)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "hub.yaml"), crashHub)
	writeFile(t, filepath.Join(dir, "crash.yaml"), crashPipeline)
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(dir, "hub.db")

	// Feed: every record once, every 7th twice (a webhook and a poll), and a
	// last sentinel: once it is handled, everything before it is.
	want := map[string]bool{}
	func() {
		db := openDB(t, ctx, dsn)
		defer db.Close()
		b, err := bus.New(db, bus.Config{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var msgs []*message.Message
		for i := 0; i <= unique; i++ {
			key := fmt.Sprintf("crash/%d", i)
			if i == unique {
				key = "crash/sentinel"
			}
			want[key] = true
			msgs = append(msgs, orderMessage(t, key, int64(100+i)))
			if i%7 == 0 && i < unique {
				msgs = append(msgs, orderMessage(t, key, int64(100+i)))
			}
		}
		for i := 0; i < len(msgs); i += 500 {
			if err := b.Publish(ctx, "order.in", msgs[i:min(i+500, len(msgs))]...); err != nil {
				t.Fatal(err)
			}
		}
	}()

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	prev := 0
	for k := 0; k < kills; k++ {
		p := startHub(t, dir, fmt.Sprintf("run-%d.log", k), "warn")
		// Kill while records are being handled: once this run has made
		// progress, at a random moment within the next quarter second.
		for wait := time.Now().Add(5 * time.Second); handled(t, ctx, dsn) == prev && time.Now().Before(wait); {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(250)) * time.Millisecond)
		if err := p.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = p.Wait()
		prev = handled(t, ctx, dsn)
		t.Logf("kill %d: %d of %d records handled", k+1, prev, len(want))
	}

	// The last run finishes the work and stops cleanly on SIGTERM.
	p := startHub(t, dir, "run-final.log", "info")
	deadline := time.Now().Add(20 * time.Second)
	for !sentinelDone(t, ctx, dsn) {
		if time.Now().After(deadline) {
			_ = p.Process.Signal(syscall.SIGKILL)
			_ = p.Wait()
			t.Fatalf("the hub did not finish the records in time: %d of %d handled; log:\n%s", handled(t, ctx, dsn), len(want), readFile(t, filepath.Join(dir, "run-final.log")))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The sentinel may have been handled by an earlier run: wait until this
	// one runs (has its signal handler), or SIGTERM would meet Go's default.
	for !strings.Contains(readFile(t, filepath.Join(dir, "run-final.log")), "hub running") {
		if time.Now().After(deadline) {
			t.Fatalf("the final hub never said it runs; log:\n%s", readFile(t, filepath.Join(dir, "run-final.log")))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := p.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(); err != nil {
		t.Fatalf("hub did not stop cleanly on SIGTERM: %v; log:\n%s", err, readFile(t, filepath.Join(dir, "run-final.log")))
	}

	got := effects(t, ctx, dsn, len(want))
	for key := range want {
		if got[key] != 1 {
			t.Errorf("record %s has %d effects, want exactly 1", key, got[key])
		}
	}
	for key, n := range got {
		if !want[key] {
			t.Errorf("unexpected effect of %s (%d times)", key, n)
		}
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, _ := os.ReadFile(path)
	return string(b)
}

func openDB(t *testing.T, ctx context.Context, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

func orderMessage(t *testing.T, key string, amount int64) *message.Message {
	t.Helper()
	return orderMessageFrom(t, "crash", key, amount)
}

func orderMessageFrom(t *testing.T, source, key string, amount int64) *message.Message {
	t.Helper()
	payload, err := json.Marshal(canonical.Order{ID: key, Status: canonical.OrderPending,
		Totals: canonical.Totals{Total: canonical.Money{Amount: amount, Currency: "USD"}}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := engine.RecordMessage(canonical.Record{Kind: canonical.KindOrder, ID: key, Source: source, Version: 1,
		IdempotencyKey: key, At: time.Now().UTC(), Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func startHub(t *testing.T, dir, logName, logLevel string) *exec.Cmd {
	t.Helper()
	logFile, err := os.Create(filepath.Join(dir, logName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	cmd := exec.Command(binary, "run", "--config", filepath.Join(dir, "hub.yaml"), "--log-level", logLevel)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func countWhere(t *testing.T, ctx context.Context, dsn, query string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+dsn[len("sqlite:"):]+"?_busy_timeout=10000&mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func handled(t *testing.T, ctx context.Context, dsn string) int {
	return countWhere(t, ctx, dsn, `SELECT COUNT(*) FROM pipeline_dedupe WHERE scope = 'crash/dedupe'`)
}

func sentinelDone(t *testing.T, ctx context.Context, dsn string) bool {
	return countWhere(t, ctx, dsn, `SELECT COUNT(*) FROM pipeline_dedupe WHERE scope = 'crash/dedupe' AND key = 'crash/sentinel'`) == 1
}

// effects consumes order.effects from the start with a consumer group of its
// own and counts the messages per idempotency key.
func effects(t *testing.T, ctx context.Context, dsn string, want int) map[string]int {
	t.Helper()
	db := openDB(t, ctx, dsn)
	defer db.Close()
	b, err := bus.New(db, bus.Config{PollInterval: 10 * time.Millisecond}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string]int{}
	total := 0
	err = b.Handle("crash-check", "order.effects", func(_ context.Context, _ *sql.Tx, msg *message.Message) ([]bus.Out, error) {
		var rec canonical.Record
		if err := json.Unmarshal(msg.Payload, &rec); err != nil {
			return nil, bus.Permanent(err)
		}
		mu.Lock()
		got[rec.IdempotencyKey]++
		total++
		mu.Unlock()
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Run(runCtx) }()
	// Read until the expected count, then a little longer to see any extra.
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		n := total
		mu.Unlock()
		if n >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	cancel()
	<-done
	_ = b.Close()
	mu.Lock()
	defer mu.Unlock()
	out := make(map[string]int, len(got))
	for k, v := range got {
		out[k] = v
	}
	return out
}
