package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/crossdockhq/crossdock/canonical"
)

// TestSchemas_CommittedFilesMatchFreshGeneration fails when a canonical type
// changed without `make schema`: the committed schemas (and so what
// canonical.Schema serves) must equal a fresh generation, byte for byte.
func TestSchemas_CommittedFilesMatchFreshGeneration(t *testing.T) {
	t.Chdir("../..") // the generator reads doc comments relative to canonical/
	files, err := generate(".")
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	if len(files) != len(canonical.Kinds)+1 {
		t.Fatalf("generated %d schemas, want one per kind plus record: %v", len(files), names(files))
	}
	for _, name := range names(files) {
		committed, err := os.ReadFile(filepath.Join("schema", name+".json"))
		if err != nil {
			t.Errorf("%s: %v (run `make schema`)", name, err)
			continue
		}
		if !bytes.Equal(committed, files[name]) {
			t.Errorf("schema/%s.json differs from a fresh generation: run `make schema` and commit the result", name)
		}
	}
	committed, err := filepath.Glob(filepath.Join("schema", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range committed {
		name := filepath.Base(f)
		if _, ok := files[name[:len(name)-len(".json")]]; !ok {
			t.Errorf("schema/%s is stale: no kind generates it", name)
		}
	}
}

// TestSchemas_GenerationIsDeterministic guards the byte-for-byte comparison
// above against map-order noise.
func TestSchemas_GenerationIsDeterministic(t *testing.T) {
	t.Chdir("../..")
	a, err := generate(".")
	if err != nil {
		t.Fatal(err)
	}
	b, err := generate(".")
	if err != nil {
		t.Fatal(err)
	}
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s: two generations differ", name)
		}
	}
}

// TestRun_WritesSchemasAndDropsStaleFiles checks the command's file handling.
func TestRun_WritesSchemasAndDropsStaleFiles(t *testing.T) {
	out := t.TempDir()
	stale := filepath.Join(out, "widget.json")
	if err := os.WriteFile(stale, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir("../..")
	if err := run(".", out); err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale schema widget.json still there (err=%v)", err)
	}
	for _, k := range canonical.Kinds {
		if _, err := os.Stat(filepath.Join(out, string(k)+".json")); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
}
