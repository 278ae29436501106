package routing

import (
	"context"
	"os"
	"testing"
)

func TestZZFull(t *testing.T) {
	if _, err := RunBench(context.Background(), BenchConfig{RulesPath: "../../configs/routing/default.yaml"}, os.Stderr); err != nil {
		t.Fatal(err)
	}
}
