package bus

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/crossdockhq/crossdock/hub/store"
)

// openPostgres opens the test server, or skips when none is configured and
// none answers on 127.0.0.1:5432.
func openPostgres(t *testing.T) *store.DB {
	t.Helper()
	dsn := os.Getenv("CROSSDOCK_TEST_POSTGRES")
	if dsn == "" {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:5432", time.Second)
		if err != nil {
			t.Skip("no PostgreSQL: CROSSDOCK_TEST_POSTGRES is unset and nothing answers on 127.0.0.1:5432")
		}
		conn.Close()
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestPostgres_PublishConsumeDeadLetter is the PostgreSQL smoke test: the
// same bus on watermill-sql's PostgreSQL adapters delivers in order, carries
// the correlation id, and dead-letters. Tables get a prefix unique to the
// run and are dropped afterwards.
func TestPostgres_PublishConsumeDeadLetter(t *testing.T) {
	db := openPostgres(t)
	prefix := fmt.Sprintf("t%d_", time.Now().UnixNano())
	cfg := testConfig()
	cfg.TablePrefix = prefix
	cfg.DeadLetterTable = prefix + "dead_letters"
	t.Cleanup(func() {
		rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE $1`, prefix+"%")
		if err != nil {
			return
		}
		var names []string
		for rows.Next() {
			var n string
			if rows.Scan(&n) == nil {
				names = append(names, `"`+n+`"`)
			}
		}
		rows.Close()
		if len(names) > 0 {
			_, _ = db.Exec(`DROP TABLE IF EXISTS ` + strings.Join(names, ", "))
		}
	})
	b := newBus(t, db, cfg)
	var mu sync.Mutex
	var seen []string
	if err := b.Handle("forward", "in", func(_ context.Context, _ *sql.Tx, m *message.Message) ([]Out, error) {
		if string(m.Payload) == "poison" {
			return nil, Permanent(fmt.Errorf("cannot parse"))
		}
		return []Out{{Topic: "out", Msg: msg(string(m.Payload))}}, nil
	}, WithPipeline("pg"), WithStep("forward")); err != nil {
		t.Fatal(err)
	}
	if err := b.Handle("sink", "out", func(ctx context.Context, _ *sql.Tx, m *message.Message) ([]Out, error) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, string(m.Payload)+"@"+CorrelationID(ctx))
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	run(t, b)
	if err := b.Publish(context.Background(), "in", msg("1", MetaCorrelationID, "c"), msg("poison"), msg("2", MetaCorrelationID, "c"), msg("3", MetaCorrelationID, "c")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "three messages at the sink", func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) == 3 })
	mu.Lock()
	if got := strings.Join(seen, ","); got != "1@c,2@c,3@c" {
		t.Errorf("sink saw %s, want 1@c,2@c,3@c", got)
	}
	mu.Unlock()
	dls, err := b.DeadLetters().List(context.Background(), Filter{Pipeline: "pg"})
	if err != nil || len(dls) != 1 || dls[0].Step != "forward" || !strings.Contains(dls[0].Reason, "cannot parse") {
		t.Fatalf("dead letters = %+v, %v", dls, err)
	}
	if ok, err := b.DeadLetters().Replay(context.Background(), dls[0].ID); err != nil || !ok {
		t.Errorf("replay = %v, %v", ok, err)
	}
}
