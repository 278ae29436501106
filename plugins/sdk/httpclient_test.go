package sdk_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/plugins/sdk"
)

func TestRetryAfter_SecondsFractionsAndHTTPDates(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"2", 2 * time.Second, true},
		{"0.5", 500 * time.Millisecond, true},
		{" 1.25 ", 1250 * time.Millisecond, true},
		{"Sun, 01 Mar 2026 12:00:03 GMT", 3 * time.Second, true},
		{"Sun, 01 Mar 2026 11:59:00 GMT", 0, true}, // in the past: go now
		{"-1", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("Retry-After", tt.header)
			}
			got, ok := sdk.RetryAfter(h, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tt.header, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestHTTPClient_RetriesOnlyWhatMayBeRetried(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int // answered in turn; the last repeats
		wantCalls int
		wantFinal int
	}{
		{"429 then ok", []int{429, 200}, 2, 200},
		{"503 twice then ok", []int{503, 503, 200}, 3, 200},
		{"500 until retries run out", []int{500}, 3, 500},
		{"400 is never retried", []int{400, 200}, 1, 400},
		{"404 is never retried", []int{404, 200}, 1, 404},
		{"422 is never retried", []int{422, 200}, 1, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(calls.Add(1)) - 1
				st := tt.statuses[min(i, len(tt.statuses)-1)]
				if st == 429 {
					w.Header().Set("Retry-After", "0.01")
				}
				w.WriteHeader(st)
			}))
			defer srv.Close()
			c := sdk.NewHTTPClient(sdk.HTTPConfig{BaseURL: srv.URL, MaxRetries: 2, MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond})
			resp, err := c.R(context.Background()).Get("/x")
			if err != nil {
				t.Fatal(err)
			}
			if int(calls.Load()) != tt.wantCalls || resp.StatusCode() != tt.wantFinal {
				t.Errorf("calls = %d, final = %d; want %d calls, final %d", calls.Load(), resp.StatusCode(), tt.wantCalls, tt.wantFinal)
			}
		})
	}
}

func TestHTTPClient_HonoursFractionalRetryAfterAndKeepsTheIdempotencyKey(t *testing.T) {
	var mu sync.Mutex
	var times []time.Time
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		times = append(times, time.Now())
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		if len(times) == 1 {
			w.Header().Set("Retry-After", "0.3")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	c := sdk.NewHTTPClient(sdk.HTTPConfig{BaseURL: srv.URL, MinBackoff: time.Millisecond})
	resp, err := c.WithIdempotencyKey(c.R(context.Background()), "label-42").Post("/labels")
	if err != nil || resp.StatusCode() != http.StatusCreated {
		t.Fatalf("post = %v, %v", resp, err)
	}
	if gap := times[1].Sub(times[0]); gap < 300*time.Millisecond {
		t.Errorf("retried after %v; Retry-After said 0.3s", gap)
	}
	if keys[0] != "label-42" || keys[1] != "label-42" {
		t.Errorf("idempotency keys sent = %v, want label-42 on both attempts", keys)
	}
}

func TestHTTPClient_PacesToTheLimitTheHeadersAnnounce(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("X-Limit", "20")
	}))
	defer srv.Close()
	c := sdk.NewHTTPClient(sdk.HTTPConfig{BaseURL: srv.URL, Limits: func(h http.Header) (float64, int, bool) {
		if h.Get("X-Limit") == "" {
			return 0, 0, false
		}
		return 20, 1, true
	}})
	begin := time.Now()
	for i := 0; i < 11; i++ {
		if _, err := c.R(context.Background()).Get("/"); err != nil {
			t.Fatal(err)
		}
	}
	// The first answer sets 20/s with burst 1: ten more requests take ~0.5s.
	if d := time.Since(begin); d < 400*time.Millisecond {
		t.Errorf("11 requests took %v; at 20/s they need at least ~0.45s", d)
	}
	if ps, burst := c.Pace(); ps != 20 || burst != 1 {
		t.Errorf("pace = %v/%d, want 20/1", ps, burst)
	}
}

func TestHTTPClient_DebugLogRedactsSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "session=abc123")
		w.Write([]byte(`{"access_token":"tok-in-body","name":"ok"}`))
	}))
	defer srv.Close()
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := sdk.NewHTTPClient(sdk.HTTPConfig{BaseURL: srv.URL, Logger: logger,
		Token: func(context.Context) (string, error) { return "bearer-secret-1", nil }})
	_, err := c.R(context.Background()).SetHeader("X-Api-Key", "key-secret-2").
		SetBody(`{"password":"pw-secret-3","sku":"A"}`).Post("/things?api_token=query-secret-4&page=2")
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, secret := range []string{"bearer-secret-1", "key-secret-2", "pw-secret-3", "query-secret-4", "abc123", "tok-in-body"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "page=2") || !strings.Contains(out, `\"sku\":\"A\"`) {
		t.Errorf("log lost the harmless parts:\n%s", out)
	}
}

func TestHTTPClient_RetriesAnAttemptThatTimesOut(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	c := sdk.NewHTTPClient(sdk.HTTPConfig{BaseURL: srv.URL, Timeout: 100 * time.Millisecond, MinBackoff: time.Millisecond})
	resp, err := c.R(context.Background()).Get("/slow")
	if err != nil || resp.String() != "ok" || calls.Load() != 2 {
		t.Errorf("get = %v, %v after %d calls; want ok on the second call", resp, err, calls.Load())
	}
}
