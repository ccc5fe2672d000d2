package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/disgoorg/disgo"
	disgobot "github.com/disgoorg/disgo/bot"
	"github.com/disgoorg/disgo/cache"
	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot/bus"
	"github.com/hearthbot/hearth/bot/config"
	"github.com/hearthbot/hearth/bot/logging"
	"github.com/hearthbot/hearth/ratelimit"
	"github.com/hearthbot/hearth/store"
)

// Options configure a Runtime.
type Options struct {
	// Token is the bot token; it never appears in a log line or error.
	Token   string
	Config  config.Config
	Log     *zap.Logger
	Store   *store.Store
	Modules []Module
	Version string
	// HTTPClient carries REST requests (default: a client with a 20 s
	// timeout and keep-alive connections enough for the pipeline).
	HTTPClient *http.Client
	// Gateway connects to Discord's gateway (default: disgo's shard
	// manager). Tests pass a plain feed (package bottest).
	Gateway Gateway
}

// Runtime is the running bot: it owns the REST client, the modules, the
// pipeline, the bus and the gateway, and runs their lifecycle.
type Runtime struct {
	opts     Options
	cfg      config.Config
	log      *zap.Logger
	store    *store.Store
	cache    *store.Cache
	ownCache bool // the runtime made the cache and closes it
	bus      *bus.InProc
	metrics  *metrics

	restClient rest.Client
	limiter    *ratelimit.Limiter
	rest       rest.Rest
	restAPI    REST
	gateway    Gateway
	// discord is disgo's client without a gateway of its own: its event
	// manager keeps the cache (guilds, roles, channels, the bot's own
	// member) from the dispatches the Gateway delivers.
	discord *disgobot.Client
	appID   snowflake.ID
	selfID  snowflake.ID

	modules    []*moduleState
	moduleByID map[string]*moduleState // the same modules, by ID
	commands   map[string]*commandRoute
	components map[string]map[string]ComponentHandler
	pipeline   step
	sem        chan struct{}
	inflight   sync.WaitGroup
	cooldowns  *ratelimit.Cooldowns

	baseCtx    context.Context
	cancelBase context.CancelFunc

	events        chan pending
	publisherDone chan struct{}
	intakeMu      sync.RWMutex
	intakeClosed  bool
	stopping      atomic.Bool
	guilds        *guildTracker

	intents     gateway.Intents
	denied      gateway.Intents // privileged intents Discord did not grant
	sections    map[string]Section
	probe       restProbe // the REST round trip /ping shows
	started     time.Time
	readyOnce   atomic.Bool
	maintenance sync.WaitGroup // scheduled backups and retention
}

// moduleState is a module and how far it got.
type moduleState struct {
	m       Module
	host    *Host
	inited  bool
	skipped bool
}

// call runs one of the module's methods for the host, turning a panic into
// an error (logged with its stack) so that it reaches no other module and
// does not end the process. The pipeline and the bus have their own.
func (ms *moduleState) call(method string, fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			ms.host.log.Error(method+" panicked", zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
			err = fmt.Errorf("%s panicked: %v", method, p)
		}
	}()
	return fn()
}

// New checks the options and builds a Runtime; Run starts it.
func New(o Options) (*Runtime, error) {
	if o.Token == "" {
		return nil, errors.New("bot: no token")
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	ids := map[string]bool{}
	for _, m := range o.Modules {
		if ids[m.ID()] {
			return nil, fmt.Errorf("bot: module %q listed twice", m.ID())
		}
		ids[m.ID()] = true
	}
	for _, id := range o.Config.ModuleIDs() {
		if !ids[id] {
			return nil, fmt.Errorf("bot: config has a section modules.%s but no module %q is built in (modules: %s)", id, id, strings.Join(slices.Sorted(mapsKeys(ids)), ", "))
		}
	}
	appID, err := applicationID(o.Token)
	if err != nil {
		return nil, err
	}
	rt := &Runtime{opts: o, cfg: o.Config, log: o.Log, store: o.Store, appID: appID, selfID: appID,
		commands: map[string]*commandRoute{}, moduleByID: map[string]*moduleState{}, components: map[string]map[string]ComponentHandler{},
		sem:       make(chan struct{}, o.Config.Pipeline.Concurrency),
		cooldowns: ratelimit.NewCooldowns(100_000), guilds: newGuildTracker(),
		events: make(chan pending, 4096), publisherDone: make(chan struct{})}
	rt.bus = bus.NewInProc(o.Log.Named("bus"))
	if o.Store != nil && o.Store.Cache() != nil {
		rt.cache = o.Store.Cache() // the store's own: writes invalidate it
	} else {
		if rt.cache, err = store.NewCache(int64(max(o.Config.Store.CacheMB, 1)) << 20); err != nil {
			return nil, fmt.Errorf("bot: %w", err)
		}
		rt.ownCache = true
	}
	rt.metrics = newMetrics(rt.bus, rt.cache)
	rt.pipeline = rt.chain()
	rt.gateway = o.Gateway
	hc := o.HTTPClient
	if hc == nil {
		// Go keeps 2 idle connections per host by default: under load most
		// answers would open a new one. Up to 256 stay open, which a few
		// thousand answers a second need, and idle ones close in 90 s.
		hc = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
			MaxIdleConnsPerHost: min(o.Config.Pipeline.Concurrency, 256), IdleConnTimeout: 90 * time.Second}}
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	// Counting sees every attempt; the retry transport repeats idempotent
	// requests that met a 5xx, a few times with jitter (the limiter never
	// sees those).
	retry := ratelimit.NewRetryTransport(countingTransport{next: next, m: rt.metrics})
	hc = &http.Client{Transport: deadlineTransport{next: retry, timeout: hc.Timeout}}
	alerts := o.Log.Named("ratelimit")
	rt.limiter = ratelimit.New(ratelimit.WithLogger(o.Log.Named("ratelimit")),
		ratelimit.WithGlobalLimit(o.Config.Discord.GlobalLimit),
		// A Cloudflare ban, a refused token or a climbing invalid-request
		// count needs a person: say it loudly.
		ratelimit.WithAlert(func(a ratelimit.Alert) {
			alerts.Error("Discord REST alert: "+a.Kind, zap.Error(a.Err), zap.Time("at", a.At))
		}))
	rt.metrics.reg.MustRegister(limiterCollector{l: rt.limiter, retry: retry})
	restOpts := []rest.ClientConfigOpt{
		rest.WithHTTPClient(hc),
		// Hearth's bucket-aware limiter (package ratelimit), not disgo's.
		rest.WithRateLimiter(rt.limiter),
		rest.WithLogger(logging.Slog(o.Log.Named("disgo"))),
		rest.WithUserAgent("DiscordBot (https://github.com/hearthbot/hearth, " + versionOr(o.Version) + ")"),
	}
	if o.Config.Discord.RESTURL != "" {
		restOpts = append(restOpts, rest.WithURL(strings.TrimSuffix(o.Config.Discord.RESTURL, "/")))
	}
	rt.restClient = rest.NewClient(o.Token, restOpts...)
	rt.rest = rest.New(rt.restClient)
	rt.restAPI = newREST(rt.rest)
	return rt, nil
}

func versionOr(v string) string {
	if v == "" {
		return "dev"
	}
	return v
}

func mapsKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Metrics is the registry served on /metrics.
func (rt *Runtime) Metrics() http.Handler { return metricsHandler(rt.metrics) }

// Registerer adds process-level metrics to the ones /metrics serves (the
// cores the process runs on, say, which main sizes).
func (rt *Runtime) Registerer() prometheus.Registerer { return rt.metrics.reg }

// moduleLog is the logger named for a module: the one its Host has, made
// once at Init (the pipeline asks for it on every interaction).
func (rt *Runtime) moduleLog(id string) *zap.Logger {
	if ms, ok := rt.moduleByID[id]; ok {
		return ms.host.log
	}
	return rt.log.Named(id)
}

// Run starts the bot and blocks until ctx ends, then shuts down: stop
// intake, close the shards, drain in-flight commands and the bus, stop
// the modules in reverse order, close REST. Start-up failures (a module,
// the gateway refusing the bot) are returned with what to do about them.
func (rt *Runtime) Run(ctx context.Context) (err error) {
	rt.started = time.Now()
	rt.baseCtx, rt.cancelBase = context.WithCancel(context.WithoutCancel(ctx))
	defer rt.cancelBase()
	go rt.publish()

	gw, err := rt.rest.GetGatewayBot(rest.WithCtx(ctx))
	if err != nil {
		rt.shutdownEarly()
		return fmt.Errorf("bot: ask Discord for the gateway (GET /gateway/bot): %w", err)
	}
	if l := gw.SessionStartLimit; l.Remaining <= 0 {
		rt.shutdownEarly()
		return fmt.Errorf("bot: no gateway sessions left today (session_start_limit: 0 of %d); they reset in %s", l.Total,
			(time.Duration(l.ResetAfter) * time.Millisecond).Round(time.Second))
	}
	if rt.store != nil {
		if err := rt.store.Migrate(ctx, MigrationSets(rt.opts.Modules)...); err != nil {
			rt.shutdownEarly()
			return fmt.Errorf("bot: %w", err)
		}
	}
	if err := rt.initModules(ctx); err != nil {
		rt.stopModules(context.WithoutCancel(ctx))
		rt.shutdownEarly()
		return err
	}
	if err := rt.watchDepartures(); err != nil {
		rt.stopModules(context.WithoutCancel(ctx))
		rt.shutdownEarly()
		return fmt.Errorf("bot: %w", err)
	}
	if err := rt.syncCommands(ctx); err != nil {
		rt.stopModules(context.WithoutCancel(ctx))
		rt.shutdownEarly()
		return err
	}
	rt.denied = rt.deniedIntents(ctx, rt.needs().Intents)
	rt.reportDenied()
	rt.intents = rt.needs().Intents
	if rt.gateway == nil {
		rt.gateway = newDisgoGateway(rt, gw)
	}
	if err := rt.buildCache(); err != nil {
		rt.stopModules(context.WithoutCancel(ctx))
		rt.shutdownEarly()
		return err
	}
	if err := rt.gateway.Open(ctx, rt.needs(), rt.dispatch); err != nil {
		rt.shutdown(context.WithoutCancel(ctx))
		if ctx.Err() != nil { // stopped while connecting: a shutdown, not a failure
			return nil
		}
		return fmt.Errorf("bot: the gateway refused the bot: %w", err)
	}
	for _, ms := range rt.modules {
		if s, ok := ms.m.(Starter); ok && ms.inited {
			if err := ms.call("Start", func() error { return s.Start(ctx) }); err != nil {
				rt.shutdown(context.WithoutCancel(ctx))
				return fmt.Errorf("bot: start module %q: %w", ms.m.ID(), err)
			}
		}
	}
	rt.reportDegraded()
	rt.startMaintenance()
	rt.readyOnce.Store(true)
	rt.log.Info("ready", zap.Int("shards", len(rt.gateway.Status())), zap.Int("modules", rt.activeModules()),
		zap.Duration("took", time.Since(rt.started)))
	<-ctx.Done()
	rt.shutdown(context.WithoutCancel(ctx))
	return nil
}

// SyncCommands registers the modules' commands where the config says,
// without connecting to the gateway (`hearth commands sync`): it runs
// the modules' Init, syncs, and stops them.
func (rt *Runtime) SyncCommands(ctx context.Context) error {
	rt.baseCtx, rt.cancelBase = context.WithCancel(context.WithoutCancel(ctx))
	defer rt.cancelBase()
	go rt.publish()
	defer rt.shutdownEarly()
	defer rt.stopModules(context.WithoutCancel(ctx))
	if err := rt.initModules(ctx); err != nil {
		return err
	}
	return rt.syncCommands(ctx)
}

// CheckModules runs every module's Init and Validate without connecting
// or opening anything, then stops them: `hearth config validate` uses it
// to check the modules' sections as the modules read them.
func (rt *Runtime) CheckModules(ctx context.Context) error {
	rt.baseCtx, rt.cancelBase = context.WithCancel(context.WithoutCancel(ctx))
	defer rt.cancelBase()
	defer rt.stopModules(context.WithoutCancel(ctx))
	return rt.initModules(ctx)
}

// initModules runs every module's Init in order, with its own Host.
func (rt *Runtime) initModules(ctx context.Context) error {
	for _, m := range rt.opts.Modules {
		h := &Host{rt: rt, module: m.ID(), log: rt.log.Named(m.ID())}
		ms := &moduleState{m: m, host: h}
		rt.modules = append(rt.modules, ms)
		rt.moduleByID[m.ID()] = ms
		err := ms.call("Init", func() error { return m.Init(ctx, h) })
		if errors.Is(err, ErrSkip) {
			ms.skipped = true
			delete(rt.sections, m.ID())
			h.log.Info("module stands aside")
			for _, s := range h.subs {
				s.Unsubscribe()
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("bot: init module %q: %w", m.ID(), err)
		}
		ms.inited = true
		if v, ok := m.(Validator); ok {
			if err := ms.call("Validate", v.Validate); err != nil {
				return fmt.Errorf("bot: module %q: invalid configuration: %w", m.ID(), err)
			}
		}
		for i := range h.commands {
			c := &h.commands[i]
			if other, dup := rt.commands[c.Name]; dup {
				return fmt.Errorf("bot: command /%s is declared by both %q and %q", c.Name, other.module, m.ID())
			}
			rt.commands[c.Name] = &commandRoute{module: m.ID(), cmd: c}
		}
		if len(h.components) > 0 {
			rt.components[m.ID()] = h.components
		}
	}
	return nil
}

func (rt *Runtime) activeModules() int {
	n := 0
	for _, ms := range rt.modules {
		if ms.inited {
			n++
		}
	}
	return n
}

// stopModules stops the modules in reverse order; Stop is called for
// every module that was initialised or skipped, never twice.
func (rt *Runtime) stopModules(ctx context.Context) {
	for i := len(rt.modules) - 1; i >= 0; i-- {
		ms := rt.modules[i]
		for _, s := range ms.host.subs {
			s.Unsubscribe()
		}
		s, ok := ms.m.(Stopper)
		if !ok {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := ms.call("Stop", func() error { return s.Stop(sctx) }); err != nil {
			ms.host.log.Error("stop failed", zap.Error(err))
		}
		cancel()
	}
	rt.modules, rt.moduleByID = nil, map[string]*moduleState{}
}

// needs is the union of what the modules that did not skip asked for,
// plus what the host itself needs: guilds for the cache that resolves
// the bot's own permissions.
func (rt *Runtime) needs() Needs {
	n := Needs{Intents: gateway.IntentGuilds, Caches: cache.FlagGuilds | cache.FlagRoles | cache.FlagChannels | cache.FlagMembers}
	for _, ms := range rt.modules {
		if nd, ok := ms.m.(Needer); ok && ms.inited {
			x := nd.Needs()
			n.Intents |= x.Intents
			n.Caches |= x.Caches
		}
	}
	n.Intents &^= rt.denied
	return n
}

// guildLoadWait bounds how long /readyz waits for the guilds of READY.
const guildLoadWait = time.Minute

// Ready reports whether every shard is ready and the store answers, and
// if not, what is wrong: the text /readyz serves.
func (rt *Runtime) Ready(ctx context.Context) (bool, string) {
	var problems []string
	if !rt.readyOnce.Load() || rt.gateway == nil {
		problems = append(problems, "starting")
	} else {
		shards := rt.gateway.Status()
		for _, st := range shards {
			v := 0.0
			if st.Ready {
				v = 1
			}
			rt.metrics.shardReady.WithLabelValues(strconv.Itoa(st.ID)).Set(v)
			if !st.Ready {
				problems = append(problems, fmt.Sprintf("shard %d: %s", st.ID, st.Problem))
			}
		}
		// A guild of READY still to arrive keeps the bot unready for
		// a while (Discord sends them right after READY); one that never
		// comes, a guild in an outage, must not keep it unready for good.
		if time.Since(rt.started) < guildLoadWait {
			for _, st := range shards {
				if st.Ready && !rt.guilds.readied(st.ID) {
					problems = append(problems, fmt.Sprintf("shard %d: READY not handled yet", st.ID))
				}
			}
			if n := rt.guilds.loading(); n > 0 {
				problems = append(problems, fmt.Sprintf("loading guilds: %d still to arrive", n))
			}
		}
		if len(problems) == 0 {
			return rt.storeReady(ctx, fmt.Sprintf("ready: %d shards", len(shards)))
		}
	}
	ok, text := rt.storeReady(ctx, "")
	if !ok {
		problems = append(problems, text)
	}
	return false, strings.Join(problems, "\n")
}

func (rt *Runtime) storeReady(ctx context.Context, okText string) (bool, string) {
	if rt.store != nil {
		if err := rt.store.Ping(ctx); err != nil {
			return false, "store: " + err.Error()
		}
	}
	return true, okText
}

// buildCache builds disgo's client that keeps the cache, with the cache
// flags the modules need; only the bot's own member is cached.
func (rt *Runtime) buildCache() error {
	self := rt.selfID
	client, err := disgo.New(rt.opts.Token,
		disgobot.WithRest(rt.rest),
		disgobot.WithLogger(logging.Slog(rt.log.Named("disgo"))),
		disgobot.WithCacheConfigOpts(cache.WithCaches(rt.needs().Caches),
			cache.WithMemberCachePolicy(func(m discord.Member) bool { return m.User.ID == self })),
	)
	if err != nil {
		return fmt.Errorf("bot: build the Discord client: %w", err)
	}
	rt.discord = client
	return nil
}

// dispatch handles one gateway dispatch: disgo's handler, which updates
// the cache under disgo's one mutex, and the intake, which hands the
// event to the pipeline or the bus.
func (rt *Runtime) dispatch(shard int, t gateway.EventType, seq int, ev gateway.EventData) {
	// An interaction skips disgo's handler: it updates no cache, only
	// builds events for disgo's listeners, and Hearth registers none.
	// Every other event updates the cache first, so that a module woken
	// by it finds the cache up to date (a guild's roles and channels on
	// GuildJoined).
	if _, ok := ev.(gateway.EventInteractionCreate); ok {
		rt.intake(shard, t, seq, ev)
		return
	}
	rt.discord.EventManager.HandleGatewayEvent(shardRef{id: shard}, t, seq, ev)
	rt.intake(shard, t, seq, ev)
}

// shardRef names a shard to disgo's event manager, whose handlers only
// ask a gateway for its shard ID.
type shardRef struct {
	gateway.Gateway
	id int
}

// ShardID returns the shard's ID.
func (s shardRef) ShardID() int { return s.id }

// botPermissions resolves the bot's permissions in a channel from the
// cache.
func (rt *Runtime) botPermissions(guildID, channelID snowflake.ID) (discord.Permissions, error) {
	if rt.discord == nil {
		return 0, errors.New("bot: not connected")
	}
	ch, ok := rt.discord.Caches.Channel(channelID)
	if !ok || ch.GuildID() != guildID {
		return 0, fmt.Errorf("bot: channel %d of guild %d is not in the cache", channelID, guildID)
	}
	me, ok := rt.discord.Caches.Member(guildID, rt.selfID)
	if !ok {
		return 0, fmt.Errorf("bot: own member in guild %d is not in the cache", guildID)
	}
	return rt.discord.Caches.MemberPermissionsInChannel(ch, me), nil
}

// shutdownEarly undoes what Run set up before the gateway existed.
func (rt *Runtime) shutdownEarly() {
	rt.closeIntake()
	<-rt.publisherDone
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = rt.bus.Close(ctx)
	rt.restClient.Close(ctx)
	if rt.ownCache {
		rt.cache.Close()
	}
}

// shutdown stops everything in order, each step with a deadline.
func (rt *Runtime) shutdown(ctx context.Context) {
	rt.log.Info("shutting down")
	rt.closeIntake()
	step := func(d time.Duration) (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, d) }
	if rt.gateway != nil {
		c, cancel := step(10 * time.Second)
		rt.gateway.Close(c)
		cancel()
	}
	<-rt.publisherDone
	drained := make(chan struct{})
	go func() { rt.inflight.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(rt.cfg.Pipeline.HandlerTimeout + 5*time.Second):
		rt.log.Warn("in-flight commands did not finish in time")
	}
	c, cancel := step(10 * time.Second)
	if err := rt.bus.Close(c); err != nil {
		rt.log.Warn("bus closed with events left", zap.Error(err))
	}
	cancel()
	rt.stopModules(ctx)
	c, cancel = step(10 * time.Second)
	rt.restClient.Close(c) // after the shards: disgo's Client.Close would close REST first
	cancel()
	rt.cancelBase()
	rt.maintenance.Wait()
	if rt.ownCache {
		rt.cache.Close()
	}
	rt.log.Info("stopped")
}

// errorf is fmt.Errorf with the package prefix.
func errorf(format string, args ...any) error { return fmt.Errorf("bot: "+format, args...) }
