package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/plugins/sdk"
)

func TestClientCredentials_TokenCachedUntilShortlyBeforeExpiry(t *testing.T) {
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok || id != "client" || secret != "s3cret" || r.FormValue("grant_type") != "client_credentials" || r.FormValue("scope") != "orders inventory" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"bad client"}`)
			return
		}
		n := fetches.Add(1)
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"bearer","expires_in":3600}`, n)
	}))
	defer srv.Close()
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	cc := &sdk.ClientCredentials{TokenURL: srv.URL, ClientID: "client", ClientSecret: "s3cret", Scopes: []string{"orders", "inventory"}, Now: func() time.Time { return now }}
	steps := []struct {
		after time.Duration
		want  string
	}{
		{0, "tok-1"},
		{30 * time.Minute, "tok-1"},
		{58 * time.Minute, "tok-1"},                // 59m from the first fetch: renewed 60s before expiry
		{59*time.Minute + 30*time.Second, "tok-2"}, // within the leeway
		{60 * time.Minute, "tok-2"},
	}
	for _, s := range steps {
		now = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Add(s.after)
		got, err := cc.Token(context.Background())
		if err != nil || got != s.want {
			t.Errorf("at +%v: token = %q, %v; want %q", s.after, got, err, s.want)
		}
	}
	bad := &sdk.ClientCredentials{TokenURL: srv.URL, ClientID: "client", ClientSecret: "wrong"}
	_, err := bad.Token(context.Background())
	var te *sdk.TokenError
	if !errors.As(err, &te) || te.Status != http.StatusUnauthorized || te.Code != "invalid_client" {
		t.Errorf("bad credentials: err = %v, want a TokenError 401 invalid_client", err)
	}
}
