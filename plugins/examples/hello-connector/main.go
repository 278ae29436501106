package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

func main() { sdk.Serve(&Hello{}) }

// Config is the connector's config.
type Config struct {
	BaseURL       string `json:"base_url"`
	Token         string `json:"token"`
	WebhookSecret string `json:"webhook_secret"`
	PageSize      int    `json:"page_size,omitempty"`
}

// Hello is the connector.
type Hello struct {
	cfg    Config
	client *sdk.HTTPClient
}

var (
	_ sdk.Connector      = (*Hello)(nil)
	_ sdk.Reader         = (*Hello)(nil)
	_ sdk.Writer         = (*Hello)(nil)
	_ sdk.WebhookHandler = (*Hello)(nil)
)

// Spec implements sdk.Connector.
func (h *Hello) Spec() sdk.Spec {
	return sdk.Spec{
		Name:        "hello",
		Version:     "0.1.0",
		Description: "example third-party connector: contacts in, stock levels out",
		ConfigSchema: json.RawMessage(`{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["base_url", "token"],
  "additionalProperties": false,
  "properties": {
    "base_url": {"type": "string", "pattern": "^https?://"},
    "token": {"type": "string", "minLength": 1},
    "webhook_secret": {"type": "string"},
    "page_size": {"type": "integer", "minimum": 1, "maximum": 100}
  }
}`),
		Streams:    []sdk.StreamSpec{{Name: "customers", Kind: canonical.KindCustomer, Description: "contacts by ascending id; the cursor is the last id"}},
		Actions:    []canonical.Action{canonical.ActionSetInventory},
		Webhooks:   true,
		RateLimits: []sdk.RateLimit{{Name: "requests", PerSecond: 40, Burst: 5, Description: "per token; X-RateLimit-Limit and X-RateLimit-Burst say the current values"}},
	}
}

// Configure implements sdk.Connector.
func (h *Hello) Configure(_ context.Context, raw json.RawMessage) error {
	var c Config
	if err := json.Unmarshal(raw, &c); err != nil {
		return &sdk.ConfigError{Fields: []sdk.FieldError{{Field: "", Message: err.Error()}}}
	}
	var bad []sdk.FieldError
	if c.BaseURL == "" {
		bad = append(bad, sdk.FieldError{Field: "base_url", Message: "required"})
	}
	if c.Token == "" {
		bad = append(bad, sdk.FieldError{Field: "token", Message: "required"})
	}
	if len(bad) > 0 {
		return &sdk.ConfigError{Fields: bad}
	}
	if c.PageSize == 0 {
		c.PageSize = 50
	}
	h.cfg = c
	h.client = sdk.NewHTTPClient(sdk.HTTPConfig{
		BaseURL: c.BaseURL,
		// The documented limit (40/s, burst 5) less a margin: the limit is a
		// budget to use, not an error to hit. The headers refine it.
		PerSecond: 36, Burst: 4,
		Limits: func(hd http.Header) (float64, int, bool) {
			ps, err1 := strconv.ParseFloat(hd.Get("X-RateLimit-Limit"), 64)
			b, err2 := strconv.Atoi(hd.Get("X-RateLimit-Burst"))
			return ps * 0.9, max(b-1, 1), err1 == nil && err2 == nil
		},
		Token:      func(context.Context) (string, error) { return c.Token, nil },
		Timeout:    5 * time.Second,
		MaxRetries: 2,
	})
	return nil
}

// Check implements sdk.Connector.
func (h *Hello) Check(ctx context.Context) error {
	resp, err := h.client.R(ctx).Get("/v1/contacts?limit=1")
	switch {
	case err != nil:
		return &sdk.CheckError{Reason: sdk.CheckNetwork, Message: err.Error()}
	case resp.StatusCode() == http.StatusUnauthorized:
		return &sdk.CheckError{Reason: sdk.CheckAuth, Message: "the API refused the token"}
	case resp.StatusCode() == http.StatusForbidden:
		return &sdk.CheckError{Reason: sdk.CheckPermission, Message: "the token may not read contacts"}
	case resp.IsError():
		return &sdk.CheckError{Reason: sdk.CheckNetwork, Message: resp.Status()}
	}
	return nil
}

type contact struct {
	ID        int       `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (c contact) record() (canonical.Record, error) {
	id := strconv.Itoa(c.ID)
	rec, err := canonical.NewRecord(canonical.KindCustomer, "hello", canonical.Customer{
		Email: c.Email, FirstName: c.Name, Refs: canonical.Refs{{Connector: "hello", ID: id}},
	})
	rec.ExternalID = id
	rec.Version = c.UpdatedAt.UnixMilli()
	rec.IdempotencyKey = fmt.Sprintf("hello:contact:%s:%d", id, rec.Version)
	rec.At = c.UpdatedAt
	return rec, err
}

// Read implements sdk.Reader: pages of contacts after the cursor (the last id).
func (h *Hello) Read(ctx context.Context, stream string, cursor []byte, emit func(sdk.Batch) error) error {
	if stream != "customers" {
		return fmt.Errorf("hello: unknown stream %q", stream)
	}
	after := string(cursor)
	if after == "" {
		after = "0"
	}
	for {
		var page struct {
			Contacts []contact `json:"contacts"`
		}
		resp, err := h.client.R(ctx).SetResult(&page).
			SetQueryParams(map[string]string{"after": after, "limit": strconv.Itoa(h.cfg.PageSize)}).
			Get("/v1/contacts")
		if err != nil {
			return fmt.Errorf("hello: list contacts: %w", err)
		}
		if resp.IsError() {
			return fmt.Errorf("hello: list contacts: %s", resp.Status())
		}
		if len(page.Contacts) == 0 {
			return nil
		}
		b := sdk.Batch{}
		for _, c := range page.Contacts {
			rec, err := c.record()
			if err != nil {
				b.Rejects = append(b.Rejects, sdk.Reject{Location: "contact " + strconv.Itoa(c.ID), Message: err.Error()})
			} else {
				b.Records = append(b.Records, rec)
			}
			after = strconv.Itoa(c.ID)
		}
		b.Cursor = []byte(after)
		if err := emit(b); err != nil {
			return err
		}
	}
}

// Write implements sdk.Writer: set_inventory, with the command's idempotency
// key passed through so a retried command is applied once.
func (h *Hello) Write(ctx context.Context, cmds []sdk.Command) []sdk.Result {
	out := make([]sdk.Result, len(cmds))
	for i, cmd := range cmds {
		out[i] = sdk.Result{CommandID: cmd.ID}
		var s canonical.SetInventory
		if cmd.Action != canonical.ActionSetInventory || json.Unmarshal(cmd.Payload, &s) != nil {
			out[i].Status, out[i].Error = sdk.StatusPermanent, "unsupported command or bad payload"
			continue
		}
		var res struct {
			ID string `json:"id"`
		}
		req := h.client.WithIdempotencyKey(h.client.R(ctx), cmd.IdempotencyKey)
		resp, err := req.SetBody(map[string]any{"sku": s.SKU, "available": s.Available}).SetResult(&res).Post("/v1/stock")
		switch {
		case err != nil:
			out[i].Status, out[i].Error = sdk.StatusRetryable, err.Error()
		case resp.StatusCode() == http.StatusTooManyRequests || resp.StatusCode() >= 500:
			d, _ := sdk.RetryAfter(resp.Header(), time.Now())
			out[i].Status, out[i].Error, out[i].RetryAfter = sdk.StatusRetryable, resp.Status(), d
		case resp.IsError():
			out[i].Status, out[i].Error = sdk.StatusPermanent, resp.Status()
		default:
			out[i].Status, out[i].ExternalID = sdk.StatusOK, res.ID
		}
	}
	return out
}

// Webhook implements sdk.WebhookHandler: X-Hello-Signature is the hex
// HMAC-SHA256 of the raw body under the webhook secret.
func (h *Hello) Webhook(_ context.Context, headers http.Header, body []byte) ([]canonical.Record, error) {
	if !sdk.VerifyHMAC([]byte(h.cfg.WebhookSecret), body, headers.Get("X-Hello-Signature"), sdk.Hex) {
		return nil, &sdk.WebhookError{Refusal: sdk.WebhookUnauthorized, Message: "bad or missing X-Hello-Signature"}
	}
	var d struct {
		Contact *contact `json:"contact"`
	}
	if err := json.Unmarshal(body, &d); err != nil || d.Contact == nil {
		return nil, &sdk.WebhookError{Refusal: sdk.WebhookMalformed, Message: "body is not a contact delivery"}
	}
	rec, err := d.Contact.record()
	if err != nil {
		return nil, &sdk.WebhookError{Refusal: sdk.WebhookMalformed, Message: err.Error()}
	}
	return []canonical.Record{rec}, nil
}
