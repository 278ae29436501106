package file_test

import (
	"os"
	"testing"

	"github.com/crossdockhq/crossdock/connectors/file"
	"github.com/crossdockhq/crossdock/connectors/file/sandbox"
	"github.com/crossdockhq/crossdock/plugins/bench"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// BenchmarkConnector_PluginVsInProcess prints records/s read and written
// through the plugin protocol beside the same connector in-process, at batch
// sizes 1, 100 and 1000 (go test -run '^$' -bench PluginVsInProcess ./connectors/file/).
func BenchmarkConnector_PluginVsInProcess(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	opts, err := sandbox.BenchOptions(b.TempDir(), 5000, func() sdk.Connector { return file.New() }, exe, nil, []string{"FILE_CONNECTOR_PLUGIN=1"})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		figs, err := bench.Run(b.Context(), opts)
		if err != nil {
			b.Fatal(err)
		}
		bench.Print(os.Stdout, "file", figs)
		for _, f := range figs {
			b.ReportMetric(100*f.Overhead(), f.Op+"-overhead-%-batch-"+itoa(f.Batch))
		}
	}
}

func itoa(n int) string {
	s := ""
	if n == 0 {
		return "0"
	}
	for n > 0 {
		s = string(rune('0'+n%10)) + s
		n /= 10
	}
	return s
}
