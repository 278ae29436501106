package engine_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/hub/engine"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/pipelines"
)

// TestSQLDeduper_OnPostgres runs the dedupe statement and its migration on
// PostgreSQL, in a schema of its own that is dropped afterwards. It skips only
// when CROSSDOCK_TEST_POSTGRES is unset and nothing answers on 127.0.0.1:5432.
func TestSQLDeduper_OnPostgres(t *testing.T) {
	dsn := os.Getenv("CROSSDOCK_TEST_POSTGRES")
	if dsn == "" {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:5432", time.Second)
		if err != nil {
			t.Skip("no PostgreSQL: CROSSDOCK_TEST_POSTGRES is unset and nothing answers on 127.0.0.1:5432")
		}
		conn.Close()
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx := context.Background()
	admin, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := fmt.Sprintf("pipelines_dedupe_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	defer admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE") //nolint:errcheck
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	db, err := store.Open(ctx, dsn+sep+"search_path="+schema)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	up, err := os.ReadFile("../store/migrations/00400_pipeline_dedupe.sql")
	if err != nil {
		t.Fatal(err)
	}
	upSQL, _, _ := strings.Cut(strings.SplitN(string(up), "-- +goose Up", 2)[1], "-- +goose Down")
	for _, stmt := range strings.Split(upSQL, ";") {
		if strings.TrimSpace(stripComments(stmt)) == "" {
			continue
		}
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("migration on PostgreSQL: %v", err)
		}
	}
	var d engine.SQLDeduper
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	seen := func(key string, at time.Time) bool {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Commit() //nolint:errcheck
		s, err := d.Seen(&pipelines.StepContext{Context: ctx, Tx: tx, Dialect: string(db.Dialect), Now: at}, "p/dedupe", key, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if seen("a", now) || !seen("a", now.Add(time.Minute)) || seen("a", now.Add(2*time.Hour)) {
		t.Error("on PostgreSQL a key must be new, then seen, then new again after its window")
	}
}

func stripComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
