package bus

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// state is where a subscription is in its life; it only moves forward, except
// that Unsubscribe may end any state.
type state int

const (
	active    state = iota // accepts and delivers events
	draining               // Close began: accepts nothing, delivers what is queued
	killed                 // Close's deadline passed: delivers nothing more
	cancelled              // Unsubscribe: ignores new events, delivers nothing more
)

// offerResult is what a subscription did with a published event.
type offerResult int

const (
	offerTaken  offerResult = iota // queued, or ignored by a cancelled subscription
	offerFull                      // Backpressure queue full: the publisher must wait
	offerClosed                    // the bus is closing
)

// subscriber is one subscription: a ring-buffer queue guarded by mu, and the
// worker goroutine that empties it into the handler. The bus owns the worker:
// it exits on Unsubscribe, when Close has drained the queue, or when Close's
// deadline passes, in each case after the handler call in progress returns.
type subscriber struct {
	bus     *InProc
	topic   string
	name    string
	policy  Policy
	timeout time.Duration
	handle  Handler
	cancel  context.CancelFunc // cancels the handlers' context
	wake    chan struct{}      // capacity 1: tells the worker to look at the queue again

	mu    sync.Mutex
	state state
	buf   []any // the ring; len(buf) is Options.Queue
	head  int   // index of the oldest event
	n     int   // events queued
	idle  bool  // the worker is waiting on wake
	busy  bool  // the worker is running the handler
	space chan struct{}
	// stalled marks a Backpressure subscriber that let a publisher wait
	// its whole timeout: publishers do not wait for it again until it has
	// worked its queue down to half.
	stalled bool

	delivered, dropped, refused, panicked, failed atomic.Uint64
}

func newSubscriber(b *InProc, topic string, opts Options, h Handler, cancel context.CancelFunc) *subscriber {
	return &subscriber{
		bus:     b,
		topic:   topic,
		name:    opts.Name,
		policy:  opts.Policy,
		timeout: opts.Timeout,
		handle:  h,
		cancel:  cancel,
		wake:    make(chan struct{}, 1),
		buf:     make([]any, opts.Queue),
	}
}

// Unsubscribe implements [Subscription].
func (s *subscriber) Unsubscribe() {
	s.bus.unsubscribe(s)
	s.mu.Lock()
	s.state = cancelled
	s.clear()
	s.wakePublishers()
	s.mu.Unlock()
	s.signal()
}

// offer queues ev if there is room, making room by dropping the oldest event
// under DropOldest. It never blocks beyond s.mu.
func (s *subscriber) offer(ev any) offerResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.state {
	case cancelled:
		return offerTaken
	case draining, killed:
		return offerClosed
	}
	if s.n == len(s.buf) {
		if s.policy == Backpressure {
			return offerFull
		}
		s.pop()
		s.dropped.Add(1)
	}
	s.push(ev)
	return offerTaken
}

// wait queues ev once there is room, or gives up at deadline or when ctx ends,
// counting the event as refused.
func (s *subscriber) wait(ctx context.Context, ev any, deadline time.Time) error {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		s.mu.Lock()
		switch {
		case s.state == cancelled:
			s.mu.Unlock()
			return nil
		case s.state != active:
			s.mu.Unlock()
			return fmt.Errorf("bus: publish %q: %w", s.topic, ErrClosed)
		case s.n < len(s.buf):
			s.push(ev)
			s.mu.Unlock()
			return nil
		case s.stalled:
			s.mu.Unlock()
			s.refused.Add(1)
			return fmt.Errorf("bus: publish %q to subscriber %q: %w (stalled: its queue has been full for %v or more)", s.topic, s.name, ErrOverflow, s.timeout)
		}
		if s.space == nil {
			s.space = make(chan struct{})
		}
		space := s.space
		s.mu.Unlock()

		select {
		case <-space:
		case <-timer.C:
			s.mu.Lock()
			s.stalled = true
			s.mu.Unlock()
			s.refused.Add(1)
			return fmt.Errorf("bus: publish %q to subscriber %q: %w (waited %v)", s.topic, s.name, ErrOverflow, s.timeout)
		case <-ctx.Done():
			s.refused.Add(1)
			return fmt.Errorf("bus: publish %q to subscriber %q: %w: %w", s.topic, s.name, ErrOverflow, ctx.Err())
		}
	}
}

// run is the worker: it hands queued events to the handler, one at a time,
// until next says to stop. ctx is the handlers' context.
func (s *subscriber) run(ctx context.Context) {
	defer s.bus.workerExited(s)
	defer s.cancel()
	for {
		ev, ok := s.next()
		if !ok {
			return
		}
		s.deliver(ctx, ev)
	}
}

// next waits for the oldest queued event, or reports false when the worker
// must exit.
func (s *subscriber) next() (any, bool) {
	for {
		s.mu.Lock()
		s.busy = false
		switch {
		case s.state == killed || s.state == cancelled:
			s.mu.Unlock()
			return nil, false
		case s.n > 0:
			ev := s.pop()
			s.busy = true
			if s.stalled && s.n <= len(s.buf)/2 {
				s.stalled = false
			}
			s.wakePublishers()
			s.mu.Unlock()
			return ev, true
		case s.state == draining:
			s.mu.Unlock()
			return nil, false
		}
		s.idle = true
		s.mu.Unlock()
		<-s.wake
	}
}

// deliver calls the handler, then counts and logs how it went. A panic stops
// here: the worker carries on with the next event.
func (s *subscriber) deliver(ctx context.Context, ev any) {
	defer func() {
		if r := recover(); r != nil {
			s.panicked.Add(1)
			s.bus.log.Error("handler panicked",
				zap.String("topic", s.topic), zap.String("subscriber", s.name),
				zap.Any("panic", r), zap.Stack("stack"))
		}
	}()
	if err := s.handle(ctx, ev); err != nil {
		s.failed.Add(1)
		s.bus.log.Error("handler returned an error",
			zap.String("topic", s.topic), zap.String("subscriber", s.name), zap.Error(err))
		return
	}
	s.delivered.Add(1)
}

// drain makes the subscription refuse new events and its worker exit once the
// queue is empty.
func (s *subscriber) drain() {
	s.mu.Lock()
	if s.state == active {
		s.state = draining
	}
	s.wakePublishers()
	s.mu.Unlock()
	s.signal()
}

// kill discards the queue, stops the worker after its current handler call,
// and cancels the handlers' context. It reports how many events it discarded
// and whether a handler was running.
func (s *subscriber) kill() (queued int, running bool) {
	s.mu.Lock()
	queued, running = s.n, s.busy
	s.clear()
	if s.state != cancelled {
		s.state = killed
	}
	s.wakePublishers()
	s.mu.Unlock()
	s.signal()
	s.cancel()
	return queued, running
}

func (s *subscriber) stats() Stats {
	s.mu.Lock()
	depth := s.n
	s.mu.Unlock()
	return Stats{
		Topic:     s.topic,
		Name:      s.name,
		Policy:    s.policy,
		Depth:     depth,
		Delivered: s.delivered.Load(),
		Dropped:   s.dropped.Load(),
		Refused:   s.refused.Load(),
		Panics:    s.panicked.Load(),
		Errors:    s.failed.Load(),
	}
}

// push appends ev to the queue and wakes an idle worker. s.mu is held and
// the queue has room.
func (s *subscriber) push(ev any) {
	s.buf[(s.head+s.n)%len(s.buf)] = ev
	s.n++
	if s.idle {
		s.idle = false
		s.signal()
	}
}

// pop removes and returns the oldest event. s.mu is held and s.n > 0.
func (s *subscriber) pop() any {
	ev := s.buf[s.head]
	s.buf[s.head] = nil // let the event be collected
	s.head = (s.head + 1) % len(s.buf)
	s.n--
	return ev
}

// clear discards every queued event. s.mu is held.
func (s *subscriber) clear() {
	clear(s.buf)
	s.head, s.n = 0, 0
}

// wakePublishers wakes the publishers waiting for room, so they look again.
// s.mu is held.
func (s *subscriber) wakePublishers() {
	if s.space != nil {
		close(s.space)
		s.space = nil
	}
}

// signal tells the worker to look at its queue and state again. It never
// blocks: a signal already pending is enough.
func (s *subscriber) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
