package sandbox

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hearthbot/hearth/bot/config"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts of examples/sandbox")

// scriptsDir holds the example scripts X.txt and their transcripts X.golden.
const scriptsDir = "../../examples/sandbox"

// TestScriptTranscriptsMatchGoldens runs every example script through the
// real bot and compares the transcript, masked, with X.golden next to it.
// go test ./bot/sandbox -run Golden -update rewrites them.
func TestScriptTranscriptsMatchGoldens(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join(scriptsDir, "*.txt"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("got scripts %v, %v; want the examples in %s", scripts, err, scriptsDir)
	}
	for _, script := range scripts {
		name := strings.TrimSuffix(filepath.Base(script), ".txt")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := Run(context.Background(), Options{Out: &out, Script: script, AdminAddr: config.AdminOff, RunBot: realBot()})
			if err != nil {
				t.Fatalf("Run: got %v; want nil\ntranscript:\n%s", err, out.String())
			}
			got := mask(out.String())
			golden := strings.TrimSuffix(script, ".txt") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if want := mask(string(b)); got != want {
				t.Errorf("transcript of %s differs from %s (-update rewrites it)\n%s", script, golden, lineDiff(got, want))
			}
		})
	}
}

// maskRules replace what changes from run to run with placeholders. The
// order matters: paths and IDs go before the quantities.
var maskRules = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\S*hearth-sandbox-\d+`), "<tmpdir>"},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:<port>"},
	{regexp.MustCompile(`\b\d{15,20}\b`), "<id>"},
	{regexp.MustCompile(`<t:\d+(:[tTdDfFR])?>`), "<t:<n>$1>"},
	{regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?`), "<time>"},
	{regexp.MustCompile(`<?\b\d+(\.\d+)?( ?)(ns|µs|us|ms|s|m|h|d|B|KiB|MiB|GiB|kB|MB|GB)\b`), "<n>$2$3"},
}

// mask replaces latencies, durations, memory figures, uptimes, times, IDs,
// ports and temporary paths with placeholders, so that a transcript can
// be compared with its golden. mask(mask(s)) == mask(s).
func mask(s string) string {
	for _, r := range maskRules {
		s = r.re.ReplaceAllString(s, r.with)
	}
	return s
}

func TestMaskHidesWhatChangesBetweenRuns(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Pong! Gateway: shard 0 42 ms · REST <1 ms · handler 3 ms", "Pong! Gateway: shard 0 <n> ms · REST <n> ms · handler <n> ms"},
		{"Uptime: 5m 3s", "Uptime: <n>m <n>s"},
		{"took 1.5s and 250µs", "took <n>s and <n>µs"},
		{"Memory: 12.3 MiB heap in use", "Memory: <n> MiB heap in use"},
		{"user 1189998819991197253 joined", "user <id> joined"},
		{"at 2024-01-02T03:04:05.123Z and <t:1700000000:R>", "at <time> and <t:<n>:R>"},
		{"logs in /tmp/hearth-sandbox-123456/hearth.log", "logs in <tmpdir>/hearth.log"},
		{"admin on http://127.0.0.1:9090", "admin on http://127.0.0.1:<port>"},
		{"member2: I have 3 cats", "member2: I have 3 cats"},
		{"Shards: 1/1 ready, Guilds: 1", "Shards: 1/1 ready, Guilds: 1"},
	}
	for _, tc := range cases {
		if got := mask(tc.in); got != tc.want {
			t.Errorf("mask(%q): got %q; want %q", tc.in, got, tc.want)
		}
		if got := mask(mask(tc.in)); got != tc.want {
			t.Errorf("mask(mask(%q)): got %q; want %q", tc.in, got, tc.want)
		}
	}
}

// lineDiff shows the first lines where got and want differ.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got:  %s\n want: %s\nwhole transcript:\n%s", i+1, gl, wl, got)
		}
	}
	return ""
}
