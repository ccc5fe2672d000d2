package loadtest

import (
	"slices"
	"sync"
	"time"

	"github.com/hearthbot/hearth/discordtest"
)

// answerDeadline is Discord's deadline for an interaction's first
// response: past it the person sees "This interaction failed".
const answerDeadline = 3 * time.Second

// recorder collects what happened to every interaction: when it was
// sent, when (and whether) it was answered, per second of the run.
type recorder struct {
	answers chan discordtest.Answer

	mu        sync.Mutex
	start     time.Time
	sentAt    map[discordtest.Snowflake]time.Time
	early     map[discordtest.Snowflake]discordtest.Answer // answered before sentOne ran
	latencies []time.Duration                              // every answer in time
	seconds   []second
	sent      int
	errors    int // StartCommand refused
	overflow  int // answers lost because the channel was full
	done      chan struct{}
}

// second is one second of the run, for the plot and the live p95.
type second struct {
	sent, answered int
	latencies      []time.Duration
}

func newRecorder() *recorder {
	r := &recorder{answers: make(chan discordtest.Answer, 1<<16), sentAt: map[discordtest.Snowflake]time.Time{},
		early: map[discordtest.Snowflake]discordtest.Answer{}, done: make(chan struct{})}
	go r.consume()
	return r
}

// observe is the emulator's answer observer: it runs under the
// emulator's lock, so it only hands the answer over.
func (r *recorder) observe(a discordtest.Answer) {
	select {
	case r.answers <- a:
	default:
		r.mu.Lock()
		r.overflow++
		r.mu.Unlock()
	}
}

func (r *recorder) consume() {
	defer close(r.done)
	for a := range r.answers {
		r.mu.Lock()
		if at, ok := r.sentAt[a.InteractionID]; ok {
			r.answered(at, a)
		} else {
			r.early[a.InteractionID] = a
		}
		r.mu.Unlock()
	}
}

// answered records the answer to an interaction sent at at. Callers
// hold mu.
func (r *recorder) answered(at time.Time, a discordtest.Answer) {
	delete(r.sentAt, a.InteractionID)
	if a.After > answerDeadline {
		return
	}
	r.latencies = append(r.latencies, a.After)
	s := r.secondOf(at)
	s.answered++
	s.latencies = append(s.latencies, a.After)
}

// begin marks the start of the measured run.
func (r *recorder) begin(now time.Time) {
	r.mu.Lock()
	r.start = now
	clear(r.early) // answers to the warm-up's interactions
	r.mu.Unlock()
}

// secondOf returns the second of the run t falls in. Callers hold mu.
func (r *recorder) secondOf(t time.Time) *second {
	i := max(int(t.Sub(r.start)/time.Second), 0)
	for len(r.seconds) <= i {
		r.seconds = append(r.seconds, second{})
	}
	return &r.seconds[i]
}

// sentOne records an interaction dispatched at t, or an error when the
// emulator refused to start it.
func (r *recorder) sentOne(id discordtest.Snowflake, t time.Time, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errors++
		return
	}
	r.sent++
	r.sentAt[id] = t
	r.secondOf(t).sent++
	if a, ok := r.early[id]; ok {
		delete(r.early, id)
		r.answered(t, a)
	}
}

// live returns the counts so far and the p95 of the last full second.
func (r *recorder) live(now time.Time) (sent, answered int, p95 time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sent, answered = r.sent, len(r.latencies)
	if i := int(now.Sub(r.start)/time.Second) - 1; i >= 0 && i < len(r.seconds) {
		p95 = percentile(slices.Clone(r.seconds[i].latencies), 0.95)
	}
	return sent, answered, p95
}

// finish stops recording and returns the results.
func (r *recorder) finish() (latencies []time.Duration, seconds []second, sent, errors, overflow int) {
	close(r.answers)
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.latencies, r.seconds, r.sent, r.errors, r.overflow
}

// percentile returns the q-quantile (0 to 1) of ds, sorting ds; 0 for
// none.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(q*float64(len(ds))+0.5) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}
