package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// fake is a connector whose every answer is typed, to check that the protocol
// carries the types across.
type fake struct{}

func (fake) Spec() sdk.Spec {
	return sdk.Spec{Name: "fake", Version: "1.2.3", ConfigSchema: json.RawMessage(`{"type":"object"}`),
		Streams:    []sdk.StreamSpec{{Name: "orders", Kind: canonical.KindOrder}},
		Actions:    []canonical.Action{canonical.ActionSetInventory},
		RateLimits: []sdk.RateLimit{{Name: "calls", PerSecond: 2.5, Burst: 40}}, Webhooks: true}
}

func (fake) Configure(_ context.Context, raw json.RawMessage) error {
	if string(raw) == `{}` {
		return nil
	}
	return &sdk.ConfigError{Fields: []sdk.FieldError{{Field: "shop", Message: "required"}, {Field: "token", Message: "too short"}}}
}

func (fake) Check(context.Context) error {
	return &sdk.CheckError{Reason: sdk.CheckAuth, Message: "401 from the API"}
}

func (fake) Read(_ context.Context, _ string, cursor []byte, emit func(sdk.Batch) error) error {
	at := time.Date(2026, 3, 1, 10, 0, 0, 123000000, time.UTC)
	if err := emit(sdk.Batch{Cursor: []byte("c1"), Records: []canonical.Record{{Kind: canonical.KindOrder, ExternalID: "1", Version: 7, IdempotencyKey: "k1", At: at, Payload: json.RawMessage(`{"id":"1"}`)}},
		Rejects: []sdk.Reject{{Location: "page 1 item 2", Message: "no sku", Raw: []byte("{}")}}}); err != nil {
		return err
	}
	return errors.New("platform exploded")
}

func (fake) Write(_ context.Context, cmds []sdk.Command) []sdk.Result {
	return []sdk.Result{{CommandID: cmds[0].ID, Status: sdk.StatusRetryable, Error: "429", RetryAfter: 1500 * time.Millisecond}}
}

func (fake) Webhook(_ context.Context, h http.Header, _ []byte) ([]canonical.Record, error) {
	if h.Get("X-Sig") == "ok" {
		return []canonical.Record{{Kind: canonical.KindOrder, IdempotencyKey: "w1"}}, nil
	}
	return nil, &sdk.WebhookError{Refusal: sdk.WebhookUnauthorized, Message: "bad hmac"}
}

type specOnly struct{}

func (specOnly) Spec() sdk.Spec                                   { return sdk.Spec{Name: "spec-only", Version: "1"} }
func (specOnly) Configure(context.Context, json.RawMessage) error { return nil }
func (specOnly) Check(context.Context) error                      { return nil }

func dial(t *testing.T, c sdk.Connector) *sdk.RPCClient {
	t.Helper()
	client, _ := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{sdk.PluginName: &sdk.GRPCPlugin{Impl: c}})
	t.Cleanup(func() { client.Close() })
	raw, err := client.Dispense(sdk.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	return raw.(*sdk.RPCClient)
}

func TestProtocol_TypedAnswersSurviveTheWire(t *testing.T) {
	c := dial(t, fake{})
	ctx := context.Background()
	if s := c.Spec(); s.Name != "fake" || s.Version != "1.2.3" || s.Streams[0].Kind != canonical.KindOrder || s.RateLimits[0].PerSecond != 2.5 || !s.Webhooks {
		t.Errorf("spec = %+v", s)
	}
	var ce *sdk.ConfigError
	if err := c.Configure(ctx, json.RawMessage(`{"x":1}`)); !errors.As(err, &ce) || len(ce.Fields) != 2 || ce.Fields[1].Field != "token" {
		t.Errorf("configure = %v, want a ConfigError naming shop and token", err)
	}
	var chk *sdk.CheckError
	if err := c.Check(ctx); !errors.As(err, &chk) || chk.Reason != sdk.CheckAuth {
		t.Errorf("check = %v, want CheckError auth", err)
	}
	var got []sdk.Batch
	err := c.Read(ctx, "orders", nil, func(b sdk.Batch) error { got = append(got, b); return nil })
	if err == nil || !strings.Contains(err.Error(), "platform exploded") || len(got) != 1 {
		t.Fatalf("read = %v, %d batches; want one batch then the connector's error", err, len(got))
	}
	r := got[0].Records[0]
	if string(got[0].Cursor) != "c1" || r.Version != 7 || !r.At.Equal(time.Date(2026, 3, 1, 10, 0, 0, 123000000, time.UTC)) || string(r.Payload) != `{"id":"1"}` {
		t.Errorf("batch = %+v", got[0])
	}
	if len(got[0].Rejects) != 1 || got[0].Rejects[0].Location != "page 1 item 2" {
		t.Errorf("rejects = %+v", got[0].Rejects)
	}
	rs := c.Write(ctx, []sdk.Command{{ID: "a"}, {ID: "b"}})
	if len(rs) != 2 || rs[0].RetryAfter != 1500*time.Millisecond || rs[0].Status != sdk.StatusRetryable || rs[1].Status != sdk.StatusPermanent {
		t.Errorf("write = %+v; want a's retry-after kept and b (forgotten by the connector) permanent", rs)
	}
	var we *sdk.WebhookError
	if _, err := c.Webhook(ctx, http.Header{"X-Sig": {"no"}}, nil); !errors.As(err, &we) || we.Refusal != sdk.WebhookUnauthorized {
		t.Errorf("webhook = %v, want unauthorized", err)
	}
	if recs, err := c.Webhook(ctx, http.Header{"X-Sig": {"ok"}}, nil); err != nil || len(recs) != 1 {
		t.Errorf("webhook = %v, %v", recs, err)
	}
}

func TestProtocol_MissingPartsAnswerErrUnsupported(t *testing.T) {
	c := dial(t, specOnly{})
	err := c.Read(context.Background(), "x", nil, func(sdk.Batch) error { return nil })
	if !errors.Is(err, sdk.ErrUnsupported) {
		t.Errorf("read = %v, want ErrUnsupported", err)
	}
	if _, err := c.Webhook(context.Background(), nil, nil); !errors.Is(err, sdk.ErrUnsupported) {
		t.Errorf("webhook = %v, want ErrUnsupported", err)
	}
	if rs := c.Write(context.Background(), []sdk.Command{{ID: "a"}}); rs[0].Status != sdk.StatusPermanent {
		t.Errorf("write = %+v, want permanent", rs)
	}
}
