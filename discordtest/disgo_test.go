//go:build !race

// These tests drive disgo v0.19.6, a real client, against the emulator.
// disgo's gateway has data races of its own (docs/known-issues.md), so
// they run in make test's second pass, without -race, and their names
// start with TestDisgo.

package discordtest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/disgo"
	disgobot "github.com/disgoorg/disgo/bot"
	"github.com/disgoorg/disgo/events"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
)

// disgoREST returns disgo's bare REST client for the emulator, with
// disgo's own default rate limiter unless another is given. A bare
// rest.NewClient sends no User-Agent, which Discord refuses (contract
// A.1.20), so it gets the one disgo.New would set.
func disgoREST(srv *Server, token string, opts ...rest.ClientConfigOpt) rest.Rest {
	base := []rest.ClientConfigOpt{rest.WithURL(srv.RESTURL()), rest.WithUserAgent("DiscordBot (https://github.com/disgoorg/disgo, v0.19.6)")}
	return rest.New(rest.NewClient(token, append(base, opts...)...))
}

// openDisgo builds a disgo client with nothing but the REST URL and the
// intents, opens its gateway, and closes it when the test ends: shards
// first, then the client, always with a deadline.
func openDisgo(t *testing.T, srv *Server, intents gateway.Intents, listeners ...disgobot.EventListener) *disgobot.Client {
	t.Helper()
	client, err := disgo.New(srv.Token(),
		disgobot.WithRestClientConfigOpts(rest.WithURL(srv.RESTURL())),
		disgobot.WithGatewayConfigOpts(gateway.WithIntents(intents)),
		disgobot.WithEventListeners(listeners...),
	)
	if err != nil {
		t.Fatalf("disgo.New: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.OpenGateway(ctx); err != nil {
		t.Fatalf("open gateway: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if client.Gateway != nil {
			client.Gateway.Close(ctx)
		}
		client.Close(ctx)
	})
	return client
}

// eventLog collects events of one type from a disgo client.
type eventLog[E disgobot.Event] struct {
	mu  sync.Mutex
	got []E
}

func (l *eventLog[E]) listener() disgobot.EventListener {
	return disgobot.NewListenerFunc(func(e E) {
		l.mu.Lock()
		l.got = append(l.got, e)
		l.mu.Unlock()
	})
}

func (l *eventLog[E]) wait(t *testing.T, n int, what string) []E {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l.mu.Lock()
		got := append([]E(nil), l.got...)
		l.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: got %d; want %d within 10s", what, len(got), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDisgoConnectsWithOnlyTheRESTURL(t *testing.T) {
	// contract A.3.29, A.3.36; disgo's default compression is zstd-stream.
	srv := New(t, WithGuilds(3))
	var ready eventLog[*events.Ready]
	var guilds eventLog[*events.GuildReady]
	client := openDisgo(t, srv, gateway.IntentGuilds, ready.listener(), guilds.listener())
	r := ready.wait(t, 1, "READY")[0]
	if r.User.ID != snowflake.ID(srv.ApplicationID()) || r.Application.ID != snowflake.ID(srv.ApplicationID()) {
		t.Fatalf("READY: got user %v application %v; want %v", r.User.ID, r.Application.ID, srv.ApplicationID())
	}
	got := guilds.wait(t, 3, "GUILD_CREATE")
	for _, g := range got {
		if len(g.Guild.Channels) == 0 || len(g.Guild.Roles) == 0 {
			t.Fatalf("guild %v: got %d channels and %d roles; want both", g.Guild.ID, len(g.Guild.Channels), len(g.Guild.Roles))
		}
	}
	me, err := client.Rest.GetCurrentUser("")
	if err != nil || me.ID != snowflake.ID(srv.ApplicationID()) {
		t.Fatalf("GET /users/@me: got %v, %v; want the bot", me, err)
	}
}

func TestDisgoSurvivesADroppedSocketWithResumeAndReplay(t *testing.T) {
	// contract A.3.37, A.3.38, D.2: events sent while the socket was down
	// arrive once each, in order, after RESUME.
	srv := New(t)
	g, ch := general(t, srv)
	member := g.Member("member1").User.ID
	var msgs eventLog[*events.MessageCreate]
	var resumed eventLog[*events.Resumed]
	openDisgo(t, srv, gateway.IntentGuilds|gateway.IntentGuildMessages|gateway.IntentMessageContent, msgs.listener(), resumed.listener())
	if _, err := srv.SendMessage(g.ID, ch.ID, member, "before"); err != nil {
		t.Fatal(err)
	}
	msgs.wait(t, 1, "MESSAGE_CREATE before the drop")
	if err := srv.DropConnection(0); err != nil {
		t.Fatalf("drop: %v", err)
	}
	for _, text := range []string{"one", "two", "three"} {
		if _, err := srv.SendMessage(g.ID, ch.ID, member, text); err != nil {
			t.Fatal(err)
		}
	}
	resumed.wait(t, 1, "RESUMED")
	got := msgs.wait(t, 4, "replayed MESSAGE_CREATE")
	time.Sleep(100 * time.Millisecond) // a duplicate would arrive now
	msgs.mu.Lock()
	got = append([]*events.MessageCreate(nil), msgs.got...)
	msgs.mu.Unlock()
	var texts []string
	for _, m := range got {
		texts = append(texts, m.Message.Content)
	}
	want := []string{"before", "one", "two", "three"}
	if len(texts) != len(want) {
		t.Fatalf("got messages %q; want %q, each once", texts, want)
	}
	for i := range want {
		if texts[i] != want[i] {
			t.Fatalf("got messages %q; want %q in order", texts, want)
		}
	}
	identifies := 0
	for _, p := range srv.GatewayPayloads() {
		if p.Dir == GatewayReceived && p.Op == 2 {
			identifies++
		}
	}
	if identifies != 1 {
		t.Fatalf("got %d IDENTIFYs; want 1 (a resume is not an identify)", identifies)
	}
}

func TestDisgoRetriesAContract429OnAnExhaustedBucket(t *testing.T) {
	// contract A.1.6 to A.1.9, C.12: with Via and bucket headers disgo
	// takes the 429 for a bucket limit, waits Retry-After and retries.
	srv := New(t)
	srv.Inject429("GET /users/@me", 1, "user", 500*time.Millisecond)
	r := disgoREST(srv, srv.Token())
	me, err := r.GetCurrentUser("")
	if err != nil || me.ID != snowflake.ID(srv.ApplicationID()) {
		t.Fatalf("got %v, %v; want the bot after one retry", me, err)
	}
	reqs := srv.RequestsTo("GET /users/@me")
	if len(reqs) != 2 || reqs[0].Status != 429 || reqs[0].Scope != "user" || reqs[1].Status != 200 {
		t.Fatalf("got %d requests %+v; want a user 429 then a 200", len(reqs), reqs)
	}
	if gap := reqs[1].Time.Sub(reqs[0].Time); gap < 900*time.Millisecond {
		t.Fatalf("disgo retried after %v; want it to wait Retry-After (1 s)", gap)
	}
}

func TestDisgoMeetsTheGlobalLimit(t *testing.T) {
	// contract A.1.5, A.1.8, A.1.11, C.5: a global 429 carries no bucket
	// headers; a client without pacing meets it.
	srv := New(t, WithGlobalLimit(2, true))
	r := disgoREST(srv, srv.Token(), rest.WithRateLimiter(rest.NewNoopRateLimiter()))
	var global *rest.Error
	for i := 0; i < 3; i++ {
		_, err := r.GetCurrentUser("")
		if err != nil && !errors.As(err, &global) {
			t.Fatalf("request %d: got %v; want nil or a *rest.Error", i, err)
		}
	}
	if global == nil || global.Response.StatusCode != 429 || global.Response.Header.Get("X-RateLimit-Global") != "true" {
		t.Fatalf("got %+v; want a 429 with X-RateLimit-Global", global)
	}
	if srv.RateLimited("global") != 1 {
		t.Fatalf("RateLimited(global): got %d; want 1", srv.RateLimited("global"))
	}
}

func TestDisgoTripsTheInvalidRequestBan(t *testing.T) {
	// contract A.1.14, A.4 O4, C.15: a bot that keeps sending a bad token
	// is banned; the ban answer has no Via, which disgo takes for Cloudflare.
	srv := New(t, WithInvalidRequestLimit(5, 10*time.Minute, time.Hour))
	bad := srv.Token()[:len(srv.Token())-2] + "xx"
	r := disgoREST(srv, bad, rest.WithRateLimiter(rest.NewNoopRateLimiter()))
	for i := 0; i < 5; i++ {
		var e *rest.Error
		if _, err := r.GetCurrentUser(""); !errors.As(err, &e) || e.Response.StatusCode != 401 {
			t.Fatalf("request %d with a bad token: got %v; want a 401", i, err)
		}
	}
	var e *rest.Error
	if _, err := r.GetCurrentUser(""); !errors.As(err, &e) || e.Response.StatusCode != 429 || e.Response.Header.Get("Via") != "" {
		t.Fatalf("after 5 invalid requests: got %v; want a 429 without Via", err)
	}
	good := disgoREST(srv, srv.Token(), rest.WithRateLimiter(rest.NewNoopRateLimiter()))
	if _, err := good.GetCurrentUser(""); !errors.As(err, &e) || e.Response.StatusCode != 429 {
		t.Fatalf("the right token during the ban: got %v; want the ban too (it is per IP)", err)
	}
}
