// Package storetest opens real databases for tests: a fresh SQLite file in the
// test's temporary folder, or a fresh schema on the PostgreSQL server at
// 127.0.0.1:5432, migrated and dropped when the test ends.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/crossdockhq/crossdock/hub/store"
)

// DefaultPostgresDSN is the test server (trust auth); CROSSDOCK_TEST_POSTGRES overrides it.
const DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// SQLite opens and migrates a new SQLite file under t.TempDir().
func SQLite(tb testing.TB) *store.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(tb.TempDir(), "hub.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return db
}

// Postgres creates a fresh schema on the test server, opens a database whose
// search_path is that schema, migrates it, and drops the schema at cleanup. It
// skips the test only when CROSSDOCK_TEST_POSTGRES is unset and no server answers.
func Postgres(tb testing.TB) *store.DB {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := os.Getenv("CROSSDOCK_TEST_POSTGRES")
	explicit := base != ""
	if !explicit {
		base = DefaultPostgresDSN
	}
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		if admin != nil {
			admin.Close()
		}
		if explicit {
			tb.Fatalf("postgres at CROSSDOCK_TEST_POSTGRES: %v", err)
		}
		tb.Skipf("no PostgreSQL server answers at %s: %v", base, err)
	}
	schema := fmt.Sprintf("t_%d_%d", time.Now().UnixNano(), rand.IntN(1e6))
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		tb.Fatalf("create schema: %v", err)
	}
	sep := "?"
	for _, c := range base {
		if c == '?' {
			sep = "&"
		}
	}
	db, err := store.Open(ctx, base+sep+"search_path="+schema)
	if err != nil {
		admin.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		db.Close()
		admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	if err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return db
}

// Each runs f once per engine: SQLite always, PostgreSQL when available.
func Each(t *testing.T, f func(t *testing.T, db *store.DB)) {
	t.Run("sqlite", func(t *testing.T) { f(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, Postgres(t)) })
}
