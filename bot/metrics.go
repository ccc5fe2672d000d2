package bot

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hearthbot/hearth/bot/bus"
	"github.com/hearthbot/hearth/store"
)

// metrics are the host's Prometheus metrics, in a registry of its own
// (no global registry): served on the admin listener's /metrics.
type metrics struct {
	reg             *prometheus.Registry
	commandDuration *prometheus.HistogramVec
	gatewayEvents   *prometheus.CounterVec
	restRequests    *prometheus.CounterVec
	shed            prometheus.Counter
	deferred        prometheus.Counter
	shardReady      *prometheus.GaugeVec
}

func newMetrics(b *bus.InProc, c *store.Cache) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		commandDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hearth_command_duration_seconds", Help: "Time from an interaction's intake to its handler's return, by command and outcome.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2, 3, 5, 10, 30},
		}, []string{"command", "outcome"}),
		gatewayEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hearth_gateway_events_total", Help: "Gateway dispatches received, by type."}, []string{"type"}),
		restRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hearth_rest_requests_total", Help: "Discord REST requests, by route and status."}, []string{"route", "status"}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hearth_interactions_shed_total", Help: "Interactions answered \"busy\" because the pipeline was full."}),
		deferred: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hearth_interactions_deferred_total", Help: "Interactions the host deferred because the handler was slow."}),
		shardReady: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hearth_shard_ready", Help: "1 when the shard is connected and ready."}, []string{"shard"}),
	}
	m.reg.MustRegister(m.commandDuration, m.gatewayEvents, m.restRequests, m.shed, m.deferred, m.shardReady,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if b != nil {
		m.reg.MustRegister(busCollector{b})
	}
	if c != nil {
		m.reg.MustRegister(cacheCollector{c})
	}
	return m
}

// cacheCollector reads the store cache's counters at scrape time.
type cacheCollector struct{ c *store.Cache }

var (
	cacheHitsDesc      = prometheus.NewDesc("hearth_cache_hits_total", "Cache look-ups served from memory.", nil, nil)
	cacheMissesDesc    = prometheus.NewDesc("hearth_cache_misses_total", "Cache look-ups that went to the database.", nil, nil)
	cacheStaleDesc     = prometheus.NewDesc("hearth_cache_stale_total", "Cached entries refused because a write to their key came after them.", nil, nil)
	cacheEvictionsDesc = prometheus.NewDesc("hearth_cache_evictions_total", "Entries pushed out to stay within store.cache_mb.", nil, nil)
)

func (c cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- cacheHitsDesc
	ch <- cacheMissesDesc
	ch <- cacheStaleDesc
	ch <- cacheEvictionsDesc
}

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.c.Metrics()
	ch <- prometheus.MustNewConstMetric(cacheHitsDesc, prometheus.CounterValue, float64(m.Hits))
	ch <- prometheus.MustNewConstMetric(cacheMissesDesc, prometheus.CounterValue, float64(m.Misses))
	ch <- prometheus.MustNewConstMetric(cacheStaleDesc, prometheus.CounterValue, float64(m.Stale))
	ch <- prometheus.MustNewConstMetric(cacheEvictionsDesc, prometheus.CounterValue, float64(m.Evictions))
}

// busCollector reads the bus's per-subscription statistics at scrape time.
type busCollector struct{ b *bus.InProc }

var (
	busDepthDesc     = prometheus.NewDesc("hearth_bus_queue_depth", "Events waiting in a subscription's queue.", []string{"topic", "subscription"}, nil)
	busDeliveredDesc = prometheus.NewDesc("hearth_bus_delivered_total", "Events a subscription's handler has been given.", []string{"topic", "subscription"}, nil)
	busDroppedDesc   = prometheus.NewDesc("hearth_bus_dropped_total", "Events dropped (oldest first) by a loss-tolerant subscription.", []string{"topic", "subscription"}, nil)
	busRefusedDesc   = prometheus.NewDesc("hearth_bus_refused_total", "Events a must-not-lose subscription could not take within its timeout.", []string{"topic", "subscription"}, nil)
	busPanicsDesc    = prometheus.NewDesc("hearth_bus_panics_total", "Subscriber panics recovered.", []string{"topic", "subscription"}, nil)
)

func (c busCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- busDepthDesc
	ch <- busDeliveredDesc
	ch <- busDroppedDesc
	ch <- busRefusedDesc
	ch <- busPanicsDesc
}

func (c busCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.b.Stats() {
		ch <- prometheus.MustNewConstMetric(busDepthDesc, prometheus.GaugeValue, float64(s.Depth), s.Topic, s.Name)
		ch <- prometheus.MustNewConstMetric(busDeliveredDesc, prometheus.CounterValue, float64(s.Delivered), s.Topic, s.Name)
		ch <- prometheus.MustNewConstMetric(busDroppedDesc, prometheus.CounterValue, float64(s.Dropped), s.Topic, s.Name)
		ch <- prometheus.MustNewConstMetric(busRefusedDesc, prometheus.CounterValue, float64(s.Refused), s.Topic, s.Name)
		ch <- prometheus.MustNewConstMetric(busPanicsDesc, prometheus.CounterValue, float64(s.Panics), s.Topic, s.Name)
	}
}
