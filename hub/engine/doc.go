// Package engine runs compiled pipelines as handlers of the durable bus.
//
// Each pipeline becomes one bus handler (consumer group "pipeline:<name>") on the
// topic it reads: <kind>.in for a connector stream (keeping the records whose
// source is that connector), or the hub topic it names. Every step runs inside
// the transaction that consumes the message, and the records that come out are
// published to their targets (hub topics, or <connector>.out for connector
// actions) through that same transaction.
//
// It promises (DESIGN.md §3.1): a record's effects (dedupe keys, hub state its
// steps change) and the messages it causes commit together with the consumption
// of the record, or not at all, so a kill -9 at any moment, then a restart,
// loses and doubles nothing. A failing record is retried by the pipeline's
// on_error policy and then dead-lettered with the pipeline and the step named; a
// failure no retry can fix (a CEL evaluation error, a malformed payload) is
// dead-lettered at once. Per pipeline and step it exports Prometheus counters of
// records in, out, dropped and failed, and step latency histograms.
package engine
