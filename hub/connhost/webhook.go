package connhost

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// WebhookHandler serves POST /webhooks/{instance}. Mount it on a pattern with
// an {instance} wildcard ("POST /webhooks/{instance}") or under "/webhooks/".
//
// Answers: 200 when the records are on the bus; 401 for a bad signature and
// 400 for a malformed delivery (both audited, nothing published); 404 for an
// unknown instance or one without webhooks; 405 for a method other than POST;
// 413 for a body over Config.MaxWebhookBytes; 503 while the connector is
// unavailable (platforms retry); 500 when the bus cannot take the records.
func (h *Host) WebhookHandler() http.Handler {
	return http.HandlerFunc(h.serveWebhook)
}

func (h *Host) serveWebhook(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("instance")
	if name == "" {
		name = strings.Trim(strings.TrimPrefix(r.URL.Path, "/webhooks/"), "/")
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if _, err := h.instance(name); err != nil {
		http.Error(w, "unknown connector", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxWebhookBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.refuse(r.Context(), w, name, "malformed", "body too large", r.RemoteAddr, http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	recs, err := h.Webhook(r.Context(), name, r.Header.Clone(), body)
	var we *sdk.WebhookError
	switch {
	case errors.As(err, &we):
		code := http.StatusBadRequest
		if we.Refusal == sdk.WebhookUnauthorized {
			code = http.StatusUnauthorized
		}
		h.refuse(r.Context(), w, name, string(we.Refusal), we.Message, r.RemoteAddr, code)
		return
	case errors.Is(err, sdk.ErrUnsupported):
		http.Error(w, "connector takes no webhooks", http.StatusNotFound)
		return
	case err != nil:
		h.log.Warn("webhook not handled", "connector", name, "error", err)
		http.Error(w, "connector unavailable", http.StatusServiceUnavailable)
		return
	}
	rejects, err := h.publish(r.Context(), name, recs)
	if err != nil {
		h.log.Error("webhook records not published", "connector", name, "error", err)
		http.Error(w, "could not store the delivery", http.StatusInternalServerError)
		return
	}
	h.metrics.records.WithLabelValues(name, "webhook").Add(float64(len(recs) - len(rejects)))
	if len(rejects) > 0 {
		// Valid records of the delivery are kept; the refused ones are named
		// (never echoed) in the audit log and the answer.
		msgs := make([]string, len(rejects))
		for i, rj := range rejects {
			msgs[i] = rj.Location + ": " + rj.Message
		}
		h.refuse(r.Context(), w, name, "invalid", strings.Join(msgs, "; "), r.RemoteAddr, http.StatusUnprocessableEntity)
		return
	}
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "accepted %d records\n", len(recs))
}

func (h *Host) refuse(ctx context.Context, w http.ResponseWriter, name, reason, msg, remote string, code int) {
	h.metrics.refusals.WithLabelValues(name, reason).Inc()
	h.log.Warn("webhook refused", "connector", name, "reason", reason, "message", msg, "remote", remote)
	if h.cfg.Audit != nil {
		h.cfg.Audit.RecordRefusal(ctx, name, reason+": "+msg, remote)
	}
	http.Error(w, reason, code)
}

// publish puts a webhook's valid records on the bus in one transaction, with
// the ones the screen refused on RejectTopic; it returns the refused ones.
func (h *Host) publish(ctx context.Context, name string, recs []canonical.Record) ([]sdk.Reject, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	if h.cfg.DB == nil || h.cfg.Publisher == nil {
		return nil, errors.New("connhost: publishing needs DB and Publisher")
	}
	ok, rejects := screen(name, recs, nil)
	byTopic, order, err := recordMessages(name, ok)
	if err != nil {
		return nil, err
	}
	return rejects, h.inTx(ctx, func(tx *sql.Tx) error {
		for _, t := range order {
			if err := h.cfg.Publisher.PublishTx(ctx, tx, t, byTopic[t]...); err != nil {
				return err
			}
		}
		if len(rejects) > 0 {
			return h.publishRejects(ctx, tx, name, "webhook", rejects)
		}
		return nil
	})
}

// StatusHandler serves GET /connectors/status: Status as JSON, for
// `crossdock connectors status`.
func (h *Host) StatusHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(h.Status())
	})
}
