package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/crossdockhq/crossdock/pipelines"
)

type metrics struct {
	in, out, dropped *prometheus.CounterVec // by pipeline
	failed           *prometheus.CounterVec // by pipeline, step
	stepIn, stepOut  *prometheus.CounterVec // by pipeline, step
	stepFailed       *prometheus.CounterVec // by pipeline, step
	stepLatency      *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		in: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossdock_pipeline_records_in_total", Help: "Records a pipeline took from its topic (each attempt counts)."}, []string{"pipeline"}),
		out: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossdock_pipeline_records_out_total", Help: "Records a pipeline handed to its targets."}, []string{"pipeline"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossdock_pipeline_records_dropped_total", Help: "Records a pipeline's steps dropped (filtered out, duplicates)."}, []string{"pipeline"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossdock_pipeline_records_failed_total", Help: "Failed attempts of a pipeline on a record, by failing step."}, []string{"pipeline", "step"}),
		stepIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossdock_pipeline_step_records_in_total", Help: "Records that reached a step."}, []string{"pipeline", "step"}),
		stepOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossdock_pipeline_step_records_out_total", Help: "Records a step passed on."}, []string{"pipeline", "step"}),
		stepFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "crossdock_pipeline_step_failed_total", Help: "Step failures."}, []string{"pipeline", "step"}),
		stepLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "crossdock_pipeline_step_duration_seconds",
			Help:    "Time a step took on one record.",
			Buckets: []float64{.00001, .00005, .0001, .0005, .001, .005, .01, .05, .1, .5, 1, 5},
		}, []string{"pipeline", "step"}),
	}
	for _, c := range []prometheus.Collector{m.in, m.out, m.dropped, m.failed, m.stepIn, m.stepOut, m.stepFailed, m.stepLatency} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("engine: metrics: %w (one engine per registry)", err)
			}
			return nil, fmt.Errorf("engine: metrics: %w", err)
		}
	}
	return m, nil
}

// init makes every series of a pipeline visible at zero.
func (m *metrics) init(c *pipelines.Compiled) {
	m.in.WithLabelValues(c.Name)
	m.out.WithLabelValues(c.Name)
	m.dropped.WithLabelValues(c.Name)
	for _, s := range c.Steps {
		m.stepIn.WithLabelValues(c.Name, s.Name)
		m.stepOut.WithLabelValues(c.Name, s.Name)
		m.stepFailed.WithLabelValues(c.Name, s.Name)
		m.stepLatency.WithLabelValues(c.Name, s.Name)
	}
}

// StepDone implements pipelines.Observer.
func (m *metrics) StepDone(pipeline, step string, in, out int, took time.Duration, err error) {
	m.stepIn.WithLabelValues(pipeline, step).Add(float64(in))
	m.stepLatency.WithLabelValues(pipeline, step).Observe(took.Seconds())
	if err != nil {
		m.stepFailed.WithLabelValues(pipeline, step).Inc()
		return
	}
	m.stepOut.WithLabelValues(pipeline, step).Add(float64(out))
}
