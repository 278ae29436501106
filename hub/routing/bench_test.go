package routing

import (
	"context"
	"os"
	"strings"
	"testing"
)

func TestRunBench_SmallWorldReportsItsFigures(t *testing.T) {
	var out strings.Builder
	rep, err := RunBench(context.Background(), BenchConfig{RulesPath: "../../configs/routing/default.yaml", Locations: 60, SKUs: 3000,
		SKUsPerStore: 200, Orders: 300, Warmup: 50, RouteOrders: 50, Dir: t.TempDir()}, &out)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range rep.Outcomes {
		total += n
	}
	if total != 300 || rep.P50 <= 0 || rep.P99 < rep.P50 || rep.DecisionsPerSec <= 0 || rep.RoutesPerSec <= 0 || rep.LevelRows < 3000 {
		t.Fatalf("incomplete report: %+v", rep)
	}
	if rep.MeanLines < 2 || rep.MeanLines > 4 {
		t.Fatalf("orders must average about three lines: %.2f", rep.MeanLines)
	}
	for _, want := range []string{"p99", "decisions/s", "method: Router.Decide"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("printed report lacks %q:\n%s", want, out.String())
		}
	}
}

// BenchmarkRouting_Decide runs the benchmark (1,000 locations,
// 100,000 SKUs, stock in SQLite) and reports its latency percentiles.
func BenchmarkRouting_Decide(b *testing.B) {
	for b.Loop() {
		rep, err := RunBench(context.Background(), BenchConfig{RulesPath: "../../configs/routing/default.yaml", Dir: b.TempDir()}, os.Stdout)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rep.P50.Microseconds()), "p50-µs")
		b.ReportMetric(float64(rep.P99.Microseconds()), "p99-µs")
		b.ReportMetric(rep.DecisionsPerSec, "decisions/s")
	}
}
