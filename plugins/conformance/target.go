package conformance

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// Capability is something a connector claims to do; the suite checks exactly
// the capabilities a Target declares.
type Capability string

// Capabilities the suite can check. The spec check always runs.
const (
	// CapCheckAuth: Check fails with reason auth on Sandbox.BadCredentials.
	CapCheckAuth Capability = "check_auth"
	// CapCheckNetwork: Check fails with reason network on Sandbox.Unreachable.
	CapCheckNetwork Capability = "check_network"
	// CapRead: a full read of each stream in Sandbox.Seeded returns exactly the
	// seeded number of distinct records.
	CapRead Capability = "read"
	// CapResume: a read resumed from each intermediate cursor yields exactly the
	// records after it.
	CapResume Capability = "read_resume"
	// CapWrite: Sandbox.Write applied twice has the effect of once.
	CapWrite Capability = "write_idempotent"
	// CapRateLimit: Sandbox.Load against a limit-enforcing sandbox gets no 429.
	CapRateLimit Capability = "rate_limit"
	// CapWebhook: a signed webhook yields records; a badly signed one is refused
	// as unauthorized.
	CapWebhook Capability = "webhook"
	// CapCrashResume: a plugin killed (SIGKILL) mid-read, restarted and resumed
	// from the last cursor it delivered, loses and repeats nothing. Needs Plugin.
	CapCrashResume Capability = "crash_resume"
)

// AllCapabilities lists every capability, in the order the suite checks them.
var AllCapabilities = []Capability{CapCheckAuth, CapCheckNetwork, CapRead, CapResume, CapWrite, CapRateLimit, CapWebhook, CapCrashResume}

// Plugin names a connector executable speaking the protocol.
type Plugin struct {
	// Path is the executable, Args its arguments (for a built-in connector:
	// the crossdock binary, "connector", "serve", NAME).
	Path string
	Args []string
	// Env is the plugin's whole environment, KEY=VALUE.
	Env []string
}

// Target is a connector under test and its sandbox.
type Target struct {
	// Name names the connector in messages.
	Name string
	// Plugin is the connector binary; the suite speaks the real protocol to it.
	Plugin *Plugin
	// New builds the connector in-process; used when Plugin is nil.
	New func() sdk.Connector
	// Capabilities are what the connector claims; see AllCapabilities.
	Capabilities []Capability
	// Sandbox starts the connector's sandbox with its state in dir (a fresh
	// temporary folder) and returns what the checks need. Required.
	Sandbox func(ctx context.Context, dir string) (*Sandbox, error)
	// Timeout bounds each check; default 60s.
	Timeout time.Duration
	// Logger receives the plugin's log lines; nil discards them.
	Logger *slog.Logger
}

// Sandbox is a running sandbox and what the checks need of it. Only the fields
// of the declared capabilities are required.
type Sandbox struct {
	// BaseURL is the sandbox's address, for messages (a folder for file feeds).
	BaseURL string
	// Config is a valid connector config pointing at the sandbox. Required.
	Config json.RawMessage
	// BadCredentials is Config with wrong credentials (CapCheckAuth).
	BadCredentials json.RawMessage
	// Unreachable is Config pointing at a host that does not answer (CapCheckNetwork).
	Unreachable json.RawMessage
	// Seeded is the number of records seeded per stream (CapRead, CapResume,
	// CapCrashResume). Streams not named are not read.
	Seeded map[string]int
	// Write is a batch of commands to apply twice (CapWrite), and Effects counts
	// their effects in the sandbox (e.g. entities created or rows exported).
	Write   []sdk.Command
	Effects func(ctx context.Context) (int, error)
	// Load drives sustained load through the connector, as the hub would, long
	// enough to exhaust the platform's burst (CapRateLimit); Count429 says how
	// many 429 responses the sandbox sent.
	Load     func(ctx context.Context, c sdk.Connector) error
	Count429 func() int
	// WebhookBody is a valid delivery and SignWebhook the headers the platform
	// would send with it (CapWebhook).
	WebhookBody []byte
	SignWebhook func(body []byte) http.Header
	// Close stops the sandbox; may be nil.
	Close func() error
}

func (t Target) declared(c Capability) bool {
	for _, x := range t.Capabilities {
		if x == c {
			return true
		}
	}
	return false
}
