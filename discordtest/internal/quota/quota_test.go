package quota

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestFixedWindowResetsAPeriodAfterItsFirstRequest(t *testing.T) {
	c := NewCounter()
	w := Window{Limit: 2, Period: time.Second}
	steps := []struct {
		at        time.Duration
		allowed   bool
		remaining int
		reset     time.Duration
	}{
		{0, true, 1, time.Second},
		{300 * time.Millisecond, true, 0, 700 * time.Millisecond},
		{600 * time.Millisecond, false, 0, 400 * time.Millisecond},
		{time.Second, true, 1, time.Second},
	}
	for i, s := range steps {
		d := c.Take("k", w, t0.Add(s.at))
		if d.Allowed != s.allowed || d.Remaining != s.remaining || d.ResetAfter != s.reset {
			t.Errorf("step %d: got allowed=%v remaining=%d reset=%v; want %v %d %v", i, d.Allowed, d.Remaining, d.ResetAfter, s.allowed, s.remaining, s.reset)
		}
		if !d.Allowed && d.RetryAfter != s.reset {
			t.Errorf("step %d: got retry %v; want %v", i, d.RetryAfter, s.reset)
		}
	}
}

func TestSlidingWindowFreesOneSlotAtATime(t *testing.T) {
	// contract A.4 O1: Retry-After is the time until one slot frees; the
	// reset moves with every request.
	c := NewCounter()
	w := Window{Limit: 2, Period: time.Second, Sliding: true}
	c.Take("k", w, t0)
	d := c.Take("k", w, t0.Add(400*time.Millisecond))
	if !d.Allowed || d.Remaining != 0 || d.ResetAfter != time.Second {
		t.Fatalf("second: got %+v; want allowed, 0 left, reset 1s", d)
	}
	d = c.Take("k", w, t0.Add(500*time.Millisecond))
	if d.Allowed || d.RetryAfter != 500*time.Millisecond || d.ResetAfter != 900*time.Millisecond {
		t.Fatalf("third: got %+v; want refused, retry 500ms, reset 900ms", d)
	}
	d = c.Take("k", w, t0.Add(time.Second))
	if !d.Allowed || d.Remaining != 0 {
		t.Fatalf("after the first slot freed: got %+v; want allowed with 0 left", d)
	}
}

func TestKeysCountIndependently(t *testing.T) {
	// contract A.1.2: the same route on two channels has two counters.
	c := NewCounter()
	w := Window{Limit: 1, Period: time.Minute}
	if !c.Take("a", w, t0).Allowed || !c.Take("b", w, t0).Allowed {
		t.Fatal("got a refusal on a fresh key; want both allowed")
	}
	if c.Take("a", w, t0).Allowed {
		t.Fatal("got a second request on a allowed; want refused")
	}
}

func TestResetAfterIsNeverZero(t *testing.T) {
	c := NewCounter()
	w := Window{Limit: 1, Period: time.Second}
	c.Take("k", w, t0)
	if d := c.Take("k", w, t0.Add(time.Second-time.Nanosecond)); d.RetryAfter < time.Millisecond {
		t.Fatalf("got retry %v; want at least 1ms", d.RetryAfter)
	}
}

func TestTallyForgetsEventsOlderThanItsSpan(t *testing.T) {
	ta := NewTally(10 * time.Minute)
	for i := 0; i < 5; i++ {
		ta.Add(t0.Add(time.Duration(i) * time.Minute))
	}
	if n := ta.Count(t0.Add(4 * time.Minute)); n != 5 {
		t.Fatalf("got %d; want 5", n)
	}
	if n := ta.Count(t0.Add(12*time.Minute + 30*time.Second)); n != 2 {
		t.Fatalf("after 12.5 minutes got %d; want 2", n)
	}
}

func TestPeekDoesNotCount(t *testing.T) {
	c := NewCounter()
	w := Window{Limit: 1, Period: time.Second, Sliding: true}
	c.Peek("k", w, t0)
	if !c.Take("k", w, t0).Allowed {
		t.Fatal("got refused after a peek; want allowed")
	}
	if d := c.Peek("k", w, t0); d.Remaining != 0 {
		t.Fatalf("got remaining %d; want 0", d.Remaining)
	}
}

func TestIdleKeysAreForgotten(t *testing.T) {
	c := NewCounter()
	w := Window{Limit: 5, Period: time.Second, Sliding: true}
	for i := 0; i < sweepEvery-1; i++ {
		c.Take(string(rune('a'+i%26))+time.Duration(i).String(), w, t0)
	}
	if n := c.Len(); n != sweepEvery-1 {
		t.Fatalf("got %d keys; want %d", n, sweepEvery-1)
	}
	busy := Window{Limit: 5, Period: time.Hour}
	c.Take("busy", busy, t0.Add(2*time.Second))
	if n := c.Len(); n != 1 {
		t.Fatalf("after a sweep got %d keys; want only the one still counting", n)
	}
	if d := c.Take("busy", busy, t0.Add(3*time.Second)); d.Remaining != 3 {
		t.Fatalf("a live key lost its count: got remaining %d; want 3", d.Remaining)
	}
}
