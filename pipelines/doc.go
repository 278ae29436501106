// Package pipelines turns the YAML pipelines a merchant writes into compiled
// chains of steps that the hub runs as bus handlers.
//
// A pipeline takes records from a connector stream or a hub topic (from), passes
// each through ordered steps (filter, map, dedupe, log, and the steps hub packages
// register: reserve, route, store, syndicate, ...), and hands what comes out to
// hub topics or connector actions (to). on_error says how often a failing record
// is retried before it goes to the dead-letter queue.
//
// It promises:
//   - strict loading: an unknown key, a wrong type, a missing field, an unknown
//     step kind, a reference to a connector or topic that does not exist, and a
//     CEL expression that does not type-check against the canonical model are all
//     errors naming file:line:col, every one of a file reported together;
//   - one lifecycle for every step, as in Caddy: the Registry's factory makes a
//     fresh value, its YAML is decoded into it strictly, then Provision, then
//     Validate, then Process for every record;
//   - no dependency on the hub: steps reach hub services (dedupe store, orders,
//     reservations, routing, syndication) through the small interfaces declared in
//     services.go, injected with Services when pipelines are compiled, and the
//     hub's own steps plug in through Registry.Register;
//   - a step processes a record inside the transaction that consumes it
//     (StepContext.Tx), so its state changes and the records it emits commit
//     together (DESIGN.md §3.1).
package pipelines
