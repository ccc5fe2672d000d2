// Package procs sizes GOMAXPROCS to the bot's load: one P while one core
// is enough, every P the machine gives when the load needs them.
//
// Go's scheduler keeps a P per core. While the bot is mostly waiting for
// Discord, each event that wakes a goroutine also wakes an idle P's thread
// to look for more work, and hands goroutines from core to core: with two
// Ps the bot spent 11-27% more CPU per interaction than with one, at every
// rate from 1,000 to 5,000 /ping a second (hearth loadtest with
// --bot-env GOMAXPROCS=1 and 2, side by side; docs/benchmarks.md). One P
// is not enough once the process keeps about a core busy, so the Governor
// watches the process's CPU use and gives back every P when it reaches
// that.
package procs

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// Sample is what the Governor reads at the end of each window: the
// process's CPU time so far.
type Sample struct {
	// At is when the sample was read.
	At time.Time
	// CPU is the process's CPU time, user and system.
	CPU time.Duration
}

// Thresholds of a decision. With one P, a window over raiseBusy of a core
// gives back every P. With every P, calmWindows windows in a row under
// lowerBusy of a core go back to one. Two Ps spend 11-27% more CPU on
// the same work, so lowerBusy with two Ps is about 0.7 of a core with
// one, under raiseBusy; the calm windows keep a load near the line from
// switching every window.
//
// Runnable goroutines waiting over a millisecond for the one P, two
// windows in a row, used to give back every P too. Near the line that
// rule moved the bot between one P and two every 2 s or so (3 to 8 times
// in 10 s at 5,000 /ping a second), and without it the bot spent less
// CPU at the same p99 there (hearth loadtest at 3,000 to 6,000/s, side by
// side; docs/benchmarks.md).
const (
	raiseBusy   = 0.90
	lowerBusy   = 0.85
	calmWindows = 8
)

// Governor moves GOMAXPROCS between one and a maximum with the load. The zero
// value is not usable; build one with New.
type Governor struct {
	max    int
	window time.Duration
	read   func() (Sample, bool)
	set    func(int)
	log    *zap.Logger

	procs int
	calm  int // light windows in a row, with every P (0 with one)
	last  Sample
}

// New returns a Governor that moves GOMAXPROCS between one and all every
// window, reading samples with read (false: none to read on this system)
// and setting GOMAXPROCS with set. The process starts with all Ps:
// start-up, with thousands of guilds to load, wants them.
func New(all int, window time.Duration, read func() (Sample, bool), set func(int), log *zap.Logger) *Governor {
	return &Governor{max: all, window: window, read: read, set: set, log: log, procs: all}
}

// Run adjusts GOMAXPROCS every window until ctx ends, then gives back
// every P. It returns at once when max is 1 or nothing can be read.
func (g *Governor) Run(ctx context.Context) {
	if g.max <= 1 {
		return
	}
	s, ok := g.read()
	if !ok {
		return
	}
	g.last = s
	defer func() {
		if g.procs != g.max {
			g.set(g.max)
		}
	}()
	t := time.NewTicker(g.window)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s, ok := g.read()
		if !ok {
			return
		}
		before := g.procs
		if n := g.Next(s); n != before {
			g.log.Debug("cpu cores", zap.Int("from", before), zap.Int("to", n))
			g.set(n)
		}
	}
}

// Next takes the sample at the end of a window and returns how many Ps
// the next window gets (Run sets them).
func (g *Governor) Next(s Sample) int {
	g.procs = g.decide(s)
	return g.procs
}

func (g *Governor) decide(s Sample) int {
	prev := g.last
	g.last = s
	wall := s.At.Sub(prev.At)
	if wall <= 0 {
		return g.procs
	}
	busy := float64(s.CPU-prev.CPU) / float64(wall)
	if g.procs == 1 {
		if busy >= raiseBusy {
			return g.max
		}
		return 1
	}
	if busy < lowerBusy {
		g.calm++
	} else {
		g.calm = 0
	}
	if g.calm >= calmWindows {
		g.calm = 0
		return 1
	}
	return g.procs
}
