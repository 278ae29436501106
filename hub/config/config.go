package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

// Secret is a string that prints, logs and encodes as "***".
type Secret = yamlconf.Secret

// Secrets is the registry of resolved secret values, for redaction.
type Secrets = yamlconf.Secrets

// Errors is a list of file:line:col problems.
type Errors = yamlconf.Errors

// DefaultListen is the address the hub serves HTTP on when hub.listen is empty.
const DefaultListen = "127.0.0.1:8080"

// File is hub.yaml as written.
type File struct {
	// Hub holds the hub's own settings.
	Hub Hub `yaml:"hub" required:"true"`
	// Connectors are the connector instances the hub runs.
	Connectors []Connector `yaml:"connectors"`
	// Pipelines are globs of pipeline files, relative to hub.yaml.
	Pipelines []string `yaml:"pipelines"`
	// API is the HTTP API's section, decoded by hub/api.
	API yaml.Node `yaml:"api"`
	// Locations is the locations section (a CSV path or a list), decoded by its owner.
	Locations yaml.Node `yaml:"locations"`
	// Inventory is the inventory section, decoded by hub/inventory.
	Inventory yaml.Node `yaml:"inventory"`
	// Routing is the routing section, decoded by hub/routing.
	Routing yaml.Node `yaml:"routing"`

	Pos yamlconf.Positions `yaml:"-"`
}

// Hub is the hub section.
type Hub struct {
	// Data is the database DSN: sqlite:PATH (relative to hub.yaml) or postgres://...
	Data string `yaml:"data" required:"true"`
	// Listen is the HTTP listen address; DefaultListen when empty.
	Listen string `yaml:"listen"`
	// ShutdownTimeout bounds a graceful stop; 10s when zero.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`

	Pos yamlconf.Positions `yaml:"-"`
}

// Connector is one connector instance.
type Connector struct {
	// Name is the instance name, e.g. "shopify-us"; it names the <name>.out topic.
	Name string `yaml:"name" required:"true"`
	// Type is a built-in connector type (run as `crossdock connector serve TYPE`).
	Type string `yaml:"type"`
	// Command is the executable of a third-party connector, relative to hub.yaml.
	Command string `yaml:"command"`
	// Config is the connector's own configuration, passed to it as JSON.
	Config yaml.Node `yaml:"config"`
	// Env names the environment variables passed through to the connector process.
	Env []string `yaml:"env"`
	// Streams are the streams the hub reads, by stream name.
	Streams map[string]Stream `yaml:"streams"`

	Pos yamlconf.Positions `yaml:"-"`
}

// Stream says how the hub reads one stream of a connector.
type Stream struct {
	// Poll is the polling interval; zero reads only on webhooks and on demand.
	Poll time.Duration `yaml:"poll"`

	Pos yamlconf.Positions `yaml:"-"`
}

// ConfigJSON returns the connector's config section as JSON, with references
// resolved; "{}" when it has none.
func (c Connector) ConfigJSON() (json.RawMessage, error) {
	if c.Config.Kind == 0 || yamlconf.IsNull(&c.Config) {
		return json.RawMessage("{}"), nil
	}
	var v any
	if err := c.Config.Decode(&v); err != nil {
		return nil, fmt.Errorf("connector %s: config: %w", c.Name, err)
	}
	b, err := json.Marshal(yamlconf.JSONable(v))
	if err != nil {
		return nil, fmt.Errorf("connector %s: config: %w", c.Name, err)
	}
	return b, nil
}

// Config is a loaded hub.yaml.
type Config struct {
	File
	// Path is the file it was loaded from.
	Path string
	// Dir is the directory relative paths are resolved from.
	Dir string
	// PipelineFiles are the pipeline files the globs match, sorted, deduplicated.
	PipelineFiles []string
	// Secrets holds every resolved ${env:...}/${file:...} value, for redaction.
	Secrets *Secrets
}

// Options tune Load.
type Options struct {
	// Getenv looks up environment variables; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	// Secrets receives resolved values; a new registry when nil.
	Secrets *Secrets
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Load reads and checks hub.yaml at path. The error, if any, is an Errors list
// with every problem of the file.
func Load(path string) (*Config, error) { return LoadWith(path, Options{}) }

// LoadWith is Load with options.
func LoadWith(path string, opts Options) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load hub config: %w", err)
	}
	return Parse(path, data, opts)
}

// Parse checks the hub.yaml held in data, as if read from path.
func Parse(path string, data []byte, opts Options) (*Config, error) {
	cfg, err := ParsePartial(path, data, opts)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// LoadPartial is LoadWith for tools that report every problem at once: with
// the problems it returns the config as far as it could be read (nil only when
// the file cannot be read or parsed), so that the pipelines can still be
// checked against the connectors that are well defined.
func LoadPartial(path string, opts Options) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load hub config: %w", err)
	}
	return ParsePartial(path, data, opts)
}

// ParsePartial is Parse returning the partly read config with its problems.
func ParsePartial(path string, data []byte, opts Options) (*Config, error) {
	secrets := opts.Secrets
	if secrets == nil {
		secrets = yamlconf.NewSecrets()
	}
	cfg := &Config{Path: path, Dir: filepath.Dir(path), Secrets: secrets}
	root, err := yamlconf.Parse(path, data)
	if err != nil {
		return nil, err
	}
	var errs Errors
	if root == nil {
		errs.Add(yamlconf.Pos{File: path, Line: 1, Col: 1}, "empty hub config: want at least a hub section")
		return nil, errs
	}
	res := &yamlconf.Resolver{Secrets: secrets, Getenv: opts.Getenv, Dir: cfg.Dir}
	errs = append(errs, res.Resolve(path, root)...)
	dec := yamlconf.NewDecoder(path, secrets)
	dec.Decode(root, &cfg.File)
	errs = append(errs, dec.Errs...)
	errs = append(errs, cfg.check()...)
	if len(errs) > 0 {
		errs.Sort()
		return cfg, errs
	}
	return cfg, nil
}

func (c *Config) pos(p yamlconf.Positions, key string) yamlconf.Pos { return p.Of(key) }

func (c *Config) check() Errors {
	var errs Errors
	if c.Hub.Data != "" && !strings.HasPrefix(c.Hub.Data, "sqlite:") && !strings.HasPrefix(c.Hub.Data, "postgres") {
		errs.Add(c.pos(c.Hub.Pos, "data"), "hub.data: want sqlite:PATH or postgres://..., got %q", redactDSN(c.Secrets.Redact(c.Hub.Data)))
	}
	seen := map[string]bool{}
	for _, conn := range c.Connectors {
		switch {
		case conn.Name == "":
		case !namePattern.MatchString(conn.Name):
			errs.Add(c.pos(conn.Pos, "name"), "connector name %q: use lower-case letters, digits, - and _", conn.Name)
		case seen[conn.Name]:
			errs.Add(c.pos(conn.Pos, "name"), "connector %q is defined twice", conn.Name)
		}
		seen[conn.Name] = true
		switch {
		case conn.Type == "" && conn.Command == "":
			errs.Add(c.pos(conn.Pos, ""), "connector %q: set type (a built-in connector) or command (an executable)", conn.Name)
		case conn.Type != "" && conn.Command != "":
			errs.Add(c.pos(conn.Pos, "command"), "connector %q: set type or command, not both", conn.Name)
		}
		for _, env := range conn.Env {
			if strings.ContainsAny(env, "=$ ") {
				errs.Add(c.pos(conn.Pos, "env"), "connector %q: env lists variable names, got %q", conn.Name, c.Secrets.Redact(env))
			}
		}
	}
	for _, glob := range c.Pipelines {
		pattern := glob
		if !filepath.IsAbs(pattern) {
			pattern = filepath.Join(c.Dir, pattern)
		}
		matches, err := filepath.Glob(pattern)
		if err != nil {
			errs.Add(c.pos(c.File.Pos, "pipelines"), "pipelines: bad glob %q: %v", glob, err)
			continue
		}
		c.PipelineFiles = append(c.PipelineFiles, matches...)
	}
	sort.Strings(c.PipelineFiles)
	c.PipelineFiles = dedupe(c.PipelineFiles)
	return errs
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// redactDSN hides the password of a postgres URL.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "@"); i > 0 {
		if j := strings.LastIndex(dsn[:i], ":"); j > strings.Index(dsn, "//")+1 {
			return dsn[:j+1] + yamlconf.Redacted + dsn[i:]
		}
	}
	return dsn
}

// DSN returns hub.data with a relative SQLite path made relative to hub.yaml's
// directory, so the hub finds the same database from any working directory.
func (c *Config) DSN() string {
	dsn := c.Hub.Data
	if rest, ok := strings.CutPrefix(dsn, "sqlite:"); ok {
		rest = strings.TrimPrefix(rest, "//")
		if !filepath.IsAbs(rest) && rest != ":memory:" {
			rest = filepath.Join(c.Dir, rest)
		}
		return "sqlite:" + rest
	}
	return dsn
}

// Listen returns hub.listen or DefaultListen.
func (c *Config) Listen() string {
	if c.Hub.Listen == "" {
		return DefaultListen
	}
	return c.Hub.Listen
}

// ShutdownTimeout returns hub.shutdown_timeout or 10s.
func (c *Config) ShutdownTimeout() time.Duration {
	if c.Hub.ShutdownTimeout <= 0 {
		return 10 * time.Second
	}
	return c.Hub.ShutdownTimeout
}

// Connector returns the connector instance called name.
func (c *Config) Connector(name string) (Connector, bool) {
	for _, conn := range c.Connectors {
		if conn.Name == name {
			return conn, true
		}
	}
	return Connector{}, false
}

// ConnectorNames returns the names of the connector instances, in file order.
func (c *Config) ConnectorNames() []string {
	names := make([]string, len(c.Connectors))
	for i, conn := range c.Connectors {
		names[i] = conn.Name
	}
	return names
}

// Section returns the node of a section owned by another package (api,
// locations, inventory, routing) and whether the file has it.
func (c *Config) Section(name string) (*yaml.Node, bool) {
	var n *yaml.Node
	switch name {
	case "api":
		n = &c.API
	case "locations":
		n = &c.Locations
	case "inventory":
		n = &c.Inventory
	case "routing":
		n = &c.Routing
	default:
		return nil, false
	}
	if n.Kind == 0 || yamlconf.IsNull(n) {
		return nil, false
	}
	return n, true
}

// DecodeSection decodes a section owned by another package into the value into
// points to, with the same strictness as the rest of the file: unknown keys,
// wrong types and missing `required:"true"` fields are errors with file:line:col,
// all of them together (an Errors list). A type can implement
// yamlconf.Unmarshaler for its own checks. An absent section leaves into as it
// is and returns nil.
func (c *Config) DecodeSection(name string, into any) error {
	switch name {
	case "api", "locations", "inventory", "routing":
	default:
		return fmt.Errorf("hub config: no section %q", name)
	}
	n, ok := c.Section(name)
	if !ok {
		return nil
	}
	dec := yamlconf.NewDecoder(c.Path, c.Secrets)
	dec.Path = []string{name}
	dec.Decode(n, into)
	dec.Errs.Sort()
	return dec.Err()
}

// SectionPos returns where a section starts, for errors its owner reports
// after decoding (a routing rule that names an unknown location, say).
func (c *Config) SectionPos(name string) yamlconf.Pos {
	return c.File.Pos.Of(name)
}
