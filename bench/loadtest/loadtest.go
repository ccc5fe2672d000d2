// Package loadtest measures a bot under a simulated population: it
// serves discordtest in this process, runs the bot as a child process
// against it over loopback (so the CPU and memory figures are the bot's
// alone), drives interactions and messages at the asked rates, and
// reports latency from dispatch to callback, what was late or failed,
// the REST traffic, CPU, memory and database size, with a verdict
// against service-level objectives. `hearth loadtest` and `make
// bench-peers` are built on it.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hearthbot/hearth/discordtest"
)

// Options describe a load test.
type Options struct {
	// Guilds and Members are the population: every guild has Members
	// members (the same people in every guild).
	Guilds, Members int
	// Shards is the shard count the emulator recommends.
	Shards int
	// Rate is interactions per second (the command Command), spread over
	// the guilds and members.
	Rate float64
	// Command is the command line people run (default "/ping").
	Command string
	// Messages is messages per second; SpamShare (0 to 1) of them come
	// from a few members repeating themselves fast.
	Messages  float64
	SpamShare float64
	// Duration is how long the load runs, after the bot is ready.
	Duration time.Duration
	// SLO is what the run must meet for a "pass" verdict.
	SLO SLO
	// ProfileDir, when set, receives cpu.pprof and heap.pprof of the bot
	// (Hearth only: needs its admin listener with pprof).
	ProfileDir string
	// Progress, when set, receives a progress line with the live p95.
	Progress io.Writer
	// Settle is how long to wait after the bot is ready before measuring
	// its memory at rest and starting the load (default 2 s).
	Settle time.Duration
	// Setup are command lines the owner of every guild runs in #general
	// once the bot is ready, before the load ("/settings set ..."); in
	// each, {#name} becomes a mention of that guild's channel name.
	Setup []string
	// Warmup is how long the load runs, unmeasured, before the measured
	// Duration: a JIT (Node's, a JSON decoder's) and connection pools
	// warm up, as they would have long before in a bot that has run for
	// a day (default 0).
	Warmup time.Duration
}

// SLO are the objectives a run is judged by.
type SLO struct {
	// P95 is the most the 95th percentile of dispatch-to-callback latency
	// may be (default 1 s).
	P95 time.Duration
	// MaxErrorRate is the most the share of interactions late or failed
	// may be (default 0.01).
	MaxErrorRate float64
}

func (o *Options) defaults() error {
	if o.Command == "" {
		o.Command = "/ping"
	}
	if o.Shards == 0 {
		o.Shards = 1
	}
	if o.Settle == 0 {
		o.Settle = 2 * time.Second
	}
	if o.SLO.P95 == 0 {
		o.SLO.P95 = time.Second
	}
	if o.SLO.MaxErrorRate == 0 {
		o.SLO.MaxErrorRate = 0.01
	}
	var errs []error
	if o.Guilds < 1 || o.Guilds > 100_000 {
		errs = append(errs, fmt.Errorf("--guilds: want 1 to 100000; got %d", o.Guilds))
	}
	if o.Members < 4 || o.Members > 250_000 {
		errs = append(errs, fmt.Errorf("--members: want 4 to 250000 per guild (the owner, an admin, a moderator and members); got %d", o.Members))
	}
	if o.Rate < 0 || o.Messages < 0 {
		errs = append(errs, errors.New("--rate and --messages: want 0 or more per second"))
	}
	if o.SpamShare < 0 || o.SpamShare > 1 {
		errs = append(errs, fmt.Errorf("--spam: want a share from 0 to 1; got %g", o.SpamShare))
	}
	if o.Duration < time.Second {
		errs = append(errs, fmt.Errorf("--duration: want at least 1s; got %s", o.Duration))
	}
	if o.Shards < 1 || o.Shards > 64 {
		errs = append(errs, fmt.Errorf("--shards: want 1 to 64; got %d", o.Shards))
	}
	return errors.Join(errs...)
}

// Report is what a run measured.
type Report struct {
	Target  string  `json:"target"`
	Guilds  int     `json:"guilds"`
	Members int     `json:"members"`
	Shards  int     `json:"shards"`
	Rate    float64 `json:"rate"`
	// Seconds is the length of the load, in seconds.
	Seconds float64 `json:"seconds"`

	// Intents are the gateway intents the bot identified with.
	Intents uint64 `json:"intents"`

	ReadyAfter time.Duration `json:"ready_after_ns"`
	RSSAtRest  int64         `json:"rss_at_rest_bytes"`

	Sent     int `json:"interactions_sent"`
	Answered int `json:"interactions_answered"`
	// Late are interactions not answered within Discord's 3 s; Failed
	// those the emulator refused to start or whose answer it refused, and
	// those the bot shed (answered "busy", Hearth only), which Shed counts
	// too.
	Late   int `json:"interactions_late"`
	Failed int `json:"interactions_failed"`
	Shed   int `json:"interactions_shed"`
	// Throughput is interactions answered in time per second.
	Throughput float64       `json:"throughput_per_s"`
	P50        time.Duration `json:"p50_ns"`
	P95        time.Duration `json:"p95_ns"`
	P99        time.Duration `json:"p99_ns"`
	Max        time.Duration `json:"max_ns"`

	MessagesSent int `json:"messages_sent"`
	// MessagesProcessed counts the messages the slowest module subscriber
	// handled from the start of the load until 3 s after it (the bot's
	// own replies are messages too), and MessagesPerSecond divides them by
	// the load's length (Hearth only; -1 when unknown).
	MessagesProcessed int64   `json:"messages_processed"`
	MessagesPerSecond float64 `json:"messages_processed_per_s"`
	BusDrops          int64   `json:"bus_drops"`

	RESTCalls int `json:"rest_calls"`
	REST429s  int `json:"rest_429s"`

	CPU        time.Duration `json:"cpu_ns"`
	CPUPerCall time.Duration `json:"cpu_per_interaction_ns"`
	// CoreChanges counts the moves between one core and every core that
	// pipeline.cores: auto made during the load (Hearth only; -1 when
	// unknown).
	CoreChanges int   `json:"core_changes"`
	PeakRSS     int64 `json:"peak_rss_bytes"`
	DBBytes     int64 `json:"db_bytes"`

	SLO     SLO      `json:"slo"`
	Pass    bool     `json:"pass"`
	Verdict []string `json:"verdict"`

	// Series are per-second figures, for the plot.
	Series []Point `json:"series"`
}

// Point is one second of the run.
type Point struct {
	Second   int           `json:"second"`
	Sent     int           `json:"sent"`
	Answered int           `json:"answered"`
	P50      time.Duration `json:"p50_ns"`
	P95      time.Duration `json:"p95_ns"`
	P99      time.Duration `json:"p99_ns"`
}

// ErrorRate is the share of interactions late or failed.
func (r *Report) ErrorRate() float64 {
	n := r.Sent + r.Failed
	if n == 0 {
		return 0
	}
	return float64(r.Late+r.Failed) / float64(n)
}

// Run runs one load test of target.
func Run(ctx context.Context, opts Options, target Target) (*Report, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	rec := newRecorder()
	srv, err := discordtest.Start(discordtest.WithGuilds(opts.Guilds), discordtest.WithMembers(opts.Members),
		discordtest.WithShards(opts.Shards), discordtest.WithMaxConcurrency(opts.Shards),
		discordtest.WithAnswerObserver(rec.observe))
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	dir, err := os.MkdirTemp("", "hearth-loadtest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	begin := time.Now()
	proc, err := target.Start(ctx, Endpoint{RESTURL: srv.RESTURL(), GatewayURL: srv.GatewayURL(), Token: srv.Token(),
		Shards: opts.Shards}, dir)
	if err != nil {
		return nil, err
	}
	defer proc.Stop(10 * time.Second)
	readyCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	err = proc.WaitReady(readyCtx)
	cancel()
	if err != nil {
		return nil, err
	}
	rep := &Report{Target: target.Name(), Guilds: opts.Guilds, Members: opts.Members, Shards: opts.Shards,
		Rate: opts.Rate, ReadyAfter: time.Since(begin), SLO: opts.SLO}
	if err := waitCommand(ctx, srv, opts.Command); err != nil {
		return nil, err
	}
	if ss := srv.GatewaySessions(); len(ss) > 0 {
		rep.Intents = ss[0].Intents
	}
	if err := setup(srv, opts.Setup); err != nil {
		return nil, err
	}
	if !sleepCtx(ctx, opts.Settle) {
		return nil, ctx.Err()
	}
	if u, err := readUsage(proc.PID()); err == nil {
		rep.RSSAtRest = u.RSS
	}
	pop := population(srv)
	var profileDone chan error
	if opts.ProfileDir != "" {
		profileDone = startCPUProfile(ctx, proc, opts.ProfileDir, opts.Duration)
	}
	if opts.Warmup > 0 {
		warmCtx, stopWarm := context.WithTimeout(ctx, opts.Warmup)
		driveInteractions(warmCtx, srv, pop, opts, nil)
		stopWarm()
		sleepCtx(ctx, 200*time.Millisecond) // the warm-up's last answers
	}
	cpuBefore, _ := readUsage(proc.PID())
	var deliveredBefore, shedBefore, movesBefore float64
	if proc.admin != "" {
		if m, err := scrape(proc.admin); err == nil {
			deliveredBefore = m.min("hearth_bus_delivered_total", map[string]string{"topic": "message.created"})
			shedBefore = m.sum("hearth_interactions_shed_total", nil)
			movesBefore = m.sum("hearth_cores_changes_total", nil)
		}
	}
	start := time.Now()
	rec.begin(start)
	loadCtx, stopLoad := context.WithTimeout(ctx, opts.Duration)
	var wg sync.WaitGroup
	var messagesSent int
	wg.Add(2)
	go func() { defer wg.Done(); driveInteractions(loadCtx, srv, pop, opts, rec) }()
	go func() { defer wg.Done(); messagesSent = driveMessages(loadCtx, srv, pop, opts) }()
	progressDone := make(chan struct{})
	go func() { defer close(progressDone); showProgress(loadCtx, opts, rec, start) }()
	wg.Wait()
	stopLoad()
	<-progressDone
	rep.Seconds = time.Since(start).Seconds()
	// Whatever is still unanswered has its 3 s to be answered.
	sleepCtx(ctx, answerDeadline+200*time.Millisecond)
	cpuAfter, _ := readUsage(proc.PID())

	latencies, seconds, sent, startErrors, overflow := rec.finish()
	if overflow > 0 {
		return nil, fmt.Errorf("loadtest: %d answers were lost by the recorder; the figures would be wrong", overflow)
	}
	rep.Sent, rep.Answered, rep.MessagesSent = sent, len(latencies), messagesSent
	rep.Failed = startErrors + refusedCallbacks(srv)
	rep.Late = max(rep.Sent-rep.Answered, 0)
	rep.Throughput = float64(rep.Answered) / rep.Seconds
	rep.Max = percentile(latencies, 1)
	rep.P50, rep.P95, rep.P99 = percentile(latencies, 0.50), percentile(latencies, 0.95), percentile(latencies, 0.99)
	for i, s := range seconds {
		if float64(i+1) > rep.Seconds+0.05 {
			break // a second the load did not fill
		}
		rep.Series = append(rep.Series, Point{Second: i, Sent: s.sent, Answered: s.answered,
			P50: percentile(s.latencies, 0.5), P95: percentile(s.latencies, 0.95), P99: percentile(s.latencies, 0.99)})
	}
	rep.RESTCalls, rep.REST429s = srv.RequestCount(), srv.RateLimited("")
	rep.CPU = cpuAfter.CPU - cpuBefore.CPU
	if rep.Answered > 0 {
		rep.CPUPerCall = rep.CPU / time.Duration(rep.Answered)
	}
	rep.PeakRSS = cpuAfter.PeakRSS
	rep.MessagesPerSecond, rep.CoreChanges = -1, -1
	if proc.admin != "" {
		if m, err := scrape(proc.admin); err == nil {
			rep.BusDrops = int64(m.sum("hearth_bus_dropped_total", nil))
			if _, ok := m["hearth_cores_changes_total"]; ok {
				rep.CoreChanges = int(m.sum("hearth_cores_changes_total", nil) - movesBefore)
			}
			// A shed interaction got a "busy" reply in time: answered for
			// Discord, failed for the person.
			rep.Shed = int(m.sum("hearth_interactions_shed_total", nil) - shedBefore)
			rep.Answered -= rep.Shed
			rep.Failed += rep.Shed
			rep.Throughput = float64(rep.Answered) / rep.Seconds
			if opts.Messages > 0 {
				delivered := m.min("hearth_bus_delivered_total", map[string]string{"topic": "message.created"}) - deliveredBefore
				rep.MessagesProcessed = int64(delivered)
				rep.MessagesPerSecond = delivered / rep.Seconds
			}
		}
	}
	if proc.dbPath != "" {
		for _, f := range []string{proc.dbPath, proc.dbPath + "-wal"} {
			if st, err := os.Stat(f); err == nil {
				rep.DBBytes += st.Size()
			}
		}
	}
	if profileDone != nil {
		if err := <-profileDone; err != nil {
			return nil, err
		}
		if err := fetch(proc.admin+"/debug/pprof/heap", filepath.Join(opts.ProfileDir, "heap.pprof")); err != nil {
			return nil, err
		}
	}
	rep.judge()
	return rep, nil
}

// judge sets the verdict against the SLO.
func (r *Report) judge() {
	r.Pass = true
	if r.P95 > r.SLO.P95 || r.Answered == 0 {
		r.Pass = false
		r.Verdict = append(r.Verdict, fmt.Sprintf("p95 %s is above the objective %s", r.P95, r.SLO.P95))
	}
	if e := r.ErrorRate(); e > r.SLO.MaxErrorRate {
		r.Pass = false
		r.Verdict = append(r.Verdict, fmt.Sprintf("%.2f%% of interactions late or failed, above the objective %.2f%%", 100*e, 100*r.SLO.MaxErrorRate))
	}
	if r.Pass {
		r.Verdict = append(r.Verdict, fmt.Sprintf("p95 %s within %s and %.2f%% errors within %.2f%%", r.P95, r.SLO.P95, 100*r.ErrorRate(), 100*r.SLO.MaxErrorRate))
	}
}

// waitCommand waits until the bot has registered the command.
func waitCommand(ctx context.Context, srv *discordtest.Server, line string) error {
	name := strings.Fields(strings.TrimPrefix(line, "/"))[0]
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		for _, c := range srv.Commands(0) {
			if c.Name == name {
				return nil
			}
		}
		if !sleepCtx(ctx, 20*time.Millisecond) {
			return ctx.Err()
		}
	}
	return fmt.Errorf("loadtest: the bot did not register /%s within a minute", name)
}

// ModerationSetup returns the lines that turn on automod's message rules
// (deleting what they catch) and the logs module, posting to #mod-log, in
// every guild: the work a moderated guild gives the bot per message.
func ModerationSetup() []string {
	return []string{
		"/settings set module:automod key:spam.enabled value:on",
		"/settings set module:automod key:spam.action value:delete",
		"/settings set module:automod key:duplicates.enabled value:on",
		"/settings set module:automod key:duplicates.action value:delete",
		"/settings set module:automod key:mentions.enabled value:on",
		"/settings set module:automod key:invites.enabled value:on",
		"/settings set module:automod key:invites.action value:delete",
		"/settings set module:automod key:caps.enabled value:on",
		"/settings set module:automod key:words.enabled value:on",
		`/settings set module:automod key:words.list value:"badword, worseword, scam"`,
		`/settings set module:automod key:words.patterns value:"fr[e3]{2}\\s*nitro"`,
		"/settings set module:automod key:alert_channel value:{#mod-log}",
		"/settings set module:logs key:channel value:{#mod-log}",
	}
}

// setup runs the setup lines in every guild, as its owner.
func setup(srv *discordtest.Server, lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	for _, g := range srv.Guilds() {
		owner := g.Member("owner").User.ID
		for _, line := range lines {
			for _, ch := range g.Channels {
				line = strings.ReplaceAll(line, "{#"+ch.Name+"}", "<#"+ch.ID.String()+">")
			}
			reply, err := srv.RunCommand(g.ID, g.Channel("general").ID, owner, line)
			if err != nil {
				return fmt.Errorf("loadtest: setup %q: %w", line, err)
			}
			if reply.Expired || reply.Type == 0 {
				return fmt.Errorf("loadtest: setup %q: the bot did not answer", line)
			}
		}
	}
	return nil
}

// place is where a person can talk: a guild's #general.
type place struct {
	guild, channel discordtest.Snowflake
}

// people is the simulated population.
type people struct {
	places  []place
	members []discordtest.Snowflake
}

func population(srv *discordtest.Server) people {
	var p people
	for i, g := range srv.Guilds() {
		p.places = append(p.places, place{g.ID, g.Channel("general").ID})
		if i == 0 {
			for _, m := range g.Members {
				if !m.User.Bot {
					p.members = append(p.members, m.User.ID)
				}
			}
		}
	}
	return p
}

// driveInteractions starts interactions at opts.Rate until ctx ends, in
// ticks of a millisecond, spread round robin over guilds and members, and
// tells rec (nil: a warm-up, not recorded).
func driveInteractions(ctx context.Context, srv *discordtest.Server, pop people, opts Options, rec *recorder) {
	if opts.Rate <= 0 {
		return
	}
	pace(ctx, opts.Rate, func(n int) {
		place := pop.places[n%len(pop.places)]
		member := pop.members[(n/len(pop.places))%len(pop.members)]
		id, _, err := srv.StartCommand(place.guild, place.channel, member, opts.Command)
		if rec != nil {
			rec.sentOne(id, time.Now(), err)
		}
	})
}

// driveMessages sends messages at opts.Messages until ctx ends; a share
// of them is spam: few members, the same words, fast. It returns how many
// were sent.
func driveMessages(ctx context.Context, srv *discordtest.Server, pop people, opts Options) int {
	if opts.Messages <= 0 {
		return 0
	}
	rng := rand.New(rand.NewPCG(1, 2))
	spammers := max(len(pop.members)/20, 1)
	sent := 0
	pace(ctx, opts.Messages, func(n int) {
		place := pop.places[n%len(pop.places)]
		member := pop.members[3+rng.IntN(len(pop.members)-3)] // not the owner, admin or moderator
		text := fmt.Sprintf("hello everyone, message %d about the weather", n)
		if rng.Float64() < opts.SpamShare {
			member = pop.members[len(pop.members)-1-rng.IntN(spammers)]
			text = "FREE NITRO at discord.gg/totally-legit click now!!!"
		}
		if _, err := srv.SendMessage(place.guild, place.channel, member, text); err == nil {
			sent++
		}
	})
	return sent
}

// pace calls fn(n) for n = 0, 1, ... at rate per second until ctx ends,
// catching up in bursts when it falls behind.
func pace(ctx context.Context, rate float64, fn func(n int)) {
	start := time.Now()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			due := int(now.Sub(start).Seconds() * rate)
			for ; n < due && ctx.Err() == nil; n++ {
				fn(n)
			}
		}
	}
}

// refusedCallbacks counts interaction callbacks the emulator refused.
func refusedCallbacks(srv *discordtest.Server) int {
	n := 0
	for _, r := range srv.RequestsTo("POST /interactions/{interaction_id}/{interaction_token}/callback") {
		if r.Status >= 400 {
			n++
		}
	}
	return n
}

// showProgress writes a progress line twice a second until ctx ends.
func showProgress(ctx context.Context, opts Options, rec *recorder, start time.Time) {
	if opts.Progress == nil {
		return
	}
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(opts.Progress)
			return
		case now := <-t.C:
			sent, answered, p95 := rec.live(now)
			elapsed := now.Sub(start)
			const width = 30
			done := min(int(float64(width)*elapsed.Seconds()/opts.Duration.Seconds()), width)
			fmt.Fprintf(opts.Progress, "\r[%s%s] %5.1fs/%s  sent %d  answered %d  p95 %s   ",
				strings.Repeat("#", done), strings.Repeat(".", width-done), elapsed.Seconds(), opts.Duration,
				sent, answered, p95.Round(10*time.Microsecond))
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// metricFamilies are scraped Prometheus metrics.
type metricFamilies map[string][]labelledValue

type labelledValue struct {
	labels map[string]string
	value  float64
}

func scrape(admin string) (metricFamilies, error) {
	resp, err := http.Get(admin + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, err
	}
	out := metricFamilies{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			lv := labelledValue{labels: map[string]string{}}
			for _, l := range m.GetLabel() {
				lv.labels[l.GetName()] = l.GetValue()
			}
			switch {
			case m.Counter != nil:
				lv.value = m.Counter.GetValue()
			case m.Gauge != nil:
				lv.value = m.Gauge.GetValue()
			default:
				continue
			}
			out[name] = append(out[name], lv)
		}
	}
	return out, nil
}

func (m metricFamilies) matching(name string, want map[string]string) []float64 {
	var out []float64
next:
	for _, lv := range m[name] {
		for k, v := range want {
			if lv.labels[k] != v {
				continue next
			}
		}
		out = append(out, lv.value)
	}
	return out
}

func (m metricFamilies) sum(name string, want map[string]string) float64 {
	s := 0.0
	for _, v := range m.matching(name, want) {
		s += v
	}
	return s
}

func (m metricFamilies) min(name string, want map[string]string) float64 {
	vs := m.matching(name, want)
	if len(vs) == 0 {
		return 0
	}
	lo := vs[0]
	for _, v := range vs[1:] {
		lo = min(lo, v)
	}
	return lo
}

// startCPUProfile takes a CPU profile of the bot over the load.
func startCPUProfile(ctx context.Context, p *Process, dir string, d time.Duration) chan error {
	done := make(chan error, 1)
	if p.admin == "" {
		done <- errors.New("loadtest: --profile needs the bot's admin listener (Hearth only)")
		return done
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		done <- err
		return done
	}
	go func() {
		secs := max(int(d.Seconds()), 1)
		done <- fetch(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", p.admin, secs), filepath.Join(dir, "cpu.pprof"))
	}()
	return done
}

// fetch saves what url answers to path.
func fetch(url, path string) error {
	resp, err := http.Get(url)
	if err != nil {
		return fmt.Errorf("loadtest: profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("loadtest: profile: %s answered %s (is admin.pprof on?)", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
