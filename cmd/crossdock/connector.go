package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	filesandbox "github.com/crossdockhq/crossdock/connectors/file/sandbox"
	"github.com/crossdockhq/crossdock/hub/audit"
	"github.com/crossdockhq/crossdock/hub/bus"
	"github.com/crossdockhq/crossdock/hub/config"
	"github.com/crossdockhq/crossdock/hub/connhost"
	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/plugins/bench"
	"github.com/crossdockhq/crossdock/plugins/conformance"
	"github.com/crossdockhq/crossdock/plugins/host"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

func init() {
	addCommand(newConnectorCmd)
	addCommand(newConnectorsCmd)
}

func newConnectorCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "connector",
		Short: "Work with one connector: its spec, a credentials check, the conformance suite",
		Long: `connector groups the commands about one connector type or instance.

A connector is a plugin process speaking Crossdock's connector protocol over
go-plugin (gRPC). Built-in types (see 'crossdock connectors list') run as this
same binary ('crossdock connector serve NAME'); a third-party connector is any
executable that speaks the protocol, named by 'command:' in hub.yaml.`,
		Example: `  crossdock connector spec file
  crossdock connector check shopify-us --config configs/hub.yaml
  crossdock connector test file`,
	}
	cmd.AddCommand(newConnectorServeCmd(g), newConnectorSpecCmd(g), newConnectorCheckCmd(g), newConnectorTestCmd(g))
	return cmd
}

func newConnectorServeCmd(_ *globals) *cobra.Command {
	return &cobra.Command{
		Use:    "serve NAME",
		Short:  "Serve a built-in connector as a plugin (the hub runs this; not for people)",
		Long:   "serve runs the built-in connector NAME as a go-plugin server on this process's stdio.\nThe hub starts it; run by hand it explains itself and exits.",
		Hidden: true,
		Example: `  # what the hub runs for a connector instance of type file:
  crossdock connector serve file`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			b, ok := builtinConnectors[args[0]]
			if !ok {
				return fmt.Errorf("no built-in connector %q (have: %s)", args[0], strings.Join(builtinNames(), ", "))
			}
			sdk.Serve(b.New())
			return nil
		},
	}
}

func newConnectorSpecCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "spec NAME|PATH",
		Short: "Print a connector's spec: config schema, streams, actions, webhooks, rate limits",
		Long: `spec prints the spec of a built-in connector type (NAME) or of a third-party
connector executable (PATH, containing a slash), as JSON. A third-party
connector is started over the protocol to ask it.`,
		Example: `  crossdock connector spec file
  crossdock connector spec ./bin/hello-connector`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var spec sdk.Spec
			if b, ok := builtinConnectors[args[0]]; ok {
				spec = b.New().Spec()
			} else if strings.ContainsRune(args[0], '/') {
				p, err := host.Launch(cmd.Context(), host.Config{Name: filepath.Base(args[0]), Path: args[0], Logger: g.logger()})
				if err != nil {
					return err
				}
				defer p.Kill()
				if spec, err = p.SpecContext(cmd.Context()); err != nil {
					return err
				}
			} else {
				return fmt.Errorf("no built-in connector %q (have: %s); give a path for a third-party connector", args[0], strings.Join(builtinNames(), ", "))
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(spec)
		},
	}
}

func newConnectorCheckCmd(g *globals) *cobra.Command {
	var cfgPath string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "check INSTANCE",
		Short: "Check a configured connector instance's credentials and reachability",
		Long: `check starts the connector instance INSTANCE from hub.yaml exactly as the hub
would (same binary, same config, same environment pass-through), configures it
and runs its Check. It prints "ok", or the typed reason (auth, network,
permission, config) and the connector's message, and exits 1 on failure.`,
		Example: `  crossdock connector check shopify-us --config configs/hub.yaml`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load(cfgPath)
			if err != nil {
				printErrors(g.stderr, err)
				return exitError{code: 1}
			}
			c, ok := cfg.Connector(args[0])
			if !ok {
				return fmt.Errorf("%s names no connector %q (have: %s)", cfgPath, args[0], strings.Join(cfg.ConnectorNames(), ", "))
			}
			inst, err := instanceFromConfig(cfg, c)
			if err != nil {
				return err
			}
			inst.Streams = nil
			h, err := connhost.New(connhost.Config{Instances: []connhost.Instance{inst}, Logger: g.logger(), MaxRestarts: 1, CallTimeout: timeout})
			if err != nil {
				return err
			}
			if err := h.Start(cmd.Context()); err != nil {
				return err
			}
			defer h.Close()
			err = h.Check(cmd.Context(), inst.Name)
			var ce *sdk.CheckError
			switch {
			case err == nil:
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", inst.Name)
				return nil
			case errors.As(err, &ce):
				fmt.Fprintf(cmd.OutOrStdout(), "%s: failed (%s): %s\n", inst.Name, ce.Reason, ce.Message)
			default:
				fmt.Fprintf(cmd.OutOrStdout(), "%s: failed: %v\n", inst.Name, cfg.Secrets.RedactError(err))
			}
			return exitError{code: 1}
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "configs/hub.yaml", "hub config file")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait for the connector")
	return cmd
}

// instanceFromConfig turns a hub.yaml connector into a connhost instance.
func instanceFromConfig(cfg *config.Config, c config.Connector) (connhost.Instance, error) {
	raw, err := c.ConfigJSON()
	if err != nil {
		return connhost.Instance{}, err
	}
	inst := connhost.Instance{Name: c.Name, Type: c.Type, Config: raw, Env: c.Env, Dir: cfg.Dir, Streams: map[string]time.Duration{}}
	if c.Command != "" {
		inst.Command = c.Command
		if !filepath.IsAbs(inst.Command) {
			inst.Command = filepath.Join(cfg.Dir, inst.Command)
		}
	} else if _, ok := builtinConnectors[c.Type]; !ok {
		return inst, fmt.Errorf("connector %s: no built-in connector type %q (have: %s)", c.Name, c.Type, strings.Join(builtinNames(), ", "))
	}
	for name, s := range c.Streams {
		inst.Streams[name] = s.Poll
	}
	return inst, nil
}

func newConnectorTestCmd(g *globals) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "test NAME",
		Short: "Run the conformance suite on a built-in connector against its sandbox",
		Long: `test runs the connector conformance suite on the built-in connector NAME: it
starts the connector as a plugin (this binary, 'connector serve NAME') and its
sandbox, then checks that the spec is valid, Check fails cleanly, reads are
complete and resumable from every cursor, writes are idempotent, rate limits
hold, bad webhook signatures are refused and a killed connector resumes. It
prints one line per check, including those skipped because the connector does
not claim the capability, and exits 1 if any check failed.

A third-party connector runs the same suite from its own 'go test' with
conformance.Run (see docs/connectors.md).`,
		Example: `  crossdock connector test file`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, ok := builtinConnectors[args[0]]
			if !ok {
				return fmt.Errorf("no built-in connector %q (have: %s)", args[0], strings.Join(builtinNames(), ", "))
			}
			if b.Conformance == nil {
				return fmt.Errorf("connector %s has no sandbox to test against yet", args[0])
			}
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			target := b.Conformance(&conformance.Plugin{Path: exe, Args: []string{"connector", "serve", args[0]}})
			target.Timeout = timeout
			target.Logger = g.logger()
			rep, err := conformance.Verify(cmd.Context(), target, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			passed, failed := 0, 0
			for _, r := range rep.Results {
				switch r.Outcome {
				case conformance.Passed:
					passed++
				case conformance.Failed:
					failed++
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "conformance %s: %d passed, %d failed, %d skipped (%s)\n", args[0], passed, failed, len(rep.Skipped()), strings.Join(rep.Skipped(), ", "))
			if !rep.OK() {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 60*time.Second, "time limit per check")
	return cmd
}

func newConnectorsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "connectors",
		Short: "List connector types and instances, and show their states",
		Long: `connectors lists the built-in connector types, the instances a hub config
defines, and (status) the live state of each instance in a running hub.`,
		Example: `  crossdock connectors list
  crossdock connectors list --config configs/hub.yaml
  crossdock connectors status --addr http://127.0.0.1:8080`,
	}
	cmd.AddCommand(newConnectorsListCmd(g), newConnectorsStatusCmd(g))
	return cmd
}

func newConnectorsListCmd(g *globals) *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the built-in connector types, and the configured instances with --config",
		Long: `list prints every connector type built into this binary with its version,
streams and actions. With --config it also prints the connector instances that
hub config defines: name, type or command, and the streams the hub polls.`,
		Example: `  crossdock connectors list
  crossdock connectors list --config configs/hub.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "TYPE\tVERSION\tSTREAMS\tACTIONS\tWEBHOOKS\tDESCRIPTION")
			for _, name := range builtinNames() {
				s := builtinConnectors[name].New().Spec()
				var streams, actions []string
				for _, st := range s.Streams {
					streams = append(streams, st.Name)
				}
				for _, a := range s.Actions {
					actions = append(actions, string(a))
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%v\t%s\n", name, s.Version, dash(strings.Join(streams, ",")), dash(strings.Join(actions, ",")), s.Webhooks, s.Description)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if cfgPath == "" {
				return nil
			}
			cfg, err := config.Load(cfgPath)
			if err != nil {
				printErrors(g.stderr, err)
				return exitError{code: 1}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "\nInstances in %s:\n", cfgPath)
			w = tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tRUNS\tSTREAMS (poll)")
			for _, name := range cfg.ConnectorNames() {
				c, _ := cfg.Connector(name)
				runs := "type " + c.Type
				if c.Command != "" {
					runs = "command " + c.Command
				}
				var streams []string
				for s, st := range c.Streams {
					streams = append(streams, fmt.Sprintf("%s (%s)", s, st.Poll))
				}
				sort.Strings(streams)
				fmt.Fprintf(w, "%s\t%s\t%s\n", name, runs, dash(strings.Join(streams, ", ")))
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "hub config file whose instances to list")
	return cmd
}

func newConnectorsStatusCmd(_ *globals) *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each connector instance's state in a running hub",
		Long: `status asks a running hub for the state of its connector instances: running,
restarting or failed, with the last error, restarts and process id. The hub
serves it at GET /connectors/status (connhost's StatusHandler).`,
		Example: `  crossdock connectors status --addr http://127.0.0.1:8080`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 10*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(addr, "/")+"/connectors/status", nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("ask the hub at %s: %w", addr, err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
				return fmt.Errorf("hub at %s answered %s: %s", addr, resp.Status, strings.TrimSpace(string(b)))
			}
			var sts []connhost.Status
			if err := json.NewDecoder(resp.Body).Decode(&sts); err != nil {
				return fmt.Errorf("decode status: %w", err)
			}
			return printStatus(cmd.OutOrStdout(), sts)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "http://127.0.0.1:8080", "the running hub's HTTP address")
	return cmd
}

func printStatus(out io.Writer, sts []connhost.Status) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tSTATE\tSINCE\tRESTARTS\tPID\tLAST ERROR")
	for _, s := range sts {
		pid := "-"
		if s.PID > 0 {
			pid = fmt.Sprint(s.PID)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", s.Name, s.State, s.Since.Format(time.RFC3339), s.Restarts, pid, dash(s.LastError))
	}
	return w.Flush()
}

func builtinNames() []string {
	names := make([]string, 0, len(builtinConnectors))
	for n := range builtinConnectors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// The real bus is what the connector host publishes through.
var _ connhost.Publisher = (*bus.Bus)(nil)

// newConnectorHost builds the connector host of a hub config: one instance per
// connector of cfg, with hc's DB, Publisher, Audit, Registerer and Logger. The
// hub's run command starts it (h.Start), mounts h.WebhookHandler() on
// "POST /webhooks/{instance}" and h.StatusHandler() on "GET /connectors/status",
// and calls h.Close on the way out (and host.CleanupClients as a last resort).
func newConnectorHost(cfg *config.Config, hc connhost.Config) (*connhost.Host, error) {
	for _, name := range cfg.ConnectorNames() {
		c, _ := cfg.Connector(name)
		inst, err := instanceFromConfig(cfg, c)
		if err != nil {
			return nil, err
		}
		hc.Instances = append(hc.Instances, inst)
	}
	return connhost.New(hc)
}

// auditRefusals records refused webhooks in the audit log (connhost.Auditor).
type auditRefusals struct {
	log *audit.Log
	db  store.DBTX
	// logger reports an entry that could not be stored; the refusal stands.
	logger *slog.Logger
}

var _ connhost.Auditor = auditRefusals{}

// RecordRefusal implements connhost.Auditor.
func (a auditRefusals) RecordRefusal(ctx context.Context, instance, reason, remoteAddr string) {
	err := a.log.Append(ctx, a.db, audit.Entry{
		Actor: "connector:" + instance, Action: audit.ActionWebhookRefused,
		Subject: "webhook:" + instance, After: map[string]string{"reason": reason}, RemoteAddr: remoteAddr,
	})
	if err != nil && a.logger != nil {
		a.logger.Error("audit webhook refusal", "connector", instance, "error", err)
	}
}

// benchConnectorProtocol measures the file connector's records/s read and
// written through the plugin protocol (this binary, 'connector serve file')
// beside the same code in-process, at batch sizes 1, 100 and 1000, prints the
// table to w and returns the figures. For `crossdock bench`: rows is the feed
// size (0: 5000), minDuration the time per measurement (0: 2s).
func benchConnectorProtocol(ctx context.Context, w io.Writer, rows int, minDuration time.Duration) ([]bench.Figure, error) {
	if rows == 0 {
		rows = 5000
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "crossdock-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	opts, err := filesandbox.BenchOptions(dir, rows, builtinConnectors["file"].New, exe, []string{"connector", "serve", "file"}, nil)
	if err != nil {
		return nil, err
	}
	opts.MinDuration = minDuration
	figs, err := bench.Run(ctx, opts)
	if err != nil {
		return nil, err
	}
	bench.Print(w, "file", figs)
	return figs, nil
}
