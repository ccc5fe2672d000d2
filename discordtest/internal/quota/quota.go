// Package quota counts requests against windows the way Discord's rate
// limits do, for the emulator's side of the contract. It keeps no clock of
// its own: every call takes the current time, so a test clock drives it.
//
// A Window is fixed (the count resets Period after the first request of the
// window) or sliding (each request frees its slot Period after it was made;
// contract A.4 O1). A Counter holds many keyed windows and is safe for
// concurrent use.
package quota

import (
	"sync"
	"time"
)

// Window is a limit of Limit requests per Period.
type Window struct {
	Limit   int
	Period  time.Duration
	Sliding bool
}

// Decision is the outcome of one request against a window, with what the
// rate-limit headers of its answer say.
type Decision struct {
	// Allowed is false when the request is over the limit.
	Allowed bool
	// Limit and Remaining are X-RateLimit-Limit and X-RateLimit-Remaining
	// after this request.
	Limit, Remaining int
	// ResetAfter is the time until the window is back to full
	// (X-RateLimit-Reset-After); it never is zero.
	ResetAfter time.Duration
	// RetryAfter, for a refused request, is the time until one slot frees.
	RetryAfter time.Duration
}

// state is one key's window.
type state struct {
	w Window
	// fixed windows
	start time.Time
	count int
	// sliding windows: times of the requests still inside the window,
	// oldest first.
	times []time.Time
}

// Counter counts requests per key. The zero value is not usable; call
// NewCounter.
type Counter struct {
	mu    sync.Mutex
	keys  map[string]*state
	takes int
}

// sweepEvery is how many Takes pass between sweeps of idle keys, so a
// key per interaction or per channel does not pile up in a long run.
const sweepEvery = 4096

// NewCounter returns an empty Counter.
func NewCounter() *Counter { return &Counter{keys: map[string]*state{}} }

// Take counts one request for key at now against w and says whether it is
// allowed. A refused request is not counted.
func (c *Counter) Take(key string, w Window, now time.Time) Decision {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.takes++; c.takes%sweepEvery == 0 {
		c.sweep(now)
	}
	st := c.keys[key]
	if st == nil {
		st = &state{}
		c.keys[key] = st
	}
	st.w = w
	if w.Sliding {
		return st.takeSliding(w, now)
	}
	return st.takeFixed(w, now)
}

// Peek reports the state of key at now without counting a request.
func (c *Counter) Peek(key string, w Window, now time.Time) Decision {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.keys[key]
	if st == nil {
		return Decision{Allowed: true, Limit: w.Limit, Remaining: w.Limit, ResetAfter: w.Period}
	}
	cp := state{start: st.start, count: st.count, times: append([]time.Time(nil), st.times...)}
	if w.Sliding {
		cp.expire(w, now)
		return cp.slidingDecision(w, now, true)
	}
	if !now.Before(cp.start.Add(w.Period)) {
		return Decision{Allowed: true, Limit: w.Limit, Remaining: w.Limit, ResetAfter: w.Period}
	}
	return Decision{Allowed: cp.count < w.Limit, Limit: w.Limit, Remaining: w.Limit - cp.count,
		ResetAfter: cp.start.Add(w.Period).Sub(now), RetryAfter: cp.start.Add(w.Period).Sub(now)}
}

// sweep forgets the keys whose window is back to full at now: forgetting
// them changes no answer.
func (c *Counter) sweep(now time.Time) {
	for k, st := range c.keys {
		if st.w.Sliding {
			st.expire(st.w, now)
			if len(st.times) == 0 {
				delete(c.keys, k)
			}
		} else if st.count == 0 || !now.Before(st.start.Add(st.w.Period)) {
			delete(c.keys, k)
		}
	}
}

// Len returns how many keys the Counter holds.
func (c *Counter) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.keys)
}

// Reset forgets every key.
func (c *Counter) Reset() {
	c.mu.Lock()
	c.keys = map[string]*state{}
	c.mu.Unlock()
}

func (st *state) takeFixed(w Window, now time.Time) Decision {
	if st.count == 0 || !now.Before(st.start.Add(w.Period)) {
		st.start = now
		st.count = 0
	}
	end := st.start.Add(w.Period)
	left := positive(end.Sub(now))
	if st.count >= w.Limit {
		return Decision{Limit: w.Limit, Remaining: 0, ResetAfter: left, RetryAfter: left}
	}
	st.count++
	return Decision{Allowed: true, Limit: w.Limit, Remaining: w.Limit - st.count, ResetAfter: left}
}

func (st *state) expire(w Window, now time.Time) {
	i := 0
	for i < len(st.times) && !now.Before(st.times[i].Add(w.Period)) {
		i++
	}
	st.times = st.times[i:]
}

func (st *state) takeSliding(w Window, now time.Time) Decision {
	st.expire(w, now)
	if len(st.times) >= w.Limit {
		return st.slidingDecision(w, now, false)
	}
	st.times = append(st.times, now)
	return st.slidingDecision(w, now, true)
}

func (st *state) slidingDecision(w Window, now time.Time, allowed bool) Decision {
	d := Decision{Allowed: allowed, Limit: w.Limit, Remaining: w.Limit - len(st.times), ResetAfter: w.Period}
	if len(st.times) > 0 {
		d.ResetAfter = positive(st.times[len(st.times)-1].Add(w.Period).Sub(now))
		if !allowed {
			d.RetryAfter = positive(st.times[0].Add(w.Period).Sub(now))
		}
	}
	if d.Remaining < 0 {
		d.Remaining = 0
	}
	return d
}

// positive keeps a duration at one millisecond or more: Discord never
// answers a reset of zero, and a zero would tell a client to retry at once.
func positive(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return time.Millisecond
	}
	return d
}

// Tally counts events over a trailing span in one-second slots, for the
// invalid-request limit (contract A.14): cheap at ten thousand events.
type Tally struct {
	mu    sync.Mutex
	span  time.Duration
	slots map[int64]int
}

// NewTally returns a Tally over the trailing span.
func NewTally(span time.Duration) *Tally { return &Tally{span: span, slots: map[int64]int{}} }

// Add records one event at now and returns the count over the span.
func (t *Tally) Add(now time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.slots[now.Unix()]++
	return t.countLocked(now)
}

// Count returns the number of events over the span ending at now.
func (t *Tally) Count(now time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.countLocked(now)
}

func (t *Tally) countLocked(now time.Time) int {
	oldest := now.Add(-t.span).Unix()
	n := 0
	for sec, c := range t.slots {
		if sec <= oldest {
			delete(t.slots, sec)
			continue
		}
		n += c
	}
	return n
}
