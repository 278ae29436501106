package sandbox

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

type reply struct {
	Status     int
	Data       map[string]any
	Errors     json.RawMessage
	Extensions struct {
		Cost struct {
			RequestedQueryCost float64        `json:"requestedQueryCost"`
			ActualQueryCost    *float64       `json:"actualQueryCost"`
			ThrottleStatus     throttleStatus `json:"throttleStatus"`
		} `json:"cost"`
	}
}

func post(t *testing.T, ts *httptest.Server, token, query string, vars map[string]any) reply {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", ts.URL+"/admin/api/2025-01/graphql.json", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Access-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r reply
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("reply %d not JSON: %s", resp.StatusCode, raw)
	}
	r.Status = resp.StatusCode
	return r
}

func start(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	s := New(cfg)
	ts := httptest.NewServer(s)
	t.Cleanup(func() { ts.Close(); s.Close() })
	return s, ts
}

func TestSandbox_UnknownTokenGetsShopify401(t *testing.T) {
	_, ts := start(t, Config{})
	req, _ := http.NewRequest("POST", ts.URL+"/admin/api/2025-01/graphql.json", strings.NewReader(`{"query":"{ shop { name } }"}`))
	req.Header.Set("X-Shopify-Access-Token", "shpat_wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || string(raw) != `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`+"\n" {
		t.Errorf("%d %s", resp.StatusCode, raw)
	}
}

func TestSandbox_CostFollowsShopifyRules(t *testing.T) {
	seed := DefaultSeed()
	_, ts := start(t, Config{Seed: &seed, Plan: PlanPlus})
	tests := []struct {
		name      string
		query     string
		requested float64
		actual    float64
	}{
		{"scalars cost nothing, an object 1", `{ shop { name currencyCode } }`, 1, 1},
		{"connection: 2 + first x node", `{ locations(first: 10) { nodes { id name } } }`, 12, 6},
		{"nested object inside nodes", `{ locations(first: 10) { nodes { id address { city } } } }`, 22, 10},
		{"edges and node count like nodes", `{ products(first: 5) { edges { cursor node { id } } } }`, 7, 7},
		{"nested connection multiplies", `{ products(first: 2) { nodes { variants(first: 3) { nodes { sku } } } } }`, 2 + 2*(1+2+3), 2 + 2*(1+2+3)},
		{"mutation costs 10", `mutation { publishablePublish(id: "gid://shopify/Product/1", input: []) { userErrors { message } } }`, 10, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, ts, "shpat_sandbox", tt.query, nil)
			c := r.Extensions.Cost
			if c.RequestedQueryCost != tt.requested || c.ActualQueryCost == nil || *c.ActualQueryCost != tt.actual {
				t.Errorf("requested %v actual %v; want %v and %v (errors %s)", c.RequestedQueryCost, c.ActualQueryCost, tt.requested, tt.actual, r.Errors)
			}
			if c.ThrottleStatus.MaximumAvailable != PlanPlus.MaximumAvailable || c.ThrottleStatus.RestoreRate != PlanPlus.RestoreRate {
				t.Errorf("throttleStatus %+v", c.ThrottleStatus)
			}
		})
	}
}

func TestSandbox_ThrottledAndMaxCostReplies(t *testing.T) {
	seed := DefaultSeed()
	s, ts := start(t, Config{Seed: &seed})
	r := post(t, ts, "shpat_sandbox", `{ orders(first: 250) { nodes { id lineItems(first: 250) { nodes { id } } } } }`, nil)
	if r.Status != 200 || !strings.Contains(string(r.Errors), `"MAX_COST_EXCEEDED"`) || r.Data != nil {
		t.Errorf("max cost: %d %s", r.Status, r.Errors)
	}
	s.Inject(FaultThrottle, 1)
	r = post(t, ts, "shpat_sandbox", `{ locations(first: 5) { nodes { id } } }`, nil)
	var errs []struct {
		Message    string `json:"message"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	}
	_ = json.Unmarshal(r.Errors, &errs)
	if r.Status != 200 || len(errs) != 1 || errs[0].Message != "Throttled" || errs[0].Extensions.Code != "THROTTLED" || r.Data != nil || r.Extensions.Cost.ActualQueryCost != nil {
		t.Errorf("throttled reply: %d %s %+v", r.Status, r.Errors, r.Extensions.Cost)
	}
	if r.Extensions.Cost.ThrottleStatus.CurrentlyAvailable >= 7 {
		t.Errorf("throttled with %v points available for a 7-point query", r.Extensions.Cost.ThrottleStatus.CurrentlyAvailable)
	}
}

func TestSandbox_CursorPaginationVisitsEveryOrderOnce(t *testing.T) {
	seed := DefaultSeed()
	_, ts := start(t, Config{Seed: &seed, Plan: PlanPlus})
	seen := map[string]bool{}
	var after any
	pages := 0
	for {
		r := post(t, ts, "shpat_sandbox", `query($after: String) { orders(first: 7, after: $after, sortKey: UPDATED_AT) { pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }`, map[string]any{"after": after})
		orders := r.Data["orders"].(map[string]any)
		for _, e := range orders["edges"].([]any) {
			id := e.(map[string]any)["node"].(map[string]any)["id"].(string)
			if seen[id] {
				t.Fatalf("order %s on two pages", id)
			}
			seen[id] = true
		}
		pages++
		pi := orders["pageInfo"].(map[string]any)
		if !pi["hasNextPage"].(bool) {
			break
		}
		after = pi["endCursor"]
	}
	if len(seen) != seed.Orders || pages != 6 {
		t.Errorf("%d orders on %d pages; want %d on 6", len(seen), pages, seed.Orders)
	}
}

func TestSandbox_BadMutationGetsUserErrors(t *testing.T) {
	seed := DefaultSeed()
	s, ts := start(t, Config{Seed: &seed, Plan: PlanPlus})
	loc := s.LocationGID("Reno Warehouse")
	r := post(t, ts, "shpat_sandbox", `mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code field message } } }`,
		map[string]any{"input": map[string]any{"name": "available", "reason": "correction", "quantities": []any{
			map[string]any{"inventoryItemId": "gid://shopify/InventoryItem/999999", "locationId": loc, "quantity": 1, "compareQuantity": 0},
		}}})
	ue := r.Data["inventorySetQuantities"].(map[string]any)["userErrors"].([]any)
	if len(ue) != 1 || ue[0].(map[string]any)["code"] != "INVALID_INVENTORY_ITEM" ||
		!reflect.DeepEqual(ue[0].(map[string]any)["field"], []any{"input", "quantities", "0", "inventoryItemId"}) {
		t.Errorf("userErrors %v", ue)
	}
	r = post(t, ts, "shpat_sandbox", `mutation { productSet(input: {title: ""}) { product { id } userErrors { code field message } } }`, nil)
	ue = r.Data["productSet"].(map[string]any)["userErrors"].([]any)
	if len(ue) != 1 || ue[0].(map[string]any)["code"] != "BLANK" {
		t.Errorf("productSet userErrors %v", ue)
	}
}

func TestSandbox_ClientCredentialsGrant(t *testing.T) {
	_, ts := start(t, Config{ClientID: "cid", ClientSecret: "csecret"})
	resp, err := http.PostForm(ts.URL+"/admin/oauth/access_token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"csecret"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok.AccessToken == "" || tok.ExpiresIn != 86400 {
		t.Fatalf("token %+v", tok)
	}
	if r := post(t, ts, tok.AccessToken, `{ shop { name } }`, nil); r.Status != 200 {
		t.Errorf("issued token refused: %d", r.Status)
	}
	resp, _ = http.PostForm(ts.URL+"/admin/oauth/access_token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"wrong"}})
	if resp.StatusCode != 400 {
		t.Errorf("wrong secret: %d", resp.StatusCode)
	}
	resp.Body.Close()
}

func TestSandbox_SeedIsRepeatable(t *testing.T) {
	orders := func() string {
		seed := DefaultSeed()
		_, ts := start(t, Config{Seed: &seed, Plan: PlanPlus})
		r := post(t, ts, "shpat_sandbox", `{ orders(first: 40) { nodes { name email sourceName totalPriceSet { shopMoney { amount } } lineItems(first: 5) { nodes { sku quantity } } } } }`, nil)
		b, _ := json.Marshal(r.Data)
		return string(b)
	}
	a, b := orders(), orders()
	if a != b {
		t.Errorf("two sandboxes from one seed differ")
	}
	for _, want := range []string{`"sourceName":"pos"`, `"GIFT-`, `"email":null`} {
		if !strings.Contains(a, want) {
			t.Errorf("generated orders lack %s", want)
		}
	}
}

func TestSandbox_LoadSeedFile(t *testing.T) {
	s, err := LoadSeed("../testdata/sandbox-seed.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Locations) == 0 || len(s.Products) == 0 || s.Orders == 0 {
		t.Errorf("seed %+v", s)
	}
	if _, err := LoadSeed("../testdata/graphql_order_web.json"); err == nil {
		t.Error("an order fixture was accepted as a seed")
	}
}

func TestSandbox_OrderStreamPlacesOrdersAndSignsWebhooks(t *testing.T) {
	var mu sync.Mutex
	var topics []string
	bad := 0
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		topics = append(topics, r.Header.Get("X-Shopify-Topic"))
		if r.Header.Get("X-Shopify-Hmac-Sha256") != sign("s3cret", b) || r.Header.Get("X-Shopify-Webhook-Id") == "" {
			bad++
		}
	}))
	defer rcv.Close()
	seed := DefaultSeed()
	seed.Orders = 0
	s := New(Config{Seed: &seed, OrderEvery: 20 * time.Millisecond, WebhookURL: rcv.URL, WebhookSecret: "s3cret"})
	defer s.Close()
	if _, err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if n, _, _ := s.Counts(); n >= 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the order stream placed fewer than 5 orders in 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.FlushWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	creates := 0
	for _, tp := range topics {
		if tp == "orders/create" {
			creates++
		}
	}
	if creates < 5 || bad != 0 {
		t.Errorf("%d orders/create deliveries, %d badly signed", creates, bad)
	}
}

func TestSandbox_DuplicateNextDeliversThatTopicsNextWebhookTwice(t *testing.T) {
	var mu sync.Mutex
	ids := map[string]int{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		ids[r.Header.Get("X-Shopify-Topic")+" "+r.Header.Get("X-Shopify-Webhook-Id")]++
	}))
	defer rcv.Close()
	seed := DefaultSeed()
	seed.Orders = 0
	s := New(Config{Seed: &seed, WebhookURL: rcv.URL, WebhookSecret: "s3cret"})
	defer s.Close()
	if _, err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	s.DuplicateNext("orders/create")
	s.PlaceRandomOrder()
	s.PlaceRandomOrder()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.FlushWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	twice, once := 0, 0
	for k, n := range ids {
		if !strings.HasPrefix(k, "orders/create ") {
			continue
		}
		switch n {
		case 2:
			twice++
		case 1:
			once++
		}
	}
	if twice != 1 || once != 1 {
		t.Fatalf("orders/create deliveries by id = %v; want the first order's twice and the second's once", ids)
	}
	sent := 0
	for _, w := range s.SentWebhooks() {
		if w.Topic == "orders/create" {
			sent++
		}
	}
	if sent != 3 {
		t.Fatalf("SentWebhooks has %d orders/create deliveries, want 3", sent)
	}
}
