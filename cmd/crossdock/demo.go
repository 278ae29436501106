package main

import (
	"context"
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crossdockhq/crossdock/connectors/shopify/sandbox"
	"github.com/crossdockhq/crossdock/hub/config"
	"github.com/crossdockhq/crossdock/hub/geo"
	"github.com/crossdockhq/crossdock/hub/store"
)

func init() { addCommand(newDemoCmd) }

// demoOptions are the flags of `crossdock demo`.
type demoOptions struct {
	config   string
	listen   string
	duration time.Duration
	orders   int
	every    time.Duration
	fresh    bool
	// after, when set, runs once the orders are all told, while the hub still
	// runs: the end-to-end test reads the system back there.
	after func(ctx context.Context, env demoEnv) error
}

// demoEnv is what a running demo is made of, for its end-to-end test.
type demoEnv struct {
	shop    *sandbox.Server
	seed    *sandbox.Seed
	hubURL  string
	token   string
	dataDir string
	db      *store.DB
}

func newDemoCmd(g *globals) *cobra.Command {
	o := demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole system on this machine: a Shopify sandbox, the hub and a chain of stores",
		Long: `demo shows what Crossdock is for, with nothing to install and nothing on the
internet. It starts:

  - a Shopify sandbox on a free loopback port: a fake shop that speaks Shopify's
    GraphQL Admin API and sends signed webhooks, with ~200 products;
  - the hub on a SQLite file under data/demo/, with the configuration in
    configs/demo/: one warehouse and five stores at real US ZIP codes, their
    stock read from CSV through the file connector, the default routing rules;

and then places a steady stream of orders in the shop: customers all over the
country, some picking up in store, some that only a split can serve, a webhook
delivered twice, one with a card number in its note that must be refused.

Each routing decision is told in one line: where the order ships from, how far
that is, and what it saves against shipping everything from the warehouse. The
API address and an admin token are printed, so you can look at any order.

Ctrl-C stops everything cleanly. Running it again continues from where it
stopped; --fresh starts over.`,
		Example: `  crossdock demo
  crossdock demo --orders 20 --duration 2m
  crossdock demo --fresh --every 500ms`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), g, o)
		},
	}
	cmd.Flags().StringVar(&o.config, "config", "configs/demo/hub.yaml", "the demo hub config")
	cmd.Flags().StringVar(&o.listen, "listen", "127.0.0.1:8080", "the hub's HTTP address; a free port is taken if this one is busy")
	cmd.Flags().DurationVar(&o.duration, "duration", 0, "stop after this long (0: run until Ctrl-C)")
	cmd.Flags().IntVar(&o.orders, "orders", 0, "stop once this many new orders are placed and routed (0: no limit)")
	cmd.Flags().DurationVar(&o.every, "every", 2*time.Second, "how often the shop receives an order")
	cmd.Flags().BoolVar(&o.fresh, "fresh", false, "forget the previous run's state and start over")
	return cmd
}

func runDemo(ctx context.Context, g *globals, o demoOptions) error {
	out := g.stdout
	// Read with placeholders for its ${env:...} values, which the demo sets
	// once the sandbox runs: what it needs now is the paths and the mapping.
	cfg, err := config.LoadWith(o.config, config.Options{Getenv: func(string) (string, bool) { return "placeholder-value", true }})
	if err != nil {
		return err
	}
	dataDir, err := demoDataDir(cfg)
	if err != nil {
		return err
	}
	if o.fresh {
		if err := os.RemoveAll(dataDir); err != nil {
			return fmt.Errorf("demo: start fresh: %w", err)
		}
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	seed, err := demoSeed(filepath.Join(filepath.Dir(o.config), "feeds"))
	if err != nil {
		return err
	}
	adminToken, err := demoSecret(filepath.Join(dataDir, "admin.token"), "cdk_demo_")
	if err != nil {
		return err
	}
	addr, err := freeAddr(o.listen)
	if err != nil {
		return err
	}
	hubURL := "http://" + addr

	// The shop: its webhooks go to the hub's ingress for the connector instance.
	shopToken, webhookSecret := "shpat_"+randomHex(16), randomHex(24)
	shop := sandbox.New(sandbox.Config{ShopDomain: "crossdock-demo.myshopify.com", ShopName: "Northwind Outfitters",
		AccessTokens: []string{shopToken}, WebhookURL: hubURL + "/webhooks/shopify-us", WebhookSecret: webhookSecret,
		WebhookTopics: []string{"orders/create", "orders/updated", "orders/cancelled"},
		Seed:          seed, Logger: g.logger().With("component", "shopify-sandbox")})
	shopURL, err := shop.Listen("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer shop.Close()
	if err := checkLocationMap(cfg, shop); err != nil {
		return err
	}
	if err := resumeShop(ctx, shop, filepath.Join(dataDir, "hub.db")); err != nil {
		return err
	}
	for k, v := range map[string]string{"CROSSDOCK_DEMO_SHOPIFY_URL": shopURL, "CROSSDOCK_DEMO_SHOPIFY_TOKEN": shopToken,
		"CROSSDOCK_DEMO_SHOPIFY_WEBHOOK_SECRET": webhookSecret, "CROSSDOCK_DEMO_ADMIN_TOKEN": adminToken} {
		os.Setenv(k, v)
	}

	// The hub's log goes to a file: the terminal is for the story.
	logPath := filepath.Join(dataDir, "hub.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer logFile.Close()
	hubG := *g
	hubG.stderr = logFile
	hubCtx, stopHub := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHub()
	hubDone := make(chan error, 1)
	go func() { hubDone <- runHub(hubCtx, &hubG, o.config, addr) }()
	if err := waitReady(ctx, hubURL, hubDone); err != nil {
		return fmt.Errorf("%w (see %s)", err, logPath)
	}
	n := newNarrator(out, hubURL, adminToken, g.logger())
	n.dupes = func() map[string]int { return duplicateWebhooks(shop) }
	n.dbDSN = "sqlite:" + filepath.Join(dataDir, "hub.db")
	if n.db, err = store.Open(ctx, n.dbDSN); err != nil {
		return err
	}
	defer n.db.Close()
	lastSKU := seed.Stock[len(seed.Stock)-1]
	if err := n.waitForStock(ctx, lastSKU.SKU); err != nil {
		return fmt.Errorf("demo: the stock feed was not loaded: %w (see %s)", err, logPath)
	}
	fmt.Fprintf(out, `
Crossdock demo is running.
  Shopify sandbox  %s   (shop "Northwind Outfitters", %d products, %d locations)
  Hub API          %s/api/v1   token: %s
  Metrics          %s/metrics
  Hub log          %s

  Try:  curl -s -H "Authorization: Bearer %s" %s/api/v1/orders | head -c 600
        curl -s -H "Authorization: Bearer %s" %s/api/v1/inventory/%s

Orders arrive every %s. Ctrl-C stops.

`, shopURL, len(seed.Products), len(seed.Locations), hubURL, adminToken, hubURL, logPath, adminToken, hubURL, adminToken, hubURL, seed.Products[0].Variants[0].SKU, o.every)

	placed := runOrders(ctx, shop, seed, o, n)
	err = n.follow(ctx, placed, o.orders)
	if err == nil && o.after != nil {
		err = o.after(ctx, demoEnv{shop: shop, seed: seed, hubURL: hubURL, token: adminToken, dataDir: dataDir, db: n.db})
	}
	stopHub()
	if herr := <-hubDone; herr != nil && !errors.Is(herr, context.Canceled) {
		return herr
	}
	fmt.Fprintf(out, "\nDemo stopped: %d orders routed, %d refused, %d duplicate deliveries absorbed. The state is in %s;\nrun `crossdock demo` again to continue, or with --fresh to start over.\n",
		n.routed, n.refused, len(n.toldDupes), dataDir)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

// runOrders places the demo's orders in the shop until ctx ends: mostly random
// ones, with the cases worth seeing placed early. It returns a channel that
// counts the orders placed.
func runOrders(ctx context.Context, shop *sandbox.Server, seed *sandbox.Seed, o demoOptions, n *narrator) <-chan int {
	placed := make(chan int, 1)
	go func() {
		defer close(placed)
		t := time.NewTicker(o.every)
		defer t.Stop()
		for i := 1; o.orders == 0 || i <= o.orders; i++ {
			if err := placeDemoOrder(shop, seed, i); err != nil {
				n.log.Warn("demo: place order", "err", err)
			}
			select {
			case placed <- i:
			default:
				<-placed
				placed <- i
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return placed
}

// placeDemoOrder places the i-th order: the scripted cases first, then random.
func placeDemoOrder(shop *sandbox.Server, seed *sandbox.Seed, i int) error {
	store := func(name string) string {
		for _, l := range seed.Locations {
			if strings.Contains(l.Name, name) {
				return l.Name
			}
		}
		return ""
	}
	sku := func(k int) string { return seed.Products[k%len(seed.Products)].Variants[0].SKU }
	// stockedAt is a SKU the named location has at least n of.
	stockedAt := func(name string, n int64) string {
		for _, st := range seed.Stock {
			if st.Location == name && st.Available >= n {
				return st.SKU
			}
		}
		return sku(3)
	}
	var spec *sandbox.OrderSpec
	switch i {
	case 2: // a customer near a store picks up there
		spec = &sandbox.OrderSpec{Email: "maya.lopez@example.com", FirstName: "Maya", LastName: "Lopez", Zip: "80202",
			PickupAt: store("Denver"), Lines: []sandbox.OrderLineSpec{{SKU: stockedAt(store("Denver"), 5), Quantity: 1}}}
	case 4: // the order's webhook delivered twice: one order
		shop.DuplicateNext("orders/create")
	case 6: // a card number in the note: refused, never stored
		spec = &sandbox.OrderSpec{Email: "sam.careless@example.com", FirstName: "Sam", LastName: "Careless", Zip: "60601",
			Note: "please charge my card 4111 1111 1111 1111 exp 12/29", Lines: []sandbox.OrderLineSpec{{SKU: sku(5), Quantity: 1}}}
	case 8: // many lines: more than one location may be needed
		spec = &sandbox.OrderSpec{Email: "lee.chen@example.com", FirstName: "Lee", LastName: "Chen", Zip: "94103",
			Lines: []sandbox.OrderLineSpec{{SKU: sku(11), Quantity: 2}, {SKU: sku(29), Quantity: 3}, {SKU: sku(47), Quantity: 2}, {SKU: sku(83), Quantity: 4}}}
	}
	if spec == nil {
		shop.PlaceRandomOrder()
		return nil
	}
	_, err := shop.PlaceOrder(*spec)
	return err
}

// demoSeed builds the shop from the demo's CSV files: the same locations,
// products and stock the hub reads.
func demoSeed(dir string) (*sandbox.Seed, error) {
	seed := &sandbox.Seed{RandomSeed: 42}
	rows, err := readCSV(filepath.Join(dir, "locations.csv"))
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, r := range rows {
		pt, err := geo.Lookup(r["country"], r["postal_code"])
		if err != nil {
			return nil, fmt.Errorf("demo: location %s: %w", r["id"], err)
		}
		names[r["id"]] = r["name"]
		seed.Locations = append(seed.Locations, sandbox.SeedLocation{Name: r["name"], Address1: r["line1"], City: r["city"],
			Province: r["region"], Zip: r["postal_code"], Country: r["country"], Lat: pt.Lat, Lng: pt.Lng, Store: r["type"] == "store"})
	}
	if rows, err = readCSV(filepath.Join(dir, "products.csv")); err != nil {
		return nil, err
	}
	for _, r := range rows {
		seed.Products = append(seed.Products, sandbox.SeedProduct{Title: r["title"], Handle: r["handle"], Vendor: r["vendor"],
			ProductType: r["category"], Tags: strings.Split(r["tags"], ";"), Variants: []sandbox.SeedVariant{{SKU: r["sku"], Price: r["price"]}}})
	}
	if rows, err = readCSV(filepath.Join(dir, "inventory.csv")); err != nil {
		return nil, err
	}
	for _, r := range rows {
		q, err := strconv.ParseInt(r["on_hand"], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("demo: inventory.csv: on_hand %q: %w", r["on_hand"], err)
		}
		seed.Stock = append(seed.Stock, sandbox.SeedStock{SKU: r["sku"], Location: names[r["location_id"]], Available: q})
	}
	return seed, nil
}

// readCSV reads a CSV file with a header row into maps by column.
func readCSV(path string) ([]map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("demo: %s: %w", path, err)
	}
	var out []map[string]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("demo: %s: %w", path, err)
		}
		m := make(map[string]string, len(header))
		for i, h := range header {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
}

// resumeShop moves the new shop's ids past the orders an earlier run left in
// the hub, so a restarted demo never reuses an order id.
func resumeShop(ctx context.Context, shop *sandbox.Server, path string) error {
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	db, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		return err
	}
	defer db.Close()
	var lastID, lastNumber int64
	rows, err := db.QueryContext(ctx, `SELECT external_id, number FROM orders WHERE channel = 'shopify-us'`)
	if err != nil {
		return nil // a hub that never stored an order
	}
	defer rows.Close()
	for rows.Next() {
		var ext, num string
		if rows.Scan(&ext, &num) != nil {
			continue
		}
		if id, err := strconv.ParseInt(ext[strings.LastIndex(ext, "/")+1:], 10, 64); err == nil {
			lastID = max(lastID, id)
		}
		if n, err := strconv.ParseInt(strings.TrimPrefix(num, "#"), 10, 64); err == nil {
			lastNumber = max(lastNumber, n)
		}
	}
	// Ids are handed out to lines and fulfilment orders too: leave room.
	shop.Resume(lastID+1000, lastNumber)
	return rows.Err()
}

// duplicateWebhooks counts the shop's deliveries per webhook id that were
// sent more than once.
func duplicateWebhooks(shop *sandbox.Server) map[string]int {
	n := map[string]int{}
	for _, w := range shop.SentWebhooks() {
		n[w.Topic+" "+w.ID]++
	}
	for k, c := range n {
		if c < 2 {
			delete(n, k)
		}
	}
	return n
}

// checkLocationMap makes sure the demo config maps every Shopify location of
// the sandbox to the Crossdock location of the same name, so stock published
// per location lands where it belongs.
func checkLocationMap(cfg *config.Config, shop *sandbox.Server) error {
	cfgPath := cfg.Path
	c, ok := cfg.Connector("shopify-us")
	if !ok {
		return fmt.Errorf("demo: %s has no shopify-us connector", cfgPath)
	}
	raw, err := c.ConfigJSON()
	if err != nil {
		return err
	}
	var sc struct {
		Locations map[string]string `json:"locations"`
	}
	if err := json.Unmarshal(raw, &sc); err != nil {
		return err
	}
	rows, err := readCSV(filepath.Join(filepath.Dir(cfgPath), "feeds", "locations.csv"))
	if err != nil {
		return err
	}
	for _, r := range rows {
		gid := shop.LocationGID(r["name"])
		if sc.Locations[gid] != r["id"] {
			return fmt.Errorf("demo: %s maps Shopify location %s to %q, but the sandbox gave that id to %s (%s)", cfgPath, gid, sc.Locations[gid], r["id"], r["name"])
		}
	}
	return nil
}

// demoDataDir is the folder of the demo hub's SQLite file: the demo keeps its
// own state (the admin token) beside it, and --fresh removes it.
func demoDataDir(cfg *config.Config) (string, error) {
	path, ok := strings.CutPrefix(cfg.DSN(), "sqlite:")
	if !ok {
		return "", fmt.Errorf("demo: %s must keep its data in SQLite (hub.data: sqlite:PATH)", cfg.Path)
	}
	return filepath.Dir(path), nil
}

// demoSecret returns the secret kept in path, creating it on the first run.
func demoSecret(path, prefix string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	s := prefix + randomHex(20)
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	return s, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// freeAddr returns addr if it can be listened on, else a free loopback port.
func freeAddr(addr string) (string, error) {
	for _, a := range []string{addr, "127.0.0.1:0"} {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			continue
		}
		got := ln.Addr().String()
		ln.Close()
		return got, nil
	}
	return "", errors.New("demo: no free loopback port")
}

// waitReady waits for the hub's /readyz, or its failure.
func waitReady(ctx context.Context, hubURL string, hubDone <-chan error) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case err := <-hubDone:
			if err == nil {
				err = errors.New("hub stopped")
			}
			return fmt.Errorf("demo: the hub did not start: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return errors.New("demo: the hub was not ready within a minute")
		case <-t.C:
			resp, err := http.Get(hubURL + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return nil
				}
			}
		}
	}
}
