package bus

import (
	"context"
	"os"
	"testing"
)

// BenchmarkThroughput runs BenchThroughput once per iteration and reports
// records/s of the bus, of the ceiling, and their ratio, for a pipeline as
// one handler and for a chain of three handlers:
//
//	go test -run '^$' -bench Throughput -benchtime 1x ./hub/bus/
func BenchmarkThroughput(b *testing.B) {
	for _, stages := range []int{1, 3} {
		b.Run(map[int]string{1: "one-handler", 3: "three-handler-chain"}[stages], func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				res, err := BenchThroughput(context.Background(), BenchOptions{Dir: b.TempDir(), Records: 20000, Stages: stages}, os.Stdout)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(res.BusPerSec, "records/s")
				b.ReportMetric(res.CeilingPerSec, "ceiling-records/s")
				b.ReportMetric(res.Ratio, "ratio")
			}
		})
	}
}
