package canonical

import (
	"embed"
	"fmt"
)

//go:generate go run ./internal/schemagen -src . -out schema

// schemaFS holds the JSON Schemas (draft 2020-12) generated from these types by
// internal/schemagen and committed in schema/; a test keeps them in step.
//
//go:embed schema
var schemaFS embed.FS

// SchemaBaseURL is the base of every schema's $id; a schema refers to another
// by its file name relative to it (record.json refers to order.json, ...).
const SchemaBaseURL = "https://github.com/crossdockhq/crossdock/canonical/schema/"

// Schema returns the JSON Schema (draft 2020-12) of a record kind's payload, so
// connector authors in any language can check what they emit. The schemas are
// strict (no unknown properties) and mirror the shape checks of Validate; the
// semantic checks (a known card number, consistent currencies) stay in Validate.
func Schema(kind Kind) ([]byte, error) {
	if !kind.Valid() {
		return nil, fmt.Errorf("no schema for kind %q (known: %s)", kind, joinEnum(Kinds))
	}
	return schemaFS.ReadFile("schema/" + string(kind) + ".json")
}

// RecordSchema returns the JSON Schema of the Record envelope. Its payload is
// checked against the kind's schema, which it refers to by file name.
func RecordSchema() []byte {
	b, err := schemaFS.ReadFile("schema/record.json")
	if err != nil {
		panic("canonical: record schema missing from the build: " + err.Error())
	}
	return b
}
