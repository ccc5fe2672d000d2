package loadtest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hearthbot/hearth/discordtest"
)

func TestPercentile(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	for q, want := range map[float64]time.Duration{0.5: 5, 0.95: 10, 0.99: 10, 0.1: 1, 1: 10} {
		if got := percentile(append([]time.Duration(nil), ds...), q); got != want {
			t.Errorf("percentile(%v) = %v; want %v", q, got, want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile of nothing = %v; want 0", got)
	}
}

// An answer may reach the recorder before the sender has recorded the
// interaction; it still counts, and a late one (over 3 s) does not.
func TestRecorderCountsEarlyAnswersAndNotLateOnes(t *testing.T) {
	r := newRecorder()
	now := time.Now()
	r.begin(now)
	r.observe(discordtest.Answer{InteractionID: 1, Type: 4, After: 2 * time.Millisecond}) // before sentOne
	time.Sleep(10 * time.Millisecond)
	r.sentOne(1, now, nil)
	r.sentOne(2, now, nil)
	r.observe(discordtest.Answer{InteractionID: 2, Type: 4, After: 4 * time.Second})
	r.sentOne(0, now, errors.New("refused"))
	latencies, seconds, sent, errs, overflow := r.finish()
	if len(latencies) != 1 || latencies[0] != 2*time.Millisecond || sent != 2 || errs != 1 || overflow != 0 {
		t.Fatalf("latencies %v, sent %d, errors %d, overflow %d; want one answer in time of two sent, one refused", latencies, sent, errs, overflow)
	}
	if len(seconds) != 1 || seconds[0].sent != 2 || seconds[0].answered != 1 {
		t.Fatalf("seconds %+v; want 2 sent and 1 answered in the first", seconds)
	}
}

func TestVerdict(t *testing.T) {
	r := &Report{Sent: 100, Answered: 99, Late: 1, P95: 20 * time.Millisecond, SLO: SLO{P95: time.Second, MaxErrorRate: 0.01}}
	if r.judge(); !r.Pass {
		t.Fatalf("1%% errors and p95 20ms against 1%% and 1s: %v; want a pass", r.Verdict)
	}
	r = &Report{Sent: 100, Answered: 90, Late: 10, P95: 2 * time.Second, SLO: SLO{P95: time.Second, MaxErrorRate: 0.01}}
	if r.judge(); r.Pass || len(r.Verdict) != 2 {
		t.Fatalf("10%% errors and p95 2s: pass %v, %v; want a failure naming both", r.Pass, r.Verdict)
	}
}

func TestOptionsAreCheckedWithWhatIsAllowed(t *testing.T) {
	o := Options{Guilds: 0, Members: 2, Rate: -1, SpamShare: 2, Duration: time.Millisecond}
	err := o.defaults()
	for _, want := range []string{"--guilds", "--members", "--rate", "--spam", "--duration"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("defaults: %v; want it to name %s", err, want)
		}
	}
}
