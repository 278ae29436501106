package connhost_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/crossdockhq/crossdock/hub/connhost"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// tablePublisher is a bus stand-in that writes each message into a table in
// the caller's transaction, so a test can see exactly what committed. failAfter
// > 0 makes the nth publish fail.
type tablePublisher struct {
	db        *store.DB
	mu        sync.Mutex
	calls     int
	seq       int
	failAfter int
}

func (p *tablePublisher) PublishTx(ctx context.Context, tx *sql.Tx, topic string, msgs ...*message.Message) error {
	p.mu.Lock()
	p.calls++
	fail := p.failAfter > 0 && p.calls >= p.failAfter
	p.mu.Unlock()
	if fail {
		return errors.New("bus is down")
	}
	for _, m := range msgs {
		p.mu.Lock()
		p.seq++
		seq := p.seq
		p.mu.Unlock()
		if _, err := tx.ExecContext(ctx, p.db.Dialect.Rebind(`INSERT INTO test_bus (seq, topic, source, idem, payload) VALUES (?, ?, ?, ?, ?)`),
			seq, topic, m.Metadata.Get("source"), m.Metadata.Get("idempotency_key"), string(m.Payload)); err != nil {
			return err
		}
	}
	return nil
}

func (p *tablePublisher) keys(t *testing.T, topic string) []string {
	t.Helper()
	rows, err := p.db.Query(p.db.Dialect.Rebind(`SELECT idem FROM test_bus WHERE topic = ? ORDER BY seq`), topic)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		rows.Scan(&k)
		out = append(out, k)
	}
	return out
}

func openDB(t *testing.T) (*store.DB, *tablePublisher) {
	t.Helper()
	return openDSN(t, "sqlite:"+filepath.Join(t.TempDir(), "hub.db"))
}

func openDSN(t *testing.T, dsn string) (*store.DB, *tablePublisher) {
	t.Helper()
	db, err := store.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE test_bus (seq BIGINT, topic TEXT, source TEXT, idem TEXT, payload TEXT)`); err != nil {
		t.Fatal(err)
	}
	return db, &tablePublisher{db: db}
}

func self(t *testing.T) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func startHost(t *testing.T, cfg connhost.Config) *connhost.Host {
	t.Helper()
	h, err := connhost.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func waitState(t *testing.T, h *connhost.Host, name string, want connhost.State, within time.Duration) connhost.Status {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		for _, s := range h.Status() {
			if s.Name == name && s.State == want {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not reach state %s within %s: %+v", name, want, within, h.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func want(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "n-" + strconv.Itoa(i)
	}
	return out
}

func TestPoll_PublishesEveryBatchAndStoresItsCursorInTheSameTransaction(t *testing.T) {
	t.Parallel()
	db, pub := openDB(t)
	h := startHost(t, connhost.Config{DB: db, Publisher: pub, Instances: []connhost.Instance{{
		Name: "seq-a", Command: self(t), Args: []string{"plugin=seq"}, Config: json.RawMessage(`{"n":23,"batch":4}`),
		Streams: map[string]time.Duration{"numbers": 0},
	}}})
	n, err := h.Poll(t.Context(), "seq-a", "numbers")
	if err != nil || n != 23 {
		t.Fatalf("poll = %d, %v; want 23 records", n, err)
	}
	if got := pub.keys(t, "inventory_count.in"); strings.Join(got, ",") != strings.Join(want(23), ",") {
		t.Fatalf("bus has %v", got)
	}
	cur, _ := h.Cursor(t.Context(), "seq-a", "numbers")
	if string(cur) != "23" {
		t.Errorf("stored cursor = %q, want 23", cur)
	}
	var source string
	db.QueryRow(`SELECT source FROM test_bus LIMIT 1`).Scan(&source)
	if source != "seq-a" {
		t.Errorf("message source = %q, want the instance name seq-a", source)
	}
	// Nothing new: a second poll publishes nothing.
	if n, err := h.Poll(t.Context(), "seq-a", "numbers"); err != nil || n != 0 {
		t.Errorf("second poll = %d, %v; want 0", n, err)
	}
}

func TestPoll_CursorNeverPassesRecordsTheBusDidNotTake(t *testing.T) {
	t.Parallel()
	db, pub := openDB(t)
	pub.failAfter = 3 // the third batch's publish fails
	h := startHost(t, connhost.Config{DB: db, Publisher: pub, Instances: []connhost.Instance{{
		Name: "seq-b", Command: self(t), Args: []string{"plugin=seq"}, Config: json.RawMessage(`{"n":20,"batch":5}`),
		Streams: map[string]time.Duration{"numbers": 0},
	}}})
	if _, err := h.Poll(t.Context(), "seq-b", "numbers"); err == nil {
		t.Fatal("poll succeeded although the bus failed")
	}
	cur, _ := h.Cursor(t.Context(), "seq-b", "numbers")
	if string(cur) != "10" || len(pub.keys(t, "inventory_count.in")) != 10 {
		t.Fatalf("after a failed publish: cursor %q and %d records on the bus; want 10 and 10", cur, len(pub.keys(t, "inventory_count.in")))
	}
	pub.failAfter = 0
	if _, err := h.Poll(t.Context(), "seq-b", "numbers"); err != nil {
		t.Fatal(err)
	}
	if got := pub.keys(t, "inventory_count.in"); strings.Join(got, ",") != strings.Join(want(20), ",") {
		t.Errorf("after resuming the bus has %v; want each of 0..19 once", got)
	}
}

func TestSupervision_CrashedConnectorIsRestartedAndReadingContinues(t *testing.T) {
	t.Parallel()
	marker := filepath.Join(t.TempDir(), "crashed")
	db, pub := openDB(t)
	reg := prometheus.NewRegistry()
	h := startHost(t, connhost.Config{DB: db, Publisher: pub, Registerer: reg,
		Backoff: connhost.Backoff{Initial: 50 * time.Millisecond},
		Instances: []connhost.Instance{{
			Name: "crashy", Command: self(t), Args: []string{"plugin=crashy", marker}, Config: json.RawMessage(`{"n":40,"batch":5}`),
			Streams: map[string]time.Duration{"numbers": 50 * time.Millisecond},
		}}})
	deadline := time.Now().Add(20 * time.Second)
	for len(pub.keys(t, "inventory_count.in")) < 40 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := pub.keys(t, "inventory_count.in"); strings.Join(got, ",") != strings.Join(want(40), ",") {
		t.Fatalf("bus has %v; want each of 0..39 once across the crash", got)
	}
	st := waitState(t, h, "crashy", connhost.StateRunning, 5*time.Second)
	if st.Restarts != 1 || !strings.Contains(st.LastError, "exited") {
		t.Errorf("status = %+v; want one restart and the crash as last error", st)
	}
	if v := testutil.ToFloat64(mustCounter(t, reg, "crossdock_connector_restarts_total")); v != 1 {
		t.Errorf("restarts metric = %v, want 1", v)
	}
}

func mustCounter(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			c := prometheus.NewCounter(prometheus.CounterOpts{Name: name})
			var sum float64
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
			c.Add(sum)
			return c
		}
	}
	t.Fatalf("metric %s not registered", name)
	return nil
}

func TestSupervision_ConnectorThatKeepsCrashingIsMarkedFailedAndTheHostStaysUp(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	h := startHost(t, connhost.Config{Registerer: reg, MaxRestarts: 2,
		Backoff: connhost.Backoff{Initial: 20 * time.Millisecond, Max: 100 * time.Millisecond},
		Instances: []connhost.Instance{
			{Name: "doomed", Command: self(t), Args: []string{"plugin=doomed"}, Config: json.RawMessage(`{}`)},
			{Name: "steady", InProcess: func() sdk.Connector { return &inProc{} }, Config: json.RawMessage(`{}`)},
		}})
	st := waitState(t, h, "doomed", connhost.StateFailed, 30*time.Second)
	if !strings.Contains(st.LastError, "consecutive crashes") {
		t.Errorf("last error = %q, want it to say it kept crashing", st.LastError)
	}
	if err := h.Check(t.Context(), "doomed"); !errors.Is(err, connhost.ErrFailed) {
		t.Errorf("check on a failed connector = %v, want ErrFailed", err)
	}
	if err := h.Check(t.Context(), "steady"); err != nil {
		t.Errorf("the other connector stopped working: %v", err)
	}
	if got := testutil.ToFloat64(gauge(t, reg, "doomed", "failed")); got != 1 {
		t.Errorf(`crossdock_connector_state{connector="doomed",state="failed"} = %v, want 1`, got)
	}
}

func gauge(t *testing.T, reg *prometheus.Registry, connector, state string) prometheus.Collector {
	t.Helper()
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "crossdock_connector_state" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["connector"] == connector && labels["state"] == state {
				g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "x"})
				g.Set(m.GetGauge().GetValue())
				return g
			}
		}
	}
	t.Fatalf("no state gauge for %s/%s", connector, state)
	return nil
}

type inProc struct{}

func (inProc) Spec() sdk.Spec                                   { return sdk.Spec{Name: "inproc", Version: "1"} }
func (inProc) Configure(context.Context, json.RawMessage) error { return nil }
func (inProc) Check(context.Context) error                      { return nil }

func TestLaunch_PluginSeesOnlyTheEnvironmentItsConfigNames(t *testing.T) {
	t.Setenv("HOST_ONLY_SECRET", "s3cret")
	t.Setenv("PASSED_VAR", "passed")
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&logs, &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := startHost(t, connhost.Config{Logger: logger, Instances: []connhost.Instance{{
		Name: "env-probe", Command: self(t), Args: []string{"plugin=seq"}, Env: []string{"PASSED_VAR"}, Config: json.RawMessage(`{}`),
	}}})
	if err := h.Check(t.Context(), "env-probe"); err != nil {
		t.Fatalf("check: %v", err)
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	found := false
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, `"msg":"seq configured"`) && strings.Contains(line, `"connector":"env-probe"`) && strings.Contains(line, `"level":"INFO"`) {
			found = true
		}
	}
	if !found {
		t.Errorf("the plugin's log line did not reach the hub's log tagged with the instance; log:\n%s", out)
	}
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

type auditLog struct {
	mu      sync.Mutex
	entries []string
}

func (a *auditLog) RecordRefusal(_ context.Context, instance, reason, remote string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, instance+"|"+reason)
}

func TestWebhook_VerifiedRecordsReachTheBusAndRefusalsAreAuditedOnly(t *testing.T) {
	t.Parallel()
	db, pub := openDB(t)
	audit := &auditLog{}
	h := startHost(t, connhost.Config{DB: db, Publisher: pub, Audit: audit, Instances: []connhost.Instance{{
		Name: "hooks", Command: self(t), Args: []string{"plugin=seq"}, Config: json.RawMessage(`{}`),
	}}})
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/{instance}", h.WebhookHandler())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tests := []struct {
		name, path, sig, body string
		wantCode              int
		wantAudit             string
	}{
		{"good signature", "/webhooks/hooks", "good", "7", 200, ""},
		{"bad signature", "/webhooks/hooks", "bad", "8", 401, "hooks|unauthorized: signature mismatch"},
		{"malformed", "/webhooks/hooks", "good", "eight", 400, "hooks|malformed: body is not a number"},
		{"unknown instance", "/webhooks/nobody", "good", "9", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			audit.mu.Lock()
			audit.entries = nil
			audit.mu.Unlock()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("X-Sig", tt.sig)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantCode)
			}
			audit.mu.Lock()
			got := strings.Join(audit.entries, ";")
			audit.mu.Unlock()
			if got != tt.wantAudit {
				t.Errorf("audit = %q, want %q", got, tt.wantAudit)
			}
		})
	}
	if got := pub.keys(t, "inventory_count.in"); strings.Join(got, ",") != "n-7" {
		t.Errorf("bus has %v; want only the verified delivery n-7", got)
	}
}

func TestNoOrphans_ConnectorDiesWhenTheHubIsKilled(t *testing.T) {
	t.Parallel()
	hub := exec.Command(self(t))
	hub.Env = append(os.Environ(), "CONNHOST_TEST_HUB=1")
	out, err := hub.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := hub.Start(); err != nil {
		t.Fatal(err)
	}
	defer hub.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("hub printed no connector pid: %v", err)
	}
	var pid int
	if _, err := fmt.Sscanf(line, "pid %d", &pid); err != nil || pid <= 0 {
		t.Fatalf("hub said %q", line)
	}
	if !alive(pid) {
		t.Fatalf("connector %d not running before the kill", pid)
	}
	if err := hub.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	hub.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("connector %d survived its SIGKILLed hub", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false // no /proc entry: gone
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i > 0 && i+2 < len(s) {
		return s[i+2] != 'Z' && s[i+2] != 'X'
	}
	return true
}
