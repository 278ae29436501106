// Command hello-connector is a minimal third-party Crossdock connector: it
// reads the contacts of a small HTTP API as customers, sets stock levels on it,
// and verifies its signed webhooks. Everything a connector needs is here, in
// one file: the spec, config, check, a paged read with a cursor, an idempotent
// write and a webhook, all on the SDK's helpers. docs/connectors.md walks
// through it.
//
// Build it and point a hub at it:
//
//	go build -o bin/hello-connector ./plugins/examples/hello-connector
//	# hub.yaml:  connectors: [ { name: hello, command: ./bin/hello-connector,
//	#                            config: { base_url: ..., token: ${env:HELLO_TOKEN} } } ]
package main
