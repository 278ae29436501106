package egress

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/bus"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// MetaAction is the metadata key naming a command's action.
const MetaAction = "action"

// Writer is what egress needs of the connector host.
type Writer interface {
	Write(ctx context.Context, instance string, cmds []sdk.Command) []sdk.Result
}

// Topic is the topic of the commands for a connector instance.
func Topic(instance string) string { return instance + ".out" }

// ResultTopic is the topic where a connector instance's successful results go.
func ResultTopic(instance string) string { return instance + ".results" }

// Result is what egress publishes after a command succeeded.
type Result struct {
	// Instance is the connector instance.
	Instance string `json:"instance"`
	// Action is the command's action.
	Action canonical.Action `json:"action"`
	// IdempotencyKey is the command's key.
	IdempotencyKey string `json:"idempotency_key"`
	// ExternalID is the id the external system has for the entity.
	ExternalID string `json:"external_id,omitempty"`
	// Payload is the command's payload, so consumers know what was done.
	Payload json.RawMessage `json:"payload"`
	// At is when the connector confirmed it.
	At time.Time `json:"at"`
}

// NewCommand builds the bus message of a command from a hub service: the
// whole sdk.Command as payload, with its action, idempotency key, kind
// "command" and source "hub" in metadata. A command without an ID gets one.
func NewCommand(cmd sdk.Command) (*message.Message, error) {
	if cmd.ID == "" {
		cmd.ID = watermill.NewUUID()
	}
	body, err := json.Marshal(cmd)
	if err != nil {
		return nil, fmt.Errorf("encode %s command: %w", cmd.Action, err)
	}
	m := message.NewMessage(cmd.ID, body)
	m.Metadata.Set(MetaAction, string(cmd.Action))
	m.Metadata.Set(bus.MetaIdempotencyKey, cmd.IdempotencyKey)
	m.Metadata.Set(bus.MetaKind, MetaKindCommand)
	m.Metadata.Set(bus.MetaSource, "hub")
	return m, nil
}

// Config configures the delivery of commands.
type Config struct {
	// Instances are the connector instances to deliver to.
	Instances []string
	// BatchSize is the most commands sent in one Write. Default 50.
	BatchSize int
	// PollInterval is how often an idle worker looks for due commands. Default 50ms.
	PollInterval time.Duration
	// MaxAttempts is how many retryable failures a command survives before it
	// is dead-lettered. Default 8.
	MaxAttempts int
	// InitialBackoff is the first retry's delay, doubled each attempt with
	// jitter, capped at MaxBackoff. Defaults 500ms and 5m.
	InitialBackoff, MaxBackoff time.Duration
}

func (c *Config) setDefaults() {
	if c.BatchSize <= 0 {
		c.BatchSize = 50
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 50 * time.Millisecond
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.InitialBackoff <= 0 {
		c.InitialBackoff = 500 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Minute
	}
}

// Egress moves commands from the bus to connectors.
type Egress struct {
	cfg    Config
	bus    *bus.Bus
	db     *store.DB
	writer Writer
	log    *slog.Logger
}

// New builds the egress of the given instances and registers their bus handlers.
func New(b *bus.Bus, w Writer, cfg Config, logger *slog.Logger) (*Egress, error) {
	cfg.setDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	e := &Egress{cfg: cfg, bus: b, db: b.DB(), writer: w, log: logger}
	for _, name := range cfg.Instances {
		if err := b.Handle("egress:"+name, Topic(name), e.enqueue(name), bus.WithPipeline("egress:"+name), bus.WithStep("enqueue")); err != nil {
			return nil, fmt.Errorf("egress %s: %w", name, err)
		}
	}
	return e, nil
}

// MetaKindCommand is the "kind" metadata of a message whose payload is a whole
// sdk.Command (NewCommand, what the hub's own services publish).
const MetaKindCommand = "command"

// commandOf turns a message on "<instance>.out" into a command. Two shapes
// arrive: a whole sdk.Command (kind "command", from hub services), or a
// canonical.Record from a pipeline's connector target, with the action in
// metadata; the record's payload is the command's payload, but for
// write_record the whole record is.
func commandOf(msg *message.Message) (sdk.Command, error) {
	var cmd sdk.Command
	if msg.Metadata.Get(bus.MetaKind) == MetaKindCommand {
		if err := json.Unmarshal(msg.Payload, &cmd); err != nil {
			return sdk.Command{}, fmt.Errorf("decode command: %w", err)
		}
	} else {
		cmd.Action = canonical.Action(msg.Metadata.Get(MetaAction))
		cmd.IdempotencyKey = msg.Metadata.Get(bus.MetaIdempotencyKey)
		var rec canonical.Record
		if err := json.Unmarshal(msg.Payload, &rec); err != nil || rec.Kind == "" {
			return sdk.Command{}, fmt.Errorf("decode record: not a canonical record (%v)", err)
		}
		cmd.Payload = rec.Payload
		if cmd.Action == canonical.ActionWriteRecord {
			cmd.Payload = json.RawMessage(msg.Payload)
		}
		if cmd.IdempotencyKey == "" {
			cmd.IdempotencyKey = rec.IdempotencyKey
		}
	}
	if cmd.Action == "" {
		return sdk.Command{}, errors.New("command has no action")
	}
	if cmd.IdempotencyKey == "" {
		cmd.IdempotencyKey = msg.UUID
	}
	cmd.ID = msg.UUID
	return cmd, nil
}

// enqueue is the bus handler: it stores the command in the outbox in the
// consuming transaction. The same idempotency key twice is one command; a
// command replayed from the dead-letter queue is made due again.
func (e *Egress) enqueue(instance string) bus.Handler {
	return func(ctx context.Context, tx *sql.Tx, msg *message.Message) ([]bus.Out, error) {
		cmd, err := commandOf(msg)
		if err != nil {
			return nil, bus.Permanent(fmt.Errorf("egress %s: %w", instance, err))
		}
		md, _ := json.Marshal(msg.Metadata)
		now := time.Now().UTC().UnixMilli()
		q := e.db.Dialect.Rebind(`INSERT INTO egress_outbox (seq, id, instance, action, idempotency_key, payload, metadata, status, attempts, next_attempt_at, created_at)
VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM egress_outbox), ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)
ON CONFLICT (instance, idempotency_key) DO UPDATE SET status = 'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at
WHERE egress_outbox.status = 'failed' AND ? <> ''`)
		_, err = tx.ExecContext(ctx, q, msg.UUID, instance, string(cmd.Action), cmd.IdempotencyKey, string(cmd.Payload), string(md), now, now,
			msg.Metadata.Get(bus.MetaDeadLetterID))
		if err != nil {
			return nil, fmt.Errorf("egress %s: enqueue: %w", instance, err)
		}
		return nil, nil
	}
}

// Run delivers due commands until ctx is done: one worker per instance.
func (e *Egress) Run(ctx context.Context) error {
	done := make(chan struct{}, len(e.cfg.Instances))
	for _, name := range e.cfg.Instances {
		go func() {
			defer func() { done <- struct{}{} }()
			e.work(ctx, name)
		}()
	}
	for range e.cfg.Instances {
		<-done
	}
	return nil
}

func (e *Egress) work(ctx context.Context, instance string) {
	t := time.NewTicker(e.cfg.PollInterval)
	defer t.Stop()
	for {
		n, err := e.DeliverDue(ctx, instance)
		if err != nil && ctx.Err() == nil {
			e.log.Error("egress delivery failed", "connector", instance, "err", err)
		}
		if n > 0 && err == nil {
			continue // there may be more due right away
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

type pending struct {
	id       string
	cmd      sdk.Command
	metadata string
	attempts int
}

// DeliverDue sends one batch of due commands of an instance and records the
// outcomes; it returns how many commands it sent.
func (e *Egress) DeliverDue(ctx context.Context, instance string) (int, error) {
	now := time.Now().UTC()
	rows, err := e.db.QueryContext(ctx, e.db.Dialect.Rebind(`SELECT id, action, idempotency_key, payload, metadata, attempts FROM egress_outbox
WHERE instance = ? AND status = 'pending' AND next_attempt_at <= ? ORDER BY seq LIMIT ?`), instance, now.UnixMilli(), e.cfg.BatchSize)
	if err != nil {
		return 0, fmt.Errorf("egress %s: read outbox: %w", instance, err)
	}
	var batch []pending
	for rows.Next() {
		var p pending
		var action, payload string
		if err := rows.Scan(&p.id, &action, &p.cmd.IdempotencyKey, &payload, &p.metadata, &p.attempts); err != nil {
			rows.Close()
			return 0, fmt.Errorf("egress %s: read outbox: %w", instance, err)
		}
		p.cmd.ID, p.cmd.Action, p.cmd.Payload = p.id, canonical.Action(action), json.RawMessage(payload)
		batch = append(batch, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(batch) == 0 {
		return 0, err
	}
	cmds := make([]sdk.Command, len(batch))
	for i, p := range batch {
		cmds[i] = p.cmd
	}
	results := e.writer.Write(ctx, instance, cmds)
	if ctx.Err() != nil {
		return 0, ctx.Err() // outcomes unknown: the commands stay pending and go again
	}
	byID := make(map[string]sdk.Result, len(results))
	for _, r := range results {
		byID[r.CommandID] = r
	}
	err = e.bus.InTx(ctx, func(tx *sql.Tx) error {
		var outs []*message.Message
		for _, p := range batch {
			r, ok := byID[p.id]
			if !ok {
				r = sdk.Result{CommandID: p.id, Status: sdk.StatusRetryable, Error: "connector returned no result for the command"}
			}
			m, err := e.settle(ctx, tx, instance, p, r, now)
			if err != nil {
				return err
			}
			if m != nil {
				outs = append(outs, m)
			}
		}
		if len(outs) > 0 {
			if err := e.bus.PublishTx(ctx, tx, ResultTopic(instance), outs...); err != nil {
				return fmt.Errorf("publish results: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("egress %s: record outcomes: %w", instance, err)
	}
	return len(batch), nil
}

// settle records one command's outcome; for a success it returns the result
// message to publish.
func (e *Egress) settle(ctx context.Context, tx *sql.Tx, instance string, p pending, r sdk.Result, now time.Time) (*message.Message, error) {
	q := e.db.Dialect.Rebind
	switch {
	case r.Status == sdk.StatusOK:
		if _, err := tx.ExecContext(ctx, q(`UPDATE egress_outbox SET status = 'done', external_id = ?, done_at = ?, attempts = attempts + 1 WHERE id = ?`),
			r.ExternalID, now.UnixMilli(), p.id); err != nil {
			return nil, fmt.Errorf("egress %s: mark done: %w", instance, err)
		}
		body, err := json.Marshal(Result{Instance: instance, Action: p.cmd.Action, IdempotencyKey: p.cmd.IdempotencyKey,
			ExternalID: r.ExternalID, Payload: p.cmd.Payload, At: now})
		if err != nil {
			return nil, err
		}
		m := message.NewMessage(watermill.NewUUID(), body)
		m.Metadata.Set(MetaAction, string(p.cmd.Action))
		m.Metadata.Set(bus.MetaIdempotencyKey, p.cmd.IdempotencyKey)
		return m, nil
	case r.Status == sdk.StatusRetryable && p.attempts+1 < e.cfg.MaxAttempts:
		wait := max(e.backoff(p.attempts), r.RetryAfter)
		e.log.Info("connector command will be retried", "connector", instance, "action", p.cmd.Action, "attempt", p.attempts+1, "wait", wait, "error", r.Error)
		_, err := tx.ExecContext(ctx, q(`UPDATE egress_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`),
			now.Add(wait).UnixMilli(), r.Error, p.id)
		return nil, err
	default:
		reason := fmt.Sprintf("%s refused %s: %s", instance, p.cmd.Action, r.Error)
		if r.Status == sdk.StatusRetryable {
			reason = fmt.Sprintf("%s: %s still failing after %d attempts: %s", instance, p.cmd.Action, p.attempts+1, r.Error)
		}
		e.log.Warn("connector command dead-lettered", "connector", instance, "action", p.cmd.Action, "reason", reason)
		if _, err := tx.ExecContext(ctx, q(`UPDATE egress_outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?`), r.Error, p.id); err != nil {
			return nil, err
		}
		// The dead letter is the command in its own shape, so a replay to the
		// topic reads back as the same command, with the original metadata
		// (correlation id, pipeline) kept.
		m, err := NewCommand(p.cmd)
		if err != nil {
			return nil, err
		}
		md := map[string]string{}
		_ = json.Unmarshal([]byte(p.metadata), &md)
		for k, v := range md {
			if m.Metadata.Get(k) == "" {
				m.Metadata.Set(k, v)
			}
		}
		return nil, e.bus.DeadLetters().Add(ctx, tx, m, Topic(instance), "egress:"+instance, "write", reason)
	}
}

func (e *Egress) backoff(attempts int) time.Duration {
	d := e.cfg.InitialBackoff << min(attempts, 20)
	if d <= 0 || d > e.cfg.MaxBackoff {
		d = e.cfg.MaxBackoff
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// Pending counts the commands of an instance not yet delivered.
func (e *Egress) Pending(ctx context.Context, instance string) (int64, error) {
	var n int64
	err := e.db.QueryRowContext(ctx, e.db.Dialect.Rebind(`SELECT COUNT(*) FROM egress_outbox WHERE instance = ? AND status = 'pending'`), instance).Scan(&n)
	return n, err
}
