package shopify

import (
	"testing"

	"github.com/crossdockhq/crossdock/connectors/shopify/sandbox"
	"github.com/crossdockhq/crossdock/plugins/conformance"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// TestConformance_SandboxPassesSuite runs the connector conformance suite
// in process against the sandbox (crash_resume needs the plugin binary and is
// run by `crossdock connector test shopify` once the connector is registered).
func TestConformance_SandboxPassesSuite(t *testing.T) {
	conformance.Run(t, sandbox.Target(nil, func() sdk.Connector { return New(Options{}) }))
}
