package routing

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
	"github.com/crossdockhq/crossdock/canonical"
)

// celEnv declares what a rule condition sees: one variable, `order`, a map
// with the fields documented in docs/routing.md.
func celEnv() (*cel.Env, error) {
	return cel.NewEnv(cel.Variable("order", cel.MapType(cel.StringType, cel.DynType)))
}

// celError is a condition problem at a place in the expression (1-based;
// line 0 when the whole expression is meant).
type celError struct {
	line, col int
	msg       string
}

func (e *celError) Error() string { return e.msg }

// compileCondition parses and type-checks a condition; it must yield a bool.
func compileCondition(env *cel.Env, expr string) (cel.Program, error) {
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		errs := iss.Errors()
		if len(errs) > 0 {
			e := errs[0]
			msg := e.Message
			if len(errs) > 1 {
				msg += fmt.Sprintf(" (and %d more)", len(errs)-1)
			}
			return nil, &celError{line: e.Location.Line(), col: e.Location.Column() + 1, msg: msg}
		}
		return nil, &celError{msg: strings.ReplaceAll(iss.Err().Error(), "\n", " ")}
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return nil, &celError{msg: fmt.Sprintf("condition yields %s, want bool", t)}
	}
	prg, err := env.Program(ast)
	if err != nil {
		return nil, &celError{msg: err.Error()}
	}
	return prg, nil
}

// orderActivation is the `order` variable of rule conditions. Amounts are
// integers in minor units.
func orderActivation(o *canonical.Order) map[string]any {
	lines := make([]any, 0, len(o.Lines))
	var units int64
	for _, l := range o.Lines {
		units += l.Open()
		lines = append(lines, map[string]any{
			"sku":        l.SKU,
			"quantity":   l.Open(),
			"unit_price": l.UnitPrice.Amount,
			"title":      l.Title,
		})
	}
	ship := map[string]any{"country": "", "region": "", "postal_code": "", "city": ""}
	if a := o.ShippingAddress; a != nil {
		ship = map[string]any{"country": a.Country, "region": a.Region, "postal_code": a.PostalCode, "city": a.City}
	}
	methods := make([]any, 0, len(o.ShippingLines))
	for _, s := range o.ShippingLines {
		m := s.Code
		if m == "" {
			m = s.Title
		}
		methods = append(methods, m)
	}
	tags := make([]any, len(o.Tags))
	for i, t := range o.Tags {
		tags[i] = t
	}
	method := string(o.Fulfilment.Method)
	if method == "" {
		method = string(canonical.FulfilShip)
	}
	return map[string]any{"order": map[string]any{
		"id":                 o.ID,
		"channel":            o.Channel,
		"number":             o.Number,
		"tags":               tags,
		"total":              o.Totals.Total.Amount,
		"subtotal":           o.Totals.Subtotal.Amount,
		"currency":           o.Totals.Total.Currency,
		"units":              units,
		"lines":              lines,
		"shipping_address":   ship,
		"shipping_methods":   methods,
		"fulfilment":         method,
		"pickup_location_id": o.Fulfilment.PickupLocationID,
	}}
}
