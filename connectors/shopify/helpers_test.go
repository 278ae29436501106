package shopify

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/connectors/shopify/sandbox"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

const testSecret = "whsec_test_secret"

// shop is a sandbox on httptest with a configured connector.
type shop struct {
	srv  *sandbox.Server
	http *httptest.Server
	conn *Connector
	cfg  map[string]any
}

func newShop(t *testing.T, sc sandbox.Config, extra map[string]any) *shop {
	t.Helper()
	if sc.WebhookSecret == "" {
		sc.WebhookSecret = testSecret
	}
	srv := sandbox.New(sc)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	cfg := map[string]any{
		"instance":       "shopify-us",
		"shop_domain":    "crossdock-sandbox.myshopify.com",
		"access_token":   "shpat_sandbox",
		"webhook_secret": testSecret,
		"base_url":       hs.URL,
	}
	for k, v := range extra {
		if v == nil {
			delete(cfg, k)
			continue
		}
		cfg[k] = v
	}
	c := New(Options{})
	raw, _ := json.Marshal(cfg)
	if err := c.Configure(context.Background(), raw); err != nil {
		t.Fatalf("configure: %v", err)
	}
	return &shop{srv: srv, http: hs, conn: c, cfg: cfg}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// readAll reads a stream to its end from cursor and returns records, the
// cursors after each batch, and rejects.
func readAll(t *testing.T, c sdk.Reader, stream string, cursor []byte) ([]canonical.Record, [][]byte, []sdk.Reject) {
	t.Helper()
	var recs []canonical.Record
	var cursors [][]byte
	var rejects []sdk.Reject
	err := c.Read(ctxT(t, 30*time.Second), stream, cursor, func(b sdk.Batch) error {
		recs = append(recs, b.Records...)
		cursors = append(cursors, append([]byte(nil), b.Cursor...))
		rejects = append(rejects, b.Rejects...)
		return nil
	})
	if err != nil {
		t.Fatalf("read %s: %v", stream, err)
	}
	return recs, cursors, rejects
}

func decodeOrder(t *testing.T, r canonical.Record) canonical.Order {
	t.Helper()
	var o canonical.Order
	if err := json.Unmarshal(r.Payload, &o); err != nil {
		t.Fatalf("decode order: %v", err)
	}
	return o
}
