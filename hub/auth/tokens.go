package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
)

// Principal is who is calling: the token's name and role.
type Principal struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
}

// Actor is how the principal appears in the audit trail: "token:NAME".
func (p Principal) Actor() string { return "token:" + p.Name }

// Tokens is the set of accepted tokens, as hashes. It is safe for concurrent
// use; Reload swaps the set atomically when hub.yaml changes.
type Tokens struct {
	entries atomic.Pointer[[]tokenEntry]
}

type tokenEntry struct {
	principal Principal
	hash      [sha256.Size]byte
}

// NewTokens validates cfg, resolves ${env:X} and ${file:PATH} tokens, and keeps
// only their SHA-256. Two entries with the same token are refused: the token
// would not say who calls.
func NewTokens(cfg Config) (*Tokens, error) {
	entries, err := buildEntries(cfg)
	if err != nil {
		return nil, err
	}
	t := &Tokens{}
	t.entries.Store(&entries)
	return t, nil
}

// Reload replaces the accepted tokens with those of cfg, atomically: requests
// in flight finish with the old set. On error the old set stays.
func (t *Tokens) Reload(cfg Config) error {
	entries, err := buildEntries(cfg)
	if err != nil {
		return err
	}
	t.entries.Store(&entries)
	return nil
}

func (t *Tokens) load() []tokenEntry {
	if t == nil {
		return nil
	}
	if p := t.entries.Load(); p != nil {
		return *p
	}
	return nil
}

func buildEntries(cfg Config) ([]tokenEntry, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("api tokens: %w", err)
	}
	entries := make([]tokenEntry, 0, len(cfg.Tokens))
	byHash := map[[sha256.Size]byte]string{}
	var errs []error
	for i, tc := range cfg.Tokens {
		var h [sha256.Size]byte
		if tc.SHA256 != "" {
			b, _ := hex.DecodeString(tc.SHA256) // checked by Validate
			copy(h[:], b)
		} else {
			secret, err := resolveSecret(tc.Token)
			if err != nil {
				errs = append(errs, fmt.Errorf("tokens[%d].token: %w", i, err))
				continue
			}
			if len(secret) < MinTokenLength {
				errs = append(errs, fmt.Errorf("tokens[%d].token: shorter than %d characters; use `crossdock token new`", i, MinTokenLength))
				continue
			}
			h = sha256.Sum256([]byte(secret))
		}
		if other, dup := byHash[h]; dup {
			errs = append(errs, fmt.Errorf("tokens[%d]: same token as %q", i, other))
			continue
		}
		byHash[h] = tc.Name
		entries = append(entries, tokenEntry{principal: Principal{Name: tc.Name, Role: tc.Role}, hash: h})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("api tokens: %w", err)
	}
	return entries, nil
}

// Len is the number of tokens.
func (t *Tokens) Len() int { return len(t.load()) }

// Authenticate returns the principal of a presented token. It compares the
// token's hash with every entry in constant time and without stopping early.
func (t *Tokens) Authenticate(token string) (Principal, bool) {
	entries := t.load()
	if token == "" {
		return Principal{}, false
	}
	h := sha256.Sum256([]byte(token))
	match := -1
	for i := range entries {
		eq := subtle.ConstantTimeCompare(h[:], entries[i].hash[:])
		match = subtle.ConstantTimeSelect(eq, i, match)
	}
	if match < 0 {
		return Principal{}, false
	}
	return entries[match].principal, true
}

// HashToken is the lowercase hex SHA-256 of a token, as written in hub.yaml.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// TokenPrefix starts every token NewToken makes, so a leaked one is easy to
// recognise in a secret scanner.
const TokenPrefix = "cdk_"

// NewToken makes a random token: TokenPrefix and 256 random bits, base64url.
func NewToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new token: %w", err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// bearerToken extracts the token of an "Authorization: Bearer <token>" header;
// the scheme is case-insensitive (RFC 7235).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
