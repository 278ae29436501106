package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/crossdockhq/crossdock/hub/server"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServer_HealthReadinessMetricsAndMountedHandlers(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "crossdock_test_total", Help: "a test counter"})
	reg.MustRegister(c)
	c.Add(3)
	srv := server.New(server.Config{Addr: "127.0.0.1:0", Gatherer: reg})
	var busReady atomic.Bool
	srv.AddReadyCheck("database", func(context.Context) error { return nil })
	srv.AddReadyCheck("bus", func(context.Context) error {
		if !busReady.Load() {
			return errors.New("bus is starting")
		}
		return nil
	})
	srv.Handle("GET /api/v1/ping", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("pong")) }))
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	base := "http://" + srv.Addr().String()

	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, `"bus":"bus is starting"`) || !strings.Contains(body, `"database":"ok"`) {
		t.Errorf("/readyz while starting = %d %s", code, body)
	}
	busReady.Store(true)
	if code, body := get(t, base+"/readyz"); code != 200 || !strings.Contains(body, `"status":"ready"`) {
		t.Errorf("/readyz when ready = %d %s", code, body)
	}
	if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, "crossdock_test_total 3") {
		t.Errorf("/metrics = %d %s", code, body)
	}
	if code, body := get(t, base+"/api/v1/ping"); code != 200 || body != "pong" {
		t.Errorf("mounted handler = %d %q", code, body)
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still serving after Shutdown")
	}
}
