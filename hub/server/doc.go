// Package server is the hub's HTTP server: /healthz (the process serves),
// /readyz (every readiness check passes: the database answers, the bus runs),
// /metrics (Prometheus), and whatever other parts mount on it with Handle (the
// API, webhook ingress, the dashboard).
//
// It promises a clean lifecycle: Start returns once the listener is bound (so
// the address is known, port 0 included), and Shutdown stops accepting, lets
// requests in flight finish until its context expires, then returns.
package server
