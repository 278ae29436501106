package connhost

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/crossdockhq/crossdock/hub/store"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// Publisher publishes messages inside a SQL transaction; *bus.Bus implements it.
type Publisher interface {
	PublishTx(ctx context.Context, tx *sql.Tx, topic string, msgs ...*message.Message) error
}

// Auditor records refused webhooks; hub/audit implements it.
type Auditor interface {
	RecordRefusal(ctx context.Context, instance, reason, remoteAddr string)
}

// RejectTopic is the topic rows a connector could not map are published to.
const RejectTopic = "connector.rejects"

// Instance is one configured connector instance.
type Instance struct {
	// Name is the instance name, e.g. "shopify-us"; unique.
	Name string
	// Type is a built-in connector type, started as Config.Executable
	// "connector serve TYPE".
	Type string
	// Command is a third-party connector executable, with Args.
	Command string
	Args    []string
	// InProcess, when set, runs the connector in the hub's process instead
	// (tests, benchmarks); it is not supervised as a process.
	InProcess func() sdk.Connector
	// Config is the connector's config, JSON.
	Config json.RawMessage
	// Env names the host environment variables passed to the connector.
	Env []string
	// Dir is the plugin's working directory: the hub.yaml's folder, so the
	// relative paths of a connector's config mean what they say in the file.
	Dir string
	// Streams maps each stream the hub reads to its poll interval; zero reads
	// only on demand (Poll).
	Streams map[string]time.Duration
}

// Backoff is the restart delay: Initial, times Factor per consecutive crash,
// at most Max, with up to 20% jitter.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	Factor  float64
}

// Config configures a Host.
type Config struct {
	// Instances are the connector instances to run.
	Instances []Instance
	// DB is the hub database: cursors live in it, and batches are published in
	// its transactions.
	DB *store.DB
	// Publisher puts records on the bus, in the cursor's transaction.
	Publisher Publisher
	// Audit receives refused webhooks; nil drops them (they are still logged).
	Audit Auditor
	// Executable is the crossdock binary built-ins run as; default os.Executable().
	Executable string
	// Registerer receives the metrics; nil means none.
	Registerer prometheus.Registerer
	// Logger is the hub's logger; plugin lines are logged through it.
	Logger *slog.Logger
	// CallTimeout bounds Spec, Configure, Check, Write and Webhook; default 30s.
	CallTimeout time.Duration
	// ReadTimeout bounds one Read pass of a stream; default 10m.
	ReadTimeout time.Duration
	// StartTimeout bounds a connector's start (handshake); default 20s.
	StartTimeout time.Duration
	// Backoff is the restart delay; default 200ms x2 up to 30s.
	Backoff Backoff
	// MaxRestarts is how many consecutive crashes make an instance failed;
	// default 5.
	MaxRestarts int
	// StableAfter is how long a process must run for its crash count to reset;
	// default 1m.
	StableAfter time.Duration
	// MaxWebhookBytes bounds a webhook body; default 5 MiB.
	MaxWebhookBytes int64
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.CallTimeout == 0 {
		c.CallTimeout = 30 * time.Second
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = 10 * time.Minute
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = 20 * time.Second
	}
	if c.Backoff.Initial == 0 {
		c.Backoff.Initial = 200 * time.Millisecond
	}
	if c.Backoff.Max == 0 {
		c.Backoff.Max = 30 * time.Second
	}
	if c.Backoff.Factor == 0 {
		c.Backoff.Factor = 2
	}
	if c.MaxRestarts == 0 {
		c.MaxRestarts = 5
	}
	if c.StableAfter == 0 {
		c.StableAfter = time.Minute
	}
	if c.MaxWebhookBytes == 0 {
		c.MaxWebhookBytes = 5 << 20
	}
	if c.Executable == "" {
		if exe, err := os.Executable(); err == nil {
			c.Executable = exe
		}
	}
}

// Validate reports a config the host cannot run with.
func (c *Config) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for i, in := range c.Instances {
		switch {
		case in.Name == "":
			errs = append(errs, fmt.Errorf("connector %d: no name", i))
		case seen[in.Name]:
			errs = append(errs, fmt.Errorf("connector %s: name used twice", in.Name))
		}
		seen[in.Name] = true
		n := 0
		for _, set := range []bool{in.Type != "", in.Command != "", in.InProcess != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			errs = append(errs, fmt.Errorf("connector %s: exactly one of type, command or in-process is needed", in.Name))
		}
		if in.Type != "" && c.Executable == "" {
			errs = append(errs, fmt.Errorf("connector %s: no crossdock executable to run built-in %q", in.Name, in.Type))
		}
		for s, p := range in.Streams {
			if p < 0 {
				errs = append(errs, fmt.Errorf("connector %s: stream %s: negative poll interval", in.Name, s))
			}
		}
	}
	hasStreams := false
	for _, in := range c.Instances {
		hasStreams = hasStreams || len(in.Streams) > 0
	}
	if hasStreams && (c.DB == nil || c.Publisher == nil) {
		errs = append(errs, errors.New("connhost: reading streams needs DB and Publisher"))
	}
	return errors.Join(errs...)
}
