package connhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/crossdockhq/crossdock/plugins/host"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// State is a connector instance's lifecycle state.
type State string

// States.
const (
	StateStarting   State = "starting"
	StateRunning    State = "running"
	StateRestarting State = "restarting"
	StateFailed     State = "failed"
	StateStopped    State = "stopped"
)

var allStates = []State{StateStarting, StateRunning, StateRestarting, StateFailed, StateStopped}

// Errors a call can fail with.
var (
	// ErrUnknown: no instance has that name.
	ErrUnknown = errors.New("unknown connector instance")
	// ErrFailed: the instance crashed too often (or its config was rejected)
	// and is no longer restarted.
	ErrFailed = errors.New("connector instance failed")
	// ErrNotRunning: the host is not running (Run was not called or has ended).
	ErrNotRunning = errors.New("connector host is not running")
)

// Status is the state of one connector instance.
type Status struct {
	Name string `json:"name"`
	// Kind is "type:NAME", "command:PATH" or "in-process".
	Kind      string    `json:"kind"`
	State     State     `json:"state"`
	LastError string    `json:"last_error,omitempty"`
	Restarts  int       `json:"restarts"`
	PID       int       `json:"pid,omitempty"`
	Since     time.Time `json:"since"`
}

// Host runs and supervises connector instances.
type Host struct {
	cfg       Config
	log       *slog.Logger
	metrics   *metrics
	instances map[string]*instance
	order     []string

	mu      sync.Mutex
	running bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// New builds a host; nothing starts until Run.
func New(cfg Config) (*Host, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("connhost: %w", err)
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("connhost: metrics: %w", err)
	}
	h := &Host{cfg: cfg, log: cfg.Logger.With("component", "connhost"), metrics: m, instances: map[string]*instance{}}
	for _, ic := range cfg.Instances {
		in := &instance{h: h, cfg: ic, log: h.log.With("connector", ic.Name), changed: make(chan struct{})}
		in.setState(StateStopped, "")
		h.instances[ic.Name] = in
		h.order = append(h.order, ic.Name)
	}
	sort.Strings(h.order)
	return h, nil
}

// Run starts every instance and its pollers and blocks until ctx is done; then
// it stops them all and kills every connector process before returning.
func (h *Host) Run(ctx context.Context) error {
	if err := h.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	h.Close()
	return nil
}

// Start starts every instance and its pollers and returns; Close stops them.
func (h *Host) Start(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.running {
		return errors.New("connhost: already running")
	}
	ctx, cancel := context.WithCancel(ctx)
	h.cancel, h.running = cancel, true
	for _, name := range h.order {
		in := h.instances[name]
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			in.supervise(ctx)
		}()
		for stream, every := range in.cfg.Streams {
			if every <= 0 {
				continue
			}
			h.wg.Add(1)
			go func() {
				defer h.wg.Done()
				h.pollLoop(ctx, in, stream, every)
			}()
		}
	}
	return nil
}

// Close stops pollers and supervisors and kills every connector process. It
// waits for them to finish.
func (h *Host) Close() {
	h.mu.Lock()
	cancel := h.cancel
	h.running = false
	h.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	h.wg.Wait()
	for _, in := range h.instances {
		in.stop()
	}
}

// Status returns the state of every instance, by name.
func (h *Host) Status() []Status {
	out := make([]Status, 0, len(h.order))
	for _, name := range h.order {
		out = append(out, h.instances[name].status())
	}
	return out
}

// Names lists the instances, sorted.
func (h *Host) Names() []string { return append([]string(nil), h.order...) }

func (h *Host) instance(name string) (*instance, error) {
	in, ok := h.instances[name]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknown, name)
	}
	return in, nil
}

// instance is one supervised connector.
type instance struct {
	h   *Host
	cfg Instance
	log *slog.Logger

	mu        sync.Mutex
	state     State
	lastErr   string
	restarts  int
	since     time.Time
	conn      sdk.Connector
	proc      *host.Client
	changed   chan struct{} // closed and replaced on every state change
	streamMus sync.Map      // stream -> *sync.Mutex: one read of a stream at a time
}

func (in *instance) kind() string {
	switch {
	case in.cfg.Type != "":
		return "type:" + in.cfg.Type
	case in.cfg.Command != "":
		return "command:" + in.cfg.Command
	}
	return "in-process"
}

func (in *instance) status() Status {
	in.mu.Lock()
	defer in.mu.Unlock()
	s := Status{Name: in.cfg.Name, Kind: in.kind(), State: in.state, LastError: in.lastErr, Restarts: in.restarts, Since: in.since}
	if in.proc != nil && in.state == StateRunning {
		s.PID = in.proc.Pid()
	}
	return s
}

func (in *instance) setState(s State, lastErr string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.state, in.since = s, time.Now()
	if lastErr != "" {
		in.lastErr = lastErr
	}
	for _, x := range allStates {
		v := 0.0
		if x == s {
			v = 1
		}
		in.h.metrics.state.WithLabelValues(in.cfg.Name, string(x)).Set(v)
	}
	close(in.changed)
	in.changed = make(chan struct{})
}

// supervise keeps the connector running until ctx is done or it has failed.
func (in *instance) supervise(ctx context.Context) {
	crashes := 0
	in.setState(StateStarting, "")
	for {
		began := time.Now()
		conn, proc, err := in.start(ctx)
		if ctx.Err() != nil {
			if proc != nil {
				proc.Kill()
			}
			in.setState(StateStopped, "")
			return
		}
		var cfgErr *sdk.ConfigError
		switch {
		case errors.As(err, &cfgErr):
			in.log.Error("connector rejected its config; not restarting it", "error", err)
			in.setState(StateFailed, err.Error())
			return
		case err != nil:
			in.log.Warn("connector did not start", "error", err)
			crashes++
			in.setState(StateRestarting, err.Error())
		default:
			in.mu.Lock()
			in.conn, in.proc = conn, proc
			in.mu.Unlock()
			in.setState(StateRunning, "")
			if proc == nil { // in-process: nothing to supervise
				<-ctx.Done()
				in.setState(StateStopped, "")
				return
			}
			select {
			case <-ctx.Done():
				proc.Kill()
				in.setState(StateStopped, "")
				return
			case <-proc.Done():
			}
			msg := "connector process exited"
			if e := proc.ExitError(); e != nil {
				msg += ": " + e.Error()
			}
			in.mu.Lock()
			in.conn, in.proc = nil, nil
			in.restarts++
			in.mu.Unlock()
			in.h.metrics.restarts.WithLabelValues(in.cfg.Name).Inc()
			if time.Since(began) >= in.h.cfg.StableAfter {
				crashes = 0
			}
			crashes++
			in.log.Error("connector crashed", "error", msg, "crashes", crashes)
			in.setState(StateRestarting, msg)
		}
		if crashes > in.h.cfg.MaxRestarts {
			in.log.Error("connector keeps crashing; marked failed", "crashes", crashes)
			in.setState(StateFailed, fmt.Sprintf("%d consecutive crashes; last: %s", crashes, in.status().LastError))
			return
		}
		select {
		case <-ctx.Done():
			in.setState(StateStopped, "")
			return
		case <-time.After(in.backoff(crashes)):
		}
	}
}

func (in *instance) backoff(crashes int) time.Duration {
	b := in.h.cfg.Backoff
	d := float64(b.Initial)
	for i := 1; i < crashes; i++ {
		d *= b.Factor
		if d >= float64(b.Max) {
			d = float64(b.Max)
			break
		}
	}
	return time.Duration(d * (1 + 0.2*rand.Float64()))
}

// start launches (or builds) the connector and configures it.
func (in *instance) start(ctx context.Context) (sdk.Connector, *host.Client, error) {
	cfg := in.h.cfg
	if in.cfg.InProcess != nil {
		c := in.cfg.InProcess()
		cctx, cancel := context.WithTimeout(ctx, cfg.CallTimeout)
		defer cancel()
		if err := c.Configure(cctx, in.cfg.Config); err != nil {
			return nil, nil, fmt.Errorf("configure: %w", err)
		}
		return c, nil, nil
	}
	path, args := in.cfg.Command, in.cfg.Args
	if in.cfg.Type != "" {
		path, args = cfg.Executable, []string{"connector", "serve", in.cfg.Type}
	}
	env := []string{"CROSSDOCK_CONNECTOR_INSTANCE=" + in.cfg.Name}
	for _, name := range in.cfg.Env {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	proc, err := host.Launch(ctx, host.Config{Name: in.cfg.Name, Path: path, Args: args, Env: env, Dir: in.cfg.Dir, Logger: cfg.Logger, StartTimeout: cfg.StartTimeout})
	if err != nil {
		return nil, nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, cfg.CallTimeout)
	defer cancel()
	if err := proc.Configure(cctx, in.cfg.Config); err != nil {
		proc.Kill()
		return nil, nil, fmt.Errorf("configure: %w", err)
	}
	return proc, proc, nil
}

func (in *instance) stop() {
	in.mu.Lock()
	proc := in.proc
	in.conn, in.proc = nil, nil
	in.mu.Unlock()
	if proc != nil {
		proc.Kill()
	}
}

// get returns the running connector, waiting (until ctx is done) while it
// starts or restarts.
func (in *instance) get(ctx context.Context) (sdk.Connector, error) {
	for {
		in.mu.Lock()
		state, conn, changed, lastErr := in.state, in.conn, in.changed, in.lastErr
		in.mu.Unlock()
		switch state {
		case StateRunning:
			if conn != nil {
				return conn, nil
			}
		case StateFailed:
			return nil, fmt.Errorf("%s: %w: %s", in.cfg.Name, ErrFailed, lastErr)
		case StateStopped:
			if !in.h.isRunning() {
				return nil, fmt.Errorf("%s: %w", in.cfg.Name, ErrNotRunning)
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: %w (state %s)", in.cfg.Name, sdk.ErrUnavailable, state)
		case <-changed:
		}
	}
}

func (h *Host) isRunning() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.running
}
