package pipelines

import (
	"fmt"
	"path/filepath"
	"testing"
)

func TestScratchBroken(t *testing.T) {
	files, _ := filepath.Glob("testdata/broken/*.yaml")
	for _, f := range files {
		_, err := LoadFiles([]string{f}, &Env{Connectors: []string{"shopify-us", "erp"}, Topics: []string{"order.accepted"}})
		fmt.Printf("== %s\n%v\n", f, err)
	}
}
