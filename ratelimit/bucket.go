package ratelimit

import (
	"sort"
	"time"

	"github.com/disgoorg/disgo/rest"
)

// Bucket states.
const (
	// stateUnknown: no rate-limit headers seen yet; one probe at a time.
	stateUnknown uint8 = iota
	// stateOpen: remaining and resetAt are known for the current window.
	stateOpen
	// stateStale: the window has reset; one probe learns the new one
	// before the rest go, so a changed hash or limit, or someone else's
	// use of the bucket, is seen before a burst.
	stateStale
	// stateUnlimited: the route answers without rate-limit headers
	// (contract C.10); only the global budget applies.
	stateUnlimited
)

// bucket is one queue: the requests of one key, in FIFO order, and what
// is known of its Discord bucket. The Limiter's mutex guards it.
type bucket struct {
	key   bucketKey
	state uint8

	limit, remaining int
	// resetAt is when the window is expected back to full, margin
	// included; period is the longest Reset-After seen, the window's
	// length.
	resetAt time.Time
	period  time.Duration
	// pauseUntil holds the key after a user or shared 429.
	pauseUntil time.Time
	// frees is the ledger of the slots this Limiter holds in the window,
	// earliest first: for each answered request, the answer's arrival
	// plus its Reset-After, which is never before its slot frees, in a
	// fixed window or a sliding one (A.4 O1). trusted says the answers
	// agree with the ledger (no one else uses the bucket): then a request
	// may go whenever the ledger has room, so a sliding window is used
	// as it frees, not only when it is back to full.
	frees   []time.Time
	trusted bool

	// gen counts windows: it moves on with each probe. grants counts the
	// requests let go.
	gen    uint64
	grants uint64

	probing  bool
	probeSeq uint64
	// inflight counts the requests holding a slot: let go, or waiting
	// only for the global budget; wire counts those let go, which
	// Discord may have counted.
	inflight int
	wire     int

	waiters []*waiter

	timer    Timer
	timerAt  time.Time
	timerGen uint64

	lastUsed time.Time
	// forward is the bucket this one was merged into (routes found to
	// share a hash, contract C.3); the answers of its requests go there.
	forward *bucket
}

// resolve follows merges to the live bucket.
func (b *bucket) resolve() *bucket {
	for b.forward != nil {
		b = b.forward
	}
	return b
}

// admit reports whether the key lets one more request go at now; if not,
// at is when to look again (zero: when an answer comes). unseen requests
// in flight may be using the bucket's slots too.
func (b *bucket) admit(now time.Time, unseen int) (ok bool, at time.Time) {
	if now.Before(b.pauseUntil) {
		return false, b.pauseUntil
	}
	switch b.state {
	case stateUnlimited:
		return true, time.Time{}
	case stateOpen:
		if now.Before(b.resetAt) {
			if b.remaining > unseen {
				return true, time.Time{}
			}
			if b.trusted {
				b.dropFrees(now)
				if b.limit-len(b.frees)-b.inflight > unseen {
					return true, time.Time{}
				}
				if len(b.frees) > 0 && b.frees[0].Before(b.resetAt) {
					return false, b.frees[0]
				}
			}
			return false, b.resetAt
		}
		b.state = stateStale
	}
	if b.probing {
		return false, time.Time{}
	}
	return true, time.Time{}
}

// take lets one request go, which admit allowed: it fills t with the
// window it belongs to.
func (b *bucket) take(t *ticket) {
	t.b, t.gen, t.before = b, b.gen, b.inflight
	switch b.state {
	case stateOpen:
		if b.remaining > 0 {
			b.remaining--
		}
	case stateUnknown, stateStale:
		b.gen++
		t.gen = b.gen
		b.probing, b.probeSeq = true, t.seq
	}
	b.inflight++
	b.grants++
	t.grants = b.grants
}

// notCounted returns the slot of a request that Discord did not count:
// never sent, or refused by the global limit.
func (b *bucket) notCounted(t *ticket) {
	switch {
	case b.probing && b.probeSeq == t.seq:
		b.probing = false
	case b == t.b && b.state == stateOpen && t.gen == b.gen:
		b.remaining++
	}
}

// quiet reports whether t was the only request of its bucket in flight
// from start to end: then its answer's Remaining is exact.
func (b *bucket) quiet(t *ticket) bool {
	return t.before == 0 && t.b == b && b.grants == t.grants
}

// overlapping counts the requests of b that were in flight at some time
// while t was: any of them may have been counted after t, even one
// answered before it, so t's Remaining may not count them.
func (b *bucket) overlapping(t *ticket) int {
	return t.before + int(b.grants-t.grants)
}

// apply reads an answer's headers into the bucket. It reports false when
// they say nothing usable (no Remaining, or no reset).
//
// unseen counts other requests in flight that may be using the bucket
// unknown to this answer: probes of routes whose hash is not known, on the
// same major parameter (contract C.3).
func (b *bucket) apply(h *limitHeaders, t *ticket, now time.Time, margin time.Duration, counted bool, unseen int) bool {
	in, ok := h.resetIn(now)
	if !ok || !h.hasRemaining {
		return false
	}
	probe := b.probing && b.probeSeq == t.seq
	if probe {
		b.probing = false
	}
	// Requests still in flight may not be counted in this answer yet.
	// (Probes of unknown routes on the same major are not subtracted:
	// admit keeps a slot for each, and if they turn out to share this
	// bucket, their answers merge into it.)
	others, wire := b.inflight, b.wire+unseen
	if t.b != b {
		others += t.b.inflight
		wire += t.b.wire
	}
	limit := b.limit
	if h.hasLimit {
		limit = h.limit
	}
	r := max(h.remaining-others, 0)
	reset := now.Add(in + margin)
	switch {
	case b.quiet(t):
		b.remaining, b.resetAt, b.state = h.remaining, reset, stateOpen
	case probe || b.state == stateUnknown || b.state == stateUnlimited:
		if t.b == b {
			r = max(h.remaining-max(b.overlapping(t), others), 0)
		}
		b.remaining, b.state = r, stateOpen
		b.resetAt = later(b.resetAt, reset)
	case b.state == stateOpen && (t.gen == b.gen || t.b != b):
		// Same window, or a request of a queue merged into this one:
		// never more than the answer allows.
		b.remaining = min(b.remaining, r)
		b.resetAt = later(b.resetAt, reset)
	default: // an answer from an earlier window: only its reset counts
		b.resetAt = later(b.resetAt, reset)
	}
	b.limit = limit
	if counted {
		b.period = max(b.period, in)
		if len(b.frees) < maxFrees {
			b.addFree(reset)
		} else {
			b.trusted = false
		}
	}
	// Do the answer and the ledger agree? Discord counts at most the
	// slots the ledger holds and those of requests on the wire; more
	// means someone else uses the bucket.
	b.dropFrees(now)
	switch {
	case limit > maxFrees || limit-h.remaining > len(b.frees)+wire:
		b.trusted = false
	case probe || b.quiet(t):
		b.trusted = true
	}
	return true
}

// maxFrees bounds the ledger; a bucket with a higher limit is not
// tracked by it.
const maxFrees = 64

// addFree records when a slot frees, keeping the list sorted.
func (b *bucket) addFree(at time.Time) {
	i := sort.Search(len(b.frees), func(i int) bool { return b.frees[i].After(at) })
	if i == maxFrees {
		return
	}
	if len(b.frees) < maxFrees {
		b.frees = append(b.frees, time.Time{})
	}
	copy(b.frees[i+1:], b.frees[i:])
	b.frees[i] = at
}

// dropFrees forgets the slots free by now.
func (b *bucket) dropFrees(now time.Time) {
	i := 0
	for i < len(b.frees) && !b.frees[i].After(now) {
		i++
	}
	if i > 0 {
		n := copy(b.frees, b.frees[i:])
		clear(b.frees[n:])
		b.frees = b.frees[:n]
	}
}

// unanswered handles an answer that says nothing (none at all, a 5xx, or
// no headers on a limited route): a probe may be retried, and a slot that
// Discord may have counted stays used for one more window.
func (b *bucket) unanswered(t *ticket, now time.Time, margin time.Duration) {
	if b.probing && b.probeSeq == t.seq {
		b.probing = false
	}
	if b.state == stateOpen && b.period > 0 {
		b.resetAt = later(b.resetAt, now.Add(b.period+margin))
		if len(b.frees) < maxFrees {
			b.addFree(now.Add(b.period + margin))
		} else {
			b.trusted = false
		}
	}
}

// idle reports whether the bucket can be forgotten at now without losing
// anything that matters.
func (b *bucket) idle(now time.Time, after time.Duration) bool {
	return len(b.waiters) == 0 && b.inflight == 0 && !b.probing &&
		!now.Before(b.resetAt) && !now.Before(b.pauseUntil) && now.Sub(b.lastUsed) >= after
}

// insert queues w in sequence order (a retry keeps its first place).
func (b *bucket) insert(w *waiter) {
	n := len(b.waiters)
	if n == 0 || b.waiters[n-1].seq < w.seq {
		b.waiters = append(b.waiters, w)
		return
	}
	i := sort.Search(n, func(i int) bool { return b.waiters[i].seq > w.seq })
	b.waiters = append(b.waiters, nil)
	copy(b.waiters[i+1:], b.waiters[i:])
	b.waiters[i] = w
}

func (b *bucket) popFront() *waiter {
	w := b.waiters[0]
	b.waiters[0] = nil
	b.waiters = b.waiters[1:]
	if len(b.waiters) == 0 {
		b.waiters = nil
	}
	return w
}

func (b *bucket) remove(w *waiter) bool {
	for i, x := range b.waiters {
		if x == w {
			copy(b.waiters[i:], b.waiters[i+1:])
			b.waiters[len(b.waiters)-1] = nil
			b.waiters = b.waiters[:len(b.waiters)-1]
			return true
		}
	}
	return false
}

func (b *bucket) position(w *waiter) int {
	for i, x := range b.waiters {
		if x == w {
			return i
		}
	}
	return len(b.waiters)
}

// Waiter stages.
const (
	stageQueued   uint8 = iota // in its bucket's queue
	stageGlobal                // holds a bucket slot, waits for the global budget
	stageReleased              // may send
	stageFailed                // refused; err says why
)

// waiter is a request held in Wait.
type waiter struct {
	ep    *rest.CompiledEndpoint
	info  routeInfo
	seq   uint64
	b     *bucket
	stage uint8
	t     ticket
	err   error
	ready chan struct{}
	since time.Time
}

// ticket pairs Wait with Unlock: which bucket and window a request that
// was let go belongs to.
type ticket struct {
	b      *bucket
	info   routeInfo
	seq    uint64
	gen    uint64
	grants uint64
	// before counts the requests of the bucket in flight when t went.
	before int
	// sent: let go (counted in its bucket's wire).
	sent bool
	// banProbe: this request tests whether a Cloudflare ban is over.
	banProbe bool
	// preHash: sent from a queue whose hash was not known.
	preHash bool
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
