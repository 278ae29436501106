package bus

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the bus's Prometheus series. Counters and the latency
// histogram are updated as messages flow; the dead-letter size and the lag
// are read from the database at scrape time.
type metrics struct {
	in, out, failed, retries *prometheus.CounterVec
	deadLettered, published  *prometheus.CounterVec
	latency                  *prometheus.HistogramVec
	state                    *stateCollector
}

func newMetrics(b *Bus, reg prometheus.Registerer) (*metrics, error) {
	labels := []string{"handler", "pipeline", "step"}
	m := &metrics{
		in: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossdock_bus_messages_in_total",
			Help: "Messages a handler received (each delivery counts once, retries not included).",
		}, labels),
		out: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossdock_bus_messages_out_total",
			Help: "Messages a handler published in committed attempts.",
		}, labels),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossdock_bus_messages_failed_total",
			Help: "Messages a handler gave up on after its retries (dead-lettered or left for redelivery).",
		}, labels),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossdock_bus_retries_total",
			Help: "Retried handler attempts.",
		}, labels),
		deadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossdock_bus_dead_lettered_total",
			Help: "Messages sent to the dead-letter queue.",
		}, []string{"handler"}),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossdock_bus_published_total",
			Help: "Messages published per topic (inside transactions that may still roll back).",
		}, []string{"topic"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "crossdock_bus_handler_duration_seconds",
			Help:    "Time to handle one message, retries included.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, labels),
		state: &stateCollector{
			bus: b,
			deadLetters: prometheus.NewDesc("crossdock_bus_dead_letters",
				"Dead letters waiting (not replayed).", nil, nil),
			lag: prometheus.NewDesc("crossdock_bus_lag_messages",
				"Messages of a topic that a handler (consumer group) has not consumed yet.", []string{"topic", "handler"}, nil),
			watched: map[[2]string]struct{}{},
		},
	}
	for _, c := range []prometheus.Collector{m.in, m.out, m.failed, m.retries, m.deadLettered, m.published, m.latency, m.state} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("bus: register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) watch(topic, handler string) {
	m.state.mu.Lock()
	m.state.watched[[2]string{topic, handler}] = struct{}{}
	m.state.mu.Unlock()
}

// stateCollector reads the dead-letter size and the lag at scrape time.
type stateCollector struct {
	bus              *Bus
	deadLetters, lag *prometheus.Desc

	mu      sync.Mutex
	watched map[[2]string]struct{}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.deadLetters
	ch <- c.lag
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if n, err := c.bus.dead.Count(ctx, Filter{Status: StatusPending}); err == nil {
		ch <- prometheus.MustNewConstMetric(c.deadLetters, prometheus.GaugeValue, float64(n))
	} else {
		ch <- prometheus.NewInvalidMetric(c.deadLetters, err)
	}
	lags, err := c.bus.Lag(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.lag, err)
		return
	}
	for _, l := range lags {
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(l.Messages), l.Topic, l.Handler)
	}
}

// TopicLag is how far one handler (consumer group) is behind on its topic.
type TopicLag struct {
	Topic    string `json:"topic"`
	Handler  string `json:"handler"`
	Messages int64  `json:"messages"`
}

// Lag counts, for every registered handler, the messages of its topic it has
// not consumed yet.
func (b *Bus) Lag(ctx context.Context) ([]TopicLag, error) {
	type pair struct{ topic, handler string }
	var pairs []pair
	b.mu.Lock()
	for name := range b.handlers {
		pairs = append(pairs, pair{b.handlerTopic[name], name})
	}
	b.mu.Unlock()
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].topic != pairs[j].topic {
			return pairs[i].topic < pairs[j].topic
		}
		return pairs[i].handler < pairs[j].handler
	})
	out := make([]TopicLag, 0, len(pairs))
	for _, p := range pairs {
		if _, ok := b.topics.Load(p.topic); !ok {
			if err := b.ensureTopic(ctx, p.topic); err != nil {
				return nil, err
			}
		}
		q := `SELECT COUNT(*) FROM ` + b.messagesTable(p.topic) + ` WHERE "offset" > COALESCE((SELECT offset_acked FROM ` +
			b.offsetsTable(p.topic) + ` WHERE consumer_group = ?), 0)`
		var n int64
		if err := b.db.QueryRowContext(ctx, b.db.Dialect.Rebind(q), p.handler).Scan(&n); err != nil {
			return nil, fmt.Errorf("bus: lag of %s on %s: %w", p.handler, p.topic, err)
		}
		out = append(out, TopicLag{Topic: p.topic, Handler: p.handler, Messages: n})
	}
	return out, nil
}
