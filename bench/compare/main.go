// Command compare measures Hearth and its peers (a minimal discord.js v14
// bot and a minimal disgo bot) side by side, under the same discordtest
// load on the same machine, in one run: start-up and memory with a large
// population, latency and CPU at a fixed rate, and throughput at
// saturation. `make bench-peers` runs it; docs/benchmarks.md shows its
// table.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hearthbot/hearth/bench/loadtest"
)

// flags are the command's settings.
type flags struct {
	peers         string
	rates         string
	fixedRate     float64
	duration      time.Duration
	memGuilds     int
	memMembers    int
	largeThresh   int
	settle        time.Duration
	runs          int
	jsonOut       string
	plotDir       string
	plotFile      string
	skipMemory    bool
	skipOrdinary  bool
	skipSaturated bool
	fromJSON      string
}

// result is one target's figures.
type result struct {
	Target string `json:"target"`
	// Start-up with the large population.
	ReadyAfter time.Duration `json:"ready_after_ns"`
	RSSAtRest  int64         `json:"rss_after_ready_bytes"`
	Intents    uint64        `json:"intents"`
	// At the fixed rate.
	Fixed *loadtest.Report `json:"fixed,omitempty"`
	// Saturation: the highest offered rate answered at least 99% in time.
	SaturatedAt float64            `json:"saturated_rate"`
	Saturated   *loadtest.Report   `json:"saturated,omitempty"`
	Ramp        []*loadtest.Report `json:"ramp,omitempty"`
}

func main() {
	var f flags
	flag.StringVar(&f.peers, "peers", "hearth,discordjs,disgo,disgo-async", "targets to measure, in order (hearth=PATH: a hearth binary built elsewhere)")
	flag.StringVar(&f.rates, "rates", "500,1000,2000,3000,4000,5000,6000,8000", "interaction rates of the saturation ramp")
	flag.Float64Var(&f.fixedRate, "fixed", 1000, "interactions per second of the latency run")
	flag.DurationVar(&f.duration, "duration", 15*time.Second, "length of each load run")
	flag.IntVar(&f.memGuilds, "mem-guilds", 2500, "guilds of the start-up and memory run")
	flag.IntVar(&f.memMembers, "mem-members", 200, "members per guild of the start-up and memory run")
	flag.IntVar(&f.largeThresh, "large-threshold", 250, "large_threshold for every target")
	flag.DurationVar(&f.settle, "settle", 10*time.Second, "time after ready before reading the RSS")
	flag.IntVar(&f.runs, "runs", 1, "runs of each measurement; the median is kept")
	flag.StringVar(&f.jsonOut, "json", "", "also write every figure to this JSON file")
	flag.StringVar(&f.plotDir, "plots", "", "write each target's saturated run plot to this folder")
	flag.StringVar(&f.plotFile, "plot", "", "draw p99 and CPU per interaction against the rate, every target, to this PNG file")
	flag.BoolVar(&f.skipMemory, "skip-memory", false, "skip the start-up and memory run")
	flag.BoolVar(&f.skipOrdinary, "skip-fixed", false, "skip the fixed-rate run")
	flag.BoolVar(&f.skipSaturated, "skip-ramp", false, "skip the saturation ramp")
	flag.StringVar(&f.fromJSON, "from", "", "redraw the table and the plot from a JSON file of an earlier run instead of measuring")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, f, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, f flags, out, log io.Writer) error {
	if f.fromJSON != "" {
		b, err := os.ReadFile(f.fromJSON)
		if err != nil {
			return err
		}
		var results []*result
		if err := json.Unmarshal(b, &results); err != nil {
			return fmt.Errorf("-from %s: %w", f.fromJSON, err)
		}
		writeTable(out, f, results)
		if f.plotFile != "" {
			return plotRamps(f.plotFile, results)
		}
		return nil
	}
	rates, err := parseRates(f.rates)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "hearth-compare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	targets, err := buildTargets(ctx, strings.Split(f.peers, ","), work, f.largeThresh, log)
	if err != nil {
		return err
	}
	// Hearth goes first in every round: the peers identify with its intents.
	slices.SortStableFunc(targets, func(a, b peer) int {
		switch {
		case a.name == "hearth" && b.name != "hearth":
			return -1
		case b.name == "hearth" && a.name != "hearth":
			return 1
		}
		return 0
	})
	results := make([]*result, len(targets))
	for i, t := range targets {
		results[i] = &result{Target: t.name}
	}
	intents := uint64(0) // Hearth's, pinned for the peers
	all := make([]int, len(targets))
	for i := range all {
		all[i] = i
	}
	// measure runs target i once with o, saying what it measures and, once
	// done, the run's figures; Hearth's first run fixes the intents every
	// peer identifies with.
	measure := func(what string, o loadtest.Options) func(i int) (*loadtest.Report, error) {
		return func(i int) (*loadtest.Report, error) {
			name := targets[i].name
			fmt.Fprintf(log, "%s: %s\n", name, what)
			rep, err := loadtest.Run(ctx, o, targets[i].make(intents))
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", name, what, err)
			}
			fmt.Fprintf(log, "  p99 %.1f ms, CPU %.0f µs an interaction, %.1f%% late or failed, RSS at rest %d MiB, ready after %.2f s\n",
				float64(rep.P99)/float64(time.Millisecond), float64(rep.CPUPerCall)/float64(time.Microsecond),
				100*rep.ErrorRate(), rep.RSSAtRest>>20, rep.ReadyAfter.Seconds())
			if results[i].Intents == 0 {
				results[i].Intents = rep.Intents // for the table's footer, whichever runs were skipped
			}
			if name == "hearth" && intents == 0 {
				intents = rep.Intents
				fmt.Fprintf(log, "  the peers identify with Hearth's intents: %d\n", intents)
			}
			return rep, nil
		}
	}
	if !f.skipMemory {
		o := loadtest.Options{Guilds: f.memGuilds, Members: f.memMembers, Duration: time.Second, Settle: f.settle}
		reps, err := rounds(ctx, f.runs, all, measure(fmt.Sprintf("start-up and memory, %d guilds × %d members", f.memGuilds, f.memMembers), o))
		if err != nil {
			return err
		}
		for i, r := range results {
			m := median(reps[i], func(r *loadtest.Report) float64 { return float64(r.RSSAtRest) })
			r.RSSAtRest = m.RSSAtRest
			r.ReadyAfter = median(reps[i], func(r *loadtest.Report) float64 { return float64(r.ReadyAfter) }).ReadyAfter
		}
	}
	small := loadtest.Options{Guilds: 3, Members: 50, Duration: f.duration, Settle: time.Second, Warmup: 3 * time.Second}
	if !f.skipOrdinary {
		o := small
		o.Rate = f.fixedRate
		reps, err := rounds(ctx, f.runs, all, measure(fmt.Sprintf("%.0f interactions/s for %s", f.fixedRate, f.duration), o))
		if err != nil {
			return err
		}
		for i, r := range results {
			r.Fixed = median(reps[i], func(r *loadtest.Report) float64 { return float64(r.P99) })
		}
	}
	if !f.skipSaturated {
		// At each rate every target still answering is measured, round
		// after round, before the next rate: the targets it compares run
		// seconds apart, not minutes, on a machine whose speed drifts.
		active := all
		for _, rate := range rates {
			if len(active) == 0 {
				break
			}
			o := small
			o.Rate = rate
			reps, err := rounds(ctx, f.runs, active, measure(fmt.Sprintf("ramp at %.0f interactions/s", rate), o))
			if err != nil {
				return err
			}
			var still []int
			for _, i := range active {
				r, rep := results[i], medianFigures(reps[i])
				r.Ramp = append(r.Ramp, rep)
				if rep.ErrorRate() > 0.01 {
					continue
				}
				r.SaturatedAt, r.Saturated = rate, rep
				still = append(still, i)
			}
			active = still
		}
		if f.plotDir != "" {
			for _, r := range results {
				if r.Saturated == nil {
					continue
				}
				if err := r.Saturated.Plot(filepath.Join(f.plotDir, r.Target+".png")); err != nil {
					return err
				}
			}
		}
	}
	writeTable(out, f, results)
	if f.plotFile != "" {
		if err := plotRamps(f.plotFile, results); err != nil {
			return err
		}
	}
	if f.jsonOut != "" {
		b, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(f.jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func parseRates(s string) ([]float64, error) {
	var out []float64
	for _, p := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("-rates: %q is not a positive number", p)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil
}

// rounds measures the targets numbered in which n times, one round after
// another, each round every target once in order, and returns each
// target's reports by its number. It stops at the first error.
func rounds(ctx context.Context, n int, which []int, measure func(i int) (*loadtest.Report, error)) (map[int][]*loadtest.Report, error) {
	out := make(map[int][]*loadtest.Report, len(which))
	for range max(n, 1) {
		for _, i := range which {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			r, err := measure(i)
			if err != nil {
				return nil, err
			}
			out[i] = append(out[i], r)
		}
	}
	return out, nil
}

// median returns the report with the median key.
func median(reps []*loadtest.Report, key func(*loadtest.Report) float64) *loadtest.Report {
	s := slices.Clone(reps)
	slices.SortFunc(s, func(a, b *loadtest.Report) int {
		switch ka, kb := key(a), key(b); {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return 0
	})
	return s[len(s)/2]
}

// medianFigures returns the run with the median throughput, with its
// latency percentiles and CPU per interaction each replaced by its own
// median over the runs: below saturation every run answers the same
// rate, and the run in the middle by throughput is any of them.
func medianFigures(reps []*loadtest.Report) *loadtest.Report {
	rep := *median(reps, func(r *loadtest.Report) float64 { return r.Throughput })
	of := func(f func(*loadtest.Report) time.Duration) time.Duration {
		return f(median(reps, func(r *loadtest.Report) float64 { return float64(f(r)) }))
	}
	rep.P50 = of(func(r *loadtest.Report) time.Duration { return r.P50 })
	rep.P95 = of(func(r *loadtest.Report) time.Duration { return r.P95 })
	rep.P99 = of(func(r *loadtest.Report) time.Duration { return r.P99 })
	rep.CPUPerCall = of(func(r *loadtest.Report) time.Duration { return r.CPUPerCall })
	return &rep
}

// hearthExperiment is the GOEXPERIMENT the Makefile builds Hearth with:
// jsonv2 (json v2 under encoding/json; the Makefile says why) when the Go
// toolchain knows it, else none.
func hearthExperiment(ctx context.Context) string {
	cmd := exec.CommandContext(ctx, "go", "env", "GOEXPERIMENT")
	cmd.Env = append(os.Environ(), "GOEXPERIMENT=jsonv2")
	if cmd.Run() != nil {
		return ""
	}
	return "jsonv2"
}

// peer is a target to build and start.
type peer struct {
	name string
	make func(intents uint64) loadtest.Target
}

// buildTargets builds the binaries the targets need, in work.
func buildTargets(ctx context.Context, names []string, work string, large int, log io.Writer) ([]peer, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	var out []peer
	built := map[string]string{}
	// build builds pkg with the given GOEXPERIMENT, whatever the
	// environment's: Hearth as `make build` builds it, the disgo peer as
	// a plain `go build` of a disgo bot would.
	build := func(pkg, name, experiment string) (string, error) {
		if p, ok := built[pkg+" "+experiment]; ok {
			return p, nil
		}
		bin := filepath.Join(work, name)
		fmt.Fprintf(log, "building %s (GOEXPERIMENT=%s)\n", pkg, experiment)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, log, log
		cmd.Env = append(os.Environ(), "GOEXPERIMENT="+experiment)
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("build %s: %w", pkg, err)
		}
		built[pkg+" "+experiment] = bin
		return bin, nil
	}
	peerEnv := func(intents uint64, extra ...string) []string {
		env := []string{fmt.Sprintf("PEER_LARGE_THRESHOLD=%d", large)}
		if intents != 0 {
			env = append(env, fmt.Sprintf("PEER_INTENTS=%d", intents))
		}
		return append(env, extra...)
	}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if bin, ok := strings.CutPrefix(n, "hearth="); ok {
			// A Hearth built elsewhere (another commit, say), to compare
			// two builds under the same emulator.
			if _, err := os.Stat(bin); err != nil {
				return nil, fmt.Errorf("-peers %s: %w", n, err)
			}
			out = append(out, peer{n, func(uint64) loadtest.Target {
				return loadtest.Hearth{Binary: bin, LargeThreshold: large}
			}})
			continue
		}
		switch n {
		case "hearth", "hearth-plain":
			// hearth-plain is Hearth built without the Makefile's
			// GOEXPERIMENT, to measure what the experiment gives.
			experiment := ""
			if n == "hearth" {
				experiment = hearthExperiment(ctx)
			}
			bin, err := build(".", n, experiment)
			if err != nil {
				return nil, err
			}
			out = append(out, peer{n, func(uint64) loadtest.Target {
				return loadtest.Hearth{Binary: bin, LargeThreshold: large}
			}})
		case "discordjs":
			dir := filepath.Join(root, "bench", "peers", "discordjs")
			if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
				fmt.Fprintln(log, "installing discord.js from the lockfile (npm ci)")
				cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
				cmd.Dir, cmd.Stdout, cmd.Stderr = dir, log, log
				if err := cmd.Run(); err != nil {
					return nil, fmt.Errorf("npm ci in %s: %w (is Node.js 20 or later installed?)", dir, err)
				}
			}
			out = append(out, peer{n, func(intents uint64) loadtest.Target {
				return loadtest.Command{Label: n, Argv: []string{"node", "index.js"}, Dir: dir, Env: peerEnv(intents)}
			}})
		case "disgo", "disgo-async", "disgo-cache":
			bin, err := build("./bench/peers/disgo", "peer-disgo", "")
			if err != nil {
				return nil, err
			}
			var extra []string
			switch n {
			case "disgo-async":
				extra = []string{"PEER_ASYNC=1", "PEER_CACHE=all"}
			case "disgo-cache":
				extra = []string{"PEER_CACHE=all"}
			}
			out = append(out, peer{n, func(intents uint64) loadtest.Target {
				return loadtest.Command{Label: n, Argv: []string{bin}, Env: peerEnv(intents, extra...)}
			}})
		default:
			return nil, fmt.Errorf("-peers: unknown target %q; want hearth, hearth-plain, hearth=PATH, discordjs, disgo, disgo-cache or disgo-async", n)
		}
	}
	return out, nil
}

// repoRoot finds the module root from the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the repository (no go.mod found above the working directory)")
		}
		dir = parent
	}
}

// writeTable prints the results as a Markdown table.
func writeTable(w io.Writer, f flags, results []*result) {
	mib := func(b int64) string {
		if b == 0 {
			return "–"
		}
		return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	fmt.Fprintf(w, "\n| target | start to last GUILD_CREATE | RSS %ds after ready (%d × %d) | p50 at %.0f/s | p99 at %.0f/s | CPU per interaction | saturation (≥99%% in 3 s) |\n",
		int(f.settle.Seconds()), f.memGuilds, f.memMembers, f.fixedRate, f.fixedRate)
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, r := range results {
		p50, p99, cpu := "–", "–", "–"
		if r.Fixed != nil {
			p50, p99 = ms(r.Fixed.P50), ms(r.Fixed.P99)
			cpu = fmt.Sprintf("%.0f µs", float64(r.Fixed.CPUPerCall)/float64(time.Microsecond))
		}
		sat := "–"
		if r.Saturated != nil {
			sat = fmt.Sprintf("%.0f/s offered, %.0f/s answered, p99 %s", r.SaturatedAt, r.Saturated.Throughput, ms(r.Saturated.P99))
		} else if len(r.Ramp) > 0 {
			sat = "below the first rate"
		}
		ready := "–"
		if r.ReadyAfter > 0 {
			ready = fmt.Sprintf("%.2f s", r.ReadyAfter.Seconds())
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", r.Target, ready, mib(r.RSSAtRest), p50, p99, cpu, sat)
	}
	if len(results) > 0 {
		fmt.Fprintf(w, "\nEvery target: intents %d, large_threshold %d, no member chunking requested.\n", results[0].Intents, f.largeThresh)
	}
}
