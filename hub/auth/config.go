package auth

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Role is what a token may do.
type Role string

// The roles.
const (
	// RoleAdmin may do everything.
	RoleAdmin Role = "admin"
	// RoleCSR reads everything and changes orders.
	RoleCSR Role = "csr"
	// RoleReadonly reads.
	RoleReadonly Role = "readonly"
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleCSR, RoleReadonly:
		return true
	}
	return false
}

// MinTokenLength is the shortest plain token accepted in the config; `crossdock
// token new` makes 47-character tokens.
const MinTokenLength = 16

// Config is the api section of hub.yaml:
//
//	api:
//	  tokens:
//	    - { name: ops, role: admin, sha256: 9f86d081884c7d65... }
//	    - { name: helpdesk, role: csr, token: "${env:HELPDESK_TOKEN}" }
type Config struct {
	// Tokens are the API tokens that may call the hub.
	Tokens []TokenConfig `yaml:"tokens" json:"tokens"`
}

// TokenConfig declares one API token. Exactly one of SHA256 and Token is set.
type TokenConfig struct {
	// Name identifies the client in logs and the audit trail ("token:NAME").
	Name string `yaml:"name" json:"name"`
	// Role is admin, csr or readonly.
	Role Role `yaml:"role" json:"role"`
	// SHA256 is the lowercase or uppercase hex SHA-256 of the token.
	SHA256 string `yaml:"sha256,omitempty" json:"sha256,omitempty"`
	// Token is the token itself, normally "${env:NAME}" or "${file:PATH}"
	// (resolved here if the config loader has not already done it). It is
	// hashed at load and never kept.
	Token string `yaml:"token,omitempty" json:"-"`
}

var (
	namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$`)
	refPattern  = regexp.MustCompile(`^\$\{(env|file):([^}]+)\}$`)
)

// Validate checks the section without resolving any secret: every problem is
// reported, each prefixed with its path ("tokens[1].role").
func (c Config) Validate() error {
	var errs []error
	seen := map[string]int{}
	for i, t := range c.Tokens {
		path := fmt.Sprintf("tokens[%d]", i)
		switch {
		case t.Name == "":
			errs = append(errs, fmt.Errorf("%s.name: required", path))
		case !namePattern.MatchString(t.Name):
			errs = append(errs, fmt.Errorf("%s.name: %q must be 1-64 letters, digits, '_', '.', '@' or '-'", path, t.Name))
		default:
			if j, dup := seen[t.Name]; dup {
				errs = append(errs, fmt.Errorf("%s.name: %q is already used by tokens[%d]", path, t.Name, j))
			}
			seen[t.Name] = i
		}
		if !t.Role.Valid() {
			errs = append(errs, fmt.Errorf("%s.role: %q is not admin, csr or readonly", path, t.Role))
		}
		switch {
		case t.SHA256 != "" && t.Token != "":
			errs = append(errs, fmt.Errorf("%s: set sha256 or token, not both", path))
		case t.SHA256 == "" && t.Token == "":
			errs = append(errs, fmt.Errorf("%s: set sha256 (see `crossdock token new`) or token", path))
		case t.SHA256 != "":
			if b, err := hex.DecodeString(t.SHA256); err != nil || len(b) != 32 {
				errs = append(errs, fmt.Errorf("%s.sha256: want 64 hex digits", path))
			}
		case !refPattern.MatchString(t.Token) && len(t.Token) < MinTokenLength:
			// The value itself is never echoed: it is a secret.
			errs = append(errs, fmt.Errorf("%s.token: shorter than %d characters; use `crossdock token new`", path, MinTokenLength))
		}
	}
	return errors.Join(errs...)
}

// resolveSecret returns the value of "${env:NAME}" or "${file:PATH}"; any other
// string is returned as is. Errors name the reference, never a value.
func resolveSecret(v string) (string, error) {
	m := refPattern.FindStringSubmatch(v)
	if m == nil {
		return v, nil
	}
	switch m[1] {
	case "env":
		s, ok := os.LookupEnv(m[2])
		if !ok || s == "" {
			return "", fmt.Errorf("environment variable %s is not set", m[2])
		}
		return s, nil
	default:
		b, err := os.ReadFile(m[2])
		if err != nil {
			return "", fmt.Errorf("read secret file: %w", err)
		}
		s := strings.TrimRight(string(b), "\r\n")
		if s == "" {
			return "", fmt.Errorf("secret file %s is empty", m[2])
		}
		return s, nil
	}
}
