package shopify

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/connectors/shopify/sandbox"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// A THROTTLED reply is retried after the time the bucket needs to hold the
// query's cost again, computed from the reply's throttleStatus.
func TestThrottle_ThrottledReplyIsRetriedAfterTheRefillTime(t *testing.T) {
	plan := sandbox.Plan{Name: "Test", MaximumAvailable: 1000, RestoreRate: 500}
	seed := sandbox.DefaultSeed()
	s := newShop(t, sandbox.Config{Seed: &seed, Plan: plan}, nil)
	var waits []time.Duration
	s.conn.client.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return sleepCtx(ctx, d)
	}
	// Learn the Locations query's cost, then drain the bucket before the next.
	if _, err := s.conn.listLocations(ctxT(t, 10*time.Second), s.conn.client); err != nil {
		t.Fatal(err)
	}
	cost := s.conn.client.costs["Locations"]
	s.srv.Inject(sandbox.FaultThrottle, 1)
	waits = nil
	start := time.Now()
	if _, err := s.conn.listLocations(ctxT(t, 10*time.Second), s.conn.client); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	want := time.Duration(float64(cost+1) / plan.RestoreRate * float64(time.Second))
	if st := s.srv.Stats(); st.Throttled != 1 {
		t.Fatalf("%d THROTTLED replies, want 1", st.Throttled)
	}
	if len(waits) == 0 || waits[0] < want-20*time.Millisecond || waits[0] > want+20*time.Millisecond {
		t.Errorf("waited %v after THROTTLED; the bucket needed %v (cost %d at %.0f/s)", waits, want, cost, plan.RestoreRate)
	}
	if elapsed < want || elapsed > want+time.Second {
		t.Errorf("call took %v, want about %v", elapsed, want)
	}
}

func TestThrottle_PacerWaitsForTheMirroredBucket(t *testing.T) {
	now := time.Unix(1000, 0)
	var slept time.Duration
	p := newPacer(func() time.Time { return now }, func(_ context.Context, d time.Duration) error {
		slept += d
		now = now.Add(d)
		return nil
	})
	if err := p.wait(context.Background(), 500); err != nil || slept != 0 {
		t.Fatalf("before any reply the pacer waited %v (%v)", slept, err)
	}
	p.observe(throttleStatus{MaximumAvailable: 2000, CurrentlyAvailable: 300, RestoreRate: 100})
	if err := p.wait(context.Background(), 500); err != nil {
		t.Fatal(err)
	}
	if want := 2010 * time.Millisecond; slept != want { // (500+1-300)/100 s, in whole ms
		t.Errorf("slept %v, want %v", slept, want)
	}
	slept = 0
	if err := p.wait(context.Background(), 1); err != nil || slept != 10*time.Millisecond {
		t.Errorf("second wait slept %v (%v)", slept, err)
	}
}

func TestCheck_ReasonsForBadCredentialsAndUnreachableHost(t *testing.T) {
	s := newShop(t, sandbox.Config{Plan: sandbox.PlanPlus}, nil)
	tests := []struct {
		name   string
		config map[string]any
		want   sdk.CheckReason
	}{
		{"wrong token", map[string]any{"access_token": "shpat_wrong"}, sdk.CheckAuth},
		{"nothing listening", map[string]any{"base_url": "http://127.0.0.1:1"}, sdk.CheckNetwork},
		{"wrong client secret", map[string]any{"access_token": nil, "client_id": "app", "client_secret": "nope"}, sdk.CheckAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := map[string]any{}
			for k, v := range s.cfg {
				cfg[k] = v
			}
			for k, v := range tt.config {
				if v == nil {
					delete(cfg, k)
				} else {
					cfg[k] = v
				}
			}
			c := New(Options{})
			raw, _ := json.Marshal(cfg)
			if err := c.Configure(context.Background(), raw); err != nil {
				t.Fatal(err)
			}
			err := c.Check(ctxT(t, 10*time.Second))
			var ce *sdk.CheckError
			if !errors.As(err, &ce) || ce.Reason != tt.want {
				t.Fatalf("check: %v; want reason %s", err, tt.want)
			}
		})
	}
	if err := s.conn.Check(ctxT(t, 5*time.Second)); err != nil {
		t.Fatalf("good config: %v", err)
	}
}

// A client-credentials token is fetched, used, and fetched again once the
// shop has expired it.
func TestClientCredentials_ExpiredTokenIsRefreshed(t *testing.T) {
	seed := sandbox.DefaultSeed()
	s := newShop(t, sandbox.Config{Seed: &seed, Plan: sandbox.PlanPlus, ClientID: "app-id", ClientSecret: "app-secret"},
		map[string]any{"access_token": nil, "client_id": "app-id", "client_secret": "app-secret"})
	if _, err := s.conn.listLocations(ctxT(t, 5*time.Second), s.conn.client); err != nil {
		t.Fatal(err)
	}
	first := s.conn.client.token
	s.srv.ExpireTokens()
	if _, err := s.conn.listLocations(ctxT(t, 5*time.Second), s.conn.client); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if s.conn.client.token == first || s.conn.client.token == "" {
		t.Errorf("token not refreshed")
	}
	if st := s.srv.Stats(); st.Unauthorized != 1 {
		t.Errorf("%d 401s; want exactly the one that triggered the refresh", st.Unauthorized)
	}
}

func TestConfig_ProblemsAreReportedPerField(t *testing.T) {
	tests := []struct {
		name   string
		config string
		fields []string
	}{
		{"empty", `{}`, []string{"shop_domain", "access_token"}},
		{"bad domain and version", `{"shop_domain":"acme.com","access_token":"x","api_version":"2025-02"}`, []string{"shop_domain", "api_version"}},
		{"half client credentials", `{"shop_domain":"acme.myshopify.com","client_id":"x"}`, []string{"client_secret"}},
		{"bad location key", `{"shop_domain":"acme.myshopify.com","access_token":"x","locations":{"123":"wh"}}`, []string{"locations.123"}},
		{"unknown field", `{"shop_domain":"acme.myshopify.com","access_token":"x","shop":"y"}`, []string{""}},
		{"page size over the cost cap", `{"shop_domain":"acme.myshopify.com","access_token":"x","page_size":50}`, []string{"page_size"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New(Options{}).Configure(context.Background(), json.RawMessage(tt.config))
			var ce *sdk.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err %v; want *sdk.ConfigError", err)
			}
			var got []string
			for _, f := range ce.Fields {
				got = append(got, f.Field)
			}
			if len(got) != len(tt.fields) {
				t.Fatalf("fields %v, want %v", got, tt.fields)
			}
			for i := range got {
				if got[i] != tt.fields[i] {
					t.Errorf("fields %v, want %v", got, tt.fields)
				}
			}
		})
	}
	if err := New(Options{}).Configure(context.Background(), json.RawMessage(`{"shop_domain":"acme.myshopify.com","access_token":"shpat_x"}`)); err != nil {
		t.Errorf("minimal config refused: %v", err)
	}
}
