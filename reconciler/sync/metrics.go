package sync

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Metrics of the sync loop, served on /metrics with the controller's own.
var (
	passesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tidemark_sync_passes_total",
		Help: "Sync passes by outcome: applied, rejected (bad revision) or failed (fetch or API error).",
	}, []string{"sync", "outcome"})

	passDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "tidemark_sync_pass_duration_seconds",
		Help:    "Time of one fetch-and-sync pass.",
		Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
	}, []string{"sync"})

	writesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tidemark_sync_writes_total",
		Help: "Objects created, changed or pruned by sync passes.",
	}, []string{"sync"})

	lastApplied = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "tidemark_sync_last_applied_timestamp_seconds",
		Help: "When the sync last applied a revision in full.",
	}, []string{"sync"})
)

func init() {
	metrics.Registry.MustRegister(passesTotal, passDuration, writesTotal, lastApplied)
}

// observePass records one pass of the loop.
func observePass(syncName string, started time.Time, result Result, outcome string) {
	passesTotal.WithLabelValues(syncName, outcome).Inc()
	passDuration.WithLabelValues(syncName).Observe(time.Since(started).Seconds())
	writesTotal.WithLabelValues(syncName).Add(float64(result.Writes()))
	if outcome == "applied" {
		lastApplied.WithLabelValues(syncName).SetToCurrentTime()
	}
}
