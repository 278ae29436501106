// Package proto holds the connector protocol: connector.proto and the Go code
// protoc generates from it (`make proto` regenerates it; the generated files are
// committed). Hosts and Go connectors use it through plugins/sdk and plugins/host;
// a connector in another language generates its own stubs from connector.proto.
package proto
