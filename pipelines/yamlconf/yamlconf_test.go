package yamlconf_test

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

type server struct {
	Name    string             `yaml:"name" required:"true"`
	Port    int                `yaml:"port"`
	TLS     bool               `yaml:"tls"`
	Timeout time.Duration      `yaml:"timeout"`
	Token   yamlconf.Secret    `yaml:"token"`
	Tags    []string           `yaml:"tags"`
	Labels  map[string]string  `yaml:"labels"`
	Pos     yamlconf.Positions `yaml:"-"`
}

type file struct {
	Servers []server `yaml:"servers" required:"true"`
}

func decode(t *testing.T, src string, secrets *yamlconf.Secrets, getenv func(string) (string, bool)) (file, yamlconf.Errors) {
	t.Helper()
	root, err := yamlconf.Parse("f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var f file
	res := &yamlconf.Resolver{Secrets: secrets, Getenv: getenv, Dir: t.TempDir()}
	errs := res.Resolve("f.yaml", root)
	d := yamlconf.NewDecoder("f.yaml", secrets)
	d.Decode(root, &f)
	return f, append(errs, d.Errs...)
}

func TestDecode_ReportsEveryProblemOfAFileWithItsPosition(t *testing.T) {
	src := `servers:
  - name: a
    port: eighty
    tls: yes please
    timeout: 5 minutes
    colour: blue
  - port: 80
    tags: web
    labels: [x]
    name: b
    name: c
`
	_, errs := decode(t, src, nil, nil)
	want := []string{
		`f.yaml:3:11: servers[0].port: expected an integer, got a string "eighty"`,
		`f.yaml:4:10: servers[0].tls: expected a boolean (true or false), got a string "yes please"`,
		`f.yaml:5:14: servers[0].timeout: expected a duration such as 30s or 24h, got "5 minutes"`,
		`f.yaml:6:5: servers[0]: unknown field "colour"`,
		`f.yaml:8:11: servers[1].tags: expected a list, got a string "web"`,
		`f.yaml:9:13: servers[1].labels: expected a mapping, got a list`,
		`f.yaml:11:5: servers[1]: duplicate field "name"`,
	}
	if got := errs.Strings(); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDecode_MissingAndEmptyRequiredFields(t *testing.T) {
	_, errs := decode(t, "servers:\n  - port: 1\n  - name:\n", nil, nil)
	want := []string{
		`f.yaml:2:5: servers[0]: missing required field "name"`,
		`f.yaml:3:10: servers[1]: field "name" must not be empty`,
	}
	if got := errs.Strings(); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	_, errs = decode(t, "{}\n", nil, nil)
	if got := errs.Error(); got != `f.yaml:1:1: missing required field "servers"` {
		t.Errorf("got %q", got)
	}
}

func TestDecode_ValuesAndPositions(t *testing.T) {
	f, errs := decode(t, "servers:\n  - name: a\n    port: 8_080\n    timeout: 2d\n    tags: [x, y]\n    labels: {env: prod}\n", nil, nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	s := f.Servers[0]
	if s.Port != 8080 || s.Timeout != 48*time.Hour || !reflect.DeepEqual(s.Tags, []string{"x", "y"}) || s.Labels["env"] != "prod" {
		t.Errorf("decoded %+v", s)
	}
	if got := s.Pos.Of("timeout").String(); got != "f.yaml:4:14" {
		t.Errorf("position of timeout = %s", got)
	}
}

func TestResolve_EnvAndFileReferences(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte("file-secret-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) (string, bool) {
		if k == "SHOP" {
			return "env-secret-value", true
		}
		return "", false
	}
	src := "a: ${env:SHOP}\nb: Bearer ${file:token}\nc: ${env:MISSING}\nd: ${vault:x}\ne: ${file:nope}\n"
	root, _ := yamlconf.Parse("f.yaml", []byte(src))
	secrets := yamlconf.NewSecrets()
	errs := (&yamlconf.Resolver{Secrets: secrets, Getenv: getenv, Dir: dir}).Resolve("f.yaml", root)
	want := []string{
		`f.yaml:3:4: environment variable MISSING is not set (referenced as ${env:MISSING})`,
		`f.yaml:4:4: unknown reference "${vault:...}": want ${env:NAME} or ${file:PATH}`,
		`f.yaml:5:4: read secret file nope: no such file or directory`,
	}
	if got := errs.Strings(); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if root.Content[1].Value != "env-secret-value" || root.Content[3].Value != "Bearer file-secret-value" {
		t.Errorf("resolved to %q and %q", root.Content[1].Value, root.Content[3].Value)
	}
	if !secrets.Has("env-secret-value") || !secrets.Has("file-secret-value") {
		t.Error("resolved values are not registered as secrets")
	}
}

func TestSecrets_NeverReachLogsOrErrors(t *testing.T) {
	secrets := yamlconf.NewSecrets()
	getenv := func(string) (string, bool) { return "hunter2-secret", true }
	// A secret where a number belongs: the error must not quote it.
	_, errs := decode(t, "servers:\n  - name: a\n    port: ${env:PORT}\n    token: ${env:TOKEN}\n", secrets, getenv)
	if got := errs.Error(); got != `f.yaml:3:11: servers[0].port: expected an integer, got a string "***"` {
		t.Errorf("error = %q", got)
	}
	var buf bytes.Buffer
	logger := slog.New(yamlconf.NewRedactingHandler(slog.NewJSONHandler(&buf, nil), secrets))
	logger.With("dsn", "postgres://u:hunter2-secret@db").Info("connecting with hunter2-secret",
		"err", errors.New("auth failed for hunter2-secret"),
		"token", yamlconf.Secret("hunter2-secret"),
		slog.Group("conn", "password", "hunter2-secret"))
	var buf2 bytes.Buffer
	logger2 := slog.New(slog.NewTextHandler(&buf2, &slog.HandlerOptions{ReplaceAttr: yamlconf.ReplaceAttr(secrets)}))
	logger2.Info("token hunter2-secret", "v", []byte("hunter2-secret"))
	for _, out := range []string{buf.String(), buf2.String()} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("secret in log line: %s", out)
		}
		if !strings.Contains(out, "***") {
			t.Errorf("no redaction mark in %s", out)
		}
	}
	if red := secrets.RedactError(errors.New("dial: hunter2-secret refused")); red.Error() != "dial: *** refused" {
		t.Errorf("RedactError = %q", red)
	}
	s := yamlconf.Secret("hunter2-secret")
	if s.String() != "***" || s.Reveal() != "hunter2-secret" {
		t.Error("Secret must print *** and reveal its value")
	}
}
