// Package automod checks every message against rules each server sets
// (spam, repeated messages, mass mentions, invite links, links by domain,
// banned words and patterns, capitals) and watches for join raids.
//
// Rules live in the server's settings (bot.GuildSettings, edited with
// /settings) and are all off until a moderator turns one on. Each rule
// has an action (delete, warn, timeout, kick, ban or alert) and a dry
// run, which records what the rule would have done and sends nothing to
// Discord.
//
// Evaluation runs on the bus's message events, in the handler, against
// rules compiled once per settings version and per-member state kept in
// memory under a hard bound (modules.automod.max_tracked_members). It
// allocates nothing unless a rule matches. What a match leads to (reading
// the member's roles for exemptions, deleting, acting, alerting) runs on
// the module's own goroutines: deletions are gathered per channel and go
// out as bulk deletes; alerts are coalesced into few messages; a member's
// punishment is not repeated within the rule's cooldown.
//
// A lockdown (/lockdown start, or a raid) denies SEND_MESSAGES to
// @everyone in the configured channels and may raise the verification
// level; what it replaced is stored (tables automod_*), so /lockdown end
// restores it exactly, after a restart too.
//
// Without the MESSAGE_CONTENT intent the rules that read text are off;
// without GUILD_MEMBERS, raid detection is. Degraded says so.
package automod

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"sync"
	"sync/atomic"
	"time"

	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bus"
	"github.com/hearthbot/hearth/ratelimit"
	"github.com/hearthbot/hearth/store"
)

// ID is the module's ID.
const ID = "automod"

//go:embed migrations/*.sql
var migrations embed.FS

// Option configures the module.
type Option func(*Module)

// WithClock sets the clock (default: the system's).
func WithClock(c bot.Clock) Option { return func(m *Module) { m.clock = c } }

// WithFlushWindow sets how long a channel's first caught message waits
// for more before they are deleted together (default 1 s), and the
// alerts' coalescing window.
func WithFlushWindow(d time.Duration) Option {
	return func(m *Module) {
		if d > 0 {
			m.flush = d
		}
	}
}

// Module is automod. Make one with New.
type Module struct {
	host     *bot.Host
	cfg      fileConfig
	clock    bot.Clock
	flush    time.Duration
	settings *bot.GuildSettings[Settings]
	rules    compiled
	members  *tracker
	raids    raids
	// lockdowns is nil when the bot runs without a store.
	lockdowns *lockdowns
	deletes   *deleteQueue
	alerts    *ratelimit.Coalescer

	// What Discord granted, known from Start on.
	content, joins atomic.Bool

	incidents chan incident
	jobs      chan func(context.Context)
	fetches   chan memberKey
	// parked are the incidents waiting for their member's roles.
	parkMu sync.Mutex
	parked map[memberKey][]incident
	// pending counts the incidents and jobs not done yet; lastSeen is
	// the ID of the last message event handled (both for tests).
	pending  atomic.Int64
	lastSeen atomic.Uint64

	lockMu  sync.Mutex // one lockdown change at a time
	cancel  context.CancelFunc
	workers sync.WaitGroup
}

// New returns the automod module.
func New(opts ...Option) *Module {
	m := &Module{clock: bot.SystemClock{}, flush: time.Second, cfg: defaultConfig(),
		incidents: make(chan incident, 1024), jobs: make(chan func(context.Context), 1024),
		fetches: make(chan memberKey, 1024), parked: map[memberKey][]incident{}}
	for _, o := range opts {
		o(m)
	}
	return m
}

// ID returns "automod".
func (m *Module) ID() string { return ID }

// Migrations returns the module's tables: lockdowns and what they
// replaced.
func (m *Module) Migrations() fs.FS {
	return bot.MigrationsDir(migrations)
}

// Init decodes modules.automod, registers the settings and /lockdown,
// and subscribes to messages, joins and member updates.
func (m *Module) Init(_ context.Context, h *bot.Host) error {
	m.host = h
	if err := h.Config(&m.cfg); err != nil {
		return err
	}
	m.members = newTracker(m.cfg.MaxTrackedMembers)
	var err error
	if m.settings, err = bot.NewGuildSettings(h, defaultSettings, validate); err != nil {
		return err
	}
	if st := h.Store(); st != nil {
		m.lockdowns = &lockdowns{st: st}
	}
	m.deletes = newDeleteQueue(h.Deleter, m.clock.Now, m.flush, h.Log())
	m.alerts = ratelimit.NewCoalescer(h.Sender(), ratelimit.CoalesceWindow(m.flush), ratelimit.CoalesceLogger(h.Log()))
	if err := h.Command(m.lockdownCommand()); err != nil {
		return err
	}
	return errors.Join(
		bot.SubscribeWith(h, bot.TopicMessageCreated, bus.Options{Name: "messages", Policy: bus.Backpressure, Queue: 4096}, m.onMessage),
		bot.Subscribe(h, bot.TopicMemberJoined, "joins", bus.Backpressure, m.onJoin),
		bot.Subscribe(h, bot.TopicMemberUpdated, "members", bus.Backpressure, func(_ context.Context, e bot.MemberUpdated) error {
			m.members.setRoles(memberKey{e.GuildID, e.Member.User.ID}, e.Member.Roles, m.clock.Now())
			return nil
		}),
		bot.Subscribe(h, bot.TopicGuildLeft, "guilds", bus.DropOldest, func(_ context.Context, e bot.GuildLeft) error {
			m.forgetGuild(e.GuildID)
			return nil
		}),
	)
}

// Validate checks modules.automod.
func (m *Module) Validate() error { return m.cfg.validate() }

// Needs asks for guild messages, their content (the privileged
// MESSAGE_CONTENT intent) and member joins (the privileged GUILD_MEMBERS
// intent); the module runs without either privileged intent, with less.
func (m *Module) Needs() bot.Needs {
	return bot.Needs{Intents: gateway.IntentGuildMessages | gateway.IntentMessageContent | gateway.IntentGuildMembers}
}

// Start reads which intents Discord granted and starts the workers that
// act on what the rules catch.
func (m *Module) Start(ctx context.Context) error {
	in := m.host.Intents()
	m.content.Store(in.Has(gateway.IntentMessageContent))
	m.joins.Store(in.Has(gateway.IntentGuildMembers))
	ctx, m.cancel = context.WithCancel(ctx)
	m.workers.Add(3)
	go m.incidentLoop(ctx)
	go m.fetchLoop(ctx)
	go m.jobLoop(ctx)
	return nil
}

// Degraded says which rules are off for want of an intent.
func (m *Module) Degraded() []string {
	if m.host == nil {
		return nil
	}
	in := m.host.Intents()
	var out []string
	if !in.Has(gateway.IntentMessageContent) {
		out = append(out, "Without the MESSAGE_CONTENT intent, automod cannot read what messages say: the rules "+
			"duplicates, invites, links, words and caps are off; spam and mentions still work.")
	}
	if !in.Has(gateway.IntentGuildMembers) {
		out = append(out, "Without the GUILD_MEMBERS intent, automod does not see members join: raid detection is off "+
			"(/lockdown still works).")
	}
	return out
}

// Stop ends the workers, deletes what was caught and is still queued,
// and posts the alerts still waiting, within ctx. Safe without Init or
// Start.
func (m *Module) Stop(ctx context.Context) error {
	if m.cancel != nil {
		m.cancel()
		m.workers.Wait()
	}
	var errs []error
	if m.deletes != nil {
		errs = append(errs, m.deletes.close(ctx))
	}
	if m.alerts != nil {
		errs = append(errs, m.alerts.Close(ctx))
	}
	return errors.Join(errs...)
}

// settingsOf returns the guild's settings; stored settings that no
// longer validate read as the defaults (every rule off).
func (m *Module) settingsOf(ctx context.Context, guild snowflake.ID) (Settings, error) {
	s, err := m.settings.Get(ctx, guild)
	if errors.Is(err, store.ErrInvalidSettings) {
		m.host.Log().Warn("the server's automod settings no longer validate: every rule is off until they are fixed",
			zap.Uint64("guild_id", uint64(guild)), zap.Error(err))
		return s, nil
	}
	return s, err
}

// forgetGuild drops what memory holds about a guild.
func (m *Module) forgetGuild(guild snowflake.ID) {
	m.members.forget(func(k memberKey) bool { return k.guild == guild })
	m.rules.forget(guild)
	m.raids.forget(guild)
}

// incidentLoop handles what the rules caught, in order.
func (m *Module) incidentLoop(ctx context.Context) {
	defer m.workers.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case inc := <-m.incidents:
			if m.handle(ctx, inc) {
				m.pending.Add(-1)
			}
		}
	}
}

// jobLoop runs the requests that act on members and guilds (warn,
// timeout, kick, ban, lockdown), one after another, so that a slow one
// never holds up deletions.
func (m *Module) jobLoop(ctx context.Context) {
	defer m.workers.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case job := <-m.jobs:
			job(ctx)
			m.pending.Add(-1)
		}
	}
}

// enqueue hands a job to jobLoop, waiting for room while ctx lasts.
func (m *Module) enqueue(ctx context.Context, job func(context.Context)) {
	m.pending.Add(1)
	select {
	case m.jobs <- job:
	case <-ctx.Done():
		m.pending.Add(-1)
	}
}

// Interface guards
var (
	_ bot.Module       = (*Module)(nil)
	_ bot.Migrator     = (*Module)(nil)
	_ bot.Validator    = (*Module)(nil)
	_ bot.Needer       = (*Module)(nil)
	_ bot.Starter      = (*Module)(nil)
	_ bot.Stopper      = (*Module)(nil)
	_ bot.Degraded     = (*Module)(nil)
	_ bot.GuildData    = (*Module)(nil)
	_ bot.PersonalData = (*Module)(nil)
)
