package main

import (
	"github.com/crossdockhq/crossdock/connectors/file"
	filesandbox "github.com/crossdockhq/crossdock/connectors/file/sandbox"
	"github.com/crossdockhq/crossdock/connectors/shopify"
	shopifysandbox "github.com/crossdockhq/crossdock/connectors/shopify/sandbox"
	"github.com/crossdockhq/crossdock/plugins/conformance"
	"github.com/crossdockhq/crossdock/plugins/sdk"
)

// builtinConnector is a connector compiled into the crossdock binary: the hub
// runs it as `crossdock connector serve NAME`.
type builtinConnector struct {
	// New builds an unconfigured connector.
	New func() sdk.Connector
	// Conformance returns the conformance target of the connector run as
	// plugin (its sandbox included); nil if it has none yet.
	Conformance func(plugin *conformance.Plugin) conformance.Target
}

// builtinConnectors are the built-in connector types, by name.
var builtinConnectors = map[string]builtinConnector{
	"file": {
		New:         func() sdk.Connector { return file.New() },
		Conformance: func(p *conformance.Plugin) conformance.Target { return filesandbox.Target(p, nil) },
	},
	"shopify": {
		New:         func() sdk.Connector { return shopify.New(shopify.Options{}) },
		Conformance: func(p *conformance.Plugin) conformance.Target { return shopifysandbox.Target(p, nil) },
	},
}
