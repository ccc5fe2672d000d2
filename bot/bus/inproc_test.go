package bus

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

var numbers = NewTopic[int]("test.numbers")

func TestPublishWithoutSubscribersSucceeds(t *testing.T) {
	b, _ := newTestBus()
	defer mustClose(t, b)
	if err := b.Publish(t.Context(), "nobody.listens", 1); err != nil {
		t.Errorf("Publish: got %v; want nil", err)
	}
}

func TestEventsReachEachSubscriberInPublishOrder(t *testing.T) {
	// Real goroutines and a tiny Backpressure queue, so that the publisher
	// keeps waiting for room while the race detector watches.
	b, _ := newTestBus()
	subs := []Options{
		{Name: "test.drop-oldest", Policy: DropOldest, Queue: 2000},
		{Name: "test.backpressure", Policy: Backpressure, Queue: 1},
		{Name: "test.backpressure-wide", Policy: Backpressure, Queue: 64},
	}
	recs := make([]*recorder[int], len(subs))
	for i, opts := range subs {
		recs[i] = &recorder[int]{}
		mustSubscribe(t, b, numbers, opts, recs[i].handle)
	}
	want := seq(0, 2000)
	mustPublish(t, b, numbers, want...)
	mustClose(t, b)
	for i, opts := range subs {
		if got := recs[i].events(); !slices.Equal(got, want) {
			t.Errorf("%s: got %d events, first out of order at %d; want 0..1999 in order",
				opts.Name, len(got), firstDifference(got, want))
		}
	}
}

func TestConcurrentPublishersKeepTheirOwnOrder(t *testing.T) {
	// Real goroutines: four publishers, and a subscription that leaves midway,
	// for the race detector. Each event is publisher*1000 + sequence.
	const publishers, perPublisher = 4, 500
	b, _ := newTestBus()
	all := &recorder[int]{}
	mustSubscribe(t, b, numbers, Options{Name: "test.all", Policy: Backpressure, Queue: 8}, all.handle)
	lossy := &recorder[int]{}
	mustSubscribe(t, b, numbers, Options{Name: "test.lossy", Queue: 8}, lossy.handle)
	leaving := &recorder[int]{}
	leave := mustSubscribe(t, b, numbers, Options{Name: "test.leaving", Policy: Backpressure, Queue: 8}, leaving.handle)

	errs := make(chan error, publishers)
	for p := range publishers {
		go func() {
			for i := range perPublisher {
				if err := Publish(t.Context(), b, numbers, p*1000+i); err != nil {
					errs <- err
					return
				}
				if p == 0 && i == perPublisher/2 {
					leave.Unsubscribe()
				}
			}
			errs <- nil
		}()
	}
	for range publishers {
		if err := <-errs; err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	mustClose(t, b)

	if got := len(all.events()); got != publishers*perPublisher {
		t.Errorf("backpressure subscriber got %d events; want %d", got, publishers*perPublisher)
	}
	for name, rec := range map[string]*recorder[int]{"test.all": all, "test.lossy": lossy, "test.leaving": leaving} {
		last := map[int]int{}
		for _, v := range rec.events() {
			p, i := v/1000, v%1000
			if prev, ok := last[p]; ok && i <= prev {
				t.Errorf("%s: got publisher %d's event %d after its event %d; want publish order", name, p, i, prev)
				break
			}
			last[p] = i
		}
	}
}

func firstDifference(a, b []int) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestBlockedDropOldestSubscriberDelaysNeitherPublishNorOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := newTestBus()
		stuck := newGate()
		mustSubscribe(t, b, numbers, Options{Name: "test.stuck", Queue: 4}, stuck.handle)
		fast := &recorder[int]{}
		mustSubscribe(t, b, numbers, Options{Name: "test.fast", Queue: 100}, fast.handle)

		mustPublish(t, b, numbers, 0)
		synctest.Wait() // 0 is in the stuck handler
		start := time.Now()
		mustPublish(t, b, numbers, seq(1, 50)...)
		if waited := time.Since(start); waited != 0 {
			t.Errorf("Publish waited %v; want no wait", waited)
		}
		synctest.Wait()
		if got := fast.events(); !slices.Equal(got, seq(0, 50)) {
			t.Errorf("fast subscriber got %v; want 0..49 while the other is stuck", got)
		}
		if got := stuck.events(); !slices.Equal(got, []int{0}) {
			t.Errorf("stuck subscriber got %v; want [0]", got)
		}
		if got, want := countsOf(statsOf(t, b, numbers.Name(), "test.stuck")), (counts{Depth: 4, Dropped: 45}); got != want {
			t.Errorf("stuck subscriber stats: got %+v; want %+v", got, want)
		}
		close(stuck.open)
		mustClose(t, b)
		if got, want := stuck.events(), []int{0, 46, 47, 48, 49}; !slices.Equal(got, want) {
			t.Errorf("stuck subscriber got %v once released; want %v", got, want)
		}
	})
}

func TestDropOldestKeepsTheNewestAndCountsDrops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := newTestBus()
		h := newGate()
		mustSubscribe(t, b, numbers, Options{Name: "test.stats", Policy: DropOldest, Queue: 4}, h.handle)

		mustPublish(t, b, numbers, 0)
		synctest.Wait() // the worker holds 0 in the handler
		mustPublish(t, b, numbers, seq(1, 10)...)

		if got, want := countsOf(statsOf(t, b, numbers.Name(), "test.stats")), (counts{Depth: 4, Dropped: 5}); got != want {
			t.Errorf("stats while stuck: got %+v; want %+v", got, want)
		}
		close(h.open)
		mustClose(t, b)
		if got, want := h.events(), []int{0, 6, 7, 8, 9}; !slices.Equal(got, want) {
			t.Errorf("delivered %v; want %v", got, want)
		}
		if got, want := countsOf(statsOf(t, b, numbers.Name(), "test.stats")), (counts{Delivered: 5, Dropped: 5}); got != want {
			t.Errorf("stats after close: got %+v; want %+v", got, want)
		}
	})
}

func TestBackpressureWaitsForRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := newTestBus()
		step := make(chan struct{})
		rec := &recorder[int]{}
		mustSubscribe(t, b, numbers, Options{Name: "test.audit", Policy: Backpressure, Queue: 1, Timeout: time.Minute},
			func(ctx context.Context, v int) error {
				_ = rec.handle(ctx, v)
				<-step
				return nil
			})

		mustPublish(t, b, numbers, 0)
		synctest.Wait() // 0 is in the handler
		mustPublish(t, b, numbers, 1)

		start := time.Now()
		published := make(chan error)
		go func() { published <- Publish(t.Context(), b, numbers, 2) }()
		synctest.Wait()
		select {
		case err := <-published:
			t.Fatalf("Publish into a full queue returned %v before there was room; want it to wait", err)
		default:
		}

		step <- struct{}{} // the handler finishes 0, the worker takes 1: room for 2
		if err := <-published; err != nil {
			t.Fatalf("Publish once there is room: got %v; want nil", err)
		}
		if waited := time.Since(start); waited != 0 {
			t.Errorf("Publish waited %v; want it to return as soon as the handler caught up", waited)
		}
		close(step)
		mustClose(t, b)
		if got, want := rec.events(), []int{0, 1, 2}; !slices.Equal(got, want) {
			t.Errorf("delivered %v; want %v", got, want)
		}
		if got := statsOf(t, b, numbers.Name(), "test.audit").Refused; got != 0 {
			t.Errorf("Refused: got %d; want 0", got)
		}
	})
}

func TestBackpressureRefusesPastTimeoutOrContext(t *testing.T) {
	tests := []struct {
		name      string
		ctxWait   time.Duration // 0: the publish context does not end
		wantWait  time.Duration
		wantCause error
	}{
		{name: "timeout", wantWait: 2 * time.Second},
		{name: "context deadline", ctxWait: time.Second, wantWait: time.Second, wantCause: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b, _ := newTestBus()
				audit := newGate()
				mustSubscribe(t, b, numbers, Options{Name: "test.audit", Policy: Backpressure, Queue: 1, Timeout: 2 * time.Second}, audit.handle)
				stats := &recorder[int]{}
				mustSubscribe(t, b, numbers, Options{Name: "test.stats"}, stats.handle)

				mustPublish(t, b, numbers, 0)
				synctest.Wait() // 0 is in audit's handler
				mustPublish(t, b, numbers, 1)

				ctx := t.Context()
				if tt.ctxWait > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.ctxWait)
					defer cancel()
				}
				start := time.Now()
				err := Publish(ctx, b, numbers, 2)
				if waited := time.Since(start); waited != tt.wantWait {
					t.Errorf("Publish waited %v; want %v", waited, tt.wantWait)
				}
				if !errors.Is(err, ErrOverflow) {
					t.Fatalf("Publish: got %v; want an error wrapping ErrOverflow", err)
				}
				if tt.wantCause != nil && !errors.Is(err, tt.wantCause) {
					t.Errorf("Publish: got %v; want an error also wrapping %v", err, tt.wantCause)
				}
				for _, want := range []string{`"test.numbers"`, `"test.audit"`} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("Publish error %q does not name %s", err, want)
					}
				}

				synctest.Wait()
				if got, want := stats.events(), []int{0, 1, 2}; !slices.Equal(got, want) {
					t.Errorf("the other subscriber got %v; want %v despite the overflow", got, want)
				}
				if got, want := countsOf(statsOf(t, b, numbers.Name(), "test.audit")), (counts{Depth: 1, Refused: 1}); got != want {
					t.Errorf("audit stats: got %+v; want %+v", got, want)
				}
				close(audit.open)
				mustClose(t, b)
				if got, want := audit.events(), []int{0, 1}; !slices.Equal(got, want) {
					t.Errorf("audit got %v; want %v", got, want)
				}
			})
		})
	}
}

func TestBackpressureErrorNamesEverySubscriberThatRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := newTestBus()
		var gates []*gate
		for _, name := range []string{"test.audit", "test.modlog"} {
			g := newGate()
			gates = append(gates, g)
			mustSubscribe(t, b, numbers, Options{Name: name, Policy: Backpressure, Queue: 1, Timeout: time.Second}, g.handle)
		}
		mustPublish(t, b, numbers, 0)
		synctest.Wait()
		mustPublish(t, b, numbers, 1)

		start := time.Now()
		err := Publish(t.Context(), b, numbers, 2)
		if waited := time.Since(start); waited != time.Second {
			t.Errorf("Publish waited %v; want 1s: the timeouts run together", waited)
		}
		for _, want := range []string{`"test.audit"`, `"test.modlog"`} {
			if !strings.Contains(fmt.Sprint(err), want) {
				t.Errorf("Publish error %q does not name %s", err, want)
			}
		}
		for _, g := range gates {
			close(g.open)
		}
		mustClose(t, b)
	})
}

func TestHandlerFailuresAreRecoveredLoggedAndCounted(t *testing.T) {
	tests := []struct {
		name       string
		handle     func(v int) error
		wantCounts counts
		wantLog    string
	}{
		{
			name: "panic",
			handle: func(v int) error {
				if v == 1 {
					panic("boom")
				}
				return nil
			},
			wantCounts: counts{Delivered: 2, Panics: 1},
			wantLog:    "handler panicked",
		},
		{
			name: "error",
			handle: func(v int) error {
				if v == 1 {
					return errors.New("moderation: lookup member: not found")
				}
				return nil
			},
			wantCounts: counts{Delivered: 2, Errors: 1},
			wantLog:    "handler returned an error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, logs := newTestBus()
			failing := &recorder[int]{}
			mustSubscribe(t, b, numbers, Options{Name: "test.failing"}, func(ctx context.Context, v int) error {
				_ = failing.handle(ctx, v)
				return tt.handle(v)
			})
			other := &recorder[int]{}
			mustSubscribe(t, b, numbers, Options{Name: "test.other"}, other.handle)

			mustPublish(t, b, numbers, 0, 1, 2)
			mustClose(t, b)

			if got, want := failing.events(), []int{0, 1, 2}; !slices.Equal(got, want) {
				t.Errorf("failing subscriber got %v; want %v: it carries on after a failure", got, want)
			}
			if got, want := other.events(), []int{0, 1, 2}; !slices.Equal(got, want) {
				t.Errorf("other subscriber got %v; want %v", got, want)
			}
			if got := countsOf(statsOf(t, b, numbers.Name(), "test.failing")); got != tt.wantCounts {
				t.Errorf("stats: got %+v; want %+v", got, tt.wantCounts)
			}
			entries := logs.FilterMessage(tt.wantLog).All()
			if len(entries) != 1 {
				t.Fatalf("log entries %q: got %d; want 1 (all: %v)", tt.wantLog, len(entries), logs.All())
			}
			fields := entries[0].ContextMap()
			if fields["topic"] != "test.numbers" || fields["subscriber"] != "test.failing" {
				t.Errorf("log fields: got topic %v, subscriber %v; want test.numbers, test.failing", fields["topic"], fields["subscriber"])
			}
			if tt.name == "panic" {
				if stack, _ := fields["stack"].(string); !strings.Contains(stack, "bus.") {
					t.Errorf("panic log stack: got %q; want a stack trace", stack)
				}
			}
		})
	}
}

func TestCloseDrainsQueuesAndRefusesNewEvents(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := newTestBus()
		h := newGate()
		mustSubscribe(t, b, numbers, Options{Name: "test.slow", Policy: Backpressure}, h.handle)
		other := &recorder[int]{}
		mustSubscribe(t, b, numbers, Options{Name: "test.other"}, other.handle)
		mustPublish(t, b, numbers, seq(0, 10)...)

		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		start := time.Now()
		closed := make(chan error)
		go func() { closed <- b.Close(ctx) }()
		synctest.Wait()
		select {
		case err := <-closed:
			t.Fatalf("Close returned %v while events were queued; want it to drain first", err)
		default:
		}
		if err := Publish(t.Context(), b, numbers, 99); !errors.Is(err, ErrClosed) {
			t.Errorf("Publish while closing: got %v; want ErrClosed", err)
		}

		close(h.open)
		if err := <-closed; err != nil {
			t.Errorf("Close: got %v; want nil: everything was delivered", err)
		}
		if waited := time.Since(start); waited != 0 {
			t.Errorf("Close waited %v; want it to return as soon as the queues drained", waited)
		}
		if got, want := h.events(), seq(0, 10); !slices.Equal(got, want) {
			t.Errorf("slow subscriber got %v; want %v", got, want)
		}
		if got, want := other.events(), seq(0, 10); !slices.Equal(got, want) {
			t.Errorf("other subscriber got %v; want %v", got, want)
		}
	})
}

func TestCloseGivesUpAtDeadlineAndCancelsHandlers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := newTestBus()
		handlerErr := make(chan error, 1)
		mustSubscribe(t, b, numbers, Options{Name: "test.stuck"}, func(ctx context.Context, v int) error {
			<-ctx.Done() // stuck until the bus gives up
			handlerErr <- ctx.Err()
			return nil
		})
		other := &recorder[int]{}
		mustSubscribe(t, b, numbers, Options{Name: "test.other"}, other.handle)
		mustPublish(t, b, numbers, seq(0, 5)...)
		synctest.Wait() // 0 is in the stuck handler, 1..4 are queued

		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		start := time.Now()
		err := b.Close(ctx)
		if waited := time.Since(start); waited != 3*time.Second {
			t.Errorf("Close waited %v; want the 3s deadline", waited)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Close: got %v; want an error wrapping context.DeadlineExceeded", err)
		}
		if want := "5 undelivered events (4 queued, 1 in running handlers)"; !strings.Contains(fmt.Sprint(err), want) {
			t.Errorf("Close: got %v; want it to say %q", err, want)
		}
		if got := <-handlerErr; !errors.Is(got, context.Canceled) {
			t.Errorf("handler context: got %v; want context.Canceled", got)
		}
		if got, want := other.events(), seq(0, 5); !slices.Equal(got, want) {
			t.Errorf("other subscriber got %v; want %v", got, want)
		}
		if again := b.Close(t.Context()); again == nil || again.Error() != err.Error() {
			t.Errorf("second Close: got %v; want the first result %v", again, err)
		}
		// synctest.Test fails if a worker is left behind.
	})
}

func TestClosedBusRefusesPublishAndSubscribe(t *testing.T) {
	b, _ := newTestBus()
	mustSubscribe(t, b, numbers, Options{Name: "test.any"}, (&recorder[int]{}).handle)
	mustClose(t, b)

	if err := Publish(t.Context(), b, numbers, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Close: got %v; want ErrClosed", err)
	}
	if err := b.Publish(t.Context(), "nobody.listens", 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish without subscribers after Close: got %v; want ErrClosed", err)
	}
	if _, err := b.Subscribe("test.late", Options{Name: "test.late"}, func(context.Context, any) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close: got %v; want ErrClosed", err)
	}
	if err := b.Close(t.Context()); err != nil {
		t.Errorf("second Close: got %v; want nil, like the first", err)
	}
}

func TestUnsubscribeStopsDelivery(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, b *InProc, sub func() Subscription, h *gate)
	}{
		{
			name: "later events",
			run: func(t *testing.T, b *InProc, sub func() Subscription, h *gate) {
				close(h.open)
				mustPublish(t, b, numbers, 0)
				synctest.Wait()
				sub().Unsubscribe()
				mustPublish(t, b, numbers, 1, 2)
			},
		},
		{
			name: "queued events",
			run: func(t *testing.T, b *InProc, sub func() Subscription, h *gate) {
				mustPublish(t, b, numbers, 0)
				synctest.Wait() // 0 is in the handler
				mustPublish(t, b, numbers, 1, 2)
				sub().Unsubscribe()
				close(h.open)
			},
		},
		{
			name: "twice",
			run: func(t *testing.T, b *InProc, sub func() Subscription, h *gate) {
				close(h.open)
				mustPublish(t, b, numbers, 0)
				synctest.Wait()
				sub().Unsubscribe()
				sub().Unsubscribe()
				mustPublish(t, b, numbers, 1)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b, _ := newTestBus()
				h := newGate()
				s := mustSubscribe(t, b, numbers, Options{Name: "test.leaving", Policy: Backpressure}, h.handle)
				tt.run(t, b, func() Subscription { return s }, h)
				synctest.Wait()
				if got, want := h.events(), []int{0}; !slices.Equal(got, want) {
					t.Errorf("delivered %v; want %v", got, want)
				}
				if got := b.Stats(); len(got) != 0 {
					t.Errorf("Stats after Unsubscribe: got %+v; want none", got)
				}
				mustClose(t, b)
			})
		})
	}
}

func TestHandlerMayUnsubscribeItself(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := newTestBus()
		rec := &recorder[int]{}
		subscribed := make(chan Subscription, 1)
		sub := mustSubscribe(t, b, numbers, Options{Name: "test.once"}, func(ctx context.Context, v int) error {
			_ = rec.handle(ctx, v)
			(<-subscribed).Unsubscribe()
			return nil
		})
		subscribed <- sub
		mustPublish(t, b, numbers, 0, 1, 2)
		synctest.Wait()
		mustPublish(t, b, numbers, 3)
		mustClose(t, b)
		if got, want := rec.events(), []int{0}; !slices.Equal(got, want) {
			t.Errorf("delivered %v; want %v", got, want)
		}
	})
}

func TestUnsubscribeReleasesWaitingPublisher(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := newTestBus()
		h := newGate()
		sub := mustSubscribe(t, b, numbers, Options{Name: "test.audit", Policy: Backpressure, Queue: 1}, h.handle)
		mustPublish(t, b, numbers, 0)
		synctest.Wait()
		mustPublish(t, b, numbers, 1)

		published := make(chan error)
		go func() { published <- Publish(t.Context(), b, numbers, 2) }()
		synctest.Wait()
		sub.Unsubscribe()
		if err := <-published; err != nil {
			t.Errorf("Publish waiting on a subscriber that left: got %v; want nil", err)
		}
		close(h.open)
		mustClose(t, b)
	})
}

func TestCloseReleasesWaitingPublisher(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := newTestBus()
		h := newGate()
		mustSubscribe(t, b, numbers, Options{Name: "test.audit", Policy: Backpressure, Queue: 1}, h.handle)
		mustPublish(t, b, numbers, 0)
		synctest.Wait()
		mustPublish(t, b, numbers, 1)

		published := make(chan error)
		go func() { published <- Publish(t.Context(), b, numbers, 2) }()
		synctest.Wait()
		closed := make(chan error)
		go func() { closed <- b.Close(context.Background()) }()
		if err := <-published; !errors.Is(err, ErrClosed) {
			t.Errorf("Publish waiting when Close began: got %v; want ErrClosed", err)
		}
		close(h.open)
		if err := <-closed; err != nil {
			t.Errorf("Close: got %v; want nil", err)
		}
		if got, want := h.events(), []int{0, 1}; !slices.Equal(got, want) {
			t.Errorf("delivered %v; want %v", got, want)
		}
	})
}

func TestStatsListsSubscriptionsByTopicThenName(t *testing.T) {
	b, _ := newTestBus()
	nop := func(context.Context, any) error { return nil }
	for _, sub := range []struct {
		topic string
		opts  Options
	}{
		{"b.topic", Options{Name: "z.sub", Policy: Backpressure}},
		{"a.topic", Options{Name: "y.sub"}},
		{"b.topic", Options{Name: "a.sub"}},
	} {
		if _, err := b.Subscribe(sub.topic, sub.opts, nop); err != nil {
			t.Fatalf("Subscribe(%q, %+v): %v", sub.topic, sub.opts, err)
		}
	}
	mustClose(t, b)
	var got []string
	for _, s := range b.Stats() {
		got = append(got, s.Topic+"/"+s.Name+"/"+s.Policy.String())
	}
	want := []string{"a.topic/y.sub/drop-oldest", "b.topic/a.sub/drop-oldest", "b.topic/z.sub/backpressure"}
	if !slices.Equal(got, want) {
		t.Errorf("Stats: got %v; want %v", got, want)
	}
}

func TestSubscribeRejectsInvalidOptions(t *testing.T) {
	nop := func(context.Context, any) error { return nil }
	tests := []struct {
		name    string
		topic   string
		opts    Options
		handler Handler
		wantErr string
	}{
		{"empty topic", "", Options{Name: "test.x"}, nop, "empty topic"},
		{"nil handler", "test.topic", Options{Name: "test.x"}, nil, "nil handler"},
		{"no name", "test.topic", Options{}, nop, "need a Name"},
		{"unknown policy", "test.topic", Options{Name: "test.x", Policy: 7}, nop, "unknown policy Policy(7)"},
		{"negative queue", "test.topic", Options{Name: "test.x", Queue: -1}, nop, "negative queue"},
		{"negative timeout", "test.topic", Options{Name: "test.x", Timeout: -time.Second}, nop, "negative timeout"},
		{"duplicate name", "test.taken", Options{Name: "test.taken"}, nop, `subscriber "test.taken" already exists`},
	}
	b, _ := newTestBus()
	defer mustClose(t, b)
	if _, err := b.Subscribe("test.taken", Options{Name: "test.taken"}, nop); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := b.Subscribe(tt.topic, tt.opts, tt.handler)
			if err == nil {
				sub.Unsubscribe()
				t.Fatalf("Subscribe: got nil error; want one containing %q", tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "bus: subscribe") || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Subscribe: got %q; want a bus: subscribe error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestCloseLeavesNoGoroutinesBehind(t *testing.T) {
	// Outside synctest on purpose: real scheduling, counted the hard way.
	before := runtime.NumGoroutine()
	b, _ := newTestBus()
	for i := range 8 {
		opts := Options{Name: fmt.Sprintf("test.sub%d", i), Policy: Policy(i % 2), Queue: 4}
		mustSubscribe(t, b, numbers, opts, (&recorder[int]{}).handle)
	}
	mustPublish(t, b, numbers, seq(0, 100)...)
	mustClose(t, b)

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: got %d; want at most %d as before the bus\n%s",
				runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
	}
}

// benchEvent is the size of a typical gateway event header.
type benchEvent struct {
	GuildID, ChannelID, AuthorID uint64
}

func BenchmarkPublish(b *testing.B) {
	topic := NewTopic[benchEvent]("bench.events")
	for _, policy := range []Policy{DropOldest, Backpressure} {
		for _, n := range []int{1, 8} {
			b.Run(fmt.Sprintf("%v/subscribers=%d", policy, n), func(b *testing.B) {
				bus := NewInProc(nil)
				for i := range n {
					opts := Options{Name: fmt.Sprintf("bench.sub%d", i), Policy: policy}
					if _, err := Subscribe(bus, topic, opts, func(context.Context, benchEvent) error { return nil }); err != nil {
						b.Fatal(err)
					}
				}
				ev := benchEvent{GuildID: 1, ChannelID: 2}
				b.ReportAllocs()
				for b.Loop() {
					ev.AuthorID++ // a new value each time, boxed like a real event
					if err := Publish(b.Context(), bus, topic, ev); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				if err := bus.Close(context.Background()); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}

// After one full timeout a subscriber counts as stalled: the next
// publishes refuse its events at once, and once it has worked its queue
// down to half, publishers wait for it again.
func TestAStalledSubscriberCostsOneTimeoutNotOnePerEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := newTestBus()
		audit := newGate()
		mustSubscribe(t, b, numbers, Options{Name: "test.audit", Policy: Backpressure, Queue: 2, Timeout: 2 * time.Second}, audit.handle)
		mustPublish(t, b, numbers, 0)
		synctest.Wait() // 0 is in the handler, stuck
		mustPublish(t, b, numbers, 1)
		mustPublish(t, b, numbers, 2) // the queue is full

		start := time.Now()
		if err := Publish(t.Context(), b, numbers, 3); !errors.Is(err, ErrOverflow) || time.Since(start) != 2*time.Second {
			t.Fatalf("first overflow: %v after %v; want ErrOverflow after the 2s timeout", err, time.Since(start))
		}
		for i := 4; i < 10; i++ {
			start := time.Now()
			err := Publish(t.Context(), b, numbers, i)
			if !errors.Is(err, ErrOverflow) || !strings.Contains(err.Error(), "stalled") || time.Since(start) != 0 {
				t.Fatalf("publish %d to a stalled subscriber: %v after %v; want a refusal at once", i, err, time.Since(start))
			}
		}
		if got := statsOf(t, b, numbers.Name(), "test.audit").Refused; got != 7 {
			t.Errorf("refused %d; want 7", got)
		}
		close(audit.open) // it works its queue down
		synctest.Wait()
		mustPublish(t, b, numbers, 10)
		synctest.Wait()
		if got, want := audit.events(), []int{0, 1, 2, 10}; !slices.Equal(got, want) {
			t.Errorf("audit got %v; want %v", got, want)
		}
		mustClose(t, b)
	})
}
