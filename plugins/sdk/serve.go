package sdk

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// Serve runs c as a connector plugin: it answers go-plugin's handshake on stdout
// and serves the protocol until the host goes away. Call it from main and nothing
// else; write nothing to stdout before it (that breaks the handshake). The
// default slog logger is set to write JSON lines on stderr that the host turns
// into its own log lines, tagged with the connector instance's name.
//
// Run by hand, without the host's handshake cookie, Serve prints a short
// explanation and exits with status 1.
func Serve(c Connector) {
	if os.Getenv(Handshake.MagicCookieKey) != Handshake.MagicCookieValue {
		fmt.Fprintf(os.Stderr, "%s is a Crossdock connector plugin: the Crossdock hub starts it, it is not run by hand.\n"+
			"Try `crossdock connector spec` or `crossdock connector test` instead.\n", os.Args[0])
		os.Exit(1)
	}
	slog.SetDefault(slog.New(PluginLogHandler(os.Stderr, slog.LevelDebug)))
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: VersionedPlugins(c),
		GRPCServer:       grpcServerFactory,
		Logger: hclog.New(&hclog.LoggerOptions{
			Output: os.Stderr, Level: hclog.Warn, JSONFormat: true,
		}),
	})
}

// PluginLogHandler returns a slog handler writing the JSON lines go-plugin's host
// understands (@level, @message, @timestamp), so a plugin's log records keep
// their level and attributes on the hub's side.
func PluginLogHandler(w io.Writer, level slog.Leveler) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				return slog.String("@timestamp", a.Value.Time().UTC().Format("2006-01-02T15:04:05.000000Z07:00"))
			case slog.LevelKey:
				lvl, _ := a.Value.Any().(slog.Level)
				return slog.String("@level", hclogLevel(lvl))
			case slog.MessageKey:
				return slog.String("@message", a.Value.String())
			}
			return a
		},
	})
}

func hclogLevel(l slog.Level) string {
	switch {
	case l < slog.LevelInfo:
		return "debug"
	case l < slog.LevelWarn:
		return "info"
	case l < slog.LevelError:
		return "warn"
	default:
		return "error"
	}
}
