package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"syscall"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// readAll reads a stream to its end from cursor and returns its batches.
func readAll(ctx context.Context, c *conn, stream string, cursor []byte) ([]sdk.Batch, error) {
	r, err := c.reader()
	if err != nil {
		return nil, err
	}
	var out []sdk.Batch
	err = r.Read(ctx, stream, cursor, func(b sdk.Batch) error {
		out = append(out, b)
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("read %s: %w", stream, err)
	}
	return out, nil
}

func keysOf(batches []sdk.Batch) []string {
	var keys []string
	for _, b := range batches {
		for _, r := range b.Records {
			keys = append(keys, r.IdempotencyKey)
		}
	}
	return keys
}

func (s *suite) streams() ([]string, error) {
	if len(s.sb.Seeded) == 0 {
		return nil, errors.New("sandbox seeds no stream (Sandbox.Seeded is empty)")
	}
	names := make([]string, 0, len(s.sb.Seeded))
	for n := range s.sb.Seeded {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

func checkRead(ctx context.Context, s *suite) error {
	streams, err := s.streams()
	if err != nil {
		return err
	}
	c, err := s.open(ctx, s.sb.Config)
	if err != nil {
		return err
	}
	defer c.close()
	kinds := map[string]canonical.Kind{}
	for _, st := range c.Spec().Streams {
		kinds[st.Name] = st.Kind
	}
	var problems []string
	for _, stream := range streams {
		kind, ok := kinds[stream]
		if !ok {
			problems = append(problems, fmt.Sprintf("stream %q is seeded but not in the spec", stream))
			continue
		}
		batches, err := readAll(ctx, c, stream, nil)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		n := 0
		for i, b := range batches {
			if len(b.Cursor) == 0 {
				problems = append(problems, fmt.Sprintf("%s: batch %d has no cursor", stream, i))
			}
			for _, r := range b.Records {
				n++
				switch {
				case r.IdempotencyKey == "":
					problems = append(problems, fmt.Sprintf("%s: record %q has no idempotency key", stream, r.ExternalID))
				case seen[r.IdempotencyKey]:
					problems = append(problems, fmt.Sprintf("%s: record %q read twice in one read", stream, r.IdempotencyKey))
				}
				seen[r.IdempotencyKey] = true
				if r.Kind != kind {
					problems = append(problems, fmt.Sprintf("%s: record %q has kind %q; the spec says %q", stream, r.ExternalID, r.Kind, kind))
				}
				if !json.Valid(r.Payload) {
					problems = append(problems, fmt.Sprintf("%s: record %q payload is not JSON", stream, r.ExternalID))
				}
			}
		}
		if want := s.sb.Seeded[stream]; n != want {
			problems = append(problems, fmt.Sprintf("%s: read %d records; %d were seeded", stream, n, want))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// maxResumePoints bounds the cursors the resume check tries per stream.
const maxResumePoints = 40

func checkResume(ctx context.Context, s *suite) error {
	streams, err := s.streams()
	if err != nil {
		return err
	}
	c, err := s.open(ctx, s.sb.Config)
	if err != nil {
		return err
	}
	defer c.close()
	for _, stream := range streams {
		batches, err := readAll(ctx, c, stream, nil)
		if err != nil {
			return err
		}
		if len(batches) < 2 {
			return fmt.Errorf("%s: the sandbox yields %d batch(es); seed more records or use a smaller batch size so there is a cursor to resume from", stream, len(batches))
		}
		step := 1
		if len(batches) > maxResumePoints {
			step = len(batches) / maxResumePoints
		}
		for i := 0; i < len(batches); i += step {
			want := keysOf(batches[i+1:])
			got, err := readAll(ctx, c, stream, batches[i].Cursor)
			if err != nil {
				return fmt.Errorf("%s: resume after batch %d: %w", stream, i, err)
			}
			if err := sameKeys(want, keysOf(got)); err != nil {
				return fmt.Errorf("%s: resumed after batch %d (cursor %q): %w", stream, i, batches[i].Cursor, err)
			}
		}
	}
	return nil
}

// sameKeys compares two reads record by record, naming the first difference.
func sameKeys(want, got []string) error {
	seen := map[string]int{}
	for _, k := range got {
		seen[k]++
		if seen[k] > 1 {
			return fmt.Errorf("record %s repeated", k)
		}
	}
	for _, k := range want {
		if seen[k] == 0 {
			return fmt.Errorf("record %s lost (want %d records, got %d)", k, len(want), len(got))
		}
	}
	if len(got) != len(want) {
		return fmt.Errorf("got %d records, want %d (records from before the cursor repeated)", len(got), len(want))
	}
	return nil
}

func checkCrashResume(ctx context.Context, s *suite) error {
	if s.t.Plugin == nil {
		return errors.New("crash_resume needs Target.Plugin: an in-process connector cannot be killed")
	}
	streams, err := s.streams()
	if err != nil {
		return err
	}
	stream := streams[0]
	for _, st := range streams {
		if s.sb.Seeded[st] > s.sb.Seeded[stream] {
			stream = st
		}
	}
	ref, err := s.open(ctx, s.sb.Config)
	if err != nil {
		return err
	}
	full, err := readAll(ctx, ref, stream, nil)
	ref.close()
	if err != nil {
		return err
	}
	if len(full) < 2 {
		return fmt.Errorf("%s: one batch only; nothing to kill the connector in the middle of", stream)
	}
	victim, err := s.launch(ctx, s.sb.Config)
	if err != nil {
		return err
	}
	r, _ := victim.reader()
	var got []sdk.Batch
	var cursor []byte
	errCrashed := errors.New("connector killed")
	readErr := r.Read(ctx, stream, nil, func(b sdk.Batch) error {
		// The hub stores this batch's cursor; then the connector dies.
		got = append(got, b)
		cursor = b.Cursor
		// SIGKILL: no chance to clean up, as in a crash or an OOM kill.
		if err := syscall.Kill(victim.proc.Pid(), syscall.SIGKILL); err != nil {
			return fmt.Errorf("kill connector: %w", err)
		}
		<-victim.proc.Done()
		return errCrashed
	})
	victim.close()
	if !errors.Is(readErr, errCrashed) {
		return fmt.Errorf("%s: read of the killed connector ended with %v", stream, readErr)
	}
	again, err := s.launch(ctx, s.sb.Config)
	if err != nil {
		return fmt.Errorf("restart after kill: %w", err)
	}
	defer again.close()
	rest, err := readAll(ctx, again, stream, cursor)
	if err != nil {
		return fmt.Errorf("resume after kill: %w", err)
	}
	return sameKeys(keysOf(full), append(keysOf(got), keysOf(rest)...))
}

func checkWrite(ctx context.Context, s *suite) error {
	if len(s.sb.Write) == 0 || s.sb.Effects == nil {
		return errors.New("sandbox gives no Write commands or no Effects counter")
	}
	c, err := s.open(ctx, s.sb.Config)
	if err != nil {
		return err
	}
	defer c.close()
	w, ok := c.Connector.(sdk.Writer)
	if !ok {
		return errors.New("connector does not implement sdk.Writer")
	}
	before, err := s.sb.Effects(ctx)
	if err != nil {
		return fmt.Errorf("count effects: %w", err)
	}
	write := func(round string) error {
		rs := w.Write(ctx, s.sb.Write)
		if len(rs) != len(s.sb.Write) {
			return fmt.Errorf("%s write: %d results for %d commands", round, len(rs), len(s.sb.Write))
		}
		for i, r := range rs {
			if r.CommandID != s.sb.Write[i].ID {
				return fmt.Errorf("%s write: result %d names command %q, want %q", round, i, r.CommandID, s.sb.Write[i].ID)
			}
			if r.Status != sdk.StatusOK {
				return fmt.Errorf("%s write: command %s: %s: %s", round, r.CommandID, r.Status, r.Error)
			}
		}
		return nil
	}
	if err := write("first"); err != nil {
		return err
	}
	once, err := s.sb.Effects(ctx)
	if err != nil {
		return fmt.Errorf("count effects: %w", err)
	}
	if once == before {
		return errors.New("the first write had no effect in the sandbox")
	}
	if err := write("second"); err != nil {
		return err
	}
	twice, err := s.sb.Effects(ctx)
	if err != nil {
		return fmt.Errorf("count effects: %w", err)
	}
	if twice != once {
		return fmt.Errorf("writing the same commands twice had %d effects; once had %d", twice-before, once-before)
	}
	return nil
}

func checkRateLimit(ctx context.Context, s *suite) error {
	if s.sb.Load == nil || s.sb.Count429 == nil {
		return errors.New("sandbox gives no Load or Count429")
	}
	c, err := s.open(ctx, s.sb.Config)
	if err != nil {
		return err
	}
	defer c.close()
	before := s.sb.Count429()
	if err := s.sb.Load(ctx, c.Connector); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if n := s.sb.Count429() - before; n > 0 {
		return fmt.Errorf("the sandbox answered %d requests with 429 under sustained load", n)
	}
	return nil
}

func checkWebhook(ctx context.Context, s *suite) error {
	if s.sb.SignWebhook == nil || len(s.sb.WebhookBody) == 0 {
		return errors.New("sandbox gives no WebhookBody or SignWebhook")
	}
	c, err := s.open(ctx, s.sb.Config)
	if err != nil {
		return err
	}
	defer c.close()
	h, ok := c.Connector.(sdk.WebhookHandler)
	if !ok {
		return errors.New("connector does not implement sdk.WebhookHandler")
	}
	recs, err := h.Webhook(ctx, s.sb.SignWebhook(s.sb.WebhookBody), s.sb.WebhookBody)
	if err != nil {
		return fmt.Errorf("a correctly signed webhook was refused: %w", err)
	}
	if len(recs) == 0 {
		return errors.New("a correctly signed webhook yielded no records")
	}
	tampered := append([]byte{}, s.sb.WebhookBody...)
	tampered = append(tampered, ' ')
	// The signature of another body on this body.
	if err := wantRefused(ctx, h, s.sb.SignWebhook(tampered), s.sb.WebhookBody, "signature of another body"); err != nil {
		return err
	}
	// This body with its signature headers removed.
	stripped := s.sb.SignWebhook(s.sb.WebhookBody)
	for k := range stripped {
		if strings.Contains(strings.ToLower(k), "signature") || strings.Contains(strings.ToLower(k), "hmac") {
			stripped.Del(k)
		}
	}
	return wantRefused(ctx, h, stripped, s.sb.WebhookBody, "no signature")
}

func wantRefused(ctx context.Context, h sdk.WebhookHandler, headers http.Header, body []byte, what string) error {
	recs, err := h.Webhook(ctx, headers, body)
	var we *sdk.WebhookError
	switch {
	case err == nil:
		return fmt.Errorf("webhook with %s accepted (%d records)", what, len(recs))
	case !errors.As(err, &we):
		return fmt.Errorf("webhook with %s refused untyped (%v); want *sdk.WebhookError", what, err)
	case we.Refusal != sdk.WebhookUnauthorized:
		return fmt.Errorf("webhook with %s refused as %q; want %q", what, we.Refusal, sdk.WebhookUnauthorized)
	}
	return nil
}
