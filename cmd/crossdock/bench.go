package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/crossdockhq/crossdock/hub/bus"
	"github.com/crossdockhq/crossdock/hub/engine"
	"github.com/crossdockhq/crossdock/hub/orders"
	"github.com/crossdockhq/crossdock/hub/routing"
)

func init() { addCommand(newBenchCmd) }

// benchFigure is one line of the benchmark table and of bench/results.json.
type benchFigure struct {
	// Figure names what was measured.
	Figure string `json:"figure"`
	// Value is the measurement.
	Value float64 `json:"value"`
	// Unit is the value's unit.
	Unit string `json:"unit"`
	// Ceiling is what the value is compared with, where there is one.
	Ceiling *float64 `json:"ceiling,omitempty"`
	// Target is the target, where there is one, as text.
	Target string `json:"target,omitempty"`
}

// benchSuite is one benchmark of the harness.
type benchSuite struct {
	name string
	run  func(ctx context.Context, dir string, w io.Writer) ([]benchFigure, error)
}

func newBenchCmd(g *globals) *cobra.Command {
	var out, only, cpuProfile string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Run every benchmark and print one table of figures",
		Long: `bench runs Crossdock's benchmarks on this machine and prints one table:
the durable bus and a filter/map/dedupe pipeline beside the raw-insert ceiling of
the same disk, records through a connector plugin beside the same code
in-process, available-to-promise lookups and order acceptance on SQLite,
routing decision latency with 1,000 locations and 100,000 SKUs, and the
end-to-end load test: signed webhooks in, committed fulfilment requests out.

The figures are also written as JSON (figure, value, unit, ceiling, target).
Benchmarks use temporary SQLite files; nothing of the hub's own data is read.
Run it on a quiet machine: the figures are only as good as the CPU they get.`,
		Example: `  crossdock bench
  crossdock bench --only routing,e2e --out /tmp/results.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			return runBench(cmd.Context(), g, out, only)
		},
	}
	cmd.Flags().StringVar(&out, "out", "bench/results.json", "where to write the figures as JSON")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	cmd.Flags().StringVar(&only, "only", "", "comma-separated suites to run: "+strings.Join(benchSuiteNames(), ", "))
	return cmd
}

func benchSuites() []benchSuite {
	return []benchSuite{
		{"bus", benchBus},
		{"pipeline", benchPipeline},
		{"plugins", benchPlugins},
		{"state", benchState},
		{"routing", benchRouting},
		{"e2e", benchEndToEnd},
	}
}

func benchSuiteNames() []string {
	var names []string
	for _, s := range benchSuites() {
		names = append(names, s.name)
	}
	return names
}

func runBench(ctx context.Context, g *globals, outPath, only string) error {
	want := map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			want[s] = true
		}
	}
	for s := range want {
		found := false
		for _, b := range benchSuites() {
			found = found || b.name == s
		}
		if !found {
			return fmt.Errorf("bench: unknown suite %q (have: %s)", s, strings.Join(benchSuiteNames(), ", "))
		}
	}
	var all []benchFigure
	for _, s := range benchSuites() {
		if len(want) > 0 && !want[s.name] {
			continue
		}
		dir, err := os.MkdirTemp("", "crossdock-bench-"+s.name+"-")
		if err != nil {
			return err
		}
		fmt.Fprintf(g.stderr, "== %s\n", s.name)
		figs, err := s.run(ctx, dir, g.stderr)
		os.RemoveAll(dir)
		if err != nil {
			return fmt.Errorf("bench %s: %w", s.name, err)
		}
		all = append(all, figs...)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "figure\tvalue\tunit\tceiling\ttarget\t")
	for _, f := range all {
		ceil := ""
		if f.Ceiling != nil {
			ceil = fmt.Sprintf("%.0f", *f.Ceiling)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", f.Figure, formatFigure(f.Value), f.Unit, ceil, f.Target)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if outPath == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(outPath), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(struct {
		At      time.Time     `json:"at"`
		Figures []benchFigure `json:"figures"`
	}{time.Now().UTC(), all}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(outPath, append(b, '\n'), 0o644)
}

func formatFigure(v float64) string {
	if v >= 100 || v == float64(int64(v)) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

func ceiling(v float64) *float64 { return &v }

func benchBus(ctx context.Context, dir string, w io.Writer) ([]benchFigure, error) {
	r, err := bus.BenchThroughput(ctx, bus.BenchOptions{Dir: dir}, w)
	if err != nil {
		return nil, err
	}
	return []benchFigure{
		{Figure: "bus: records through one handler (SQLite)", Value: r.BusPerSec, Unit: "records/s", Ceiling: ceiling(r.CeilingPerSec)},
		{Figure: "bus: ratio to raw batched inserts", Value: r.Ratio, Unit: "ratio"},
	}, nil
}

func benchPipeline(ctx context.Context, dir string, w io.Writer) ([]benchFigure, error) {
	r, err := engine.BenchPipeline(ctx, dir, 20000)
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(w, r.String())
	return []benchFigure{
		{Figure: "pipeline: filter+map+dedupe on the SQLite bus", Value: r.PipelinePerSec, Unit: "records/s", Ceiling: ceiling(r.CeilingPerSec), Target: ">= 5000"},
		{Figure: "pipeline: ratio to raw batched inserts", Value: r.Ratio, Unit: "ratio", Target: ">= 0.3"},
	}, nil
}

func benchPlugins(ctx context.Context, _ string, w io.Writer) ([]benchFigure, error) {
	figs, err := benchConnectorProtocol(ctx, w, 0, 0)
	if err != nil {
		return nil, err
	}
	var out []benchFigure
	for _, f := range figs {
		name := fmt.Sprintf("plugin: file connector %s, batch %d", f.Op, f.Batch)
		target := ""
		if f.Batch == 100 {
			target = "overhead <= 20%"
		}
		out = append(out, benchFigure{Figure: name + " (through the plugin)", Value: f.Plugin, Unit: "records/s", Ceiling: ceiling(f.InProcess), Target: target})
	}
	return out, nil
}

func benchState(ctx context.Context, dir string, w io.Writer) ([]benchFigure, error) {
	r, err := orders.Bench(ctx, dir, 3*time.Second)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "ATP: %.0f lookups/s over %d locations; acceptance: %.0f orders/s (%d lines each)\n", r.ATPLookupsPerSecond, r.Locations, r.AcceptsPerSecond, r.LinesPerOrder)
	return []benchFigure{
		{Figure: fmt.Sprintf("state: network ATP lookups, 1 SKU over %d locations", r.Locations), Value: r.ATPLookupsPerSecond, Unit: "lookups/s"},
		{Figure: fmt.Sprintf("state: order acceptance (store + reserve, %d lines)", r.LinesPerOrder), Value: r.AcceptsPerSecond, Unit: "orders/s"},
	}, nil
}

func benchRouting(ctx context.Context, dir string, w io.Writer) ([]benchFigure, error) {
	r, err := routing.RunBench(ctx, routing.BenchConfig{Dir: dir}, w)
	if err != nil {
		return nil, err
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return []benchFigure{
		{Figure: fmt.Sprintf("routing: decision p50 (%d locations, %d SKUs)", r.Locations, r.SKUs), Value: ms(r.P50), Unit: "ms"},
		{Figure: "routing: decision p99", Value: ms(r.P99), Unit: "ms", Target: "<= 1 ms"},
		{Figure: "routing: decisions per second", Value: r.DecisionsPerSec, Unit: "decisions/s"},
	}, nil
}
