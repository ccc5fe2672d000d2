package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hearthbot/hearth/bench/loadtest"
)

// asBinary makes this test binary act as `hearth` when the load test
// runs it as the bot under test.
const asBinary = "HEARTH_TEST_AS_BINARY"

func TestMain(m *testing.M) {
	if os.Getenv(asBinary) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestLoadtestRunsTheBotAsAChildProcessAndJudgesTheRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the bot as a child process")
	}
	t.Setenv(asBinary, "1")
	opts := loadtest.Options{Guilds: 2, Members: 10, Rate: 40, Messages: 20, SpamShare: 0.2, Duration: 2 * time.Second,
		Settle: 100 * time.Millisecond, SLO: loadtest.SLO{P95: time.Nanosecond, MaxErrorRate: 0.01}}
	rep, err := loadtest.Run(context.Background(), opts, loadtest.Hearth{Binary: os.Args[0]})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent < 60 || rep.Answered != rep.Sent || rep.Late != 0 || rep.Failed != 0 {
		t.Fatalf("sent %d, answered %d, late %d, failed %d; want about 80 sent, all answered", rep.Sent, rep.Answered, rep.Late, rep.Failed)
	}
	if rep.P50 <= 0 || rep.P99 < rep.P50 || rep.CPU <= 0 || rep.PeakRSS <= 0 || rep.DBBytes <= 0 || rep.RESTCalls < rep.Answered {
		t.Fatalf("implausible figures: %+v", rep)
	}
	if os.Getenv("GOMAXPROCS") == "" && rep.CoreChanges < 0 {
		t.Errorf("core changes %d; want a count read from the bot's metrics (pipeline.cores is auto)", rep.CoreChanges)
	}
	if rep.MessagesSent < 20 || rep.MessagesPerSecond <= 0 {
		t.Fatalf("messages: sent %d, processed %.1f/s; want about 40 sent and a rate read from the bot's metrics", rep.MessagesSent, rep.MessagesPerSecond)
	}
	// A p95 objective of 1ns cannot be met: the verdict says so.
	if rep.Pass || len(rep.Verdict) != 1 || !strings.Contains(rep.Verdict[0], "above the objective 1ns") {
		t.Fatalf("verdict: pass %v, %q; want a failure naming the p95 objective", rep.Pass, rep.Verdict)
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil || !strings.Contains(text.String(), "verdict           FAIL") {
		t.Fatalf("text report:\n%s", text.String())
	}
	if err := rep.Plot(t.TempDir() + "/run.png"); err != nil {
		t.Fatal(err)
	}
}

func TestLoadtestBotEnvReachesTheBot(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the bot as a child process")
	}
	t.Setenv(asBinary, "1")
	opts := loadtest.Options{Guilds: 1, Members: 4, Rate: 1, Duration: time.Second}
	_, err := loadtest.Run(context.Background(), opts, loadtest.Hearth{Binary: os.Args[0], Env: []string{"HEARTH_PIPELINE_CORES=many"}})
	if err == nil || !strings.Contains(err.Error(), "HEARTH_PIPELINE_CORES") {
		t.Fatalf("got %v; want the bot to refuse the variable it was given", err)
	}
	if _, err := run(t, nil, "loadtest", "--bot-env", "GOGC"); err == nil || !strings.Contains(err.Error(), `--bot-env "GOGC": want NAME=VALUE`) {
		t.Fatalf("--bot-env without =: got %v; want it refused", err)
	}
}
