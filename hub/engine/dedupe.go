package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/pipelines"
)

// SQLDeduper is the durable pipelines.Deduper: keys live in the
// pipeline_dedupe table (migration 00400), written in the transaction that
// consumes the record. A key becomes "seen" exactly when the record's effects
// commit; a rolled-back or crashed attempt forgets it with them.
type SQLDeduper struct{}

var _ pipelines.Deduper = (*SQLDeduper)(nil)

// Seen implements pipelines.Deduper with one statement: insert the key, or
// renew it if it has expired; no row changed means it was seen.
func (SQLDeduper) Seen(sc *pipelines.StepContext, scope, key string, window time.Duration) (bool, error) {
	if sc.Tx == nil {
		return false, fmt.Errorf("dedupe %s: no transaction", scope)
	}
	now := sc.Now.UnixMilli()
	res, err := sc.Tx.ExecContext(sc.Context, sc.Rebind(`INSERT INTO pipeline_dedupe (scope, key, expires_at) VALUES (?, ?, ?)
ON CONFLICT (scope, key) DO UPDATE SET expires_at = excluded.expires_at
WHERE pipeline_dedupe.expires_at <= ?`), scope, key, now+window.Milliseconds(), now)
	if err != nil {
		return false, fmt.Errorf("dedupe %s: %w", scope, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("dedupe %s: %w", scope, err)
	}
	return n == 0, nil
}

// Expire deletes the keys expired at now and returns how many.
func (SQLDeduper) Expire(ctx context.Context, db *store.DB, now time.Time) (int64, error) {
	res, err := db.ExecContext(ctx, db.Dialect.Rebind(`DELETE FROM pipeline_dedupe WHERE expires_at <= ?`), now.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("expire dedupe keys: %w", err)
	}
	return res.RowsAffected()
}
