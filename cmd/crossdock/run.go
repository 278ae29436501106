package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/crossdockhq/crossdock/hub/bus"
	"github.com/crossdockhq/crossdock/hub/engine"
	"github.com/crossdockhq/crossdock/hub/server"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

func init() { addCommand(newRunCmd) }

func newRunCmd(g *globals) *cobra.Command {
	var cfgPath, listen string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the hub: the bus, the pipelines and the HTTP server",
		Long: `run starts a hub from its config: it opens the database named by hub.data (and
brings its schema up to date), starts the durable bus and every pipeline the
config names, and serves HTTP on hub.listen:

  /healthz   200 while the process serves
  /readyz    200 once the database answers and the bus runs, else 503
  /metrics   Prometheus metrics: records in/out/dropped/failed per pipeline and
             step, step latency, bus handler and dead-letter counters

It stops cleanly on SIGINT or SIGTERM: no new messages are taken, messages in
flight finish (or are redelivered on the next start: nothing is lost or doubled).
The config is checked first, exactly as 'crossdock validate' does.`,
		Example: `  crossdock run --config configs/hub.yaml
  crossdock run --config configs/hub.yaml --listen 127.0.0.1:9090 --log-format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runHub(cmd.Context(), g, cfgPath, listen)
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "configs/hub.yaml", "hub config file")
	cmd.Flags().StringVar(&listen, "listen", "", "HTTP listen address, overriding hub.listen (port 0 picks a free port)")
	return cmd
}

func runHub(ctx context.Context, g *globals, cfgPath, listen string) error {
	base := g.logger()
	loaded, err := engine.Load(cfgPath, engine.LoadOptions{Logger: base})
	if err != nil {
		var errs yamlconf.Errors
		if errors.As(err, &errs) {
			printErrors(g.stderr, err)
			return exitError{code: 1}
		}
		return err
	}
	cfg := loaded.Config
	// From here on no resolved secret reaches a log line.
	logger := slog.New(yamlconf.NewRedactingHandler(base.Handler(), cfg.Secrets))
	redact := cfg.Secrets.RedactError

	db, err := store.Open(ctx, cfg.DSN())
	if err != nil {
		return redact(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return redact(err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	b, err := bus.New(db, bus.Config{Registerer: reg}, logger)
	if err != nil {
		return redact(err)
	}
	// The engine gets the same registry but its own logger tags.
	eng, err := engine.New(b, loaded.Pipelines, engine.Config{Registerer: reg, Logger: logger})
	if err != nil {
		return redact(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := eng.Start(runCtx); err != nil {
		return redact(err)
	}

	addr := cfg.Listen()
	if listen != "" {
		addr = listen
	}
	srv := server.New(server.Config{Addr: addr, Gatherer: reg, Logger: logger})
	srv.AddReadyCheck("database", func(ctx context.Context) error { return db.PingContext(ctx) })
	srv.AddReadyCheck("bus", func(context.Context) error {
		select {
		case <-b.Running():
			return nil
		default:
			return errors.New("bus is starting")
		}
	})
	if err := srv.Start(); err != nil {
		return err
	}

	busDone := make(chan error, 1)
	go func() { busDone <- b.Run(runCtx) }()
	select {
	case <-b.Running():
		logger.Info("hub running", "config", cfg.Path, "listen", srv.Addr().String(), "pipelines", len(loaded.Pipelines.Pipelines))
	case err := <-busDone:
		_ = srv.Shutdown(context.Background())
		return redact(fmt.Errorf("start bus: %w", err))
	}

	var runErr error
	select {
	case <-ctx.Done():
		logger.Info("stopping hub")
	case runErr = <-busDone:
		logger.Error("bus stopped", "err", runErr)
	}
	shutdownCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout())
	defer stop()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Warn("http shutdown", "err", err)
	}
	cancel()
	if err := b.Close(); err != nil {
		logger.Warn("bus close", "err", err)
	}
	if runErr == nil {
		select {
		case runErr = <-busDone:
		case <-time.After(cfg.ShutdownTimeout()):
			runErr = errors.New("bus did not stop in time")
		}
	}
	if err := eng.Cleanup(); err != nil {
		logger.Warn("pipeline cleanup", "err", err)
	}
	logger.Info("hub stopped")
	if runErr != nil {
		return redact(runErr)
	}
	return nil
}
