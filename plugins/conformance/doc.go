// Package conformance is the suite every connector must pass, whoever wrote it.
// It drives a connector (a plugin binary over the real protocol, or an
// in-process value) against the connector's sandbox and checks what the hub
// relies on: the spec is valid and its config schema accepts the sandbox config;
// Check fails with a typed reason on bad credentials and on an unreachable host;
// a full read returns every seeded record; a read resumed from every
// intermediate cursor loses and repeats nothing; the same write twice has one
// effect; sustained load gets no 429; a webhook with a bad signature is refused;
// a connector killed mid-read resumes from its last cursor.
//
// Like Watermill's pub/sub test suite, a connector declares the capabilities it
// honestly has (Target.Capabilities); the suite checks those and says which it
// skipped. Use it from `go test` with Run, or from a program with Verify (which
// `crossdock connector test NAME` does).
package conformance
