package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// ClientCredentials is an OAuth2 client-credentials token source (RFC 6749
// §4.4). Token returns a cached access token until shortly before it expires,
// then fetches a new one; concurrent callers share one fetch.
type ClientCredentials struct {
	// TokenURL is the authorization server's token endpoint.
	TokenURL string
	// ClientID and ClientSecret authenticate the client (HTTP Basic, or form
	// fields with AuthInBody).
	ClientID     string
	ClientSecret string
	// Scopes are requested space-separated; optional.
	Scopes []string
	// Params are further form fields (e.g. "audience").
	Params url.Values
	// AuthInBody sends the client credentials as form fields instead of Basic.
	AuthInBody bool
	// Leeway is how long before expiry a token is renewed; default 60s (at most
	// half the token's lifetime).
	Leeway time.Duration
	// HTTPClient makes the token request; default http.DefaultClient.
	HTTPClient *http.Client
	// Now is the clock (tests); default time.Now.
	Now func() time.Time

	mu      sync.Mutex
	token   string
	renewAt time.Time
}

// TokenError is a refusal from the token endpoint; Status 400 or 401 means bad
// client credentials (a Check should report CheckAuth).
type TokenError struct {
	Status      int
	Code        string
	Description string
}

func (e *TokenError) Error() string {
	return fmt.Sprintf("oauth2 token: %d %s %s", e.Status, e.Code, e.Description)
}

// Token returns a valid access token.
func (c *ClientCredentials) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.token != "" && now.Before(c.renewAt) {
		return c.token, nil
	}
	tok, lifetime, err := c.fetch(ctx)
	if err != nil {
		return "", err
	}
	leeway := c.Leeway
	if leeway == 0 {
		leeway = 60 * time.Second
	}
	if lifetime > 0 && leeway > lifetime/2 {
		leeway = lifetime / 2
	}
	c.token = tok
	if lifetime > 0 {
		c.renewAt = now.Add(lifetime - leeway)
	} else {
		c.renewAt = now.Add(5 * time.Minute) // no expires_in: assume a short life
	}
	return tok, nil
}

// Invalidate drops the cached token (after a 401 from the API, say).
func (c *ClientCredentials) Invalidate() {
	c.mu.Lock()
	c.token = ""
	c.mu.Unlock()
}

func (c *ClientCredentials) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *ClientCredentials) fetch(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	for k, v := range c.Params {
		form[k] = v
	}
	if len(c.Scopes) > 0 {
		form.Set("scope", strings.Join(c.Scopes, " "))
	}
	if c.AuthInBody {
		form.Set("client_id", c.ClientID)
		form.Set("client_secret", c.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("oauth2 token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if !c.AuthInBody {
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("oauth2 token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", 0, fmt.Errorf("oauth2 token: %w", err)
	}
	var tr struct {
		AccessToken string      `json:"access_token"`
		ExpiresIn   json.Number `json:"expires_in"`
		Error       string      `json:"error"`
		Description string      `json:"error_description"`
	}
	_ = json.Unmarshal(body, &tr)
	if resp.StatusCode != http.StatusOK {
		return "", 0, &TokenError{Status: resp.StatusCode, Code: tr.Error, Description: tr.Description}
	}
	if tr.AccessToken == "" {
		return "", 0, fmt.Errorf("oauth2 token: response has no access_token")
	}
	secs, _ := tr.ExpiresIn.Float64()
	return tr.AccessToken, time.Duration(secs * float64(time.Second)), nil
}
