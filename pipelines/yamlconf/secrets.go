package yamlconf

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Redacted is what a secret looks like in logs, errors and encoded output.
const Redacted = "***"

// minSecretLen is the shortest value redacted by substitution; shorter values
// ("1", "on") would blank out unrelated text. They are still never quoted by the
// decoder and Secret values still print as "***".
const minSecretLen = 4

// Secrets is the registry of secret values resolved at load time. It is safe for
// concurrent use; the zero value is not, use NewSecrets.
type Secrets struct {
	mu     sync.RWMutex
	values map[string]struct{}
	sorted []string // longest first, so a secret containing another is replaced whole
}

// NewSecrets returns an empty registry.
func NewSecrets() *Secrets { return &Secrets{values: map[string]struct{}{}} }

// Add registers a secret value.
func (s *Secrets) Add(value string) {
	if s == nil || value == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.values[value]; ok {
		return
	}
	s.values[value] = struct{}{}
	s.sorted = append(s.sorted, value)
	sort.Slice(s.sorted, func(i, j int) bool { return len(s.sorted[i]) > len(s.sorted[j]) })
}

// Has reports whether value is a registered secret.
func (s *Secrets) Has(value string) bool {
	if s == nil {
		return false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.values[value]
	return ok
}

// Redact replaces every registered secret in text with "***".
func (s *Secrets) Redact(text string) string {
	if s == nil {
		return text
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.sorted {
		if len(v) >= minSecretLen && strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, Redacted)
		}
	}
	return text
}

// RedactError returns err with every secret in its message replaced, or nil.
// An Errors list keeps its shape.
func (s *Secrets) RedactError(err error) error {
	switch e := err.(type) {
	case nil:
		return nil
	case Errors:
		out := make(Errors, len(e))
		for i, x := range e {
			out[i] = &Error{Pos: x.Pos, Msg: s.Redact(x.Msg)}
		}
		return out
	default:
		return redactedError{msg: s.Redact(err.Error()), err: err}
	}
}

type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

// Secret is a string that never shows itself: it prints, logs and encodes as
// "***". Reveal returns the value for the code that needs it.
type Secret string

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String returns "***".
func (s Secret) String() string { return Redacted }

// GoString returns "***", so %#v does not leak it either.
func (s Secret) GoString() string { return Redacted }

// LogValue makes slog print "***".
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalJSON encodes "***".
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(Redacted) }

// MarshalText encodes "***".
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// DecodeYAML reads a scalar; the value is registered as a secret.
func (s *Secret) DecodeYAML(d *Decoder, n *yaml.Node) {
	if !d.expectScalar(n, "a string") {
		return
	}
	*s = Secret(n.Value)
	d.Secrets.Add(n.Value)
}

var refPattern = regexp.MustCompile(`\$\{([a-zA-Z]*):([^}]*)\}`)

// Resolver resolves ${env:NAME} and ${file:PATH} references in scalar nodes.
type Resolver struct {
	// Secrets receives every resolved value.
	Secrets *Secrets
	// Getenv looks up environment variables; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	// Dir is the directory relative file paths are read from.
	Dir string
}

// Resolve rewrites every scalar under root that holds a reference, in place,
// and returns the problems (unknown scheme, unset variable, unreadable file).
func (r *Resolver) Resolve(file string, root *yaml.Node) Errors {
	var errs Errors
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil {
			return
		}
		if n.Kind == yaml.ScalarNode {
			if strings.Contains(n.Value, "${") {
				r.resolveScalar(file, n, &errs)
			}
			return
		}
		if n.Kind == yaml.MappingNode {
			for i := 1; i < len(n.Content); i += 2 {
				walk(n.Content[i])
			}
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	return errs
}

func (r *Resolver) resolveScalar(file string, n *yaml.Node, errs *Errors) {
	failed := false
	out := refPattern.ReplaceAllStringFunc(n.Value, func(ref string) string {
		m := refPattern.FindStringSubmatch(ref)
		scheme, arg := m[1], m[2]
		switch scheme {
		case "env":
			get := r.Getenv
			if get == nil {
				get = os.LookupEnv
			}
			v, ok := get(arg)
			if !ok {
				errs.Add(NodePos(file, n), "environment variable %s is not set (referenced as ${env:%s})", arg, arg)
				failed = true
				return ""
			}
			r.Secrets.Add(v)
			return v
		case "file":
			path := arg
			if !filepath.IsAbs(path) && r.Dir != "" {
				path = filepath.Join(r.Dir, path)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				errs.Add(NodePos(file, n), "read secret file %s: %v", arg, unwrapPathError(err))
				failed = true
				return ""
			}
			v := strings.TrimRight(string(b), "\r\n")
			r.Secrets.Add(v)
			return v
		default:
			errs.Add(NodePos(file, n), "unknown reference %q: want ${env:NAME} or ${file:PATH}", "${"+scheme+":...}")
			failed = true
			return ref
		}
	})
	if !failed {
		n.Value = out
		n.Tag = "!!str"
		n.Style = 0
	}
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// ReplaceAttr returns a slog.HandlerOptions.ReplaceAttr function that redacts
// every registered secret from the message and from string and error attributes.
func ReplaceAttr(s *Secrets) func(groups []string, a slog.Attr) slog.Attr {
	return func(_ []string, a slog.Attr) slog.Attr {
		a.Value = redactValue(s, a.Value)
		return a
	}
}

func redactValue(s *Secrets, v slog.Value) slog.Value {
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(s.Redact(v.String()))
	case slog.KindLogValuer:
		return redactValue(s, v.Resolve())
	case slog.KindGroup:
		attrs := v.Group()
		out := make([]slog.Attr, len(attrs))
		for i, a := range attrs {
			out[i] = slog.Attr{Key: a.Key, Value: redactValue(s, a.Value)}
		}
		return slog.GroupValue(out...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.StringValue(s.Redact(x.Error()))
		case fmt.Stringer:
			return slog.StringValue(s.Redact(x.String()))
		case []byte:
			return slog.StringValue(s.Redact(string(x)))
		}
		return slog.StringValue(s.Redact(fmt.Sprint(v.Any())))
	}
	return v
}

// NewRedactingHandler wraps h so that no registered secret reaches it: the
// message and every attribute are redacted first. Use it to wrap a handler you
// did not build yourself; when you build it, ReplaceAttr does the same.
func NewRedactingHandler(h slog.Handler, s *Secrets) slog.Handler {
	return &redactingHandler{next: h, secrets: s}
}

type redactingHandler struct {
	next    slog.Handler
	secrets *Secrets
}

func (h *redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.secrets.Redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(slog.Attr{Key: a.Key, Value: redactValue(h.secrets, a.Value)})
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = slog.Attr{Key: a.Key, Value: redactValue(h.secrets, a.Value)}
	}
	return &redactingHandler{next: h.next.WithAttrs(red), secrets: h.secrets}
}

func (h *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{next: h.next.WithGroup(name), secrets: h.secrets}
}
