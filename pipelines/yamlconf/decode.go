package yamlconf

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Unmarshaler is implemented by types that decode themselves from a node. They
// report problems with d.Errorf and must not stop at the first.
type Unmarshaler interface {
	DecodeYAML(d *Decoder, n *yaml.Node)
}

// Positions maps a struct's YAML keys to the positions of their values; the
// empty key holds the position of the mapping itself. A struct field of this type
// (with the tag `yaml:"-"`) is filled by the decoder.
type Positions map[string]Pos

// Of returns the position of key's value, or of the mapping when the key is absent.
func (p Positions) Of(key string) Pos {
	if pos, ok := p[key]; ok {
		return pos
	}
	return p[""]
}

// Decoder decodes YAML nodes into Go values strictly, collecting every problem.
type Decoder struct {
	// File names the file in positions.
	File string
	// Secrets, when set, redacts secret values quoted in messages.
	Secrets *Secrets
	// Source is the file's text, when known; it lets expressions written as
	// block scalars (| or >) report exact columns.
	Source []byte
	// Errs collects the problems found.
	Errs Errors
	// Path is where in the document the decoder is, e.g. [on_error retry];
	// messages are prefixed with it ("on_error.retry.max_attempts: ...").
	// Set it before Decode to name the root of a sub-document.
	Path []string
}

// NewDecoder returns a decoder for the nodes of file.
func NewDecoder(file string, secrets *Secrets) *Decoder {
	return &Decoder{File: file, Secrets: secrets}
}

// Pos returns the position of n in the decoder's file.
func (d *Decoder) Pos(n *yaml.Node) Pos { return NodePos(d.File, n) }

// Errorf records a problem at n, prefixed with the decoder's path.
func (d *Decoder) Errorf(n *yaml.Node, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if p := d.PathString(); p != "" {
		msg = p + ": " + msg
	}
	if d.Secrets != nil {
		msg = d.Secrets.Redact(msg)
	}
	d.Errs = append(d.Errs, &Error{Pos: d.Pos(n), Msg: msg})
}

// PathString is the decoder's path, dotted, with list indexes in brackets.
func (d *Decoder) PathString() string {
	var b strings.Builder
	for _, p := range d.Path {
		if b.Len() > 0 && !strings.HasPrefix(p, "[") {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

func (d *Decoder) push(p string) { d.Path = append(d.Path, p) }
func (d *Decoder) pop()          { d.Path = d.Path[:len(d.Path)-1] }

// Err returns the problems recorded so far, or nil.
func (d *Decoder) Err() error { return d.Errs.Err() }

// Parse parses data as one YAML document and returns its root node (nil for an
// empty document). A syntax error is returned with its position.
func Parse(file string, data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxError(file, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// syntaxError turns yaml.v3's "yaml: line N: msg" into a positioned error.
func syntaxError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if strings.HasPrefix(msg, "line ") {
		rest := msg[len("line "):]
		if i := strings.Index(rest, ":"); i > 0 {
			if n, convErr := strconv.Atoi(rest[:i]); convErr == nil {
				line = n
				msg = strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return Errors{{Pos: Pos{File: file, Line: line, Col: 1}, Msg: "invalid YAML: " + msg}}
}

// Decode decodes n into the value into points to, recording problems in d.
func (d *Decoder) Decode(n *yaml.Node, into any) {
	v := reflect.ValueOf(into)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		panic("yamlconf: Decode needs a non-nil pointer")
	}
	d.decode(n, v.Elem())
}

var (
	nodeType      = reflect.TypeOf(yaml.Node{})
	durationType  = reflect.TypeOf(time.Duration(0))
	positionsType = reflect.TypeOf(Positions(nil))
	unmarshalType = reflect.TypeOf((*Unmarshaler)(nil)).Elem()
	textUnmarshal = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return n.Content[0]
	}
	return n
}

// IsNull reports whether n is absent or an explicit null.
func IsNull(n *yaml.Node) bool {
	n = resolveAlias(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		}
		return "a string"
	}
	return "a value"
}

func (d *Decoder) quote(n *yaml.Node) string {
	s := n.Value
	if d.Secrets != nil && d.Secrets.Has(s) {
		return `"***"`
	}
	return strconv.Quote(s)
}

func (d *Decoder) decode(n *yaml.Node, v reflect.Value) {
	n = resolveAlias(n)
	if n == nil {
		return
	}
	if v.Type() == nodeType {
		v.Set(reflect.ValueOf(*n))
		return
	}
	if v.CanAddr() && v.Addr().Type().Implements(unmarshalType) {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v.Addr().Interface().(Unmarshaler).DecodeYAML(d, n)
		return
	}
	if v.Kind() == reflect.Pointer {
		if IsNull(n) {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem())
		return
	}
	if v.Type() == durationType {
		d.decodeDuration(n, v)
		return
	}
	if v.CanAddr() && v.Addr().Type().Implements(textUnmarshal) && v.Kind() != reflect.Struct {
		if !d.expectScalar(n, "a string") {
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.Errorf(n, "%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v)
	case reflect.Slice:
		d.decodeSlice(n, v)
	case reflect.Map:
		d.decodeMap(n, v)
	case reflect.String:
		if !d.expectScalar(n, "a string") {
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.Errorf(n, "expected a boolean (true or false), got %s", d.got(n))
			return
		}
		b, _ := strconv.ParseBool(strings.ToLower(n.Value))
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			d.Errorf(n, "expected an integer, got %s", d.got(n))
			return
		}
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if err != nil || v.OverflowInt(i) {
			d.Errorf(n, "integer %s out of range", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			d.Errorf(n, "expected a non-negative integer, got %s", d.got(n))
			return
		}
		u, err := strconv.ParseUint(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if err != nil || v.OverflowUint(u) {
			d.Errorf(n, "expected a non-negative integer, got %s", d.got(n))
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!float" && n.Tag != "!!int") {
			d.Errorf(n, "expected a number, got %s", d.got(n))
			return
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || math.IsInf(f, 0) {
			d.Errorf(n, "expected a number, got %s", d.got(n))
			return
		}
		v.SetFloat(f)
	case reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			d.Errorf(n, "%v", err)
			return
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		d.Errorf(n, "cannot decode into %s", v.Type())
	}
}

func (d *Decoder) got(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return describe(n) + " " + d.quote(n)
	}
	return describe(n)
}

func (d *Decoder) expectScalar(n *yaml.Node, want string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.Errorf(n, "expected %s, got %s", want, describe(n))
		return false
	}
	return true
}

func (d *Decoder) decodeDuration(n *yaml.Node, v reflect.Value) {
	if !d.expectScalar(n, "a duration such as 30s or 24h") {
		return
	}
	dur, err := ParseDuration(n.Value)
	if err != nil {
		d.Errorf(n, "expected a duration such as 30s or 24h, got %s", d.quote(n))
		return
	}
	v.SetInt(int64(dur))
}

// ParseDuration parses a Go duration ("90s", "1h30m") and also whole days ("7d").
func ParseDuration(s string) (time.Duration, error) {
	if strings.HasSuffix(s, "d") {
		days, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err == nil && days >= 0 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	return time.ParseDuration(s)
}

func (d *Decoder) decodeSlice(n *yaml.Node, v reflect.Value) {
	if IsNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.Errorf(n, "expected a list, got %s", d.got(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		d.push(fmt.Sprintf("[%d]", i))
		d.decode(c, out.Index(i))
		d.pop()
	}
	v.Set(out)
}

func (d *Decoder) decodeMap(n *yaml.Node, v reflect.Value) {
	if IsNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "expected a mapping, got %s", d.got(n))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.Errorf(n, "cannot decode into %s", v.Type())
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.Errorf(k, "expected a string key, got %s", describe(k))
			continue
		}
		if seen[k.Value] {
			d.Errorf(k, "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = true
		elem := reflect.New(v.Type().Elem()).Elem()
		d.push(k.Value)
		d.decode(val, elem)
		d.pop()
		v.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
	}
}

type fieldInfo struct {
	name     string
	index    int
	required bool
}

func structFields(t reflect.Type) (fields []fieldInfo, posIndex int) {
	posIndex = -1
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Type == positionsType {
			posIndex = i
			continue
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields = append(fields, fieldInfo{name: name, index: i, required: f.Tag.Get("required") == "true"})
	}
	return fields, posIndex
}

func (d *Decoder) decodeStruct(n *yaml.Node, v reflect.Value) {
	fields, posIndex := structFields(v.Type())
	var positions Positions
	if posIndex >= 0 {
		positions = Positions{"": d.Pos(n)}
		v.Field(posIndex).Set(reflect.ValueOf(positions))
	}
	if IsNull(n) {
		for _, f := range fields {
			if f.required {
				d.Errorf(n, "missing required field %q", f.name)
			}
		}
		return
	}
	if n.Kind != yaml.MappingNode {
		d.Errorf(n, "expected a mapping, got %s", d.got(n))
		return
	}
	byName := make(map[string]fieldInfo, len(fields))
	names := make([]string, 0, len(fields))
	for _, f := range fields {
		byName[f.name] = f
		names = append(names, f.name)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.Errorf(k, "expected a field name, got %s", describe(k))
			continue
		}
		f, ok := byName[k.Value]
		if !ok {
			d.Errorf(k, "unknown field %q%s", k.Value, suggest(k.Value, names))
			continue
		}
		if seen[k.Value] {
			d.Errorf(k, "duplicate field %q", k.Value)
			continue
		}
		seen[k.Value] = true
		if positions != nil {
			positions[k.Value] = d.Pos(resolveAlias(val))
		}
		if f.required && IsNull(val) {
			d.Errorf(val, "field %q must not be empty", f.name)
			continue
		}
		d.push(k.Value)
		d.decode(val, v.Field(f.index))
		d.pop()
	}
	for _, f := range fields {
		if f.required && !seen[f.name] {
			d.Errorf(n, "missing required field %q", f.name)
		}
	}
}

// suggest returns ` (did you mean "x"?)` for the closest of names within two
// edits of s, or "".
func suggest(s string, names []string) string {
	best, bestDist := "", 3
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	for _, name := range sorted {
		if dist := editDistance(s, name); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Suggest returns ` (did you mean "x"?)` for the closest of names within two
// edits of s, or "" when none is close. Callers use it for unknown names.
func Suggest(s string, names []string) string { return suggest(s, names) }
