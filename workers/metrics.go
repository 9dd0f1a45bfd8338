package workers

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/weipian/weipian/pipeline"
)

// Metrics are the Prometheus metrics of a worker process: tasks done and
// failed by kind, task latency (tiles: the tile latency), and the image
// bytes and range requests read from the object store (each request costs
// the store about as much CPU as a megabyte of data). A nil *Metrics
// records nothing.
type Metrics struct {
	Tasks     *prometheus.CounterVec
	Latency   *prometheus.HistogramVec
	BytesRead prometheus.Counter
	Requests  prometheus.Counter
}

// NewMetrics creates the metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Tasks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "weipian_tasks_total", Help: "Tasks handled, by kind and outcome (done, failed, retried, stale).",
		}, []string{"kind", "outcome"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "weipian_task_seconds", Help: "Task latency in seconds, by kind (tile:detect is a run of up to 4 neighbouring tiles; each tile's own time is in the batch's tile list).",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 14),
		}, []string{"kind"}),
		BytesRead: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "weipian_object_bytes_read_total", Help: "Bytes read from the object store by range requests.",
		}),
		Requests: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "weipian_object_range_requests_total", Help: "Range requests made to the object store for imagery.",
		}),
	}
	reg.MustRegister(m.Tasks, m.Latency, m.BytesRead, m.Requests)
	return m
}

func (m *Metrics) observe(kind string, d time.Duration, err error) {
	if m == nil {
		return
	}
	outcome := "done"
	switch {
	case err == nil:
	case errors.Is(err, pipeline.ErrStale):
		outcome = "stale"
	case errors.Is(err, pipeline.ErrInvalid):
		outcome = "failed"
	default:
		outcome = "retried"
	}
	m.Tasks.WithLabelValues(kind, outcome).Inc()
	if err == nil {
		m.Latency.WithLabelValues(kind).Observe(d.Seconds())
	}
}

func (m *Metrics) failed(kind string) {
	if m != nil {
		m.Tasks.WithLabelValues(kind, "failed").Inc()
	}
}

// read records one range request that returned n bytes.
func (m *Metrics) read(n int) {
	if m != nil {
		m.BytesRead.Add(float64(n))
		m.Requests.Inc()
	}
}
