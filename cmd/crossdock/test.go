package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/crossdockhq/crossdock/pipelines/pipetest"
)

func init() { addCommand(newTestCmd) }

func newTestCmd(g *globals) *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "test [PATH...]",
		Short: "Run the pipeline unit tests written in YAML",
		Long: `test runs pipeline unit tests: YAML files that name a pipeline, feed it input
records and say what must come out: records on given topics or connector actions
(with the fields that must match), nothing (the records are dropped), or dead
letters at a given step. Connectors are mocked; each case starts with empty
dedupe memory. See docs/pipelines.md, "Testing pipelines".

A PATH is a test file or a directory of them (every .yaml/.yml file with a
tests: key). Without PATH it runs configs/tests. It exits with status 1 if a
test fails or a file cannot be loaded; problems are reported as file:line:col.`,
		Example: `  crossdock test
  crossdock test configs/tests/orders-intake.yaml
  crossdock test -v configs/tests`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"configs/tests"}
			}
			out := cmd.OutOrStdout()
			files, errs := expandConfigPaths(args)
			var testFiles []string
			for _, f := range files {
				if kind, err := fileKind(f); err == nil && kind == "test" {
					testFiles = append(testFiles, f)
				}
			}
			if len(errs) > 0 {
				printErrors(out, errs)
				return exitError{code: 1}
			}
			if len(testFiles) == 0 {
				fmt.Fprintln(out, "no test files found")
				return exitError{code: 1}
			}
			start := time.Now()
			passed, failed, broken := 0, 0, 0
			for _, f := range testFiles {
				results, err := pipetest.RunFile(cmd.Context(), f, pipetest.Options{LoadHub: hubInfo, Logger: g.logger(), Registry: newStepRegistry()})
				if err != nil {
					broken++
					fmt.Fprintf(out, "FAIL %s: cannot load\n", f)
					printErrors(out, err)
					continue
				}
				for _, r := range results {
					if r.Passed() {
						passed++
						if verbose {
							fmt.Fprintf(out, "PASS %s: %s (%s)\n", r.Pos, r.Name, r.Took.Round(time.Microsecond))
						}
						continue
					}
					failed++
					fmt.Fprintf(out, "FAIL %s: %s\n", r.Pos, r.Name)
					for _, f := range r.Failures {
						fmt.Fprintf(out, "    %s\n", f)
					}
				}
			}
			fmt.Fprintf(out, "%d passed, %d failed, %d file(s) not loaded, in %s\n", passed, failed, broken, time.Since(start).Round(time.Millisecond))
			if failed > 0 || broken > 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list passing tests too")
	return cmd
}
