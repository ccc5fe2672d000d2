package ratelimit

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
)

// answer builds an http.Response as Discord would send it.
func answer(status int, body string, hdr ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Set(hdr[i], hdr[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))}
}

// limited answers headers for a bucket: limit, remaining, Reset-After.
func limited(remaining int, resetAfter string) *http.Response {
	return answer(200, "{}", "X-RateLimit-Bucket", "h", "X-RateLimit-Limit", "5",
		"X-RateLimit-Remaining", itoa(remaining), "X-RateLimit-Reset-After", resetAfter)
}

func itoa(n int) string { return strconv.Itoa(n) }

func channelEP(id int) *rest.CompiledEndpoint {
	return rest.GetChannel.Compile(nil, snowflake.ID(1199126347851497472+id))
}

// async runs Wait in a goroutine.
func async(l *Limiter, ctx context.Context, ep *rest.CompiledEndpoint) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- l.Wait(ctx, ep) }()
	return ch
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Microsecond)
	}
}

func TestResetTimingIsExactToTheMillisecond(t *testing.T) {
	// contract A.1.4, C.9: the next request goes the reset (plus the 2 ms
	// margin) after the answer came, never earlier, never a whole-second
	// rounding later; Reset without Reset-After is read against Date.
	cases := []struct {
		name string
		resp *http.Response
		want time.Duration
	}{
		{"Reset-After 0.333", limited(0, "0.333"), 335 * time.Millisecond},
		{"Reset-After 0.5", limited(0, "0.5"), 502 * time.Millisecond},
		{"Reset-After 1.9", limited(0, "1.900"), 1902 * time.Millisecond},
		{"Reset-After 0.000", limited(0, "0.000"), 2 * time.Millisecond},
		{"Reset and Date only", answer(200, "{}", "X-RateLimit-Bucket", "h", "X-RateLimit-Limit", "5", "X-RateLimit-Remaining", "0",
			"X-RateLimit-Reset", "1767225602.250", "Date", time.Unix(1767225600, 0).UTC().Format(http.TimeFormat)), 2252 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := newFakeClock(t0)
			l := New(WithClock(clk), WithGlobalLimit(0))
			ep := channelEP(0)
			if err := l.Wait(context.Background(), ep); err != nil {
				t.Fatal(err)
			}
			if err := l.Unlock(ep, c.resp); err != nil {
				t.Fatal(err)
			}
			next := channelEP(0)
			done := async(l, context.Background(), next)
			waitFor(t, "queued", func() bool { return l.Stats().Queued == 1 })
			clk.AdvanceTo(t0.Add(c.want - time.Nanosecond))
			if s := l.Stats(); s.InFlight != 0 {
				t.Fatalf("let go at +%v; want not before +%v", clk.Now().Sub(t0), c.want)
			}
			clk.AdvanceTo(t0.Add(c.want))
			if s := l.Stats(); s.InFlight != 1 {
				t.Fatalf("still held at +%v; want let go", c.want)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRequestsOfOneKeyGoInArrivalOrder(t *testing.T) {
	// FIFO per key: five requests held on an exhausted key go out in the
	// order they arrived.
	clk := newFakeClock(t0)
	l := New(WithClock(clk), WithGlobalLimit(0))
	first := channelEP(0)
	if err := l.Wait(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	_ = l.Unlock(first, limited(0, "1.000"))
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := range 5 {
		ep := channelEP(0)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := l.Wait(context.Background(), ep); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			_ = l.Unlock(ep, limited(0, "1.000"))
		}()
		waitFor(t, "queued", func() bool { return l.Stats().Queued == i+1 })
	}
	for range 5 {
		waitFor(t, "a request answered", func() bool { s := l.Stats(); return s.InFlight == 0 && clk.pending() > 0 })
		at, _ := clk.next()
		clk.AdvanceTo(at)
	}
	wg.Wait()
	for i, v := range order {
		if v != i {
			t.Fatalf("got order %v; want 0 1 2 3 4", order)
		}
	}
}

func TestAWaitKnownToPassTheMaximumFailsAtOnce(t *testing.T) {
	clk := newFakeClock(t0)
	l := New(WithClock(clk), WithMaxWait(10*time.Second))
	ep := channelEP(0)
	_ = l.Wait(context.Background(), ep)
	_ = l.Unlock(ep, limited(0, "50.000"))

	err := l.Wait(context.Background(), channelEP(0))
	var we *WaitError
	if !errors.As(err, &we) || !errors.Is(err, ErrWaitTooLong) || we.Wait < 50*time.Second {
		t.Fatalf("got %v; want a *WaitError of 50 s at once", err)
	}
	// The caller's deadline counts too.
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(time.Hour))
	defer cancel()
	l2 := New(WithClock(clk))
	ep = channelEP(1)
	_ = l2.Wait(ctx, ep)
	_ = l2.Unlock(ep, limited(0, "5.000"))
	dctx, dcancel := context.WithDeadline(context.Background(), clk.Now().Add(time.Second))
	defer dcancel()
	if err := l2.Wait(dctx, channelEP(1)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v; want the deadline at once", err)
	}
	// Held longer than the maximum in a queue (a probe never answered):
	// it fails then, not later.
	l3 := New(WithClock(clk), WithMaxWait(10*time.Second))
	probe := channelEP(2)
	_ = l3.Wait(context.Background(), probe)
	done := async(l3, context.Background(), channelEP(2))
	waitFor(t, "queued", func() bool { return l3.Stats().Queued == 1 })
	clk.Advance(10 * time.Second)
	if err := <-done; !errors.As(err, &we) || we.Scope != "queue" {
		t.Errorf("got %v; want a *WaitError after 10 s in the queue", err)
	}
}

func TestIdleKeysExpire(t *testing.T) {
	// A key per channel or interaction must not pile up.
	clk := newFakeClock(t0)
	l := New(WithClock(clk), WithGlobalLimit(0), WithIdleExpiry(10*time.Minute))
	for i := range 500 {
		ep := channelEP(i)
		if err := l.Wait(context.Background(), ep); err != nil {
			t.Fatal(err)
		}
		_ = l.Unlock(ep, limited(4, "5.000"))
	}
	if n := l.Stats().Keys; n != 500 {
		t.Fatalf("got %d keys; want 500", n)
	}
	clk.Advance(11 * time.Minute)
	ep := channelEP(9999)
	_ = l.Wait(context.Background(), ep)
	_ = l.Unlock(ep, limited(4, "5.000"))
	if n := l.Stats().Keys; n != 1 {
		t.Errorf("got %d keys after 11 idle minutes; want 1", n)
	}
}

func TestInteractionKeysAreForgottenOnceTheirWindowPasses(t *testing.T) {
	// One queue per interaction token: at thousands of interactions a
	// second, keeping each for the idle expiry held hundreds of MB.
	clk := newFakeClock(t0)
	l := New(WithClock(clk), WithGlobalLimit(0), WithIdleExpiry(10*time.Minute))
	ch := channelEP(1)
	if err := l.Wait(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	_ = l.Unlock(ch, limited(4, "5.000"))
	most := 0
	for i := range 20_000 {
		ep := rest.CreateInteractionResponse.Compile(nil, snowflake.ID(1199126347851497472+i), "tok"+itoa(i))
		if err := l.Wait(context.Background(), ep); err != nil {
			t.Fatal(err)
		}
		_ = l.Unlock(ep, limited(4, "1.000"))
		most = max(most, l.Stats().Keys)
		if i%1000 == 999 {
			clk.Advance(500 * time.Millisecond) // 2,000 interactions a second
		}
	}
	if most > 8*1024 {
		t.Errorf("%d keys at most for 2,000 interactions a second with a 1 s window; want them forgotten as their windows pass", most)
	}
	// The channel's queue is idle for 10 s, well under its expiry: kept.
	if _, ok := l.buckets[keyFor(classify("GET", ch.Endpoint.Route, ch.URL, ch.MajorParams, true, clk.Now()), l.hashes[routeID{"GET", ch.Endpoint.Route, ageNone}])]; !ok {
		t.Error("the channel's queue was forgotten with the interactions' before its idle expiry")
	}
}

func TestCloseReturnsByItsDeadlineWithRequestsInFlight(t *testing.T) {
	// Close refuses what waits, stops its timers, and returns by the
	// deadline even though a request never comes back.
	clk := newFakeClock(t0)
	l := New(WithClock(clk))
	inflight := channelEP(0)
	if err := l.Wait(context.Background(), inflight); err != nil {
		t.Fatal(err)
	}
	held := async(l, context.Background(), channelEP(0))
	waitFor(t, "queued", func() bool { return l.Stats().Queued == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	l.Close(ctx)
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v; want it back by its 100 ms deadline", d)
	}
	if err := <-held; !errors.Is(err, ErrClosed) {
		t.Errorf("got %v for a held request; want ErrClosed", err)
	}
	if err := l.Wait(context.Background(), channelEP(1)); !errors.Is(err, ErrClosed) {
		t.Errorf("got %v after Close; want ErrClosed", err)
	}
	if n := clk.pending(); n != 0 {
		t.Errorf("got %d timers left; want none", n)
	}
	// The request in flight still unlocks cleanly, and a second Close
	// returns at once.
	_ = l.Unlock(inflight, limited(4, "1.000"))
	l.Close(context.Background())
}

func TestRetryTransportBacksOffWithJitterWithinBounds(t *testing.T) {
	rt := NewRetryTransport(nil, RetryBackoff(100*time.Millisecond, time.Second))
	for attempt, base := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second} {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := rt.backoff(attempt+1, "")
			if d < base/2 || d > base*3/2 {
				t.Fatalf("attempt %d: got %v; want within %v ± 50%%", attempt+1, d, base)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("attempt %d: got %d distinct waits in 50; want jitter", attempt+1, len(seen))
		}
	}
	if d := rt.backoff(1, "0.9"); d < 900*time.Millisecond {
		t.Errorf("got %v with Retry-After 0.9; want at least 0.9 s", d)
	}
}

func TestHTMLBanPageDoesNotCrashAndStopsTraffic(t *testing.T) {
	// contract C.14, A.4 O4: the ban once came as an HTML page.
	clk := newFakeClock(t0)
	l := New(WithClock(clk))
	ep := channelEP(0)
	_ = l.Wait(context.Background(), ep)
	resp := answer(429, "<html><body>error code: 1015</body></html>", "Content-Type", "text/html")
	err := l.Unlock(ep, resp)
	if !errors.Is(err, ErrBanned) {
		t.Fatalf("got %v; want ErrBanned", err)
	}
	if b, _ := io.ReadAll(resp.Body); !strings.Contains(string(b), "1015") {
		t.Errorf("got body %q; want it put back for disgo", b)
	}
	if err := l.Wait(context.Background(), channelEP(1)); !errors.Is(err, ErrBanned) {
		t.Errorf("got %v; want every request refused", err)
	}
}

func FuzzUnlock(f *testing.F) {
	f.Add(200, "5", "4", "1.000", "", "h", "", []byte(`{}`))
	f.Add(429, "5", "0", "0.333", "1", "h", "user", []byte(`{"retry_after":0.333,"global":false}`))
	f.Add(429, "", "", "", "2", "", "global", []byte(`{"retry_after":1.3,"global":true}`))
	f.Add(429, "", "", "", "", "", "", []byte(`<html>1015</html>`))
	f.Add(401, "", "", "", "", "", "", []byte(`{"code":50027}`))
	f.Add(404, "5", "4", "1", "", "w", "", []byte(`{"code":10015}`))
	f.Add(403, "", "", "", "", "", "", []byte(`{"code":40333}`))
	f.Fuzz(func(t *testing.T, status int, limit, remaining, resetAfter, retryAfter, bucket, scope string, body []byte) {
		clk := newFakeClock(t0)
		l := New(WithClock(clk), WithMaxWait(time.Minute))
		eps := []*rest.CompiledEndpoint{channelEP(0), rest.CreateWebhookMessage.Compile(nil, 1, "tok"),
			rest.CreateInteractionResponse.Compile(nil, 2, "itok")}
		for _, ep := range eps {
			if err := l.Wait(context.Background(), ep); err != nil {
				return // refused, e.g. after a ban: fine
			}
			resp := answer(status%600, string(body), "X-RateLimit-Limit", limit, "X-RateLimit-Remaining", remaining,
				"X-RateLimit-Reset-After", resetAfter, "Retry-After", retryAfter, "X-RateLimit-Bucket", bucket,
				"X-RateLimit-Scope", scope)
			_ = l.Unlock(ep, resp)
			if b, _ := io.ReadAll(resp.Body); string(b) != string(body) {
				t.Fatalf("body %q given back as %q", body, b)
			}
			clk.Advance(time.Hour)
		}
		if s := l.Stats(); s.InFlight != 0 || s.Queued != 0 {
			t.Fatalf("got %+v after every answer; want nothing in flight or queued", s)
		}
	})
}

func TestResetForgetsFusesAndPauses(t *testing.T) {
	// disgo's RateLimiter.Reset: back to what a new Limiter knows, for a
	// bot given a new token.
	clk := newFakeClock(t0)
	l := New(WithClock(clk))
	ep := channelEP(0)
	_ = l.Wait(context.Background(), ep)
	_ = l.Unlock(ep, answer(401, `{"message":"401: Unauthorized","code":0}`))
	if err := l.Wait(context.Background(), channelEP(0)); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("got %v; want ErrTokenInvalid", err)
	}
	l.Reset()
	if s := l.Stats(); s.TokenInvalid || s.InvalidRequests != 0 || s.Keys != 0 {
		t.Errorf("got %+v after Reset; want a clean slate", s)
	}
	if err := immediate(t, func() error { return l.Wait(context.Background(), channelEP(0)) }); err != nil {
		t.Errorf("got %v after Reset; want the request let go", err)
	}
}
