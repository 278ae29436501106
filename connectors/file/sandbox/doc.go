// Package sandbox is the file connector's sandbox: a temporary folder seeded with
// CSV and JSON Lines feeds (bad rows included), and the conformance suite's
// view of it. The demo and the tests use it; nothing here touches the network.
package sandbox
