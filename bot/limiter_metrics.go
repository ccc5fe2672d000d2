package bot

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hearthbot/hearth/ratelimit"
)

// limiterCollector reads the REST limiter's statistics at scrape time.
type limiterCollector struct {
	l     *ratelimit.Limiter
	retry *ratelimit.RetryTransport
}

var (
	limiterWaitDesc     = prometheus.NewDesc("hearth_rest_wait_seconds", "Time REST requests waited for their rate limit.", nil, nil)
	limiterInflightDesc = prometheus.NewDesc("hearth_rest_in_flight", "REST requests sent and not yet answered.", nil, nil)
	limiterQueuedDesc   = prometheus.NewDesc("hearth_rest_queued", "REST requests waiting for their rate limit.", nil, nil)
	limiterKeysDesc     = prometheus.NewDesc("hearth_rest_rate_limit_keys", "Live rate-limit queues (bucket and major parameter).", nil, nil)
	limiterInvalidDesc  = prometheus.NewDesc("hearth_rest_invalid_requests", "401, 403 and non-shared 429 answers over the last 10 minutes (Discord bans an IP at 10,000).", nil, nil)
	limiterLimitedDesc  = prometheus.NewDesc("hearth_rest_limiter_429_total", "429 answers the limiter met, by scope (edge: a Cloudflare block).", []string{"scope"}, nil)
	limiterRefusedDesc  = prometheus.NewDesc("hearth_rest_refused_total", "REST requests failed without being sent, by reason.", []string{"reason"}, nil)
	limiterSheddingDesc = prometheus.NewDesc("hearth_rest_shedding", "1 while non-essential REST requests are shed because invalid requests climb.", nil, nil)
	limiterTokenDesc    = prometheus.NewDesc("hearth_rest_token_invalid", "1 once Discord answered 401 to the bot token: every bot request then fails locally.", nil, nil)
	limiterBansDesc     = prometheus.NewDesc("hearth_rest_bans_total", "Cloudflare bans met.", nil, nil)
	retryDesc           = prometheus.NewDesc("hearth_rest_5xx_retries_total", "Idempotent requests repeated after a 5xx.", nil, nil)
	retryGaveUpDesc     = prometheus.NewDesc("hearth_rest_5xx_gave_up_total", "Requests whose 5xx retries ran out.", nil, nil)
)

func (c limiterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{limiterWaitDesc, limiterInflightDesc, limiterQueuedDesc, limiterKeysDesc,
		limiterInvalidDesc, limiterLimitedDesc, limiterRefusedDesc, limiterSheddingDesc, limiterTokenDesc, limiterBansDesc,
		retryDesc, retryGaveUpDesc} {
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
	ch <- prometheus.MustNewConstMetric(limiterSheddingDesc, prometheus.GaugeValue, boolValue(s.Shedding))
	ch <- prometheus.MustNewConstMetric(limiterTokenDesc, prometheus.GaugeValue, boolValue(s.TokenInvalid))
	ch <- prometheus.MustNewConstMetric(limiterBansDesc, prometheus.CounterValue, float64(s.Bans))
	if c.retry != nil {
		ch <- prometheus.MustNewConstMetric(retryDesc, prometheus.CounterValue, float64(c.retry.Retries()))
		ch <- prometheus.MustNewConstMetric(retryGaveUpDesc, prometheus.CounterValue, float64(c.retry.GaveUp()))
	}
	r := s.Refused
	for reason, n := range map[string]uint64{"wait_too_long": r.WaitTooLong, "token_invalid": r.TokenInvalid,
		"webhook_gone": r.WebhookGone, "banned": r.Banned, "shed": r.Shed, "closed": r.Closed} {
		ch <- prometheus.MustNewConstMetric(limiterRefusedDesc, prometheus.CounterValue, float64(n), reason)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
