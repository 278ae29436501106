package engine

import (
	"context"
	"testing"
)

// BenchmarkPipeline prints records/s through filter+map+dedupe on the durable
// SQLite bus beside the raw-insert ceiling measured in the same run.
func BenchmarkPipeline(b *testing.B) {
	n := 20000
	for i := 0; i < b.N; i++ {
		res, err := BenchPipeline(context.Background(), b.TempDir(), n)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.PipelinePerSec, "records/s")
		b.ReportMetric(res.CeilingPerSec, "ceiling-records/s")
		b.ReportMetric(res.Ratio, "ratio")
		b.Log(res)
	}
}
