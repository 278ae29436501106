package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "github.com/mattn/go-sqlite3"    // registers the "sqlite3" driver
	"github.com/pressly/goose/v3"
)

// Dialect is the SQL engine behind a database.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DBTX is what repositories need: a *sql.DB, a *sql.Tx or a *sql.Conn. Every
// repository method takes one, so the caller decides the transaction.
type DBTX interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is an open hub database and its dialect.
type DB struct {
	*sql.DB
	Dialect Dialect
	// DSN is the data source name it was opened with, secrets included; never log it.
	DSN string
}

// sqliteParams are the connection settings of every SQLite connection:
//
//   - WAL journal, synchronous=NORMAL: durable across a process crash, and a
//     commit costs no fsync (only checkpoints do).
//   - busy timeout and immediate transactions: concurrent writers queue
//     instead of failing with "database is locked".
//   - _stmt_cache_size: each connection keeps its most recently used prepared
//     statements (keyed by the exact query text) and reuses them instead of
//     parsing and planning the same SQL on every call; a statement in use is
//     taken out of the cache, so two open result sets never share one, and a
//     schema change re-prepares it (SQLite's sqlite3_prepare_v2 semantics).
//     Hot paths run a few dozen distinct queries; 256 holds them all.
const sqliteParams = "_journal_mode=WAL&_busy_timeout=10000&_txlock=immediate&_foreign_keys=on&_synchronous=NORMAL" +
	"&_stmt_cache_size=256"

// Open opens the database named by dsn:
//
//	sqlite:PATH                  one SQLite file (created with its folder if missing)
//	postgres://user@host/db      PostgreSQL (also postgresql://)
//
// SQLite is opened in WAL mode with a busy timeout and immediate transactions, so
// concurrent writers queue instead of failing with "database is locked".
func Open(ctx context.Context, dsn string) (*DB, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		path = strings.TrimPrefix(path, "//")
		if path == "" {
			return nil, fmt.Errorf("open database: sqlite DSN %q names no file", dsn)
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("open database: %w", err)
			}
		}
		db, err := sql.Open("sqlite3", "file:"+path+"?"+sqliteParams)
		if err != nil {
			return nil, fmt.Errorf("open database %s: %w", path, err)
		}
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("open database %s: %w", path, err)
		}
		return &DB{DB: db, Dialect: SQLite, DSN: dsn}, nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"), strings.HasPrefix(dsn, "postgres:"):
		conn := strings.TrimPrefix(dsn, "postgres:")
		if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
			conn = dsn
		}
		db, err := sql.Open("pgx", conn)
		if err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("open postgres database: %w", err)
		}
		return &DB{DB: db, Dialect: Postgres, DSN: dsn}, nil
	default:
		return nil, fmt.Errorf("open database: unsupported DSN %q (want sqlite:PATH or postgres://...)", redactDSN(dsn))
	}
}

// redactDSN hides a password in a DSN so it can appear in an error.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "@"); i > 0 {
		if j := strings.LastIndex(dsn[:i], ":"); j > strings.Index(dsn, "//") && j > 0 {
			return dsn[:j+1] + "***" + dsn[i:]
		}
	}
	return dsn
}

// Rebind turns the portable '?' placeholders of a query into the dialect's own
// ($1, $2, ... for PostgreSQL). Queries are written once, with '?'.
func (d Dialect) Rebind(query string) string {
	if d != Postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	inQuote := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		if c == '\'' {
			inQuote = !inQuote
		}
		if c == '?' && !inQuote {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the schema up to date with the embedded migrations. The same
// migration files run on SQLite and PostgreSQL, so they use portable SQL only.
func (db *DB) Migrate(ctx context.Context) error {
	provider, err := goose.NewProvider(goose.Dialect(db.gooseDialect()), db.DB, mustSub(migrations, "migrations"),
		// Each part of the hub owns a range of migration numbers, so a database
		// migrated before a part's first migration existed must still accept it.
		goose.WithAllowOutofOrder(true))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

func (db *DB) gooseDialect() string {
	if db.Dialect == Postgres {
		return string(goose.DialectPostgres)
	}
	return string(goose.DialectSQLite3)
}
