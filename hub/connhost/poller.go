package connhost

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// pollLoop reads a stream every interval until ctx is done. After a failed
// pass it retries sooner (at most a second later), since a restarted connector
// resumes from the stored cursor anyway.
func (h *Host) pollLoop(ctx context.Context, in *instance, stream string, every time.Duration) {
	for {
		n, err := h.Poll(ctx, in.cfg.Name, stream)
		wait := every
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			in.log.Warn("read failed; will resume from the stored cursor", "stream", stream, "error", err)
			wait = min(every, time.Second)
		case n > 0:
			in.log.Debug("read", "stream", stream, "records", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// Poll reads a stream once, from its stored cursor to the end of what the
// source has now, and returns how many records it published.
//
// Invariant (DESIGN.md §3.1, the checkpoint rule): each batch's records and its
// cursor are committed in one SQL transaction (Publisher.PublishTx + the
// cursor upsert). The cursor is therefore stored only after the records before
// it are durably on the bus, and never without them.
func (h *Host) Poll(ctx context.Context, name, stream string) (int, error) {
	in, err := h.instance(name)
	if err != nil {
		return 0, err
	}
	if h.cfg.DB == nil || h.cfg.Publisher == nil {
		return 0, errors.New("connhost: reading needs DB and Publisher")
	}
	mu, _ := in.streamMus.LoadOrStore(stream, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()

	ctx, cancel := context.WithTimeout(ctx, h.cfg.ReadTimeout)
	defer cancel()
	getCtx, getCancel := context.WithTimeout(ctx, h.cfg.CallTimeout)
	c, err := in.get(getCtx)
	getCancel()
	if err != nil {
		return 0, err
	}
	r, ok := c.(sdk.Reader)
	if !ok {
		return 0, fmt.Errorf("%s: %w: read", name, sdk.ErrUnsupported)
	}
	cursor, err := loadCursor(ctx, h.cfg.DB, h.cfg.DB.Dialect, name, stream)
	if err != nil {
		return 0, err
	}
	total := 0
	begin := time.Now()
	err = r.Read(ctx, stream, cursor, func(b sdk.Batch) error {
		if err := h.commitBatch(ctx, name, stream, b); err != nil {
			return err
		}
		total += len(b.Records)
		return nil
	})
	h.metrics.calls.WithLabelValues(name, "read").Observe(time.Since(begin).Seconds())
	if err != nil {
		return total, fmt.Errorf("%s: read %s: %w", name, stream, err)
	}
	return total, nil
}

// commitBatch publishes a batch and stores its cursor in one transaction.
func (h *Host) commitBatch(ctx context.Context, name, stream string, b sdk.Batch) error {
	recs, rejects := screen(name, b.Records, b.Rejects)
	byTopic, order, err := recordMessages(name, recs)
	if err != nil {
		return err
	}
	err = h.inTx(ctx, func(tx *sql.Tx) error {
		for _, topic := range order {
			if err := h.cfg.Publisher.PublishTx(ctx, tx, topic, byTopic[topic]...); err != nil {
				return fmt.Errorf("publish to %s: %w", topic, err)
			}
		}
		if len(rejects) > 0 {
			if err := h.publishRejects(ctx, tx, name, stream, rejects); err != nil {
				return err
			}
		}
		if len(b.Cursor) > 0 {
			return saveCursor(ctx, tx, h.cfg.DB.Dialect, name, stream, b.Cursor)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	h.metrics.records.WithLabelValues(name, stream).Add(float64(len(recs)))
	if len(rejects) > 0 {
		h.metrics.rejects.WithLabelValues(name, stream).Add(float64(len(rejects)))
	}
	return nil
}

// publishRejects puts what a connector or the screen refused on RejectTopic.
func (h *Host) publishRejects(ctx context.Context, tx *sql.Tx, name, stream string, rejects []sdk.Reject) error {
	msgs := make([]*message.Message, len(rejects))
	for i, rj := range rejects {
		payload, err := json.Marshal(rj)
		if err != nil {
			return fmt.Errorf("encode reject: %w", err)
		}
		m := message.NewMessage(watermill.NewUUID(), payload)
		m.Metadata.Set("source", name)
		m.Metadata.Set("stream", stream)
		m.Metadata.Set("location", rj.Location)
		m.Metadata.Set("reason", rj.Message)
		msgs[i] = m
		h.log.Warn("record refused", "connector", name, "stream", stream, "location", rj.Location, "reason", rj.Message)
	}
	if err := h.cfg.Publisher.PublishTx(ctx, tx, RejectTopic, msgs...); err != nil {
		return fmt.Errorf("publish rejects: %w", err)
	}
	return nil
}

// inTx runs fn in a transaction, through the publisher's own when it has one
// (the bus queues the hub's SQLite writers in-process).
func (h *Host) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if p, ok := h.cfg.Publisher.(interface {
		InTx(context.Context, func(*sql.Tx) error) error
	}); ok {
		return p.InTx(ctx, fn)
	}
	tx, err := h.cfg.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Topic returns the bus topic records of a kind go to: "<kind>.in".
func Topic(kind canonical.Kind) string { return string(kind) + ".in" }

// recordMessages turns records into bus messages grouped by topic, stamping
// the instance as their source.
func recordMessages(source string, recs []canonical.Record) (map[string][]*message.Message, []string, error) {
	byTopic := map[string][]*message.Message{}
	var order []string
	for _, r := range recs {
		if r.Kind == "" {
			return nil, nil, fmt.Errorf("record %q has no kind", r.ExternalID)
		}
		r.Source = source
		payload, err := json.Marshal(r)
		if err != nil {
			return nil, nil, fmt.Errorf("encode record: %w", err)
		}
		m := message.NewMessage(watermill.NewUUID(), payload)
		m.Metadata.Set("source", source)
		m.Metadata.Set("kind", string(r.Kind))
		m.Metadata.Set("idempotency_key", r.IdempotencyKey)
		t := Topic(r.Kind)
		if _, ok := byTopic[t]; !ok {
			order = append(order, t)
		}
		byTopic[t] = append(byTopic[t], m)
	}
	return byTopic, order, nil
}
