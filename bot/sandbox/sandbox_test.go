package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bottest"
	"github.com/hearthbot/hearth/bot/config"
	"github.com/hearthbot/hearth/modules/audit"
	"github.com/hearthbot/hearth/modules/automod"
	"github.com/hearthbot/hearth/modules/core"
	"github.com/hearthbot/hearth/modules/logs"
	"github.com/hearthbot/hearth/modules/moderation"
	"github.com/hearthbot/hearth/store"
)

// modules mirrors main.go's modules(): the modules the sandbox shows.
func modules() []bot.Module {
	return []bot.Module{core.New(), moderation.New(), automod.New(), audit.New(), logs.New()}
}

// realBot runs the real runtime as main.go's runBot does, but through
// bottest's plain websocket feed instead of disgo's gateway, so that the
// tests run under -race.
func realBot() func(ctx context.Context, cfg config.Config, token string, log *zap.Logger) error {
	return func(ctx context.Context, cfg config.Config, token string, log *zap.Logger) error {
		st, err := store.Open(ctx, cfg.Store.Path)
		if err != nil {
			return err
		}
		defer st.Close()
		rt, err := bot.New(bot.Options{Token: token, Config: cfg, Log: log, Store: st, Modules: modules(),
			Version: "test", Gateway: bottest.NewFeed(cfg.Discord.GatewayURL, token)})
		if err != nil {
			return err
		}
		return rt.Run(ctx)
	}
}

// runScript runs lines as a script and returns the transcript.
func runScript(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "script.txt")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Run(context.Background(), Options{Out: &out, Script: path, RunBot: realBot()}); err != nil {
		t.Fatalf("Run: got %v; want nil\ntranscript:\n%s", err, out.String())
	}
	return out.String()
}

// outputs splits a script's transcript into the output of each echoed
// line ("you> /ping", "member2> hello"), keyed by the echo.
func outputs(transcript string) map[string]string {
	echo := regexp.MustCompile(`^[a-z0-9]+> `)
	out := map[string]string{}
	cur := ""
	for _, l := range strings.Split(transcript, "\n") {
		if echo.MatchString(l) {
			cur = l
			out[cur] = ""
			continue
		}
		if cur != "" && l != "" {
			out[cur] += l + "\n"
		}
	}
	return out
}

func TestLinesThatCannotRunPrintAnErrorAndTheSessionGoesOn(t *testing.T) {
	cases := []struct {
		line, echo, want string
	}{
		{"/nope", "you> /nope", "error: there is no command /nope here; /help lists the commands\n"},
		{"/ping verbose:true", "you> /ping verbose:true", `error: unknown option "verbose"`},
		{`/ping reason:"oops`, `you> /ping reason:"oops`, `error: option "reason" at byte 13: unterminated quoted value`},
		{"as nobody: hi", "you> as nobody: hi", `error: no member "nobody" in Guild 1; :members lists them` + "\n"},
		{"as member2 hello", "you> as member2 hello", `error: write "as NAME: text"`},
		{"as Hearth: I am the bot", "you> as Hearth: I am the bot", "error: Hearth is the bot; the sandbox speaks only as people (:members lists them)\n"},
		{"as admin: /nada", "you> /nada", "error: there is no command /nada here"},
		{"as member2:", "member2> ", `error: nothing to say after "as member2:"` + "\n"},
		{":frobnicate", "you> :frobnicate", "error: the sandbox has no command :frobnicate; :help lists what it understands\n"},
		{":members please", "you> :members please", "error: :members takes nothing after it\n"},
	}
	lines := []string{}
	for _, tc := range cases {
		lines = append(lines, tc.line)
	}
	lines = append(lines, "/ping")
	got := outputs(runScript(t, lines...))
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			out, ok := got[tc.echo]
			if !ok {
				t.Fatalf("no %q in the transcript %q", tc.echo, got)
			}
			if !strings.HasPrefix(out, "error: ") || strings.Count(out, "\n") != 1 || !strings.Contains(out, tc.want) {
				t.Errorf("got %q; want one line holding %q", out, tc.want)
			}
		})
	}
	if out := got["you> /ping"]; !strings.HasPrefix(out, "Hearth: Pong!") {
		t.Errorf("the /ping after the errors: got %q; want the bot's Pong!", out)
	}
}

// syncBuffer is an io.Writer a test can read while Run writes, and wait on.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{}, 1)} }

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	n, err := s.b.Write(p)
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return n, err
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until the output holds n copies of text.
func (s *syncBuffer) waitFor(t *testing.T, text string, n int) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for strings.Count(s.String(), text) < n {
		select {
		case <-s.changed:
		case <-timeout:
			t.Fatalf("got output %q; want %d of %q", s.String(), n, text)
		}
	}
}

func TestPromptRunsTypedLinesUntilTheSessionEnds(t *testing.T) {
	cases := []struct {
		name, input string
		prompts     int
	}{
		// One prompt a line read, none after :quit.
		{"quit", "/ping\nas member2: hello everyone\n\n# a comment\n:quit\n/about\n", 5},
		// One prompt a line, and the one the end of input answers.
		{"end of input", "/ping\nas member2: hello everyone\n", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, w := io.Pipe()
			go func() {
				_, _ = io.WriteString(w, tc.input)
				_ = w.Close()
			}()
			out := newSyncBuffer()
			err := Run(context.Background(), Options{In: r, Out: out, RunBot: realBot()})
			_ = r.Close() // unblocks the writer if Run left input unread
			if err != nil {
				t.Fatalf("Run: got %v; want nil\noutput:\n%s", err, out)
			}
			got := out.String()
			for _, want := range []string{
				"Hearth sandbox: logs in ", "You are admin in #general of Guild 1.",
				"you> Hearth: Pong!", "you> member2: hello everyone\n",
			} {
				if !strings.Contains(got, want) {
					t.Errorf("got output %q; want it to hold %q", got, want)
				}
			}
			if strings.Contains(got, "Uptime") {
				t.Errorf("got output %q; want nothing run after :quit", got)
			}
			if n := strings.Count(got, "you> "); n != tc.prompts {
				t.Errorf("got %d prompts in %q; want %d", n, got, tc.prompts)
			}
		})
	}
}

func TestInterruptAtThePromptEndsTheSessionCleanly(t *testing.T) {
	t.Parallel()
	r, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := newSyncBuffer()
	done := make(chan error, 1)
	go func() { done <- Run(ctx, Options{In: r, Out: out, RunBot: realBot()}) }()
	out.waitFor(t, "you> ", 1)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: got %v; want nil after an interrupt", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return within 20 s of the interrupt")
	}
}

func TestBotStoppingDuringTheSessionFailsRun(t *testing.T) {
	t.Parallel()
	errLost := errors.New("lost the connection for good")
	kill := make(chan struct{})
	runBot := func(ctx context.Context, cfg config.Config, token string, log *zap.Logger) error {
		bctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-kill:
				cancel()
			case <-bctx.Done():
			}
		}()
		err := realBot()(bctx, cfg, token, log)
		if ctx.Err() == nil { // killed, not stopped by the sandbox
			return errLost
		}
		return err
	}
	r, w := io.Pipe()
	defer w.Close()
	out := newSyncBuffer()
	done := make(chan error, 1)
	dir := t.TempDir()
	go func() { done <- Run(context.Background(), Options{In: r, Out: out, DataDir: dir, RunBot: runBot}) }()
	out.waitFor(t, "you> ", 1)
	close(kill)
	select {
	case err := <-done:
		if !errors.Is(err, errLost) || !strings.Contains(err.Error(), "the bot stopped during the session") {
			t.Fatalf("Run: got %v; want the bot's error, said to come during the session", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return within 20 s of the bot stopping")
	}
}

func TestBotThatIsNotReadyFailsRunClearly(t *testing.T) {
	errBoom := errors.New("boom: the store is locked")
	cases := []struct {
		name   string
		runBot func(ctx context.Context, cfg config.Config, token string, log *zap.Logger) error
		is     error
		want   string
	}{
		{"returns an error", func(context.Context, config.Config, string, *zap.Logger) error { return errBoom },
			errBoom, "sandbox: the bot stopped before it was ready (log: "},
		{"returns nil", func(context.Context, config.Config, string, *zap.Logger) error { return nil },
			nil, "sandbox: the bot stopped before it was ready, without an error"},
		{"never connects", func(ctx context.Context, _ config.Config, _ string, _ *zap.Logger) error { <-ctx.Done(); return nil },
			nil, "sandbox: the bot was not ready within 200ms: no gateway session connected, no commands registered"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := Run(context.Background(), Options{In: strings.NewReader(":quit\n"), Out: &out, RunBot: tc.runBot,
				DataDir: t.TempDir(), ReadyTimeout: 200 * time.Millisecond})
			if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("Run: got %v; want an error holding %q (wrapping %v)", err, tc.want, tc.is)
			}
			if out.Len() != 0 {
				t.Errorf("got output %q; want none before the bot is ready", out.String())
			}
		})
	}
}

func TestFailedBotKeepsTheTemporaryFolderForItsLog(t *testing.T) {
	t.Parallel()
	err := Run(context.Background(), Options{In: strings.NewReader(""), RunBot: func(_ context.Context, _ config.Config, _ string, log *zap.Logger) error {
		log.Error("the bot's last words")
		return errors.New("no luck")
	}})
	m := regexp.MustCompile(`\(log: (\S+)\)`).FindStringSubmatch(fmt.Sprint(err))
	if m == nil {
		t.Fatalf("Run: got %v; want an error naming the log", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(filepath.Dir(m[1])) })
	b, rerr := os.ReadFile(m[1])
	if rerr != nil || !strings.Contains(string(b), "the bot's last words") {
		t.Errorf("the log %s after Run failed: got %q, %v; want the bot's last words", m[1], b, rerr)
	}
}

func TestOptionsMissingWhatRunNeedsAreErrors(t *testing.T) {
	bot := func(context.Context, config.Config, string, *zap.Logger) error { return nil }
	cases := []struct {
		name string
		o    Options
		want string
	}{
		{"no RunBot", Options{In: strings.NewReader("")}, "sandbox: Options.RunBot is nil"},
		{"no input", Options{RunBot: bot}, "sandbox: Options.In is nil and there is no script"},
		{"missing script", Options{RunBot: bot, Script: filepath.Join(t.TempDir(), "none.txt")}, "sandbox: read the script: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := Run(context.Background(), tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run: got %v; want an error holding %q", err, tc.want)
			}
		})
	}
}

func TestDataFolderIsTemporaryUnlessGiven(t *testing.T) {
	kept := filepath.Join(t.TempDir(), "data")
	cases := []struct {
		name, dataDir string
		note          string
		exists        bool
	}{
		{"temporary", "", "(removed when you leave)", false},
		{"given", kept, "(kept)", true},
	}
	where := regexp.MustCompile(`logs in (\S+), data in (\S+) (\([a-z ]+\))`)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := Run(context.Background(), Options{In: strings.NewReader("/ping\n"), Out: &out, DataDir: tc.dataDir, RunBot: realBot()})
			if err != nil {
				t.Fatalf("Run: got %v; want nil", err)
			}
			m := where.FindStringSubmatch(out.String())
			if m == nil || m[3] != tc.note || (tc.dataDir != "" && m[2] != tc.dataDir) || m[1] != filepath.Join(m[2], "hearth.log") {
				t.Fatalf("got start line in %q; want logs in DIR/hearth.log, data in DIR %s", out.String(), tc.note)
			}
			for _, f := range []string{"hearth.log", "hearth.db"} {
				st, err := os.Stat(filepath.Join(m[2], f))
				if exists := err == nil && st.Size() > 0; exists != tc.exists {
					t.Errorf("%s after Run: got exists %v (%v); want %v", f, exists, err, tc.exists)
				}
			}
		})
	}
}

func TestStartLineNamesTheAdminURLWhenOn(t *testing.T) {
	cases := []struct {
		addr string
		want string
	}{
		{"127.0.0.1:9090", "Hearth sandbox: logs in /d/hearth.log, data in /d (kept), admin on http://127.0.0.1:9090 (/metrics, /healthz, /readyz)."},
		{config.AdminOff, "Hearth sandbox: logs in /d/hearth.log, data in /d (kept)."},
	}
	for _, tc := range cases {
		if got := startLine("/d", "/d/hearth.log", false, config.Admin{Addr: tc.addr}); got != tc.want {
			t.Errorf("startLine with admin %q: got %q; want %q", tc.addr, got, tc.want)
		}
	}
}

func TestStopReportsABotThatDoesNotStopInTime(t *testing.T) {
	release := make(chan struct{})
	b := startBot(context.Background(), func(context.Context, config.Config, string, *zap.Logger) error {
		<-release
		return nil
	}, config.Default(), "token", zap.NewNop(), "hearth.log")
	err := b.stop(20 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "sandbox: the bot did not stop within 20ms") {
		t.Errorf("stop: got %v; want it to say the bot did not stop in time", err)
	}
	close(release)
	if err := <-b.done; err != nil {
		t.Errorf("RunBot: got %v; want nil once released", err)
	}
}
