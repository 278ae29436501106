package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// runCLI runs crossdock in-process with stdin and the log level given, and
// returns stdout, stderr and the exit code, as a shell would see them.
func runCLI(t *testing.T, stdin, logLevel string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	g := &globals{stdout: &stdout, stderr: &stderr, logFormat: "text", logLevel: logLevel}
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetIn(strings.NewReader(stdin))
	err := root.ExecuteContext(context.Background())
	code := 0
	var ee exitError
	switch {
	case errors.As(err, &ee):
		code = ee.code
	case err != nil:
		fmt.Fprintln(&stderr, "crossdock:", err)
		code = 1
	}
	return stdout.String(), stderr.String(), code
}
