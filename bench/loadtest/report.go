package loadtest

import (
	"fmt"
	"io"
	"time"
)

// WriteText writes the report for a person.
func (r *Report) WriteText(w io.Writer) error {
	verdict := "PASS"
	if !r.Pass {
		verdict = "FAIL"
	}
	mib := func(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
	msgs := "n/a"
	if r.MessagesPerSecond >= 0 {
		msgs = fmt.Sprintf("%d (%.0f/s)", r.MessagesProcessed, r.MessagesPerSecond)
	}
	cores := "cores unchanged"
	switch {
	case r.CoreChanges < 0:
		cores = "core changes n/a"
	case r.CoreChanges > 0:
		cores = fmt.Sprintf("moved between one core and every core %d times", r.CoreChanges)
	}
	_, err := fmt.Fprintf(w, `%s: %d guilds × %d members, %d shard(s), %.0f interactions/s for %.1f s
  ready after       %s (RSS at rest %s)
  interactions      %d sent, %d answered, %d late (over 3 s), %d failed (%d shed: "busy")  (%.2f%% errors)
  throughput        %.0f answered/s
  latency           p50 %s  p95 %s  p99 %s  max %s  (dispatch to callback)
  messages          %d sent, %s handled by the slowest module (the bot's own replies too), %d bus drops
  REST              %d calls, %d answered 429
  CPU               %.2f s (%s per interaction), %s
  memory            peak RSS %s
  database          %s
  verdict           %s: %s
`, r.Target, r.Guilds, r.Members, r.Shards, r.Rate, r.Seconds,
		r.ReadyAfter.Round(time.Millisecond), mib(r.RSSAtRest),
		r.Sent, r.Answered, r.Late, r.Failed, r.Shed, 100*r.ErrorRate(),
		r.Throughput,
		ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max),
		r.MessagesSent, msgs, r.BusDrops,
		r.RESTCalls, r.REST429s,
		r.CPU.Seconds(), r.CPUPerCall.Round(time.Microsecond), cores,
		mib(r.PeakRSS),
		mib(r.DBBytes),
		verdict, joinVerdict(r.Verdict))
	return err
}

func joinVerdict(v []string) string {
	out := ""
	for i, s := range v {
		if i > 0 {
			out += "; "
		}
		out += s
	}
	return out
}
