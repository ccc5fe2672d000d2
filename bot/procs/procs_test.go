package procs

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// feed plays windows of 250 ms into a Governor, each with the share of a
// core the process used.
type feed struct {
	g *Governor
	s Sample
}

func newFeed(max int) *feed {
	g := New(max, 250*time.Millisecond, nil, nil, zap.NewNop())
	f := &feed{g: g, s: Sample{At: t0}}
	g.last = f.s
	return f
}

func (f *feed) window(busy float64) int {
	const w = 250 * time.Millisecond
	f.s.At = f.s.At.Add(w)
	f.s.CPU += time.Duration(busy * float64(w))
	return f.g.Next(f.s)
}

func TestGovernorStartsWithEveryCoreAndDropsToOneWhenTheLoadIsLight(t *testing.T) {
	f := newFeed(4)
	for i := range calmWindows - 1 {
		if n := f.window(0.3); n != 4 {
			t.Fatalf("window %d: got %d cores; want 4 until %d light windows in a row", i, n, calmWindows)
		}
	}
	if n := f.window(0.3); n != 1 {
		t.Errorf("got %d cores after %d light windows; want 1", n, calmWindows)
	}
}

func TestGovernorKeepsEveryCoreWhileTheLoadNeedsThem(t *testing.T) {
	f := newFeed(2)
	for i := range 5 * calmWindows {
		busy := 0.3
		if i%calmWindows == calmWindows-1 {
			busy = lowerBusy // one busy window in each run of calm ones
		}
		if n := f.window(busy); n != 2 {
			t.Fatalf("window %d: got %d cores; want 2: a busy window restarts the count", i, n)
		}
	}
}

func TestGovernorGivesBackEveryCoreAtOnce(t *testing.T) {
	cases := []struct {
		name string
		busy float64
		want int
	}{
		{"light", 0.5, 1},
		{"just under", raiseBusy - 0.01, 1},
		{"one core busy", raiseBusy, 2},
		{"more than a core (syscalls run beside the P)", 1.3, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFeed(2)
			for range calmWindows {
				f.window(0.1)
			}
			if n := f.window(c.busy); n != c.want {
				t.Errorf("got %d cores for a window %.2f busy; want %d", n, c.busy, c.want)
			}
		})
	}
}

func TestGovernorKeepsItsCoresWhenTimeDoesNotMove(t *testing.T) {
	f := newFeed(2)
	if n := f.g.Next(f.s); n != 2 {
		t.Errorf("got %d cores for a window of no time; want 2 (unchanged)", n)
	}
}

func TestRunSetsCoresAndGivesThemBackWhenItStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var set []int
		var cpu time.Duration
		read := func() (Sample, bool) {
			mu.Lock()
			defer mu.Unlock()
			return Sample{At: time.Now(), CPU: cpu}, true
		}
		g := New(2, 250*time.Millisecond, read, func(n int) {
			mu.Lock()
			defer mu.Unlock()
			set = append(set, n)
		}, zap.NewNop())
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); g.Run(ctx) }()
		time.Sleep(time.Duration(calmWindows)*250*time.Millisecond + time.Millisecond)
		synctest.Wait()
		mu.Lock()
		got := append([]int(nil), set...)
		cpu += 10 * time.Second // a busy window
		mu.Unlock()
		if len(got) != 1 || got[0] != 1 {
			t.Fatalf("got GOMAXPROCS set to %v after %d idle windows; want [1]", got, calmWindows)
		}
		time.Sleep(250 * time.Millisecond)
		synctest.Wait()
		cancel()
		<-done
		mu.Lock()
		defer mu.Unlock()
		if want := []int{1, 2}; len(set) != 2 || set[1] != 2 {
			t.Errorf("got GOMAXPROCS set to %v; want %v (back to every core for a busy window; it stays there on stop)", set, want)
		}
	})
}

func TestRunDoesNothingWithOneCoreOrNothingToRead(t *testing.T) {
	called := false
	set := func(int) { called = true }
	New(1, time.Millisecond, func() (Sample, bool) { return Sample{At: time.Now()}, true }, set, zap.NewNop()).Run(context.Background())
	New(2, time.Millisecond, func() (Sample, bool) { return Sample{}, false }, set, zap.NewNop()).Run(context.Background())
	if called {
		t.Error("GOMAXPROCS was set; want it left alone with one core or no samples")
	}
}

func TestReadSelfReadsThisProcess(t *testing.T) {
	a, ok := ReadSelf()
	if !ok {
		t.Skip("no CPU time on this system: the Governor stays off")
	}
	deadline := time.Now().Add(50 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	b, _ := ReadSelf()
	if b.CPU-a.CPU < 10*time.Millisecond {
		t.Errorf("got %v of CPU over 50 ms of spinning; want at least 10ms", b.CPU-a.CPU)
	}
	if !b.At.After(a.At) {
		t.Errorf("got samples at %v then %v; want later", a.At, b.At)
	}
}
