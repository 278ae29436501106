package bus

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
)

// ErrNotFound is returned for a dead letter id that does not exist.
var ErrNotFound = errors.New("dead letter not found")

// MetaDeadLetterID is set on a replayed message: the dead letter it came from.
const MetaDeadLetterID = "dead_letter_id"

// StepError names the pipeline step that failed. A handler that runs several
// steps returns it (wrapping the cause) so the dead letter says which step
// gave up; it takes precedence over WithPipeline/WithStep and the message's
// "pipeline"/"step" metadata.
type StepError struct {
	Pipeline string
	Step     string
	Err      error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("pipeline %s step %s: %v", e.Pipeline, e.Step, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// DeadLetter is a message that a handler could not process after its
// retries, with why and where it failed.
type DeadLetter struct {
	ID          string            `json:"id"`
	MessageUUID string            `json:"message_uuid"`
	Handler     string            `json:"handler"`
	Pipeline    string            `json:"pipeline"`
	Step        string            `json:"step"`
	Topic       string            `json:"topic"`
	Reason      string            `json:"reason"`
	Payload     string            `json:"payload"`
	Metadata    map[string]string `json:"metadata"`
	CreatedAt   time.Time         `json:"created_at"`
	ReplayedAt  *time.Time        `json:"replayed_at,omitempty"`
}

// Replayed reports whether the dead letter has been replayed.
func (d DeadLetter) Replayed() bool { return d.ReplayedAt != nil }

// Status of a dead letter, for Filter.
const (
	StatusPending  = "pending"
	StatusReplayed = "replayed"
)

// Filter selects dead letters; zero fields match everything.
type Filter struct {
	Pipeline string
	Step     string
	Handler  string
	Topic    string
	// Status is "", StatusPending or StatusReplayed.
	Status string
	// Before matches dead letters created before it (Purge of old ones).
	Before time.Time
	// Limit caps List (default 100); Purge ignores it.
	Limit int
}

// DeadLetters is the dead-letter queue: a table in the hub database.
type DeadLetters struct {
	bus   *Bus
	table string
}

func (d *DeadLetters) q(s string) string {
	return d.bus.db.Dialect.Rebind(strings.ReplaceAll(s, "$T", d.table))
}

func (d *DeadLetters) init(ctx context.Context) error {
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS $T (
	id TEXT NOT NULL PRIMARY KEY,
	message_uuid TEXT NOT NULL,
	handler TEXT NOT NULL,
	pipeline TEXT NOT NULL,
	step TEXT NOT NULL,
	topic TEXT NOT NULL,
	reason TEXT NOT NULL,
	payload TEXT NOT NULL,
	metadata TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	replayed_at BIGINT
)`,
		`CREATE INDEX IF NOT EXISTS $T_pending ON $T (replayed_at, created_at)`,
	}
	for _, s := range stmts {
		if _, err := d.bus.db.ExecContext(ctx, d.q(s)); err != nil {
			return fmt.Errorf("bus: create dead-letter table: %w", err)
		}
	}
	return nil
}

// poisonKeys are what Watermill's poison queue adds to a message; the dead
// letter keeps them in columns, and a replay must not carry them.
var poisonKeys = []string{
	middleware.ReasonForPoisonedKey, middleware.PoisonedTopicKey,
	middleware.PoisonedHandlerKey, middleware.PoisonedSubscriberKey,
	metaStepPipeline, metaStepStep,
}

// Set on a message by the step middleware when a StepError names the step.
const (
	metaStepPipeline = "_dead_letter_pipeline"
	metaStepStep     = "_dead_letter_step"
)

func (d *DeadLetters) insert(ctx context.Context, tx *sql.Tx, msg *message.Message) error {
	md := message.Metadata{}
	for k, v := range msg.Metadata {
		md[k] = v
	}
	handler := md.Get(middleware.PoisonedHandlerKey)
	pipeline, step := md.Get(metaStepPipeline), md.Get(metaStepStep)
	d.bus.mu.Lock()
	hc := d.bus.handlers[handler]
	d.bus.mu.Unlock()
	if pipeline == "" && hc != nil {
		pipeline = hc.pipeline
	}
	if step == "" && hc != nil {
		step = hc.step
	}
	if pipeline == "" {
		pipeline = md.Get(MetaPipeline)
	}
	if step == "" {
		step = md.Get(MetaStep)
	}
	reason := md.Get(middleware.ReasonForPoisonedKey)
	topic := md.Get(middleware.PoisonedTopicKey)
	for _, k := range poisonKeys {
		delete(md, k)
	}
	mdJSON, err := json.Marshal(md)
	if err != nil {
		return fmt.Errorf("dead letter %s: %w", msg.UUID, err)
	}
	_, err = tx.ExecContext(ctx, d.q(`INSERT INTO $T (id, message_uuid, handler, pipeline, step, topic, reason, payload, metadata, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		watermill.NewULID(), msg.UUID, handler, pipeline, step, topic, reason, string(msg.Payload), string(mdJSON), time.Now().UTC().UnixMilli())
	if err != nil {
		return fmt.Errorf("dead letter %s: insert: %w", msg.UUID, err)
	}
	return nil
}

func (d *DeadLetters) where(f Filter) (string, []any) {
	var conds []string
	var args []any
	add := func(col, v string) {
		if v != "" {
			conds = append(conds, col+" = ?")
			args = append(args, v)
		}
	}
	add("pipeline", f.Pipeline)
	add("step", f.Step)
	add("handler", f.Handler)
	add("topic", f.Topic)
	switch f.Status {
	case StatusPending:
		conds = append(conds, "replayed_at IS NULL")
	case StatusReplayed:
		conds = append(conds, "replayed_at IS NOT NULL")
	}
	if !f.Before.IsZero() {
		conds = append(conds, "created_at < ?")
		args = append(args, f.Before.UTC().UnixMilli())
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func validStatus(s string) error {
	switch s {
	case "", StatusPending, StatusReplayed:
		return nil
	}
	return fmt.Errorf("dead letters: unknown status %q (want %s or %s)", s, StatusPending, StatusReplayed)
}

const dlColumns = `id, message_uuid, handler, pipeline, step, topic, reason, payload, metadata, created_at, replayed_at`

func scanDeadLetter(row interface{ Scan(...any) error }) (DeadLetter, error) {
	var (
		dl         DeadLetter
		md         string
		created    int64
		replayedAt sql.NullInt64
	)
	if err := row.Scan(&dl.ID, &dl.MessageUUID, &dl.Handler, &dl.Pipeline, &dl.Step, &dl.Topic, &dl.Reason, &dl.Payload, &md, &created, &replayedAt); err != nil {
		return DeadLetter{}, err
	}
	if err := json.Unmarshal([]byte(md), &dl.Metadata); err != nil {
		return DeadLetter{}, fmt.Errorf("dead letter %s: metadata: %w", dl.ID, err)
	}
	dl.CreatedAt = time.UnixMilli(created).UTC()
	if replayedAt.Valid {
		t := time.UnixMilli(replayedAt.Int64).UTC()
		dl.ReplayedAt = &t
	}
	return dl, nil
}

// List returns the dead letters matching f, oldest first.
func (d *DeadLetters) List(ctx context.Context, f Filter) ([]DeadLetter, error) {
	if err := validStatus(f.Status); err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	where, args := d.where(f)
	rows, err := d.bus.db.QueryContext(ctx, d.q(`SELECT `+dlColumns+` FROM $T`+where+fmt.Sprintf(` ORDER BY created_at, id LIMIT %d`, limit)), args...)
	if err != nil {
		return nil, fmt.Errorf("dead letters: list: %w", err)
	}
	defer rows.Close()
	var out []DeadLetter
	for rows.Next() {
		dl, err := scanDeadLetter(rows)
		if err != nil {
			return nil, fmt.Errorf("dead letters: list: %w", err)
		}
		out = append(out, dl)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("dead letters: list: %w", err)
	}
	return out, nil
}

// Count returns how many dead letters match f.
func (d *DeadLetters) Count(ctx context.Context, f Filter) (int64, error) {
	if err := validStatus(f.Status); err != nil {
		return 0, err
	}
	where, args := d.where(f)
	var n int64
	if err := d.bus.db.QueryRowContext(ctx, d.q(`SELECT COUNT(*) FROM $T`+where), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("dead letters: count: %w", err)
	}
	return n, nil
}

// Get returns one dead letter, or ErrNotFound.
func (d *DeadLetters) Get(ctx context.Context, id string) (DeadLetter, error) {
	dl, err := scanDeadLetter(d.bus.db.QueryRowContext(ctx, d.q(`SELECT `+dlColumns+` FROM $T WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return DeadLetter{}, fmt.Errorf("dead letter %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return DeadLetter{}, fmt.Errorf("dead letter %s: %w", id, err)
	}
	return dl, nil
}

// Replay publishes the original message of a dead letter to its topic again
// (same UUID, payload and metadata, plus "dead_letter_id") and marks the dead
// letter replayed, in one transaction. It is idempotent: a dead letter is
// replayed at most once, and replayed reports whether this call did it. Every
// consumer group of the topic sees the replayed message, so handlers must be
// idempotent, as they must be anyway.
func (d *DeadLetters) Replay(ctx context.Context, id string) (replayed bool, err error) {
	dl, err := d.Get(ctx, id)
	if err != nil {
		return false, err
	}
	if dl.Replayed() {
		return false, nil
	}
	if err := d.bus.ensureTopic(ctx, dl.Topic); err != nil {
		return false, fmt.Errorf("dead letter %s: replay: %w", id, err)
	}
	err = d.bus.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE $T SET replayed_at = ? WHERE id = ? AND replayed_at IS NULL`), time.Now().UTC().UnixMilli(), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return nil // replayed concurrently
		}
		msg := message.NewMessage(dl.MessageUUID, []byte(dl.Payload))
		for k, v := range dl.Metadata {
			msg.Metadata.Set(k, v)
		}
		msg.Metadata.Set(MetaDeadLetterID, dl.ID)
		if err := d.bus.PublishTx(ctx, tx, dl.Topic, msg); err != nil {
			return err
		}
		replayed = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("dead letter %s: replay: %w", id, err)
	}
	return replayed, nil
}

// Purge deletes the dead letters matching f (all of them for a zero Filter)
// and returns how many it deleted.
func (d *DeadLetters) Purge(ctx context.Context, f Filter) (int64, error) {
	if err := validStatus(f.Status); err != nil {
		return 0, err
	}
	where, args := d.where(f)
	if err := d.bus.lock.acquire(ctx); err != nil {
		return 0, fmt.Errorf("dead letters: purge: %w", err)
	}
	defer d.bus.lock.release()
	res, err := d.bus.db.ExecContext(ctx, d.q(`DELETE FROM $T`+where), args...)
	if err != nil {
		return 0, fmt.Errorf("dead letters: purge: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("dead letters: purge: %w", err)
	}
	return n, nil
}
