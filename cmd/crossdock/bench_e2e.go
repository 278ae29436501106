package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/crossdockhq/crossdock/connectors/shopify/sandbox"
	"github.com/crossdockhq/crossdock/hub/store"
)

// benchOrders is the size of the end-to-end load test.
const benchOrders = 2000

// benchEndToEnd is the end-to-end load test: Shopify orders/create webhooks,
// signed as Shopify signs them, are posted to the hub's ingress by 8 clients
// at once; the hub verifies them (in the Shopify connector's plugin process),
// validates, dedupes, stores, reserves and routes each order, and commits its
// fulfilment requests, durable on SQLite. Throughput is orders over the time
// from the first post to the last committed decision; latency is, per order,
// from its post to its committed decision (the routing decision and the
// fulfilment requests commit in one transaction).
func benchEndToEnd(ctx context.Context, dir string, w io.Writer) ([]benchFigure, error) {
	seed, err := demoSeed(filepath.Join("configs", "demo", "feeds"))
	if err != nil {
		return nil, fmt.Errorf("run from the repository root: %w", err)
	}
	// Stock enough for every order: the test measures routing, not shortage.
	for i := range seed.Stock {
		seed.Stock[i].Available += 5000
	}
	hooks, shopURL, closeShop, err := benchWebhooks(seed, benchOrders)
	if err != nil {
		return nil, err
	}
	defer closeShop()
	cfgPath, err := writeBenchHub(dir, seed, shopURL)
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hubCtx, stop := context.WithCancel(ctx)
	defer stop()
	logFile, err := os.Create(filepath.Join(dir, "hub.log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	g := &globals{stdout: io.Discard, stderr: logFile, logFormat: "text", logLevel: "warn"}
	hubDone := make(chan error, 1)
	go func() { hubDone <- runHub(hubCtx, g, cfgPath, addr) }()
	if err := waitReady(ctx, "http://"+addr, hubDone); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "hub.db"))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	want := len(seed.Stock)
	if err := waitCount(ctx, db, `SELECT COUNT(*) FROM inventory_levels`, want, time.Minute); err != nil {
		return nil, fmt.Errorf("stock feed: %w", err)
	}

	fmt.Fprintf(w, "posting %d signed orders/create webhooks with 8 clients to %s\n", len(hooks), addr)
	sent := make(map[string]time.Time, len(hooks))
	var mu sync.Mutex
	jobs := make(chan sandbox.Webhook)
	var wg sync.WaitGroup
	var postErr error
	start := time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for h := range jobs {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/webhooks/shopify-us", bytes.NewReader(h.Body))
				req.Header = h.Header.Clone()
				t := time.Now()
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("webhook answered %s", resp.Status)
					}
				}
				mu.Lock()
				if err != nil && postErr == nil {
					postErr = err
				}
				sent[orderGID(h.Body)] = t
				mu.Unlock()
			}
		}()
	}
	for _, h := range hooks {
		jobs <- h
	}
	close(jobs)
	wg.Wait()
	if postErr != nil {
		return nil, postErr
	}
	if err := waitCount(ctx, db, `SELECT COUNT(*) FROM routing_decisions`, len(hooks), 5*time.Minute); err != nil {
		return nil, fmt.Errorf("routing: %w (see %s)", err, logFile.Name())
	}
	rows, err := db.QueryContext(ctx, `SELECT o.external_id, d.decided_at FROM routing_decisions d JOIN orders o ON o.id = d.order_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var lat []time.Duration
	var last time.Time
	for rows.Next() {
		var ext, at string
		if err := rows.Scan(&ext, &at); err != nil {
			return nil, err
		}
		decided, err := store.ParseTime(at)
		if err != nil {
			return nil, err
		}
		if decided.After(last) {
			last = decided
		}
		if t, ok := sent[ext]; ok {
			lat = append(lat, decided.Sub(t))
		}
	}
	if len(lat) == 0 {
		return nil, errors.New("no decision matched a posted order")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	perSec := float64(len(hooks)) / last.Sub(start).Seconds()
	fmt.Fprintf(w, "%d orders in %s: %.0f orders/s; latency p50 %.1f ms, p99 %.1f ms\n", len(hooks), last.Sub(start).Round(time.Millisecond), perSec, pct(0.5), pct(0.99))
	stop()
	<-hubDone
	return []benchFigure{
		{Figure: "e2e: signed webhooks to committed fulfilment requests (SQLite)", Value: perSec, Unit: "orders/s", Target: ">= 1000"},
		{Figure: "e2e: latency p50", Value: pct(0.5), Unit: "ms"},
		{Figure: "e2e: latency p99", Value: pct(0.99), Unit: "ms"},
	}, nil
}

// benchWebhooks has a sandbox shop take n shipping orders and returns the
// orders/create webhooks it signed, as they would reach the hub.
func benchWebhooks(seed *sandbox.Seed, n int) ([]sandbox.Webhook, string, func(), error) {
	sink := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	shop := sandbox.New(sandbox.Config{Seed: seed, AccessTokens: []string{"shpat_bench"}, WebhookURL: sink.URL,
		WebhookSecret: "bench-webhook-secret", WebhookTopics: []string{"orders/create"}})
	shopURL, err := shop.Listen("127.0.0.1:0")
	if err != nil {
		sink.Close()
		return nil, "", nil, err
	}
	closeAll := func() { shop.Close(); sink.Close() }
	zips := []string{"10001", "60601", "80202", "91101", "30303", "75201", "98101", "02108", "33101", "85004"}
	for i := range n {
		k := i * 7919
		spec := sandbox.OrderSpec{Email: fmt.Sprintf("bench%d@example.com", i), FirstName: "Bench", LastName: "Buyer", Zip: zips[i%len(zips)],
			Lines: []sandbox.OrderLineSpec{{SKU: seed.Products[k%len(seed.Products)].Variants[0].SKU, Quantity: 1}}}
		for j := 1; j < 1+i%3; j++ {
			spec.Lines = append(spec.Lines, sandbox.OrderLineSpec{SKU: seed.Products[(k+j*31)%len(seed.Products)].Variants[0].SKU, Quantity: 1})
		}
		if _, err := shop.PlaceOrder(spec); err != nil {
			closeAll()
			return nil, "", nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := shop.FlushWebhooks(ctx); err != nil {
		closeAll()
		return nil, "", nil, err
	}
	var out []sandbox.Webhook
	for _, h := range shop.SentWebhooks() {
		if h.Topic == "orders/create" {
			out = append(out, h)
		}
	}
	return out, shopURL, closeAll, nil
}

// writeBenchHub writes the load test's hub: the Shopify connector, the demo's
// locations and stock feed, the default routing rules, and one pipeline.
func writeBenchHub(dir string, seed *sandbox.Seed, shopURL string) (string, error) {
	repo, err := os.Getwd()
	if err != nil {
		return "", err
	}
	var stock strings.Builder
	stock.WriteString("sku,location_id,on_hand\n")
	ids := map[string]string{}
	rows, err := readCSV(filepath.Join(repo, "configs", "demo", "feeds", "locations.csv"))
	if err != nil {
		return "", err
	}
	var locMap strings.Builder
	for i, r := range rows {
		ids[r["name"]] = r["id"]
		fmt.Fprintf(&locMap, "        \"gid://shopify/Location/%d\": %s\n", 1003+i, r["id"])
	}
	for _, st := range seed.Stock {
		fmt.Fprintf(&stock, "%s,%s,%d\n", st.SKU, ids[st.Location], st.Available)
	}
	if err := os.MkdirAll(filepath.Join(dir, "feed"), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "feed", "inventory.csv"), []byte(stock.String()), 0o644); err != nil {
		return "", err
	}
	hub := fmt.Sprintf(`hub:
  data: sqlite:hub.db
  listen: 127.0.0.1:0
connectors:
  - name: shopify-us
    type: shopify
    config:
      instance: shopify-us
      shop_domain: crossdock-bench.myshopify.com
      base_url: %s
      access_token: shpat_bench
      webhook_secret: bench-webhook-secret
      locations:
%s  - name: erp
    type: file
    config: { dir: feed }
    streams:
      inventory: { poll: 1s }
pipelines: [pipelines/*.yaml]
locations: %s
routing: %s
`, shopURL, locMap.String(), filepath.Join(repo, "configs", "demo", "feeds", "locations.csv"), filepath.Join(repo, "configs", "routing", "default.yaml"))
	pipes := map[string]string{
		"orders.yaml": `name: orders
from: { connector: shopify-us, stream: orders }
steps:
  - dedupe: { window: 24h }
  - store: {}
  - route: {}
to:
  - topic: fulfilment.requests
`,
		"stock.yaml": `name: stock
from: { connector: erp, stream: inventory }
steps:
  - stock: {}
to:
  - topic: inventory.applied
`,
	}
	if err := os.MkdirAll(filepath.Join(dir, "pipelines"), 0o755); err != nil {
		return "", err
	}
	for name, body := range pipes {
		if err := os.WriteFile(filepath.Join(dir, "pipelines", name), []byte(body), 0o644); err != nil {
			return "", err
		}
	}
	path := filepath.Join(dir, "hub.yaml")
	return path, os.WriteFile(path, []byte(hub), 0o644)
}

// waitCount waits until query counts at least want rows.
func waitCount(ctx context.Context, db *store.DB, query string, want int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var n int
		err := db.QueryRowContext(ctx, query).Scan(&n)
		if err == nil && n >= want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d after %s (%v)", n, want, limit, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// orderGID is the Shopify order id of an orders/create body.
func orderGID(body []byte) string {
	const key = `"admin_graphql_api_id":"`
	i := bytes.Index(body, []byte(key))
	if i < 0 {
		return ""
	}
	rest := body[i+len(key):]
	if j := bytes.IndexByte(rest, '"'); j >= 0 {
		return string(rest[:j])
	}
	return ""
}
