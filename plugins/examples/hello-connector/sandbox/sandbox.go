package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/conformance"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// Token is the API token the sandbox accepts; WebhookSecret signs its webhooks.
const (
	Token         = "hello-token"
	WebhookSecret = "hello-webhook-secret"
)

// Limit is the sandbox's rate limit: PerSecond requests per second, Burst at once.
const (
	PerSecond = 40
	Burst     = 5
)

// Contact is a contact as the API sends it.
type Contact struct {
	ID        int       `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Server is a running sandbox.
type Server struct {
	*httptest.Server
	contacts []Contact
	limiter  *rate.Limiter
	n429     atomic.Int64

	mu      sync.Mutex
	applied map[string]bool // idempotency keys of stock writes applied
	writes  int
}

// Start starts a sandbox seeded with n contacts.
func Start(n int) *Server {
	s := &Server{limiter: rate.NewLimiter(PerSecond, Burst), applied: map[string]bool{}}
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		s.contacts = append(s.contacts, Contact{ID: i, Name: fmt.Sprintf("Contact %d", i), Email: fmt.Sprintf("c%d@example.com", i), UpdatedAt: base.Add(time.Duration(i) * time.Minute)})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/contacts", s.listContacts)
	mux.HandleFunc("POST /v1/stock", s.setStock)
	s.Server = httptest.NewServer(s.guard(mux))
	return s
}

// guard enforces the token and the rate limit, and reports the limit in headers.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(PerSecond))
		w.Header().Set("X-RateLimit-Burst", strconv.Itoa(Burst))
		if r.Header.Get("Authorization") != "Bearer "+Token {
			http.Error(w, `{"error":"invalid token"}`, http.StatusUnauthorized)
			return
		}
		if !s.limiter.Allow() {
			s.n429.Add(1)
			w.Header().Set("Retry-After", "0.2")
			http.Error(w, `{"error":"rate limited"}`, http.StatusTooManyRequests)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) {
	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 10
	}
	var page []Contact
	for _, c := range s.contacts {
		if c.ID > after && len(page) < limit {
			page = append(page, c)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"contacts": page})
}

func (s *Server) setStock(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		http.Error(w, `{"error":"Idempotency-Key required"}`, http.StatusBadRequest)
		return
	}
	var body struct {
		SKU       string `json:"sku"`
		Available int64  `json:"available"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.SKU == "" {
		http.Error(w, `{"error":"bad body"}`, http.StatusUnprocessableEntity)
		return
	}
	s.mu.Lock()
	if !s.applied[key] {
		s.applied[key] = true
		s.writes++
	}
	s.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]string{"id": "stock-" + body.SKU})
}

// Writes is the number of stock writes applied (idempotent repeats excluded).
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// Count429 is how many requests were refused for the rate limit.
func (s *Server) Count429() int { return int(s.n429.Load()) }

// WebhookBody is a delivery the sandbox would send: one updated contact.
func WebhookBody() []byte {
	b, _ := json.Marshal(map[string]any{"contact": Contact{ID: 7, Name: "Contact 7", Email: "c7@example.com", UpdatedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}})
	return b
}

// Sign returns the headers the sandbox sends with a webhook body.
func Sign(body []byte) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Hello-Signature", sdk.SignHMAC([]byte(WebhookSecret), body, sdk.Hex))
	return h
}

// Seeded is the number of contacts Conformance seeds.
const Seeded = 23

// Conformance starts a sandbox for the conformance suite.
func Conformance(_ context.Context, _ string) (*conformance.Sandbox, error) {
	s := Start(Seeded)
	cfg := func(url, token string) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"base_url": url, "token": token, "webhook_secret": WebhookSecret, "page_size": 5})
		return b
	}
	// A port nothing listens on: the unreachable host.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	inv, _ := json.Marshal(canonical.SetInventory{SKU: "TEE-1", LocationID: "LOC-1", Available: 5})
	inv2, _ := json.Marshal(canonical.SetInventory{SKU: "TEE-2", LocationID: "LOC-1", Available: 0})
	return &conformance.Sandbox{
		BaseURL:        s.URL,
		Config:         cfg(s.URL, Token),
		BadCredentials: cfg(s.URL, "wrong-token"),
		Unreachable:    cfg(dead, Token),
		Seeded:         map[string]int{"customers": Seeded},
		Write: []sdk.Command{
			{ID: "w1", Action: canonical.ActionSetInventory, IdempotencyKey: "inv-TEE-1-5", Payload: inv},
			{ID: "w2", Action: canonical.ActionSetInventory, IdempotencyKey: "inv-TEE-2-0", Payload: inv2},
		},
		Effects: func(context.Context) (int, error) { return s.Writes(), nil },
		Load: func(ctx context.Context, c sdk.Connector) error {
			// Two seconds of back-to-back full reads: far beyond the burst.
			r := c.(sdk.Reader)
			deadline := time.Now().Add(2 * time.Second)
			for time.Now().Before(deadline) {
				if err := r.Read(ctx, "customers", nil, func(sdk.Batch) error { return nil }); err != nil {
					return err
				}
			}
			return nil
		},
		Count429:    s.Count429,
		WebhookBody: WebhookBody(),
		SignWebhook: Sign,
		Close:       func() error { s.Close(); return nil },
	}, nil
}
