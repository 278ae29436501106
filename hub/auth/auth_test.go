package auth

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const (
	adminToken    = "cdk_admin-token-0123456789abcdef"
	csrToken      = "cdk_csr-token-0123456789abcdef"
	readonlyToken = "cdk_readonly-token-0123456789abcd"
)

// testTokens declares one token per role, in each of the three ways a config
// can: a hash, an environment reference, and a file reference.
func testTokens(t *testing.T) *Tokens {
	t.Helper()
	t.Setenv("CROSSDOCK_TEST_CSR_TOKEN", csrToken)
	secretFile := filepath.Join(t.TempDir(), "readonly.token")
	if err := os.WriteFile(secretFile, []byte(readonlyToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := `
tokens:
  - name: ops
    role: admin
    sha256: ` + HashToken(adminToken) + `
  - name: helpdesk
    role: csr
    token: ${env:CROSSDOCK_TEST_CSR_TOKEN}
  - name: dashboard
    role: readonly
    token: ${file:` + secretFile + `}
`
	var cfg Config
	if err := yaml.Unmarshal([]byte(src), &cfg); err != nil {
		t.Fatal(err)
	}
	tokens, err := NewTokens(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

type response struct {
	status    int
	challenge string
	code      string
	message   string
	body      string
}

func call(t *testing.T, h http.Handler, authz string) response {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/orders", nil)
	if err != nil {
		t.Fatal(err)
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, challenge: res.Header.Get("WWW-Authenticate"), body: string(raw)}
	if res.StatusCode >= 400 {
		var body errorBody
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatalf("error body %q is not JSON: %v", raw, err)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("error Content-Type = %q", ct)
		}
		r.code, r.message = body.Error.Code, body.Error.Message
	}
	return r
}

// whoami answers with the principal the middleware put in the context.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p, ok := PrincipalFrom(r.Context())
	if !ok {
		http.Error(w, "no principal", http.StatusInternalServerError)
		return
	}
	io.WriteString(w, p.Name+" "+string(p.Role))
})

func TestMiddleware_AuthenticatesBearerTokens(t *testing.T) {
	h := Middleware(testTokens(t))(whoami)
	tests := []struct {
		name, authz string
		wantStatus  int
		wantBody    string
		wantBearerE string
	}{
		{"hashed admin token", "Bearer " + adminToken, 200, "ops admin", ""},
		{"env token", "Bearer " + csrToken, 200, "helpdesk csr", ""},
		{"file token with trailing newline trimmed", "Bearer " + readonlyToken, 200, "dashboard readonly", ""},
		{"scheme is case-insensitive", "bearer " + adminToken, 200, "ops admin", ""},
		{"missing header", "", 401, "", ""},
		{"unknown token", "Bearer cdk_not-a-known-token-at-all", 401, "", "invalid_token"},
		{"token with one character changed", "Bearer " + adminToken[:len(adminToken)-1] + "X", 401, "", "invalid_token"},
		{"basic auth instead of bearer", "Basic b3BzOnNlY3JldA==", 401, "", "invalid_request"},
		{"bearer with no token", "Bearer ", 401, "", "invalid_request"},
		{"the hash is not the token", "Bearer " + HashToken(adminToken), 401, "", "invalid_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := call(t, h, tt.authz)
			if got.status != tt.wantStatus {
				t.Fatalf("status %d, want %d (%s)", got.status, tt.wantStatus, got.body)
			}
			if tt.wantStatus == 200 {
				if got.body != tt.wantBody {
					t.Fatalf("principal %q, want %q", got.body, tt.wantBody)
				}
				return
			}
			if !strings.HasPrefix(got.challenge, "Bearer") {
				t.Fatalf("WWW-Authenticate = %q, want a Bearer challenge", got.challenge)
			}
			if tt.wantBearerE != "" && !strings.Contains(got.challenge, `error="`+tt.wantBearerE+`"`) {
				t.Fatalf("WWW-Authenticate = %q, want error=%q", got.challenge, tt.wantBearerE)
			}
			if got.code != "unauthorized" || got.message == "" {
				t.Fatalf("error body code %q message %q", got.code, got.message)
			}
			if strings.Contains(got.body, adminToken) {
				t.Fatal("error body echoes a token")
			}
		})
	}
}

func TestRequire_EnforcesRoleRules(t *testing.T) {
	tokens := testTokens(t)
	read := Middleware(tokens)(whoami)
	changeOrder := Middleware(tokens)(Require(RoleCSR)(whoami))
	adminOnly := Middleware(tokens)(Require(RoleAdmin)(whoami))
	tests := []struct {
		name    string
		h       http.Handler
		token   string
		allowed bool
	}{
		{"admin reads", read, adminToken, true},
		{"csr reads", read, csrToken, true},
		{"readonly reads", read, readonlyToken, true},
		{"admin changes orders", changeOrder, adminToken, true},
		{"csr changes orders", changeOrder, csrToken, true},
		{"readonly may not change orders", changeOrder, readonlyToken, false},
		{"admin does admin things", adminOnly, adminToken, true},
		{"csr may not do admin things", adminOnly, csrToken, false},
		{"readonly may not do admin things", adminOnly, readonlyToken, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := call(t, tt.h, "Bearer "+tt.token)
			if tt.allowed {
				if got.status != 200 {
					t.Fatalf("status %d, want 200: %s", got.status, got.body)
				}
				return
			}
			if got.status != http.StatusForbidden || got.code != "forbidden" || got.message == "" {
				t.Fatalf("got %d %q %q, want 403 forbidden", got.status, got.code, got.message)
			}
			if got.challenge != "" {
				t.Fatalf("403 must not challenge for credentials, got %q", got.challenge)
			}
		})
	}
}

func TestRequire_WithoutMiddlewareFailsClosed(t *testing.T) {
	got := call(t, Require(RoleReadonly)(whoami), "Bearer "+adminToken)
	if got.status != http.StatusUnauthorized || got.code != "unauthorized" {
		t.Fatalf("got %d %q, want 401 unauthorized", got.status, got.code)
	}
}

func TestMiddleware_LogsRefusalsWithoutTheToken(t *testing.T) {
	var logs bytes.Buffer
	h := Middleware(testTokens(t), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))(whoami)
	const wrong = "cdk_wrong-token-that-must-not-be-logged"
	if got := call(t, h, "Bearer "+wrong); got.status != 401 {
		t.Fatalf("status %d", got.status)
	}
	if !strings.Contains(logs.String(), "unknown token") {
		t.Fatalf("refusal not logged: %q", logs.String())
	}
	if strings.Contains(logs.String(), wrong) {
		t.Fatalf("log contains the token: %q", logs.String())
	}
}

func TestConfigValidate_ReportsEveryProblemWithItsPath(t *testing.T) {
	good := HashToken(adminToken)
	tests := []struct {
		name  string
		cfg   Config
		wants []string // substrings; empty means valid
	}{
		{"valid hash and env token", Config{Tokens: []TokenConfig{
			{Name: "ops", Role: RoleAdmin, SHA256: good},
			{Name: "desk", Role: RoleCSR, Token: "${env:DESK_TOKEN}"},
		}}, nil},
		{"no tokens is valid (every request is refused)", Config{}, nil},
		{"uppercase hex accepted", Config{Tokens: []TokenConfig{{Name: "ops", Role: RoleAdmin, SHA256: strings.ToUpper(good)}}}, nil},
		{"missing name", Config{Tokens: []TokenConfig{{Role: RoleAdmin, SHA256: good}}}, []string{"tokens[0].name: required"}},
		{"bad name", Config{Tokens: []TokenConfig{{Name: "a b", Role: RoleAdmin, SHA256: good}}}, []string{"tokens[0].name"}},
		{"duplicate name", Config{Tokens: []TokenConfig{{Name: "ops", Role: RoleAdmin, SHA256: good}, {Name: "ops", Role: RoleCSR, Token: "${env:X}"}}}, []string{"tokens[1].name", "tokens[0]"}},
		{"unknown role", Config{Tokens: []TokenConfig{{Name: "ops", Role: "root", SHA256: good}}}, []string{`tokens[0].role: "root"`}},
		{"both sha256 and token", Config{Tokens: []TokenConfig{{Name: "ops", Role: RoleAdmin, SHA256: good, Token: "${env:X}"}}}, []string{"not both"}},
		{"neither sha256 nor token", Config{Tokens: []TokenConfig{{Name: "ops", Role: RoleAdmin}}}, []string{"set sha256"}},
		{"short hash", Config{Tokens: []TokenConfig{{Name: "ops", Role: RoleAdmin, SHA256: "abc"}}}, []string{"tokens[0].sha256: want 64 hex"}},
		{"weak plain token", Config{Tokens: []TokenConfig{{Name: "ops", Role: RoleAdmin, Token: "hunter2"}}}, []string{"tokens[0].token: shorter"}},
		{"two problems both reported", Config{Tokens: []TokenConfig{{Name: "", Role: "x", SHA256: good}}}, []string{"name: required", "role"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.wants) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("invalid config accepted")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error echoes a secret: %v", err)
			}
		})
	}
}

func TestNewTokens_RefusesUnresolvableOrDuplicateTokens(t *testing.T) {
	t.Setenv("CROSSDOCK_TEST_SHORT", "short")
	t.Setenv("CROSSDOCK_TEST_ADMIN", adminToken)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"env variable not set", Config{Tokens: []TokenConfig{{Name: "a", Role: RoleAdmin, Token: "${env:CROSSDOCK_TEST_UNSET_VAR}"}}}, "CROSSDOCK_TEST_UNSET_VAR is not set"},
		{"env token too short", Config{Tokens: []TokenConfig{{Name: "a", Role: RoleAdmin, Token: "${env:CROSSDOCK_TEST_SHORT}"}}}, "shorter than"},
		{"missing secret file", Config{Tokens: []TokenConfig{{Name: "a", Role: RoleAdmin, Token: "${file:/nonexistent/crossdock.token}"}}}, "read secret file"},
		{"same token under two names", Config{Tokens: []TokenConfig{
			{Name: "a", Role: RoleAdmin, SHA256: HashToken(adminToken)},
			{Name: "b", Role: RoleReadonly, Token: "${env:CROSSDOCK_TEST_ADMIN}"},
		}}, `same token as "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTokens(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), adminToken) || strings.Contains(err.Error(), "short\"") {
				t.Fatalf("error echoes a secret: %v", err)
			}
		})
	}
}

func TestNewToken_IsRandomPrefixedAndAccepted(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if a == b || !strings.HasPrefix(a, TokenPrefix) || len(a) < 40 {
		t.Fatalf("tokens %q and %q", a, b)
	}
	tokens, err := NewTokens(Config{Tokens: []TokenConfig{{Name: "new", Role: RoleCSR, SHA256: HashToken(a)}}})
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := tokens.Authenticate(a); !ok || p != (Principal{Name: "new", Role: RoleCSR}) {
		t.Fatalf("Authenticate(new token) = %+v, %v", p, ok)
	}
	if _, ok := tokens.Authenticate(b); ok {
		t.Fatal("another random token was accepted")
	}
}

func TestHashToken_IsHexSHA256(t *testing.T) {
	// sha256("test"), a published test vector.
	if got := HashToken("test"); got != "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" {
		t.Fatalf("HashToken(test) = %s", got)
	}
}

func TestPrincipal_ActorNamesTheToken(t *testing.T) {
	if got := (Principal{Name: "helpdesk", Role: RoleCSR}).Actor(); got != "token:helpdesk" {
		t.Fatalf("Actor() = %q", got)
	}
}

func TestTokensReload_SwapsTheSetAndKeepsItOnError(t *testing.T) {
	tokens := testTokens(t)
	h := Middleware(tokens)(whoami)
	const fresh = "cdk_fresh-token-after-rotation-0001"
	tests := []struct {
		name       string
		cfg        Config
		wantErr    bool
		accepted   []string
		refused    []string
		wantTokens int
	}{
		{"rotation replaces the old tokens", Config{Tokens: []TokenConfig{{Name: "ops2", Role: RoleAdmin, SHA256: HashToken(fresh)}}}, false,
			[]string{fresh}, []string{adminToken, csrToken}, 1},
		{"a bad config keeps the current set", Config{Tokens: []TokenConfig{{Name: "x", Role: "root", SHA256: HashToken(adminToken)}}}, true,
			[]string{fresh}, []string{adminToken}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tokens.Reload(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Reload err = %v, want error %v", err, tt.wantErr)
			}
			for _, tok := range tt.accepted {
				if got := call(t, h, "Bearer "+tok); got.status != 200 {
					t.Fatalf("token refused after reload: %d", got.status)
				}
			}
			for _, tok := range tt.refused {
				if got := call(t, h, "Bearer "+tok); got.status != 401 {
					t.Fatalf("old token still accepted: %d", got.status)
				}
			}
			if tokens.Len() != tt.wantTokens {
				t.Fatalf("Len = %d, want %d", tokens.Len(), tt.wantTokens)
			}
		})
	}
}
