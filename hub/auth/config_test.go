package auth

import (
	"strings"
	"testing"

	"github.com/crossdockhq/crossdock/hub/config"
)

// The api section of a real hub.yaml, loaded the way the hub loads it: the
// config package resolves ${env:...} and decodes the section strictly.
func TestConfig_DecodesFromHubYAML(t *testing.T) {
	t.Setenv("CROSSDOCK_TEST_HELPDESK_TOKEN", csrToken)
	tests := []struct {
		name    string
		api     string
		wantErr string
	}{
		{"hash and env token", `
api:
  tokens:
    - { name: ops, role: admin, sha256: ` + HashToken(adminToken) + ` }
    - { name: helpdesk, role: csr, token: "${env:CROSSDOCK_TEST_HELPDESK_TOKEN}" }
`, ""},
		{"unknown key is refused with its line", `
api:
  tokens:
    - { name: ops, role: admin, sha265: abc }
`, `hub.yaml:5:33: api.tokens[0]: unknown field "sha265"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "hub:\n  data: sqlite:data/hub.db\n" + strings.TrimPrefix(tt.api, "\n")
			c, err := config.Parse("hub.yaml", []byte(src), config.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var cfg Config
			err = c.DecodeSection("api", &cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tokens, err := NewTokens(cfg)
			if err != nil {
				t.Fatal(err)
			}
			for token, want := range map[string]Principal{adminToken: {"ops", RoleAdmin}, csrToken: {"helpdesk", RoleCSR}} {
				if p, ok := tokens.Authenticate(token); !ok || p != want {
					t.Fatalf("Authenticate = %+v %v, want %+v", p, ok, want)
				}
			}
		})
	}
}
