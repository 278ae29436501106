// Package bench measures what the plugin protocol costs: records per second
// read and written through a connector running as a plugin (go-plugin, gRPC,
// AutoMTLS) beside the same connector code called in-process, in the same run,
// at several batch sizes. `crossdock bench` and the connectors' Benchmark
// functions call Run; the target is at most 20% overhead at batch 100.
package bench
