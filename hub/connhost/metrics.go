package connhost

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	state    *prometheus.GaugeVec
	restarts *prometheus.CounterVec
	records  *prometheus.CounterVec
	rejects  *prometheus.CounterVec
	refusals *prometheus.CounterVec
	calls    *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "crossdock_connector_state",
			Help: "1 for the state each connector instance is in (starting, running, restarting, failed, stopped), 0 for the others.",
		}, []string{"connector", "state"}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossdock_connector_restarts_total",
			Help: "Connector processes restarted after a crash.",
		}, []string{"connector"}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossdock_connector_records_total",
			Help: "Records read from connectors and published to the bus, by path (poll or webhook).",
		}, []string{"connector", "stream"}),
		rejects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossdock_connector_rejects_total",
			Help: "Source rows connectors could not map, sent to the dead-letter topic.",
		}, []string{"connector", "stream"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossdock_connector_webhook_refusals_total",
			Help: "Webhook deliveries refused, by reason (unauthorized, malformed).",
		}, []string{"connector", "reason"}),
		calls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "crossdock_connector_call_seconds",
			Help:    "Duration of calls to connectors.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 9),
		}, []string{"connector", "call"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.state, m.restarts, m.records, m.rejects, m.refusals, m.calls} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}
