package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/crossdockhq/crossdock/plugins/conformance"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// ConformanceSeed is the data the conformance suite reads: 40 orders (8
// pages), 20 products (2 pages) and 4 locations' inventory (4 pages), so
// every stream has cursors to resume from.
func ConformanceSeed() Seed {
	s := DefaultSeed()
	s.RandomSeed = 2024
	extra := []string{"Camp Mug", "Trail Gaiter", "Sun Hoodie", "Dry Bag", "Trekking Pole", "Camp Stove", "Sleeping Pad", "Water Filter"}
	for i, t := range extra {
		s.Products = append(s.Products, SeedProduct{Title: t, ProductType: "Gear", Vendor: "Crossdock Outfitters",
			Variants: []SeedVariant{{SKU: fmt.Sprintf("GEAR-%02d", i+1), Price: "19.00"}}})
	}
	s.OrdersSince = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	return s
}

// Target is the Shopify connector's conformance target against this
// sandbox: the connector is plugin (a binary speaking the protocol) or, when
// plugin is nil, newConnector in process. The sandbox runs the Plus plan so
// the suite's many reads stay fast; its rate-limit check drives enough reads
// to spend the Plus burst and counts THROTTLED replies (Shopify's GraphQL
// equivalent of a 429) and 429s.
func Target(plugin *conformance.Plugin, newConnector func() sdk.Connector) conformance.Target {
	caps := []conformance.Capability{conformance.CapCheckAuth, conformance.CapCheckNetwork, conformance.CapRead,
		conformance.CapResume, conformance.CapWrite, conformance.CapRateLimit, conformance.CapWebhook}
	if plugin != nil {
		caps = append(caps, conformance.CapCrashResume)
	}
	return conformance.Target{Name: "shopify", Plugin: plugin, New: newConnector, Capabilities: caps, Sandbox: startConformance, Timeout: 2 * time.Minute}
}

const conformanceSecret = "shpss_conformance"

func startConformance(ctx context.Context, dir string) (*conformance.Sandbox, error) {
	seed := ConformanceSeed()
	s := New(Config{Seed: &seed, Plan: PlanPlus, WebhookSecret: conformanceSecret})
	base, err := s.Listen("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	cfg := func(token, url string) json.RawMessage {
		b, _ := json.Marshal(map[string]any{
			"instance": "shopify-conformance", "shop_domain": s.cfg.ShopDomain, "access_token": token,
			"webhook_secret": conformanceSecret, "base_url": url,
		})
		return b
	}
	s.mu.Lock()
	levels := len(s.st.levels)
	orders, products := len(s.st.orders), len(s.st.products)
	s.mu.Unlock()
	sku, loc := "MCS-M", "Chicago Store"
	locGID := s.LocationGID(loc)
	write := []sdk.Command{
		{ID: "inv-1", Action: "set_inventory", IdempotencyKey: "conf-inv-1", Payload: json.RawMessage(fmt.Sprintf(`{"sku":%q,"location_id":%q,"available":7}`, sku, locGID))},
		{ID: "prod-1", Action: "upsert_product", IdempotencyKey: "conf-prod-1", Payload: json.RawMessage(`{"id":"p-conf","handle":"conformance-tee","title":"Conformance Tee","status":"active","variants":[{"sku":"CONF-TEE-M","price":{"amount":2500,"currency":"USD"},"options":{"Size":"M"}},{"sku":"CONF-TEE-L","price":{"amount":2500,"currency":"USD"},"options":{"Size":"L"}}]}`)},
	}
	body := []byte(`{"id":820982911946154508,"admin_graphql_api_id":"gid://shopify/Product/820982911946154508","title":"Example T-Shirt","handle":"example-t-shirt","body_html":"An example T-Shirt","vendor":"Acme","product_type":"Shirts","status":"active","tags":"example, mens, t-shirt","created_at":"2021-12-31T19:00:00-05:00","updated_at":"2021-12-31T19:00:00-05:00","options":[{"id":1,"product_id":820982911946154508,"name":"Size","position":1,"values":["Small","Medium"]}],"variants":[{"id":642667041472713922,"admin_graphql_api_id":"gid://shopify/ProductVariant/642667041472713922","product_id":820982911946154508,"title":"Small","sku":"EX-TS-S","barcode":null,"price":"19.99","compare_at_price":"24.99","inventory_item_id":1,"option1":"Small","option2":null,"option3":null},{"id":757650484644203962,"admin_graphql_api_id":"gid://shopify/ProductVariant/757650484644203962","product_id":820982911946154508,"title":"Medium","sku":"EX-TS-M","barcode":null,"price":"19.99","compare_at_price":"24.99","inventory_item_id":2,"option1":"Medium","option2":null,"option3":null}]}`)
	return &conformance.Sandbox{
		BaseURL:        base,
		Config:         cfg("shpat_sandbox", base),
		BadCredentials: cfg("shpat_wrong", base),
		Unreachable:    cfg("shpat_sandbox", "http://127.0.0.1:1"),
		Seeded:         map[string]int{"orders": orders, "products": products, "inventory": levels},
		Write:          write,
		Effects: func(context.Context) (int, error) {
			// Effects: products in the shop plus the SKU's quantity (7 once set).
			s.mu.Lock()
			n := len(s.st.products)
			s.mu.Unlock()
			q, _ := s.Available(sku, loc)
			return n*1000 + int(q), nil
		},
		Load: func(ctx context.Context, c sdk.Connector) error {
			r, ok := c.(sdk.Reader)
			if !ok {
				return fmt.Errorf("connector is not a reader")
			}
			start := s.Stats().CostSpent
			// Spend what the bucket holds now (the burst), then two seconds'
			// worth of restore in steady state.
			goal := int64(s.bucket.refund(0).CurrentlyAvailable + 2*s.cfg.Plan.RestoreRate)
			for s.Stats().CostSpent-start < goal {
				if err := r.Read(ctx, "orders", nil, func(sdk.Batch) error { return nil }); err != nil {
					return err
				}
			}
			return nil
		},
		Count429:    func() int { st := s.Stats(); return int(st.Throttled) },
		WebhookBody: body,
		SignWebhook: func(b []byte) http.Header {
			h := http.Header{}
			h.Set("Content-Type", "application/json")
			h.Set("X-Shopify-Topic", "products/update")
			h.Set("X-Shopify-Hmac-Sha256", sign(conformanceSecret, b))
			h.Set("X-Shopify-Shop-Domain", s.cfg.ShopDomain)
			h.Set("X-Shopify-API-Version", "2025-01")
			h.Set("X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
			return h
		},
		Close: s.Close,
	}, nil
}
