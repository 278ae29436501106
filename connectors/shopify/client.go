package shopify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-resty/resty/v2"
)

// client speaks the GraphQL Admin API: POST {base}/admin/api/{version}/graphql.json
// with X-Shopify-Access-Token, body {"query","variables"}. It paces requests
// by cost (throttle.go), retries THROTTLED replies after the refill time,
// retries transient failures of queries (network errors, 5xx, 429,
// malformed JSON) with backoff, and refreshes client-credentials tokens.
//
// Requests are serialised: the cost bucket is the real constraint, and one
// request at a time keeps the pacer's mirror exact.
type client struct {
	cfg   *Config
	http  *resty.Client
	pacer *pacer
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	reqMu sync.Mutex // one request at a time

	mu        sync.Mutex
	token     string
	tokenExp  time.Time
	costs     map[string]int // learned requestedQueryCost per operation
	throttled int64
	requests  int64
}

func newClient(cfg *Config, hc *http.Client) *client {
	r := resty.NewWithClient(hc)
	r.SetBaseURL(cfg.baseURL())
	r.SetHeader("User-Agent", "crossdock-shopify/"+connectorVersion)
	c := &client{cfg: cfg, http: r, now: time.Now, sleep: sleepCtx, costs: map[string]int{}}
	c.pacer = newPacer(c.now, func(ctx context.Context, d time.Duration) error { return c.sleep(ctx, d) })
	if cfg.AccessToken != "" {
		c.token = cfg.AccessToken
	}
	return c
}

// Error kinds the connector maps to Check reasons and Write statuses.
var (
	errUnauthorized = errors.New("shopify: unauthorized")
	errForbidden    = errors.New("shopify: forbidden")
)

// transientError is a failure worth retrying later (network, 5xx, throttled
// beyond patience, malformed reply).
type transientError struct {
	err        error
	retryAfter time.Duration
}

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// gqlError is a GraphQL error entry.
type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// gqlErrors are top-level GraphQL errors (not userErrors): the query is wrong
// or the API refused it.
type gqlErrors []gqlError

func (e gqlErrors) Error() string {
	msgs := make([]string, len(e))
	for i, x := range e {
		msgs[i] = x.Message
	}
	return "shopify: graphql: " + strings.Join(msgs, "; ")
}

type gqlReply struct {
	Data       json.RawMessage `json:"data"`
	Errors     json.RawMessage `json:"errors"`
	Extensions struct {
		Cost *queryCost `json:"cost"`
	} `json:"extensions"`
}

const maxAttempts = 6

// maxBackoff caps the wait between attempts.
const maxBackoff = 4 * time.Second

type attemptsKey struct{}

// withAttempts bounds the attempts of requests made with ctx (Check makes
// one retry only, so a dead host fails it quickly).
func withAttempts(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, attemptsKey{}, n)
}

func attemptsFrom(ctx context.Context) int {
	if n, ok := ctx.Value(attemptsKey{}).(int); ok && n > 0 {
		return n
	}
	return maxAttempts
}

// do runs one GraphQL operation and decodes data into out. op names the
// operation (for cost learning and errors); estimate is its expected
// requested cost before the first reply teaches the real one. Queries are
// retried on transient failures; mutations (retrySafe false) only when the
// server surely did not run them (THROTTLED, 429, connection refused).
func (c *client) do(ctx context.Context, op, query string, vars map[string]any, estimate int, retrySafe bool, out any) error {
	c.reqMu.Lock()
	defer c.reqMu.Unlock()
	var lastErr error
	backoff := 250 * time.Millisecond
	attempts := attemptsFrom(ctx)
	for attempt := 1; attempt <= attempts; attempt++ {
		cost := c.expectedCost(op, estimate)
		if err := c.pacer.wait(ctx, cost); err != nil {
			return err
		}
		reply, status, retryAfter, err := c.post(ctx, query, vars)
		if reply != nil && reply.Extensions.Cost != nil {
			c.pacer.observe(reply.Extensions.Cost.ThrottleStatus)
			c.learn(op, reply.Extensions.Cost.RequestedQueryCost)
		}
		switch {
		case err != nil:
			lastErr = err
			var te *transientError
			if !errors.As(err, &te) {
				return fmt.Errorf("shopify: %s: %w", op, err)
			}
			if !retrySafe && !te.notSent() {
				return fmt.Errorf("shopify: %s: %w", op, err)
			}
			wait := backoff
			if retryAfter > 0 {
				wait = retryAfter
			}
			backoff = min(2*backoff, maxBackoff)
			if err := c.sleep(ctx, wait); err != nil {
				return err
			}
			continue
		case status == http.StatusUnauthorized:
			if c.cfg.ClientID != "" && attempt == 1 {
				c.dropToken()
				continue
			}
			return fmt.Errorf("shopify: %s: %w (HTTP 401)", op, errUnauthorized)
		case status == http.StatusForbidden:
			return fmt.Errorf("shopify: %s: %w (HTTP 403)", op, errForbidden)
		}
		errs, werr := decodeErrors(reply.Errors)
		if werr != nil {
			return fmt.Errorf("shopify: %s: %w", op, werr)
		}
		if throttled(errs) {
			c.mu.Lock()
			c.throttled++
			c.mu.Unlock()
			wait := time.Second
			if reply.Extensions.Cost != nil {
				wait = refillTime(reply.Extensions.Cost.RequestedQueryCost, reply.Extensions.Cost.ThrottleStatus)
			}
			lastErr = &transientError{err: errors.New("throttled"), retryAfter: wait}
			if err := c.sleep(ctx, wait); err != nil {
				return err
			}
			continue
		}
		if len(errs) > 0 {
			return fmt.Errorf("shopify: %s: %w", op, errs)
		}
		if out != nil {
			if err := json.Unmarshal(reply.Data, out); err != nil {
				return fmt.Errorf("shopify: %s: decode data: %w", op, err)
			}
		}
		return nil
	}
	if lastErr == nil {
		lastErr = errors.New("gave up")
	}
	var te *transientError
	if errors.As(lastErr, &te) {
		return fmt.Errorf("shopify: %s: after %d attempts: %w", op, attempts, lastErr)
	}
	return &transientError{err: fmt.Errorf("shopify: %s: after %d attempts: %w", op, attempts, lastErr)}
}

// notSent reports whether the request surely never reached the API.
func (e *transientError) notSent() bool {
	var ns *notSentError
	return errors.As(e.err, &ns)
}

type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

func throttled(errs gqlErrors) bool {
	for _, e := range errs {
		if e.Extensions.Code == "THROTTLED" || e.Message == "Throttled" {
			return true
		}
	}
	return false
}

// decodeErrors reads `errors`, which Shopify sends as an array of GraphQL
// errors, or (REST-style, e.g. with a 401) as a string or an object.
func decodeErrors(raw json.RawMessage) (gqlErrors, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return nil, nil
	}
	var list gqlErrors
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		return gqlErrors{{Message: str}}, nil
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err == nil {
		b, _ := json.Marshal(obj)
		return gqlErrors{{Message: string(b)}}, nil
	}
	return nil, fmt.Errorf("unreadable errors %s", s)
}

func (c *client) expectedCost(op string, estimate int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.costs[op]; ok && n > 0 {
		return n
	}
	return estimate
}

func (c *client) learn(op string, requested float64) {
	if requested <= 0 {
		return
	}
	c.mu.Lock()
	c.costs[op] = int(requested)
	c.mu.Unlock()
}

// post sends the request. It returns the decoded reply (nil when unreadable),
// the HTTP status, a Retry-After, and a transient error for network failures,
// 5xx, 429 and malformed bodies.
func (c *client) post(ctx context.Context, query string, vars map[string]any) (*gqlReply, int, time.Duration, error) {
	tok, err := c.accessToken(ctx)
	if err != nil {
		return nil, 0, 0, err
	}
	c.mu.Lock()
	c.requests++
	c.mu.Unlock()
	body := map[string]any{"query": query}
	if vars != nil {
		body["variables"] = vars
	}
	resp, err := c.http.R().SetContext(ctx).
		SetHeader("X-Shopify-Access-Token", tok).
		SetHeader("Content-Type", "application/json").
		SetHeader("Accept", "application/json").
		SetBody(body).
		Post("/admin/api/" + c.cfg.APIVersion + "/graphql.json")
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, 0, ctx.Err()
		}
		if isRefused(err) {
			return nil, 0, 0, &transientError{err: &notSentError{err: fmt.Errorf("network: %w", err)}}
		}
		return nil, 0, 0, &transientError{err: fmt.Errorf("network: %w", err)}
	}
	status := resp.StatusCode()
	retryAfter := parseRetryAfter(resp.Header().Get("Retry-After"))
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return nil, status, 0, nil
	case status == http.StatusTooManyRequests:
		return nil, status, retryAfter, &transientError{err: &notSentError{err: errors.New("HTTP 429")}, retryAfter: retryAfter}
	case status >= 500:
		return nil, status, retryAfter, &transientError{err: fmt.Errorf("HTTP %d", status), retryAfter: retryAfter}
	case status >= 400:
		return nil, status, 0, fmt.Errorf("HTTP %d: %s", status, truncate(string(resp.Body()), 300))
	}
	var reply gqlReply
	if err := json.Unmarshal(resp.Body(), &reply); err != nil {
		return nil, status, 0, &transientError{err: fmt.Errorf("malformed reply: %w", err)}
	}
	return &reply, status, 0, nil
}

func isRefused(err error) bool {
	s := err.Error()
	return strings.Contains(s, "connection refused") || strings.Contains(s, "no such host")
}

// parseRetryAfter reads Retry-After in seconds, which Shopify sends as a
// float ("2.0").
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// accessToken returns the static token, or a client-credentials token,
// fetched or refreshed when it expires within five minutes.
func (c *client) accessToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	tok, exp := c.token, c.tokenExp
	c.mu.Unlock()
	if c.cfg.ClientID == "" || (tok != "" && c.now().Add(5*time.Minute).Before(exp)) {
		return tok, nil
	}
	// POST /admin/oauth/access_token, form-encoded grant_type=client_credentials,
	// client_id, client_secret -> {"access_token","scope","expires_in"}
	// (shopify.dev client credentials grant; reference §1 [S7]).
	var out struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
		ExpiresIn   int64  `json:"expires_in"`
		Error       string `json:"error"`
	}
	resp, err := c.http.R().SetContext(ctx).
		SetFormData(map[string]string{"grant_type": "client_credentials", "client_id": c.cfg.ClientID, "client_secret": c.cfg.ClientSecret}).
		SetResult(&out).SetError(&out).
		Post("/admin/oauth/access_token")
	if err != nil {
		if isRefused(err) {
			return "", &transientError{err: &notSentError{err: fmt.Errorf("token: network: %w", err)}}
		}
		return "", &transientError{err: fmt.Errorf("token: network: %w", err)}
	}
	if resp.StatusCode() >= 500 {
		return "", &transientError{err: fmt.Errorf("token: HTTP %d", resp.StatusCode())}
	}
	if resp.StatusCode() != http.StatusOK || out.AccessToken == "" {
		return "", fmt.Errorf("token: %w (HTTP %d %s)", errUnauthorized, resp.StatusCode(), out.Error)
	}
	ttl := time.Duration(out.ExpiresIn) * time.Second
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	c.mu.Lock()
	c.token, c.tokenExp = out.AccessToken, c.now().Add(ttl)
	c.mu.Unlock()
	return out.AccessToken, nil
}

func (c *client) dropToken() {
	c.mu.Lock()
	c.token, c.tokenExp = "", time.Time{}
	c.mu.Unlock()
}
