package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config configures a Server.
type Config struct {
	// Addr is the listen address, e.g. "127.0.0.1:8080"; port 0 picks one.
	Addr string
	// Gatherer serves /metrics; no /metrics when nil.
	Gatherer prometheus.Gatherer
	// Logger receives the server's errors.
	Logger *slog.Logger
	// ReadyTimeout bounds the readiness checks of one /readyz request; 2s when zero.
	ReadyTimeout time.Duration
}

// Check is a readiness check: nil when the part it checks can serve.
type Check func(ctx context.Context) error

// Server is the hub's HTTP server.
type Server struct {
	cfg    Config
	mux    *http.ServeMux
	srv    *http.Server
	logger *slog.Logger

	mu     sync.Mutex
	checks map[string]Check
	ln     net.Listener
	done   chan struct{}
	err    error
}

// New returns a server with /healthz, /readyz and /metrics mounted.
func New(cfg Config) *Server {
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 2 * time.Second
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), logger: logger.With("component", "http"), checks: map[string]Check{}}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if cfg.Gatherer != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{ErrorLog: slogErrorLog{s.logger}}))
	}
	s.srv = &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	return s
}

// Handle mounts h on pattern (net/http ServeMux patterns, e.g. "/api/" or
// "POST /webhooks/{instance}"). Mount before Start.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// AddReadyCheck adds a readiness check under name; /readyz fails while it fails.
func (s *Server) AddReadyCheck(name string, c Check) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks[name] = c
}

// Handler returns the server's handler, for tests.
func (s *Server) Handler() http.Handler { return s.mux }

// Start binds the listener and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("http: listen on %s: %w", s.cfg.Addr, err)
	}
	s.mu.Lock()
	s.ln = ln
	s.done = make(chan struct{})
	s.mu.Unlock()
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error("http server stopped", "err", err)
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
		}
	}()
	return nil
}

// Addr is the address the server listens on, once started.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Shutdown stops the server gracefully within ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done != nil {
		<-done
	}
	if err != nil {
		return fmt.Errorf("http: shutdown: %w", err)
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	names := make([]string, 0, len(s.checks))
	for n := range s.checks {
		names = append(names, n)
	}
	checks := make(map[string]Check, len(s.checks))
	for n, c := range s.checks {
		checks[n] = c
	}
	s.mu.Unlock()
	sort.Strings(names)
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ReadyTimeout)
	defer cancel()
	res := readiness{Status: "ready", Checks: map[string]string{}}
	code := http.StatusOK
	for _, n := range names {
		if err := checks[n](ctx); err != nil {
			res.Checks[n] = err.Error()
			res.Status = "not ready"
			code = http.StatusServiceUnavailable
			continue
		}
		res.Checks[n] = "ok"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(res)
}

// slogErrorLog adapts a logger to promhttp's error log.
type slogErrorLog struct{ l *slog.Logger }

func (e slogErrorLog) Println(v ...any) { e.l.Error(fmt.Sprint(v...)) }
