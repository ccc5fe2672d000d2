package ratelimit

import (
	"sort"
	"time"
)

// pacer is the global budget: at most limit requests in any window,
// counted on the times they were let go (a sliding log, so both a fixed
// and a sliding server window are respected, contract C.6, A.4 O8), plus
// the pause a global 429 imposes. Waiters queue in FIFO order. The
// Limiter's mutex guards it.
type pacer struct {
	limit  int
	window time.Duration
	// ring holds the last limit release times, oldest at head.
	ring    []time.Time
	head, n int

	pausedUntil time.Time
	queue       []*waiter

	timer    Timer
	timerAt  time.Time
	timerGen uint64
}

func newPacer(perSecond int, margin time.Duration) pacer {
	if perSecond <= 0 {
		return pacer{}
	}
	return pacer{limit: perSecond, window: time.Second + margin, ring: make([]time.Time, perSecond)}
}

// on reports whether global pacing applies at all.
func (p *pacer) on() bool { return p.limit > 0 }

// freeAt is when the next request may go: now, or later.
func (p *pacer) freeAt(now time.Time) time.Time {
	t := now
	if t.Before(p.pausedUntil) {
		t = p.pausedUntil
	}
	if p.limit > 0 && p.n == p.limit {
		if next := p.ring[p.head].Add(p.window); t.Before(next) {
			t = next
		}
	}
	return t
}

// take counts one request let go at now.
func (p *pacer) take(now time.Time) {
	if p.limit <= 0 {
		return
	}
	if p.n < p.limit {
		p.ring[(p.head+p.n)%p.limit] = now
		p.n++
		return
	}
	p.ring[p.head] = now
	p.head = (p.head + 1) % p.limit
}

// insert queues w by the order requests first asked (a retry keeps its
// place): a request its key held goes before younger ones.
func (p *pacer) insert(w *waiter) {
	n := len(p.queue)
	if n == 0 || p.queue[n-1].seq < w.seq {
		p.queue = append(p.queue, w)
		return
	}
	i := sort.Search(n, func(i int) bool { return p.queue[i].seq > w.seq })
	p.queue = append(p.queue, nil)
	copy(p.queue[i+1:], p.queue[i:])
	p.queue[i] = w
}

func (p *pacer) remove(w *waiter) bool {
	for i, x := range p.queue {
		if x == w {
			copy(p.queue[i:], p.queue[i+1:])
			p.queue[len(p.queue)-1] = nil
			p.queue = p.queue[:len(p.queue)-1]
			return true
		}
	}
	return false
}

// tally counts events over the trailing ten minutes in one-second slots,
// for the invalid-request guard (contract A.1.14): constant memory and
// constant time per event.
type tally struct {
	slots [600]int32
	sum   int
	last  int64 // the Unix second of the newest slot
}

// advance forgets the slots older than ten minutes before now.
func (t *tally) advance(now time.Time) {
	sec := now.Unix()
	if sec <= t.last {
		return
	}
	from := t.last + 1
	if sec-from >= int64(len(t.slots)) {
		from = sec - int64(len(t.slots)) + 1
	}
	for s := from; s <= sec; s++ {
		i := s % int64(len(t.slots))
		t.sum -= int(t.slots[i])
		t.slots[i] = 0
	}
	t.last = sec
}

// add counts one event at now and returns the count over ten minutes.
func (t *tally) add(now time.Time) int {
	t.advance(now)
	t.slots[now.Unix()%int64(len(t.slots))]++
	t.sum++
	return t.sum
}

// count returns the count over the ten minutes before now.
func (t *tally) count(now time.Time) int {
	t.advance(now)
	return t.sum
}
