package discordtest

import (
	"fmt"
	"time"
)

// Privileged gateway intents, approved or not by WithPrivilegedIntents.
const (
	IntentGuildMembers   uint64 = 1 << 1
	IntentGuildPresences uint64 = 1 << 8
	IntentMessageContent uint64 = 1 << 15
)

// Option configures a Server.
type Option func(*options)

type options struct {
	addr            string
	seed            uint64
	guilds, members int
	botName         string
	botPermissions  uint64
	clock           Clock
	approvedIntents uint64
	shards          int
	maxConcurrency  int
	heartbeat       time.Duration
	sessionStarts   int
	resumeWindow    time.Duration
	globalLimit     int
	globalSliding   bool
	invalidLimit    int
	invalidSpan     time.Duration
	banDuration     time.Duration
	routeLimits     map[string]RouteLimit
	scopeOn2xx      bool
	checkUserAgent  bool
	initialResponse time.Duration
	followupWindow  time.Duration
	replyWait       time.Duration
	answered        func(Answer)
	errs            []error
}

func defaultOptions() options {
	return options{
		addr: "127.0.0.1:0", seed: 1, guilds: 2, members: 10, botName: "Hearth",
		botPermissions: DefaultBotPermissions, clock: realClock{},
		approvedIntents: IntentGuildMembers | IntentMessageContent | IntentGuildPresences,
		shards:          1, maxConcurrency: 1, heartbeat: 41250 * time.Millisecond, resumeWindow: 3 * time.Minute,
		globalLimit: 50, globalSliding: true, invalidLimit: 10000, invalidSpan: 10 * time.Minute, banDuration: time.Hour,
		routeLimits: map[string]RouteLimit{}, checkUserAgent: true,
		initialResponse: 3 * time.Second, followupWindow: 15 * time.Minute, replyWait: 5 * time.Second,
	}
}

func (o *options) fail(format string, args ...any) {
	o.errs = append(o.errs, fmt.Errorf("discordtest: "+format, args...))
}

// WithAddr sets the listen address (default 127.0.0.1:0, a free port).
func WithAddr(addr string) Option { return func(o *options) { o.addr = addr } }

// WithSeed makes the seeded world (IDs, names, roles) a function of s.
func WithSeed(s uint64) Option { return func(o *options) { o.seed = s } }

// WithGuilds sets how many guilds the bot is in (default 2).
func WithGuilds(n int) Option {
	return func(o *options) {
		if n < 0 {
			o.fail("WithGuilds(%d): want 0 or more guilds", n)
			return
		}
		o.guilds = n
	}
}

// WithMembers sets how many people are in each guild, the owner, "admin"
// and "mod" included (default 10, at least 3).
func WithMembers(n int) Option {
	return func(o *options) {
		if n < 3 {
			o.fail("WithMembers(%d): want at least 3 (owner, admin, mod)", n)
			return
		}
		o.members = n
	}
}

// WithBotPermissions sets the permissions of the bot's managed role.
func WithBotPermissions(p uint64) Option { return func(o *options) { o.botPermissions = p } }

// WithClock sets the clock of rate-limit windows, token expiry and message
// ages (default: the real clock).
func WithClock(c Clock) Option { return func(o *options) { o.clock = c } }

// WithPrivilegedIntents sets which privileged intents the application is
// approved for (default all three); identifying with another gets 4014.
func WithPrivilegedIntents(bits uint64) Option { return func(o *options) { o.approvedIntents = bits } }

// WithShards sets the shard count GET /gateway/bot recommends (default 1).
func WithShards(n int) Option {
	return func(o *options) {
		if n < 1 {
			o.fail("WithShards(%d): want at least 1", n)
			return
		}
		o.shards = n
	}
}

// WithMaxConcurrency sets session_start_limit.max_concurrency (default 1).
func WithMaxConcurrency(n int) Option {
	return func(o *options) {
		if n < 1 {
			o.fail("WithMaxConcurrency(%d): want at least 1", n)
			return
		}
		o.maxConcurrency = n
	}
}

// WithSessionStartLimit sets how many IDENTIFYs the bot may make per 24
// hours (default 1000, contract A.3.35); GET /gateway/bot reports what is
// left in session_start_limit.
func WithSessionStartLimit(total int) Option {
	return func(o *options) {
		if total < 1 {
			o.fail("WithSessionStartLimit(%d): want at least 1", total)
			return
		}
		o.sessionStarts = total
	}
}

// WithHeartbeatInterval sets HELLO's heartbeat_interval (default 41.25 s).
func WithHeartbeatInterval(d time.Duration) Option { return func(o *options) { o.heartbeat = d } }

// WithResumeWindow sets how long a disconnected session can resume.
func WithResumeWindow(d time.Duration) Option { return func(o *options) { o.resumeWindow = d } }

// WithGlobalLimit sets the global limit per token per second (default 50,
// contract A.11) and whether it counts in a sliding or a fixed window.
func WithGlobalLimit(perSecond int, sliding bool) Option {
	return func(o *options) {
		if perSecond < 1 {
			o.fail("WithGlobalLimit(%d): want at least 1 request per second", perSecond)
			return
		}
		o.globalLimit, o.globalSliding = perSecond, sliding
	}
}

// WithInvalidRequestLimit sets how many invalid requests (401, 403 and
// non-shared 429) over span bring the Cloudflare ban, and how long the ban
// lasts (defaults: 10,000 over 10 minutes, one hour; contract A.14).
func WithInvalidRequestLimit(n int, span, ban time.Duration) Option {
	return func(o *options) {
		if n < 1 || span <= 0 || ban <= 0 {
			o.fail("WithInvalidRequestLimit(%d, %v, %v): want a positive count, span and ban", n, span, ban)
			return
		}
		o.invalidLimit, o.invalidSpan, o.banDuration = n, span, ban
	}
}

// WithRouteLimit replaces the limit of one route, named as in RouteLimits
// ("POST /channels/{channel_id}/messages").
func WithRouteLimit(route string, l RouteLimit) Option {
	return func(o *options) { o.routeLimits[route] = l }
}

// WithScopeOn2xx adds X-RateLimit-Scope: user to successful answers, as
// some clients expect though the docs say 429 only (contract A.4 O7).
func WithScopeOn2xx(on bool) Option { return func(o *options) { o.scopeOn2xx = on } }

// WithUserAgentCheck turns the User-Agent check on or off (default on:
// a User-Agent not starting with "DiscordBot" gets 403 code 40333, contract
// A.1.20 and A.4 O4).
func WithUserAgentCheck(on bool) Option { return func(o *options) { o.checkUserAgent = on } }

// WithInteractionTimeouts sets how long an interaction may wait for its
// first response (default 3 s) and how long its token takes followups
// (default 15 minutes); contract A.2.23.
func WithInteractionTimeouts(initial, followups time.Duration) Option {
	return func(o *options) { o.initialResponse, o.followupWindow = initial, followups }
}

// Answer is a bot's first response to an interaction, as an
// AnswerObserver sees it.
type Answer struct {
	InteractionID Snowflake
	// Type is the callback type (4, 5, ...).
	Type int
	// After is the real time from dispatching INTERACTION_CREATE to the
	// callback's arrival.
	After time.Duration
}

// WithAnswerObserver calls fn for every first response to an interaction,
// as it arrives: a load test measures latency with it without polling.
// fn runs with the emulator's lock held: it must return fast and must not
// call the Server.
func WithAnswerObserver(fn func(Answer)) Option { return func(o *options) { o.answered = fn } }

// WithReplyWait sets how long RunCommand and the other person actions wait
// for a deferred interaction's reply (default 5 s).
func WithReplyWait(d time.Duration) Option { return func(o *options) { o.replyWait = d } }
