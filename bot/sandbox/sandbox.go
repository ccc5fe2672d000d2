// Package sandbox lets a newcomer talk to a working Hearth in the terminal,
// with no Discord account: `hearth sandbox` (and `make sandbox`).
//
// Run starts the discordtest emulator with a demo guild, connects the real
// bot to it over HTTP and websockets (through Options.RunBot, the same
// function `hearth run` uses), waits until the bot is ready, and then reads
// lines: slash commands typed as the guild's admin in #general, messages
// and commands as other members ("as member2: hello"), and the sandbox's
// own commands (":members", ":channels", ":help", ":quit"). It prints what
// a person in the guild would see. With Options.Script the lines come from
// a file and the printed transcript reads like a session.
//
// Lifecycle. Run owns everything it starts: the emulator, the goroutine
// running the bot, the log file and, unless Options.DataDir is set, a
// temporary data folder. When the session ends (":quit", the end of the
// input or of the script, or ctx ending) it cancels the bot's context,
// waits for RunBot to return (at most Options.StopTimeout), closes the
// emulator and removes the temporary folder, unless the bot failed: then
// the folder stays, so that the log the error points to can be read.
//
// Errors. A line that cannot run (an unknown command, a bad option, an
// unknown member) prints "error: ..." and the session goes on; it never
// makes Run fail. Run returns an error only when the sandbox itself could
// not work: the emulator or the data folder could not be set up, the bot
// stopped before it was ready or during the session, or it failed or hung
// on the way out.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot/config"
	"github.com/hearthbot/hearth/bot/logging"
	"github.com/hearthbot/hearth/discordtest"
)

// Default timeouts of Options.
const (
	DefaultReadyTimeout = 30 * time.Second
	DefaultStopTimeout  = 30 * time.Second
)

// The demo world: one guild of six people (owner, admin, mod, member1,
// member2, member3); "you" are admin, typing in #general.
const (
	demoMembers = 6
	youName     = "admin"
	homeChannel = "general"
)

// Options configure Run.
type Options struct {
	// In is where the prompt reads lines; unused with Script. A goroutine
	// reads it so that an interrupt needs no Enter; a read under way when
	// Run returns ends with In's next line or its end.
	In io.Reader
	// Out receives the conversation, or with Script the transcript. Only
	// Run's own goroutine writes to it.
	Out io.Writer
	// Script is a file whose lines run instead of the prompt; "" gives
	// the prompt. Each line is echoed before its output.
	Script string
	// DataDir holds the bot's store and its log, hearth.log, and is kept.
	// "" means a temporary folder, removed when Run returns (kept when
	// the bot failed, for its log).
	DataDir string
	// AdminAddr is the admin listener's host:port (metrics, health), or
	// config.AdminOff; "" is off too.
	AdminAddr string
	// RunBot runs the bot with cfg until ctx ends: it opens the store at
	// cfg.Store.Path, serves the admin listener unless cfg.Admin is off,
	// and runs the runtime. Its logger writes to the data folder's
	// hearth.log. Required.
	RunBot func(ctx context.Context, cfg config.Config, token string, log *zap.Logger) error
	// ReadyTimeout is how long the bot may take to connect and register
	// its commands (default DefaultReadyTimeout).
	ReadyTimeout time.Duration
	// StopTimeout is how long the bot may take to stop once the session
	// ends (default DefaultStopTimeout). Past it Run returns an error and
	// leaves RunBot's goroutine behind; the process is about to exit.
	StopTimeout time.Duration
}

// Run runs one sandbox session and blocks until it ends: ":quit", the end
// of In or of the script, or ctx ending (an interrupt) end it cleanly.
// Lines that fail print "error: ..." and do not make Run fail; Run returns
// an error when the emulator or the bot failed (see the package doc).
func Run(ctx context.Context, o Options) (err error) {
	if o.RunBot == nil {
		return errors.New("sandbox: Options.RunBot is nil")
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = DefaultReadyTimeout
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = DefaultStopTimeout
	}
	if o.AdminAddr == "" {
		o.AdminAddr = config.AdminOff
	}
	var script []string
	if o.Script != "" {
		b, err := os.ReadFile(o.Script)
		if err != nil {
			return fmt.Errorf("sandbox: read the script: %w", err)
		}
		script = strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	} else if o.In == nil {
		return errors.New("sandbox: Options.In is nil and there is no script")
	}

	dir, removeDir, err := dataDir(o.DataDir)
	if err != nil {
		return err
	}
	keepData := false // a failed bot's log outlives a temporary folder
	defer func() {
		if keepData {
			return
		}
		if rerr := removeDir(); rerr != nil && err == nil {
			err = rerr
		}
	}()
	logPath := filepath.Join(dir, "hearth.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("sandbox: open the log file: %w", err)
	}
	defer logFile.Close()

	srv, err := discordtest.Start(discordtest.WithGuilds(1), discordtest.WithMembers(demoMembers))
	if err != nil {
		return fmt.Errorf("sandbox: start the emulator: %w", err)
	}
	defer srv.Close()

	cfg := config.Default()
	cfg.Discord.RESTURL = srv.RESTURL()
	cfg.Discord.GatewayURL = srv.GatewayURL()
	cfg.Commands.Sync = config.Sync{Mode: config.SyncGlobal}
	cfg.Store.Path = filepath.Join(dir, "hearth.db")
	cfg.Admin.Addr = o.AdminAddr
	cfg.Log.Format = "console"
	token := srv.Token()
	log, err := logging.New(cfg.Log.Level, cfg.Log.Format, logFile, token)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	defer func() { _ = log.Sync() }()

	b := startBot(ctx, o.RunBot, cfg, token, log, logPath)
	defer func() {
		if serr := b.stop(o.StopTimeout); serr != nil && err == nil {
			err = serr
		}
		keepData = err != nil
	}()
	if err := waitReady(ctx, srv, b, o.ReadyTimeout); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}

	s, err := newSession(srv, o.Out, o.Script != "")
	if err != nil {
		return err
	}
	fmt.Fprintln(o.Out, startLine(dir, logPath, o.DataDir == "", cfg.Admin))
	if o.Script != "" {
		return s.runScript(ctx, script, b)
	}
	fmt.Fprintf(o.Out, "You are %s in #%s of %s. Type /help for the bot's commands, :help for the sandbox's, :quit to leave.\n",
		youName, homeChannel, s.guild.Name)
	return s.runPrompt(ctx, o.In, b)
}

// startLine says where the logs and the data are, and the admin URL.
func startLine(dir, logPath string, temporary bool, admin config.Admin) string {
	kept := "kept"
	if temporary {
		kept = "removed when you leave"
	}
	line := fmt.Sprintf("Hearth sandbox: logs in %s, data in %s (%s)", logPath, dir, kept)
	if admin.Enabled() {
		line += fmt.Sprintf(", admin on http://%s (/metrics, /healthz, /readyz)", admin.Addr)
	}
	return line + "."
}

// dataDir creates the data folder, or a temporary one, and returns the
// function that removes it when it is temporary.
func dataDir(dir string) (string, func() error, error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", nil, fmt.Errorf("sandbox: create the data folder: %w", err)
		}
		return dir, func() error { return nil }, nil
	}
	tmp, err := os.MkdirTemp("", "hearth-sandbox-*")
	if err != nil {
		return "", nil, fmt.Errorf("sandbox: create a temporary data folder: %w", err)
	}
	return tmp, func() error {
		if err := os.RemoveAll(tmp); err != nil {
			return fmt.Errorf("sandbox: remove the temporary data folder: %w", err)
		}
		return nil
	}, nil
}

// runningBot is the goroutine running RunBot, owned by Run: stop cancels
// it and waits for it. Only Run's goroutine uses it.
type runningBot struct {
	cancel context.CancelFunc
	// logPath is the bot's log file, for the errors to point at.
	logPath string
	// done delivers RunBot's result, once.
	done chan error
	// returned is set once Run has received from done.
	returned bool
}

func startBot(ctx context.Context, run func(context.Context, config.Config, string, *zap.Logger) error,
	cfg config.Config, token string, log *zap.Logger, logPath string) *runningBot {
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b := &runningBot{cancel: cancel, logPath: logPath, done: make(chan error, 1)}
	go func() { b.done <- run(bctx, cfg, token, log) }()
	return b
}

// exited records that RunBot returned err during the session (Run
// received it from done) and says so.
func (b *runningBot) exited(err error) error {
	b.returned = true
	if err == nil {
		return fmt.Errorf("sandbox: the bot stopped during the session, without an error (log: %s)", b.logPath)
	}
	return fmt.Errorf("sandbox: the bot stopped during the session (log: %s): %w", b.logPath, err)
}

// stop cancels the bot and waits at most timeout for RunBot to return;
// the error is RunBot's, or says it did not stop in time. An error that
// is only the cancellation (the bot was still starting when the session
// ended) is a clean stop.
func (b *runningBot) stop(timeout time.Duration) error {
	b.cancel()
	if b.returned {
		return nil // Run already reported how it ended
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-b.done:
		b.returned = true
		if err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("sandbox: the bot stopped with an error (log: %s): %w", b.logPath, err)
		}
		return nil
	case <-t.C:
		return fmt.Errorf("sandbox: the bot did not stop within %s of the end of the session (log: %s)", timeout, b.logPath)
	}
}

// waitReady waits until the bot's gateway session is connected and has
// been sent READY, and its commands are registered. It fails when RunBot returns first or the
// timeout passes; ctx ending returns nil at once.
func waitReady(ctx context.Context, srv *discordtest.Server, b *runningBot, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		connected, commands := readiness(srv)
		if connected && commands {
			return nil
		}
		select {
		case err := <-b.done:
			b.returned = true
			if err == nil {
				return fmt.Errorf("sandbox: the bot stopped before it was ready, without an error (log: %s)", b.logPath)
			}
			return fmt.Errorf("sandbox: the bot stopped before it was ready (log: %s): %w", b.logPath, err)
		case <-deadline.C:
			var missing []string
			if !connected {
				missing = append(missing, "no gateway session connected")
			}
			if !commands {
				missing = append(missing, "no commands registered")
			}
			return fmt.Errorf("sandbox: the bot was not ready within %s: %s (log: %s)", timeout, strings.Join(missing, ", "), b.logPath)
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// readiness reports whether a gateway session is connected and was sent
// READY (its first dispatch), and whether global commands are registered.
func readiness(srv *discordtest.Server) (connected, commands bool) {
	for _, s := range srv.GatewaySessions() {
		connected = connected || (s.Connected && s.Seq > 0)
	}
	return connected, len(srv.Commands(0)) > 0
}
