package store

import (
	"context"
	"path/filepath"
	"testing"
)

func TestOpenSQLite_MigratesAFreshFile(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "sub", "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("second migrate must be a no-op: %v", err)
	}
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
}

func TestRebind_PostgresNumbersPlaceholdersOutsideQuotes(t *testing.T) {
	got := Postgres.Rebind("SELECT '?' FROM t WHERE a = ? AND b = ?")
	if want := "SELECT '?' FROM t WHERE a = $1 AND b = $2"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := SQLite.Rebind("a = ?"); got != "a = ?" {
		t.Fatalf("sqlite must keep ?: %q", got)
	}
}
