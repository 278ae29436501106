package sandbox

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/graph-gophers/graphql-go/ast"
)

// Cost calculation follows shopify.dev "GraphQL Admin API rate limits" (cost
// calculation): a scalar or enum costs 0, an object 1, a connection 2 plus the
// number of objects requested (first/last) times the cost of each node, and a
// mutation 10. The requested cost is computed before execution from the
// arguments; the actual cost after execution from the nodes returned, and the
// difference is refunded to the bucket. A single query may not request more
// than 1000 points (MAX_COST_EXCEEDED).
//
// graphql-go keeps its query parser internal, so the sandbox parses the
// document a second time here with a small parser that understands what cost
// needs: operations, fields, aliases, arguments, variables, fragments.

const (
	mutationCost     = 10
	maxSingleCost    = 1000
	defaultPageFirst = 10
)

type selField struct {
	Name string
	Args map[string]any
	Sel  []*selField
}

type queryDoc struct {
	Mutation bool
	Fields   []*selField
}

// parseForCost parses the operation named op (or the only one) and inlines
// fragments. Variables are substituted into arguments.
func parseForCost(q, op string, vars map[string]any) (*queryDoc, error) {
	p := &qparser{src: q, vars: vars, frags: map[string][]*rawSel{}}
	p.next()
	type opDef struct {
		name     string
		mutation bool
		sel      []*rawSel
	}
	var ops []opDef
	for p.tok != "" {
		switch {
		case p.tok == "{":
			ops = append(ops, opDef{sel: p.selectionSet()})
		case p.tok == "query" || p.tok == "mutation" || p.tok == "subscription":
			kind := p.tok
			p.next()
			name := ""
			if isName(p.tok) {
				name = p.tok
				p.next()
			}
			if p.tok == "(" { // variable definitions
				p.skipBalanced("(", ")")
			}
			p.skipDirectives()
			ops = append(ops, opDef{name: name, mutation: kind == "mutation", sel: p.selectionSet()})
		case p.tok == "fragment":
			p.next()
			name := p.tok
			p.next() // on
			p.next() // type
			p.next()
			p.skipDirectives()
			p.frags[name] = p.selectionSet()
		default:
			return nil, fmt.Errorf("unexpected %q", p.tok)
		}
		if p.err != nil {
			return nil, p.err
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	var chosen *opDef
	for i := range ops {
		if op == "" || ops[i].name == op {
			chosen = &ops[i]
			break
		}
	}
	if chosen == nil {
		return nil, fmt.Errorf("no operation %q", op)
	}
	return &queryDoc{Mutation: chosen.mutation, Fields: p.resolve(chosen.sel, 0)}, nil
}

type rawSel struct {
	field  *selField
	spread string
	inline []*rawSel
	raw    []*rawSel
}

type qparser struct {
	src   string
	pos   int
	tok   string
	str   bool
	vars  map[string]any
	frags map[string][]*rawSel
	err   error
}

func isName(t string) bool {
	if t == "" {
		return false
	}
	c := t[0]
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func (p *qparser) next() {
	p.str = false
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' {
			p.pos++
			continue
		}
		if c == '#' {
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
			continue
		}
		break
	}
	if p.pos >= len(p.src) {
		p.tok = ""
		return
	}
	start := p.pos
	c := p.src[p.pos]
	switch {
	case strings.HasPrefix(p.src[p.pos:], "..."):
		p.pos += 3
	case c == '"':
		if strings.HasPrefix(p.src[p.pos:], `"""`) {
			end := strings.Index(p.src[p.pos+3:], `"""`)
			if end < 0 {
				p.err = fmt.Errorf("unterminated block string")
				p.pos = len(p.src)
			} else {
				p.tok = p.src[p.pos+3 : p.pos+3+end]
				p.pos += end + 6
			}
			p.str = true
			return
		}
		p.pos++
		var b strings.Builder
		for p.pos < len(p.src) && p.src[p.pos] != '"' {
			if p.src[p.pos] == '\\' && p.pos+1 < len(p.src) {
				p.pos++
			}
			b.WriteByte(p.src[p.pos])
			p.pos++
		}
		p.pos++
		p.tok = b.String()
		p.str = true
		return
	case isName(string(c)) || c == '$':
		p.pos++
		for p.pos < len(p.src) {
			d := p.src[p.pos]
			if d == '_' || (d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || (d >= '0' && d <= '9') {
				p.pos++
				continue
			}
			break
		}
	case c == '-' || (c >= '0' && c <= '9'):
		p.pos++
		for p.pos < len(p.src) && strings.IndexByte("0123456789.eE+-", p.src[p.pos]) >= 0 {
			p.pos++
		}
	default:
		p.pos++
	}
	p.tok = p.src[start:p.pos]
}

func (p *qparser) skipBalanced(open, close string) {
	depth := 0
	for p.tok != "" {
		if p.tok == open && !p.str {
			depth++
		}
		if p.tok == close && !p.str {
			depth--
			if depth == 0 {
				p.next()
				return
			}
		}
		p.next()
	}
	p.err = fmt.Errorf("unbalanced %s", open)
}

func (p *qparser) skipDirectives() {
	for p.tok == "@" {
		p.next()
		p.next()
		if p.tok == "(" {
			p.skipBalanced("(", ")")
		}
	}
}

func (p *qparser) selectionSet() []*rawSel {
	if p.tok != "{" {
		p.err = fmt.Errorf("expected {, got %q", p.tok)
		return nil
	}
	p.next()
	var out []*rawSel
	for p.tok != "}" && p.tok != "" && p.err == nil {
		if p.tok == "..." {
			p.next()
			if p.tok == "on" {
				p.next()
				p.next()
				p.skipDirectives()
				out = append(out, &rawSel{inline: p.selectionSet()})
				continue
			}
			if p.tok == "{" || p.tok == "@" {
				p.skipDirectives()
				out = append(out, &rawSel{inline: p.selectionSet()})
				continue
			}
			out = append(out, &rawSel{spread: p.tok})
			p.next()
			p.skipDirectives()
			continue
		}
		name := p.tok
		p.next()
		if p.tok == ":" { // alias
			p.next()
			name = p.tok
			p.next()
		}
		f := &selField{Name: name, Args: map[string]any{}}
		if p.tok == "(" {
			p.next()
			for p.tok != ")" && p.tok != "" && p.err == nil {
				arg := p.tok
				p.next()
				p.next() // :
				f.Args[arg] = p.value()
			}
			p.next()
		}
		p.skipDirectives()
		rs := &rawSel{field: f}
		if p.tok == "{" {
			rs.raw = p.selectionSet()
		}
		out = append(out, rs)
	}
	p.next()
	return out
}

func (p *qparser) value() any {
	switch {
	case p.str:
		v := p.tok
		p.next()
		return v
	case p.tok == "[":
		p.next()
		var list []any
		for p.tok != "]" && p.tok != "" && p.err == nil {
			list = append(list, p.value())
		}
		p.next()
		return list
	case p.tok == "{":
		p.next()
		obj := map[string]any{}
		for p.tok != "}" && p.tok != "" && p.err == nil {
			k := p.tok
			p.next()
			p.next()
			obj[k] = p.value()
		}
		p.next()
		return obj
	case strings.HasPrefix(p.tok, "$"):
		v := p.vars[p.tok[1:]]
		p.next()
		return v
	default:
		t := p.tok
		p.next()
		if n, err := strconv.ParseFloat(t, 64); err == nil {
			return n
		}
		return t
	}
}

// resolve inlines fragments into plain field trees.
func (p *qparser) resolve(raw []*rawSel, depth int) []*selField {
	if depth > 50 {
		return nil
	}
	var out []*selField
	for _, r := range raw {
		switch {
		case r.field != nil:
			r.field.Sel = p.resolve(r.raw, depth+1)
			out = append(out, r.field)
		case r.inline != nil:
			out = append(out, p.resolve(r.inline, depth+1)...)
		case r.spread != "":
			out = append(out, p.resolve(p.frags[r.spread], depth+1)...)
		}
	}
	return out
}

// coster computes requested and actual costs against the schema's types.
type coster struct{ schema *ast.Schema }

func unwrap(t ast.Type) ast.Type {
	for {
		switch x := t.(type) {
		case *ast.NonNull:
			t = x.OfType
		case *ast.List:
			t = x.OfType
		default:
			return t
		}
	}
}

func (c *coster) fieldType(parent string, name string) ast.Type {
	obj, ok := c.schema.Types[parent].(*ast.ObjectTypeDefinition)
	if !ok {
		return nil
	}
	for _, f := range obj.Fields {
		if f.Name == name {
			return unwrap(f.Type)
		}
	}
	return nil
}

func firstArg(args map[string]any) int {
	for _, k := range []string{"first", "last"} {
		switch v := args[k].(type) {
		case float64:
			return int(v)
		case int:
			return v
		case int32:
			return int(v)
		case json.Number:
			n, _ := v.Int64()
			return int(n)
		}
	}
	return defaultPageFirst
}

// requested returns the cost of a selection on a type, sized by the arguments.
// data, when given, is the executed result, and sizes connections by the nodes
// actually returned (the actual cost).
func (c *coster) cost(parent string, sel []*selField, data map[string]any, actual bool) int {
	if actual && data == nil {
		return 0 // nothing was returned below this point
	}
	total := 0
	seen := map[string]bool{}
	for _, f := range sel {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		t := c.fieldType(parent, f.Name)
		obj, isObj := t.(*ast.ObjectTypeDefinition)
		if !isObj {
			continue // scalar or enum: 0
		}
		if seen[f.Name] {
			continue
		}
		seen[f.Name] = true
		var sub map[string]any
		if data != nil {
			sub, _ = data[f.Name].(map[string]any)
		}
		if strings.HasSuffix(obj.Name, "Connection") {
			total += c.connection(obj.Name, f, sub, actual)
			continue
		}
		if actual && data[f.Name] == nil {
			continue // null object costs nothing
		}
		var child map[string]any
		if list, ok := data[f.Name].([]any); ok {
			if len(list) == 0 && actual {
				continue // an empty list returned no objects
			}
			if len(list) > 0 {
				child, _ = list[0].(map[string]any)
			}
		} else {
			child = sub
		}
		total += 1 + c.cost(obj.Name, f.Sel, child, actual)
	}
	return total
}

func (c *coster) connection(typeName string, f *selField, data map[string]any, actual bool) int {
	n := firstArg(f.Args)
	nodeType := ""
	var nodeSel []*selField
	for _, s := range f.Sel {
		switch s.Name {
		case "nodes":
			nodeType = unwrap(c.fieldType(typeName, "nodes")).(ast.NamedType).TypeName()
			nodeSel = append(nodeSel, s.Sel...)
		case "edges":
			edgeType := unwrap(c.fieldType(typeName, "edges")).(ast.NamedType).TypeName()
			for _, e := range s.Sel {
				if e.Name == "node" {
					nodeType = unwrap(c.fieldType(edgeType, "node")).(ast.NamedType).TypeName()
					nodeSel = append(nodeSel, e.Sel...)
				}
			}
		}
	}
	per := 1
	var sample map[string]any
	if actual && data != nil {
		n = 0
		if nodes, ok := data["nodes"].([]any); ok {
			n = len(nodes)
			if n > 0 {
				sample, _ = nodes[0].(map[string]any)
			}
		} else if edges, ok := data["edges"].([]any); ok {
			n = len(edges)
			if n > 0 {
				if e, ok := edges[0].(map[string]any); ok {
					sample, _ = e["node"].(map[string]any)
				}
			}
		}
	}
	if nodeType != "" {
		if actual {
			per = 1 + c.cost(nodeType, nodeSel, sample, true)
		} else {
			per = 1 + c.cost(nodeType, nodeSel, nil, false)
		}
	}
	return 2 + n*per
}

// queryCost returns the requested cost of a document.
func (c *coster) requested(doc *queryDoc) int {
	if doc.Mutation {
		return mutationCost * len(doc.Fields)
	}
	return c.cost("QueryRoot", doc.Fields, nil, false)
}

// actualCost sizes the document by the data returned.
func (c *coster) actual(doc *queryDoc, data json.RawMessage) int {
	if doc.Mutation {
		return mutationCost * len(doc.Fields)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return c.requested(doc)
	}
	return c.cost("QueryRoot", doc.Fields, m, true)
}

// Plan is a Shopify plan's GraphQL Admin API budget.
type Plan struct {
	// Name is the plan's name, e.g. "Standard".
	Name string `json:"name"`
	// MaximumAvailable is the bucket size in cost points.
	MaximumAvailable float64 `json:"maximum_available"`
	// RestoreRate is the points restored per second.
	RestoreRate float64 `json:"restore_rate"`
}

// The plans' restore rates are shopify.dev's published figures (Standard 100,
// Advanced 200, Plus 1000 points/second). The bucket sizes are not published
// in the reference we have; they are set to 20 seconds of restore, the ratio
// of the long-documented 1000-point bucket at 50 points/second.
var (
	PlanStandard = Plan{Name: "Standard", MaximumAvailable: 2000, RestoreRate: 100}
	PlanAdvanced = Plan{Name: "Advanced", MaximumAvailable: 4000, RestoreRate: 200}
	PlanPlus     = Plan{Name: "Plus", MaximumAvailable: 20000, RestoreRate: 1000}
)

// PlanByName returns a plan by its case-insensitive name.
func PlanByName(name string) (Plan, bool) {
	switch strings.ToLower(name) {
	case "", "standard", "basic":
		return PlanStandard, true
	case "advanced":
		return PlanAdvanced, true
	case "plus", "shopify plus":
		return PlanPlus, true
	}
	return Plan{}, false
}

// bucket is the leaky bucket of one app on one shop.
type bucket struct {
	mu        sync.Mutex
	plan      Plan
	available float64
	at        time.Time
	now       func() time.Time
}

func newBucket(p Plan, now func() time.Time) *bucket {
	return &bucket{plan: p, available: p.MaximumAvailable, at: now(), now: now}
}

func (b *bucket) refill() {
	t := b.now()
	b.available = math.Min(b.plan.MaximumAvailable, b.available+t.Sub(b.at).Seconds()*b.plan.RestoreRate)
	b.at = t
}

// take reserves cost points; it reports false (throttled) when the bucket does
// not hold them.
func (b *bucket) take(cost int) (ok bool, status throttleStatus) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	if float64(cost) > b.available {
		return false, b.status()
	}
	b.available -= float64(cost)
	return true, b.status()
}

// refund returns unused points after execution.
func (b *bucket) refund(n int) throttleStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	if n > 0 {
		b.available = math.Min(b.plan.MaximumAvailable, b.available+float64(n))
	}
	return b.status()
}

// drain empties the bucket (fault injection: a throttled burst).
func (b *bucket) drain() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	b.available = 0
}

func (b *bucket) status() throttleStatus {
	return throttleStatus{
		MaximumAvailable:   b.plan.MaximumAvailable,
		CurrentlyAvailable: math.Floor(b.available),
		RestoreRate:        b.plan.RestoreRate,
	}
}

type throttleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}
