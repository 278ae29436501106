package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while the command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSandboxShopify_ServesTheSeedAndStopsOnCancel(t *testing.T) {
	var out, errOut syncBuffer
	g := &globals{stdout: &out, stderr: &errOut, logLevel: "error"}
	root := newRootCmd(g)
	root.SetArgs([]string{"sandbox", "shopify", "--port", "0", "--seed", "../../connectors/shopify/testdata/sandbox-seed.json"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("sandbox exited with %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("sandbox did not stop on cancel")
		}
	}()
	re := regexp.MustCompile(`serving (http://127\.0\.0\.1:\d+)`)
	var base string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		t.Fatalf("no address printed; stdout %q stderr %q", out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "25 orders, 4 products, 8 variants") {
		t.Errorf("seed not loaded: %s", out.String())
	}
	req, _ := http.NewRequest("POST", base+"/admin/api/2025-01/graphql.json", strings.NewReader(`{"query":"{ orders(first: 1) { nodes { name } } }"}`))
	req.Header.Set("X-Shopify-Access-Token", "shpat_sandbox")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"name":"#1001"`) {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
}

func TestSandboxShopify_RefusesAnUnknownPlan(t *testing.T) {
	var out, errOut syncBuffer
	g := &globals{stdout: &out, stderr: &errOut, logLevel: "error"}
	root := newRootCmd(g)
	root.SetArgs([]string{"sandbox", "shopify", "--plan", "platinum"})
	if err := root.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "unknown plan") {
		t.Errorf("err %v; want unknown plan", err)
	}
}
