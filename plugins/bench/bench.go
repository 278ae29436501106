package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/crossdockhq/crossdock/plugins/host"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// Options says what to measure.
type Options struct {
	// Name names the connector in the report.
	Name string
	// Path, Args and Env start the connector as a plugin.
	Path string
	Args []string
	Env  []string
	// New builds the same connector in-process.
	New func() sdk.Connector
	// Config returns the connector config for a batch size (read batches).
	Config func(batch int) json.RawMessage
	// Stream is the stream read.
	Stream string
	// Commands returns n fresh commands (distinct idempotency keys) for the
	// write measurement; nil skips writes.
	Commands func(n int) []sdk.Command
	// BatchSizes default to 1, 100 and 1000.
	BatchSizes []int
	// MinDuration is how long each measurement runs at least, split into
	// alternating rounds (best of each side kept); default 2s.
	MinDuration time.Duration
}

// Figure is one measurement: records (or commands) per second in-process and
// through the plugin, at one batch size.
type Figure struct {
	Op        string  `json:"op"`
	Batch     int     `json:"batch"`
	InProcess float64 `json:"in_process_per_s"`
	Plugin    float64 `json:"plugin_per_s"`
}

// Overhead is the share of throughput the protocol costs: 1 - plugin/in-process.
func (f Figure) Overhead() float64 {
	if f.InProcess == 0 {
		return 0
	}
	return 1 - f.Plugin/f.InProcess
}

// rounds is how many alternating rounds each measurement takes.
const rounds = 5

// Run measures reads (and writes, with Commands) at each batch size.
func Run(ctx context.Context, o Options) ([]Figure, error) {
	if o.New == nil || o.Path == "" || o.Config == nil || o.Stream == "" {
		return nil, errors.New("bench: Options needs New, Path, Config and Stream")
	}
	if len(o.BatchSizes) == 0 {
		o.BatchSizes = []int{1, 100, 1000}
	}
	if o.MinDuration == 0 {
		o.MinDuration = 2 * time.Second
	}
	p, err := host.Launch(ctx, host.Config{Name: o.Name, Path: o.Path, Args: o.Args, Env: o.Env})
	if err != nil {
		return nil, err
	}
	defer p.Kill()
	var figs []Figure
	for _, b := range o.BatchSizes {
		in := o.New()
		if err := in.Configure(ctx, o.Config(b)); err != nil {
			return nil, fmt.Errorf("bench: configure in-process: %w", err)
		}
		if err := p.Configure(ctx, o.Config(b)); err != nil {
			return nil, fmt.Errorf("bench: configure plugin: %w", err)
		}
		// Alternate short rounds and keep each side's best: on a shared
		// machine, other work disturbs single long runs more than the protocol
		// costs.
		f := Figure{Op: "read", Batch: b}
		w := Figure{Op: "write", Batch: b}
		slice := o.MinDuration / rounds
		for range rounds {
			r, err := readRate(ctx, in.(sdk.Reader), o.Stream, slice)
			if err != nil {
				return nil, err
			}
			f.InProcess = max(f.InProcess, r)
			if r, err = readRate(ctx, p, o.Stream, slice); err != nil {
				return nil, err
			}
			f.Plugin = max(f.Plugin, r)
			if o.Commands == nil {
				continue
			}
			if r, err = writeRate(ctx, in.(sdk.Writer), o.Commands, b, slice); err != nil {
				return nil, err
			}
			w.InProcess = max(w.InProcess, r)
			if r, err = writeRate(ctx, p, o.Commands, b, slice); err != nil {
				return nil, err
			}
			w.Plugin = max(w.Plugin, r)
		}
		figs = append(figs, f)
		if o.Commands != nil {
			figs = append(figs, w)
		}
	}
	return figs, nil
}

func readRate(ctx context.Context, r sdk.Reader, stream string, min time.Duration) (float64, error) {
	n := 0
	begin := time.Now()
	for time.Since(begin) < min {
		err := r.Read(ctx, stream, nil, func(b sdk.Batch) error {
			n += len(b.Records)
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("bench: read: %w", err)
		}
	}
	if n == 0 {
		return 0, errors.New("bench: the stream is empty")
	}
	return float64(n) / time.Since(begin).Seconds(), nil
}

func writeRate(ctx context.Context, w sdk.Writer, cmds func(int) []sdk.Command, batch int, min time.Duration) (float64, error) {
	n := 0
	begin := time.Now()
	for time.Since(begin) < min {
		for _, r := range w.Write(ctx, cmds(batch)) {
			if r.Status != sdk.StatusOK {
				return 0, fmt.Errorf("bench: write %s: %s %s", r.CommandID, r.Status, r.Error)
			}
			n++
		}
	}
	return float64(n) / time.Since(begin).Seconds(), nil
}

// Print writes the figures as a table.
func Print(w io.Writer, name string, figs []Figure) {
	fmt.Fprintf(w, "connector %s: in-process vs plugin (records/s)\n", name)
	fmt.Fprintf(w, "%-6s %6s %14s %14s %9s\n", "op", "batch", "in-process", "plugin", "overhead")
	for _, f := range figs {
		fmt.Fprintf(w, "%-6s %6d %14.0f %14.0f %8.1f%%\n", f.Op, f.Batch, f.InProcess, f.Plugin, 100*f.Overhead())
	}
}
