package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/crossdockhq/crossdock/hub/bus"
	"github.com/crossdockhq/crossdock/hub/store"
)

func dlqCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	g := &globals{stdout: &stdout, stderr: &stderr, logFormat: "text", logLevel: "error"}
	root := newRootCmd(g)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	var ee exitError
	switch {
	case errors.As(err, &ee):
		return stdout.String() + stderr.String(), ee.code
	case err != nil:
		return stdout.String() + err.Error(), 1
	}
	return stdout.String(), 0
}

// dlqDatabase makes a hub database holding one pending dead letter from
// pipeline orders-in, step reserve.
func dlqDatabase(t *testing.T) string {
	t.Helper()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "hub.db")
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b, err := bus.New(db, bus.Config{PollInterval: 5 * time.Millisecond, Retry: bus.RetryPolicy{MaxRetries: 0, InitialInterval: time.Millisecond}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Handle("orders-in.reserve", "orders.in", func(context.Context, *sql.Tx, *message.Message) ([]bus.Out, error) {
		return nil, errors.New("no location has SKU TEE-BLK-M")
	}, bus.WithPipeline("orders-in"), bus.WithStep("reserve")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	<-b.Running()
	m := message.NewMessage("6f1c2d1e-0000-4000-8000-000000000001", []byte(`{"kind":"order","id":"o-1001"}`))
	m.Metadata.Set(bus.MetaCorrelationID, "corr-1001")
	if err := b.Publish(context.Background(), "orders.in", m); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := b.DeadLetters().Count(context.Background(), bus.Filter{})
		if err == nil && n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no dead letter")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	_ = b.Close()
	<-done
	return dsn
}

// TestDLQ_ListShowReplayPurge walks a dead letter through the CLI.
func TestDLQ_ListShowReplayPurge(t *testing.T) {
	dsn := dlqDatabase(t)

	out, code := dlqCLI(t, "dlq", "list", "--data", dsn)
	if code != 0 || !strings.Contains(out, "PIPELINE") || !strings.Contains(out, "orders-in") ||
		!strings.Contains(out, "reserve") || !strings.Contains(out, "no location has SKU TEE-BLK-M") || !strings.Contains(out, "pending") {
		t.Fatalf("list = %d\n%s", code, out)
	}
	out, code = dlqCLI(t, "dlq", "list", "--data", dsn, "--json")
	var dls []bus.DeadLetter
	if code != 0 || json.Unmarshal([]byte(out), &dls) != nil || len(dls) != 1 {
		t.Fatalf("list --json = %d\n%s", code, out)
	}
	id := dls[0].ID

	out, code = dlqCLI(t, "dlq", "show", id, "--data", dsn)
	for _, want := range []string{"Handler:", "orders-in.reserve", "corr-1001", `"id": "o-1001"`, "Status:", "pending"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("show lacks %q (exit %d):\n%s", want, code, out)
		}
	}
	if out, code = dlqCLI(t, "dlq", "show", "nope", "--data", dsn); code != 1 || !strings.Contains(out, "not found") {
		t.Errorf("show unknown = %d %q, want exit 1 and not found", code, out)
	}

	if out, code = dlqCLI(t, "dlq", "replay", id, "--data", dsn); code != 0 || !strings.Contains(out, id+"  replayed") {
		t.Errorf("replay = %d %q", code, out)
	}
	if out, code = dlqCLI(t, "dlq", "replay", id, "--data", dsn); code != 0 || !strings.Contains(out, "already replayed") {
		t.Errorf("second replay = %d %q, want already replayed", code, out)
	}
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM "watermill_orders.in"`).Scan(&n); err != nil || n != 2 {
		t.Errorf("messages on orders.in = %d, %v; want the original and one replay", n, err)
	}
	db.Close()

	if out, code = dlqCLI(t, "dlq", "purge", "--data", dsn); code != 1 || !strings.Contains(out, "needs a filter") {
		t.Errorf("purge without filter = %d %q, want a refusal", code, out)
	}
	if out, code = dlqCLI(t, "dlq", "purge", "--status", "replayed", "--data", dsn, "--json"); code != 0 || !strings.Contains(out, `"purged": 1`) {
		t.Errorf("purge = %d %q", code, out)
	}
	if out, code = dlqCLI(t, "dlq", "list", "--data", dsn); code != 0 || !strings.Contains(out, "no dead letters") {
		t.Errorf("list after purge = %d %q", code, out)
	}
}
