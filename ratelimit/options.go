package ratelimit

import (
	"time"

	"go.uber.org/zap"
)

// Option configures a Limiter.
type Option func(*config)

type config struct {
	globalPerSecond int
	globalMargin    time.Duration
	resetMargin     time.Duration
	maxWait         time.Duration
	maxRetries      int
	invalidLimit    int
	invalidWarn     float64
	banBackoff      time.Duration
	banMaxBackoff   time.Duration
	idleAfter       time.Duration
	log             *zap.Logger
	clock           Clock
	alert           func(Alert)
}

func defaultConfig() config {
	return config{
		globalPerSecond: 50,
		globalMargin:    25 * time.Millisecond,
		resetMargin:     2 * time.Millisecond,
		maxWait:         time.Minute,
		maxRetries:      3,
		invalidLimit:    10000,
		invalidWarn:     0.5,
		banBackoff:      5 * time.Minute,
		banMaxBackoff:   time.Hour,
		idleAfter:       10 * time.Minute,
		log:             zap.NewNop(),
		clock:           realClock{},
	}
}

// WithGlobalLimit sets the global budget in requests per second, shared by
// every shard and goroutine using the Limiter (default 50, Discord's limit
// for a bot, contract A.1.11; set it to what support raised yours to). 0
// or less turns global pacing off, for a bot behind a proxy that paces.
func WithGlobalLimit(perSecond int) Option { return func(c *config) { c.globalPerSecond = perSecond } }

// WithMargins sets how much later than Discord says the Limiter sends:
// after a bucket resets (default 2 ms: Reset-After is truncated to the
// millisecond) and between the oldest and newest request of a global
// window (default 25 ms: the time requests take to reach Discord varies,
// and the global window counts their arrival).
func WithMargins(reset, global time.Duration) Option {
	return func(c *config) { c.resetMargin, c.globalMargin = max(reset, 0), max(global, 0) }
}

// WithMaxWait sets the longest a request may be held (default 1 minute). A
// request whose wait is known to be longer fails at once with a
// *WaitError (ErrWaitTooLong); one still queued when it passes fails then.
func WithMaxWait(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.maxWait = d
		}
	}
}

// WithMaxRetries sets how many times disgo may send one request in all
// when it is answered 429 (default 3: the first attempt and two retries).
func WithMaxRetries(attempts int) Option {
	return func(c *config) { c.maxRetries = max(attempts, 1) }
}

// WithInvalidRequestWarn sets the share of the invalid-request limit at
// which the Limiter warns, raises an alert and sheds NonEssential requests
// (default 0.5: 5,000 of 10,000 per 10 minutes, contract A.1.14).
func WithInvalidRequestWarn(share float64) Option {
	return func(c *config) {
		if share > 0 && share <= 1 {
			c.invalidWarn = share
		}
	}
}

// WithInvalidRequestLimit sets the invalid-request limit the warning share
// applies to (default 10,000 per 10 minutes, Discord's).
func WithInvalidRequestLimit(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.invalidLimit = n
		}
	}
}

// WithBanBackoff sets how long all traffic stops after a Cloudflare ban
// (default 5 minutes), doubling while the ban lasts, up to max (default
// one hour).
func WithBanBackoff(first, max time.Duration) Option {
	return func(c *config) {
		if first > 0 {
			c.banBackoff = first
		}
		if max >= c.banBackoff {
			c.banMaxBackoff = max
		}
	}
}

// WithIdleExpiry sets how long a queue with nothing to do is kept
// (default 10 minutes), so that a key per interaction or channel does not
// pile up.
func WithIdleExpiry(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.idleAfter = d
		}
	}
}

// WithLogger sets the logger (default none); the Limiter logs 429s, bans,
// the bot token's 401 and the invalid-request warning.
func WithLogger(l *zap.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.log = l
		}
	}
}

// WithClock sets the clock (default the system's), for tests.
func WithClock(clk Clock) Option {
	return func(c *config) {
		if clk != nil {
			c.clock = clk
		}
	}
}

// WithAlert sets a function called (outside the Limiter's lock) on what a
// person should hear about: a Cloudflare ban, the bot token refused, the
// invalid-request warning.
func WithAlert(f func(Alert)) Option { return func(c *config) { c.alert = f } }

// Alert is something wrong enough to tell a person.
type Alert struct {
	// Kind is "ban", "token_invalid" or "invalid_requests".
	Kind string
	Err  error
	At   time.Time
}
