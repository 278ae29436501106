package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"
)

// Config configures a sandbox shop. The zero value is usable: a Standard-plan
// shop "crossdock-sandbox.myshopify.com" in USD accepting the access token
// "shpat_sandbox", with no data and no webhooks.
type Config struct {
	// ShopDomain is the shop's myshopify domain.
	ShopDomain string
	// ShopName is the shop's display name.
	ShopName string
	// Currency is the shop currency (ISO 4217), default USD.
	Currency string
	// APIVersion is echoed in X-Shopify-API-Version and webhook headers; any
	// YYYY-MM version in the path is served.
	APIVersion string
	// AccessTokens are the static Admin API access tokens accepted.
	AccessTokens []string
	// ClientID and ClientSecret enable the client-credentials grant at
	// POST /admin/oauth/access_token; the tokens it issues expire after TokenTTL.
	ClientID, ClientSecret string
	// TokenTTL is the lifetime of client-credentials tokens (Shopify: 24h).
	TokenTTL time.Duration
	// Plan sets the GraphQL cost budget (bucket size and restore rate).
	Plan Plan
	// WebhookURL, when set, receives signed webhooks on every state change.
	WebhookURL string
	// WebhookSecret signs webhooks (the app's client secret on Shopify).
	WebhookSecret string
	// WebhookTopics are the topics the app subscribed to (e.g.
	// "orders/create"); empty means every topic the sandbox sends.
	WebhookTopics []string
	// Seed is the initial data; nil starts empty.
	Seed *Seed
	// OrderEvery, when positive, places a generated order at that interval
	// once Listen has been called (the demo's steady stream of orders).
	OrderEvery time.Duration
	// Faults injects failures at random rates (see also Server.Inject).
	Faults FaultRates
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger logs requests at debug level; nil discards.
	Logger *slog.Logger
	// HTTPClient delivers webhooks; nil uses a client with a 10s timeout.
	HTTPClient *http.Client
}

func (c *Config) setDefaults() {
	if c.ShopDomain == "" {
		c.ShopDomain = "crossdock-sandbox.myshopify.com"
	}
	if c.ShopName == "" {
		c.ShopName = "Crossdock Sandbox"
	}
	if c.Currency == "" {
		c.Currency = "USD"
	}
	if c.APIVersion == "" {
		c.APIVersion = "2025-01"
	}
	if len(c.AccessTokens) == 0 && c.ClientID == "" {
		c.AccessTokens = []string{"shpat_sandbox"}
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = 24 * time.Hour
	}
	if c.Plan.RestoreRate == 0 {
		c.Plan = PlanStandard
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
}

// Stats are the sandbox's counters, for tests and the demo's narration.
type Stats struct {
	// Requests counts GraphQL requests that passed authentication.
	Requests int64
	// Throttled counts THROTTLED replies.
	Throttled int64
	// CostSpent is the sum of actual query costs charged.
	CostSpent int64
	// InventoryWrites counts quantities set through inventorySetQuantities.
	InventoryWrites int64
	// Unauthorized counts 401 replies.
	Unauthorized int64
	// Faults counts injected faults.
	Faults int64
}

type counters struct {
	requests, throttled, cost, inventoryWrites, unauthorized, faults int64
}

// Server is a stateful fake Shopify shop. It is an http.Handler; Listen
// serves it on a TCP address.
type Server struct {
	cfg Config
	// dupNext holds topics whose next webhook is delivered twice (DuplicateNext).
	dupNext    map[string]int
	schema     *graphql.Schema
	coster     *coster
	bucket     *bucket
	faults     *faultState
	httpClient *http.Client

	mu         sync.Mutex // guards state, stats, webhooks, tokens
	st         *state
	stores     []int64 // location ids of retail stores
	stats      counters
	tokens     map[string]time.Time
	rng        *rand.Rand
	pending    []*Webhook
	sent       []Webhook
	webhookSeq int64
	// outstanding counts queued deliveries not yet finished.
	outstanding int
	idle        *sync.Cond

	wake        chan struct{}
	cancel      context.CancelFunc
	deliverDone chan struct{}
	httpSrv     *http.Server
	listener    net.Listener
	closeOnce   sync.Once
}

// New builds a sandbox shop from cfg and starts its webhook sender.
func New(cfg Config) *Server {
	cfg.setDefaults()
	s := &Server{
		cfg:         cfg,
		st:          newState(),
		tokens:      map[string]time.Time{},
		wake:        make(chan struct{}, 1),
		deliverDone: make(chan struct{}),
		httpClient:  cfg.HTTPClient,
	}
	s.idle = sync.NewCond(&s.mu)
	seed := int64(1)
	if cfg.Seed != nil && cfg.Seed.RandomSeed != 0 {
		seed = cfg.Seed.RandomSeed
	}
	s.rng = rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	s.faults = newFaultState(cfg.Faults, seed)
	s.schema = graphql.MustParseSchema(schemaSDL, &rootResolver{s}, graphql.MaxParallelism(1))
	s.coster = &coster{schema: s.schema.ASTSchema()}
	s.bucket = newBucket(cfg.Plan, cfg.Now)
	for _, t := range cfg.AccessTokens {
		s.tokens[t] = time.Time{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if cfg.Seed != nil {
		s.mu.Lock()
		s.applySeed(*cfg.Seed)
		s.mu.Unlock()
	}
	go s.deliverLoop(ctx)
	return s
}

func (s *Server) now() time.Time { return s.cfg.Now().UTC() }

// Config returns the effective configuration (defaults applied).
func (s *Server) Config() Config { return s.cfg }

// Listen serves the sandbox on addr ("127.0.0.1:0" picks a free port) and
// returns its base URL, e.g. "http://127.0.0.1:41234".
func (s *Server) Listen(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("sandbox: listen %s: %w", addr, err)
	}
	s.listener = ln
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.httpSrv.Serve(ln) }()
	if s.cfg.OrderEvery > 0 {
		go s.orderStream()
	}
	return "http://" + ln.Addr().String(), nil
}

func (s *Server) orderStream() {
	t := time.NewTicker(s.cfg.OrderEvery)
	defer t.Stop()
	for {
		select {
		case <-s.deliverDone:
			return
		case <-t.C:
			s.PlaceRandomOrder()
		}
	}
}

// Close stops serving and the webhook sender. It is safe to call twice.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if s.httpSrv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			err = s.httpSrv.Shutdown(ctx)
		}
		s.cancel()
		<-s.deliverDone
	})
	return err
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.stats
	return Stats{Requests: c.requests, Throttled: c.throttled, CostSpent: c.cost, InventoryWrites: c.inventoryWrites, Unauthorized: c.unauthorized, Faults: c.faults}
}

// FlushWebhooks waits until every queued webhook has been delivered (or given
// up on), or ctx ends.
func (s *Server) FlushWebhooks(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		s.mu.Lock()
		for s.outstanding > 0 {
			s.idle.Wait()
		}
		s.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		s.idle.Broadcast()
		s.mu.Unlock()
		return ctx.Err()
	}
}

// SentWebhooks returns a copy of the deliveries made so far, in order.
func (s *Server) SentWebhooks() []Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Webhook(nil), s.sent...)
}

var graphqlPath = regexp.MustCompile(`^/admin/api/(\d{4}-\d{2}|unstable)/graphql\.json$`)

// ServeHTTP serves POST /admin/api/{version}/graphql.json and
// POST /admin/oauth/access_token.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Request-Id", strconv.FormatInt(time.Now().UnixNano(), 36))
	switch {
	case r.URL.Path == "/admin/oauth/access_token" && r.Method == http.MethodPost:
		s.serveToken(w, r)
	case graphqlPath.MatchString(r.URL.Path):
		if r.Method != http.MethodPost {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"errors": "Method Not Allowed"})
			return
		}
		w.Header().Set("X-Shopify-API-Version", graphqlPath.FindStringSubmatch(r.URL.Path)[1])
		s.serveGraphQL(w, r)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": "Not Found"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// serveToken implements the client-credentials grant (shopify.dev
// "client credentials grant"): form-encoded grant_type, client_id,
// client_secret; the reply is {"access_token","scope","expires_in"}.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request", "error_description": "malformed form"})
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials"})
		return
	}
	if s.cfg.ClientID == "" || r.PostForm.Get("client_id") != s.cfg.ClientID || r.PostForm.Get("client_secret") != s.cfg.ClientSecret {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_client", "error_description": "Client authentication failed"})
		return
	}
	s.mu.Lock()
	tok := fmt.Sprintf("shpat_cc_%016x", s.rng.Uint64())
	s.tokens[tok] = s.now().Add(s.cfg.TokenTTL)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"scope":        "read_orders,write_orders,read_products,write_products,read_inventory,write_inventory,read_locations,write_fulfillments,write_publications",
		"expires_in":   int64(s.cfg.TokenTTL.Seconds()),
	})
}

// ExpireTokens makes every client-credentials token expired (tests of refresh).
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t, exp := range s.tokens {
		if !exp.IsZero() {
			s.tokens[t] = s.now().Add(-time.Second)
		}
	}
}

func (s *Server) authorized(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[tok]
	if !ok {
		return false
	}
	return exp.IsZero() || s.now().Before(exp)
}

type gqlRequest struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	// The 401 body is REST-style, as Shopify answers an unknown token on the
	// GraphQL endpoint too.
	if !s.authorized(r.Header.Get("X-Shopify-Access-Token")) {
		s.mu.Lock()
		s.stats.unauthorized++
		s.mu.Unlock()
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
		return
	}
	if s.injectFault(w, r) {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	var req gqlRequest
	if err == nil {
		d := json.NewDecoder(strings.NewReader(string(body)))
		err = d.Decode(&req)
	}
	if err != nil || strings.TrimSpace(req.Query) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]any{"query": "Required parameter missing or invalid"}})
		return
	}
	s.mu.Lock()
	s.stats.requests++
	s.mu.Unlock()

	doc, perr := parseForCost(req.Query, req.OperationName, req.Variables)
	requested := 0
	if perr == nil {
		requested = s.coster.requested(doc)
	}
	if requested > maxSingleCost {
		st := s.bucket.refund(0)
		writeJSON(w, http.StatusOK, map[string]any{
			"errors": []map[string]any{{
				"message":    fmt.Sprintf("Query cost is %d, which exceeds the single query max cost limit (%d).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations should be used instead.\nSee https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n", requested, maxSingleCost),
				"extensions": map[string]any{"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": maxSingleCost},
			}},
			"extensions": map[string]any{"cost": map[string]any{"requestedQueryCost": requested, "actualQueryCost": nil, "throttleStatus": st}},
		})
		return
	}
	forced := s.faults.take(FaultThrottle)
	if forced {
		s.bucket.drain()
	}
	ok, st := s.bucket.take(requested)
	if !ok {
		s.mu.Lock()
		s.stats.throttled++
		s.mu.Unlock()
		// Throttled replies are HTTP 200 with a THROTTLED error and no data.
		writeJSON(w, http.StatusOK, map[string]any{
			"errors": []map[string]any{{
				"message":    "Throttled",
				"extensions": map[string]any{"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
			}},
			"extensions": map[string]any{"cost": map[string]any{"requestedQueryCost": requested, "actualQueryCost": nil, "throttleStatus": st}},
		})
		return
	}

	s.mu.Lock()
	resp := s.schema.Exec(r.Context(), req.Query, req.OperationName, req.Variables)
	s.mu.Unlock()

	actual := requested
	if doc != nil && len(resp.Data) > 0 {
		actual = s.coster.actual(doc, resp.Data)
		if actual > requested {
			actual = requested
		}
	}
	if len(resp.Data) == 0 || string(resp.Data) == "null" {
		actual = 0 // a document that fails validation costs nothing
	}
	st = s.bucket.refund(requested - actual)
	s.mu.Lock()
	s.stats.cost += int64(actual)
	s.mu.Unlock()

	out := map[string]any{}
	if len(resp.Data) > 0 {
		out["data"] = resp.Data
	}
	if len(resp.Errors) > 0 {
		out["errors"] = shopifyErrors(resp.Errors)
	}
	out["extensions"] = map[string]any{"cost": map[string]any{
		"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": st,
	}}
	if s.faults.take(FaultMalformed) {
		s.countFault()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		raw, _ := json.Marshal(out)
		_, _ = w.Write(raw[:len(raw)/2])
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func shopifyErrors(errs []*gqlerrors.QueryError) []map[string]any {
	out := make([]map[string]any, 0, len(errs))
	for _, e := range errs {
		m := map[string]any{"message": e.Message}
		if len(e.Locations) > 0 {
			m["locations"] = e.Locations
		}
		if len(e.Path) > 0 {
			m["path"] = e.Path
		}
		ext := map[string]any{}
		for k, v := range e.Extensions {
			ext[k] = v
		}
		if e.Rule != "" {
			ext["code"] = "GRAPHQL_VALIDATION_FAILED"
		}
		if len(ext) > 0 {
			m["extensions"] = ext
		}
		out = append(out, m)
	}
	return out
}
