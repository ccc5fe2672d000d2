package ratelimit

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/discordtest"
)

// The workloads of the issue, against the emulator with its default
// (realistic) limits and the real clock, each once with disgo's default
// limiter and once with ours: `make bench` runs them with -benchtime 1x.
// All requests of a workload start at once. Reported per run: 429s and
// invalid requests as the emulator counted them, calls that failed, the
// time until every call returned, and the shortest time the emulator's
// limits allow (min-sec), worked out from its windows below.

type workload struct {
	name string
	srv  []discordtest.Option
	// prepare builds the calls (seeding what they need without REST) and
	// says how short the run can be and how many 429s it forces.
	prepare func(srv *discordtest.Server) (calls []func(context.Context, rest.Rest) error, shortest time.Duration, forced int)
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// sendable returns n channels the bot may post in (general, mod-log,
// off-topic of each guild; @everyone may not post in announcements).
func sendable(srv *discordtest.Server, n int) []snowflake.ID {
	var out []snowflake.ID
	for _, g := range srv.Guilds() {
		for _, name := range []string{"general", "mod-log", "off-topic"} {
			out = append(out, sf(g.Channel(name).ID))
			if len(out) == n {
				return out
			}
		}
	}
	panic("not enough channels")
}

// windows is how long n requests take on a key allowing limit per period
// when they all start at once: the last window opens (n/limit - 1)
// periods after the first.
func windows(n, limit int, period time.Duration) time.Duration {
	w := (n + limit - 1) / limit
	return time.Duration(w-1) * period
}

var emojis = []string{"👍", "🔥", "🎉", "👀", "✅", "❤️", "😂", "🚀", "💯", "🙏"}

func create(ch snowflake.ID, i int) func(context.Context, rest.Rest) error {
	return func(ctx context.Context, r rest.Rest) error {
		_, err := r.CreateMessage(ch, discord.MessageCreate{Content: fmt.Sprint("event ", i)}, rest.WithCtx(ctx))
		return err
	}
}

func getChannel(ch snowflake.ID) func(context.Context, rest.Rest) error {
	return func(ctx context.Context, r rest.Rest) error {
		_, err := r.GetChannel(ch, rest.WithCtx(ctx))
		return err
	}
}

// reactions seeds messages by a person and returns n reaction adds on
// them, ten emojis per message.
func reactions(srv *discordtest.Server, n int) []func(context.Context, rest.Rest) error {
	g := srv.Guilds()[0]
	ch := g.Channel("general").ID
	var calls []func(context.Context, rest.Rest) error
	var msg snowflake.ID
	for i := range n {
		if i%len(emojis) == 0 {
			m, err := srv.SendMessage(g.ID, ch, g.Member("member1").User.ID, fmt.Sprint("react to me ", i))
			if err != nil {
				panic(err)
			}
			msg = sf(m.ID)
		}
		msg, emoji := msg, emojis[i%len(emojis)]
		calls = append(calls, func(ctx context.Context, r rest.Rest) error {
			return r.AddReaction(sf(ch), msg, emoji, rest.WithCtx(ctx))
		})
	}
	return calls
}

var workloads = []workload{
	{name: "a_1000_creates_20_channels", srv: []discordtest.Option{discordtest.WithGuilds(7)},
		prepare: func(srv *discordtest.Server) ([]func(context.Context, rest.Rest) error, time.Duration, int) {
			chs := sendable(srv, 20)
			var calls []func(context.Context, rest.Rest) error
			for i := range 1000 {
				calls = append(calls, create(chs[i%20], i))
			}
			// 50 per channel at 5 per 5 s; globally 1000 at 50/s.
			return calls, max(windows(50, 5, 5*time.Second), windows(1000, 50, time.Second)), 0
		}},
	{name: "b_300_reactions_1_channel", srv: []discordtest.Option{discordtest.WithGuilds(1)},
		prepare: func(srv *discordtest.Server) ([]func(context.Context, rest.Rest) error, time.Duration, int) {
			// One reaction bucket per channel: 1 per 250 ms (A.4 O3).
			return reactions(srv, 300), windows(300, 1, 250*time.Millisecond), 0
		}},
	{name: "c_2000_requests_200_channels", srv: []discordtest.Option{discordtest.WithGuilds(50)},
		prepare: func(srv *discordtest.Server) ([]func(context.Context, rest.Rest) error, time.Duration, int) {
			chs := channels(srv, 200)
			var calls []func(context.Context, rest.Rest) error
			for i := range 2000 {
				calls = append(calls, getChannel(chs[i%200]))
			}
			// 10 per channel at 5 per 5 s; the global 50/s binds.
			return calls, max(windows(10, 5, 5*time.Second), windows(2000, 50, time.Second)), 0
		}},
	{name: "d_mix_forced_global_and_shared_429", srv: []discordtest.Option{discordtest.WithGuilds(7)},
		prepare: func(srv *discordtest.Server) ([]func(context.Context, rest.Rest) error, time.Duration, int) {
			chs := sendable(srv, 20)
			var calls []func(context.Context, rest.Rest) error
			for i := range 200 { // 20 creates on each of 10 channels
				calls = append(calls, create(chs[i%10], i))
			}
			calls = append(calls, reactions(srv, 40)...)
			for i := range 100 { // 5 reads on each of 20 channels
				calls = append(calls, getChannel(chs[i%20]))
			}
			for i := range 60 { // 12 reads on each of 5 guilds
				g := sf(srv.Guilds()[i%5].ID)
				calls = append(calls, func(ctx context.Context, r rest.Rest) error {
					_, err := r.GetGuild(g, false, rest.WithCtx(ctx))
					return err
				})
			}
			srv.Inject429("GET /channels/{channel_id}", 1, "global", 1300*time.Millisecond)
			srv.Inject429("POST /channels/{channel_id}/messages", 1, "shared", 2*time.Second)
			// The slowest key: a channel's 20 creates (5 per 5 s), held 2 s
			// by the shared 429 if it is the one that gets it; the global
			// pause (1.3 s) overlaps it. Reactions: 40 at 4/s; guilds: 12
			// at 5 per 5 s; global: 400 at 50/s.
			shortest := max(2*time.Second+windows(20, 5, 5*time.Second), windows(40, 1, 250*time.Millisecond),
				windows(12, 5, 5*time.Second), windows(400, 50, time.Second))
			return calls, shortest, 2
		}},
}

func BenchmarkWorkload(b *testing.B) {
	for _, w := range workloads {
		for _, which := range []string{"disgo", "hearth"} {
			b.Run(w.name+"/"+which, func(b *testing.B) {
				for range b.N {
					runWorkload(b, w, which == "hearth")
				}
			})
		}
	}
}

func runWorkload(b *testing.B, w workload, ours bool) {
	srv, err := discordtest.Start(w.srv...)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	base := &http.Transport{MaxIdleConnsPerHost: 2048}
	defer base.CloseIdleConnections()
	var rl rest.RateLimiter
	var tr http.RoundTripper = base
	if ours {
		// The queue of (b) holds its last reaction 75 s: longer than the
		// default maximum wait of a minute.
		rl = New(WithMaxWait(5 * time.Minute))
		tr = NewRetryTransport(base)
	} else {
		rl = rest.NewRateLimiter(rest.WithRateLimiterLogger(discard))
	}
	client := rest.NewClient(srv.Token(), rest.WithURL(srv.RESTURL()), rest.WithUserAgent(userAgent),
		rest.WithRateLimiter(rl), rest.WithHTTPClient(&http.Client{Transport: tr, Timeout: 20 * time.Second}),
		rest.WithLogger(discard))
	r := rest.New(client)
	calls, shortest, forced := w.prepare(srv)

	// A run may take twice the shortest time and half a minute more;
	// calls still waiting then are cancelled and counted as failed.
	ctx, cancel := context.WithTimeout(context.Background(), 2*shortest+30*time.Second)
	defer cancel()
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for _, call := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := call(ctx, r); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if ours {
		cctx, ccancel := context.WithTimeout(context.Background(), time.Second)
		client.Close(cctx)
		ccancel()
	}
	b.ReportMetric(float64(srv.RateLimited("")), "429s")
	b.ReportMetric(float64(forced), "forced-429s")
	b.ReportMetric(float64(srv.InvalidRequests()), "invalid")
	b.ReportMetric(float64(failed.Load()), "failed")
	b.ReportMetric(elapsed.Seconds(), "sec")
	b.ReportMetric(shortest.Seconds(), "min-sec")
	b.ReportMetric(float64(len(calls)), "calls")
}

// BenchmarkWaitUnlock measures the Limiter's hot path: Wait and Unlock of
// a request on a bucket whose limits are known and not reached, the
// answer's headers parsed.
func BenchmarkWaitUnlock(b *testing.B) {
	ctx := context.Background()
	resp := answer(200, "", "X-RateLimit-Bucket", "abcd1234", "X-RateLimit-Limit", "1000000",
		"X-RateLimit-Remaining", "999999", "X-RateLimit-Reset-After", "60.000", "X-RateLimit-Reset", "1767225660.000")
	b.Run("hearth", func(b *testing.B) {
		l := New(WithGlobalLimit(0))
		ep := channelEP(0)
		_ = l.Wait(ctx, ep)
		_ = l.Unlock(ep, resp)
		b.ReportAllocs()
		for b.Loop() {
			if err := l.Wait(ctx, ep); err != nil {
				b.Fatal(err)
			}
			if err := l.Unlock(ep, resp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hearth_global_paced", func(b *testing.B) {
		// The global budget counted too: the fake clock moves 25 ms a
		// request, under 50 per second.
		clk := newFakeClock(t0)
		l := New(WithClock(clk))
		ep := channelEP(0)
		_ = l.Wait(ctx, ep)
		_ = l.Unlock(ep, resp)
		b.ReportAllocs()
		for b.Loop() {
			clk.Advance(25 * time.Millisecond)
			if err := l.Wait(ctx, ep); err != nil {
				b.Fatal(err)
			}
			if err := l.Unlock(ep, resp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hearth_parallel_64_keys", func(b *testing.B) {
		l := New(WithGlobalLimit(0))
		var n atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			ep := channelEP(int(n.Add(1) % 64))
			for pb.Next() {
				if err := l.Wait(ctx, ep); err != nil {
					b.Fatal(err)
				}
				if err := l.Unlock(ep, resp); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("disgo_default", func(b *testing.B) {
		l := rest.NewRateLimiter(rest.WithRateLimiterLogger(discard))
		ep := channelEP(0)
		b.ReportAllocs()
		for b.Loop() {
			if err := l.Wait(ctx, ep); err != nil {
				b.Fatal(err)
			}
			if err := l.Unlock(ep, resp); err != nil {
				b.Fatal(err)
			}
		}
	})
}
