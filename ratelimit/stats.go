package ratelimit

import "time"

// Scopes of 429 answers, as counted.
const (
	scopeGlobal = iota
	scopeUser
	scopeShared
	scopeEdge
	nScopes
)

// Reasons a request is refused without being sent.
const (
	refusedWaitTooLong = iota
	refusedToken
	refusedWebhook
	refusedBanned
	refusedShed
	refusedClosed
	nRefused
)

// WaitBounds are the upper bounds of the wait-time histogram in Stats.
var WaitBounds = [...]time.Duration{0, time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond,
	time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute}

type counters struct {
	requests  uint64
	limited   [nScopes]uint64
	refused   [nRefused]uint64
	bans      uint64
	waitCount uint64
	waitSum   time.Duration
	waits     [len(WaitBounds) + 1]uint64
}

func (c *counters) observeWait(d time.Duration) {
	c.waitCount++
	c.waitSum += d
	for i, b := range WaitBounds {
		if d <= b {
			c.waits[i]++
			return
		}
	}
	c.waits[len(WaitBounds)]++
}

// Stats is a snapshot of the Limiter, for metrics: counters only grow,
// gauges are as of now.
type Stats struct {
	// Requests counts the requests let go.
	Requests uint64
	// InFlight (gauge) counts requests let go and not yet answered;
	// Queued those waiting; Keys the live queues.
	InFlight, Queued, Keys int
	// RateLimited counts 429 answers by scope.
	RateLimited ScopeCounts
	// Refused counts requests failed without being sent, by reason.
	Refused RefusedCounts
	// InvalidRequests (gauge) is the count of 401, 403 and non-shared 429
	// answers over the last 10 minutes; InvalidWarnAt is where the
	// Limiter warns and sheds; Shedding says it does.
	InvalidRequests, InvalidWarnAt int
	Shedding                       bool
	// TokenInvalid: a bot-token request was answered 401.
	TokenInvalid bool
	// Bans counts Cloudflare bans; BannedUntil is the current one's end,
	// zero when none.
	Bans        uint64
	BannedUntil time.Time
	// Waits is the histogram of the time requests waited in Wait.
	Waits WaitHistogram
}

// ScopeCounts counts 429 answers by X-RateLimit-Scope; Edge counts those
// without rate-limit headers (Cloudflare).
type ScopeCounts struct{ Global, User, Shared, Edge uint64 }

// RefusedCounts counts requests failed in Wait or after a 429, by error.
type RefusedCounts struct{ WaitTooLong, TokenInvalid, WebhookGone, Banned, Shed, Closed uint64 }

// WaitHistogram counts waits: Counts[i] those of at most WaitBounds[i]
// (and more than the bound before), the last one those above them all.
type WaitHistogram struct {
	Count  uint64
	Sum    time.Duration
	Counts [len(WaitBounds) + 1]uint64
}

// Cumulative returns the histogram as Prometheus's const histograms want
// it: upper bound in seconds to the count at or under it.
func (h WaitHistogram) Cumulative() map[float64]uint64 {
	out := make(map[float64]uint64, len(WaitBounds))
	var n uint64
	for i, b := range WaitBounds {
		n += h.Counts[i]
		out[b.Seconds()] = n
	}
	return out
}

// Stats returns the Limiter's counters and gauges.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if l.shedding {
		l.updateShedding(now)
	}
	s := Stats{
		Requests: l.n.requests, InFlight: l.inflight, Queued: l.queued, Keys: len(l.buckets),
		RateLimited: ScopeCounts{Global: l.n.limited[scopeGlobal], User: l.n.limited[scopeUser],
			Shared: l.n.limited[scopeShared], Edge: l.n.limited[scopeEdge]},
		Refused: RefusedCounts{WaitTooLong: l.n.refused[refusedWaitTooLong], TokenInvalid: l.n.refused[refusedToken],
			WebhookGone: l.n.refused[refusedWebhook], Banned: l.n.refused[refusedBanned],
			Shed: l.n.refused[refusedShed], Closed: l.n.refused[refusedClosed]},
		InvalidRequests: l.invalid.count(now), InvalidWarnAt: l.warnAt(), Shedding: l.shedding,
		TokenInvalid: l.tokenInvalid, Bans: l.n.bans,
		Waits: WaitHistogram{Count: l.n.waitCount, Sum: l.n.waitSum, Counts: l.n.waits},
	}
	if l.ban.active {
		s.BannedUntil = l.ban.until
	}
	return s
}
