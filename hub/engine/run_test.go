package engine_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/hub/bus"
)

// TestRun_ServesProbesAndMetricsRedactsSecretsAndStopsOnSIGTERM runs the real
// binary: it must serve /healthz, /readyz and /metrics, run its pipeline, keep
// a resolved secret out of its logs, and exit 0 on SIGTERM.
func TestRun_ServesProbesAndMetricsRedactsSecretsAndStopsOnSIGTERM(t *testing.T) {
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "hub.yaml"), `hub:
  data: sqlite:hub.db
  listen: 127.0.0.1:0
connectors:
  - name: shop
    type: shopify
    config: {token: "${env:SHOP_TOKEN}"}
pipelines: [p.yaml]
`)
	writeFile(t, filepath.Join(dir, "p.yaml"), `name: p
from: {connector: shop, stream: orders}
steps:
  - log: {message: "order for token ${env:SHOP_TOKEN}", fields: {number: order.number}}
to: [{topic: order.accepted}]
`)
	const secret = "shpat-9f8e7d6c5b4a"
	cmd := exec.Command(binary, "run", "--config", filepath.Join(dir, "hub.yaml"))
	cmd.Env = append(os.Environ(), "SHOP_TOKEN="+secret)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()

	var mu sync.Mutex
	var logs strings.Builder
	addrCh := make(chan string, 1)
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		listen := regexp.MustCompile(`msg="hub running".* listen=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			logs.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := listen.FindStringSubmatch(sc.Text()); m != nil {
				addrCh <- m[1]
			}
		}
	}()
	var base string
	select {
	case addr := <-addrCh:
		base = "http://" + addr
	case <-time.After(20 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the hub did not start; log:\n%s", logs.String())
	}

	if code, _ := httpGet(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, body := httpGet(t, base+"/readyz"); code != 200 || !strings.Contains(body, `"status":"ready"`) {
		t.Errorf("/readyz = %d %s", code, body)
	}

	// A record from the connector goes through the pipeline.
	ctx := context.Background()
	db := openDB(t, ctx, "sqlite:"+filepath.Join(dir, "hub.db"))
	b, err := bus.New(db, bus.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := orderMessageFrom(t, "shop", "shop/orders/1/1", 100)
	if err := b.Publish(ctx, "order.in", rec); err != nil {
		t.Fatal(err)
	}
	db.Close()
	want := `crossdock_pipeline_step_records_out_total{pipeline="p",step="log"} 1`
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := httpGet(t, base+"/metrics")
		if strings.Contains(body, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed %s", want)
		}
		time.Sleep(50 * time.Millisecond)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-logDone
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if strings.Contains(out, secret) {
		t.Errorf("the secret is in the log:\n%s", out)
	}
	if !strings.Contains(out, `msg="order for token ***"`) || !strings.Contains(out, `msg="hub stopped"`) {
		t.Errorf("log lacks the redacted step line or the clean stop:\n%s", out)
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
