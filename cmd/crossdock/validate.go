package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/crossdockhq/crossdock/hub/config"
	"github.com/crossdockhq/crossdock/hub/engine"
	"github.com/crossdockhq/crossdock/pipelines"
	"github.com/crossdockhq/crossdock/pipelines/pipetest"
	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

func init() { addCommand(newValidateCmd) }

func newValidateCmd(g *globals) *cobra.Command {
	var hubPath string
	cmd := &cobra.Command{
		Use:   "validate [PATH...]",
		Short: "Check hub config, pipelines and pipeline tests without running anything",
		Long: `validate reads configuration files and reports every problem it finds, each as
file:line:col: message, then exits with status 1 if there was any.

A PATH is a hub config (a file with a hub: section; the pipelines it names are
checked with it), a pipeline file, a pipeline test file, or a directory, whose
.yaml and .yml files are all checked. Without PATH it checks configs/hub.yaml.

Pipelines are checked strictly: unknown keys, wrong types, missing fields,
unknown step kinds, references to connectors or topics that do not exist, and
CEL expressions that do not type-check against the canonical model. A pipeline
file given on its own is checked against the connectors of --config.`,
		Example: `  crossdock validate
  crossdock validate configs/hub.yaml
  crossdock validate --config configs/hub.yaml configs/pipelines/orders-intake.yaml
  crossdock validate configs/`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"configs/hub.yaml"}
			}
			n, errs := validatePaths(args, hubPath)
			out := cmd.OutOrStdout()
			if len(errs) > 0 {
				errs.Sort()
				for _, e := range errs {
					fmt.Fprintln(out, e.Error())
				}
				fmt.Fprintf(out, "%d problem(s) in %d file(s) checked\n", len(errs), n)
				return exitError{code: 1}
			}
			fmt.Fprintf(out, "ok: %d file(s) checked\n", n)
			return nil
		},
	}
	cmd.Flags().StringVar(&hubPath, "config", "configs/hub.yaml", "hub config whose connectors and topics lone pipeline files are checked against")
	return cmd
}

// fileKind tells a hub config, a pipeline test and a pipeline apart by their
// top-level keys.
func fileKind(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var top map[string]yaml.Node
	if err := yaml.Unmarshal(data, &top); err != nil {
		return "pipeline", nil // the pipeline loader reports the syntax error with its position
	}
	switch {
	case hasKey(top, "hub") || hasKey(top, "connectors"):
		return "hub", nil
	case hasKey(top, "tests"):
		return "test", nil
	case hasKey(top, "from") || hasKey(top, "steps") || hasKey(top, "to"):
		return "pipeline", nil
	}
	return "unknown", nil
}

func hasKey(m map[string]yaml.Node, k string) bool { _, ok := m[k]; return ok }

// expand turns the paths into files: directories are walked for YAML files.
// Files found in a directory that are none of Crossdock's (routing rules, say)
// are left out; a file named explicitly is always kept.
func expandConfigPaths(paths []string) ([]string, yamlconf.Errors) {
	var files []string
	var errs yamlconf.Errors
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			errs.Add(yamlconf.Pos{File: p}, "%v", unwrapPath(err))
			continue
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		_ = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				errs.Add(yamlconf.Pos{File: path}, "%v", unwrapPath(err))
				return nil
			}
			if d.IsDir() && path != p && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				if kind, err := fileKind(path); err != nil || kind != "unknown" {
					files = append(files, path)
				}
			}
			return nil
		})
	}
	sort.Strings(files)
	return files, errs
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// validatePaths checks every file and returns how many it checked and the problems.
func validatePaths(paths []string, hubPath string) (int, yamlconf.Errors) {
	files, errs := expandConfigPaths(paths)
	checked := map[string]bool{}
	var loosePipelines, tests []string
	var hubs []string
	for _, f := range files {
		kind, err := fileKind(f)
		if err != nil {
			errs.Add(yamlconf.Pos{File: f}, "%v", unwrapPath(err))
			continue
		}
		switch kind {
		case "hub":
			hubs = append(hubs, f)
		case "test":
			tests = append(tests, f)
		default:
			loosePipelines = append(loosePipelines, f)
		}
	}
	// Hub configs first: their pipelines are checked with them.
	for _, h := range hubs {
		checked[absPath(h)] = true
		loaded, err := engine.Load(h, engine.LoadOptions{Registry: newStepRegistry()})
		if err != nil {
			errs.Append(yamlconf.Pos{File: h}, err)
			// Still count the pipelines the config names, if it parsed.
			if cfg, _ := config.LoadPartial(h, config.Options{}); cfg != nil {
				for _, p := range cfg.PipelineFiles {
					checked[absPath(p)] = true
				}
			}
			continue
		}
		for _, p := range loaded.Config.PipelineFiles {
			checked[absPath(p)] = true
		}
		if _, err := decodeHubSections(loaded.Config); err != nil {
			// Each problem already names its file, line and column.
			for _, line := range strings.Split(err.Error(), "\n") {
				errs.Add(yamlconf.Pos{}, "%s", line)
			}
		}
	}
	var rest []string
	for _, p := range loosePipelines {
		if !checked[absPath(p)] {
			rest = append(rest, p)
		}
		checked[absPath(p)] = true
	}
	if len(rest) > 0 {
		env := &pipelines.Env{Registry: newStepRegistry()}
		if hubPath != "" {
			conns, topics, err := hubInfo(hubPath)
			if err != nil {
				errs.Add(yamlconf.Pos{File: hubPath}, "hub config for lone pipelines: %v", firstLineOf(err))
			}
			env.Connectors, env.Topics = conns, topics
		}
		if _, err := pipelines.LoadFiles(rest, env); err != nil {
			errs.Append(yamlconf.Pos{}, err)
		}
	}
	for _, t := range tests {
		checked[absPath(t)] = true
		if _, _, err := pipetest.Load(t, pipetest.Options{LoadHub: hubInfo, Registry: newStepRegistry()}); err != nil {
			errs.Append(yamlconf.Pos{File: t}, err)
		}
	}
	return len(checked), dedupeErrors(errs)
}

// dedupeErrors drops repeated problems: a pipeline named by a hub config and by
// a test is checked twice.
func dedupeErrors(errs yamlconf.Errors) yamlconf.Errors {
	seen := map[string]bool{}
	out := errs[:0]
	for _, e := range errs {
		if s := e.Error(); !seen[s] {
			seen[s] = true
			out = append(out, e)
		}
	}
	return out
}

func absPath(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}

func firstLineOf(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " (and more)"
	}
	return s
}

// hubInfo loads a hub config and its pipelines and returns its connector
// names and the topics its pipelines publish, for checking one pipeline alone.
func hubInfo(path string) (connectors, topics []string, err error) {
	loaded, err := engine.Load(path, engine.LoadOptions{Registry: newStepRegistry()})
	if err != nil {
		// The connectors are still known when only a pipeline is broken.
		if cfg, _ := config.LoadPartial(path, config.Options{}); cfg != nil {
			return cfg.ConnectorNames(), nil, nil
		}
		return nil, nil, err
	}
	return loaded.Config.ConnectorNames(), loaded.Pipelines.Topics(), nil
}

// printErrors writes each problem on its own line.
func printErrors(w io.Writer, err error) {
	var errs yamlconf.Errors
	if errors.As(err, &errs) {
		errs.Sort()
		for _, e := range errs {
			fmt.Fprintln(w, e.Error())
		}
		return
	}
	fmt.Fprintln(w, err)
}
