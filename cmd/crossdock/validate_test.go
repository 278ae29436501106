package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// combinedCLI runs the CLI in-process and returns its exit code and its
// output, stdout then stderr.
func combinedCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	stdout, stderr, code := runCLI(t, "", "info", args...)
	return code, stdout + stderr
}

func TestValidate_TheShippedConfigsPass(t *testing.T) {
	code, out := combinedCLI(t, "validate", "--config", "../../configs/hub.yaml", "../../configs/hub.yaml", "../../configs/tests")
	if code != 0 || !strings.HasPrefix(out, "ok: 8 file(s) checked") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestValidate_BrokenFilesExitOneWithEveryProblem(t *testing.T) {
	dir := t.TempDir()
	hub := filepath.Join(dir, "hub.yaml")
	mustOK(t, os.WriteFile(hub, []byte("hub: {data: \"sqlite:hub.db\"}\nconnectors:\n  - {name: erp, type: file}\npipelines: [p/*.yaml]\n"), 0o644))
	mustOK(t, os.MkdirAll(filepath.Join(dir, "p"), 0o755))
	mustOK(t, os.WriteFile(filepath.Join(dir, "p", "a.yaml"), []byte("name: a\nfrom: {topic: order.in}\nsteps:\n  - filter: order.totl > 0\nto: [{connector: erpp, action: write_record}]\n"), 0o644))
	lone := filepath.Join(dir, "lone.yaml")
	mustOK(t, os.WriteFile(lone, []byte("name: lone\nfrom: {connector: erp, stream: inventory}\nsteps:\n  - dedup: {}\n"), 0o644))
	code, out := combinedCLI(t, "validate", "--config", hub, hub, lone)
	want := []string{
		lone + `:4:5: steps[0]: unknown step kind "dedup" (did you mean "dedupe"?) (known: ` + strings.Join(newStepRegistry().Kinds(), ", ") + `)`,
		filepath.Join(dir, "p", "a.yaml") + `:4:18: steps[0].filter: CEL: undefined field 'totl'`,
		filepath.Join(dir, "p", "a.yaml") + `:5:18: to[0]: unknown connector "erpp" (did you mean "erp"?)`,
		"3 problem(s) in 3 file(s) checked",
	}
	if code != 1 || strings.TrimSpace(out) != strings.Join(sortedLines(want[:3]), "\n")+"\n"+want[3] {
		t.Errorf("exit %d:\n%s\nwant exit 1:\n%s", code, out, strings.Join(want, "\n"))
	}
}

func sortedLines(lines []string) []string {
	out := append([]string(nil), lines...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestTest_TheShippedPipelineTestsPass(t *testing.T) {
	code, out := combinedCLI(t, "test", "-v", "../../configs/tests")
	if code != 0 || !strings.Contains(out, "0 failed, 0 file(s) not loaded") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestTest_AFailingCaseExitsOne(t *testing.T) {
	code, out := combinedCLI(t, "test", "../../pipelines/pipetest/testdata/failing.yaml")
	if code != 1 || !strings.Contains(out, "FAIL ../../pipelines/pipetest/testdata/failing.yaml:3:11: expects the wrong tags") ||
		!strings.Contains(out, "1 passed, 3 failed") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
