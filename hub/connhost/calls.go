package connhost

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// call runs fn on the instance's connector with the call timeout, waiting for
// a restarting connector within that timeout.
func (h *Host) call(ctx context.Context, name, what string, fn func(ctx context.Context, c sdk.Connector) error) error {
	in, err := h.instance(name)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.CallTimeout)
	defer cancel()
	c, err := in.get(ctx)
	if err != nil {
		return err
	}
	begin := time.Now()
	err = fn(ctx, c)
	h.metrics.calls.WithLabelValues(name, what).Observe(time.Since(begin).Seconds())
	return err
}

// Spec returns an instance's connector spec.
func (h *Host) Spec(ctx context.Context, name string) (sdk.Spec, error) {
	var spec sdk.Spec
	err := h.call(ctx, name, "spec", func(ctx context.Context, c sdk.Connector) error {
		if rc, ok := c.(interface {
			SpecContext(context.Context) (sdk.Spec, error)
		}); ok {
			s, err := rc.SpecContext(ctx)
			spec = s
			return err
		}
		spec = c.Spec()
		return nil
	})
	return spec, err
}

// Check runs the instance's credential and reachability check; a failure is a
// *sdk.CheckError.
func (h *Host) Check(ctx context.Context, name string) error {
	return h.call(ctx, name, "check", func(ctx context.Context, c sdk.Connector) error { return c.Check(ctx) })
}

// Write sends commands to the instance; one result per command. When the
// connector cannot be reached every command is retryable.
func (h *Host) Write(ctx context.Context, name string, cmds []sdk.Command) []sdk.Result {
	var out []sdk.Result
	err := h.call(ctx, name, "write", func(ctx context.Context, c sdk.Connector) error {
		w, ok := c.(sdk.Writer)
		if !ok {
			return fmt.Errorf("%s: %w: write", name, sdk.ErrUnsupported)
		}
		out = w.Write(ctx, cmds)
		return nil
	})
	if err != nil {
		out = make([]sdk.Result, len(cmds))
		for i, cmd := range cmds {
			out[i] = sdk.Result{CommandID: cmd.ID, Status: sdk.StatusRetryable, Error: err.Error()}
		}
	}
	return out
}

// Webhook hands a delivery to the instance's connector and returns its records
// (not published: WebhookHandler publishes).
func (h *Host) Webhook(ctx context.Context, name string, headers http.Header, body []byte) ([]canonical.Record, error) {
	var recs []canonical.Record
	err := h.call(ctx, name, "webhook", func(ctx context.Context, c sdk.Connector) error {
		wh, ok := c.(sdk.WebhookHandler)
		if !ok {
			return fmt.Errorf("%s: %w: webhook", name, sdk.ErrUnsupported)
		}
		var err error
		recs, err = wh.Webhook(ctx, headers, body)
		return err
	})
	return recs, err
}
