package bus

import (
	"context"
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// newTestBus returns an open bus whose log entries the test can inspect.
func newTestBus() (*InProc, *observer.ObservedLogs) {
	core, logs := observer.New(zap.DebugLevel)
	return NewInProc(zap.New(core)), logs
}

// recorder is a handler that remembers the events it received, in order.
type recorder[T any] struct {
	mu  sync.Mutex
	got []T
}

func (r *recorder[T]) handle(_ context.Context, v T) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, v)
	return nil
}

func (r *recorder[T]) events() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]T(nil), r.got...)
}

// gate is a handler that records each event and then waits for the test to
// open it (once for all events), or for its context to end.
type gate struct {
	recorder[int]
	open chan struct{}
}

func newGate() *gate { return &gate{open: make(chan struct{})} }

func (g *gate) handle(ctx context.Context, v int) error {
	_ = g.recorder.handle(ctx, v)
	select {
	case <-g.open:
	case <-ctx.Done():
	}
	return nil
}

// mustSubscribe subscribes h to topic with opts, failing the test on error.
func mustSubscribe[T any](t *testing.T, b Bus, topic Topic[T], opts Options, h func(context.Context, T) error) Subscription {
	t.Helper()
	sub, err := Subscribe(b, topic, opts, h)
	if err != nil {
		t.Fatalf("Subscribe(%q, %+v): %v", topic.Name(), opts, err)
	}
	return sub
}

// mustPublish publishes each of vs on topic, failing the test on error.
func mustPublish[T any](t *testing.T, b Bus, topic Topic[T], vs ...T) {
	t.Helper()
	for _, v := range vs {
		if err := Publish(t.Context(), b, topic, v); err != nil {
			t.Fatalf("Publish(%q, %v): %v", topic.Name(), v, err)
		}
	}
}

// mustClose closes b, waiting for every queue to drain.
func mustClose(t *testing.T, b *InProc) {
	t.Helper()
	if err := b.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// statsOf returns the stats of subscriber name on topic.
func statsOf(t *testing.T, b *InProc, topic, name string) Stats {
	t.Helper()
	for _, s := range b.Stats() {
		if s.Topic == topic && s.Name == name {
			return s
		}
	}
	t.Fatalf("Stats: no subscriber %q on %q", name, topic)
	return Stats{}
}

// counts is the part of Stats that tests compare.
type counts struct {
	Depth                                       int
	Delivered, Dropped, Refused, Panics, Errors uint64
}

func countsOf(s Stats) counts {
	return counts{s.Depth, s.Delivered, s.Dropped, s.Refused, s.Panics, s.Errors}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}
