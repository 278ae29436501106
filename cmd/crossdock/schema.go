package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/crossdockhq/crossdock/canonical"
)

func init() { addCommand(newSchemaCmd) }

// recordSchemaName is the name `crossdock schema` gives the envelope's schema.
const recordSchemaName = "record"

func newSchemaCmd(_ *globals) *cobra.Command {
	var names bool
	cmd := &cobra.Command{
		Use:   "schema [KIND]",
		Short: "Print the JSON Schema of a canonical record kind",
		Long: `Print the JSON Schema (draft 2020-12) of one kind of canonical record, so that a
connector written in any language can check the JSON it emits before Crossdock
refuses it.

Every record on the bus and across the connector protocol is an envelope
("record") whose payload is one of the kinds below. The schemas are generated from
Crossdock's Go types and are strict: a property the schema does not name is an
error, amounts are integer minor units with an ISO 4217 currency, times are
RFC 3339. The envelope's schema refers to each kind's schema by file name
(order.json, ...), so save them side by side to validate whole records.

The schemas check shape. Crossdock's own validation checks more (for example that
every amount of an order is in one currency, and that no field holds a payment
card number), and reports every problem with its JSON path.

Without KIND, list the kinds.`,
		Example: `  # List the record kinds
  crossdock schema

  # Print the schema of an order payload
  crossdock schema order

  # Save every schema for a connector written in another language
  for k in $(crossdock schema --names); do crossdock schema "$k" > "schemas/$k.json"; done

  # Check a payload with any JSON Schema tool, e.g. check-jsonschema
  crossdock schema product > product.schema.json
  check-jsonschema --schemafile product.schema.json my-product.json`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: schemaCompleteKinds,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				if names {
					for _, n := range schemaNames() {
						fmt.Fprintln(cmd.OutOrStdout(), n)
					}
					return nil
				}
				return schemaListKinds(cmd)
			}
			b, err := schemaFor(args[0])
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	cmd.Flags().BoolVar(&names, "names", false, "with no KIND, print only the names, one a line (for scripts)")
	return cmd
}

// schemaNames lists every name `crossdock schema` accepts: the kinds, then record.
func schemaNames() []string {
	names := make([]string, 0, len(canonical.Kinds)+1)
	for _, k := range canonical.Kinds {
		names = append(names, string(k))
	}
	return append(names, recordSchemaName)
}

func schemaFor(name string) ([]byte, error) {
	if name == recordSchemaName {
		return canonical.RecordSchema(), nil
	}
	kind := canonical.Kind(name)
	if !kind.Valid() {
		return nil, fmt.Errorf("unknown kind %q: known kinds are %s (see 'crossdock schema')",
			name, strings.Join(schemaNames(), ", "))
	}
	b, err := canonical.Schema(kind)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	return b, nil
}

// schemaListKinds prints each kind with the first sentence of its schema's description.
func schemaListKinds(cmd *cobra.Command) error {
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KIND\tDESCRIPTION")
	for _, n := range schemaNames() {
		b, err := schemaFor(n)
		if err != nil {
			return err
		}
		var doc struct {
			Description string `json:"description"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("schema %s: %w", n, err)
		}
		fmt.Fprintf(w, "%s\t%s\n", n, schemaFirstSentence(doc.Description))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), "\nPrint one with 'crossdock schema KIND'.")
	return nil
}

func schemaFirstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

func schemaCompleteKinds(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return schemaNames(), cobra.ShellCompDirectiveNoFileComp
}
