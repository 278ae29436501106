package conformance_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/conformance"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// flawed is a connector with one configurable flaw per capability, to show
// the suite catches each.
type flawed struct {
	repeatOnResume bool // resumes one record early
	loseOnRead     bool // drops the last record
	untypedCheck   bool // Check fails with a plain error
	doubleWrite    bool // applies a command every time
	acceptAnyHook  bool // accepts unsigned webhooks
	effects        *int
	seen           map[string]bool
	unreachable    bool
}

const n = 12

func (f *flawed) Spec() sdk.Spec {
	return sdk.Spec{Name: "flawed", Version: "0.0.1", ConfigSchema: json.RawMessage(`{"type":"object","required":["ok"]}`),
		Streams: []sdk.StreamSpec{{Name: "s", Kind: canonical.KindOrder}}, Actions: []canonical.Action{canonical.ActionCancelOrder}, Webhooks: true}
}
func (f *flawed) Configure(_ context.Context, raw json.RawMessage) error {
	f.unreachable = strings.Contains(string(raw), "unreachable")
	return nil
}
func (f *flawed) Check(context.Context) error {
	if !f.unreachable {
		return nil
	}
	if f.untypedCheck {
		return errors.New("dial tcp: connection refused")
	}
	return &sdk.CheckError{Reason: sdk.CheckNetwork, Message: "unreachable"}
}
func (f *flawed) Read(_ context.Context, _ string, cursor []byte, emit func(sdk.Batch) error) error {
	next, _ := strconv.Atoi(string(cursor))
	if f.repeatOnResume && next > 0 {
		next--
	}
	last := n
	if f.loseOnRead {
		last = n - 1
	}
	for next < last {
		var b sdk.Batch
		for i := 0; i < 3 && next < last; i++ {
			b.Records = append(b.Records, canonical.Record{Kind: canonical.KindOrder, IdempotencyKey: "k" + strconv.Itoa(next), Payload: json.RawMessage(`{}`)})
			next++
		}
		b.Cursor = []byte(strconv.Itoa(next))
		if err := emit(b); err != nil {
			return err
		}
	}
	return nil
}
func (f *flawed) Write(_ context.Context, cmds []sdk.Command) []sdk.Result {
	out := make([]sdk.Result, len(cmds))
	for i, c := range cmds {
		if f.doubleWrite || !f.seen[c.IdempotencyKey] {
			*f.effects++
		}
		f.seen[c.IdempotencyKey] = true
		out[i] = sdk.Result{CommandID: c.ID, Status: sdk.StatusOK}
	}
	return out
}
func (f *flawed) Webhook(_ context.Context, h http.Header, body []byte) ([]canonical.Record, error) {
	if f.acceptAnyHook || h.Get("X-Signature") == "sig:"+string(body) {
		return []canonical.Record{{Kind: canonical.KindOrder, IdempotencyKey: "w"}}, nil
	}
	return nil, &sdk.WebhookError{Refusal: sdk.WebhookUnauthorized, Message: "bad signature"}
}

func target(f *flawed) conformance.Target {
	effects := 0
	f.effects, f.seen = &effects, map[string]bool{}
	return conformance.Target{
		Name: "flawed", New: func() sdk.Connector { return f },
		Capabilities: []conformance.Capability{conformance.CapCheckNetwork, conformance.CapRead, conformance.CapResume, conformance.CapWrite, conformance.CapWebhook},
		Sandbox: func(context.Context, string) (*conformance.Sandbox, error) {
			return &conformance.Sandbox{
				Config: json.RawMessage(`{"ok":true}`), Unreachable: json.RawMessage(`{"ok":true,"host":"unreachable"}`),
				Seeded:      map[string]int{"s": n},
				Write:       []sdk.Command{{ID: "1", Action: canonical.ActionCancelOrder, IdempotencyKey: "once"}},
				Effects:     func(context.Context) (int, error) { return effects, nil },
				WebhookBody: []byte(`{}`),
				SignWebhook: func(b []byte) http.Header { return http.Header{"X-Signature": {"sig:" + string(b)}} },
			}, nil
		},
	}
}

func TestVerify_EachFlawFailsItsCheckAndOnlyThatCheck(t *testing.T) {
	tests := []struct {
		name      string
		flaw      flawed
		wantFails string
	}{
		{"no flaw", flawed{}, ""},
		{"repeats a record on resume", flawed{repeatOnResume: true}, "read_resume"},
		{"loses a record", flawed{loseOnRead: true}, "read"},
		{"check fails untyped", flawed{untypedCheck: true}, "check_network"},
		{"writes twice", flawed{doubleWrite: true}, "write_idempotent"},
		{"accepts unsigned webhooks", flawed{acceptAnyHook: true}, "webhook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.flaw
			rep, err := conformance.Verify(t.Context(), target(&f), nil)
			if err != nil {
				t.Fatal(err)
			}
			var fails []string
			for _, r := range rep.Results {
				if r.Outcome == conformance.Failed {
					fails = append(fails, r.Check)
				}
			}
			if strings.Join(fails, ",") != tt.wantFails {
				t.Errorf("failed checks = %v, want [%s]; report %+v", fails, tt.wantFails, rep.Results)
			}
			if skipped := strings.Join(rep.Skipped(), ","); skipped != "check_auth,rate_limit,crash_resume" {
				t.Errorf("skipped = %s", skipped)
			}
		})
	}
}
