package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/crossdockhq/crossdock/plugins/conformance"
	"github.com/crossdockhq/crossdock/plugins/examples/hello-connector/sandbox"
)

// binary is the hello-connector built once for every test: the suite loads it
// by path, as a hub loads any third-party connector.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hello-connector-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "hello-connector")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build hello-connector:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestConformance_HelloConnectorLoadedByPath(t *testing.T) {
	conformance.Run(t, conformance.Target{
		Name:         "hello",
		Plugin:       &conformance.Plugin{Path: binary},
		Capabilities: conformance.AllCapabilities,
		Sandbox:      sandbox.Conformance,
	})
}
