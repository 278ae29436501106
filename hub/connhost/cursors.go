package connhost

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/crossdockhq/crossdock/hub/store"
)

// loadCursor returns the stored cursor of a stream; nil when there is none.
func loadCursor(ctx context.Context, db store.DBTX, d store.Dialect, connector, stream string) ([]byte, error) {
	var s sql.NullString
	err := db.QueryRowContext(ctx, d.Rebind(`SELECT cursor FROM connector_cursors WHERE connector = ? AND stream = ?`), connector, stream).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !s.Valid) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load cursor %s/%s: %w", connector, stream, err)
	}
	b, err := base64.StdEncoding.DecodeString(s.String)
	if err != nil {
		return nil, fmt.Errorf("load cursor %s/%s: %w", connector, stream, err)
	}
	return b, nil
}

// saveCursor stores a stream's cursor; call it in the transaction that
// published the records before the cursor.
func saveCursor(ctx context.Context, tx store.DBTX, d store.Dialect, connector, stream string, cursor []byte) error {
	_, err := tx.ExecContext(ctx, d.Rebind(`INSERT INTO connector_cursors (connector, stream, cursor, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT (connector, stream) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`),
		connector, stream, base64.StdEncoding.EncodeToString(cursor), time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("save cursor %s/%s: %w", connector, stream, err)
	}
	return nil
}

// Cursor returns the stored cursor of an instance's stream (for status and tests).
func (h *Host) Cursor(ctx context.Context, instance, stream string) ([]byte, error) {
	if h.cfg.DB == nil {
		return nil, errors.New("connhost: no database")
	}
	return loadCursor(ctx, h.cfg.DB, h.cfg.DB.Dialect, instance, stream)
}
