package sandbox

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Fault is a kind of failure the sandbox can inject.
type Fault string

// Injectable faults.
const (
	// FaultServerError answers 503 with Shopify's JSON error body.
	FaultServerError Fault = "server_error"
	// FaultSlow delays the reply by FaultRates.SlowDelay (default 2s).
	FaultSlow Fault = "slow"
	// FaultDrop closes the connection without a reply.
	FaultDrop Fault = "drop"
	// FaultMalformed answers 200 with a truncated JSON body.
	FaultMalformed Fault = "malformed"
	// FaultThrottle empties the cost bucket so the request is THROTTLED.
	FaultThrottle Fault = "throttle"
	// FaultDuplicateWebhook delivers the next webhook twice with the same id.
	FaultDuplicateWebhook Fault = "duplicate_webhook"
)

// FaultRates are random fault probabilities per request (0..1), drawn from a
// generator seeded by the Seed's RandomSeed so runs repeat.
type FaultRates struct {
	// ServerError is the share of requests answered 503.
	ServerError float64 `json:"server_error,omitempty"`
	// Slow is the share of requests delayed by SlowDelay (default 2s).
	Slow      float64       `json:"slow,omitempty"`
	SlowDelay time.Duration `json:"slow_delay,omitempty"`
	// Drop is the share of connections closed without a reply.
	Drop float64 `json:"drop,omitempty"`
	// Malformed is the share of replies cut off mid-JSON.
	Malformed float64 `json:"malformed,omitempty"`
	// Throttle is the share of requests that find the bucket emptied.
	Throttle float64 `json:"throttle,omitempty"`
	// DuplicateWebhook is the share of webhooks delivered twice.
	DuplicateWebhook float64 `json:"duplicate_webhook,omitempty"`
}

type faultState struct {
	mu    sync.Mutex
	rates FaultRates
	next  map[Fault]int
	rng   *rand.Rand
}

func newFaultState(r FaultRates, seed int64) *faultState {
	if r.SlowDelay == 0 {
		r.SlowDelay = 2 * time.Second
	}
	return &faultState{rates: r, next: map[Fault]int{}, rng: rand.New(rand.NewPCG(uint64(seed), 0xfa017))}
}

// take reports whether fault f fires now: a queued injection first, then the
// random rate.
func (f *faultState) take(k Fault) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.next[k] > 0 {
		f.next[k]--
		return true
	}
	var rate float64
	switch k {
	case FaultServerError:
		rate = f.rates.ServerError
	case FaultSlow:
		rate = f.rates.Slow
	case FaultDrop:
		rate = f.rates.Drop
	case FaultMalformed:
		rate = f.rates.Malformed
	case FaultThrottle:
		rate = f.rates.Throttle
	case FaultDuplicateWebhook:
		rate = f.rates.DuplicateWebhook
	}
	return rate > 0 && f.rng.Float64() < rate
}

// Inject makes the next n requests (or webhooks, for FaultDuplicateWebhook)
// suffer fault f, deterministically.
func (s *Server) Inject(f Fault, n int) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.next[f] += n
}

// SetFaultRates replaces the random fault rates.
func (s *Server) SetFaultRates(r FaultRates) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if r.SlowDelay == 0 {
		r.SlowDelay = 2 * time.Second
	}
	s.faults.rates = r
}

func (s *Server) countFault() {
	s.mu.Lock()
	s.stats.faults++
	s.mu.Unlock()
}

// injectFault applies the request-level faults; it reports whether the
// request has been answered (or dropped).
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) bool {
	if s.faults.take(FaultSlow) {
		s.countFault()
		s.faults.mu.Lock()
		d := s.faults.rates.SlowDelay
		s.faults.mu.Unlock()
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return true
		}
	}
	if s.faults.take(FaultDrop) {
		s.countFault()
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	}
	if s.faults.take(FaultServerError) {
		s.countFault()
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"errors": "Service Unavailable"})
		return true
	}
	return false
}
