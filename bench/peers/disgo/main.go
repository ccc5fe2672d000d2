// Command disgo is a minimal disgo bot answering /ping, the disgo peer of
// Hearth's side-by-side benchmarks (see ../README.md). It keeps disgo's
// defaults and sets only what points it at the emulator.
//
// Environment: DISCORD_TOKEN, DISCORD_API (REST base, with or without
// /v10), PEER_INTENTS (default 1, GUILDS), PEER_LARGE_THRESHOLD (default
// 50), PEER_ASYNC=1 (disgo's async event listeners), PEER_CACHE=all (every
// disgo cache on) or PEER_NOCACHE=1 (none, which is disgo's default).
// Stdout carries one JSON object per line for the harness; logs go to
// stderr.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/disgoorg/disgo"
	"github.com/disgoorg/disgo/bot"
	"github.com/disgoorg/disgo/cache"
	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/events"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/disgo/rest"
)

// processStart is when the runtime reached this package's init.
var processStart = time.Now()

// out serialises the JSON lines on stdout.
var out sync.Mutex

// emit writes one JSON line: the event, then fields as key/value pairs,
// then ms since start and the wall clock.
func emit(event string, at time.Time, kv ...any) {
	var b strings.Builder
	b.WriteString(`{"event":`)
	b.WriteString(strconv.Quote(event))
	for i := 0; i+1 < len(kv); i += 2 {
		v, err := json.Marshal(kv[i+1])
		if err != nil {
			v = []byte(strconv.Quote(fmt.Sprint(kv[i+1])))
		}
		fmt.Fprintf(&b, ",%q:%s", kv[i], v)
	}
	ms := float64(at.Sub(processStart).Microseconds()) / 1000
	fmt.Fprintf(&b, `,"ms":%s,"unix_ms":%d}`+"\n", strconv.FormatFloat(ms, 'f', 3, 64), at.UnixMilli())
	out.Lock()
	defer out.Unlock()
	_, _ = os.Stdout.WriteString(b.String())
}

// config is the peer's environment.
type config struct {
	token          string
	api            string
	intents        gateway.Intents
	largeThreshold int
	async          bool
	cacheAll       bool
}

// versioned matches a REST base that already names the API version.
var versioned = regexp.MustCompile(`/v\d+$`)

// loadConfig reads the environment.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{token: getenv("DISCORD_TOKEN")}
	if c.token == "" {
		return c, errors.New("DISCORD_TOKEN is not set")
	}
	c.api = strings.TrimRight(getenv("DISCORD_API"), "/")
	if c.api == "" {
		c.api = "https://discord.com/api"
	}
	if !versioned.MatchString(c.api) {
		c.api += "/v10" // disgo's rest.WithURL takes the versioned base
	}
	num := func(name string, def int) (int, error) {
		v := getenv(name)
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s=%q is not a non-negative integer", name, v)
		}
		return n, nil
	}
	intents, err := num("PEER_INTENTS", 1)
	if err != nil {
		return c, err
	}
	c.intents = gateway.Intents(intents)
	if c.largeThreshold, err = num("PEER_LARGE_THRESHOLD", 50); err != nil {
		return c, err
	}
	shards, err := num("PEER_SHARDS", 1)
	if err != nil {
		return c, err
	}
	if shards > 1 {
		return c, errors.New("PEER_SHARDS: the disgo peer runs disgo's default gateway, one shard")
	}
	c.async = getenv("PEER_ASYNC") == "1"
	switch cc := getenv("PEER_CACHE"); {
	case cc == "all" && getenv("PEER_NOCACHE") == "1":
		return c, errors.New("PEER_CACHE=all and PEER_NOCACHE=1 contradict each other")
	case cc == "all":
		c.cacheAll = true
	case cc != "" && cc != "default" && cc != "none":
		return c, fmt.Errorf("PEER_CACHE=%q: want all, none or default", cc)
	}
	return c, nil
}

// startup tracks READY and the guilds it lists, whatever order async
// listeners run in.
type startup struct {
	mu         sync.Mutex
	readyAt    time.Time
	guilds     int
	guildsAt   time.Time
	guildsDone bool
}

// ready records READY with its guild count.
func (s *startup) ready(at time.Time, guilds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.readyAt.IsZero() {
		return // a later re-identify
	}
	s.readyAt, s.guilds = at, guilds
	emit("ready", at, "guilds", guilds, "shards", 1)
	if guilds == 0 {
		s.guildsAt = at
	}
	s.flush()
}

// allGuilds records disgo's GuildsReady.
func (s *startup) allGuilds(at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.guildsAt.IsZero() {
		s.guildsAt = at
	}
	s.flush()
}

func (s *startup) flush() {
	if s.guildsDone || s.readyAt.IsZero() || s.guildsAt.IsZero() {
		return
	}
	s.guildsDone = true
	emit("guilds", s.guildsAt, "count", s.guilds)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "disgo peer:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var st startup
	var register sync.Once
	opts := []bot.ConfigOpt{
		bot.WithDefaultGateway(),
		bot.WithRestClientConfigOpts(rest.WithURL(cfg.api)),
		bot.WithGatewayConfigOpts(gateway.WithIntents(cfg.intents), gateway.WithLargeThreshold(cfg.largeThreshold)),
		bot.WithEventListenerFunc(func(e *events.Ready) {
			st.ready(time.Now(), len(e.Guilds))
			register.Do(func() { go registerPing(e.Client()) })
		}),
		bot.WithEventListenerFunc(func(*events.GuildsReady) { st.allGuilds(time.Now()) }),
		bot.WithEventListenerFunc(func(e *events.ApplicationCommandInteractionCreate) {
			if e.Data.CommandName() != "ping" {
				return
			}
			if err := e.CreateMessage(discord.MessageCreate{Content: "Pong!"}); err != nil {
				fmt.Fprintln(os.Stderr, "disgo peer: reply to /ping:", err)
			}
		}),
	}
	if cfg.async {
		opts = append(opts, bot.WithEventManagerConfigOpts(bot.WithAsyncEventsEnabled()))
	}
	cacheMode := "default (none)"
	if cfg.cacheAll {
		opts = append(opts, bot.WithCacheConfigOpts(cache.WithCaches(cache.FlagsAll)))
		cacheMode = "all"
	}
	emit("start", time.Now(), "library", "disgo", "version", disgo.Version, "intents", int(cfg.intents),
		"large_threshold", cfg.largeThreshold, "shards", 1, "async", cfg.async, "cache", cacheMode)

	client, err := disgo.New(cfg.token, opts...)
	if err != nil {
		return err
	}
	if err := client.OpenGateway(ctx); err != nil && ctx.Err() == nil {
		return err
	}
	<-ctx.Done()
	emit("stop", time.Now())
	closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	client.Close(closeCtx)
	return nil
}

// registerPing bulk-overwrites the global commands with /ping.
func registerPing(client *bot.Client) {
	_, err := client.Rest.SetGlobalCommands(client.ApplicationID, []discord.ApplicationCommandCreate{
		discord.SlashCommandCreate{Name: "ping", Description: "Answers Pong!"},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "disgo peer: register /ping:", err)
		return
	}
	emit("commands", time.Now(), "names", []string{"ping"})
}
