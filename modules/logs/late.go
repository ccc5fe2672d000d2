package logs

import (
	"context"
	"sync"
	"time"

	"github.com/disgoorg/snowflake/v2"
)

// Each bus subscription has its own queue and goroutine, so an edit or a
// deletion can be handled before the creation of its message, which
// waits in another (usually much busier) queue. Message IDs grow with
// time, so the creation handler records the newest ID it has handled;
// an edit or deletion of a newer message that is not in the cache waits
// until the creation handler has caught up with it, or lateWait has
// passed (its creation was dropped or never came), and is then handled
// again.

// lateWait is how long an edit or deletion waits for its message.
const lateWait = 5 * time.Second

// maxLate bounds the events waiting; past it, they are handled at once.
const maxLate = 10_000

// lateEvent is an event waiting for the creation handler.
type lateEvent struct {
	upTo     snowflake.ID // the newest message it needs seen
	deadline time.Time
	run      func(ctx context.Context)
}

// lateEvents is the watermark of the creation handler and the events
// waiting for it. Safe for concurrent use.
type lateEvents struct {
	wait   time.Duration
	mu     sync.Mutex
	seen   snowflake.ID // newest message ID the creation handler handled
	parked []lateEvent
}

func newLateEvents(wait time.Duration) *lateEvents { return &lateEvents{wait: wait} }

// advance records that the creation handler handled message id, and
// returns the events that were waiting for it.
func (l *lateEvents) advance(id snowflake.ID) []lateEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	if id <= l.seen {
		return nil
	}
	l.seen = id
	if len(l.parked) == 0 {
		return nil
	}
	var ready []lateEvent
	kept := l.parked[:0]
	for _, p := range l.parked {
		if p.upTo <= id {
			ready = append(ready, p)
		} else {
			kept = append(kept, p)
		}
	}
	clear(l.parked[len(kept):])
	l.parked = kept
	return ready
}

// park makes run wait until message upTo is handled, and reports whether
// it does. It does not when the message was handled already (the caller
// goes on at once), or when too many events wait.
func (l *lateEvents) park(upTo snowflake.ID, run func(ctx context.Context)) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if upTo <= l.seen || len(l.parked) >= maxLate {
		return false
	}
	l.parked = append(l.parked, lateEvent{upTo: upTo, deadline: time.Now().Add(l.wait), run: run})
	return true
}

// expired returns the events whose wait ended by now.
func (l *lateEvents) expired(now time.Time) []lateEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	var ready []lateEvent
	kept := l.parked[:0]
	for _, p := range l.parked {
		if !p.deadline.After(now) {
			ready = append(ready, p)
		} else {
			kept = append(kept, p)
		}
	}
	clear(l.parked[len(kept):])
	l.parked = kept
	return ready
}

// drain returns every waiting event, at shutdown.
func (l *lateEvents) drain() []lateEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.parked
	l.parked = nil
	return out
}
