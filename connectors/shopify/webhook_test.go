package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/connectors/shopify/sandbox"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

type delivery struct {
	header http.Header
	body   []byte
}

// receiver collects the sandbox's webhook deliveries.
type receiver struct {
	mu  sync.Mutex
	got []delivery
	srv *httptest.Server
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, delivery{req.Header.Clone(), b})
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

func signed(topic, id string, body []byte, secret string) http.Header {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	h := http.Header{}
	h.Set("X-Shopify-Topic", topic)
	h.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	h.Set("X-Shopify-Webhook-Id", id)
	h.Set("X-Shopify-Shop-Domain", "crossdock-sandbox.myshopify.com")
	return h
}

func TestWebhook_BadSignatureIsRefused(t *testing.T) {
	s := newShop(t, sandbox.Config{Plan: sandbox.PlanPlus}, nil)
	body, err := os.ReadFile(filepath.Join("testdata", "webhook_orders_create.json"))
	if err != nil {
		t.Fatal(err)
	}
	good := signed("orders/create", "wh-1", body, testSecret)
	tests := []struct {
		name   string
		header http.Header
		body   []byte
	}{
		{"wrong secret", signed("orders/create", "wh-1", body, "not-the-secret"), body},
		{"body changed after signing", good, append(append([]byte{}, body...), ' ')},
		{"no signature header", func() http.Header { h := good.Clone(); h.Del("X-Shopify-Hmac-Sha256"); return h }(), body},
		{"signature not base64", func() http.Header { h := good.Clone(); h.Set("X-Shopify-Hmac-Sha256", "%%%"); return h }(), body},
		{"hex instead of base64", func() http.Header {
			m := hmac.New(sha256.New, []byte(testSecret))
			m.Write(body)
			h := good.Clone()
			h.Set("X-Shopify-Hmac-Sha256", string(m.Sum(nil)))
			return h
		}(), body},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := s.conn.Webhook(ctxT(t, 5*time.Second), tt.header, tt.body)
			var we *sdk.WebhookError
			if !errors.As(err, &we) || we.Refusal != sdk.WebhookUnauthorized {
				t.Fatalf("got %d records, err %v; want an unauthorized refusal", len(recs), err)
			}
		})
	}
	if _, err := s.conn.Webhook(ctxT(t, 5*time.Second), good, body); err != nil {
		t.Fatalf("the correctly signed body was refused: %v", err)
	}
}

func TestWebhook_MalformedDeliveriesAreRefusedAsMalformed(t *testing.T) {
	s := newShop(t, sandbox.Config{Plan: sandbox.PlanPlus}, nil)
	tests := []struct{ name, topic, body string }{
		{"not JSON", "orders/create", `{"id": 12,`},
		{"order without id", "orders/updated", `{"name":"#1"}`},
		{"unknown topic", "carts/update", `{"id": 1}`},
		{"inventory level without ids", "inventory_levels/update", `{"available": 3}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.conn.Webhook(ctxT(t, 5*time.Second), signed(tt.topic, "x", []byte(tt.body), testSecret), []byte(tt.body))
			var we *sdk.WebhookError
			if !errors.As(err, &we) || we.Refusal != sdk.WebhookMalformed {
				t.Fatalf("err %v; want a malformed refusal", err)
			}
		})
	}
}

// Shopify may deliver one webhook twice; both deliveries carry the same
// X-Shopify-Webhook-Id and must become records with one idempotency key.
func TestWebhook_ReplayedDeliveryHasTheSameIdempotencyKey(t *testing.T) {
	rcv := newReceiver(t)
	seed := sandbox.DefaultSeed()
	seed.Orders = 0
	s := newShop(t, sandbox.Config{Seed: &seed, Plan: sandbox.PlanPlus, WebhookURL: rcv.srv.URL}, nil)
	s.srv.Inject(sandbox.FaultDuplicateWebhook, 10) // every delivery of the placement, twice
	if _, err := s.srv.PlaceOrder(sandbox.OrderSpec{Lines: []sandbox.OrderLineSpec{{SKU: "TRS-M", Quantity: 1}}, Email: "a@example.com", FirstName: "A", LastName: "B"}); err != nil {
		t.Fatal(err)
	}
	if err := s.srv.FlushWebhooks(ctxT(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	byID := map[string][]canonical.Record{}
	for _, d := range rcv.deliveries() {
		if d.header.Get("X-Shopify-Topic") != "orders/create" {
			continue
		}
		recs, err := s.conn.Webhook(ctxT(t, 5*time.Second), d.header, d.body)
		if err != nil {
			t.Fatal(err)
		}
		id := d.header.Get("X-Shopify-Webhook-Id")
		byID[id] = append(byID[id], recs...)
	}
	if len(byID) != 1 {
		t.Fatalf("orders/create deliveries carry %d webhook ids, want 1", len(byID))
	}
	for id, recs := range byID {
		if len(recs) != 2 {
			t.Fatalf("webhook %s delivered %d times, want 2 (duplicate injected)", id, len(recs))
		}
		if recs[0].IdempotencyKey != recs[1].IdempotencyKey || recs[0].IdempotencyKey != "shopify-us:webhook:"+id {
			t.Errorf("keys %q and %q; want both shopify-us:webhook:%s", recs[0].IdempotencyKey, recs[1].IdempotencyKey, id)
		}
		if string(recs[0].Payload) != string(recs[1].Payload) {
			t.Errorf("the two deliveries map to different payloads")
		}
	}
}

// Every kind of order arriving by webhook and by poll gives one ExternalID,
// one Version and the same canonical order.
func TestWebhook_OrderByWebhookAndByPollConverge(t *testing.T) {
	rcv := newReceiver(t)
	seed := sandbox.DefaultSeed()
	seed.Orders = 0
	s := newShop(t, sandbox.Config{Seed: &seed, Plan: sandbox.PlanPlus, WebhookURL: rcv.srv.URL}, map[string]any{
		"locations": map[string]string{}, // unmapped: GIDs pass through
	})
	specs := map[string]sandbox.OrderSpec{
		"shipped with discount": {Lines: []sandbox.OrderLineSpec{{SKU: "TRS-M", Quantity: 1, DiscountPercent: 10}, {SKU: "MCS-S", Quantity: 2}}, Email: "ship@example.com", FirstName: "Sam", LastName: "Ship", Zip: "94103", DiscountCode: "SAVE10"},
		"pickup in store":       {Lines: []sandbox.OrderLineSpec{{SKU: "CVT-M", Quantity: 1}}, Email: "pick@example.com", FirstName: "Pia", LastName: "Pick", PickupAt: "Chicago Store"},
		"pos sale":              {Lines: []sandbox.OrderLineSpec{{SKU: "WLB-M", Quantity: 1}}, Guest: true, POSAt: "Brooklyn Store"},
		"gift card in CAD":      {Lines: []sandbox.OrderLineSpec{{SKU: "GIFT-50", Quantity: 1}, {SKU: "HDL-S", Quantity: 1}}, Email: "gift@example.com", FirstName: "Gil", LastName: "Gift", PresentmentCurrency: "CAD", FXRate: 1.36},
		"guest without email":   {Lines: []sandbox.OrderLineSpec{{SKU: "TCP-L", Quantity: 3}}, Guest: true, FirstName: "No", LastName: "Email", Zip: "60601"},
	}
	ids := map[string]string{}
	for name, spec := range specs {
		id, err := s.srv.PlaceOrder(spec)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ids[name] = id
	}
	if err := s.srv.CancelOrder(ids["guest without email"], "customer", true, true); err != nil {
		t.Fatal(err)
	}
	if err := s.srv.FlushWebhooks(ctxT(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	polled, _, rejects := readAll(t, s.conn, StreamOrders, nil)
	if len(rejects) > 0 {
		t.Fatalf("rejects: %+v", rejects)
	}
	byPoll := map[string]canonical.Record{}
	for _, r := range polled {
		byPoll[r.ExternalID] = r
	}
	latest := map[string]canonical.Record{}
	for _, d := range rcv.deliveries() {
		if topic := d.header.Get("X-Shopify-Topic"); topic != "orders/updated" {
			continue
		}
		recs, err := s.conn.Webhook(ctxT(t, 5*time.Second), d.header, d.body)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Version >= latest[r.ExternalID].Version {
				latest[r.ExternalID] = r
			}
		}
	}
	for name, id := range ids {
		t.Run(name, func(t *testing.T) {
			p, w := byPoll[id], latest[id]
			if p.ExternalID == "" || w.ExternalID == "" {
				t.Fatalf("poll has %q, webhook has %q", p.ExternalID, w.ExternalID)
			}
			if p.Version != w.Version {
				t.Errorf("versions differ: poll %d, webhook %d", p.Version, w.Version)
			}
			po, wo := decodeOrder(t, p), decodeOrder(t, w)
			a, _ := json.Marshal(po)
			b, _ := json.Marshal(wo)
			if string(a) != string(b) {
				t.Errorf("payloads differ\npoll:    %s\nwebhook: %s", a, b)
			}
		})
	}
}

func TestWebhook_InventoryLevelUpdateMatchesTheInventoryStream(t *testing.T) {
	rcv := newReceiver(t)
	seed := sandbox.DefaultSeed()
	seed.Orders = 0
	s := newShop(t, sandbox.Config{Seed: &seed, Plan: sandbox.PlanPlus, WebhookURL: rcv.srv.URL}, nil)
	if err := s.srv.SetAvailable("RSJ-L", "Pasadena Store", 3); err != nil {
		t.Fatal(err)
	}
	if err := s.srv.FlushWebhooks(ctxT(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	ds := rcv.deliveries()
	if len(ds) != 1 || ds[0].header.Get("X-Shopify-Topic") != "inventory_levels/update" {
		t.Fatalf("deliveries: %d", len(ds))
	}
	recs, err := s.conn.Webhook(ctxT(t, 5*time.Second), ds[0].header, ds[0].body)
	if err != nil {
		t.Fatal(err)
	}
	polled, _, _ := readAll(t, s.conn, StreamInventory, nil)
	for _, p := range polled {
		if p.ExternalID == recs[0].ExternalID {
			if p.Version != recs[0].Version || string(p.Payload) != string(recs[0].Payload) {
				t.Errorf("poll %d %s\nwebhook %d %s", p.Version, p.Payload, recs[0].Version, recs[0].Payload)
			}
			var l canonical.InventoryLevel
			_ = json.Unmarshal(p.Payload, &l)
			if l.SKU != "RSJ-L" || l.Available() != 3 {
				t.Errorf("level %+v; want RSJ-L available 3", l)
			}
			return
		}
	}
	t.Fatalf("level %s not in the inventory stream", recs[0].ExternalID)
}
