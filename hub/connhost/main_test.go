package connhost_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/hub/connhost"
	"github.com/crossdockhq/crossdock/plugins/sdk"
	"testing"
)

// The test binary doubles as the connectors and the hub these tests need:
//
//	plugin=seq            serves seqConnector (a numbered stream)
//	plugin=crashy MARKER  serves seqConnector, which panics once mid-read
//	                      (once per MARKER file)
//	plugin=doomed         serves a connector whose process dies 100ms after it
//	                      starts, every time
//	CONNHOST_TEST_HUB=1   runs a connector host with one seq instance, prints
//	                      "pid N" for the connector and waits
//
// The mode travels as an argument, so the tests need no shared environment
// and run in parallel.
func TestMain(m *testing.M) {
	mode := ""
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	switch mode {
	case "plugin=seq":
		sdk.Serve(&seqConnector{})
		return
	case "plugin=crashy":
		sdk.Serve(&seqConnector{crashAt: 20, marker: os.Args[2]})
		return
	case "plugin=doomed":
		go func() {
			time.Sleep(100 * time.Millisecond)
			panic("doomed connector dies")
		}()
		sdk.Serve(&seqConnector{})
		return
	}
	if os.Getenv("CONNHOST_TEST_HUB") == "1" {
		runTestHub()
		return
	}
	os.Exit(m.Run())
}

// runTestHub is the hub process of the no-orphans test.
func runTestHub() {
	exe, _ := os.Executable()
	h, err := connhost.New(connhost.Config{Instances: []connhost.Instance{{
		Name: "seq", Command: exe, Args: []string{"plugin=seq"}, Config: json.RawMessage(`{}`),
	}}})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	h.Start(ctx)
	for {
		if st := h.Status()[0]; st.State == connhost.StateRunning && st.PID > 0 {
			fmt.Printf("pid %d\n", st.PID)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	<-ctx.Done()
	h.Close()
}

// seqConnector reads stream "numbers": N records (config "n", default 50) in
// batches of config "batch" (default 5); the cursor is the next number.
type seqConnector struct {
	n, batch int
	crashAt  int
	marker   string
}

func (c *seqConnector) Spec() sdk.Spec {
	return sdk.Spec{Name: "seq", Version: "1.0.0", ConfigSchema: json.RawMessage(`{"type":"object"}`),
		Streams: []sdk.StreamSpec{{Name: "numbers", Kind: canonical.KindInventoryCount}}, Webhooks: true}
}

func (c *seqConnector) Configure(_ context.Context, raw json.RawMessage) error {
	var cfg struct {
		N     int    `json:"n"`
		Batch int    `json:"batch"`
		Want  string `json:"want_env"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return &sdk.ConfigError{Fields: []sdk.FieldError{{Message: err.Error()}}}
	}
	if cfg.N < 0 {
		return &sdk.ConfigError{Fields: []sdk.FieldError{{Field: "n", Message: "must not be negative"}}}
	}
	c.n, c.batch = cfg.N, cfg.Batch
	if c.n == 0 {
		c.n = 50
	}
	if c.batch == 0 {
		c.batch = 5
	}
	slog.Info("seq configured", "n", c.n)
	return nil
}

// Check reports, as a config failure, any environment it should not see: the
// host's HOST_ONLY_SECRET leaking in, or PASSED_VAR (named in the instance's
// env) missing.
func (c *seqConnector) Check(context.Context) error {
	if v := os.Getenv("HOST_ONLY_SECRET"); v != "" {
		return &sdk.CheckError{Reason: sdk.CheckConfig, Message: "host environment leaked: HOST_ONLY_SECRET=" + v}
	}
	if os.Getenv("PASSED_VAR") != "passed" {
		return &sdk.CheckError{Reason: sdk.CheckConfig, Message: "PASSED_VAR missing"}
	}
	return nil
}

func (c *seqConnector) Read(ctx context.Context, stream string, cursor []byte, emit func(sdk.Batch) error) error {
	next := 0
	if len(cursor) > 0 {
		next, _ = strconv.Atoi(string(cursor))
	}
	for next < c.n {
		if c.crashAt > 0 && next >= c.crashAt && c.marker != "" {
			if _, err := os.Stat(c.marker); err != nil {
				os.WriteFile(c.marker, []byte("crashed"), 0o644)
				panic("seq connector crashes mid-read")
			}
		}
		var b sdk.Batch
		for i := 0; i < c.batch && next < c.n; i++ {
			b.Records = append(b.Records, numberRecord(next))
			next++
		}
		b.Cursor = []byte(strconv.Itoa(next))
		if err := emit(b); err != nil {
			return err
		}
	}
	return nil
}

func numberRecord(i int) canonical.Record {
	at := time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC)
	p, _ := json.Marshal(canonical.InventoryCount{SKU: fmt.Sprintf("N-%d", i), LocationID: "L", OnHand: int64(i), At: at})
	return canonical.Record{Kind: canonical.KindInventoryCount, ExternalID: strconv.Itoa(i), Version: 1, IdempotencyKey: "n-" + strconv.Itoa(i), At: at, Payload: p}
}

// Webhook accepts X-Sig: good; "bad" is unauthorized; anything else malformed.
func (c *seqConnector) Webhook(_ context.Context, h http.Header, body []byte) ([]canonical.Record, error) {
	switch h.Get("X-Sig") {
	case "good":
		n, err := strconv.Atoi(string(body))
		if err != nil {
			return nil, &sdk.WebhookError{Refusal: sdk.WebhookMalformed, Message: "body is not a number"}
		}
		return []canonical.Record{numberRecord(n)}, nil
	case "bad":
		return nil, &sdk.WebhookError{Refusal: sdk.WebhookUnauthorized, Message: "signature mismatch"}
	}
	return nil, &sdk.WebhookError{Refusal: sdk.WebhookMalformed, Message: "no signature header"}
}
