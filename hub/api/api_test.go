package api_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/api"
	"github.com/crossdockhq/crossdock/hub/audit"
	"github.com/crossdockhq/crossdock/hub/auth"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/locations"
	"github.com/crossdockhq/crossdock/hub/orders"
	"github.com/crossdockhq/crossdock/hub/routing"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/hub/store/storetest"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

const (
	adminToken    = "admin-token-0123456789abcdef"
	csrToken      = "csr-token-0123456789abcdef"
	readonlyToken = "readonly-token-0123456789abcdef"
)

// published records what the API published, by topic.
type published struct {
	mu   sync.Mutex
	msgs map[string][]*message.Message
	fail bool
}

func (p *published) PublishTx(_ context.Context, tx *sql.Tx, topic string, msgs ...*message.Message) error {
	if tx == nil {
		return fmt.Errorf("publish outside a transaction")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail {
		return fmt.Errorf("bus down: secret dsn postgres://u:hunter2@db")
	}
	p.msgs[topic] = append(p.msgs[topic], msgs...)
	return nil
}

func (p *published) commands(topic string) []sdk.Command {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []sdk.Command
	for _, m := range p.msgs[topic] {
		var c sdk.Command
		json.Unmarshal(m.Payload, &c)
		out = append(out, c)
	}
	return out
}

type env struct {
	t     *testing.T
	srv   *httptest.Server
	db    *store.DB
	pub   *published
	audit *audit.Log
	inv   *inventory.Service
	ids   map[string]string // external id -> order id
}

var base = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

func setup(t *testing.T) *env {
	t.Helper()
	return setupOn(t, storetest.SQLite(t))
}

func setupOn(t *testing.T, db *store.DB) *env {
	t.Helper()
	ctx := context.Background()
	tokens, err := auth.NewTokens(auth.Config{Tokens: []auth.TokenConfig{
		{Name: "ops", Role: auth.RoleAdmin, Token: adminToken},
		{Name: "helpdesk", Role: auth.RoleCSR, Token: csrToken},
		{Name: "viewer", Role: auth.RoleReadonly, Token: readonlyToken},
	}})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.New(db.Dialect, inventory.Config{Buffers: map[string]inventory.ChannelBuffer{"shopify-us": {Fixed: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, pub: &published{msgs: map[string][]*message.Message{}}, audit: audit.New(db), inv: inv, ids: map[string]string{}}
	locs := locations.New(db.Dialect)
	ord := orders.New(db.Dialect, inv)
	tx, _ := db.BeginTx(ctx, nil)
	if _, err := locs.Load(ctx, tx, []canonical.Location{
		{ID: "st-nyc", Name: "NYC store", Type: canonical.LocationStore, Address: canonical.Address{PostalCode: "10001", Country: "US"}, Capabilities: []canonical.Capability{canonical.CapPickup}, Active: true},
		{ID: "wh-nj", Name: "NJ DC", Type: canonical.LocationWarehouse, Address: canonical.Address{PostalCode: "07001", Country: "US"}, Capabilities: []canonical.Capability{canonical.CapShip}, DailyCapacity: 100, Active: true},
		{ID: "st-la", Name: "LA store", Type: canonical.LocationStore, Address: canonical.Address{PostalCode: "90210", Country: "US"}, Active: true},
	}); err != nil {
		t.Fatal(err)
	}
	for loc, n := range map[string]int64{"st-nyc": 2, "wh-nj": 20, "st-la": 5} {
		if _, err := inv.Record(ctx, tx, canonical.InventoryMovement{SKU: "TEE-M", LocationID: loc, Delta: n, Reason: canonical.MoveReceipt}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 7; i++ {
		ch, email := "shopify-us", "ada@example.com"
		if i%3 == 2 {
			ch, email = "amazon-us", "bob@example.com"
		}
		ext := fmt.Sprintf("10%02d", i)
		o := canonical.Order{Channel: ch, ExternalID: ext, Number: "#" + ext, PlacedAt: base.Add(time.Duration(i%4) * time.Hour), UpdatedAt: base,
			Customer:        &canonical.Customer{Email: email},
			ShippingAddress: &canonical.Address{Line1: "1 Main", City: "New York", PostalCode: "10001", Country: "US"},
			Lines:           []canonical.OrderLine{{ID: "1", SKU: "TEE-M", Quantity: 1}, {ID: "2", SKU: "TEE-M", Quantity: 1}}}
		res, err := ord.Accept(ctx, tx, o)
		if err != nil {
			t.Fatal(err)
		}
		e.ids[ext] = res.Order.ID
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	h := api.New(api.Deps{DB: db, Tokens: tokens, Publisher: e.pub, Audit: e.audit, Inventory: inv, Orders: ord, Locations: locs,
		Routing: api.RoutingExplainerFunc(func(ctx context.Context, _ store.DBTX, id string) (any, error) {
			return map[string]string{"order_id": id, "rule": "nearest-with-stock"}, nil
		}),
		PickupOptions: routing.PickupOptionsHandler(routing.PickupOptions{DB: db, Locations: &routing.SQLLocations{Dialect: db.Dialect}, Stock: routing.SQLStock{Dialect: db.Dialect}})})
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

// do sends a request and decodes the JSON answer into out (if not nil).
func (e *env) do(method, path, token string, body any, header map[string]string, out any) *http.Response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		e.t.Fatalf("%s %s: content type %q, body %s", method, path, ct, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp
}

type errBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

// wantError checks status, code and field of an error answer.
func (e *env) wantError(method, path, token string, body any, header map[string]string, status int, code, field string) errBody {
	e.t.Helper()
	var eb errBody
	resp := e.do(method, path, token, body, header, &eb)
	if resp.StatusCode != status || eb.Error.Code != code || eb.Error.Field != field || eb.Error.Message == "" {
		e.t.Fatalf("%s %s: %d %+v; want %d %s field %q", method, path, resp.StatusCode, eb, status, code, field)
	}
	if strings.Contains(eb.Error.Message, "goroutine") || strings.Contains(eb.Error.Message, ".go:") {
		e.t.Fatalf("error leaks internals: %s", eb.Error.Message)
	}
	return eb
}

func TestAPI_TokensAndRoles(t *testing.T) {
	e := setup(t)
	id := e.ids["1000"]
	e.wantError("GET", "/api/v1/orders", "", nil, nil, 401, "unauthorized", "")
	e.wantError("GET", "/api/v1/orders", "not-a-token-at-all-xxxxxxxx", nil, nil, 401, "unauthorized", "")
	e.wantError("POST", "/api/v1/orders/"+id+"/notes", readonlyToken, map[string]string{"body": "hi"}, nil, 403, "forbidden", "")
	for _, tok := range []string{readonlyToken, csrToken, adminToken} {
		if resp := e.do("GET", "/api/v1/orders/"+id, tok, nil, nil, nil); resp.StatusCode != 200 {
			t.Fatalf("read with %s: %d", tok, resp.StatusCode)
		}
	}
	for _, tok := range []string{csrToken, adminToken} {
		if resp := e.do("POST", "/api/v1/orders/"+id+"/notes", tok, map[string]string{"body": "called"}, nil, nil); resp.StatusCode != 201 {
			t.Fatalf("note with %s: %d", tok, resp.StatusCode)
		}
	}
}

func TestAPI_OrderSearchPagesWithAStableCursor(t *testing.T) {
	e := setup(t)
	var seen []string
	cursor := ""
	for page := 0; ; page++ {
		var p struct {
			Orders []struct {
				ID       string    `json:"id"`
				PlacedAt time.Time `json:"placed_at"`
			} `json:"orders"`
			NextCursor string `json:"next_cursor"`
		}
		path := "/api/v1/orders?limit=3"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if resp := e.do("GET", path, readonlyToken, nil, nil, &p); resp.StatusCode != 200 {
			t.Fatalf("page %d: %d", page, resp.StatusCode)
		}
		for i, o := range p.Orders {
			if i > 0 && o.PlacedAt.After(p.Orders[i-1].PlacedAt) {
				t.Fatalf("page %d not newest first", page)
			}
			seen = append(seen, o.ID)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
		if page > 5 {
			t.Fatal("pagination does not end")
		}
	}
	uniq := map[string]bool{}
	for _, id := range seen {
		uniq[id] = true
	}
	if len(seen) != 7 || len(uniq) != 7 {
		t.Fatalf("paged through %d orders (%d distinct), want 7", len(seen), len(uniq))
	}
	count := func(q string) int {
		var p struct{ Orders []json.RawMessage }
		if resp := e.do("GET", "/api/v1/orders?"+q, readonlyToken, nil, nil, &p); resp.StatusCode != 200 {
			t.Fatalf("%s: %d", q, resp.StatusCode)
		}
		return len(p.Orders)
	}
	for q, want := range map[string]int{
		"channel=amazon-us":              2,
		"status=confirmed":               7,
		"status=cancelled":               0,
		"customer_email=ADA@example.com": 5,
		"external_id=1003":               1,
		"placed_from=2026-06-01T11:00:00Z&placed_to=2026-06-01T13:00:00Z": 4,
	} {
		if got := count(q); got != want {
			t.Errorf("%s: %d orders, want %d", q, got, want)
		}
	}
	e.wantError("GET", "/api/v1/orders?cursor=garbage", readonlyToken, nil, nil, 400, "bad_cursor", "cursor")
	e.wantError("GET", "/api/v1/orders?status=shipped", readonlyToken, nil, nil, 400, "bad_request", "status")
	e.wantError("GET", "/api/v1/orders?placed_from=yesterday", readonlyToken, nil, nil, 400, "bad_request", "placed_from")
	e.wantError("GET", "/api/v1/orders?limit=0", readonlyToken, nil, nil, 400, "bad_request", "limit")
	e.wantError("GET", "/api/v1/orders?colour=red", readonlyToken, nil, nil, 400, "bad_request", "colour")
}

type detail struct {
	Order        canonical.Order         `json:"order"`
	Version      int64                   `json:"version"`
	Reservations []inventory.Reservation `json:"reservations"`
	Allocations  []json.RawMessage       `json:"allocations"`
	Shipments    []json.RawMessage       `json:"shipments"`
	History      []store.HistoryEntry    `json:"history"`
	Notes        []orders.Note           `json:"notes"`
	Routing      map[string]string       `json:"routing"`
}

func TestAPI_OneOrderShowsLinesReservationsHistoryAndRouting(t *testing.T) {
	e := setup(t)
	id := e.ids["1001"]
	var d detail
	resp := e.do("GET", "/api/v1/orders/"+id, readonlyToken, nil, nil, &d)
	if resp.StatusCode != 200 || resp.Header.Get("ETag") != `"2"` {
		t.Fatalf("status %d etag %q", resp.StatusCode, resp.Header.Get("ETag"))
	}
	if d.Order.ExternalID != "1001" || len(d.Order.Lines) != 2 || len(d.Reservations) != 2 || d.Allocations == nil || d.Shipments == nil {
		t.Fatalf("detail = %+v", d)
	}
	if len(d.History) != 2 || d.History[1].ToStatus != "confirmed" || d.Routing["rule"] != "nearest-with-stock" {
		t.Fatalf("history %+v routing %+v", d.History, d.Routing)
	}
	e.wantError("GET", "/api/v1/orders/nope", readonlyToken, nil, nil, 404, "not_found", "")
}

func TestAPI_CancelReleasesReservationsPublishesCancelAndAudits(t *testing.T) {
	storetest.Each(t, testCancel)
}

func testCancel(t *testing.T, db *store.DB) {
	e := setupOn(t, db)
	ctx := context.Background()
	id := e.ids["1000"]
	before, _ := e.inv.NetworkATP(ctx, e.db, "TEE-M", "")
	var d detail
	resp := e.do("POST", "/api/v1/orders/"+id+"/cancel", csrToken, map[string]any{"reason": "customer", "refund": false}, map[string]string{"If-Match": `"2"`}, &d)
	if resp.StatusCode != 200 || d.Order.Status != canonical.OrderCancelled {
		t.Fatalf("cancel: %d %+v", resp.StatusCode, d.Order.Status)
	}
	for _, r := range d.Reservations {
		if r.Status != inventory.StatusReleased {
			t.Fatalf("reservation still %s", r.Status)
		}
	}
	if after, _ := e.inv.NetworkATP(ctx, e.db, "TEE-M", ""); after != before+2 {
		t.Fatalf("network ATP %d -> %d, want +2", before, after)
	}
	cmds := e.pub.commands("shopify-us.out")
	var cancel, setInv int
	for _, c := range cmds {
		switch c.Action {
		case canonical.ActionCancelOrder:
			var p canonical.CancelOrder
			json.Unmarshal(c.Payload, &p)
			if p.ExternalID != "1000" || p.Refund || !p.Restock || p.Reason != "customer" {
				t.Fatalf("cancel payload = %+v", p)
			}
			cancel++
		case canonical.ActionSetInventory:
			setInv++
		}
	}
	if cancel != 1 || setInv != 1 {
		t.Fatalf("published %d cancels and %d inventory updates; want 1 and 1", cancel, setInv)
	}
	entries, err := e.audit.List(ctx, audit.Filter{Action: "order.cancel"})
	if err != nil || len(entries) != 1 || entries[0].Actor != "token:helpdesk" || entries[0].Subject != "order:"+id {
		t.Fatalf("audit = %+v %v", entries, err)
	}
	// Cancelled is final, and a stale version is a conflict.
	e.wantError("POST", "/api/v1/orders/"+id+"/cancel", csrToken, nil, nil, 409, "illegal_transition", "")
	e.wantError("PUT", "/api/v1/orders/"+e.ids["1001"]+"/shipping-address", csrToken, canonical.Address{Line1: "2 Elm", Country: "US"},
		map[string]string{"If-Match": `"1"`}, 409, "conflict", "")
}

func TestAPI_ChangeAddressCancelLineAndNoteAreValidated(t *testing.T) {
	e := setup(t)
	id := e.ids["1002"]
	var d detail
	if resp := e.do("PUT", "/api/v1/orders/"+id+"/shipping-address", csrToken, canonical.Address{Line1: "2 Elm", City: "Austin", PostalCode: "73301", Country: "us"}, nil, &d); resp.StatusCode != 200 {
		t.Fatalf("address: %d", resp.StatusCode)
	}
	if d.Order.ShippingAddress.Line1 != "2 Elm" || d.Order.ShippingAddress.Country != "US" {
		t.Fatalf("address = %+v", d.Order.ShippingAddress)
	}
	e.wantError("PUT", "/api/v1/orders/"+id+"/shipping-address", csrToken, map[string]string{"line1": "x", "country": "US", "planet": "Mars"}, nil, 400, "bad_request", "planet")
	e.wantError("PUT", "/api/v1/orders/"+id+"/shipping-address", csrToken, map[string]string{"line1": "x", "country": "USA"}, nil, 422, "invalid", "country")
	if resp := e.do("POST", "/api/v1/orders/"+id+"/lines/2/cancel", csrToken, map[string]any{"reason": "oos"}, nil, &d); resp.StatusCode != 200 {
		t.Fatalf("cancel line: %d", resp.StatusCode)
	}
	if d.Order.Lines[1].Cancelled != 1 || d.Order.Status != canonical.OrderConfirmed {
		t.Fatalf("after line cancel: %+v", d.Order)
	}
	e.wantError("POST", "/api/v1/orders/"+id+"/lines/2/cancel", csrToken, nil, nil, 422, "invalid", "line_id")
	e.wantError("POST", "/api/v1/orders/"+id+"/lines/9/cancel", csrToken, nil, nil, 404, "not_found", "")
	e.wantError("POST", "/api/v1/orders/"+id+"/lines/1/cancel", csrToken, map[string]any{"quantity": "one"}, nil, 400, "bad_request", "quantity")
	var n orders.Note
	if resp := e.do("POST", "/api/v1/orders/"+id+"/notes", csrToken, map[string]string{"body": "gift wrap"}, nil, &n); resp.StatusCode != 201 || n.Body != "gift wrap" || n.Author != "token:helpdesk" {
		t.Fatalf("note: %d %+v", resp.StatusCode, n)
	}
	e.wantError("POST", "/api/v1/orders/"+id+"/notes", csrToken, map[string]string{"body": "  "}, nil, 422, "invalid", "body")
	e.wantError("POST", "/api/v1/orders/"+id+"/notes", csrToken, nil, nil, 400, "bad_request", "")
	e.do("GET", "/api/v1/orders/"+id, readonlyToken, nil, nil, &d)
	if len(d.Notes) != 1 {
		t.Fatalf("notes = %+v", d.Notes)
	}
	entries, _ := e.audit.List(context.Background(), audit.Filter{Subject: "order:" + id})
	if len(entries) != 3 {
		t.Fatalf("%d audit entries, want 3 (address, line cancel, note)", len(entries))
	}
}

func TestAPI_InventoryForOneSKU(t *testing.T) {
	e := setup(t)
	var v inventory.SKUView
	if resp := e.do("GET", "/api/v1/inventory/TEE-M", readonlyToken, nil, nil, &v); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// 27 on hand, 14 units reserved network-wide by the 7 orders.
	if len(v.Levels) != 3 || v.NetworkReserved != 14 || v.NetworkATP != 13 {
		t.Fatalf("view = %+v", v)
	}
	if len(v.Channels) != 1 || v.Channels[0].Quantity != 12 || v.Channels[0].Published == nil || *v.Channels[0].Published != 12 {
		t.Fatalf("channels = %+v", v.Channels)
	}
	e.wantError("GET", "/api/v1/inventory/NOPE", readonlyToken, nil, nil, 404, "not_found", "")
}

func TestAPI_NearbyListsLocationsWithStockNearestFirst(t *testing.T) {
	e := setup(t)
	var res struct {
		Locations []struct {
			LocationID string  `json:"location_id"`
			DistanceKM float64 `json:"distance_km"`
			ATP        int64   `json:"atp"`
		} `json:"locations"`
	}
	if resp := e.do("GET", "/api/v1/inventory/TEE-M/nearby?postal_code=10001&country=US&radius_km=60", readonlyToken, nil, nil, &res); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var got []string
	for _, l := range res.Locations {
		got = append(got, l.LocationID)
	}
	if strings.Join(got, ",") != "st-nyc,wh-nj" || res.Locations[0].DistanceKM > 5 || res.Locations[1].DistanceKM < 5 {
		t.Fatalf("nearby = %+v", res.Locations)
	}
	e.do("GET", "/api/v1/inventory/TEE-M/nearby?postal_code=10001&radius_km=5000", readonlyToken, nil, nil, &res)
	if len(res.Locations) != 3 || res.Locations[2].LocationID != "st-la" {
		t.Fatalf("continental = %+v", res.Locations)
	}
	e.wantError("GET", "/api/v1/inventory/TEE-M/nearby?postal_code=99999", readonlyToken, nil, nil, 422, "unknown_postal_code", "postal_code")
	e.wantError("GET", "/api/v1/inventory/TEE-M/nearby?postal_code=10001&country=FR", readonlyToken, nil, nil, 422, "unsupported_country", "country")
	e.wantError("GET", "/api/v1/inventory/TEE-M/nearby", readonlyToken, nil, nil, 400, "bad_request", "postal_code")
	e.wantError("GET", "/api/v1/inventory/TEE-M/nearby?postal_code=10001&radius_km=-1", readonlyToken, nil, nil, 400, "bad_request", "radius_km")
}

func TestAPI_CustomerOrdersAcrossChannels(t *testing.T) {
	e := setup(t)
	var res struct {
		Customer   canonical.Customer `json:"customer"`
		Orders     []struct{ Channel string }
		NextCursor string `json:"next_cursor"`
	}
	if resp := e.do("GET", "/api/v1/customers/bob@example.com", readonlyToken, nil, nil, &res); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if res.Customer.Email != "bob@example.com" || len(res.Orders) != 2 {
		t.Fatalf("customer = %+v", res)
	}
	id := res.Customer.ID
	e.do("GET", "/api/v1/customers/"+id+"?limit=1", readonlyToken, nil, nil, &res)
	if len(res.Orders) != 1 || res.NextCursor == "" {
		t.Fatalf("paged = %+v", res)
	}
	e.wantError("GET", "/api/v1/customers/nobody@example.com", readonlyToken, nil, nil, 404, "not_found", "")
}

func TestAPI_Locations(t *testing.T) {
	e := setup(t)
	var list struct{ Locations []store.LocationRow }
	if resp := e.do("GET", "/api/v1/locations", readonlyToken, nil, nil, &list); resp.StatusCode != 200 || len(list.Locations) != 3 {
		t.Fatalf("list: %d %+v", resp.StatusCode, list)
	}
	var one struct {
		ID            string              `json:"id"`
		Geo           *canonical.GeoPoint `json:"geo"`
		CapacityToday locations.Capacity  `json:"capacity_today"`
	}
	if resp := e.do("GET", "/api/v1/locations/wh-nj", readonlyToken, nil, nil, &one); resp.StatusCode != 200 || one.Geo == nil || one.CapacityToday.Left != 100 {
		t.Fatalf("one: %d %+v", resp.StatusCode, one)
	}
	e.wantError("GET", "/api/v1/locations/mars", readonlyToken, nil, nil, 404, "not_found", "")
}

func TestAPI_UnknownEndpointsAndMethodsAnswerJSONErrors(t *testing.T) {
	e := setup(t)
	e.wantError("GET", "/api/v1/nothing", readonlyToken, nil, nil, 404, "not_found", "")
	e.wantError("DELETE", "/api/v1/orders", adminToken, nil, nil, 405, "method_not_allowed", "")
}

func TestOpenAPI_DocumentsExactlyTheRoutesServed(t *testing.T) {
	e := setup(t)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if resp := e.do("GET", "/api/v1/openapi.json", "", nil, nil, &doc); resp.StatusCode != 200 || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi: %d %q", resp.StatusCode, doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(documented)
	h := e.srv.Config.Handler
	served := api.Routes(h)
	if len(served) == 0 {
		t.Fatal("no routes listed")
	}
	if strings.Join(served, "\n") != strings.Join(documented, "\n") {
		t.Fatalf("served and documented routes differ:\nserved:\n%s\ndocumented:\n%s", strings.Join(served, "\n"), strings.Join(documented, "\n"))
	}
	// Every served route answers (not the mux's 404) for a well-formed request.
	for _, r := range served {
		method, path, _ := strings.Cut(r, " ")
		path = strings.NewReplacer("{id}", "x", "{sku}", "x", "{line_id}", "x").Replace(path)
		req, _ := http.NewRequest(method, e.srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 404 || resp.StatusCode == 405 {
			t.Errorf("%s: %d", r, resp.StatusCode)
		}
	}
}

func TestAPI_AChangeWhoseCommandsCannotBePublishedLeavesNoTrace(t *testing.T) {
	e := setup(t)
	id := e.ids["1004"]
	e.pub.mu.Lock()
	e.pub.fail = true
	e.pub.mu.Unlock()
	eb := e.wantError("POST", "/api/v1/orders/"+id+"/cancel", csrToken, nil, nil, 500, "internal", "")
	if strings.Contains(eb.Error.Message, "hunter2") || strings.Contains(eb.Error.Message, "bus") {
		t.Fatalf("error leaks its cause: %q", eb.Error.Message)
	}
	var d detail
	e.do("GET", "/api/v1/orders/"+id, readonlyToken, nil, nil, &d)
	if d.Order.Status != canonical.OrderConfirmed || d.Version != 2 {
		t.Fatalf("order changed although the change failed: %s v%d", d.Order.Status, d.Version)
	}
	for _, r := range d.Reservations {
		if r.Status != inventory.StatusActive {
			t.Fatalf("reservation released although the change failed: %+v", r)
		}
	}
	if entries, _ := e.audit.List(context.Background(), audit.Filter{Subject: "order:" + id}); len(entries) != 0 {
		t.Fatalf("audit entry without its change: %+v", entries)
	}
}

func TestPickupOptions_ServedBehindTheAPIsTokens(t *testing.T) {
	e := setup(t)
	cart := map[string]any{"postal_code": "10001", "country": "US", "lines": []map[string]any{{"sku": "TEE-M", "quantity": 1}}}
	if resp := e.do("POST", "/api/v1/pickup-options", "", cart, nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a token: %d, want 401", resp.StatusCode)
	}
	var got struct {
		Origin *canonical.GeoPoint `json:"origin"`
		Stores []struct {
			LocationID string `json:"location_id"`
		} `json:"stores"`
	}
	if resp := e.do("POST", "/api/v1/pickup-options", readonlyToken, cart, nil, &got); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	if got.Origin == nil {
		t.Fatal("the answer must say where distances were measured from")
	}
	for _, s := range got.Stores {
		if s.LocationID != "st-nyc" {
			t.Errorf("store %s offered: only st-nyc is a pickup store near 10001", s.LocationID)
		}
	}
}
