package pipetest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/crossdockhq/crossdock/pipelines"
	"github.com/crossdockhq/crossdock/pipelines/pipetest"
	"github.com/crossdockhq/crossdock/pipelines/yamlconf"
)

// loadHub reads the connectors of a hub config and the topics of its
// pipelines; the real command does the same through hub/config.
func loadHub(path string) ([]string, []string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var f struct {
		Connectors []struct{ Name string }
		Pipelines  []string
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, nil, err
	}
	var conns, files []string
	for _, c := range f.Connectors {
		conns = append(conns, c.Name)
	}
	for _, g := range f.Pipelines {
		m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), g))
		files = append(files, m...)
	}
	set, err := pipelines.LoadFiles(files, &pipelines.Env{Connectors: conns})
	if err != nil {
		return nil, nil, err
	}
	return conns, set.Topics(), nil
}

func TestRun_TheShippedExamplesPass(t *testing.T) {
	files, _ := filepath.Glob("../../configs/tests/*.yaml")
	if len(files) < 3 {
		t.Fatalf("found %d example test files", len(files))
	}
	cases := 0
	for _, f := range files {
		results, err := pipetest.RunFile(context.Background(), f, pipetest.Options{LoadHub: loadHub})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, r := range results {
			cases++
			if !r.Passed() {
				t.Errorf("%s: %s:\n%s", r.Pos, r.Name, strings.Join(r.Failures, "\n"))
			}
		}
	}
	if cases < 8 {
		t.Errorf("ran %d cases, want the shipped ones", cases)
	}
}

func TestRun_FailuresSayWhatDifferedAndWhere(t *testing.T) {
	results, err := pipetest.RunFile(context.Background(), "testdata/failing.yaml", pipetest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, r := range results {
		got[r.Name] = r.Failures
	}
	want := map[string][]string{
		"expects the wrong tags": {
			`testdata/failing.yaml:8:18: output 0 payload.tags[1]: got "seen", want "unseen"`,
			`testdata/failing.yaml:9:16: output 0: check "order.tags.size() == 1" does not hold`,
		},
		"expects a drop that does not happen": {
			`testdata/failing.yaml:13:13: got 1 output records, want 0 (topic order.tagged order/k2)`,
		},
		"expects a dead letter that does not happen": {
			`testdata/failing.yaml:19:9: expected a dead letter at step map, got none`,
		},
		"passes": nil,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%#v\nwant\n%#v", got, want)
	}
}

func TestLoad_ABrokenTestFileReportsEveryProblem(t *testing.T) {
	_, _, err := pipetest.Load("testdata/broken.yaml", pipetest.Options{})
	var errs yamlconf.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %v", err)
	}
	want := []string{
		`testdata/broken.yaml:8:9: tests[0].input[0]: record: unknown kind "ordr"`,
	}
	if got := errs.Strings(); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Once the file decodes, the semantic problems are reported together.
	src, _ := os.ReadFile("testdata/broken.yaml")
	fixed := strings.Replace(string(src), "kind: ordr", "kind: order", 1)
	dir := t.TempDir()
	tag, _ := os.ReadFile("testdata/tag.yaml")
	_ = os.WriteFile(filepath.Join(dir, "tag.yaml"), tag, 0o644)
	_ = os.WriteFile(filepath.Join(dir, "broken.yaml"), []byte(fixed), 0o644)
	_, _, err = pipetest.Load(filepath.Join(dir, "broken.yaml"), pipetest.Options{})
	want = []string{
		`broken.yaml:4:19: mock erp: status "maybe": want ok, retryable or permanent`,
		`broken.yaml:6:5: test "no expectation" expects nothing: add output (an empty list for a drop) or dead_letter`,
		`broken.yaml:13:21: CEL: undefined field 'totl'`,
	}
	errs = nil
	errors.As(err, &errs)
	got := errs.Strings()
	for i := range got {
		got[i] = strings.TrimPrefix(got[i], dir+string(filepath.Separator))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
