// Package bottest runs Hearth's real runtime, modules and command
// pipeline against the discordtest emulator, in a test, under -race.
// Only the gateway differs from production: a plain websocket client
// feeds the runtime the decoded dispatches that disgo's shard manager
// would (disgo's own gateway has data races; see docs/known-issues.md).
//
//	h := bottest.New(t, []bot.Module{hello.New()})
//	g := h.Guild()
//	reply, err := h.Emulator.RunCommand(g.ID, g.Channel("general").ID, g.Member("member1").User.ID, "/hello")
package bottest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/config"
	"github.com/hearthbot/hearth/discordtest"
	"github.com/hearthbot/hearth/store"
)

// Harness is a running bot against a running emulator.
type Harness struct {
	Emulator *discordtest.Server
	Runtime  *bot.Runtime
	Store    *store.Store
}

// Option configures New.
type Option func(*settings)

type settings struct {
	emulator []discordtest.Option
	config   []func(*config.Config)
	log      *zap.Logger
}

// WithEmulator passes options to the emulator.
func WithEmulator(opts ...discordtest.Option) Option {
	return func(s *settings) { s.emulator = append(s.emulator, opts...) }
}

// WithConfig changes the bot's configuration before it starts.
func WithConfig(f func(*config.Config)) Option {
	return func(s *settings) { s.config = append(s.config, f) }
}

// WithLogger sets the bot's logger (default: the test's log, warnings and
// above).
func WithLogger(l *zap.Logger) Option { return func(s *settings) { s.log = l } }

// New starts an emulator and the bot with these modules, waits until the
// bot is ready, and stops both when the test ends.
func New(t testing.TB, modules []bot.Module, opts ...Option) *Harness {
	t.Helper()
	var s settings
	for _, o := range opts {
		o(&s)
	}
	srv := discordtest.New(t, s.emulator...)
	cfg := config.Default()
	cfg.Discord.RESTURL = srv.RESTURL()
	cfg.Store.Path = filepath.Join(t.TempDir(), "hearth.db")
	cfg.Admin.Addr = config.AdminOff
	for _, f := range s.config {
		f(&cfg)
	}
	rt, st, stop := start(t, srv, cfg, modules, s.log)
	t.Cleanup(stop)
	return &Harness{Emulator: srv, Runtime: rt, Store: st}
}

// Start runs the bot with these modules against an emulator the test
// already has, on the database file dbPath, and waits until it is ready:
// for tests that stop the bot and start it again on the same data (a
// temporary ban that must outlive a restart). Stop shuts the bot down
// and closes the store; the test's end calls it too, and a second call
// does nothing. WithEmulator options do not apply.
func Start(t testing.TB, srv *discordtest.Server, dbPath string, modules []bot.Module, opts ...Option) (rt *bot.Runtime, stop func()) {
	t.Helper()
	var s settings
	for _, o := range opts {
		o(&s)
	}
	cfg := config.Default()
	for _, f := range s.config {
		f(&cfg)
	}
	cfg.Discord.RESTURL = srv.RESTURL()
	cfg.Store.Path = dbPath
	cfg.Admin.Addr = config.AdminOff
	rt, _, stop = start(t, srv, cfg, modules, s.log)
	t.Cleanup(stop)
	return rt, stop
}

// start opens the store, runs the runtime until it is ready, and
// returns a stop that shuts both down once.
func start(t testing.TB, srv *discordtest.Server, cfg config.Config, modules []bot.Module, log *zap.Logger) (*bot.Runtime, *store.Store, func()) {
	t.Helper()
	if log == nil {
		log = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	}
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.Open(ctx, cfg.Store.Path)
	if err != nil {
		cancel()
		t.Fatalf("bottest: open the store: %v", err)
	}
	rt, err := bot.New(bot.Options{Token: srv.Token(), Config: cfg, Log: log, Store: st, Modules: modules,
		Version: "test", Gateway: NewFeed(srv.GatewayURL(), srv.Token())})
	if err != nil {
		cancel()
		_ = st.Close()
		t.Fatalf("bottest: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("bottest: the bot stopped with: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Errorf("bottest: the bot did not stop within 30 s")
			}
			_ = st.Close()
		})
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, why := rt.Ready(ctx)
		if ok {
			break
		}
		select {
		case err := <-done:
			done <- err // for stop
			stop()
			t.Fatalf("bottest: the bot stopped before it was ready: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("bottest: the bot was not ready within 15 s: %s", why)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return rt, st, stop
}

// NewFeed returns a bot.Gateway that reads shard 0 of 1 of a gateway
// with a plain websocket client, for tests and tools that run the
// runtime against discordtest under -race.
func NewFeed(gatewayURL, token string) bot.Gateway { return &feed{url: gatewayURL, token: token} }

// Guild returns the emulator's first guild.
func (h *Harness) Guild() discordtest.GuildView { return h.Emulator.Guilds()[0] }

// ModuleConfig loads a configuration whose only section is the module's,
// modules.<module>, written as YAML lines (indentation relative to the
// section): the path `hearth run` takes, strict decoding and the
// module's environment overrides included. An empty section loads the
// defaults.
func ModuleConfig(t testing.TB, module, section string) config.Config {
	t.Helper()
	body := ""
	if strings.TrimSpace(section) != "" {
		body = "modules:\n  " + module + ":\n"
		for _, line := range strings.Split(strings.TrimSpace(section), "\n") {
			body += "    " + line + "\n"
		}
	}
	path := filepath.Join(t.TempDir(), "hearth.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, nil)
	if err != nil {
		t.Fatalf("bottest: load modules.%s: %v", module, err)
	}
	return cfg
}
