package pipelines

import (
	"fmt"
	"reflect"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"gopkg.in/yaml.v3"

	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

// Assignment is one `name: expression` pair of an ordered mapping.
type Assignment struct {
	// Name is the key: a field path for map's set, an attribute for log's fields.
	Name string
	// NamePos is where the key is written.
	NamePos yamlconf.Pos
	// Expr is the value.
	Expr Expr
}

// Assignments is an ordered mapping of names to CEL expressions.
type Assignments []Assignment

// DecodeYAML reads a mapping in file order.
func (a *Assignments) DecodeYAML(d *yamlconf.Decoder, n *yaml.Node) {
	if yamlconf.IsNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "expected a mapping of names to CEL expressions")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			d.Errorf(k, "expected a name")
			continue
		}
		if seen[k.Value] {
			d.Errorf(k, "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = true
		var e Expr
		e.DecodeYAML(d, v)
		*a = append(*a, Assignment{Name: k.Value, NamePos: d.Pos(k), Expr: e})
	}
}

// Path is a dotted field path into a payload, by JSON names
// (shipping_address.country), with where it is written.
type Path struct {
	Path string
	Pos  yamlconf.Pos
}

// DecodeYAML reads a path from a scalar.
func (p *Path) DecodeYAML(d *yamlconf.Decoder, n *yaml.Node) {
	if n.Kind != yaml.ScalarNode || n.Value == "" {
		d.Errorf(n, "expected a field path such as shipping_address.phone")
		return
	}
	p.Path, p.Pos = n.Value, d.Pos(n)
}

// MapStep sets payload fields from CEL expressions and drops fields:
//
//   - map:
//     set:
//     notes: '"via " + record.source'
//     tags: order.tags + ["imported"]
//     drop: [payment, customer.phone]
//
// Every expression sees the record as it entered the step; the assignments are
// then made in order, then the drops. A path names fields by their JSON names;
// its last part may be a key of a string map (attributes.material). Each path and
// each expression's type is checked against the payload at load time.
type MapStep struct {
	// Set assigns fields from expressions.
	Set Assignments `yaml:"set"`
	// Drop resets fields to their zero value (absent in JSON).
	Drop []Path `yaml:"drop"`

	Pos yamlconf.Positions `yaml:"-"`

	sets  []compiledSet
	drops [][]pathPart
}

type pathPart struct {
	index  []int  // struct field index, when a field
	mapKey string // when a key of a map
	isKey  bool
}

type compiledSet struct {
	path []pathPart
	prg  *Program
	name string
}

var (
	_ Step        = (*MapStep)(nil)
	_ Provisioner = (*MapStep)(nil)
	_ Validator   = (*MapStep)(nil)
)

// Validate requires something to do.
func (m *MapStep) Validate() error {
	if len(m.Set) == 0 && len(m.Drop) == 0 {
		return &yamlconf.Error{Pos: m.Pos.Of(""), Msg: "set or drop at least one field"}
	}
	return nil
}

// Provision checks every path and compiles every expression against it.
func (m *MapStep) Provision(pc *ProvisionContext) error {
	var errs yamlconf.Errors
	ki, ok := LookupKind(pc.Kind)
	if !ok {
		return pc.Errorf(yamlconf.Pos{}, "unknown record kind %q", pc.Kind)
	}
	for _, a := range m.Set {
		parts, fieldType, err := m.resolve(pc, ki, a.Name, a.NamePos)
		if err != nil {
			errs.Append(a.NamePos, err)
			continue
		}
		prg, err := pc.Compile(a.Expr, nil)
		if err != nil {
			errs.Append(a.Expr.Pos, err)
			continue
		}
		if out := prg.OutputType(); out != types.DynType && !fieldType.IsAssignableType(out) {
			errs.Add(a.Expr.Pos, "%s is %s, the expression gives %s", a.Name, fieldType, out)
			continue
		}
		m.sets = append(m.sets, compiledSet{path: parts, prg: prg, name: a.Name})
	}
	for _, d := range m.Drop {
		parts, _, err := m.resolve(pc, ki, d.Path, d.Pos)
		if err != nil {
			errs.Append(d.Pos, err)
			continue
		}
		m.drops = append(m.drops, parts)
	}
	return errs.Err()
}

// resolve checks a path against the payload's Go type and its CEL type.
func (m *MapStep) resolve(pc *ProvisionContext, ki KindInfo, path string, pos yamlconf.Pos) ([]pathPart, *cel.Type, error) {
	names := strings.Split(path, ".")
	t := ki.Type
	var parts []pathPart
	for i, name := range names {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case t.Kind() == reflect.Struct:
			f, ok := jsonField(t, name)
			if !ok {
				return nil, nil, &yamlconf.Error{Pos: pos, Msg: fmt.Sprintf("%s has no field %q%s", describePath(ki, names[:i]), name, yamlconf.Suggest(name, jsonNames(t)))}
			}
			parts = append(parts, pathPart{index: f.Index})
			t = f.Type
		case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && i == len(names)-1:
			parts = append(parts, pathPart{mapKey: name, isKey: true})
			t = t.Elem()
		default:
			return nil, nil, &yamlconf.Error{Pos: pos, Msg: fmt.Sprintf("%s is not an object, cannot set %q in it", describePath(ki, names[:i]), name)}
		}
	}
	// The field's CEL type, as the environment sees it.
	probe, err := pc.Compile(Expr{Source: ki.Var + "." + path, Pos: pos}, nil)
	if err != nil {
		return nil, nil, &yamlconf.Error{Pos: pos, Msg: fmt.Sprintf("cannot address %s.%s", ki.Var, path)}
	}
	return parts, probe.OutputType(), nil
}

func describePath(ki KindInfo, names []string) string {
	if len(names) == 0 {
		return ki.Var
	}
	return ki.Var + "." + strings.Join(names, ".")
}

func jsonField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		if tag == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func jsonNames(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	return out
}

// Process evaluates every assignment, then applies them and the drops.
func (m *MapStep) Process(sc *StepContext, rec *Record) ([]*Record, error) {
	payload, err := rec.Payload()
	if err != nil {
		return nil, Permanent(err)
	}
	vals := make([]ref.Val, len(m.sets))
	for i, s := range m.sets {
		v, err := s.prg.Eval(sc, rec)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	root := reflect.ValueOf(payload).Elem()
	for i, s := range m.sets {
		if err := assignPath(root, s.path, vals[i]); err != nil {
			return nil, Permanent(fmt.Errorf("map: set %s: %w", s.name, err))
		}
	}
	for _, d := range m.drops {
		dropPath(root, d)
	}
	rec.Touch()
	return []*Record{rec}, nil
}

// walk follows path up to its last part, allocating nil pointers and maps on
// the way when create is set; it returns the container of the last part.
func walk(v reflect.Value, path []pathPart, create bool) (reflect.Value, bool) {
	for _, p := range path[:len(path)-1] {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !create {
					return reflect.Value{}, false
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.FieldByIndex(p.index)
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			if !create {
				return reflect.Value{}, false
			}
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	return v, true
}

func assignPath(root reflect.Value, path []pathPart, val ref.Val) error {
	parent, _ := walk(root, path, true)
	last := path[len(path)-1]
	if last.isKey {
		if parent.IsNil() {
			parent.Set(reflect.MakeMap(parent.Type()))
		}
		elem := reflect.New(parent.Type().Elem()).Elem()
		if err := convertInto(elem, val); err != nil {
			return err
		}
		parent.SetMapIndex(reflect.ValueOf(last.mapKey).Convert(parent.Type().Key()), elem)
		return nil
	}
	return convertInto(parent.FieldByIndex(last.index), val)
}

func dropPath(root reflect.Value, path []pathPart) {
	parent, ok := walk(root, path, false)
	if !ok {
		return
	}
	last := path[len(path)-1]
	if last.isKey {
		if !parent.IsNil() {
			parent.SetMapIndex(reflect.ValueOf(last.mapKey).Convert(parent.Type().Key()), reflect.Value{})
		}
		return
	}
	f := parent.FieldByIndex(last.index)
	f.Set(reflect.Zero(f.Type()))
}

// convertInto stores a CEL value in a Go field, through named types
// (OrderStatus), pointers (*Money) and slices of named types.
func convertInto(dst reflect.Value, val ref.Val) error {
	if types.IsError(val) {
		return fmt.Errorf("%v", val)
	}
	if val == types.NullValue {
		dst.Set(reflect.Zero(dst.Type()))
		return nil
	}
	t := dst.Type()
	if x, err := val.ConvertToNative(t); err == nil {
		dst.Set(reflect.ValueOf(x))
		return nil
	}
	if t.Kind() == reflect.Pointer {
		elem := reflect.New(t.Elem())
		if err := convertInto(elem.Elem(), val); err != nil {
			return err
		}
		dst.Set(elem)
		return nil
	}
	if base := basicType(t); base != nil {
		x, err := val.ConvertToNative(base)
		if err != nil {
			return err
		}
		dst.Set(reflect.ValueOf(x).Convert(t))
		return nil
	}
	if t.Kind() == reflect.Slice {
		if base := basicType(t.Elem()); base != nil {
			x, err := val.ConvertToNative(reflect.SliceOf(base))
			if err != nil {
				return err
			}
			src := reflect.ValueOf(x)
			out := reflect.MakeSlice(t, src.Len(), src.Len())
			for i := 0; i < src.Len(); i++ {
				out.Index(i).Set(src.Index(i).Convert(t.Elem()))
			}
			dst.Set(out)
			return nil
		}
	}
	return fmt.Errorf("cannot store a %s in a %s field", val.Type(), t)
}

func basicType(t reflect.Type) reflect.Type {
	switch t.Kind() {
	case reflect.String:
		return reflect.TypeOf("")
	case reflect.Bool:
		return reflect.TypeOf(false)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return reflect.TypeOf(int64(0))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return reflect.TypeOf(uint64(0))
	case reflect.Float32, reflect.Float64:
		return reflect.TypeOf(float64(0))
	}
	return nil
}
