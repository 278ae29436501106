package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/spf13/cobra"
)

// commandFactories holds every top-level command; each command file adds its
// own in an init function, so adding a command never touches this file.
var commandFactories []func(*globals) *cobra.Command

func addCommand(f func(*globals) *cobra.Command) { commandFactories = append(commandFactories, f) }

// globals are the flags every command shares.
type globals struct {
	logFormat string
	logLevel  string
	stdout    io.Writer
	stderr    io.Writer
}

// logger builds the process logger: human-readable text by default, JSON lines
// with --log-format json for log collectors.
func (g *globals) logger() *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if g.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(g.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(g.stderr, opts))
}

// exitError carries a process exit code through cobra without printing twice.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func newRootCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "crossdock",
		Short: "Crossdock keeps every channel, store, warehouse, ERP and carrier in sync",
		Long: `Crossdock is an order-management integration hub. It keeps one canonical
picture of orders, products and inventory, moves records between connectors through
YAML pipelines, routes each order to the best location, and explains every decision.

Start with 'crossdock demo' to see the whole system run on this machine, or
'crossdock run --config configs/hub.yaml' to run a configured hub.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	cmds := make([]*cobra.Command, 0, len(commandFactories))
	for _, f := range commandFactories {
		cmds = append(cmds, f(g))
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name() < cmds[j].Name() })
	root.AddCommand(cmds...)
	return root
}

func execute(args []string) int {
	g := &globals{stdout: os.Stdout, stderr: os.Stderr}
	root := newRootCmd(g)
	root.SetArgs(args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintln(g.stderr, "crossdock:", err)
	return 1
}
