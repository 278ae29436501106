package pipelines

import (
	"context"
	"log/slog"
	"strings"

	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

// LogStep writes a log line for each record and passes it on unchanged:
//
//   - log:
//     message: order received
//     level: info
//     fields:
//     number: order.number
//     total: order.totals.total.amount
type LogStep struct {
	// Message is the log message.
	Message string `yaml:"message" required:"true"`
	// Level is debug, info (the default), warn or error.
	Level string `yaml:"level"`
	// Fields are named CEL expressions logged as attributes, in order.
	Fields Assignments `yaml:"fields"`

	Pos yamlconf.Positions `yaml:"-"`

	level  slog.Level
	fields []*Program
}

var (
	_ Step        = (*LogStep)(nil)
	_ Provisioner = (*LogStep)(nil)
)

// Provision parses the level and compiles the fields.
func (s *LogStep) Provision(pc *ProvisionContext) error {
	var errs yamlconf.Errors
	switch strings.ToLower(s.Level) {
	case "", "info":
		s.level = slog.LevelInfo
	case "debug":
		s.level = slog.LevelDebug
	case "warn", "warning":
		s.level = slog.LevelWarn
	case "error":
		s.level = slog.LevelError
	default:
		errs.Add(s.Pos.Of("level"), "level %q: want debug, info, warn or error", s.Level)
	}
	for _, f := range s.Fields {
		prg, err := pc.Compile(f.Expr, nil)
		if err != nil {
			errs.Append(f.Expr.Pos, err)
			continue
		}
		s.fields = append(s.fields, prg)
	}
	return errs.Err()
}

// Process logs and passes rec on. A field that fails to evaluate is logged as
// its error rather than failing the record: logging never stops a pipeline.
func (s *LogStep) Process(sc *StepContext, rec *Record) ([]*Record, error) {
	ctx := sc.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if sc.Logger == nil || !sc.Logger.Enabled(ctx, s.level) {
		return []*Record{rec}, nil
	}
	attrs := make([]slog.Attr, 0, len(s.fields)+3)
	attrs = append(attrs, slog.String("kind", string(rec.Kind)), slog.String("source", rec.Source), slog.String("idempotency_key", rec.IdempotencyKey))
	for i, prg := range s.fields {
		val, err := prg.Eval(sc, rec)
		if err != nil {
			attrs = append(attrs, slog.String(s.Fields[i].Name, "error: "+err.Error()))
			continue
		}
		attrs = append(attrs, slog.Any(s.Fields[i].Name, val.Value()))
	}
	sc.Logger.LogAttrs(ctx, s.level, s.Message, attrs...)
	return []*Record{rec}, nil
}
