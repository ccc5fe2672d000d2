package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearthbot/hearth/bench/loadtest"
)

func TestParseRatesSortsAndRefusesWhatIsNotARate(t *testing.T) {
	got, err := parseRates(" 3000,500 ,1000")
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{500, 1000, 3000}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("got %v; want %v", got, want)
	}
	for _, bad := range []string{"", "1000,,2000", "0", "-5", "fast"} {
		if _, err := parseRates(bad); err == nil || !strings.HasPrefix(err.Error(), "-rates: ") {
			t.Errorf("parseRates(%q): got %v; want an error naming -rates", bad, err)
		}
	}
}

func TestMedianKeepsTheMiddleReport(t *testing.T) {
	p99 := func(r *loadtest.Report) float64 { return float64(r.P99) }
	reps := []*loadtest.Report{{P99: 9}, {P99: 1}, {P99: 5}}
	if got := median(reps, p99); got.P99 != 5 {
		t.Errorf("got p99 %v; want 5, the middle of 1, 5, 9", got.P99)
	}
	if reps[0].P99 != 9 {
		t.Error("median reordered its argument; want it left as it was")
	}
	if got := median(reps[:1], p99); got.P99 != 9 {
		t.Errorf("got %v from one report; want that report", got.P99)
	}
}

func TestMedianFiguresTakesEachFigureOwnMedian(t *testing.T) {
	reps := []*loadtest.Report{
		{Throughput: 3000, P99: 9, CPUPerCall: 100, Answered: 1},
		{Throughput: 2999, P99: 1, CPUPerCall: 300, Answered: 2},
		{Throughput: 3001, P99: 5, CPUPerCall: 200, Answered: 3},
	}
	got := medianFigures(reps)
	if got.Answered != 1 || got.P99 != 5 || got.CPUPerCall != 200 {
		t.Errorf("got the run answering %d with p99 %v and CPU %v; want the median-throughput run (1) with p99 5 and CPU 200",
			got.Answered, got.P99, got.CPUPerCall)
	}
	if reps[0].P99 != 9 {
		t.Error("medianFigures changed a run's report; want a copy")
	}
}

func TestWriteTableShowsEachTargetAndWhatIsMissing(t *testing.T) {
	f := flags{fixedRate: 1000, memGuilds: 2500, memMembers: 200, largeThresh: 250, settle: 10 * time.Second}
	results := []*result{
		{Target: "hearth", ReadyAfter: 4240 * time.Millisecond, RSSAtRest: 72 << 20, Intents: 33287,
			Fixed:       &loadtest.Report{P50: 300 * time.Microsecond, P99: 1100 * time.Microsecond, CPUPerCall: 255 * time.Microsecond},
			SaturatedAt: 6000, Saturated: &loadtest.Report{Throughput: 5999.5, P99: 49 * time.Millisecond},
			Ramp: []*loadtest.Report{{}}},
		{Target: "never-saturated", Ramp: []*loadtest.Report{{}}},
	}
	var b bytes.Buffer
	writeTable(&b, f, results)
	out := b.String()
	for _, want := range []string{
		"RSS 10s after ready (2500 × 200)",
		"| hearth | 4.24 s | 72 MiB | 0.3 ms | 1.1 ms | 255 µs | 6000/s offered, 6000/s answered, p99 49.0 ms |",
		"| never-saturated | – | – | – | – | – | below the first rate |",
		"intents 33287, large_threshold 250, no member chunking requested",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q; got:\n%s", want, out)
		}
	}
}

func TestRoundsInterleavesTheTargetsAndStopsAtAnError(t *testing.T) {
	var order []int
	reps, err := rounds(context.Background(), 3, []int{0, 2}, func(i int) (*loadtest.Report, error) {
		order = append(order, i)
		return &loadtest.Report{Sent: len(order)}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 2, 0, 2, 0, 2}; !slices.Equal(order, want) {
		t.Errorf("measured in order %v; want %v, every target once per round", order, want)
	}
	if len(reps[0]) != 3 || len(reps[2]) != 3 || reps[2][1].Sent != 4 || len(reps[1]) != 0 {
		t.Errorf("reports by target: %v; want three each for 0 and 2, in the order measured", reps)
	}

	boom := errors.New("boom")
	calls := 0
	if _, err := rounds(context.Background(), 3, []int{0, 1}, func(i int) (*loadtest.Report, error) {
		calls++
		if calls == 2 {
			return nil, boom
		}
		return &loadtest.Report{}, nil
	}); !errors.Is(err, boom) || calls != 2 {
		t.Errorf("got %v after %d calls; want boom after 2", err, calls)
	}
}

func TestHearthBuiltElsewhereIsATargetAndAMissingOneIsRefused(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hearth-old")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	peers, err := buildTargets(context.Background(), []string{" hearth=" + bin}, t.TempDir(), 250, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(peers) != 1 || peers[0].name != "hearth="+bin {
		t.Fatalf("got %+v; want one target named hearth=%s", peers, bin)
	}
	if h, ok := peers[0].make(0).(loadtest.Hearth); !ok || h.Binary != bin || h.LargeThreshold != 250 {
		t.Errorf("got target %#v; want Hearth running %s with large_threshold 250", peers[0].make(0), bin)
	}
	_, err = buildTargets(context.Background(), []string{"hearth=" + bin + "-missing"}, t.TempDir(), 250, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-peers hearth=") {
		t.Errorf("a missing binary: got %v; want an error naming the -peers entry", err)
	}
}
