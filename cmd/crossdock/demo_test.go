package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/routing"
)

// copyTree copies the files under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// apiGet reads one API resource as the demo's admin.
func apiGet(t *testing.T, env demoEnv, path string, into any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, env.hubURL+"/api/v1"+path, nil)
	req.Header.Set("Authorization", "Bearer "+env.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", path, resp.Status, b)
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// TestDemo_EndToEnd runs a short demo: a few dozen orders from the Shopify
// sandbox through the hub, then reads the system back through the API, the
// sandbox and the database file.
func TestDemo_EndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("the end-to-end demo takes ~30s; run without -short")
	}
	root := t.TempDir()
	copyTree(t, "../../configs/demo", filepath.Join(root, "configs", "demo"))
	copyTree(t, "../../configs/routing", filepath.Join(root, "configs", "routing"))
	cfgPath := filepath.Join(root, "configs", "demo", "hub.yaml")

	const orders = 30
	var out bytes.Buffer
	g := &globals{stdout: &out, stderr: io.Discard, logFormat: "text", logLevel: "warn"}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	checked := false
	err := runDemo(ctx, g, demoOptions{config: cfgPath, listen: "127.0.0.1:0", orders: orders, every: 150 * time.Millisecond,
		after: func(ctx context.Context, env demoEnv) error {
			checked = true
			checkDemo(t, ctx, env, orders)
			return nil
		}})
	t.Logf("demo output:\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	if !checked {
		t.Fatal("the demo ended before its orders were told")
	}
	// The card number never reached the database, in any file of it.
	files, _ := filepath.Glob(filepath.Join(root, "data", "demo", "hub.db*"))
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, digits := range []string{"4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111"} {
			if bytes.Contains(b, []byte(digits)) {
				t.Errorf("%s holds the refused order's card number", filepath.Base(f))
			}
		}
	}
	if !strings.Contains(out.String(), "refused from shopify-us") || !strings.Contains(out.String(), "delivered 2 times") {
		t.Errorf("the narration must tell the refusal and the duplicate delivery:\n%s", out.String())
	}
}

func checkDemo(t *testing.T, ctx context.Context, env demoEnv, placed int) {
	// Every order the shop took is stored once, but the refused one.
	shopOrders, _, _ := env.shop.Counts()
	var all []struct {
		ID         string                `json:"id"`
		ExternalID string                `json:"external_id"`
		Number     string                `json:"number"`
		Status     canonical.OrderStatus `json:"status"`
	}
	cursor := ""
	for {
		var page struct {
			Orders []struct {
				ID         string                `json:"id"`
				ExternalID string                `json:"external_id"`
				Number     string                `json:"number"`
				Status     canonical.OrderStatus `json:"status"`
			} `json:"orders"`
			NextCursor string `json:"next_cursor"`
		}
		apiGet(t, env, "/orders?limit=100&channel=shopify-us&cursor="+url.QueryEscape(cursor), &page)
		all = append(all, page.Orders...)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	seen := map[string]bool{}
	for _, o := range all {
		if seen[o.ExternalID] {
			t.Errorf("order %s stored twice", o.ExternalID)
		}
		seen[o.ExternalID] = true
	}
	if len(all) != shopOrders-1 {
		t.Errorf("hub has %d orders, the shop %d (one refused): want every other order once", len(all), shopOrders)
	}
	if len(all) < placed-2 {
		t.Errorf("only %d orders stored of %d placed", len(all), placed)
	}
	if d := duplicateWebhooks(env.shop); len(d) == 0 {
		t.Error("the demo should have delivered an orders/create webhook twice")
	}

	// Each order is routed as the rules say, its stock reserved where routed.
	locs := map[string]canonical.Location{}
	var locList struct {
		Locations []canonical.Location `json:"locations"`
	}
	apiGet(t, env, "/locations", &locList)
	for _, l := range locList.Locations {
		locs[l.ID] = l
	}
	pickups := 0
	for _, o := range all {
		var d struct {
			Order        canonical.Order    `json:"order"`
			Routing      []routing.Decision `json:"routing"`
			Reservations []struct {
				LocationID string `json:"location_id"`
				SKU        string `json:"sku"`
				Quantity   int64  `json:"quantity"`
			} `json:"reservations"`
		}
		apiGet(t, env, "/orders/"+url.PathEscape(o.ID), &d)
		if d.Order.Status == canonical.OrderFulfilled && d.Order.SourceLocationID != "" {
			continue // a sale at a store's counter: nothing to route
		}
		if len(d.Routing) == 0 {
			t.Errorf("order %s (%s) has no routing decision", o.Number, d.Order.Status)
			continue
		}
		dec := d.Routing[len(d.Routing)-1]
		if dec.Outcome != "allocated" {
			if d.Order.Status != canonical.OrderPending {
				t.Errorf("order %s is %s but its decision is %s", o.Number, d.Order.Status, dec.Outcome)
			}
			continue
		}
		if d.Order.Status != canonical.OrderAllocated {
			t.Errorf("order %s routed but its status is %s", o.Number, d.Order.Status)
		}
		reserved := map[string]int64{}
		for _, r := range d.Reservations {
			reserved[r.LocationID+"/"+r.SKU] += r.Quantity
		}
		for _, p := range dec.Plan {
			loc := locs[p.LocationID]
			switch dec.Rule {
			case "ship-from-nearby-store":
				if loc.Type != canonical.LocationStore || p.DistanceKM > 150 {
					t.Errorf("order %s: rule %s chose %s (%s, %.0f km)", o.Number, dec.Rule, loc.ID, loc.Type, p.DistanceKM)
				}
			case "ship-from-warehouse", "pickup-via-warehouse":
				if loc.Type != canonical.LocationWarehouse {
					t.Errorf("order %s: rule %s chose %s, not a warehouse", o.Number, dec.Rule, loc.ID)
				}
			case "pickup-at-chosen-store":
				pickups++
				if p.LocationID != d.Order.Fulfilment.PickupLocationID || p.Method != canonical.FulfilPickup {
					t.Errorf("order %s: pickup planned at %s (%s), chosen %s", o.Number, p.LocationID, p.Method, d.Order.Fulfilment.PickupLocationID)
				}
			}
			for _, l := range p.Lines {
				if reserved[p.LocationID+"/"+l.SKU] < l.Quantity {
					t.Errorf("order %s: %d of %s planned at %s but %d reserved there", o.Number, l.Quantity, l.SKU, p.LocationID, reserved[p.LocationID+"/"+l.SKU])
				}
			}
		}
	}
	if pickups == 0 {
		t.Error("the demo's pickup order was not served at the store the customer chose")
	}

	// Shopify shows, per location, what the hub can promise less the buffer.
	buf := inventory.ChannelBuffer{PerLocation: true, Fixed: 1, ZeroBelow: 2}
	var mismatches []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		mismatches = mismatches[:0]
		for _, p := range env.seed.Products {
			sku := p.Variants[0].SKU
			var v struct {
				Levels []inventory.Level `json:"levels"`
			}
			apiGet(t, env, "/inventory/"+url.PathEscape(sku), &v)
			for _, l := range v.Levels {
				got, ok := env.shop.Available(sku, locs[l.LocationID].Name)
				if want := buf.Apply(l.ATP); !ok || got != want {
					mismatches = append(mismatches, fmt.Sprintf("%s at %s: shop shows %d, want %d (ATP %d)", sku, l.LocationID, got, want, l.ATP))
				}
			}
		}
		if len(mismatches) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second) // the last commands are still on their way
	}
	if len(mismatches) > 0 {
		t.Errorf("%d figures in the shop differ from ATP less buffers, e.g.:\n%s", len(mismatches), strings.Join(mismatches[:min(5, len(mismatches))], "\n"))
	}
}
