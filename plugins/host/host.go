package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// Config says which connector executable to start and how.
type Config struct {
	// Name is the connector instance's name; the plugin's log lines carry it.
	Name string
	// Path is the executable; Args are its arguments (for a built-in connector:
	// the crossdock binary with "connector", "serve", NAME).
	Path string
	Args []string
	// Env is the plugin's whole environment, KEY=VALUE; the host's environment
	// is not inherited.
	Env []string
	// Dir is the working directory; empty means the host's.
	Dir string
	// Logger receives the plugin's log lines; nil discards them.
	Logger *slog.Logger
	// StartTimeout bounds the handshake; 0 means 20s.
	StartTimeout time.Duration
}

// Client is a running connector process. It implements the connector
// interfaces through its embedded *sdk.RPCClient.
type Client struct {
	*sdk.RPCClient
	pc   *plugin.Client
	pid  int
	done chan struct{}
	log  *logAdapter
	once sync.Once
}

// Launch starts the connector process and completes the handshake. The process
// lives until Kill (or until the host exits: see the package doc).
func Launch(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.Path == "" {
		return nil, errors.New("launch connector: no executable")
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 20 * time.Second
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	la := newLogAdapter(logger.With("connector", cfg.Name), "")
	cmd := exec.Command(cfg.Path, cfg.Args...)
	cmd.Env = append([]string{}, cfg.Env...)
	cmd.Dir = cfg.Dir
	setDeathSignal(cmd)
	pc := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: sdk.VersionedPlugins(nil),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Managed:          true,
		SkipHostEnv:      true,
		Logger:           la,
		StartTimeout:     cfg.StartTimeout,
		GRPCDialOptions:  sdk.GRPCDialOptions(),
	})
	type result struct {
		rpc plugin.ClientProtocol
		err error
	}
	ch := make(chan result, 1)
	go func() {
		rpc, err := pc.Client()
		ch <- result{rpc, err}
	}()
	var res result
	select {
	case res = <-ch:
	case <-ctx.Done():
		pc.Kill()
		return nil, fmt.Errorf("launch connector %s: %w", cfg.Name, ctx.Err())
	}
	if res.err != nil {
		pc.Kill()
		return nil, fmt.Errorf("launch connector %s (%s): %w", cfg.Name, cfg.Path, res.err)
	}
	raw, err := res.rpc.Dispense(sdk.PluginName)
	if err != nil {
		pc.Kill()
		return nil, fmt.Errorf("launch connector %s: %w", cfg.Name, err)
	}
	rc, ok := raw.(*sdk.RPCClient)
	if !ok {
		pc.Kill()
		return nil, fmt.Errorf("launch connector %s: unexpected plugin type %T", cfg.Name, raw)
	}
	c := &Client{RPCClient: rc, pc: pc, done: make(chan struct{}), log: la}
	if rc := pc.ReattachConfig(); rc != nil {
		c.pid = rc.Pid
	}
	go c.watch()
	return c, nil
}

// watch closes done when the process is gone.
func (c *Client) watch() {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for range t.C {
		if c.pc.Exited() {
			c.once.Do(func() { close(c.done) })
			return
		}
	}
}

// Pid is the connector process's id.
func (c *Client) Pid() int { return c.pid }

// Done is closed when the process has exited, for whatever reason.
func (c *Client) Done() <-chan struct{} { return c.done }

// Exited reports whether the process has exited.
func (c *Client) Exited() bool { return c.pc.Exited() }

// ExitError is the process's exit error as go-plugin reported it, or nil.
func (c *Client) ExitError() error { return c.log.exitError() }

// Ping checks that the plugin still answers.
func (c *Client) Ping() error {
	rpc, err := c.pc.Client()
	if err != nil {
		return err
	}
	return rpc.Ping()
}

// Kill ends the process: gracefully if it answers, forcibly after a short wait.
func (c *Client) Kill() {
	c.pc.Kill()
}

// CleanupClients kills every connector process this host started. Call it
// (deferred) in main so no plugin outlives the hub on a normal exit.
func CleanupClients() { plugin.CleanupClients() }
