package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// logAdapter is an hclog.Logger writing to slog: go-plugin logs through it,
// including every line the plugin writes on stderr (JSON lines from
// sdk.PluginLogHandler keep their level and attributes). It also remembers the
// process's exit error, which go-plugin only reports as a log line.
type logAdapter struct {
	l     *slog.Logger
	name  string
	args  []any
	state *exitState
}

type exitState struct {
	mu  sync.Mutex
	err error
}

func newLogAdapter(l *slog.Logger, name string) *logAdapter {
	return &logAdapter{l: l, name: name, state: &exitState{}}
}

func (a *logAdapter) exitError() error {
	a.state.mu.Lock()
	defer a.state.mu.Unlock()
	return a.state.err
}

var _ hclog.Logger = (*logAdapter)(nil)

func (a *logAdapter) Log(level hclog.Level, msg string, args ...any) {
	if msg == "plugin process exited" {
		for i := 0; i+1 < len(args); i += 2 {
			if args[i] == "error" {
				a.state.mu.Lock()
				a.state.err = errors.New(fmt.Sprint(args[i+1]))
				a.state.mu.Unlock()
			}
		}
	}
	var sl slog.Level
	switch {
	case level <= hclog.Debug:
		sl = slog.LevelDebug
	case level == hclog.Info:
		sl = slog.LevelInfo
	case level == hclog.Warn:
		sl = slog.LevelWarn
	default:
		sl = slog.LevelError
	}
	// go-plugin's own chatter (handshake, stdio) is debug detail for the hub.
	if strings.HasPrefix(msg, "plugin ") || strings.HasPrefix(msg, "starting plugin") || strings.HasPrefix(msg, "waiting for RPC") || strings.HasPrefix(msg, "using plugin") {
		if sl < slog.LevelError {
			sl = slog.LevelDebug
		}
	}
	all := append(append([]any{}, a.args...), args...)
	// Drop go-plugin's own bookkeeping keys; keep the plugin's attributes.
	out := make([]any, 0, len(all))
	for i := 0; i+1 < len(all); i += 2 {
		k := fmt.Sprint(all[i])
		if k == "timestamp" || k == "plugin" && a.name == "" || k == "id" || k == "path" || k == "pid" && sl > slog.LevelDebug {
			continue
		}
		out = append(out, k, all[i+1])
	}
	a.l.Log(context.Background(), sl, msg, out...)
}

func (a *logAdapter) Trace(msg string, args ...any) { a.Log(hclog.Trace, msg, args...) }
func (a *logAdapter) Debug(msg string, args ...any) { a.Log(hclog.Debug, msg, args...) }
func (a *logAdapter) Info(msg string, args ...any)  { a.Log(hclog.Info, msg, args...) }
func (a *logAdapter) Warn(msg string, args ...any)  { a.Log(hclog.Warn, msg, args...) }
func (a *logAdapter) Error(msg string, args ...any) { a.Log(hclog.Error, msg, args...) }

func (a *logAdapter) enabled(l slog.Level) bool { return a.l.Enabled(context.Background(), l) }

func (a *logAdapter) IsTrace() bool { return a.enabled(slog.LevelDebug - 4) }
func (a *logAdapter) IsDebug() bool { return a.enabled(slog.LevelDebug) }
func (a *logAdapter) IsInfo() bool  { return a.enabled(slog.LevelInfo) }
func (a *logAdapter) IsWarn() bool  { return a.enabled(slog.LevelWarn) }
func (a *logAdapter) IsError() bool { return a.enabled(slog.LevelError) }

func (a *logAdapter) ImpliedArgs() []any { return a.args }

func (a *logAdapter) With(args ...any) hclog.Logger {
	b := *a
	b.args = append(append([]any{}, a.args...), args...)
	return &b
}

func (a *logAdapter) Name() string { return a.name }

func (a *logAdapter) Named(name string) hclog.Logger {
	b := *a
	if b.name != "" {
		b.name += "." + name
	} else {
		b.name = name
	}
	return &b
}

func (a *logAdapter) ResetNamed(name string) hclog.Logger {
	b := *a
	b.name = name
	return &b
}

// SetLevel is a no-op: the slog handler decides.
func (a *logAdapter) SetLevel(hclog.Level) {}

// GetLevel reports Trace so go-plugin hands every plugin line over; the slog
// handler filters by level.
func (a *logAdapter) GetLevel() hclog.Level { return hclog.Trace }

func (a *logAdapter) StandardLogger(*hclog.StandardLoggerOptions) *log.Logger {
	return log.New(a.StandardWriter(nil), "", 0)
}

func (a *logAdapter) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		a.Info(strings.TrimRight(string(p), "\n"))
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
