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
	"github.com/crossdockhq/crossdock/hub/config"
	"github.com/crossdockhq/crossdock/hub/engine"
	"github.com/crossdockhq/crossdock/hub/server"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/pipelines"
	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

func init() { addCommand(newRunCmd) }

// stepKinds add the pipeline steps hub packages provide (reserve, route,
// store, syndicate, ...). A file of this command registers them in init with
// addStepKinds, so that run, validate and test all know the same steps. A
// step reaches its hub service through StepContext.Services when it processes
// a record; the services are filled by hub parts (addHubPart) once the
// database is open.
var stepKinds []func(*pipelines.Registry)

func addStepKinds(f func(*pipelines.Registry)) { stepKinds = append(stepKinds, f) }

// newStepRegistry returns the standard steps plus every registered hub step.
func newStepRegistry() *pipelines.Registry {
	reg := pipelines.NewStandardRegistry()
	for _, f := range stepKinds {
		f(reg)
	}
	return reg
}

// runningHub is what `crossdock run` has built when the hub parts are wired:
// the config, the database, the bus, the HTTP server (mount handlers on it),
// the metrics registry, and the services pipeline steps will reach.
type runningHub struct {
	Config   *config.Config
	DB       *store.DB
	Bus      *bus.Bus
	Server   *server.Server
	Metrics  *prometheus.Registry
	Services *pipelines.Services
	Logger   *slog.Logger
}

// hubPart wires one part of the hub (the API, webhook ingress, the connector
// host, the inventory service...) into a running hub: it fills the services
// it implements, mounts its handlers, starts its goroutines under ctx, and
// returns how to stop (nil when nothing to stop). Parts run in registration
// order, before the pipelines start and before the server listens.
type hubPart func(ctx context.Context, h *runningHub) (stop func(context.Context) error, err error)

var hubParts []hubPart

func addHubPart(p hubPart) { hubParts = append(hubParts, p) }

func newRunCmd(g *globals) *cobra.Command {
	var cfgPath, listen string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the hub: connectors, the bus, the pipelines, the API and webhook ingress",
		Long: `run starts a hub from its config: it opens the database named by hub.data (and
brings its schema up to date), starts the durable bus and every pipeline the
config names, and serves HTTP on hub.listen:

  /healthz                 200 while the process serves
  /readyz                  200 once the database answers and the bus runs, else 503
  /metrics                 Prometheus metrics: records per pipeline and step, step
                           latency, bus, dead letters, connector states
  /api/v1/...              the orders, inventory, customers and locations API
                           (tokens from the api section; /api/v1/openapi.json)
  POST /webhooks/{name}    webhook ingress for the connector instance {name}
  GET /connectors/status   the connectors' states, for 'crossdock connectors status'

It also starts every configured connector as a supervised plugin process, polls
their streams, and delivers the commands pipelines and services send them.

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
	// No resolved secret ever reaches a log line: the registry fills as the
	// config loads, and every line goes through it.
	secrets := yamlconf.NewSecrets()
	logger := slog.New(yamlconf.NewRedactingHandler(g.logger().Handler(), secrets))
	loaded, err := engine.Load(cfgPath, engine.LoadOptions{Logger: logger, Registry: newStepRegistry(), Secrets: secrets})
	if err != nil {
		var errs yamlconf.Errors
		if errors.As(err, &errs) {
			printErrors(g.stderr, err)
			return exitError{code: 1}
		}
		return err
	}
	cfg := loaded.Config
	redact := secrets.RedactError

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
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()

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
	hub := &runningHub{Config: cfg, DB: db, Bus: b, Server: srv, Metrics: reg, Services: &pipelines.Services{}, Logger: logger}
	var stops []func(context.Context) error
	for _, part := range hubParts {
		stop, err := part(runCtx, hub)
		if err != nil {
			for i := len(stops) - 1; i >= 0; i-- {
				_ = stops[i](context.WithoutCancel(ctx))
			}
			return redact(err)
		}
		if stop != nil {
			stops = append(stops, stop)
		}
	}
	eng, err := engine.New(b, loaded.Pipelines, engine.Config{Registerer: reg, Logger: logger, Services: hub.Services})
	if err != nil {
		return redact(err)
	}
	if err := eng.Start(runCtx); err != nil {
		return redact(err)
	}
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
	for i := len(stops) - 1; i >= 0; i-- {
		if err := stops[i](shutdownCtx); err != nil {
			logger.Warn("stop hub part", "err", err)
		}
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
