package bot

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hearthbot/hearth/ratelimit"
)

// limiterCollector reads the REST limiter's statistics at scrape time.
type limiterCollector struct{ l *ratelimit.Limiter }

var (
	limiterWaitDesc     = prometheus.NewDesc("hearth_rest_wait_seconds", "Time REST requests waited for their rate limit.", nil, nil)
	limiterInflightDesc = prometheus.NewDesc("hearth_rest_in_flight", "REST requests sent and not yet answered.", nil, nil)
	limiterQueuedDesc   = prometheus.NewDesc("hearth_rest_queued", "REST requests waiting for their rate limit.", nil, nil)
	limiterKeysDesc     = prometheus.NewDesc("hearth_rest_rate_limit_keys", "Live rate-limit queues (bucket and major parameter).", nil, nil)
	limiterInvalidDesc  = prometheus.NewDesc("hearth_rest_invalid_requests", "401, 403 and non-shared 429 answers over the last 10 minutes (Discord bans an IP at 10,000).", nil, nil)
	limiterLimitedDesc  = prometheus.NewDesc("hearth_rest_limiter_429_total", "429 answers the limiter met, by scope (edge: a Cloudflare block).", []string{"scope"}, nil)
	limiterRefusedDesc  = prometheus.NewDesc("hearth_rest_refused_total", "REST requests failed without being sent, by reason.", []string{"reason"}, nil)
)

func (c limiterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{limiterWaitDesc, limiterInflightDesc, limiterQueuedDesc, limiterKeysDesc,
		limiterInvalidDesc, limiterLimitedDesc, limiterRefusedDesc} {
		ch <- d
	}
}

func (c limiterCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.l.Stats()
	ch <- prometheus.MustNewConstHistogram(limiterWaitDesc, s.Waits.Count, s.Waits.Sum.Seconds(), s.Waits.Cumulative())
	ch <- prometheus.MustNewConstMetric(limiterInflightDesc, prometheus.GaugeValue, float64(s.InFlight))
	ch <- prometheus.MustNewConstMetric(limiterQueuedDesc, prometheus.GaugeValue, float64(s.Queued))
	ch <- prometheus.MustNewConstMetric(limiterKeysDesc, prometheus.GaugeValue, float64(s.Keys))
	ch <- prometheus.MustNewConstMetric(limiterInvalidDesc, prometheus.GaugeValue, float64(s.InvalidRequests))
	for scope, n := range map[string]uint64{"global": s.RateLimited.Global, "user": s.RateLimited.User,
		"shared": s.RateLimited.Shared, "edge": s.RateLimited.Edge} {
		ch <- prometheus.MustNewConstMetric(limiterLimitedDesc, prometheus.CounterValue, float64(n), scope)
	}
	r := s.Refused
	for reason, n := range map[string]uint64{"wait_too_long": r.WaitTooLong, "token_invalid": r.TokenInvalid,
		"webhook_gone": r.WebhookGone, "banned": r.Banned, "shed": r.Shed, "closed": r.Closed} {
		ch <- prometheus.MustNewConstMetric(limiterRefusedDesc, prometheus.CounterValue, float64(n), reason)
	}
}
