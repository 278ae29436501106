package sdk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
	"golang.org/x/time/rate"
)

// LimitsFunc reads a platform's rate-limit headers from a response and returns
// the pace to keep: requests per second and burst. ok is false when the
// response says nothing about limits. Shopify's X-Shopify-Shop-Api-Call-Limit
// ("32/40") or Amazon's x-amzn-RateLimit-Limit are read by such a hook.
type LimitsFunc func(h http.Header) (perSecond float64, burst int, ok bool)

// HTTPConfig configures NewHTTPClient.
type HTTPConfig struct {
	// BaseURL prefixes relative request URLs.
	BaseURL string
	// PerSecond and Burst are the initial pace (the platform's documented
	// limit); zero PerSecond means unpaced until Limits says otherwise.
	PerSecond float64
	Burst     int
	// Limits adapts the pace from each response's headers; optional.
	Limits LimitsFunc
	// MaxRetries is how many times a request is retried after a 429, a 5xx or
	// a timeout; default 4. Other 4xx are never retried.
	MaxRetries int
	// MinBackoff and MaxBackoff bound the wait between retries (exponential with
	// jitter when the response has no Retry-After); defaults 250ms and 30s.
	MinBackoff, MaxBackoff time.Duration
	// Timeout bounds one attempt; default 30s.
	Timeout time.Duration
	// IdempotencyHeader is the header WithIdempotencyKey sets; default
	// "Idempotency-Key".
	IdempotencyHeader string
	// Token, when set, supplies a bearer token for every request (for example
	// (*ClientCredentials).Token).
	Token func(ctx context.Context) (string, error)
	// Logger receives one debug line per request and response, secrets
	// redacted; nil logs nothing.
	Logger *slog.Logger
	// SecretHeaders are further header names whose values are redacted in logs
	// (Authorization, Cookie, Set-Cookie and any header whose name contains
	// token, secret, key, signature, hmac or password always are).
	SecretHeaders []string
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
}

// HTTPClient is the HTTP client every connector needs, on resty: it paces
// requests to the platform's rate limit (adapted from response headers),
// honours Retry-After (seconds, fractional seconds or an HTTP date), retries
// 429, 5xx and timeouts with backoff and jitter but never another 4xx, passes
// idempotency keys through unchanged on every retry, and logs requests and
// responses with secrets redacted.
type HTTPClient struct {
	cfg     HTTPConfig
	rc      *resty.Client
	limiter *rate.Limiter

	mu         sync.Mutex
	pauseUntil time.Time // set by a 429's Retry-After: every request waits
}

// NewHTTPClient builds a client.
func NewHTTPClient(cfg HTTPConfig) *HTTPClient {
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 4
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = 250 * time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.IdempotencyHeader == "" {
		cfg.IdempotencyHeader = "Idempotency-Key"
	}
	c := &HTTPClient{cfg: cfg, limiter: rate.NewLimiter(rate.Inf, 1)}
	if cfg.PerSecond > 0 {
		c.limiter.SetLimit(rate.Limit(cfg.PerSecond))
		c.limiter.SetBurst(max(cfg.Burst, 1))
	}
	rc := resty.New().
		SetBaseURL(cfg.BaseURL).
		SetTimeout(cfg.Timeout).
		SetRetryCount(cfg.MaxRetries).
		SetRetryWaitTime(cfg.MinBackoff).
		SetRetryMaxWaitTime(cfg.MaxBackoff).
		SetRetryAfter(func(_ *resty.Client, resp *resty.Response) (time.Duration, error) {
			if resp == nil {
				return 0, nil
			}
			d, _ := RetryAfter(resp.Header(), time.Now())
			return d, nil
		}).
		AddRetryCondition(retryable)
	rc.SetLogger(quietLogger{})
	if cfg.Transport != nil {
		rc.SetTransport(cfg.Transport)
	}
	rc.OnBeforeRequest(c.before)
	rc.OnAfterResponse(c.after)
	rc.OnError(func(req *resty.Request, err error) {
		if c.cfg.Logger != nil {
			c.cfg.Logger.Debug("http error", "method", req.Method, "url", redactURL(req.URL), "error", err)
		}
	})
	c.rc = rc
	return c
}

// R starts a request bound to ctx (cancellation stops waits and retries).
func (c *HTTPClient) R(ctx context.Context) *resty.Request { return c.rc.R().SetContext(ctx) }

// Resty is the underlying client, for settings this type does not cover.
func (c *HTTPClient) Resty() *resty.Client { return c.rc }

// WithIdempotencyKey sets the idempotency key header on a request; retries of
// the request carry the same key, so the platform applies it once.
func (c *HTTPClient) WithIdempotencyKey(r *resty.Request, key string) *resty.Request {
	if key != "" {
		r.SetHeader(c.cfg.IdempotencyHeader, key)
	}
	return r
}

// Pace reports the current pace: requests per second and burst.
func (c *HTTPClient) Pace() (float64, int) {
	return float64(c.limiter.Limit()), c.limiter.Burst()
}

func (c *HTTPClient) before(_ *resty.Client, req *resty.Request) error {
	ctx := req.Context()
	c.mu.Lock()
	pause := time.Until(c.pauseUntil)
	c.mu.Unlock()
	if pause > 0 {
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if err := c.limiter.Wait(ctx); err != nil {
		return fmt.Errorf("rate limit wait: %w", err)
	}
	if c.cfg.Token != nil {
		tok, err := c.cfg.Token(ctx)
		if err != nil {
			return fmt.Errorf("token: %w", err)
		}
		req.SetAuthToken(tok)
	}
	if l := c.cfg.Logger; l != nil && l.Enabled(ctx, slog.LevelDebug) {
		l.Debug("http request", "method", req.Method, "url", redactURL(req.URL), "headers", c.redactHeaders(req.Header), "body", redactBody(req.Body))
	}
	return nil
}

func (c *HTTPClient) after(_ *resty.Client, resp *resty.Response) error {
	h := resp.Header()
	if c.cfg.Limits != nil {
		if ps, burst, ok := c.cfg.Limits(h); ok && ps > 0 {
			c.limiter.SetLimit(rate.Limit(ps))
			c.limiter.SetBurst(max(burst, 1))
		}
	}
	if resp.StatusCode() == http.StatusTooManyRequests {
		if d, ok := RetryAfter(h, time.Now()); ok {
			c.mu.Lock()
			if until := time.Now().Add(d); until.After(c.pauseUntil) {
				c.pauseUntil = until
			}
			c.mu.Unlock()
		}
	}
	if l := c.cfg.Logger; l != nil && l.Enabled(resp.Request.Context(), slog.LevelDebug) {
		l.Debug("http response", "method", resp.Request.Method, "url", redactURL(resp.Request.URL), "status", resp.StatusCode(),
			"duration", resp.Time(), "headers", c.redactHeaders(h), "body", redactBody(resp.Body()))
	}
	return nil
}

// retryable is the retry rule: 429, 5xx and timeouts or dropped connections;
// never another 4xx, never a cancelled request.
func retryable(resp *resty.Response, err error) bool {
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return false
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return true
		}
		return errors.Is(err, context.DeadlineExceeded) && resp != nil && resp.Request.Context().Err() == nil ||
			isConnError(err)
	}
	if resp == nil {
		return false
	}
	s := resp.StatusCode()
	return s == http.StatusTooManyRequests || s >= 500
}

func isConnError(err error) bool {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "EOF") || strings.Contains(s, "connection reset")
}

// RetryAfter reads a Retry-After header: delay-seconds (fractional seconds
// accepted, as some platforms send them) or an HTTP date. ok is false when the
// header is absent or unreadable.
func RetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || math.IsNaN(secs) || math.IsInf(secs, 0) {
			return 0, false
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

var secretName = regexp.MustCompile(`(?i)token|secret|key|signature|hmac|password|auth|cookie|session`)

func (c *HTTPClient) redactHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		val := strings.Join(v, ", ")
		if secretName.MatchString(k) || c.isSecretHeader(k) {
			if !strings.EqualFold(k, c.cfg.IdempotencyHeader) {
				val = "[redacted]"
			}
		}
		out[k] = val
	}
	return out
}

func (c *HTTPClient) isSecretHeader(k string) bool {
	for _, s := range c.cfg.SecretHeaders {
		if strings.EqualFold(s, k) {
			return true
		}
	}
	return false
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparseable url]"
	}
	if u.User != nil {
		u.User = url.User("[redacted]")
	}
	q := u.Query()
	changed := false
	for k := range q {
		if secretName.MatchString(k) {
			q.Set(k, "[redacted]")
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

var secretJSON = regexp.MustCompile(`(?i)("[^"]*(?:token|secret|password|api_?key|signature)[^"]*"\s*:\s*)"[^"]*"`)

// maxLoggedBody bounds the body text in a debug line.
const maxLoggedBody = 2048

func redactBody(body any) string {
	var s string
	switch b := body.(type) {
	case nil:
		return ""
	case string:
		s = b
	case []byte:
		s = string(b)
	default:
		s = fmt.Sprintf("%v", b)
	}
	if len(s) > maxLoggedBody {
		s = s[:maxLoggedBody] + "...(truncated)"
	}
	return secretJSON.ReplaceAllString(s, `$1"[redacted]"`)
}

type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}
