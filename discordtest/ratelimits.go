package discordtest

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hearthbot/hearth/discordtest/internal/quota"
)

// RouteLimit is the rate limit of one route.
type RouteLimit struct {
	// Bucket names the limit. Routes with the same Bucket share one counter
	// per major parameter, and answer the same X-RateLimit-Bucket, an
	// opaque hash of this name (contract A.1.1, C.3).
	Bucket  string
	Limit   int
	Period  time.Duration
	Sliding bool
	// NoHeaders makes the route unlimited and silent: no X-RateLimit-*
	// headers at all, as some GET routes answer (contract C.10).
	NoHeaders bool
}

func (l RouteLimit) window() quota.Window {
	return quota.Window{Limit: l.Limit, Period: l.Period, Sliding: l.Sliding}
}

// hash is the opaque X-RateLimit-Bucket value of a bucket name.
func bucketHash(name string) string {
	sum := sha256.Sum256([]byte("discordtest bucket " + name))
	return hex.EncodeToString(sum[:16])
}

// defaultRouteLimits are realistic limits, close to what Discord answers
// today; any can be replaced with WithRouteLimit.
func defaultRouteLimits() map[string]RouteLimit {
	s := func(bucket string, n int, per time.Duration) RouteLimit {
		return RouteLimit{Bucket: bucket, Limit: n, Period: per, Sliding: true}
	}
	f := func(bucket string, n int, per time.Duration) RouteLimit {
		return RouteLimit{Bucket: bucket, Limit: n, Period: per}
	}
	silent := RouteLimit{NoHeaders: true}
	commands := s("application-commands", 5, 20*time.Second)
	reactions := f("reactions", 1, 250*time.Millisecond) // A.4 O3, C.13
	webhook := s("webhook", 5, 2*time.Second)            // A.2.13
	bans := s("guild-bans", 5, 5*time.Second)
	return map[string]RouteLimit{
		"GET /gateway":                 s("gateway", 5, 5*time.Second),
		"GET /gateway/bot":             s("gateway-bot", 2, 5*time.Second), // A.4 O6
		"GET /users/@me":               s("users-me", 5, 5*time.Second),
		"GET /applications/@me":        silent,
		"GET /oauth2/applications/@me": silent,
		"POST /users/@me/channels":     s("dm-create", 5, 5*time.Second),

		"GET /applications/{application_id}/commands":                                   commands,
		"PUT /applications/{application_id}/commands":                                   commands,
		"POST /applications/{application_id}/commands":                                  commands,
		"GET /applications/{application_id}/commands/{command_id}":                      commands,
		"PATCH /applications/{application_id}/commands/{command_id}":                    commands,
		"DELETE /applications/{application_id}/commands/{command_id}":                   commands,
		"GET /applications/{application_id}/guilds/{guild_id}/commands":                 commands,
		"PUT /applications/{application_id}/guilds/{guild_id}/commands":                 commands,
		"POST /applications/{application_id}/guilds/{guild_id}/commands":                commands,
		"GET /applications/{application_id}/guilds/{guild_id}/commands/{command_id}":    commands,
		"PATCH /applications/{application_id}/guilds/{guild_id}/commands/{command_id}":  commands,
		"DELETE /applications/{application_id}/guilds/{guild_id}/commands/{command_id}": commands,

		"POST /interactions/{interaction_id}/{interaction_token}/callback":    s("interaction-callback", 5, time.Second),
		"POST /webhooks/{webhook_id}/{webhook_token}":                         webhook,
		"GET /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}":    webhook,
		"PATCH /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}":  webhook,
		"DELETE /webhooks/{webhook_id}/{webhook_token}/messages/{message_id}": webhook,

		"GET /channels/{channel_id}":                                                      s("channel", 5, 5*time.Second),
		"PATCH /channels/{channel_id}":                                                    s("channel-edit", 5, 5*time.Second),
		"PUT /channels/{channel_id}/permissions/{overwrite_id}":                           s("channel-permissions", 5, 5*time.Second),
		"DELETE /channels/{channel_id}/permissions/{overwrite_id}":                        s("channel-permissions", 5, 5*time.Second),
		"GET /channels/{channel_id}/messages":                                             s("messages-read", 5, time.Second),
		"GET /channels/{channel_id}/messages/{message_id}":                                s("messages-read", 5, time.Second),
		"POST /channels/{channel_id}/messages":                                            s("message-create", 5, 5*time.Second),
		"PATCH /channels/{channel_id}/messages/{message_id}":                              s("message-edit", 5, 5*time.Second),
		"DELETE /channels/{channel_id}/messages/{message_id}":                             s("message-delete", 3, 333*time.Millisecond),
		"POST /channels/{channel_id}/messages/bulk-delete":                                s("bulk-delete", 1, time.Second),
		"PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me":          reactions,
		"DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me":       reactions,
		"DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user_id}": reactions,
		"GET /channels/{channel_id}/messages/{message_id}/reactions/{emoji}":              s("reactions-read", 5, time.Second),
		"DELETE /channels/{channel_id}/messages/{message_id}/reactions":                   reactions,

		"GET /guilds/{guild_id}":                                      s("guild", 5, 5*time.Second),
		"PATCH /guilds/{guild_id}":                                    s("guild-edit", 5, 5*time.Second),
		"GET /guilds/{guild_id}/channels":                             s("guild-channels", 5, 5*time.Second),
		"GET /guilds/{guild_id}/roles":                                s("guild-roles", 5, 5*time.Second),
		"GET /guilds/{guild_id}/members/{user_id}":                    s("guild-member", 5, time.Second),
		"GET /guilds/{guild_id}/members":                              s("guild-members", 10, 10*time.Second),
		"GET /guilds/{guild_id}/members/search":                       s("guild-members-search", 10, 10*time.Second),
		"PATCH /guilds/{guild_id}/members/{user_id}":                  s("guild-member-edit", 10, 10*time.Second),
		"DELETE /guilds/{guild_id}/members/{user_id}":                 s("guild-member-kick", 5, 5*time.Second),
		"PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}":    f("guild-member-roles", 10, 10*time.Second), // A.4 O1: fixed
		"DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}": f("guild-member-roles", 10, 10*time.Second),
		"GET /guilds/{guild_id}/bans":                                 s("guild-bans-read", 5, 5*time.Second),
		"GET /guilds/{guild_id}/bans/{user_id}":                       s("guild-bans-read", 5, 5*time.Second),
		"PUT /guilds/{guild_id}/bans/{user_id}":                       bans,
		"DELETE /guilds/{guild_id}/bans/{user_id}":                    bans,
		"GET /guilds/{guild_id}/audit-logs":                           s("guild-audit-log", 5, 5*time.Second),
	}
}

// Delete-message buckets by the message's age (contract A.4 O2).
var (
	deleteOldLimit   = RouteLimit{Bucket: "message-delete-old", Limit: 30, Period: 4 * time.Second, Sliding: true}
	deleteYoungLimit = RouteLimit{Bucket: "message-delete-young", Limit: 5, Period: time.Second, Sliding: true}
)

// forced429 is an injected run of 429 answers on one route.
type forced429 struct {
	left       int
	scope      string
	retryAfter time.Duration
}

// limits is the emulator's rate-limit state and its injected faults.
type limits struct {
	mu         sync.Mutex
	routes     map[string]RouteLimit
	counter    *quota.Counter
	global     quota.Window
	forced     map[string]*forced429
	bannedTill time.Time
	revoked    bool
	fail5xx    float64
	latency    time.Duration
	jitter     time.Duration
}

func newLimits(o *options) *limits {
	routes := defaultRouteLimits()
	for k, v := range o.routeLimits {
		routes[k] = v
	}
	return &limits{routes: routes, counter: quota.NewCounter(), forced: map[string]*forced429{},
		global: quota.Window{Limit: o.globalLimit, Period: time.Second, Sliding: o.globalSliding}}
}

func (l *limits) route(name string) (RouteLimit, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.routes[name]
	return r, ok
}

// setRateLimitHeaders writes the X-RateLimit-* headers of a decision.
func setRateLimitHeaders(h http.Header, d quota.Decision, bucket string, now time.Time) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(d.Remaining))
	reset := now.Add(d.ResetAfter)
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(reset.UnixMilli())/1000, 'f', 3, 64))
	h.Set("X-RateLimit-Reset-After", seconds(d.ResetAfter))
	h.Set("X-RateLimit-Bucket", bucket)
}

// seconds formats a duration as fractional seconds with millisecond
// precision, as Reset-After and retry_after are (contract A.1.4).
func seconds(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Milliseconds())/1000, 'f', 3, 64)
}

// retryAfterHeader is the Retry-After header: whole seconds, rounded up
// (contract A.1.9).
func retryAfterHeader(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}

// --- Fault injection and rate-limit controls ---

// Inject429 makes the next n requests to route answer 429 with the given
// scope ("user" or "shared") and retry_after, while the route's headers
// still show what its bucket really has left (contract C.4, C.11, C.12).
// With scope "global" the answer is a global 429 as Discord sends it:
// Retry-After rounded up, X-RateLimit-Global, no bucket headers and
// "global": true (contract A.1.8, C.5); interaction routes, exempt from
// the global limit, never get one.
func (s *Server) Inject429(route string, n int, scope string, retryAfter time.Duration) {
	s.limits.mu.Lock()
	s.limits.forced[route] = &forced429{left: n, scope: scope, retryAfter: retryAfter}
	s.limits.mu.Unlock()
}

// SetRouteLimit replaces a route's limit mid-run: giving it another
// Bucket changes its X-RateLimit-Bucket hash (contract C.8).
func (s *Server) SetRouteLimit(route string, l RouteLimit) {
	s.limits.mu.Lock()
	s.limits.routes[route] = l
	s.limits.mu.Unlock()
}

// RouteLimit returns the limit a route has now.
func (s *Server) RouteLimit(route string) (RouteLimit, bool) { return s.limits.route(route) }

// BucketHash returns the X-RateLimit-Bucket value answered for a bucket name.
func BucketHash(bucket string) string { return bucketHash(bucket) }

// BanFor starts a Cloudflare-style ban: every request gets a 429 with no
// rate-limit headers, no Retry-After and no Via header (contract A.4 O4, C.14).
func (s *Server) BanFor(d time.Duration) {
	s.limits.mu.Lock()
	s.limits.bannedTill = s.clock.Now().Add(d)
	s.limits.mu.Unlock()
}

// RevokeToken invalidates the bot token: every authenticated request
// answers 401 from now on, and the gateway refuses it with 4004.
func (s *Server) RevokeToken() {
	s.limits.mu.Lock()
	s.limits.revoked = true
	s.limits.mu.Unlock()
}

// Fail5xx makes a share (0 to 1) of requests answer 502, 503 or 504 with no
// rate-limit headers, chosen by the seeded random source (contract C.19).
func (s *Server) Fail5xx(share float64) {
	s.limits.mu.Lock()
	s.limits.fail5xx = share
	s.limits.mu.Unlock()
}

// SetLatency delays every REST answer by base plus a random share of jitter.
func (s *Server) SetLatency(base, jitter time.Duration) {
	s.limits.mu.Lock()
	s.limits.latency, s.limits.jitter = base, jitter
	s.limits.mu.Unlock()
}
