package pipelines

import (
	"context"
	"fmt"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"
	"gopkg.in/yaml.v3"

	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

// Expr is a CEL expression as written in YAML, with where it was written, so
// that a type error points into the file.
type Expr struct {
	// Source is the expression's text.
	Source string
	// Pos is where the expression's text starts in the file.
	Pos yamlconf.Pos
	// block is true for a | or > scalar: CEL line n is file line Pos.Line+n-1.
	block bool
}

// DecodeYAML reads the expression from a scalar.
func (e *Expr) DecodeYAML(d *yamlconf.Decoder, n *yaml.Node) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || strings.TrimSpace(n.Value) == "" {
		d.Errorf(n, "expected a CEL expression")
		return
	}
	e.Source = n.Value
	e.Pos = d.Pos(n)
	switch n.Style {
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		e.Pos.Col++
	case yaml.LiteralStyle, yaml.FoldedStyle:
		e.block = true
		e.Pos.Line++
		e.Pos.Col = 1 + blockIndent(d, n.Line+1)
	}
}

// blockIndent returns the indentation of a line of the decoder's source; the
// decoder does not keep the source, so it is found from Source when set.
func blockIndent(d *yamlconf.Decoder, line int) int {
	if d.Source == nil {
		return 0
	}
	lines := strings.Split(string(d.Source), "\n")
	if line-1 >= len(lines) || line < 1 {
		return 0
	}
	l := lines[line-1]
	return len(l) - len(strings.TrimLeft(l, " "))
}

// at maps a CEL location (line from 1, column from 0) into the file.
func (e Expr) at(line, col int) yamlconf.Pos {
	p := e.Pos
	switch {
	case line <= 1:
		p.Col += col
	case e.block:
		p.Line += line - 1
		p.Col = e.Pos.Col + col
	default:
		p.Line += line - 1
		p.Col = 1 + col
	}
	return p
}

// Program is a compiled, type-checked CEL expression.
type Program struct {
	expr Expr
	prg  cel.Program
	out  *cel.Type
}

// OutputType is the expression's CEL type.
func (p *Program) OutputType() *cel.Type { return p.out }

// Source is the expression's text.
func (p *Program) Source() string { return p.expr.Source }

// Compile type-checks e against the records reaching the step. If want is not
// nil the expression's type must be assignable to it (dyn is accepted and
// checked when evaluated). Problems come back as yamlconf.Errors at the
// expression's position in the file.
func (pc *ProvisionContext) Compile(e Expr, want *cel.Type) (*Program, error) {
	env, err := celEnv(pc.Kind)
	if err != nil {
		return nil, pc.Errorf(e.Pos, "%v", err)
	}
	ast, iss := env.Compile(e.Source)
	if iss != nil && iss.Err() != nil {
		var errs yamlconf.Errors
		for _, ce := range iss.Errors() {
			errs = append(errs, &yamlconf.Error{
				Pos: e.at(ce.Location.Line(), ce.Location.Column()),
				Msg: "CEL: " + ce.Message,
			})
		}
		return nil, errs
	}
	out := ast.OutputType()
	if want != nil && out != types.DynType && !want.IsAssignableType(out) {
		return nil, pc.Errorf(e.Pos, "CEL: expression has type %s, want %s", out, want)
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, pc.Errorf(e.Pos, "CEL: %v", err)
	}
	return &Program{expr: e, prg: prg, out: out}, nil
}

// activation resolves CEL variables of one record without building a map.
// The payload is decoded only when an expression refers to it, so a dedupe on
// record.idempotency_key never pays for decoding an order.
type activation struct {
	rec     *Record
	kindVar string
	now     time.Time
	err     error
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "record":
		return &a.rec.Record, true
	case "now":
		return types.Timestamp{Time: a.now}, true
	case "payload", a.kindVar:
		p, err := a.rec.Payload()
		if err != nil {
			a.err = err
			return nil, false
		}
		return p, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

// Eval evaluates the program on rec. An evaluation error is Permanent: the same
// record would fail the same way again.
func (p *Program) Eval(sc *StepContext, rec *Record) (ref.Val, error) {
	ki, _ := LookupKind(rec.Kind)
	act := &activation{rec: rec, kindVar: ki.Var, now: sc.Now}
	ctx := sc.Context
	if ctx == nil {
		ctx = context.Background()
	}
	val, _, err := p.prg.ContextEval(ctx, act)
	if act.err != nil {
		return nil, Permanent(act.err)
	}
	if err != nil {
		return nil, Permanent(fmt.Errorf("evaluate %q: %w", p.expr.Source, err))
	}
	return val, nil
}

// EvalBool evaluates a boolean expression.
func (p *Program) EvalBool(sc *StepContext, rec *Record) (bool, error) {
	val, err := p.Eval(sc, rec)
	if err != nil {
		return false, err
	}
	b, ok := val.(types.Bool)
	if !ok {
		return false, Permanent(fmt.Errorf("evaluate %q: got %s, want bool", p.expr.Source, val.Type()))
	}
	return bool(b), nil
}

// EvalString evaluates an expression to a string; non-string values are
// converted with CEL's string().
func (p *Program) EvalString(sc *StepContext, rec *Record) (string, error) {
	val, err := p.Eval(sc, rec)
	if err != nil {
		return "", err
	}
	if s, ok := val.(types.String); ok {
		return string(s), nil
	}
	conv := val.ConvertToType(types.StringType)
	if types.IsError(conv) {
		return "", Permanent(fmt.Errorf("evaluate %q: cannot make a string of %s", p.expr.Source, val.Type()))
	}
	return string(conv.(types.String)), nil
}
