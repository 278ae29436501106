package file

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/crossdockhq/crossdock/canonical"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// Stream names.
const (
	StreamProducts  = "products"
	StreamInventory = "inventory"
	StreamOrders    = "orders"
)

// Config is the connector's configuration.
type Config struct {
	// Dir is the folder the feeds are read from.
	Dir string `json:"dir"`
	// BatchSize is the number of records (and rejects) per batch; default 100.
	BatchSize int `json:"batch_size,omitempty"`
	// Currency is the ISO 4217 currency of money columns when a row has no
	// currency column; default USD.
	Currency string `json:"currency,omitempty"`
	// Products, Inventory and Orders configure each stream; all optional.
	Products  StreamConfig `json:"products,omitempty"`
	Inventory StreamConfig `json:"inventory,omitempty"`
	Orders    StreamConfig `json:"orders,omitempty"`
	// ExportDir is where writes go; default Dir/export.
	ExportDir string `json:"export_dir,omitempty"`
	// ExportFormat is csv (default) or jsonl.
	ExportFormat string `json:"export_format,omitempty"`
}

// StreamConfig says which files feed a stream and how their columns map.
type StreamConfig struct {
	// Patterns are glob patterns inside Dir; default "<stream>*.csv" and
	// "<stream>*.jsonl". A .jsonl or .ndjson file is JSON Lines, anything else CSV.
	Patterns []string `json:"patterns,omitempty"`
	// Columns maps a canonical field (see the stream's field list) to the file's
	// column header or JSON key; an unmapped field is looked up by its own name.
	Columns map[string]string `json:"columns,omitempty"`
}

// column returns the header a canonical field is read from and written as.
func (s StreamConfig) column(field string) string {
	if h, ok := s.Columns[field]; ok && h != "" {
		return h
	}
	return field
}

func (c *Config) stream(name string) *StreamConfig {
	switch name {
	case StreamProducts:
		return &c.Products
	case StreamInventory:
		return &c.Inventory
	case StreamOrders:
		return &c.Orders
	}
	return &StreamConfig{} // an export-only stream: columns by their own names
}

// parseConfig decodes, defaults and validates a config, naming every bad field.
func parseConfig(raw json.RawMessage) (Config, error) {
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, &sdk.ConfigError{Fields: []sdk.FieldError{{Field: "", Message: fmt.Sprintf("decode config: %v", err)}}}
	}
	var errs []sdk.FieldError
	if c.Dir == "" {
		errs = append(errs, sdk.FieldError{Field: "dir", Message: "required: the folder to read feeds from"})
	}
	if c.BatchSize == 0 {
		c.BatchSize = 100
	}
	if c.BatchSize < 0 || c.BatchSize > 10000 {
		errs = append(errs, sdk.FieldError{Field: "batch_size", Message: "must be between 1 and 10000"})
	}
	if c.Currency == "" {
		c.Currency = "USD"
	}
	c.Currency = strings.ToUpper(c.Currency)
	if _, ok := canonical.CurrencyExponent(c.Currency); !ok {
		errs = append(errs, sdk.FieldError{Field: "currency", Message: fmt.Sprintf("unknown ISO 4217 currency %q", c.Currency)})
	}
	if c.ExportDir == "" && c.Dir != "" {
		c.ExportDir = filepath.Join(c.Dir, "export")
	}
	switch c.ExportFormat {
	case "":
		c.ExportFormat = "csv"
	case "csv", "jsonl":
	default:
		errs = append(errs, sdk.FieldError{Field: "export_format", Message: "must be csv or jsonl"})
	}
	for _, name := range []string{StreamProducts, StreamInventory, StreamOrders} {
		s := c.stream(name)
		if len(s.Patterns) == 0 {
			s.Patterns = []string{name + "*.csv", name + "*.jsonl"}
		}
		for i, p := range s.Patterns {
			if _, err := filepath.Match(p, ""); err != nil || strings.ContainsRune(p, os.PathSeparator) {
				errs = append(errs, sdk.FieldError{Field: fmt.Sprintf("%s.patterns[%d]", name, i), Message: "must be a glob pattern of file names inside dir"})
			}
		}
		known := fieldsOf(name)
		for f := range s.Columns {
			if !known[f] {
				errs = append(errs, sdk.FieldError{Field: name + ".columns." + f, Message: "not a canonical field of the " + name + " stream"})
			}
		}
	}
	if len(errs) > 0 {
		return c, &sdk.ConfigError{Fields: errs}
	}
	return c, nil
}

func fieldsOf(stream string) map[string]bool {
	var list []string
	switch stream {
	case StreamProducts:
		list = productFields
	case StreamInventory:
		list = inventoryFields
	case StreamOrders:
		list = orderFields
	}
	m := make(map[string]bool, len(list))
	for _, f := range list {
		m[f] = true
	}
	return m
}

// configSchema is the JSON Schema of Config.
const configSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "file connector config",
  "type": "object",
  "additionalProperties": false,
  "required": ["dir"],
  "properties": {
    "dir": {"type": "string", "minLength": 1, "description": "folder the feeds are read from"},
    "batch_size": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100},
    "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$", "default": "USD"},
    "products": {"$ref": "#/$defs/stream"},
    "inventory": {"$ref": "#/$defs/stream"},
    "orders": {"$ref": "#/$defs/stream"},
    "export_dir": {"type": "string"},
    "export_format": {"enum": ["csv", "jsonl"], "default": "csv"}
  },
  "$defs": {
    "stream": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "patterns": {"type": "array", "items": {"type": "string"}},
        "columns": {"type": "object", "additionalProperties": {"type": "string"}}
      }
    }
  }
}`
