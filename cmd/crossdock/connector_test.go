package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	filesandbox "github.com/crossdockhq/crossdock/connectors/file/sandbox"
	"github.com/crossdockhq/crossdock/hub/audit"
	"github.com/crossdockhq/crossdock/hub/bus"
	"github.com/crossdockhq/crossdock/hub/config"
	"github.com/crossdockhq/crossdock/hub/connhost"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// TestMain makes the test binary double as the crossdock binary: run with a
// first argument that is not a test flag ("connector serve file", ...) it is
// crossdock. The binary is thus compiled once, by go test, and the connector
// host and the conformance suite start built-in connectors from it exactly as
// they do from a built crossdock.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-test.") {
		os.Exit(execute(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// connectorCLI runs crossdock in-process and returns stdout, stderr and the exit code.
func connectorCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runCLI(t, "", "warn", args...)
}

func hubYAML(t *testing.T, feedDir string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "hub.yaml")
	yaml := fmt.Sprintf(`hub:
  data: sqlite:%s
connectors:
  - name: feeds
    type: file
    config:
      dir: %s
    streams:
      orders: { poll: 30s }
`, filepath.Join(dir, "hub.db"), feedDir)
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConnectorTest_FileConnectorPassesTheConformanceSuiteAsPlugin(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), exe, "connector", "test", "file").CombinedOutput()
	if err != nil {
		t.Fatalf("crossdock connector test file: %v\n%s", err, out)
	}
	for _, want := range []string{"pass  read_resume", "pass  crash_resume", "0 failed", "skip  webhook"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestConnectorCheck_OkOrTypedReasonThroughTheHost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		dir      string
		wantOut  string
		wantCode int
	}{
		{"folder exists", t.TempDir(), "feeds: ok", 0},
		{"folder missing", filepath.Join(t.TempDir(), "unmounted"), "feeds: failed (network)", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := connectorCLI(t, "connector", "check", "feeds", "--config", hubYAML(t, tt.dir))
			if code != tt.wantCode || !strings.Contains(out, tt.wantOut) {
				t.Errorf("exit %d, output %q (stderr %q); want %d and %q", code, out, errOut, tt.wantCode, tt.wantOut)
			}
		})
	}
}

func TestConnectorsList_ShowsBuiltinsAndConfiguredInstances(t *testing.T) {
	out, errOut, code := connectorCLI(t, "connectors", "list", "--config", hubYAML(t, t.TempDir()))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"file", "products,inventory,orders", "feeds", "type file", "orders (30s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
}

func TestConnectorSpec_PrintsTheBuiltinSpecAsJSON(t *testing.T) {
	out, errOut, code := connectorCLI(t, "connector", "spec", "file")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var spec sdk.Spec
	if err := json.Unmarshal([]byte(out), &spec); err != nil {
		t.Fatalf("spec is not JSON: %v\n%s", err, out)
	}
	if spec.Name != "file" || len(spec.Streams) != 3 || len(spec.ConfigSchema) == 0 {
		t.Errorf("spec = %+v", spec)
	}
	if _, _, code := connectorCLI(t, "connector", "spec", "nosuch"); code == 0 {
		t.Error("spec of an unknown connector succeeded")
	}
}

func TestConnectorHost_PollsAHubConfigThroughTheRealBus(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	feeds := t.TempDir()
	if err := filesandbox.Seed(feeds); err != nil {
		t.Fatal(err)
	}
	cfgPath := hubYAML(t, feeds)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, cfg.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := bus.New(db, bus.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	log := audit.New(db)
	h, err := newConnectorHost(cfg, connhost.Config{DB: db, Publisher: b, Audit: auditRefusals{log: log, db: db}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	n, err := h.Poll(ctx, "feeds", "orders")
	if err != nil || n != filesandbox.Seeded["orders"] {
		t.Fatalf("poll = %d, %v; want %d orders", n, err, filesandbox.Seeded["orders"])
	}
	if cur, _ := h.Cursor(ctx, "feeds", "orders"); len(cur) == 0 {
		t.Error("no cursor stored after the orders reached the bus")
	}
	// A refusal reaches the audit log through the adapter.
	auditRefusals{log: log, db: db}.RecordRefusal(ctx, "feeds", "unauthorized: bad hmac", "10.0.0.9:4242")
	entries, err := log.List(ctx, audit.Filter{Action: audit.ActionWebhookRefused})
	if err != nil || len(entries) != 1 || entries[0].Subject != "webhook:feeds" || entries[0].RemoteAddr != "10.0.0.9:4242" {
		t.Errorf("audit entries = %+v, %v", entries, err)
	}
}

func TestBenchConnectorProtocol_ReportsEveryOpAndBatchSize(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	figs, err := benchConnectorProtocol(t.Context(), &out, 200, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 6 {
		t.Fatalf("figures = %+v, want read and write at 3 batch sizes", figs)
	}
	for _, f := range figs {
		if f.InProcess <= 0 || f.Plugin <= 0 {
			t.Errorf("figure %+v has an empty rate", f)
		}
	}
	if !strings.Contains(out.String(), "overhead") {
		t.Errorf("no table printed:\n%s", out.String())
	}
}

func TestConnectorsStatus_PrintsEachInstanceStateFromTheHub(t *testing.T) {
	h, err := connhost.New(connhost.Config{Instances: []connhost.Instance{
		{Name: "feeds", InProcess: builtinConnectors["file"].New, Config: json.RawMessage(`{"dir":"/tmp"}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for h.Status()[0].State != connhost.StateRunning {
		time.Sleep(10 * time.Millisecond)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /connectors/status", h.StatusHandler())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	out, errOut, code := connectorCLI(t, "connectors", "status", "--addr", srv.URL)
	if code != 0 || !strings.Contains(out, "feeds") || !strings.Contains(out, "running") {
		t.Errorf("exit %d, output %q (stderr %q); want feeds running", code, out, errOut)
	}
}
