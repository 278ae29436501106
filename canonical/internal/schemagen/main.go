// Command schemagen writes the JSON Schemas (draft 2020-12) of the canonical
// model to canonical/schema: one per record kind, named <kind>.json, and
// record.json for the envelope. It runs from `go generate ./canonical/...`
// (or `make schema`) in the canonical directory, and reads the package's doc
// comments from -src so every property carries its description.
//
// The output is deterministic; a test in this package fails when the committed
// files differ from a fresh generation, so a change to a type without
// regenerating cannot land.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/crossdockhq/crossdock/canonical"
)

const canonicalImport = "github.com/crossdockhq/crossdock/canonical"

func main() {
	src := flag.String("src", ".", "directory of the canonical package (for doc comments); run from it")
	out := flag.String("out", "schema", "directory to write the schemas to")
	flag.Parse()
	if err := run(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}

func run(src, out string) error {
	files, err := generate(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", out, err)
	}
	old, err := filepath.Glob(filepath.Join(out, "*.json"))
	if err != nil {
		return err
	}
	for _, f := range old { // drop schemas of kinds that no longer exist
		if _, ok := files[strings.TrimSuffix(filepath.Base(f), ".json")]; !ok {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(out, name+".json"), data, 0o644); err != nil {
			return fmt.Errorf("write %s schema: %w", name, err)
		}
	}
	return nil
}

// generate returns every schema by name ("order", ..., "record"). src is the
// canonical package's directory; it must be the working directory too, because
// the comment reader keys packages by the directory relative to it.
func generate(src string) (map[string][]byte, error) {
	r, err := newReflector(src)
	if err != nil {
		return nil, err
	}
	files := make(map[string][]byte, len(canonical.Kinds)+1)
	for _, kind := range canonical.Kinds {
		payload, err := canonical.NewPayload(kind)
		if err != nil {
			return nil, err
		}
		s := reflectSchema(r, reflect.TypeOf(payload).Elem())
		s.ID = jsonschema.ID(canonical.SchemaBaseURL + string(kind) + ".json")
		s.Title = "Crossdock " + strings.ReplaceAll(string(kind), "_", " ")
		if files[string(kind)], err = encode(s); err != nil {
			return nil, err
		}
	}
	s := reflectSchema(r, reflect.TypeFor[canonical.Record]())
	s.ID = jsonschema.ID(canonical.SchemaBaseURL + "record.json")
	s.Title = "Crossdock record envelope"
	// The payload is checked against its kind's schema.
	for _, kind := range canonical.Kinds {
		kindProp := jsonschema.NewProperties()
		kindProp.Set("kind", &jsonschema.Schema{Const: string(kind)})
		payloadProp := jsonschema.NewProperties()
		payloadProp.Set("payload", &jsonschema.Schema{Ref: string(kind) + ".json"})
		s.AllOf = append(s.AllOf, &jsonschema.Schema{
			If:   &jsonschema.Schema{Properties: kindProp, Required: []string{"kind"}},
			Then: &jsonschema.Schema{Properties: payloadProp},
		})
	}
	if files["record"], err = encode(s); err != nil {
		return nil, err
	}
	return files, nil
}

// newReflector reads the package's doc comments once; the reflector keeps no
// other state, so one serves every type.
func newReflector(src string) (*jsonschema.Reflector, error) {
	r := &jsonschema.Reflector{
		ExpandedStruct: true,
		Mapper:         mapEnum,
	}
	if err := r.AddGoComments(canonicalImport, src); err != nil {
		return nil, fmt.Errorf("read doc comments in %s: %w", src, err)
	}
	return r, nil
}

func reflectSchema(r *jsonschema.Reflector, t reflect.Type) *jsonschema.Schema {
	s := r.ReflectFromType(t)
	refine(s, t.Name())
	for name, def := range s.Definitions {
		refine(def, name)
	}
	return s
}

// enums maps each enumerated type to its legal values.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[canonical.OrderStatus]():        strs(canonical.OrderStatuses),
	reflect.TypeFor[canonical.FulfilmentMethod]():   strs(canonical.FulfilmentMethods),
	reflect.TypeFor[canonical.TrackingStatus]():     strs(canonical.TrackingStatuses),
	reflect.TypeFor[canonical.ReturnStatus]():       strs(canonical.ReturnStatuses),
	reflect.TypeFor[canonical.SubscriptionStatus](): strs(canonical.SubscriptionStatuses),
	reflect.TypeFor[canonical.LocationType]():       strs(canonical.LocationTypes),
	reflect.TypeFor[canonical.Capability]():         strs(canonical.Capabilities),
	reflect.TypeFor[canonical.MovementReason]():     strs(canonical.MovementReasons),
	reflect.TypeFor[canonical.ProductStatus]():      strs(canonical.ProductStatuses),
	reflect.TypeFor[canonical.ListingStatus]():      strs(canonical.ListingStatuses),
	reflect.TypeFor[canonical.Kind]():               strs(canonical.Kinds),
}

func strs[T ~string](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

func anys(values []string) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}

func mapEnum(t reflect.Type) *jsonschema.Schema {
	values, ok := enums[t]
	if !ok {
		return nil
	}
	return &jsonschema.Schema{Type: "string", Enum: anys(values)}
}

// refine adds to a type's schema the shape rules Go's types cannot say; each
// mirrors a check of Validate.
func refine(s *jsonschema.Schema, typeName string) {
	prop := func(name string) *jsonschema.Schema {
		if s.Properties == nil {
			return nil
		}
		p, _ := s.Properties.Get(name)
		return p
	}
	one := json.Number("1")
	switch typeName {
	case "Money":
		if p := prop("currency"); p != nil {
			p.Enum = anys(canonical.Currencies())
		}
	case "Address":
		if p := prop("country"); p != nil {
			p.Pattern = "^[A-Z]{2}$"
		}
		if p := prop("email"); p != nil {
			p.Pattern = `^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;.]+$`
		}
	case "GeoPoint":
		if p := prop("lat"); p != nil {
			p.Minimum, p.Maximum = "-90", "90"
		}
		if p := prop("lng"); p != nil {
			p.Minimum, p.Maximum = "-180", "180"
		}
	case "OrderLine", "LineQuantity", "ReturnLine":
		if p := prop("quantity"); p != nil {
			p.Minimum = one
		}
	case "Subscription":
		if p := prop("interval_days"); p != nil {
			p.Minimum = one
		}
	case "Allocation":
		if p := prop("status"); p != nil {
			p.Enum = anys(canonical.AllocationStatuses)
		}
	case "Label":
		if p := prop("format"); p != nil {
			p.Enum = anys(canonical.LabelFormats)
		}
	case "Payment":
		if p := prop("last4"); p != nil {
			p.Pattern = "^[0-9]{4}$"
		}
	}
	switch typeName { // validation requires at least one line or variant
	case "Order", "Return", "Subscription", "Allocation":
		if p := prop("lines"); p != nil && p.Type == "array" {
			p.MinItems = ptr(uint64(1))
		}
	case "Product":
		if p := prop("variants"); p != nil && p.Type == "array" {
			p.MinItems = ptr(uint64(1))
		}
	}
}

func ptr[T any](v T) *T { return &v }

// encode renders a schema as indented JSON with sorted definitions and a
// final newline, so regenerating gives byte-identical files.
func encode(s *jsonschema.Schema) ([]byte, error) {
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encode schema %s: %w", s.ID, err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	// encoding/json escapes <, > and & for HTML; a schema is not HTML.
	out := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(buf.String())
	return []byte(out), nil
}

// names lists the generated schema names in a stable order.
func names(files map[string][]byte) []string {
	out := make([]string, 0, len(files))
	for n := range files {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
