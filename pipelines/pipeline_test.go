package pipelines_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/pipelines"
	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

func env() *pipelines.Env {
	return &pipelines.Env{Connectors: []string{"shopify-us", "erp"}, Topics: []string{"order.accepted"}}
}

func TestLoad_BrokenFilesReportEveryProblemWithPosition(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"unknown-key.yaml", []string{
			`unknown-key.yaml:3:1: unknown field "stepz" (did you mean "steps"?)`,
		}},
		{"wrong-type.yaml", []string{
			`wrong-type.yaml:3:8: steps: expected a list, got a string "filter"`,
			`wrong-type.yaml:6:19: on_error.retry.max_attempts: expected an integer, got a string "many"`,
		}},
		{"missing-field.yaml", []string{
			`missing-field.yaml:1:1: missing required field "name"`,
			`missing-field.yaml:1:1: missing required field "from"`,
			`missing-field.yaml:3:10: steps[0].log: missing required field "message"`,
		}},
		{"unknown-step.yaml", []string{
			`unknown-step.yaml:4:5: steps[0]: unknown step kind "filtr" (did you mean "filter"?) (known: dedupe, filter, log, map)`,
			`unknown-step.yaml:7:5: steps[1]: step has two kinds, "filter" and "map": write them as two steps`,
		}},
		{"unknown-refs.yaml", []string{
			`unknown-refs.yaml:2:19: from: unknown connector "shopfy-us" (did you mean "shopify-us"?)`,
			`unknown-refs.yaml:5:16: to[1]: unknown connector "erp2" (did you mean "erp"?)`,
			`unknown-refs.yaml:8:13: to[2]: unknown action "teleport"`,
			`unknown-refs.yaml:9:12: to[3]: topic "nobody.out" names unknown connector "nobody"`,
		}},
		{"unknown-topic.yaml", []string{
			`unknown-topic.yaml:3:10: from: unknown topic "order.acepted": no connector or pipeline produces it (did you mean "order.accepted"?)`,
		}},
		{"unknown-kind.yaml", []string{
			`unknown-kind.yaml:4:9: from: unknown record kind "ordr" (did you mean "order"?)`,
			`unknown-kind.yaml:6:22: steps[0].dedupe.window: expected a duration such as 30s or 24h, got "soon"`,
		}},
		{"cel-type.yaml", []string{
			`cel-type.yaml:4:18: steps[0].filter: CEL: undefined field 'totl'`,
			`cel-type.yaml:5:13: steps[1].filter: CEL: expression has type string, want bool`,
			`cel-type.yaml:8:16: steps[2].map: notes is string, the expression gives int`,
			`cel-type.yaml:9:9: steps[2].map: order has no field "nots" (did you mean "notes"?)`,
			`cel-type.yaml:10:14: steps[2].map: order.payment has no field "tokn" (did you mean "token"?)`,
			`cel-type.yaml:14:16: steps[3].dedupe: CEL: undefined field 'nope'`,
		}},
		{"yaml-syntax.yaml", []string{
			`yaml-syntax.yaml:1:1: invalid YAML: did not find expected ',' or '}'`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			dir := filepath.Join("testdata", "broken")
			_, err := pipelines.LoadFiles([]string{filepath.Join(dir, tt.file)}, env())
			var errs yamlconf.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("got %v, want a list of positioned errors", err)
			}
			got := errs.Strings()
			for i := range got {
				got[i] = strings.TrimPrefix(got[i], dir+string(filepath.Separator))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// compile compiles one pipeline written inline.
func compile(t *testing.T, src string, e *pipelines.Env) *pipelines.Compiled {
	t.Helper()
	if e == nil {
		e = env()
	}
	p, errs := pipelines.Parse("p.yaml", []byte(src), e)
	if len(errs) > 0 {
		t.Fatalf("parse: %v", errs)
	}
	set, errs := pipelines.Compile([]*pipelines.Pipeline{p}, e)
	if len(errs) > 0 {
		t.Fatalf("compile: %v", errs)
	}
	return set.Pipelines[0]
}

func loadErr(t *testing.T, src string) string {
	t.Helper()
	e := env()
	p, errs := pipelines.Parse("p.yaml", []byte(src), e)
	if len(errs) == 0 {
		_, errs = pipelines.Compile([]*pipelines.Pipeline{p}, e)
	}
	return errs.Error()
}

func TestLoad_CELTypeErrorsAreCaughtAtLoad(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"misspelt field", "name: p\nfrom: {topic: order.in}\nsteps:\n  - filter: order.totl > 0\n",
			"p.yaml:4:18: steps[0].filter: CEL: undefined field 'totl'"},
		{"filter that is not a bool", "name: p\nfrom: {topic: order.in}\nsteps:\n  - filter: order.totals.total\n",
			"p.yaml:4:13: steps[0].filter: CEL: expression has type canonical.Money, want bool"},
		{"quoted expression", "name: p\nfrom: {topic: order.in}\nsteps:\n  - filter: 'order.lines.exists(l, l.qty > 1)'\n",
			"p.yaml:4:37: steps[0].filter: CEL: undefined field 'qty'"},
		{"comparing a string with a number", "name: p\nfrom: {topic: product.in}\nsteps:\n  - filter: product.title > 3\n",
			"p.yaml:4:27: steps[0].filter: CEL: found no matching overload for '_>_' applied to '(string, int)'"},
		{"the payload of another kind", "name: p\nfrom: {topic: inventory_level.in}\nsteps:\n  - filter: order.status == \"pending\"\n",
			"p.yaml:4:13: steps[0].filter: CEL: undeclared reference to 'order'"},
		{"a map value of the wrong type", "name: p\nfrom: {topic: order.in}\nsteps:\n  - map:\n      set: {lines: order.tags}\n",
			"p.yaml:5:20: steps[0].map: lines is list(canonical.OrderLine), the expression gives list(string)"},
		{"a dedupe key that is not a string", "name: p\nfrom: {topic: order.in}\nsteps:\n  - dedupe: {key: record.version}\n",
			"p.yaml:4:19: steps[0].dedupe: CEL: expression has type int, want string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := loadErr(t, tt.src); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func order(key string, o canonical.Order) canonical.Record {
	b, _ := json.Marshal(o)
	return canonical.Record{Kind: canonical.KindOrder, Source: "shopify-us", IdempotencyKey: key, Version: 1, Payload: b}
}

func base() pipelines.StepContext {
	return pipelines.StepContext{
		Context:  context.Background(),
		Now:      time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
		Services: &pipelines.Services{Dedupe: pipelines.NewMemoryDeduper()},
	}
}

func payloadOf(t *testing.T, out pipelines.Output) canonical.Order {
	t.Helper()
	var o canonical.Order
	if err := json.Unmarshal(out.Record.Payload, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestFilter_PassesOnlyRecordsTheConditionAccepts(t *testing.T) {
	c := compile(t, `name: p
from: {topic: order.in}
steps:
  - filter: order.totals.total.amount >= 1000 && !("test" in order.tags) && record.source == "shopify-us"
to: [{topic: order.accepted.big}]
`, nil)
	tests := []struct {
		name string
		o    canonical.Order
		pass bool
	}{
		{"big order", canonical.Order{Totals: canonical.Totals{Total: canonical.Money{Amount: 1000, Currency: "USD"}}}, true},
		{"small order", canonical.Order{Totals: canonical.Totals{Total: canonical.Money{Amount: 999, Currency: "USD"}}}, false},
		{"test order", canonical.Order{Tags: []string{"test"}, Totals: canonical.Totals{Total: canonical.Money{Amount: 5000}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outs, err := c.Process(base(), order("k", tt.o), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(outs) == 1; got != tt.pass {
				t.Errorf("passed = %v, want %v", got, tt.pass)
			}
			if tt.pass && outs[0].Target.TopicName() != "order.accepted.big" {
				t.Errorf("went to %s", outs[0].Target.TopicName())
			}
		})
	}
}

func TestMap_SetsAndDropsFieldsByTheirJSONNames(t *testing.T) {
	c := compile(t, `name: p
from: {topic: order.in}
steps:
  - map:
      set:
        status: '"confirmed"'
        tags: order.tags + ["channel:" + record.source]
        notes: 'order.notes + " (checked)"'
        shipping_address.country: '"US"'
        totals.shipping: 'order.totals.total'
        fulfilment.method: 'order.shipping_address.city == "" ? "pickup" : "ship"'
      drop: [payment, customer.phone]
to: [{topic: order.mapped}]
`, nil)
	in := canonical.Order{ID: "o1", Status: canonical.OrderPending, Notes: "leave at door", Tags: []string{"vip"},
		Totals:   canonical.Totals{Total: canonical.Money{Amount: 4200, Currency: "EUR"}},
		Payment:  &canonical.Payment{Token: "tok_1"},
		Customer: &canonical.Customer{Email: "a@example.com", Phone: "+33 1"}}
	outs, err := c.Process(base(), order("k", in), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := payloadOf(t, outs[0])
	if got.Status != canonical.OrderConfirmed {
		t.Errorf("status = %q", got.Status)
	}
	if !reflect.DeepEqual(got.Tags, []string{"vip", "channel:shopify-us"}) {
		t.Errorf("tags = %v", got.Tags)
	}
	if got.Notes != "leave at door (checked)" {
		t.Errorf("notes = %q", got.Notes)
	}
	if got.ShippingAddress == nil || got.ShippingAddress.Country != "US" {
		t.Errorf("shipping_address = %+v, want a new address in US", got.ShippingAddress)
	}
	if got.Totals.Shipping != (canonical.Money{Amount: 4200, Currency: "EUR"}) {
		t.Errorf("totals.shipping = %+v", got.Totals.Shipping)
	}
	if got.Fulfilment.Method != canonical.FulfilPickup {
		t.Errorf("fulfilment.method = %q", got.Fulfilment.Method)
	}
	if got.Payment != nil || got.Customer.Phone != "" || got.Customer.Email != "a@example.com" {
		t.Errorf("payment = %+v, customer = %+v: want payment and phone dropped, email kept", got.Payment, got.Customer)
	}
}

func TestMap_SetsAKeyOfAStringMap(t *testing.T) {
	c := compile(t, `name: p
from: {topic: product.in}
steps:
  - map:
      set: {attributes.origin: '"FR"'}
      drop: [attributes.internal]
to: [{topic: product.mapped}]
`, nil)
	b, _ := json.Marshal(canonical.Product{ID: "p1", Attributes: map[string]string{"internal": "x", "material": "wool"}})
	outs, err := c.Process(base(), canonical.Record{Kind: canonical.KindProduct, IdempotencyKey: "k", Payload: b}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var p canonical.Product
	_ = json.Unmarshal(outs[0].Record.Payload, &p)
	if want := map[string]string{"origin": "FR", "material": "wool"}; !reflect.DeepEqual(p.Attributes, want) {
		t.Errorf("attributes = %v, want %v", p.Attributes, want)
	}
}

func TestDedupe_DropsAKeySeenWithinTheWindowOnly(t *testing.T) {
	c := compile(t, `name: p
from: {topic: order.in}
steps:
  - dedupe: {window: 1h}
to: [{topic: order.once}]
`, nil)
	sc := base()
	run := func(key string, at time.Time) int {
		sc.Now = at
		outs, err := c.Process(sc, order(key, canonical.Order{ID: key}), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return len(outs)
	}
	t0 := sc.Now
	steps := []struct {
		key  string
		at   time.Time
		want int
	}{
		{"a", t0, 1},
		{"a", t0.Add(59 * time.Minute), 0}, // a second delivery
		{"b", t0.Add(59 * time.Minute), 1}, // another record
		{"a", t0.Add(61 * time.Minute), 1}, // the window has passed
	}
	for i, s := range steps {
		if got := run(s.key, s.at); got != s.want {
			t.Errorf("delivery %d of %s: %d outputs, want %d", i, s.key, got, s.want)
		}
	}
}

func TestDedupe_CustomKeyAndEmptyKeyIsPermanent(t *testing.T) {
	c := compile(t, `name: p
from: {topic: order.in}
steps:
  - dedupe: {key: 'order.channel + "/" + order.external_id'}
to: [{topic: order.once}]
`, nil)
	sc := base()
	o := canonical.Order{Channel: "shopify-us", ExternalID: "1"}
	if outs, _ := c.Process(sc, order("k1", o), nil, nil); len(outs) != 1 {
		t.Fatal("first delivery dropped")
	}
	if outs, _ := c.Process(sc, order("k2", o), nil, nil); len(outs) != 0 {
		t.Error("same order under another idempotency key passed: the custom key is ignored")
	}
	c2 := compile(t, "name: q\nfrom: {topic: order.in}\nsteps:\n  - dedupe: {}\n", nil)
	_, err := c2.Process(sc, order("", o), nil, nil)
	var se *pipelines.StepError
	if !errors.As(err, &se) || se.Step != "dedupe" || !pipelines.IsPermanent(err) {
		t.Errorf("got %v, want a permanent error of step dedupe", err)
	}
}

func TestProcess_EvaluationErrorNamesPipelineAndStepAndIsPermanent(t *testing.T) {
	c := compile(t, `name: p
from: {topic: order.in}
steps:
  - name: ratio
    filter: 100 / order.totals.total.amount > 1
`, nil)
	_, err := c.Process(base(), order("k", canonical.Order{}), nil, nil)
	var se *pipelines.StepError
	if !errors.As(err, &se) || se.Pipeline != "p" || se.Step != "ratio" {
		t.Fatalf("got %v, want a StepError of pipeline p, step ratio", err)
	}
	if !pipelines.IsPermanent(err) || !strings.Contains(err.Error(), "division by zero") {
		t.Errorf("got %v, want a permanent division by zero", err)
	}
}

func TestProcess_FromAConnectorTakesOnlyItsRecords(t *testing.T) {
	c := compile(t, "name: p\nfrom: {connector: shopify-us, stream: orders}\nto: [{topic: order.accepted}]\n", nil)
	if c.Topic != "order.in" || c.Kind != canonical.KindOrder {
		t.Fatalf("topic %s, kind %s; want order.in, order", c.Topic, c.Kind)
	}
	rec := order("k", canonical.Order{})
	if outs, _ := c.Process(base(), rec, nil, nil); len(outs) != 1 {
		t.Error("a record of shopify-us was not taken")
	}
	rec.Source = "erp"
	if outs, _ := c.Process(base(), rec, nil, nil); len(outs) != 0 {
		t.Error("a record of erp was taken")
	}
}

// explodeStep is a hub-side step: it turns an order into one allocation per
// line through a Router service, as routing will.
type explodeStep struct {
	Location string `yaml:"location" required:"true"`
}

func (s *explodeStep) OutputKind(canonical.Kind) canonical.Kind { return canonical.KindAllocation }

func (s *explodeStep) Process(sc *pipelines.StepContext, rec *pipelines.Record) ([]*pipelines.Record, error) {
	p, err := rec.Payload()
	if err != nil {
		return nil, err
	}
	allocs, err := sc.Services.Router.Route(sc, p.(*canonical.Order))
	if err != nil {
		return nil, err
	}
	var out []*pipelines.Record
	for i := range allocs {
		a := allocs[i]
		a.LocationID = s.Location
		r, _ := rec.Clone()
		r.SetPayload(canonical.KindAllocation, &a)
		out = append(out, r)
	}
	return out, nil
}

type lineRouter struct{}

func (lineRouter) Route(_ *pipelines.StepContext, o *canonical.Order) ([]canonical.Allocation, error) {
	var out []canonical.Allocation
	for _, l := range o.Lines {
		out = append(out, canonical.Allocation{OrderID: o.ID, Lines: []canonical.LineQuantity{{LineID: l.ID, Quantity: l.Quantity}}})
	}
	return out, nil
}

func TestRegistry_AHubStepPlugsInAndTheNextStepsSeeItsKind(t *testing.T) {
	reg := pipelines.NewStandardRegistry()
	reg.Register("explode", func() pipelines.Step { return new(explodeStep) })
	e := env()
	e.Registry = reg
	src := `name: p
from: {topic: order.in}
steps:
  - explode: {location: WH1}
  - filter: allocation.lines[0].quantity > 1
to: [{topic: allocation.routed}]
`
	c := compile(t, src, e)
	sc := base()
	sc.Services.Router = lineRouter{}
	outs, err := c.Process(sc, order("k", canonical.Order{ID: "o1", Lines: []canonical.OrderLine{{ID: "l1", Quantity: 1}, {ID: "l2", Quantity: 3}}}), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 1 || outs[0].Record.Kind != canonical.KindAllocation {
		t.Fatalf("got %d outputs (%v), want the one allocation of 3 units", len(outs), outs)
	}
	var a canonical.Allocation
	_ = json.Unmarshal(outs[0].Record.Payload, &a)
	if a.LocationID != "WH1" || a.Lines[0].LineID != "l2" {
		t.Errorf("allocation = %+v", a)
	}
	// The step's own config is strict too.
	bad := strings.Replace(src, "{location: WH1}", "{locaton: WH1}", 1)
	p, _ := pipelines.Parse("p.yaml", []byte(bad), e)
	_, errs := pipelines.Compile([]*pipelines.Pipeline{p}, e)
	want := []string{
		`p.yaml:4:15: steps[0].explode: unknown field "locaton" (did you mean "location"?)`,
		`p.yaml:4:14: steps[0].explode: missing required field "location"`,
	}
	if !reflect.DeepEqual(errs.Strings(), want) {
		t.Errorf("got\n%s\nwant\n%s", errs, strings.Join(want, "\n"))
	}
	// After it, the records are allocations: an order filter no longer type-checks.
	stale := strings.Replace(src, "allocation.lines[0].quantity > 1", "order.id != \"\"", 1)
	p, _ = pipelines.Parse("p.yaml", []byte(stale), e)
	_, errs = pipelines.Compile([]*pipelines.Pipeline{p}, e)
	if got := errs.Error(); got != "p.yaml:5:13: steps[1].filter: CEL: undeclared reference to 'order'" {
		t.Errorf("got %q", got)
	}
}

func TestRegistry_RegisteringAKindTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	reg := pipelines.NewStandardRegistry()
	reg.Register("filter", func() pipelines.Step { return new(pipelines.FilterStep) })
}

func TestLoad_PipelinesAreCheckedTogether(t *testing.T) {
	e := &pipelines.Env{Connectors: []string{"erp"}}
	a, _ := pipelines.Parse("a.yaml", []byte("name: a\nfrom: {topic: order.in}\nto: [{topic: order.enriched}]\n"), e)
	b, _ := pipelines.Parse("b.yaml", []byte("name: b\nfrom: {topic: order.enriched}\nto: [{connector: erp, action: write_record}]\n"), e)
	dup, _ := pipelines.Parse("c.yaml", []byte("name: a\nfrom: {topic: order.enriched, kind: order}\n"), e)
	set, errs := pipelines.Compile([]*pipelines.Pipeline{a, b}, e)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `b.yaml:2:7: from: cannot tell the kind`) {
		t.Errorf("got %v, want only b's missing kind", errs)
	}
	_ = set
	b2, _ := pipelines.Parse("b.yaml", []byte("name: b\nfrom: {topic: order.enriched, kind: order}\nto: [{connector: erp, action: write_record}]\n"), e)
	set, errs = pipelines.Compile([]*pipelines.Pipeline{a, b2}, e)
	if len(errs) != 0 || len(set.Pipelines) != 2 {
		t.Fatalf("got %v", errs)
	}
	if got := set.Topics(); !reflect.DeepEqual(got, []string{"erp.out", "order.enriched"}) {
		t.Errorf("topics = %v", got)
	}
	_, errs = pipelines.Compile([]*pipelines.Pipeline{a, b2, dup}, e)
	if len(errs) != 1 || errs[0].Error() != `c.yaml:1:7: pipeline "a" is already defined at a.yaml:1:7` {
		t.Errorf("got %v", errs)
	}
}
