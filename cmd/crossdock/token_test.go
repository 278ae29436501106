package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/crossdockhq/crossdock/hub/auth"
)

// entryFromOutput decodes the hub.yaml lines a token command printed.
func entryFromOutput(t *testing.T, out string) auth.Config {
	t.Helper()
	i := strings.Index(out, "  - name:")
	if i < 0 {
		t.Fatalf("no hub.yaml entry in:\n%s", out)
	}
	var cfg auth.Config
	if err := yaml.Unmarshal([]byte("tokens:\n"+out[i:]), &cfg); err != nil {
		t.Fatalf("entry does not parse: %v\n%s", err, out[i:])
	}
	return cfg
}

func TestTokenNew_PrintsATokenItsEntryAccepts(t *testing.T) {
	out, errOut, code := auditCLI(t, "", "token", "new", "--name", "helpdesk", "--role", "csr")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	m := regexp.MustCompile(`(?m)^token: (cdk_\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no token in:\n%s", out)
	}
	tokens, err := auth.NewTokens(entryFromOutput(t, out))
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := tokens.Authenticate(m[1]); !ok || p.Name != "helpdesk" || p.Role != auth.RoleCSR {
		t.Fatalf("printed entry does not accept the printed token: %+v %v", p, ok)
	}
	again, _, _ := auditCLI(t, "", "token", "new", "--name", "helpdesk", "--role", "csr")
	if strings.Contains(again, m[1]) {
		t.Fatal("two runs printed the same token")
	}
}

func TestTokenNew_JSONCarriesTokenAndHash(t *testing.T) {
	out, _, code := auditCLI(t, "", "token", "new", "--name", "ops", "--role", "admin", "--json")
	var v struct{ Name, Role, SHA256, Token string }
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil {
		t.Fatalf("exit %d, %v: %s", code, err, out)
	}
	if v.Name != "ops" || v.Role != "admin" || auth.HashToken(v.Token) != v.SHA256 {
		t.Fatalf("json %+v", v)
	}
}

func TestTokenHash_HashesTheTokenOnStdin(t *testing.T) {
	const token = "cdk_an-existing-token-from-a-vault"
	out, errOut, code := auditCLI(t, token+"\n", "token", "hash", "--name", "dashboard")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	cfg := entryFromOutput(t, out)
	if len(cfg.Tokens) != 1 || cfg.Tokens[0].SHA256 != auth.HashToken(token) || cfg.Tokens[0].Role != auth.RoleReadonly {
		t.Fatalf("entry %+v", cfg.Tokens)
	}
	if strings.Contains(out, token) {
		t.Fatal("hash printed the token itself")
	}
}

func TestToken_RefusesBadInput(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"unknown role", "", []string{"token", "new", "--name", "x", "--role", "root"}, `"root" is not admin, csr or readonly`},
		{"missing name", "", []string{"token", "new", "--role", "csr"}, "--name is required"},
		{"bad name", "", []string{"token", "new", "--name", "two words"}, "tokens[0].name"},
		{"empty stdin", "", []string{"token", "hash", "--name", "x"}, "no token on standard input"},
		{"weak token", "hunter2\n", []string{"token", "hash", "--name", "x"}, "shorter than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := auditCLI(t, tt.stdin, tt.args...)
			if code != 1 || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want %q", code, errOut, tt.want)
			}
		})
	}
}
