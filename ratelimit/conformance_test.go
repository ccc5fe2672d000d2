package ratelimit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/discordtest"
)

// These tests play every REST scenario of CONTRACT.md section C against
// discordtest, through disgo's own REST client with the Limiter plugged
// in, and check what the emulator saw. Most share one fake clock between
// the emulator and the Limiter, so windows of seconds take no real time.

const channelRoute = "GET /channels/{channel_id}"

func sf(id discordtest.Snowflake) snowflake.ID { return snowflake.ID(id) }

// channels returns n text channels of the seeded world (each guild has
// four: general, mod-log, announcements, off-topic).
func channels(srv *discordtest.Server, n int) []snowflake.ID {
	var out []snowflake.ID
	for _, g := range srv.Guilds() {
		for _, c := range g.Channels {
			if c.Type == discordtest.ChannelText || c.Type == discordtest.ChannelAnnouncement {
				out = append(out, sf(c.ID))
				if len(out) == n {
					return out
				}
			}
		}
	}
	return out
}

// announcements is a channel where @everyone may not send: a bot
// without SEND_MESSAGES gets 403 50013 there.
func announcements(srv *discordtest.Server) snowflake.ID {
	return sf(srv.Guilds()[0].Channel("announcements").ID)
}

func TestC01ColdStartProbesOnceThenSendsUpToRemaining(t *testing.T) {
	// contract C.1: before the bucket is known, one request in flight per
	// (method, route, major); once known, up to remaining at once, never more.
	r := newRig(t, rigOpts{srv: []discordtest.Option{
		discordtest.WithRouteLimit(channelRoute, discordtest.RouteLimit{Bucket: "c1", Limit: 5, Period: 5 * time.Second}),
	}})
	ch := channels(r.srv, 1)[0]
	must(t, r.run(12, func(int) error { _, err := r.rest.GetChannel(ch); return err }))

	ev := r.watch.log()
	if !ev[0].start || ev[1].start {
		t.Fatalf("got %+v first; want one probe answered before any other request", ev[:2])
	}
	if r.watch.peak > 4 {
		t.Errorf("got %d requests on the wire at once; want at most remaining = 4", r.watch.peak)
	}
	if r.watch.peak < 2 {
		t.Errorf("got at most %d request at once; want the known remaining sent together", r.watch.peak)
	}
	reqs := r.srv.RequestsTo(channelRoute)
	if n := r.srv.RateLimited(""); n != 0 {
		t.Errorf("got %d 429s; want none", n)
	}
	if got := maxPerWindow(reqs, 5*time.Second); got > 5 {
		t.Errorf("got %d requests in one 5 s window; want at most 5", got)
	}
	// 12 requests at 5 per 5 s: the last window opens at 10 s.
	if end := reqs[len(reqs)-1].Time.Sub(t0); end < 10*time.Second || end > 10*time.Second+50*time.Millisecond {
		t.Errorf("got the last request at +%v; want +10 s (plus margins)", end)
	}
}

func TestC02AnExhaustedChannelDoesNotHoldAnother(t *testing.T) {
	// contract C.2, A.1.2: channel A exhausted, channel B fresh: B goes at
	// once, only A waits.
	r := newRig(t, rigOpts{srv: []discordtest.Option{
		discordtest.WithRouteLimit(channelRoute, discordtest.RouteLimit{Bucket: "c2", Limit: 2, Period: 10 * time.Second}),
	}})
	chs := channels(r.srv, 2)
	a, b := chs[0], chs[1]
	must(t, r.run(2, func(int) error { _, err := r.rest.GetChannel(a); return err }))
	doneA1, resA1 := start(func() error { _, err := r.rest.GetChannel(a); return err })
	doneA2, resA2 := start(func() error { _, err := r.rest.GetChannel(a); return err })
	waitReal(t, "A's requests held", func() bool { return r.lim.Stats().Queued == 2 })
	for range 2 {
		if err := immediate(t, func() error { _, err := r.rest.GetChannel(b); return err }); err != nil {
			t.Fatal(err)
		}
	}
	r.drive(func() bool { return doneA1() && doneA2() })
	must(t, []error{resA1(), resA2()})
	for _, q := range r.srv.RequestsTo(channelRoute) {
		if q.Major == b.String() && !q.Time.Equal(t0) {
			t.Errorf("channel B sent at +%v; want at once", q.Time.Sub(t0))
		}
	}
	var lateA int
	for _, q := range r.srv.RequestsTo(channelRoute) {
		if q.Major == a.String() && q.Time.Sub(t0) >= 10*time.Second {
			lateA++
		}
	}
	if lateA != 2 {
		t.Errorf("got %d requests to A after its reset; want 2", lateA)
	}
	if n := r.srv.RateLimited(""); n != 0 {
		t.Errorf("got %d 429s; want none", n)
	}
}

// start runs f in a goroutine; the returned function says whether it has
// returned and with what.
func start(f func() error) (done func() bool, result func() error) {
	ch := make(chan error, 1)
	var err error
	var finished bool
	go func() { ch <- f() }()
	done = func() bool {
		if finished {
			return true
		}
		select {
		case err = <-ch:
			finished = true
		default:
		}
		return finished
	}
	return done, func() error { return err }
}

// immediate runs f, which must not need the fake clock to move, without
// driving the clock; it fails the test if f takes 5 s of real time.
func immediate(t *testing.T, f func() error) error {
	t.Helper()
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	select {
	case err := <-ch:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("held; want it sent without waiting")
		return nil
	}
}

// waitReal polls cond in real time (for what happens on the wire, which
// the fake clock does not move).
func waitReal(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

func TestC03RoutesSharingAHashShareOneQueue(t *testing.T) {
	// contract C.3, A.1.1: two routes answer one X-RateLimit-Bucket and
	// share its counter per channel: one queue once the hash is seen, and
	// never more than the shared limit, cold start included.
	shared := discordtest.RouteLimit{Bucket: "c3", Limit: 2, Period: time.Second}
	r := newRig(t, rigOpts{srv: []discordtest.Option{
		discordtest.WithRouteLimit("GET /channels/{channel_id}/messages", shared),
		discordtest.WithRouteLimit("GET /channels/{channel_id}/messages/{message_id}", shared),
	}})
	ch := channels(r.srv, 1)[0]
	msg, err := r.rest.CreateMessage(ch, discord.MessageCreate{Content: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	must(t, r.run(12, func(i int) error {
		if i%2 == 0 {
			_, err := r.rest.GetMessages(ch, 0, 0, 0, 10)
			return err
		}
		_, err := r.rest.GetMessage(ch, msg.ID)
		return err
	}))
	if n := r.srv.RateLimited(""); n != 0 {
		t.Errorf("got %d 429s; want none", n)
	}
	var reqs []discordtest.Request
	for _, q := range r.srv.Requests() {
		if q.Bucket == discordtest.BucketHash("c3") {
			reqs = append(reqs, q)
		}
	}
	if got := maxPerWindow(reqs, time.Second); got > 2 {
		t.Errorf("got %d requests of the shared bucket in one second; want at most 2", got)
	}
	r.lim.mu.Lock()
	defer r.lim.mu.Unlock()
	var queues int
	for k := range r.lim.buckets {
		if k.hash == discordtest.BucketHash("c3") || k.hash == "" && k.route.route != "/channels/{channel.id}/messages" {
			queues++
		}
	}
	if queues != 1 {
		t.Errorf("got %d queues for the shared bucket; want 1", queues)
	}
}

func TestC04HiddenBucketHonoursRetryAfterForThatKeyOnly(t *testing.T) {
	// contract C.4, A.1.16: the headers show remaining > 0, yet 429s come.
	// The key waits retry_after, other keys do not, retries are capped.
	const route = "GET /guilds/{guild_id}/channels"
	r := newRig(t, rigOpts{})
	gs := r.srv.Guilds()
	r.srv.Inject429(route, 2, "user", 1500*time.Millisecond)
	done, result := start(func() error { _, err := r.rest.GetGuildChannels(sf(gs[0].ID)); return err })
	waitReal(t, "the first 429", func() bool { return r.srv.RateLimited("user") == 1 })
	// Meanwhile another key (the guild itself) goes at once.
	if err := immediate(t, func() error { _, err := r.rest.GetGuild(sf(gs[0].ID), false); return err }); err != nil {
		t.Fatal(err)
	}
	r.drive(done)
	if err := result(); err != nil {
		t.Fatalf("got %v; want success on the third attempt", err)
	}
	var times []time.Duration
	for _, q := range r.srv.RequestsTo(route) {
		times = append(times, q.Time.Sub(t0))
	}
	if len(times) != 3 || times[1] < 1500*time.Millisecond || times[2]-times[1] < 1500*time.Millisecond {
		t.Errorf("got attempts at %v; want three, 1.5 s apart", times)
	}
	for _, q := range r.srv.RequestsTo("GET /guilds/{guild_id}") {
		if !q.Time.Equal(t0) {
			t.Errorf("another key waited until +%v; want at once", q.Time.Sub(t0))
		}
	}

	// Capped: with more 429s than attempts, the caller gets the 429.
	r.srv.Inject429(route, 10, "user", 100*time.Millisecond)
	before := len(r.srv.RequestsTo(route))
	errs := r.run(1, func(int) error { _, err := r.rest.GetGuildChannels(sf(gs[1].ID)); return err })
	var re *rest.Error
	if !errors.As(errs[0], &re) || re.Response.StatusCode != 429 {
		t.Fatalf("got %v; want disgo's 429 error after the last attempt", errs[0])
	}
	if n := len(r.srv.RequestsTo(route)) - before; n != r.lim.MaxRetries() {
		t.Errorf("got %d attempts; want MaxRetries = %d", n, r.lim.MaxRetries())
	}
}

func TestC05GlobalRateLimitPausesEveryNonInteractionRequest(t *testing.T) {
	// contract C.5, A.1.8: Retry-After 2, X-RateLimit-Global, scope
	// global, retry_after 1.3, no bucket headers: nothing but interactions
	// goes for 1.3 s, then the request is retried; no header is taken as
	// "no limit".
	r := newRig(t, rigOpts{srv: []discordtest.Option{discordtest.WithGuilds(2)}})
	chs := channels(r.srv, 5)
	r.srv.Inject429(channelRoute, 1, "global", 1300*time.Millisecond)
	done, result := start(func() error { _, err := r.rest.GetChannel(chs[0]); return err })
	waitReal(t, "the global 429", func() bool { return r.lim.Stats().RateLimited.Global == 1 })
	errs := r.run(4, func(i int) error {
		if i == 3 {
			_, err := r.rest.GetGuild(sf(r.srv.Guilds()[0].ID), false)
			return err
		}
		_, err := r.rest.GetChannel(chs[i+1])
		return err
	})
	must(t, errs)
	r.drive(done)
	if err := result(); err != nil {
		t.Fatalf("got %v; want the retried request to succeed", err)
	}
	for i, q := range r.srv.Requests() {
		if i == 0 {
			if q.Status != 429 || q.Scope != "global" {
				t.Fatalf("got %d %q first; want the injected global 429", q.Status, q.Scope)
			}
			continue
		}
		if d := q.Time.Sub(t0); d < 1300*time.Millisecond {
			t.Errorf("%s %s sent at +%v; want none before +1.3 s", q.Method, q.Path, d)
		}
	}
	if n := r.srv.RateLimited(""); n != 1 {
		t.Errorf("got %d 429s; want only the injected one", n)
	}
}

func TestC06GlobalBudgetPacesFixedAndSlidingWindows(t *testing.T) {
	// contract C.6, A.1.11, A.4 O8: 150 requests for 150 channels at once:
	// at most 50 per second, whatever the emulator's global window.
	for _, sliding := range []bool{false, true} {
		name := map[bool]string{false: "fixed", true: "sliding"}[sliding]
		t.Run(name, func(t *testing.T) {
			r := newRig(t, rigOpts{srv: []discordtest.Option{discordtest.WithGuilds(38), discordtest.WithGlobalLimit(50, sliding)}})
			chs := channels(r.srv, 150)
			must(t, r.run(150, func(i int) error { _, err := r.rest.GetChannel(chs[i]); return err }))
			if n := r.srv.RateLimited(""); n != 0 {
				t.Errorf("got %d 429s; want none", n)
			}
			reqs := r.srv.Requests()
			if got := maxPerWindow(reqs, time.Second); got > 50 {
				t.Errorf("got %d requests in one second; want at most 50", got)
			}
			// 150 at 50 per second: the last 50 go in the third second.
			if end := reqs[len(reqs)-1].Time.Sub(t0); end > 2100*time.Millisecond {
				t.Errorf("got the last request at +%v; want about +2 s", end)
			}
		})
	}
}

// registerPing registers a /ping command for interactions.
func registerPing(t *testing.T, r *rig) {
	t.Helper()
	_, err := r.rest.SetGlobalCommands(sf(r.srv.ApplicationID()),
		[]discord.ApplicationCommandCreate{discord.SlashCommandCreate{Name: "ping", Description: "Answers pong"}})
	if err != nil {
		t.Fatal(err)
	}
}

// interaction opens an interaction: a person runs /ping.
func interaction(t *testing.T, r *rig) (snowflake.ID, string) {
	t.Helper()
	g := r.srv.Guilds()[0]
	id, token, err := r.srv.StartCommand(g.ID, g.Channel("general").ID, g.Member("member1").User.ID, "/ping")
	if err != nil {
		t.Fatal(err)
	}
	return sf(id), token
}

func pong(r *rig, id snowflake.ID, token string) error {
	return r.rest.CreateInteractionResponse(id, token, discord.InteractionResponse{
		Type: discord.InteractionResponseTypeCreateMessage, Data: discord.MessageCreate{Content: "pong"}})
}

func TestC07InteractionCallbacksSkipAnExhaustedGlobalBudget(t *testing.T) {
	// contract C.7, A.1.12: with the global budget spent and more waiting,
	// 10 interaction callbacks go out at once; a callback held 3 s would
	// get 10062.
	r := newRig(t, rigOpts{srv: []discordtest.Option{discordtest.WithGuilds(25)}})
	registerPing(t, r)
	type inter struct {
		id    snowflake.ID
		token string
	}
	var its []inter
	for range 10 {
		id, tok := interaction(t, r)
		its = append(its, inter{id, tok})
	}
	chs := channels(r.srv, 100)
	var gets []func() bool
	for i := range 250 {
		done, _ := start(func() error { _, err := r.rest.GetChannel(chs[i%100]); return err })
		gets = append(gets, done)
	}
	waitReal(t, "the global budget spent", func() bool {
		s := r.lim.Stats()
		return s.Queued >= 150 && s.InFlight == 0
	})
	// The callbacks need no time to pass: they go while the clock stands.
	before := r.clk.Now()
	errs := make(chan error, 10)
	for _, it := range its {
		go func() { errs <- pong(r, it.id, it.token) }()
	}
	for range 10 {
		if err := <-errs; err != nil {
			t.Fatalf("got %v; want the callback answered", err)
		}
	}
	for _, q := range r.srv.RequestsTo("POST /interactions/{interaction_id}/{interaction_token}/callback") {
		if !q.Time.Equal(before) || q.Status != 204 {
			t.Errorf("callback at +%v answered %d; want at once, 204", q.Time.Sub(before), q.Status)
		}
	}
	r.drive(func() bool {
		for _, d := range gets {
			if !d() {
				return false
			}
		}
		return true
	})
	if n := r.srv.RateLimited(""); n != 0 {
		t.Errorf("got %d 429s; want none", n)
	}
}

func TestC08ABucketHashChangeMovesTheRouteToTheNewBucket(t *testing.T) {
	// contract C.8: the route moves from h1 (5 per 5 s) to h2 (2 per 10 s):
	// its waiting requests move to h2's queue and follow h2's limit from
	// the next request on, with no burst of 429s.
	r := newRig(t, rigOpts{srv: []discordtest.Option{
		discordtest.WithRouteLimit(channelRoute, discordtest.RouteLimit{Bucket: "h1", Limit: 5, Period: 5 * time.Second}),
	}})
	ch := channels(r.srv, 1)[0]
	get := func(int) error { _, err := r.rest.GetChannel(ch); return err }
	must(t, r.run(5, get))
	r.srv.SetRouteLimit(channelRoute, discordtest.RouteLimit{Bucket: "h2", Limit: 2, Period: 10 * time.Second})
	switched := r.clk.Now()
	must(t, r.run(6, get))

	if n := r.srv.RateLimited(""); n != 0 {
		t.Errorf("got %d 429s; want none", n)
	}
	var after []discordtest.Request
	for _, q := range r.srv.RequestsTo(channelRoute) {
		if !q.Time.Before(switched.Add(time.Nanosecond)) && q.Bucket == discordtest.BucketHash("h2") {
			after = append(after, q)
		}
	}
	if len(after) != 6 {
		t.Fatalf("got %d requests on h2; want 6", len(after))
	}
	if got := maxPerWindow(after, 10*time.Second); got > 2 {
		t.Errorf("got %d requests on h2 in 10 s; want at most 2", got)
	}
	r.lim.mu.Lock()
	defer r.lim.mu.Unlock()
	id := routeID{method: "GET", route: "/channels/{channel.id}"}
	if h := r.lim.hashes[id]; h != discordtest.BucketHash("h2") {
		t.Errorf("got the route on hash %q; want h2's", h)
	}
	for k, b := range r.lim.buckets {
		if k.hash == discordtest.BucketHash("h1") && len(b.waiters) > 0 {
			t.Errorf("h1's queue still holds %d requests", len(b.waiters))
		}
	}
}

func TestC09FractionalResetAfterKeepsMilliseconds(t *testing.T) {
	// contract C.9, A.1.4: Reset-After 0.333 and 0.5: never wait 0 s (the
	// truncation bug), never a whole second: the reset, to the millisecond.
	for _, period := range []time.Duration{333 * time.Millisecond, 500 * time.Millisecond} {
		t.Run(period.String(), func(t *testing.T) {
			r := newRig(t, rigOpts{srv: []discordtest.Option{
				discordtest.WithRouteLimit(channelRoute, discordtest.RouteLimit{Bucket: "c9", Limit: 1, Period: period}),
			}})
			ch := channels(r.srv, 1)[0]
			must(t, r.run(4, func(int) error { _, err := r.rest.GetChannel(ch); return err }))
			if n := r.srv.RateLimited(""); n != 0 {
				t.Errorf("got %d 429s; want none", n)
			}
			reqs := r.srv.RequestsTo(channelRoute)
			for i := 1; i < len(reqs); i++ {
				gap := reqs[i].Time.Sub(reqs[i-1].Time)
				if gap < period || gap > period+5*time.Millisecond {
					t.Errorf("request %d came %v after the one before; want %v (+ a few ms)", i, gap, period)
				}
			}
		})
	}
}

func TestC10RouteWithoutHeadersIsUnlimitedButGloballyCounted(t *testing.T) {
	// contract C.10: GET /applications/@me answers no rate-limit headers:
	// unlimited, never stalled, but inside the global budget.
	r := newRig(t, rigOpts{
		srv: []discordtest.Option{discordtest.WithGlobalLimit(10, true)},
		lim: []Option{WithGlobalLimit(10)},
	})
	must(t, r.run(25, func(int) error { _, err := r.rest.GetCurrentApplication(); return err }))
	if n := r.srv.RateLimited(""); n != 0 {
		t.Errorf("got %d 429s; want none", n)
	}
	reqs := r.srv.Requests()
	if got := maxPerWindow(reqs, time.Second); got > 10 {
		t.Errorf("got %d requests in one second; want at most the global 10", got)
	}
	if r.watch.peak < 2 {
		t.Errorf("got at most %d request at once; want the unlimited route sent concurrently", r.watch.peak)
	}
}

func TestC11SharedScopeHoldsOnlyThatResourceAndIsNotInvalid(t *testing.T) {
	// contract C.11, A.1.10, A.1.14: Remaining 9, retry_after 1337 s,
	// scope shared: that key only, not an invalid request; past the
	// maximum wait, fail fast.
	r := newRig(t, rigOpts{})
	chs := channels(r.srv, 2)
	r.srv.Inject429(channelRoute, 1, "shared", 1337*time.Second)
	errs := r.run(1, func(int) error { _, err := r.rest.GetChannel(chs[0]); return err })
	var we *WaitError
	if !errors.Is(errs[0], ErrWaitTooLong) || !errors.As(errs[0], &we) || we.Scope != "shared" {
		t.Fatalf("got %v; want a *WaitError for the shared scope at once", errs[0])
	}
	// The key stays held: the next request fails here, without a request.
	errs = r.run(1, func(int) error { _, err := r.rest.GetChannel(chs[0]); return err })
	if !errors.Is(errs[0], ErrWaitTooLong) {
		t.Errorf("got %v; want ErrWaitTooLong for the held key", errs[0])
	}
	// Other keys on the hash carry on.
	must(t, r.run(3, func(int) error { _, err := r.rest.GetChannel(chs[1]); return err }))
	if n := len(r.srv.RequestsTo(channelRoute)); n != 4 {
		t.Errorf("got %d requests; want 1 (the 429) + 3 on the other channel", n)
	}
	if inv, ours := r.srv.InvalidRequests(), r.lim.Stats().InvalidRequests; inv != 0 || ours != 0 {
		t.Errorf("got %d invalid requests (ours %d); want a shared 429 not counted", inv, ours)
	}

	// A short shared 429 is waited out on that key and retried.
	r.srv.Inject429("GET /guilds/{guild_id}", 1, "shared", 2*time.Second)
	g := sf(r.srv.Guilds()[0].ID)
	start := r.clk.Now()
	must(t, r.run(1, func(int) error { _, err := r.rest.GetGuild(g, false); return err }))
	reqs := r.srv.RequestsTo("GET /guilds/{guild_id}")
	if len(reqs) != 2 || reqs[1].Time.Sub(start) < 2*time.Second {
		t.Errorf("got %d attempts, the last at +%v; want the retry after 2 s", len(reqs), reqs[len(reqs)-1].Time.Sub(start))
	}
}

func TestC12UserScope429WhileRemainingBacksOffThenUsesHeaders(t *testing.T) {
	// contract C.12, A.4 O3: a user 429 with Remaining > 0 (inaccurate
	// headers): back off retry_after on the key, then use the headers
	// again; retries are bounded.
	r := newRig(t, rigOpts{srv: []discordtest.Option{
		discordtest.WithRouteLimit(channelRoute, discordtest.RouteLimit{Bucket: "c12", Limit: 10, Period: 5 * time.Second, Sliding: true}),
	}})
	ch := channels(r.srv, 1)[0]
	must(t, r.run(1, func(int) error { _, err := r.rest.GetChannel(ch); return err }))
	r.srv.Inject429(channelRoute, 1, "user", 500*time.Millisecond)
	must(t, r.run(4, func(int) error { _, err := r.rest.GetChannel(ch); return err }))
	reqs := r.srv.RequestsTo(channelRoute)
	if n := r.srv.RateLimited(""); n != 1 {
		t.Errorf("got %d 429s; want only the injected one", n)
	}
	// The probe, four at once (one of them the 429), then the retry.
	if len(reqs) != 6 {
		t.Fatalf("got %d requests; want 6 (5 and one retry)", len(reqs))
	}
	var limitedAt time.Time
	for _, q := range reqs {
		if q.Status == 429 {
			limitedAt = q.Time
		}
	}
	if retry := reqs[5].Time.Sub(limitedAt); retry < 500*time.Millisecond || retry > 510*time.Millisecond {
		t.Errorf("got the retry %v after the 429; want retry_after, 0.5 s", retry)
	}
	// Then the headers again: the window still has room, so more go at once.
	now := r.clk.Now()
	must(t, r.run(1, func(int) error { _, err := r.rest.GetChannel(ch); return err }))
	if last := r.srv.RequestsTo(channelRoute); !last[len(last)-1].Time.Equal(now) {
		t.Errorf("got the next request at +%v; want at once", last[len(last)-1].Time.Sub(now))
	}

	// Bounded: 429 after 429, the caller gets the last one.
	r.srv.Inject429(channelRoute, 10, "user", 100*time.Millisecond)
	errs := r.run(1, func(int) error { _, err := r.rest.GetChannel(ch); return err })
	var re *rest.Error
	if !errors.As(errs[0], &re) || re.Response.StatusCode != 429 {
		t.Errorf("got %v; want the 429 after %d attempts", errs[0], r.lim.MaxRetries())
	}
}

func TestC13ReactionsShareOneQueuePerChannel(t *testing.T) {
	// contract C.13, A.4 O3: PUT and DELETE reactions on five messages and
	// emojis in one channel, limit 1 per 0.25 s: one queue, zero 429s.
	r := newRig(t, rigOpts{})
	ch := channels(r.srv, 1)[0]
	var msgs []snowflake.ID
	for i := range 5 {
		m, err := r.rest.CreateMessage(ch, discord.MessageCreate{Content: "m" + string(rune('0'+i))})
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m.ID)
	}
	emojis := []string{"👍", "🔥", "🎉", "👀", "✅"}
	must(t, r.run(10, func(i int) error {
		if i < 5 {
			return r.rest.AddReaction(ch, msgs[i], emojis[i])
		}
		return r.rest.RemoveOwnReaction(ch, msgs[i-5], emojis[(i+1)%5])
	}))
	if n := r.srv.RateLimited(""); n != 0 {
		t.Errorf("got %d 429s; want none", n)
	}
	var reqs []discordtest.Request
	for _, q := range r.srv.Requests() {
		if q.Bucket == discordtest.BucketHash("reactions") {
			reqs = append(reqs, q)
		}
	}
	if len(reqs) != 10 || maxPerWindow(reqs, 250*time.Millisecond) > 1 {
		t.Errorf("got %d reaction requests, up to %d per 250 ms; want 10, one at a time", len(reqs), maxPerWindow(reqs, 250*time.Millisecond))
	}
	r.lim.mu.Lock()
	defer r.lim.mu.Unlock()
	n := 0
	for k := range r.lim.buckets {
		if k.hash == discordtest.BucketHash("reactions") || k.route.route == reactionsFamily {
			n++
		}
	}
	if n != 1 {
		t.Errorf("got %d reaction queues for the channel; want 1", n)
	}
}

func TestC14CloudflareBanStopsAllTrafficAndBacksOff(t *testing.T) {
	// contract C.14, A.4 O4: a 429 with no rate-limit headers and no
	// Retry-After: never crash on the body, stop all traffic, back off for
	// minutes, alert, no retry loop.
	var alerts []Alert
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	r := newRig(t, rigOpts{lim: []Option{WithBanBackoff(5*time.Minute, time.Hour), WithAlert(func(a Alert) {
		<-mu
		alerts = append(alerts, a)
		mu <- struct{}{}
	})}})
	registerPing(t, r)
	id, tok := interaction(t, r)
	ch := channels(r.srv, 1)[0]
	r.srv.BanFor(time.Hour)
	before := len(r.srv.Requests())
	errs := r.run(1, func(int) error { _, err := r.rest.GetChannel(ch); return err })
	var be *BanError
	if !errors.Is(errs[0], ErrBanned) || !errors.As(errs[0], &be) || be.Until.Sub(r.clk.Now()) != 5*time.Minute {
		t.Fatalf("got %v; want a *BanError for 5 minutes", errs[0])
	}
	// Everything stops, interactions included, without a request.
	if err := pong(r, id, tok); !errors.Is(err, ErrBanned) {
		t.Errorf("got %v for an interaction; want ErrBanned", err)
	}
	if _, err := r.rest.GetChannel(ch); !errors.Is(err, ErrBanned) {
		t.Errorf("got %v; want ErrBanned", err)
	}
	if n := len(r.srv.Requests()) - before; n != 1 {
		t.Errorf("got %d requests during the ban; want 1", n)
	}
	<-mu
	if len(alerts) != 1 || alerts[0].Kind != "ban" {
		t.Errorf("got alerts %+v; want one ban alert", alerts)
	}
	mu <- struct{}{}
	// After the back-off one request tests the ban; still banned, the
	// back-off doubles: 5, 10, 20, 40 minutes, then the hour is over.
	for i, backoff := range []time.Duration{10 * time.Minute, 20 * time.Minute, 40 * time.Minute} {
		r.clk.AdvanceTo(be.Until)
		_, err := r.rest.GetChannel(ch)
		if !errors.As(err, &be) || be.Until.Sub(r.clk.Now()) != backoff {
			t.Fatalf("probe %d: got %v; want the ban again for %v", i, err, backoff)
		}
	}
	r.clk.AdvanceTo(be.Until)
	if _, err := r.rest.GetChannel(ch); err != nil {
		t.Fatalf("got %v for the probe after the ban; want success", err)
	}
	must(t, r.run(3, func(int) error { _, err := r.rest.GetChannel(ch); return err }))
	if n := len(r.srv.Requests()) - before; n != 8 {
		t.Errorf("got %d requests in all; want 1 + 4 probes + 3 after the ban", n)
	}
	if s := r.lim.Stats(); s.Bans != 1 || !s.BannedUntil.IsZero() || s.RateLimited.Edge != 4 {
		t.Errorf("got %+v; want one ban, over, with 4 edge 429s", s)
	}
}

func TestC14BlockedUserAgentIsABanToo(t *testing.T) {
	// contract C.14, A.4 O4: 403 code 40333 (a blocked User-Agent) stops
	// traffic like a ban.
	srv := discordtest.New(t)
	lim := New()
	client := rest.New(rest.NewClient(srv.Token(), rest.WithURL(srv.RESTURL()), rest.WithUserAgent("curl/8"),
		rest.WithRateLimiter(lim)))
	ch := channels(srv, 1)[0]
	if _, err := client.GetChannel(ch); err == nil {
		t.Fatal("got success with a blocked User-Agent; want 403 40333")
	}
	if _, err := client.GetChannel(ch); !errors.Is(err, ErrBanned) {
		t.Errorf("got %v; want ErrBanned after 40333", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("got %d requests; want 1", n)
	}
}

func TestC15InvalidRequestsAreCountedWarnedAndTheTokenFuseHolds(t *testing.T) {
	// contract C.15, A.1.14, A.1.15: count 401, 403 and non-shared 429,
	// warn and shed at the share, and after a 401 on the bot token fail
	// every bot-token request locally; interactions are not affected.
	var mu = make(chan struct{}, 1)
	mu <- struct{}{}
	var kinds []string
	r := newRig(t, rigOpts{
		srv: []discordtest.Option{discordtest.WithInvalidRequestLimit(40, 10*time.Minute, time.Hour),
			discordtest.WithBotPermissions(discordtest.PermViewChannel)},
		lim: []Option{WithInvalidRequestLimit(40), WithInvalidRequestWarn(0.5), WithAlert(func(a Alert) {
			<-mu
			kinds = append(kinds, a.Kind)
			mu <- struct{}{}
		})},
	})
	registerPing(t, r)
	ch := announcements(r.srv)
	errs := r.run(25, func(int) error {
		_, err := r.rest.CreateMessage(ch, discord.MessageCreate{Content: "x"})
		return err
	})
	for _, err := range errs {
		var re *rest.Error
		if !errors.As(err, &re) || re.Response.StatusCode != 403 {
			t.Fatalf("got %v; want 403", err)
		}
	}
	s := r.lim.Stats()
	if s.InvalidRequests != 25 || r.srv.InvalidRequests() != 25 || !s.Shedding {
		t.Errorf("got %d invalid (emulator %d), shedding %v; want 25, 25, shedding", s.InvalidRequests, r.srv.InvalidRequests(), s.Shedding)
	}
	if _, err := r.rest.GetChannel(ch, rest.WithCtx(NonEssential(context.Background()))); !errors.Is(err, ErrShed) {
		t.Errorf("got %v for a non-essential request; want ErrShed", err)
	}
	// An essential request still goes (once the channel's spent message
	// bucket, which an unknown route may share, has reset).
	must(t, r.run(1, func(int) error { _, err := r.rest.GetChannel(ch); return err }))

	r.srv.RevokeToken()
	id, tok := interaction(t, r)
	before := len(r.srv.Requests())
	errs = r.run(1, func(int) error { _, err := r.rest.GetChannel(ch); return err })
	var re *rest.Error
	if !errors.As(errs[0], &re) || re.Response.StatusCode != 401 {
		t.Fatalf("got %v; want 401", errs[0])
	}
	for _, err := range r.run(4, func(int) error { _, err := r.rest.GetChannel(ch); return err }) {
		if !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("got %v; want ErrTokenInvalid without a request", err)
		}
	}
	if n := len(r.srv.Requests()) - before; n != 1 {
		t.Errorf("got %d requests after the token was revoked; want the one 401", n)
	}
	if err := pong(r, id, tok); err != nil {
		t.Errorf("got %v for an interaction callback; want it sent (no bot token)", err)
	}
	<-mu
	if len(kinds) != 2 || kinds[0] != "invalid_requests" || kinds[1] != "token_invalid" {
		t.Errorf("got alerts %v; want invalid_requests then token_invalid", kinds)
	}
	mu <- struct{}{}
}

func TestC15ExpiredInteractionTokenDoesNotFuseTheBotToken(t *testing.T) {
	// contract C.15, A.2.23: 401 code 50027 on an interaction webhook says
	// the interaction token expired, nothing about the bot token.
	r := newRig(t, rigOpts{})
	registerPing(t, r)
	id, tok := interaction(t, r)
	if err := r.rest.CreateInteractionResponse(id, tok, discord.InteractionResponse{Type: discord.InteractionResponseTypeDeferredCreateMessage}); err != nil {
		t.Fatal(err)
	}
	r.clk.Advance(16 * time.Minute)
	app := sf(r.srv.ApplicationID())
	_, err := r.rest.CreateFollowupMessage(app, tok, discord.MessageCreate{Content: "late"})
	var re *rest.Error
	if !errors.As(err, &re) || re.Code != 50027 {
		t.Fatalf("got %v; want 401 50027", err)
	}
	if _, err := r.rest.GetChannel(channels(r.srv, 1)[0]); err != nil {
		t.Errorf("got %v for a bot-token request; want it sent", err)
	}
	if _, err := r.rest.CreateFollowupMessage(app, tok, discord.MessageCreate{Content: "again"}); !errors.Is(err, ErrWebhookGone) {
		t.Errorf("got %v for the expired token again; want ErrWebhookGone", err)
	}
	if r.lim.Stats().TokenInvalid {
		t.Error("got the bot token marked invalid; want it untouched")
	}
}

func TestC16AWebhookThatAnswered404IsNeverCalledAgain(t *testing.T) {
	// contract C.16, A.1.15: 404 Unknown Webhook (10015): fail locally from
	// then on.
	r := newRig(t, rigOpts{})
	send := func(id snowflake.ID) error {
		_, err := r.rest.CreateWebhookMessage(id, "token", discord.WebhookMessageCreate{Content: "x"}, rest.CreateWebhookMessageParams{Wait: true})
		return err
	}
	var re *rest.Error
	if err := send(111111111111111111); !errors.As(err, &re) || re.Code != 10015 {
		t.Fatalf("got %v; want 404 10015", err)
	}
	for range 3 {
		if err := send(111111111111111111); !errors.Is(err, ErrWebhookGone) {
			t.Errorf("got %v; want ErrWebhookGone", err)
		}
	}
	if err := send(222222222222222222); !errors.As(err, &re) {
		t.Errorf("got %v for another webhook; want it sent", err)
	}
	if n := len(r.srv.Requests()); n != 2 {
		t.Errorf("got %d requests; want 2 (one per webhook)", n)
	}
}

func TestC17Repeated403sAreNotRetried(t *testing.T) {
	// contract C.17: 403 code 50013: no retries, the error to the caller.
	r := newRig(t, rigOpts{srv: []discordtest.Option{discordtest.WithBotPermissions(discordtest.PermViewChannel)}})
	ch := announcements(r.srv)
	errs := r.run(5, func(int) error {
		_, err := r.rest.CreateMessage(ch, discord.MessageCreate{Content: "x"})
		return err
	})
	for _, err := range errs {
		var re *rest.Error
		if !errors.As(err, &re) || re.Code != 50013 {
			t.Errorf("got %v; want 403 50013", err)
		}
	}
	if n := len(r.srv.Requests()); n != 5 {
		t.Errorf("got %d requests; want 5, none repeated", n)
	}
}

func TestC18CancellationReleasesTheSlot(t *testing.T) {
	// contract C.18: a context ending while its request is queued, or
	// while it is in flight, frees the slot for the next.
	t.Run("queued", func(t *testing.T) {
		r := newRig(t, rigOpts{srv: []discordtest.Option{
			discordtest.WithRouteLimit(channelRoute, discordtest.RouteLimit{Bucket: "c18", Limit: 1, Period: 10 * time.Second}),
		}})
		ch := channels(r.srv, 1)[0]
		must(t, r.run(1, func(int) error { _, err := r.rest.GetChannel(ch); return err }))
		ctx, cancel := context.WithCancel(context.Background())
		cancelled, cres := start(func() error { _, err := r.rest.GetChannel(ch, rest.WithCtx(ctx)); return err })
		waitReal(t, "the request queued", func() bool { return r.lim.Stats().Queued == 1 })
		next, nres := start(func() error { _, err := r.rest.GetChannel(ch); return err })
		waitReal(t, "the second request queued", func() bool { return r.lim.Stats().Queued == 2 })
		cancel()
		r.drive(func() bool { return cancelled() && next() })
		if !errors.Is(cres(), context.Canceled) {
			t.Errorf("got %v; want context.Canceled", cres())
		}
		if err := nres(); err != nil {
			t.Errorf("got %v for the next request; want it sent", err)
		}
		if n := len(r.srv.RequestsTo(channelRoute)); n != 2 {
			t.Errorf("got %d requests; want 2 (the cancelled one never sent)", n)
		}
	})
	t.Run("in flight", func(t *testing.T) {
		r := newRig(t, rigOpts{})
		ch := channels(r.srv, 1)[0]
		r.srv.SetLatency(300*time.Millisecond, 0)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		if _, err := r.rest.GetChannel(ch, rest.WithCtx(ctx)); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v; want the deadline", err)
		}
		r.srv.SetLatency(0, 0)
		if s := r.lim.Stats(); s.InFlight != 0 {
			t.Errorf("got %d in flight after the cancellation; want 0", s.InFlight)
		}
		must(t, r.run(3, func(int) error { _, err := r.rest.GetChannel(ch); return err }))
	})
}

func TestC19FiveHundredsAreRetriedOnlyWhenIdempotent(t *testing.T) {
	// contract C.19, A.1.19: 5xx: bounded, jittered retries for idempotent
	// requests; a 502 is not invalid; a failed POST goes to the caller.
	r := newRig(t, rigOpts{real: true, srv: []discordtest.Option{discordtest.WithGuilds(5)},
		retry: []RetryOption{RetryAttempts(8), RetryBackoff(time.Millisecond, 4*time.Millisecond)}})
	chs := channels(r.srv, 20)
	r.srv.Fail5xx(0.4)
	must(t, r.run(20, func(i int) error { _, err := r.rest.GetChannel(chs[i]); return err }))
	st := statuses(r.srv.Requests())
	if st[502]+st[503]+st[504] == 0 {
		t.Fatal("got no 5xx; want some injected")
	}
	rt := r.watch.next.(*RetryTransport)
	if rt.Retries() != uint64(st[502]+st[503]+st[504]) {
		t.Errorf("got %d retries for %d 5xx answers; want one each", rt.Retries(), st[502]+st[503]+st[504])
	}
	if n := r.srv.InvalidRequests(); n != 0 {
		t.Errorf("got %d invalid requests; want 5xx not counted", n)
	}

	r.srv.Fail5xx(1)
	before := len(r.srv.Requests())
	_, err := r.rest.CreateMessage(chs[0], discord.MessageCreate{Content: "once"})
	var re *rest.Error
	if !errors.As(err, &re) || re.Response.StatusCode < 500 {
		t.Fatalf("got %v; want the 5xx passed on", err)
	}
	if n := len(r.srv.Requests()) - before; n != 1 {
		t.Errorf("got %d POSTs; want 1, never repeated", n)
	}
	r.srv.Fail5xx(0)
}

func TestSlidingWindowSlotsAreUsedAsTheyFree(t *testing.T) {
	// contract A.4 O1: in a sliding window each slot frees a period after
	// its request; requests spread over the window go again as their
	// slots free, not all at the full reset, and never one too many.
	r := newRig(t, rigOpts{srv: []discordtest.Option{
		discordtest.WithRouteLimit(channelRoute, discordtest.RouteLimit{Bucket: "sl", Limit: 3, Period: 3 * time.Second, Sliding: true}),
	}})
	ch := channels(r.srv, 1)[0]
	get := func() error { _, err := r.rest.GetChannel(ch); return err }
	for i := range 3 {
		if err := immediate(t, get); err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			r.clk.Advance(time.Second)
		}
	}
	must(t, r.run(3, func(int) error { return get() }))
	if n := r.srv.RateLimited(""); n != 0 {
		t.Errorf("got %d 429s; want none", n)
	}
	reqs := r.srv.RequestsTo(channelRoute)
	for i, want := range []time.Duration{3 * time.Second, 4 * time.Second, 5 * time.Second} {
		got := reqs[3+i].Time.Sub(t0)
		if got < want || got > want+10*time.Millisecond {
			t.Errorf("request %d went at +%v; want +%v, as the slot it takes frees", 4+i, got, want)
		}
	}
	if got := maxPerWindow(reqs, 3*time.Second); got > 3 {
		t.Errorf("got %d requests in 3 s; want at most 3", got)
	}
}

func TestASharedUseOfTheBucketTurnsTheLedgerOff(t *testing.T) {
	// Answers that count more slots than this Limiter holds mean someone
	// else uses the bucket: then only Remaining and the full reset count.
	clk := newFakeClock(t0)
	l := New(WithClock(clk), WithGlobalLimit(0))
	ep := channelEP(0)
	_ = l.Wait(context.Background(), ep)
	_ = l.Unlock(ep, limited(2, "5.000")) // 3 of 5 taken, one of them ours
	for i := range 2 {
		ep := channelEP(0)
		clk.Advance(time.Second)
		if err := immediate(t, func() error { return l.Wait(context.Background(), ep) }); err != nil {
			t.Fatal(err)
		}
		_ = l.Unlock(ep, limited(1-i, "5.000"))
	}
	held := async(l, context.Background(), channelEP(0))
	waitFor(t, "queued", func() bool { return l.Stats().Queued == 1 })
	// Our first slot frees at +5 s, but the window is only back to full at
	// +7 s (the last answer's Reset-After).
	clk.AdvanceTo(t0.Add(5*time.Second + 10*time.Millisecond))
	if l.Stats().InFlight != 0 {
		t.Fatal("let go when our first slot freed; want the full reset, the bucket being shared")
	}
	clk.AdvanceTo(t0.Add(7*time.Second + 2*time.Millisecond))
	if err := <-held; err != nil {
		t.Fatal(err)
	}
}
