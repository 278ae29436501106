package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/geo"
	"github.com/crossdockhq/crossdock/hub/routing"
	"github.com/crossdockhq/crossdock/hub/store"
)

// narrator tells the demo's story in plain words, one line per decision, from
// what the hub's API says: it is what a customer-service agent would see.
type narrator struct {
	out     io.Writer
	base    string
	token   string
	log     *slog.Logger
	client  *http.Client
	started time.Time
	told    map[string]bool
	locs    map[string]canonical.Location
	// dupes reports webhook deliveries the shop sent more than once.
	dupes     func() map[string]int
	toldDupes map[string]bool
	// db is the demo hub's database, read for the refused records.
	db           *store.DB
	dbDSN        string
	seenRefusals map[string]bool
	routed       int
	refused      int
	pos          int
}

func newNarrator(out io.Writer, hubURL, token string, log *slog.Logger) *narrator {
	return &narrator{out: out, base: hubURL + "/api/v1", token: token, log: log, client: &http.Client{Timeout: 5 * time.Second},
		started: time.Now().Add(-time.Minute), told: map[string]bool{}, locs: map[string]canonical.Location{},
		toldDupes: map[string]bool{}, seenRefusals: map[string]bool{}}
}

func (n *narrator) get(ctx context.Context, path string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+n.token)
	resp, err := n.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, b)
	}
	return json.NewDecoder(resp.Body).Decode(into)
}

// follow narrates until ctx ends, or until limit orders (when positive) have
// been placed and each routed or refused.
func (n *narrator) follow(ctx context.Context, placed <-chan int, limit int) error {
	// Orders from an earlier run were told then.
	if err := n.markTold(ctx); err != nil {
		return err
	}
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	count, done := 0, false
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case c, ok := <-placed:
			if !ok {
				done, placed = true, nil
				continue
			}
			count = c
		case <-t.C:
		}
		if err := n.poll(ctx); err != nil && ctx.Err() == nil {
			n.log.Debug("demo narration", "err", err)
		}
		if limit > 0 && done && count >= limit && n.routed+n.refused+n.pos >= limit {
			return nil
		}
	}
}

// orderDetail is the part of GET /api/v1/orders/{id} the narrator reads.
type orderDetail struct {
	Order   canonical.Order    `json:"order"`
	Routing []routing.Decision `json:"routing"`
}

// markTold marks every order the hub already has, and every refusal already
// dead-lettered, as told: a demo run again tells only what is new.
func (n *narrator) markTold(ctx context.Context) error {
	cursor := ""
	for {
		var page struct {
			Orders []struct {
				ID string `json:"id"`
			} `json:"orders"`
			NextCursor string `json:"next_cursor"`
		}
		if err := n.get(ctx, "/orders?limit=500&cursor="+url.QueryEscape(cursor), &page); err != nil {
			return err
		}
		for _, o := range page.Orders {
			n.told[o.ID] = true
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if n.db == nil {
		return nil
	}
	rows, err := n.db.QueryContext(ctx, `SELECT id FROM bus_dead_letters`)
	if err != nil {
		return nil // no dead letters yet
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			n.seenRefusals[id] = true
		}
	}
	return rows.Err()
}

// pollRefusals tells the records the hub refused at its door (card data, bad
// rows): they are in the dead-letter queue, never in the order book.
func (n *narrator) pollRefusals(ctx context.Context) error {
	if n.db == nil {
		return nil
	}
	rows, err := n.db.QueryContext(ctx, `SELECT id, pipeline, reason FROM bus_dead_letters WHERE pipeline LIKE 'connector:%' ORDER BY created_at`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, pipeline, reason string
		if err := rows.Scan(&id, &pipeline, &reason); err != nil {
			return err
		}
		if n.seenRefusals[id] {
			continue
		}
		n.seenRefusals[id] = true
		n.refused++
		fmt.Fprintf(n.out, "refused from %s: %s\n    not stored; see `crossdock dlq show %s --data %s`\n", strings.TrimPrefix(pipeline, "connector:"), reason, id, n.dbDSN)
	}
	return rows.Err()
}

// waitForStock waits until the hub knows the stock of sku, the last row of
// the stock feed, at every location: orders placed before would find nothing
// to route to.
func (n *narrator) waitForStock(ctx context.Context, sku string) error {
	deadline := time.Now().Add(60 * time.Second)
	for len(n.locs) == 0 {
		var locs struct {
			Locations []canonical.Location `json:"locations"`
		}
		if err := n.get(ctx, "/locations", &locs); err != nil {
			return err
		}
		for _, l := range locs.Locations {
			n.locs[l.ID] = l
		}
	}
	for {
		var inv struct {
			Levels []struct {
				LocationID string `json:"location_id"`
			} `json:"levels"`
		}
		err := n.get(ctx, "/inventory/"+url.PathEscape(sku), &inv)
		if err == nil && len(inv.Levels) >= len(n.locs) && len(n.locs) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("no stock for %s after a minute", sku)
			}
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (n *narrator) poll(ctx context.Context) error {
	if n.dupes != nil {
		for k, c := range n.dupes() {
			if !n.toldDupes[k] {
				n.toldDupes[k] = true
				what := "applied it once"
				if strings.HasPrefix(k, "orders/") {
					what = "kept one order"
				}
				fmt.Fprintf(n.out, "webhook %s was delivered %d times by Shopify: the hub %s\n", k, c, what)
			}
		}
	}
	if err := n.pollRefusals(ctx); err != nil {
		return err
	}
	var page struct {
		Orders []struct {
			ID     string `json:"id"`
			Number string `json:"number"`
		} `json:"orders"`
	}
	q := url.Values{"limit": {"100"}, "placed_from": {n.started.UTC().Format(time.RFC3339)}}
	if err := n.get(ctx, "/orders?"+q.Encode(), &page); err != nil {
		return err
	}
	for i := len(page.Orders) - 1; i >= 0; i-- { // oldest first
		o := page.Orders[i]
		if n.told[o.ID] {
			continue
		}
		var d orderDetail
		if err := n.get(ctx, "/orders/"+url.PathEscape(o.ID), &d); err != nil {
			return err
		}
		if len(d.Routing) == 0 {
			if d.Order.Status == canonical.OrderFulfilled && d.Order.SourceLocationID != "" {
				n.told[o.ID] = true
				n.pos++
				fmt.Fprintf(n.out, "order %s from %s: a sale at the counter of %s, handed over at once: nothing to route\n",
					orDash(d.Order.Number), d.Order.Channel, n.name(d.Order.SourceLocationID, ""))
			}
			continue // not routed yet
		}
		n.told[o.ID] = true
		n.routed++
		fmt.Fprintln(n.out, n.line(d.Order, d.Routing[len(d.Routing)-1]))
	}
	return nil
}

// line is one decision in words.
func (n *narrator) line(o canonical.Order, d routing.Decision) string {
	head := fmt.Sprintf("order %s from %s", orDash(o.Number), o.Channel)
	if a := o.ShippingAddress; a != nil && a.City != "" {
		head += fmt.Sprintf(" (%s, %s %s)", a.City, a.Region, a.PostalCode)
	}
	switch {
	case len(d.Plan) == 0:
		return fmt.Sprintf("%s: %s in queue %q: %s", head, d.Outcome, d.Queue, d.Reason)
	case len(d.Plan) > 1:
		parts := make([]string, len(d.Plan))
		for i, p := range d.Plan {
			parts[i] = fmt.Sprintf("%s (%d line(s), %s away)", n.name(p.LocationID, p.LocationName), len(p.Lines), km(p.DistanceKM))
		}
		return fmt.Sprintf("%s: split over %s, because no single location has every line%s", head, strings.Join(parts, " + "), n.saving(d))
	}
	p := d.Plan[0]
	where := n.name(p.LocationID, p.LocationName)
	switch p.Method {
	case canonical.FulfilPickup:
		return fmt.Sprintf("%s: pick up at %s, stock reserved there", head, where)
	case canonical.FulfilShipToStore:
		pickup := n.name(o.Fulfilment.PickupLocationID, "")
		return fmt.Sprintf("%s: pickup at %s, which lacks the stock, so %s sends it there (%s)", head, pickup, where, km(p.DistanceKM))
	}
	line := fmt.Sprintf("%s: ship from %s, %s away", head, where, km(p.DistanceKM))
	if d.BaselineLocation != "" && d.BaselineLocation != p.LocationID {
		if wh, ok := n.locs[d.BaselineLocation]; ok && d.Destination != nil {
			if g := wh.Geo; g != nil {
				line += fmt.Sprintf(", instead of %s, %s", wh.Name, km(geo.DistanceKM(*g, *d.Destination)))
			}
		}
	}
	return line + n.saving(d) + fmt.Sprintf(" [rule %s]", d.Rule)
}

func (n *narrator) saving(d routing.Decision) string {
	if d.Saving == nil || d.Saving.Amount == 0 {
		return ""
	}
	if d.Saving.Amount < 0 {
		return fmt.Sprintf("; costs $%s more than the warehouse", (canonical.Money{Amount: -d.Saving.Amount, Currency: d.Saving.Currency}).Decimal())
	}
	return fmt.Sprintf("; estimated saving $%s", d.Saving.Decimal())
}

func (n *narrator) name(id, name string) string {
	if name != "" {
		return name
	}
	if l, ok := n.locs[id]; ok {
		return l.Name
	}
	return id
}

func km(d float64) string {
	if d < 10 {
		return fmt.Sprintf("%.1f km", d)
	}
	s := fmt.Sprintf("%d", int64(d+0.5))
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s + " km"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
