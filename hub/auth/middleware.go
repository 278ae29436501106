package auth

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
)

type principalKey struct{}

// WithPrincipal returns a context carrying p, as Middleware does; for tests and
// for code that acts on behalf of a principal outside HTTP.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal Middleware authenticated.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Option configures Middleware.
type Option func(*options)

type options struct {
	logger *slog.Logger
}

// WithLogger logs each refused request (remote address, method, path, reason;
// never the token) at level Info.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// Middleware authenticates every request with its bearer token and puts the
// Principal in the request context. A request without a valid token is
// answered 401 and goes no further.
func Middleware(tokens *Tokens, opts ...Option) func(http.Handler) http.Handler {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			header := r.Header.Get("Authorization")
			if header == "" {
				o.refuse(r, "no bearer token")
				unauthorized(w, "", "an API token is required: send Authorization: Bearer <token>")
				return
			}
			token, ok := bearerToken(header)
			if !ok {
				o.refuse(r, "malformed authorization header")
				unauthorized(w, "invalid_request", "the Authorization header must be: Bearer <token>")
				return
			}
			p, ok := tokens.Authenticate(token)
			if !ok {
				o.refuse(r, "unknown token")
				unauthorized(w, "invalid_token", "the API token is not valid")
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
		})
	}
}

func (o options) refuse(r *http.Request, reason string) {
	if o.logger != nil {
		o.logger.Info("api request refused", "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path, "reason", reason)
	}
}

// Require admits a request whose principal has one of roles; admin is always
// admitted. Others get 403, and a request with no principal (Middleware not in
// front) gets 401. The usual guards:
//
//	reads:          Middleware alone (every role reads)
//	order changes:  Require(RoleCSR)
//	anything else:  Require(RoleAdmin)
func Require(roles ...Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := PrincipalFrom(r.Context())
			if !ok {
				unauthorized(w, "", "an API token is required: send Authorization: Bearer <token>")
				return
			}
			if !Allowed(p.Role, roles...) {
				writeError(w, http.StatusForbidden, "forbidden", "token "+p.Name+" (role "+string(p.Role)+") may not do this; it needs role "+roleList(roles))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Allowed reports whether role passes Require(roles...): admin always does.
func Allowed(role Role, roles ...Role) bool {
	return role == RoleAdmin || slices.Contains(roles, role)
}

func roleList(roles []Role) string {
	names := []string{string(RoleAdmin)}
	for _, r := range roles {
		if r != RoleAdmin {
			names = append(names, string(r))
		}
	}
	return strings.Join(names, " or ")
}

func unauthorized(w http.ResponseWriter, bearerError, message string) {
	challenge := `Bearer realm="crossdock"`
	if bearerError != "" {
		challenge += `, error="` + bearerError + `"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeError(w, http.StatusUnauthorized, "unauthorized", message)
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	var body errorBody
	body.Error.Code = code
	body.Error.Message = message
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body) // the client may have gone; nothing to do
}
