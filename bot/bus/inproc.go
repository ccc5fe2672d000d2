package bus

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"
)

// InProc is the in-process [Bus]: every subscription owns a bounded queue and
// one worker goroutine. The zero value is not usable; call [NewInProc]. All
// methods are safe for concurrent use.
type InProc struct {
	log *zap.Logger

	mu      sync.RWMutex
	topics  map[string][]*subscriber // copy-on-write: a published slice is never modified
	workers map[*subscriber]struct{} // subscriptions whose worker has not exited yet
	closing bool                     // Close has begun
	stopped chan struct{}            // closed once closing and every worker has exited
	done    chan struct{}            // closed when the first Close returns
	err     error                    // the first Close's result, readable after done
}

// NewInProc returns an empty, open bus. It logs handler errors and panics to
// log, which should already be named for the bus (log.Named("bus")); a nil log
// discards them.
func NewInProc(log *zap.Logger) *InProc {
	if log == nil {
		log = zap.NewNop()
	}
	return &InProc{
		log:     log,
		topics:  make(map[string][]*subscriber),
		workers: make(map[*subscriber]struct{}),
		stopped: make(chan struct{}),
		done:    make(chan struct{}),
	}
}

// Stats describes one subscription, for metrics and health checks. The
// counters only grow; Delivered+Errors+Panics is the number of handler calls
// that have returned.
type Stats struct {
	Topic  string // the subscribed topic
	Name   string // Options.Name
	Policy Policy // Options.Policy

	Depth     int    // events queued now, not counting one being handled
	Delivered uint64 // handler calls that returned nil
	Dropped   uint64 // events dropped by DropOldest to make room
	Refused   uint64 // events refused by Backpressure after its timeout or the publish context ended
	Panics    uint64 // handler calls that panicked
	Errors    uint64 // handler calls that returned an error, including typed-topic mismatches
}

// Stats returns a snapshot of every subscription not yet cancelled, sorted by
// topic then name. Subscriptions stay listed after Close.
func (b *InProc) Stats() []Stats {
	b.mu.RLock()
	var out []Stats
	for _, subs := range b.topics {
		for _, s := range subs {
			out = append(out, s.stats())
		}
	}
	b.mu.RUnlock()
	slices.SortFunc(out, func(a, b Stats) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Subscribe implements [Bus]. It returns an error when opts is invalid (no
// Name, a negative Queue or Timeout, an unknown Policy), when topic already
// has a subscriber of that name, and [ErrClosed] once Close has begun.
func (b *InProc) Subscribe(topic string, opts Options, h Handler) (Subscription, error) {
	if topic == "" {
		return nil, errors.New("bus: subscribe: empty topic")
	}
	if h == nil {
		return nil, fmt.Errorf("bus: subscribe %q: nil handler", topic)
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("bus: subscribe %q: %w", topic, err)
	}

	// The handlers' context is cancelled by Close past its deadline, and
	// released by the worker when it exits.
	ctx, cancel := context.WithCancel(context.Background())
	s := newSubscriber(b, topic, opts, h, cancel)
	b.mu.Lock()
	if b.closing {
		b.mu.Unlock()
		cancel()
		return nil, fmt.Errorf("bus: subscribe %q: %w", topic, ErrClosed)
	}
	subs := b.topics[topic]
	if slices.ContainsFunc(subs, func(o *subscriber) bool { return o.name == s.name }) {
		b.mu.Unlock()
		cancel()
		return nil, fmt.Errorf("bus: subscribe %q: subscriber %q already exists", topic, s.name)
	}
	b.topics[topic] = append(slices.Clip(subs), s) // a new array: publishers may hold the old one
	b.workers[s] = struct{}{}
	b.mu.Unlock()

	go s.run(ctx)
	return s, nil
}

// Publish implements [Bus]. It offers event to every subscriber of topic
// first, then waits for the Backpressure ones that were full, each up to its
// own Timeout counted from the call, so a slow subscriber delays only this
// call and never the others' delivery. ctx bounds only that wait. When
// several subscribers overflow, the error joins one error per subscriber.
func (b *InProc) Publish(ctx context.Context, topic string, event any) error {
	b.mu.RLock()
	closing, subs := b.closing, b.topics[topic]
	b.mu.RUnlock()
	if closing {
		return fmt.Errorf("bus: publish %q: %w", topic, ErrClosed)
	}

	var fullBuf [4]*subscriber
	full := fullBuf[:0]
	for _, s := range subs {
		switch s.offer(event) {
		case offerFull:
			full = append(full, s)
		case offerClosed:
			return fmt.Errorf("bus: publish %q: %w", topic, ErrClosed)
		}
	}
	if len(full) == 0 {
		return nil
	}

	start := time.Now()
	var errs []error
	for _, s := range full {
		if err := s.wait(ctx, event, start.Add(s.timeout)); err != nil {
			if errors.Is(err, ErrClosed) {
				return err
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close implements [Bus]. It waits for every queue to drain until ctx ends. If
// ctx ends first, it discards what is still queued, cancels the context of
// the handlers still running and returns an error wrapping ctx.Err() that
// counts the undelivered events: those queued plus those whose handler was
// still running. It does not wait for a handler that ignores its context; that
// worker exits as soon as the handler returns. Close with a context that never
// ends waits for the queues to drain, however long that takes.
//
// Close is idempotent: later calls wait for the first (or for their own ctx)
// and return its result.
func (b *InProc) Close(ctx context.Context) error {
	b.mu.Lock()
	if b.closing {
		b.mu.Unlock()
		select {
		case <-b.done:
			return b.err
		case <-ctx.Done():
			return fmt.Errorf("bus: close: %w", ctx.Err())
		}
	}
	b.closing = true
	workers := make([]*subscriber, 0, len(b.workers))
	for s := range b.workers {
		workers = append(workers, s)
	}
	if len(workers) == 0 {
		close(b.stopped)
	}
	b.mu.Unlock()

	for _, s := range workers {
		s.drain()
	}
	b.err = b.awaitDrain(ctx, workers)
	close(b.done)
	return b.err
}

// awaitDrain waits for the workers to empty their queues and exit, or for ctx
// to end; then it stops those left and counts what they did not deliver.
func (b *InProc) awaitDrain(ctx context.Context, workers []*subscriber) error {
	select {
	case <-b.stopped:
		return nil
	case <-ctx.Done():
	}
	var queued, running int
	for _, s := range workers {
		q, r := s.kill()
		queued += q
		if r {
			running++
		}
	}
	if queued+running == 0 {
		return nil // the last handlers returned as ctx ended
	}
	return fmt.Errorf("bus: close: %d undelivered events (%d queued, %d in running handlers): %w",
		queued+running, queued, running, ctx.Err())
}

// unsubscribe removes s from its topic, so that publishers no longer see it.
func (b *InProc) unsubscribe(s *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	subs := b.topics[s.topic]
	i := slices.Index(subs, s)
	if i < 0 {
		return
	}
	if len(subs) == 1 {
		delete(b.topics, s.topic)
		return
	}
	rest := make([]*subscriber, 0, len(subs)-1) // a new array: publishers may hold the old one
	b.topics[s.topic] = append(append(rest, subs[:i]...), subs[i+1:]...)
}

// workerExited forgets s's worker and, during Close, reports when it was the
// last one.
func (b *InProc) workerExited(s *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.workers, s)
	if b.closing && len(b.workers) == 0 {
		close(b.stopped)
	}
}

// Interface guards
var (
	_ Bus          = (*InProc)(nil)
	_ Subscription = (*subscriber)(nil)
)
