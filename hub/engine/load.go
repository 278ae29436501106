package engine

import (
	"errors"
	"log/slog"

	"github.com/crossdockhq/crossdock/hub/config"
	"github.com/crossdockhq/crossdock/pipelines"
	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

// LoadOptions tune Load.
type LoadOptions struct {
	// Registry holds the step kinds; the standard steps when nil.
	Registry *pipelines.Registry
	// Services are injected into the steps at compile time.
	Services *pipelines.Services
	// Getenv looks up environment variables; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	// Logger is given to the steps.
	Logger *slog.Logger
	// Secrets receives the resolved ${env:...}/${file:...} values; a new
	// registry when nil. Pass the one your redacting logger uses.
	Secrets *yamlconf.Secrets
}

// Loaded is a hub config with its pipelines compiled.
type Loaded struct {
	Config    *config.Config
	Pipelines *pipelines.Set
}

// Load reads hub.yaml at path and compiles the pipelines it names against its
// connectors. The error, when there is one, is a yamlconf.Errors list holding
// every problem of every file (or a plain error when path cannot be read).
func Load(path string, opts LoadOptions) (*Loaded, error) {
	cfg, err := config.LoadPartial(path, config.Options{Getenv: opts.Getenv, Secrets: opts.Secrets})
	if cfg == nil {
		return nil, err
	}
	var errs yamlconf.Errors
	if err != nil && !errors.As(err, &errs) {
		return nil, err
	}
	// The pipelines are checked even when hub.yaml has problems, against the
	// connectors it does define, so one run reports everything.
	env := &pipelines.Env{
		Registry:   opts.Registry,
		Connectors: cfg.ConnectorNames(),
		Services:   opts.Services,
		Secrets:    cfg.Secrets,
		Getenv:     opts.Getenv,
		Logger:     opts.Logger,
	}
	set, perr := pipelines.LoadFiles(cfg.PipelineFiles, env)
	if perr != nil {
		var perrs yamlconf.Errors
		if !errors.As(perr, &perrs) {
			return nil, perr
		}
		errs = append(errs, perrs...)
	}
	if len(errs) > 0 {
		errs.Sort()
		return nil, cfg.Secrets.RedactError(errs)
	}
	return &Loaded{Config: cfg, Pipelines: set}, nil
}
