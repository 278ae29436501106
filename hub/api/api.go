package api

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"strings"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/crossdockhq/crossdock/hub/audit"
	"github.com/crossdockhq/crossdock/hub/auth"
	"github.com/crossdockhq/crossdock/hub/geo"
	"github.com/crossdockhq/crossdock/hub/inventory"
	"github.com/crossdockhq/crossdock/hub/locations"
	"github.com/crossdockhq/crossdock/hub/orders"
	"github.com/crossdockhq/crossdock/hub/store"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// Publisher publishes messages inside the caller's transaction; hub/bus's
// *Bus is one.
type Publisher interface {
	PublishTx(ctx context.Context, tx *sql.Tx, topic string, msgs ...*message.Message) error
}

// Auditor appends audit entries inside the caller's transaction; hub/audit's
// *Log is one.
type Auditor interface {
	Append(ctx context.Context, tx store.DBTX, e audit.Entry) error
}

// RoutingExplainer explains how an order was routed; the routing engine
// provides it. The value is served as the order's "routing" field.
type RoutingExplainer interface {
	ExplainRouting(ctx context.Context, db store.DBTX, orderID string) (any, error)
}

// RoutingExplainerFunc adapts a function to RoutingExplainer.
type RoutingExplainerFunc func(ctx context.Context, db store.DBTX, orderID string) (any, error)

// ExplainRouting calls f.
func (f RoutingExplainerFunc) ExplainRouting(ctx context.Context, db store.DBTX, orderID string) (any, error) {
	return f(ctx, db, orderID)
}

// Deps are what the API needs. DB, Tokens and Publisher are required; the
// others default to services built on DB with an empty configuration.
type Deps struct {
	DB        *store.DB
	Tokens    *auth.Tokens
	Publisher Publisher
	Audit     Auditor
	Inventory *inventory.Service
	Orders    *orders.Service
	Locations *locations.Service
	// Routing is optional; without it an order's "routing" is null.
	Routing RoutingExplainer
	// PickupOptions answers POST /api/v1/pickup-options (hub/routing's
	// handler); without it the route answers 404.
	PickupOptions http.Handler
	// Geocode finds a postal code's coordinate; geo.Lookup by default.
	Geocode locations.Geocoder
	Logger  *slog.Logger
}

type server struct {
	Deps
	mux    *http.ServeMux
	routes []route
}

// role requirement of a route.
type access int

const (
	public access = iota // no token (the OpenAPI document)
	read                 // any valid token
	change               // csr or admin
)

type route struct {
	method, path string
	access       access
	h            http.HandlerFunc
}

// New returns the API handler; mount it at "/" or under a mux that passes
// /api/v1/ through. It panics if a required dependency is missing (a wiring
// mistake, found at start-up).
func New(d Deps) http.Handler {
	if d.DB == nil || d.Tokens == nil || d.Publisher == nil {
		panic("api.New: DB, Tokens and Publisher are required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Inventory == nil {
		inv, err := inventory.New(d.DB.Dialect, inventory.Config{})
		if err != nil {
			panic(err)
		}
		d.Inventory = inv
	}
	if d.Orders == nil {
		d.Orders = orders.New(d.DB.Dialect, d.Inventory)
	}
	if d.Locations == nil {
		d.Locations = locations.New(d.DB.Dialect)
	}
	if d.Audit == nil {
		d.Audit = audit.New(d.DB)
	}
	if d.Geocode == nil {
		d.Geocode = geo.Lookup
	}
	s := &server{Deps: d, mux: http.NewServeMux()}
	s.routes = []route{
		{"GET", "/openapi.json", public, s.openAPI},
		{"GET", "/orders", read, s.searchOrders},
		{"GET", "/orders/{id}", read, s.getOrder},
		{"PUT", "/orders/{id}/shipping-address", change, s.changeAddress},
		{"POST", "/orders/{id}/cancel", change, s.cancelOrder},
		{"POST", "/orders/{id}/lines/{line_id}/cancel", change, s.cancelLine},
		{"POST", "/orders/{id}/notes", change, s.addNote},
		{"GET", "/inventory/{sku}", read, s.getInventory},
		{"GET", "/inventory/{sku}/nearby", read, s.nearby},
		{"GET", "/customers/{id}", read, s.getCustomer},
		{"GET", "/locations", read, s.listLocations},
		{"GET", "/locations/{id}", read, s.getLocation},
		{"POST", "/pickup-options", read, s.pickupOptions},
	}
	authn := auth.Middleware(d.Tokens, auth.WithLogger(d.Logger))
	csr := auth.Require(auth.RoleCSR)
	for _, rt := range s.routes {
		var h http.Handler = rt.h
		switch rt.access {
		case read:
			h = authn(h)
		case change:
			h = authn(csr(h))
		}
		s.mux.Handle(rt.method+" "+Prefix+rt.path, h)
	}
	return s
}

// Routes lists the routes the handler serves as "METHOD /api/v1/path", sorted;
// the OpenAPI test compares them with the document.
func Routes(h http.Handler) []string {
	s, ok := h.(*server)
	if !ok {
		return nil
	}
	var out []string
	for _, r := range s.routes {
		out = append(out, r.method+" "+Prefix+r.path)
	}
	sort.Strings(out)
	return out
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.Logger.Error("api handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
			writeError(w, http.StatusInternalServerError, "internal", "internal error", "")
		}
	}()
	if _, pattern := s.mux.Handler(r); pattern == "" {
		if !strings.HasPrefix(r.URL.Path, Prefix+"/") {
			writeError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.URL.Path, "")
			return
		}
		var allowed []string
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, p := s.mux.Handler(probe); p != "" {
				allowed = append(allowed, m)
			}
		}
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed here; use "+strings.Join(allowed, " or "), "")
			return
		}
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path, "")
		return
	}
	s.mux.ServeHTTP(w, r)
}

// errorBody is the shape of every error.
type errorBody struct {
	Error apiError `json:"error"`
}

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client may have gone; nothing to do
}

func writeError(w http.ResponseWriter, status int, code, message, field string) {
	writeJSON(w, status, errorBody{Error: apiError{Code: code, Message: message, Field: field}})
}

// fieldError is a request problem with the field it concerns.
type fieldError struct {
	status        int
	code, message string
	field         string
}

func (e *fieldError) Error() string { return e.message }

func badRequest(field, format string, args ...any) error {
	return &fieldError{status: http.StatusBadRequest, code: "bad_request", message: sprintf(format, args...), field: field}
}

func unprocessable(code, field, format string, args ...any) error {
	return &fieldError{status: http.StatusUnprocessableEntity, code: code, message: sprintf(format, args...), field: field}
}

// fail answers an error with its status; unexpected errors are logged and
// answered without detail.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		fe  *fieldError
		ie  *orders.InvalidError
		te  *orders.TransitionError
		ise *inventory.InsufficientStockError
	)
	switch {
	case errors.As(err, &fe):
		writeError(w, fe.status, fe.code, fe.message, fe.field)
	case errors.As(err, &ie):
		writeError(w, http.StatusUnprocessableEntity, "invalid", ie.Error(), ie.Field)
	case errors.As(err, &te):
		writeError(w, http.StatusConflict, "illegal_transition", te.Error(), "")
	case errors.As(err, &ise):
		writeError(w, http.StatusConflict, "insufficient_stock", ise.Error(), "")
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "conflict", "the resource was changed by someone else; reload it and try again", "")
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error(), "")
	case errors.Is(err, store.ErrBadCursor):
		writeError(w, http.StatusBadRequest, "bad_cursor", "the cursor is not one this API gave out", "cursor")
	case errors.Is(err, inventory.ErrInvalid):
		writeError(w, http.StatusUnprocessableEntity, "invalid", err.Error(), "")
	case errors.Is(err, context.Canceled):
		// The client went away; nothing useful to send.
	default:
		s.Logger.Error("api request failed", "method", r.Method, "path", r.URL.Path, "request_id", r.Header.Get("X-Request-Id"), "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error", "")
	}
}
