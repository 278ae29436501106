package api

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/audit"
	"github.com/crossdockhq/crossdock/hub/auth"
	"github.com/crossdockhq/crossdock/hub/egress"
	"github.com/crossdockhq/crossdock/hub/geo"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/locations"
	"github.com/crossdockhq/crossdock/hub/orders"
	"github.com/crossdockhq/crossdock/hub/store"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// orderSummary is an order in a list.
type orderSummary struct {
	ID            string                `json:"id"`
	Channel       string                `json:"channel"`
	ExternalID    string                `json:"external_id"`
	Number        string                `json:"number,omitempty"`
	Status        canonical.OrderStatus `json:"status"`
	CustomerEmail string                `json:"customer_email,omitempty"`
	PlacedAt      time.Time             `json:"placed_at"`
	Total         canonical.Money       `json:"total"`
	Lines         int                   `json:"lines"`
	Version       int64                 `json:"version"`
}

func summarize(row store.OrderRow) orderSummary {
	o := row.Order
	s := orderSummary{ID: o.ID, Channel: o.Channel, ExternalID: o.ExternalID, Number: o.Number, Status: o.Status,
		PlacedAt: o.PlacedAt, Total: o.Totals.Total, Lines: len(o.Lines), Version: row.Version}
	if o.Customer != nil {
		s.CustomerEmail = o.Customer.Email
	}
	return s
}

type orderPage struct {
	Orders     []orderSummary `json:"orders"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

func parseLimit(q string) (int, error) {
	if q == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 || n > 500 {
		return 0, badRequest("limit", "limit must be a whole number from 1 to 500")
	}
	return n, nil
}

func parseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, badRequest(field, "%s must be an RFC 3339 time like 2026-01-31T00:00:00Z", field)
	}
	return t, nil
}

func (s *server) searchOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "channel", "status", "customer_email", "external_id", "placed_from", "placed_to", "limit", "cursor":
		default:
			s.fail(w, r, badRequest(k, "unknown query parameter %q", k))
			return
		}
	}
	query := store.OrderQuery{Channel: q.Get("channel"), Status: q.Get("status"), CustomerEmail: q.Get("customer_email"),
		ExternalID: q.Get("external_id"), Cursor: q.Get("cursor")}
	if st := query.Status; st != "" {
		if _, ok := orders.Transitions[canonical.OrderStatus(st)]; !ok {
			s.fail(w, r, badRequest("status", "status %q is not one of pending, confirmed, allocated, partially_fulfilled, fulfilled, cancelled, returned", st))
			return
		}
	}
	var err error
	if query.Limit, err = parseLimit(q.Get("limit")); err != nil {
		s.fail(w, r, err)
		return
	}
	if query.PlacedFrom, err = parseTime("placed_from", q.Get("placed_from")); err != nil {
		s.fail(w, r, err)
		return
	}
	if query.PlacedTo, err = parseTime("placed_to", q.Get("placed_to")); err != nil {
		s.fail(w, r, err)
		return
	}
	rows, next, err := s.Orders.Repo().Search(r.Context(), s.DB, query)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := orderPage{Orders: []orderSummary{}, NextCursor: next}
	for _, row := range rows {
		page.Orders = append(page.Orders, summarize(row))
	}
	writeJSON(w, http.StatusOK, page)
}

// orderDetail is one order with everything the hub knows about it.
type orderDetail struct {
	Order        canonical.Order         `json:"order"`
	Version      int64                   `json:"version"`
	CustomerID   string                  `json:"customer_id,omitempty"`
	Reservations []inventory.Reservation `json:"reservations"`
	Allocations  []canonical.Allocation  `json:"allocations"`
	Shipments    []canonical.Shipment    `json:"shipments"`
	History      []store.HistoryEntry    `json:"history"`
	Notes        []orders.Note           `json:"notes"`
	// Routing is the routing engine's explanation, null when there is none.
	Routing any `json:"routing"`
}

func (s *server) detail(ctx context.Context, db store.DBTX, id string) (orderDetail, error) {
	row, err := s.Orders.Get(ctx, db, id)
	if err != nil {
		return orderDetail{}, err
	}
	d := orderDetail{Order: row.Order, Version: row.Version, CustomerID: row.CustomerID}
	if d.Reservations, err = s.Inventory.OrderReservations(ctx, db, id); err != nil {
		return d, err
	}
	if d.Allocations, err = (store.Allocations{Dialect: s.DB.Dialect}).ByOrder(ctx, db, id); err != nil {
		return d, err
	}
	if d.Shipments, err = (store.Shipments{Dialect: s.DB.Dialect}).ByOrder(ctx, db, id); err != nil {
		return d, err
	}
	if d.History, err = s.Orders.Repo().History(ctx, db, id); err != nil {
		return d, err
	}
	d.Notes = orders.Notes(d.History)
	if s.Routing != nil {
		if d.Routing, err = s.Routing.ExplainRouting(ctx, db, id); err != nil {
			return d, err
		}
	}
	if d.Reservations == nil {
		d.Reservations = []inventory.Reservation{}
	}
	if d.Allocations == nil {
		d.Allocations = []canonical.Allocation{}
	}
	if d.Shipments == nil {
		d.Shipments = []canonical.Shipment{}
	}
	if d.History == nil {
		d.History = []store.HistoryEntry{}
	}
	return d, nil
}

func (s *server) getOrder(w http.ResponseWriter, r *http.Request) {
	d, err := s.detail(r.Context(), s.DB, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(d.Version, 10)))
	writeJSON(w, http.StatusOK, d)
}

// ifMatch reads the expected version from If-Match ("3" or 3); 0 when absent.
func ifMatch(r *http.Request) (int64, error) {
	v := strings.Trim(strings.TrimSpace(r.Header.Get("If-Match")), `"`)
	if v == "" || v == "*" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, badRequest("If-Match", "If-Match must be the order's version from its ETag")
	}
	return n, nil
}

// decodeOptional is decode for a body that may be absent.
func decodeOptional(r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	err := decode(r, v)
	var fe *fieldError
	if errors.As(err, &fe) && fe.message == emptyBody {
		return nil
	}
	return err
}

const emptyBody = "the request needs a JSON body"

// decode reads a JSON body strictly into v.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.EOF):
			return badRequest("", emptyBody)
		case errors.As(err, &ute):
			return badRequest(ute.Field, "%s must be a %s", ute.Field, ute.Type.Kind())
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return badRequest(f, "unknown field %q", f)
		default:
			return badRequest("", "the body is not valid JSON")
		}
	}
	return nil
}

// write runs a change in one transaction with its audit entry and the
// commands it causes, then answers with the order as it now is.
func (s *server) write(w http.ResponseWriter, r *http.Request, action string, status int,
	f func(ctx context.Context, tx *sql.Tx, actor string, version int64) (orders.Change, any, error)) {
	ctx := r.Context()
	version, err := ifMatch(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, _ := auth.PrincipalFrom(ctx)
	actor := p.Actor()
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	id := r.PathValue("id")
	ch, extra, err := f(ctx, tx, actor, version)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: action, Subject: "order:" + id,
		Before: ch.Before, After: ch.After, RemoteAddr: r.RemoteAddr}); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.publish(ctx, tx, ch.Commands); err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.detail(ctx, tx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := tx.Commit(); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(d.Version, 10)))
	if extra != nil {
		writeJSON(w, status, extra)
		return
	}
	writeJSON(w, status, d)
}

// publish sends commands to their topics in tx, in order, grouped by topic.
func (s *server) publish(ctx context.Context, tx *sql.Tx, cmds []inventory.Command) error {
	return Publish(ctx, s.Publisher, tx, cmds)
}

// Publish turns commands into bus messages (egress.NewCommand) and publishes
// them with p in tx, keeping their order within each topic.
func Publish(ctx context.Context, p Publisher, tx *sql.Tx, cmds []inventory.Command) error {
	var topics []string
	byTopic := map[string][]*message.Message{}
	for _, c := range inventory.Coalesce(cmds) {
		m, err := egress.NewCommand(c.Command)
		if err != nil {
			return fmt.Errorf("publish command: %w", err)
		}
		if _, ok := byTopic[c.Topic]; !ok {
			topics = append(topics, c.Topic)
		}
		byTopic[c.Topic] = append(byTopic[c.Topic], m)
	}
	for _, t := range topics {
		if err := p.PublishTx(ctx, tx, t, byTopic[t]...); err != nil {
			return fmt.Errorf("publish to %s: %w", t, err)
		}
	}
	return nil
}

func (s *server) changeAddress(w http.ResponseWriter, r *http.Request) {
	var addr canonical.Address
	if err := decode(r, &addr); err != nil {
		s.fail(w, r, err)
		return
	}
	s.write(w, r, "order.change_address", http.StatusOK, func(ctx context.Context, tx *sql.Tx, actor string, v int64) (orders.Change, any, error) {
		ch, err := s.Orders.ChangeShippingAddress(ctx, tx, r.PathValue("id"), addr, v, actor)
		return ch, nil, err
	})
}

type cancelBody struct {
	Reason  string `json:"reason"`
	Restock *bool  `json:"restock"`
	Refund  *bool  `json:"refund"`
}

func (s *server) cancelOrder(w http.ResponseWriter, r *http.Request) {
	var b cancelBody
	if err := decodeOptional(r, &b); err != nil {
		s.fail(w, r, err)
		return
	}
	req := orders.CancelRequest{Reason: b.Reason, Restock: b.Restock == nil || *b.Restock, Refund: b.Refund == nil || *b.Refund}
	s.write(w, r, "order.cancel", http.StatusOK, func(ctx context.Context, tx *sql.Tx, actor string, v int64) (orders.Change, any, error) {
		ch, err := s.Orders.Cancel(ctx, tx, r.PathValue("id"), req, v, actor)
		return ch, nil, err
	})
}

type cancelLineBody struct {
	Quantity int64  `json:"quantity"`
	Reason   string `json:"reason"`
}

func (s *server) cancelLine(w http.ResponseWriter, r *http.Request) {
	var b cancelLineBody
	if err := decodeOptional(r, &b); err != nil {
		s.fail(w, r, err)
		return
	}
	if b.Quantity < 0 {
		s.fail(w, r, unprocessable("invalid", "quantity", "quantity must not be negative"))
		return
	}
	s.write(w, r, "order.cancel_line", http.StatusOK, func(ctx context.Context, tx *sql.Tx, actor string, v int64) (orders.Change, any, error) {
		ch, err := s.Orders.CancelLine(ctx, tx, r.PathValue("id"), r.PathValue("line_id"), b.Quantity, b.Reason, v, actor)
		return ch, nil, err
	})
}

type noteBody struct {
	Body string `json:"body"`
}

func (s *server) addNote(w http.ResponseWriter, r *http.Request) {
	var b noteBody
	if err := decode(r, &b); err != nil {
		s.fail(w, r, err)
		return
	}
	s.write(w, r, "order.note", http.StatusCreated, func(ctx context.Context, tx *sql.Tx, actor string, v int64) (orders.Change, any, error) {
		n, ch, err := s.Orders.AddNote(ctx, tx, r.PathValue("id"), b.Body, v, actor)
		return ch, n, err
	})
}

func (s *server) getInventory(w http.ResponseWriter, r *http.Request) {
	v, err := s.Inventory.View(r.Context(), s.DB, r.PathValue("sku"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(v.Levels) == 0 {
		s.fail(w, r, &store.NotFoundError{Entity: "sku", ID: v.SKU})
		return
	}
	writeJSON(w, http.StatusOK, v)
}

type nearbyLocation struct {
	LocationID   string                 `json:"location_id"`
	Name         string                 `json:"name"`
	Type         canonical.LocationType `json:"type"`
	Address      canonical.Address      `json:"address"`
	Capabilities []canonical.Capability `json:"capabilities"`
	DistanceKM   float64                `json:"distance_km"`
	ATP          int64                  `json:"atp"`
}

type nearbyResult struct {
	SKU       string             `json:"sku"`
	Origin    canonical.GeoPoint `json:"origin"`
	RadiusKM  float64            `json:"radius_km"`
	Locations []nearbyLocation   `json:"locations"`
}

func (s *server) nearby(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	postal, country := q.Get("postal_code"), q.Get("country")
	if country == "" {
		country = "US"
	}
	if postal == "" {
		s.fail(w, r, badRequest("postal_code", "postal_code is required"))
		return
	}
	radius := 50.0
	if v := q.Get("radius_km"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f > 5000 {
			s.fail(w, r, badRequest("radius_km", "radius_km must be a number above 0 and at most 5000"))
			return
		}
		radius = f
	}
	origin, err := s.Geocode(country, postal)
	if err != nil {
		field, code := "postal_code", "unknown_postal_code"
		if errors.Is(err, geo.ErrUnsupportedCountry) {
			field, code = "country", "unsupported_country"
		}
		s.fail(w, r, unprocessable(code, field, "%v", err))
		return
	}
	ctx := r.Context()
	sku := r.PathValue("sku")
	levels, err := s.Inventory.Levels(ctx, s.DB, sku)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	atp := map[string]int64{}
	for _, l := range levels {
		atp[l.LocationID] = l.ATP
	}
	all, err := s.Locations.List(ctx, s.DB)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res := nearbyResult{SKU: sku, Origin: origin, RadiusKM: radius, Locations: []nearbyLocation{}}
	for _, n := range locations.Nearby(all, origin, radius, func(l store.LocationRow) bool { return atp[l.ID] > 0 }) {
		l := n.Location
		res.Locations = append(res.Locations, nearbyLocation{LocationID: l.ID, Name: l.Name, Type: l.Type, Address: l.Address,
			Capabilities: l.Capabilities, DistanceKM: float64(int64(n.DistanceKM*10+0.5)) / 10, ATP: atp[l.ID]})
	}
	writeJSON(w, http.StatusOK, res)
}

type customerResult struct {
	Customer   canonical.Customer `json:"customer"`
	Orders     []orderSummary     `json:"orders"`
	NextCursor string             `json:"next_cursor,omitempty"`
}

func (s *server) getCustomer(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	repo := store.Customers{Dialect: s.DB.Dialect}
	var c canonical.Customer
	var err error
	if strings.Contains(id, "@") {
		c, err = repo.GetByEmail(ctx, s.DB, id)
	} else {
		c, err = repo.Get(ctx, s.DB, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit, err := parseLimit(r.URL.Query().Get("limit"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows, next, err := s.Orders.Repo().Search(ctx, s.DB, store.OrderQuery{CustomerID: c.ID, Limit: limit, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res := customerResult{Customer: c, Orders: []orderSummary{}, NextCursor: next}
	for _, row := range rows {
		res.Orders = append(res.Orders, summarize(row))
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *server) listLocations(w http.ResponseWriter, r *http.Request) {
	all, err := s.Locations.List(r.Context(), s.DB)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if all == nil {
		all = []store.LocationRow{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"locations": all})
}

type locationResult struct {
	store.LocationRow
	CapacityToday locations.Capacity `json:"capacity_today"`
}

func (s *server) getLocation(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	l, err := s.Locations.Get(ctx, s.DB, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.Locations.CapacityToday(ctx, s.DB, l.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, locationResult{LocationRow: l, CapacityToday: c})
}

// pickupOptions hands the request to the routing's pickup offer, behind the
// API's authentication, so storefronts use one token and one OpenAPI document.
func (s *server) pickupOptions(w http.ResponseWriter, r *http.Request) {
	if s.PickupOptions == nil {
		s.fail(w, r, &store.NotFoundError{Entity: "route", ID: "pickup-options (the hub has no routing configured)"})
		return
	}
	s.PickupOptions.ServeHTTP(w, r)
}
