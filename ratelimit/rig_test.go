package ratelimit

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disgoorg/disgo/rest"

	"github.com/hearthbot/hearth/discordtest"
)

const userAgent = "DiscordBot (https://github.com/hearthbot/hearth, test)"

// fakeClock is a Clock that moves only when told to; it also serves the
// emulator (discordtest.WithClock), so both sides share one time. Timer
// callbacks run in Advance's goroutine, outside the clock's lock, so a
// grant the Limiter makes on a timer is done when Advance returns.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c     *fakeClock
	at    time.Time
	f     func()
	state int // 0 pending, 1 fired, 2 stopped
}

func newFakeClock(start time.Time) *fakeClock { return &fakeClock{now: start} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.state != 0 {
		return false
	}
	t.state = 2
	t.c.drop(t)
	return true
}

func (c *fakeClock) drop(t *fakeTimer) {
	for i, x := range c.timers {
		if x == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return
		}
	}
}

// next is the earliest pending timer's time.
func (c *fakeClock) next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	at := c.timers[0].at
	for _, t := range c.timers[1:] {
		if t.at.Before(at) {
			at = t.at
		}
	}
	return at, true
}

// pending counts the timers not yet fired or stopped.
func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// Advance moves the clock by d, firing due timers in time order.
func (c *fakeClock) Advance(d time.Duration) { c.AdvanceTo(c.Now().Add(d)) }

// AdvanceTo moves the clock to at (never back), firing due timers.
func (c *fakeClock) AdvanceTo(at time.Time) {
	for {
		c.mu.Lock()
		sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
		if len(c.timers) == 0 || c.timers[0].at.After(at) {
			if at.After(c.now) {
				c.now = at
			}
			c.mu.Unlock()
			return
		}
		t := c.timers[0]
		c.timers = c.timers[1:]
		t.state = 1
		if t.at.After(c.now) {
			c.now = t.at
		}
		c.mu.Unlock()
		t.f()
	}
}

// rig is the emulator, a Limiter and disgo's REST client wired together.
type rig struct {
	t      *testing.T
	srv    *discordtest.Server
	clk    *fakeClock // nil with the real clock
	lim    *Limiter
	client rest.Client
	rest   rest.Rest
	watch  *watch
}

type rigOpts struct {
	srv      []discordtest.Option
	lim      []Option
	real     bool // the real clock instead of a fake one
	retry    []RetryOption
	noLimit  bool // disgo's REST client with no limiter (a baseline)
	attempts int
}

func newRig(t *testing.T, o rigOpts) *rig {
	t.Helper()
	r := &rig{t: t, watch: &watch{}}
	srvOpts := o.srv
	limOpts := o.lim
	if !o.real {
		r.clk = newFakeClock(t0)
		srvOpts = append([]discordtest.Option{discordtest.WithClock(r.clk)}, srvOpts...)
		limOpts = append([]Option{WithClock(r.clk)}, limOpts...)
	}
	r.srv = discordtest.New(t, srvOpts...)
	r.lim = New(limOpts...)
	base := &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0}
	r.watch.next = NewRetryTransport(base, o.retry...)
	r.client = rest.NewClient(r.srv.Token(),
		rest.WithURL(r.srv.RESTURL()),
		rest.WithUserAgent(userAgent),
		rest.WithRateLimiter(r.lim),
		rest.WithHTTPClient(&http.Client{Transport: r.watch, Timeout: 20 * time.Second}),
		rest.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	)
	r.rest = rest.New(r.client)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		r.client.Close(ctx)
		base.CloseIdleConnections()
	})
	return r
}

// run starts n calls of f at once and drives the fake clock until they
// all return; it returns their errors in call order.
func (r *rig) run(n int, f func(i int) error) []error {
	r.t.Helper()
	errs := make([]error, n)
	var done atomic.Int64
	for i := range n {
		go func() {
			errs[i] = f(i)
			done.Add(1)
		}()
	}
	r.drive(func() bool { return done.Load() == int64(n) })
	return errs
}

// drive moves the fake clock whenever nothing is in flight and something
// waits, to the next timer, until cond holds. With the real clock it
// only waits. A run stuck for 20 s of real time fails the test.
func (r *rig) drive(cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			s := r.lim.Stats()
			r.t.Fatalf("stuck: in flight %d, queued %d, keys %d", s.InFlight, s.Queued, s.Keys)
		}
		if r.clk != nil {
			s := r.lim.Stats()
			if s.InFlight == 0 && s.Queued > 0 && r.watch.active.Load() == 0 {
				if at, ok := r.clk.next(); ok {
					r.clk.AdvanceTo(at)
					continue
				}
			}
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// must fails the test on any error.
func must(t *testing.T, errs []error) {
	t.Helper()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
}

// watch is an http.RoundTripper that records how many requests are on
// the wire at once.
type watch struct {
	next   http.RoundTripper
	active atomic.Int64
	mu     sync.Mutex
	events []watchEvent
	peak   int64
}

type watchEvent struct {
	start  bool
	path   string
	active int64
	status int
}

func (w *watch) RoundTrip(req *http.Request) (*http.Response, error) {
	n := w.active.Add(1)
	w.mu.Lock()
	w.events = append(w.events, watchEvent{start: true, path: req.URL.Path, active: n})
	w.peak = max(w.peak, n)
	w.mu.Unlock()
	resp, err := w.next.RoundTrip(req)
	st := 0
	if resp != nil {
		st = resp.StatusCode
	}
	w.mu.Lock()
	w.events = append(w.events, watchEvent{path: req.URL.Path, status: st})
	w.mu.Unlock()
	w.active.Add(-1)
	return resp, err
}

func (w *watch) log() []watchEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]watchEvent(nil), w.events...)
}

// maxPerWindow is the most requests of reqs inside any window of length d
// (by the emulator's clock), for checking a limit from the server's side.
func maxPerWindow(reqs []discordtest.Request, d time.Duration) int {
	best := 0
	for i := range reqs {
		n := 0
		for j := i; j < len(reqs) && reqs[j].Time.Sub(reqs[i].Time) < d; j++ {
			n++
		}
		best = max(best, n)
	}
	return best
}

// statuses counts the emulator's answers by status.
func statuses(reqs []discordtest.Request) map[int]int {
	m := map[int]int{}
	for _, q := range reqs {
		m[q.Status]++
	}
	return m
}
