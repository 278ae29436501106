package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/hub/config"
	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

func write(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad_TheShippedExample(t *testing.T) {
	cfg, err := config.Load("../../configs/hub.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.ConnectorNames(); !reflect.DeepEqual(got, []string{"shopify-us", "erp"}) {
		t.Errorf("connectors = %v", got)
	}
	if len(cfg.PipelineFiles) < 3 {
		t.Errorf("pipeline files = %v", cfg.PipelineFiles)
	}
	if want := "sqlite:" + filepath.Join("..", "..", "data", "hub.db"); cfg.DSN() != want {
		t.Errorf("DSN = %s, want %s (relative to hub.yaml)", cfg.DSN(), want)
	}
	conn, _ := cfg.Connector("shopify-us")
	raw, err := conn.ConfigJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"access_token":"shpat_sandbox_only_not_a_real_token"`) {
		t.Errorf("config JSON = %s: want the token read from its file", raw)
	}
	if !cfg.Secrets.Has("shpat_sandbox_only_not_a_real_token") {
		t.Error("the token is not registered as a secret")
	}
	if conn.Streams["orders"].Poll != 30*time.Second {
		t.Errorf("orders poll = %s", conn.Streams["orders"].Poll)
	}
}

func TestLoad_ReportsEveryProblemOfTheFile(t *testing.T) {
	dir := t.TempDir()
	path := write(t, dir, "hub.yaml", `hub:
  data: mysql://localhost/hub
  listen: 8080
  shutdown_timeout: later
connectors:
  - name: Shopify US
    type: shopify
    command: ./x
  - name: erp
    streams:
      orders: {poll: often}
  - name: erp
    type: file
    env: [TOKEN=abc]
pipelnes: ["*.yaml"]
`)
	_, err := config.Load(path)
	var errs yamlconf.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %v", err)
	}
	want := []string{
		`hub.yaml:2:9: hub.data: want sqlite:PATH or postgres://..., got "mysql://localhost/hub"`,
		`hub.yaml:4:21: hub.shutdown_timeout: expected a duration such as 30s or 24h, got "later"`,
		`hub.yaml:6:11: connector name "Shopify US": use lower-case letters, digits, - and _`,
		`hub.yaml:8:14: connector "Shopify US": set type or command, not both`,
		`hub.yaml:9:5: connector "erp": set type (a built-in connector) or command (an executable)`,
		`hub.yaml:11:22: connectors[1].streams.orders.poll: expected a duration such as 30s or 24h, got "often"`,
		`hub.yaml:12:11: connector "erp" is defined twice`,
		`hub.yaml:14:10: connector "erp": env lists variable names, got "TOKEN=abc"`,
		`hub.yaml:15:1: unknown field "pipelnes" (did you mean "pipelines"?)`,
	}
	got := errs.Strings()
	for i := range got {
		got[i] = strings.TrimPrefix(got[i], dir+string(filepath.Separator))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLoad_ResolvedSecretsAreRedactedInErrors(t *testing.T) {
	dir := t.TempDir()
	path := write(t, dir, "hub.yaml", "hub:\n  data: ${env:HUB_DSN}\n")
	getenv := func(string) (string, bool) { return "mysql://admin:s3cr3t-pass@db/hub", true }
	_, err := config.LoadWith(path, config.Options{Getenv: getenv})
	if err == nil || strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), "***") {
		t.Errorf("error = %v: want the DSN redacted", err)
	}
}

type apiSection struct {
	Tokens []struct {
		Name   string          `yaml:"name" required:"true"`
		Role   string          `yaml:"role" required:"true"`
		Token  yamlconf.Secret `yaml:"token"`
		SHA256 string          `yaml:"sha256"`
	} `yaml:"tokens"`
}

func TestDecodeSection_IsAsStrictAsTheRest(t *testing.T) {
	dir := t.TempDir()
	path := write(t, dir, "hub.yaml", `hub: {data: "sqlite:hub.db"}
api:
  tokens:
    - name: ops
      role: admin
      token: ${env:OPS_TOKEN}
    - name: csr
      rol: csr
`)
	getenv := func(string) (string, bool) { return "tok-abcdef", true }
	cfg, err := config.LoadWith(path, config.Options{Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	var api apiSection
	err = cfg.DecodeSection("api", &api)
	want := dir + `/hub.yaml:7:7: api.tokens[1]: missing required field "role"` + "\n" +
		dir + `/hub.yaml:8:7: api.tokens[1]: unknown field "rol" (did you mean "role"?)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if api.Tokens[0].Token.Reveal() != "tok-abcdef" {
		t.Errorf("token = %q", api.Tokens[0].Token.Reveal())
	}
	var routing struct{}
	if err := cfg.DecodeSection("routing", &routing); err != nil {
		t.Errorf("an absent section: %v", err)
	}
	if err := cfg.DecodeSection("nope", &routing); err == nil {
		t.Error("an unknown section decoded")
	}
}
