package connhost_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/crossdockhq/crossdock/hub/connhost"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// postgresDB creates a database of its own on the test server (dropped at the
// end), so the test shares nothing with others running on the same server.
// It skips only when CROSSDOCK_TEST_POSTGRES is unset and no server answers.
func postgresDB(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("CROSSDOCK_TEST_POSTGRES")
	explicit := dsn != ""
	if !explicit {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	admin, err := sql.Open("pgx", dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if !explicit {
			t.Skipf("no PostgreSQL at %s and CROSSDOCK_TEST_POSTGRES unset: %v", dsn, err)
		}
		t.Fatalf("PostgreSQL at CROSSDOCK_TEST_POSTGRES: %v", err)
	}
	name := fmt.Sprintf("connhost_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	i := strings.LastIndex(dsn, "/")
	rest := ""
	if q := strings.Index(dsn[i:], "?"); q >= 0 {
		rest = dsn[i+q:]
	}
	return dsn[:i+1] + name + rest
}

func TestPoll_CheckpointRuleHoldsOnPostgres(t *testing.T) {
	db, pub := openDSN(t, postgresDB(t))
	pub.failAfter = 2
	h := startHost(t, connhost.Config{DB: db, Publisher: pub, Instances: []connhost.Instance{{
		Name: "pg-seq", InProcess: func() sdk.Connector { return &seqConnector{} }, Config: json.RawMessage(`{"n":12,"batch":4}`),
		Streams: map[string]time.Duration{"numbers": 0},
	}}})
	if _, err := h.Poll(t.Context(), "pg-seq", "numbers"); err == nil {
		t.Fatal("poll succeeded although the bus failed on the second batch")
	}
	if cur, _ := h.Cursor(t.Context(), "pg-seq", "numbers"); string(cur) != "4" {
		t.Fatalf("cursor after the failed batch = %q, want 4", cur)
	}
	pub.failAfter = 0
	if _, err := h.Poll(t.Context(), "pg-seq", "numbers"); err != nil {
		t.Fatal(err)
	}
	if got := pub.keys(t, "inventory_count.in"); strings.Join(got, ",") != strings.Join(want(12), ",") {
		t.Errorf("bus has %v; want each of 0..11 once", got)
	}
}
