package discordtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// apiPrefix is where the REST API lives, as on discord.com.
const apiPrefix = "/api/v10"

// maxBody bounds a request body (Discord's attachment limit for bots).
const maxBody = 25 << 20

// authKind says how a route authenticates.
type authKind int

const (
	authBot  authKind = iota // Authorization: Bot <token>
	authNone                 // interaction callbacks and webhooks: the token is in the path
)

// handler answers one REST request: a status and a body to encode as
// JSON, or an *apiError.
type handler func(c *call) (int, any)

// call is one REST request on its way through the emulator.
type call struct {
	s     *Server
	r     *http.Request
	route string
	now   time.Time
	body  []byte
}

// id returns a snowflake path value.
func (c *call) id(name string) (Snowflake, bool) {
	v, err := parseSnowflake(c.r.PathValue(name))
	return v, err == nil
}

// decode reads the JSON body into v. Unknown fields are ignored, as
// Discord ignores them; malformed JSON is a 50109.
func (c *call) decode(v any) *apiError {
	if len(c.body) == 0 {
		return &apiError{Status: 400, Code: 50109, Message: "The request body contains invalid JSON."}
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return &apiError{Status: 400, Code: 50109, Message: "The request body contains invalid JSON."}
	}
	return nil
}

// reason is the decoded X-Audit-Log-Reason header.
func (c *call) reason() string {
	r := c.r.Header.Get("X-Audit-Log-Reason")
	if d, err := url.PathUnescape(r); err == nil {
		return d
	}
	return r
}

// handle registers a route, "METHOD /path/{param}", under /api/v10.
func (s *Server) handle(route string, auth authKind, h handler) {
	method, path, _ := strings.Cut(route, " ")
	s.mux.HandleFunc(method+" "+apiPrefix+path, func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, route, auth, h)
	})
}

// routes registers every REST route the emulator serves.
func (s *Server) routes() {
	s.mux.HandleFunc(apiPrefix+"/", func(w http.ResponseWriter, r *http.Request) {
		s.serve(w, r, "", authNone, func(*call) (int, any) { return 0, errNotFound })
	})
	s.restGateway()
	s.restApplication()
	s.restCommands()
	s.restInteractions()
	s.restMessages()
	s.restChannels()
	s.restGuilds()
	s.restMembers()
}

// serve runs one request through what Discord's edge and API do, in
// order: the Cloudflare ban, the User-Agent check, injected 5xx, the
// token, the global limit, the route's bucket, then the handler.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, route string, auth authKind, h handler) {
	start := time.Now()
	now := s.clock.Now()
	rec := Request{Time: now, Method: r.Method, Path: r.URL.Path, Route: route}
	hdr := w.Header()
	hdr.Set("Date", now.UTC().Format(http.TimeFormat))
	defer func() {
		rec.Duration = time.Since(start)
		s.journal.add(rec)
	}()

	l := s.limits
	l.mu.Lock()
	banned := now.Before(l.bannedTill)
	revoked := l.revoked
	fail := l.fail5xx > 0 && s.randFloat() < l.fail5xx
	delay := l.latency
	if l.jitter > 0 {
		delay += time.Duration(s.randFloat() * float64(l.jitter))
	}
	l.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}

	if banned { // contract A.4 O4: Cloudflare answers, so no Via and no rate-limit headers
		rec.Status, rec.Scope = 429, "cloudflare"
		writeJSON(w, 429, map[string]any{"code": 0, "message": "You are being blocked from accessing our API temporarily due to exceeding our rate limits frequently. Please read our docs at https://discord.com/developers/docs/topics/rate-limits to prevent this moving forward."})
		return
	}
	hdr.Set("Via", "1.1 google")

	answer := func(status int, body any) {
		if e, ok := body.(*apiError); ok {
			status, rec.Code = e.Status, e.Code
		}
		rec.Status = status
		if status == 401 || status == 403 || (status == 429 && rec.Scope != "shared") {
			rec.Invalid = true
			s.countInvalid(now)
		}
		if status == 204 {
			w.WriteHeader(204)
			return
		}
		writeJSON(w, status, body)
	}

	if s.opts.checkUserAgent && !strings.HasPrefix(r.Header.Get("User-Agent"), "DiscordBot") {
		answer(0, errBadUserAgent)
		return
	}
	if fail {
		codes := []int{502, 503, 504}
		st := codes[int(s.randFloat()*3)%3]
		answer(st, map[string]any{"message": http.StatusText(st), "code": 0})
		return
	}

	token := ""
	if auth == authBot {
		token = strings.TrimPrefix(r.Header.Get("Authorization"), "Bot ")
		if revoked || token != s.token || !strings.HasPrefix(r.Header.Get("Authorization"), "Bot ") {
			answer(0, errUnauthorized)
			return
		}
	}

	// The global limit counts every request of the token except the
	// interaction routes (contract A.1.11, A.1.12).
	if route != "" && !s.interactionRoute(r, route) {
		key := "global:" + token
		if token == "" {
			key = "global-ip:" + clientIP(r)
		}
		if ra, ok := s.takeForcedGlobal(route); ok { // injected: the window itself is untouched
			rec.Scope = "global"
			answer(429, writeGlobal429(hdr, ra))
			return
		}
		if d := l.counter.Take(key, l.global, now); !d.Allowed {
			rec.Scope = "global"
			answer(429, writeGlobal429(hdr, d.RetryAfter))
			return
		}
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		answer(413, &apiError{Status: 413, Code: 40005, Message: "Request entity too large"})
		return
	}
	c := &call{s: s, r: r, route: route, now: now, body: body}
	rec.Reason = c.reason()

	if rl, ok := s.routeLimit(c); ok && !rl.NoHeaders && rl.Limit > 0 {
		rec.Major = majorParameter(r)
		rec.Bucket = bucketHash(rl.Bucket)
		key := rl.Bucket + "|" + rec.Major
		l.mu.Lock()
		forced := l.forced[route]
		if forced != nil && forced.left > 0 && forced.scope != "global" {
			forced.left--
		} else {
			forced = nil
		}
		l.mu.Unlock()
		if forced != nil {
			d := l.counter.Peek(key, rl.window(), now)
			setRateLimitHeaders(hdr, d, rec.Bucket, now)
			rec.Scope = forced.scope
			hdr.Set("Retry-After", retryAfterHeader(forced.retryAfter))
			hdr.Set("X-RateLimit-Scope", forced.scope)
			b := map[string]any{"message": "You are being rate limited.", "retry_after": jsonSeconds(forced.retryAfter), "global": false}
			if forced.scope == "shared" {
				b["message"], b["code"] = "The resource is being rate limited.", 40062
			}
			answer(429, b)
			return
		}
		d := l.counter.Take(key, rl.window(), now)
		setRateLimitHeaders(hdr, d, rec.Bucket, now)
		if !d.Allowed {
			rec.Scope = "user"
			hdr.Set("Retry-After", retryAfterHeader(d.RetryAfter))
			hdr.Set("X-RateLimit-Scope", "user")
			answer(429, map[string]any{"message": "You are being rate limited.", "retry_after": jsonSeconds(d.RetryAfter), "global": false})
			return
		}
		if s.opts.scopeOn2xx {
			hdr.Set("X-RateLimit-Scope", "user")
		}
	}
	answer(h(c))
}

// routeLimit finds the limit of a request's route. Deleting a message
// is limited by the message's age (contract A.4 O2).
func (s *Server) routeLimit(c *call) (RouteLimit, bool) {
	rl, ok := s.limits.route(c.route)
	if !ok || c.route != "DELETE /channels/{channel_id}/messages/{message_id}" {
		return rl, ok
	}
	id, ok := c.id("message_id")
	if !ok {
		return deleteYoungLimit, true
	}
	s.mu.Lock()
	_, exists := s.world.messages[id]
	s.mu.Unlock()
	age := c.now.Sub(id.Time())
	switch {
	case !exists || age < 10*time.Second:
		return deleteYoungLimit, true
	case age > 14*24*time.Hour:
		return deleteOldLimit, true
	}
	return rl, true
}

// interactionRoute reports whether a request is an interaction callback
// or an interaction webhook, exempt from the global limit (A.1.12).
func (s *Server) interactionRoute(r *http.Request, route string) bool {
	if strings.HasPrefix(route, "POST /interactions/") {
		return true
	}
	if strings.Contains(route, "/webhooks/{webhook_id}") {
		id, err := parseSnowflake(r.PathValue("webhook_id"))
		return err == nil && id == s.world.appID
	}
	return false
}

// majorParameter is the top-level resource a limit is counted on
// (contract A.1.2): the guild, the channel, the webhook with its token,
// or the interaction.
func majorParameter(r *http.Request) string {
	for _, p := range []string{"channel_id", "guild_id", "interaction_id"} {
		if v := r.PathValue(p); v != "" {
			return v
		}
	}
	if v := r.PathValue("webhook_id"); v != "" {
		return v + "/" + r.PathValue("webhook_token")
	}
	return ""
}

func (s *Server) countInvalid(now time.Time) {
	if n := s.invalid.Add(now); n >= s.opts.invalidLimit {
		// contract C.15: the ban, then a revoked token.
		s.limits.mu.Lock()
		if !now.Before(s.limits.bannedTill) || s.limits.bannedTill.IsZero() {
			s.limits.bannedTill = now.Add(s.opts.banDuration)
			s.limits.revoked = true
		}
		s.limits.mu.Unlock()
	}
}

func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return host
}

// jsonSeconds is a duration in seconds with millisecond precision, for
// the retry_after of a 429 body.
func jsonSeconds(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		status, b = 500, []byte(`{"message":"500: Internal Server Error","code":0}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
