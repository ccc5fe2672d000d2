// Package moderation is Hearth's moderation suite: warnings, timeouts,
// kicks, bans (temporary ones too), purges, and the cases that record
// every one of them.
//
// Every action is a case, numbered per guild, stored in the module's own
// tables (moderation_*) and posted to the modlog channel. Before any
// request to Discord the module checks what Discord would: the
// moderator's permission (declared on the command, checked by the host),
// the role hierarchy (nobody acts on the owner, the bot, themselves, or
// a member whose top role is not below theirs; the bot must outrank the
// member too) and the bot's own permissions, so no request that would
// answer 403 is sent. A refusal is a message that names what is missing.
//
// The modlog channel, the DM before a kick or a ban and the warning
// ladder are settings of each guild (/settings, module moderation); the
// config file's section gives their defaults and the operator's switches.
//
// Temporary bans are scheduled in the store and lifted by a loop that
// Start begins and Stop ends; bans due while the bot was down are lifted
// when it comes back. The modlog is posted by another loop from the
// cases marked pending, so a case is posted even when the bot stopped
// between recording and posting it. Both loops leave alone the guilds
// the bot was removed from until it is back in them.
//
// Every case is reported on the audit trail (Host.Record). Bans and kicks
// done in Discord's own interface reach the module as audit log entries,
// and automod's warnings, timeouts, kicks and bans as actions on the
// audit trail: both become cases too.
package moderation

import (
	"context"
	"embed"
	"io/fs"
	"sync"
	"time"

	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
)

// ID is the module's ID.
const ID = "moderation"

//go:embed migrations/*.sql
var migrations embed.FS

// Option configures the module.
type Option func(*Module)

// WithClock sets the clock (default: the system's). The loops still
// wait in real time; see WithTick.
func WithClock(c bot.Clock) Option { return func(m *Module) { m.clock = c } }

// WithTick sets how long the loops (temporary bans, modlog) wait at most
// before looking at the store again, and the real time they wait before
// retrying what could not be done yet (default 1 minute).
func WithTick(d time.Duration) Option { return func(m *Module) { m.tick = d } }

// Module is the moderation suite. Make one with New.
type Module struct {
	host *bot.Host
	cfg  section
	// settings are the per-guild settings; their defaults come from cfg.
	settings *bot.GuildSettings[guildSettings]
	clock    bot.Clock
	tick     time.Duration
	// cases is nil when the bot runs without a store.
	cases *cases

	purgesMu sync.Mutex
	purges   map[snowflake.ID]bool // channels with a purge running

	wakeModlog chan struct{}
	wakeUnbans chan struct{}
	cancel     context.CancelFunc
	loops      sync.WaitGroup
}

// New returns the moderation module.
func New(opts ...Option) *Module {
	m := &Module{clock: bot.SystemClock{}, tick: time.Minute, cfg: defaultConfig(), purges: map[snowflake.ID]bool{},
		wakeModlog: make(chan struct{}, 1), wakeUnbans: make(chan struct{}, 1)}
	for _, o := range opts {
		o(m)
	}
	return m
}

// ID returns "moderation".
func (m *Module) ID() string { return ID }

// Migrations returns the module's tables: cases, case counters, the
// schedule of temporary bans and the guilds the bot was removed from.
func (m *Module) Migrations() fs.FS {
	return bot.MigrationsDir(migrations)
}

// Init decodes modules.moderation, registers the per-guild settings
// (whose defaults are the section's values), declares the commands and
// buttons, and subscribes to audit log entries, automod's actions and
// guilds coming and going.
func (m *Module) Init(_ context.Context, h *bot.Host) error {
	m.host = h
	if err := h.Config(&m.cfg); err != nil {
		return err
	}
	defaults := m.cfg.Defaults
	s, err := bot.NewGuildSettings(h, func() guildSettings { return defaults }, validateSettings)
	if err != nil {
		return err
	}
	m.settings = s
	if st := h.Store(); st != nil {
		m.cases = &cases{st: st}
	}
	for _, c := range m.commands() {
		if err := h.Command(c); err != nil {
			return err // it names the module and the command already
		}
	}
	if err := h.Component("warnings", m.page); err != nil {
		return err
	}
	if err := h.Component("cases", m.page); err != nil {
		return err
	}
	return m.subscribe(h)
}

// Validate checks the configuration's values.
func (m *Module) Validate() error { return m.cfg.validate() }

// Needs asks for guild moderation (audit log entries, for actions done
// in Discord's interface) and, with content_matching, MESSAGE_CONTENT
// (what /purge contains reads).
func (m *Module) Needs() bot.Needs {
	n := bot.Needs{Intents: gateway.IntentGuildModeration}
	if m.cfg.ContentMatching {
		n.Intents |= gateway.IntentMessageContent
	}
	return n
}

// contentMatching reports whether /purge contains can read messages:
// content_matching is on and Discord granted MESSAGE_CONTENT.
func (m *Module) contentMatching() bool {
	return m.cfg.ContentMatching && m.host.Intents().Has(gateway.IntentMessageContent)
}

// Degraded says what is off because Discord did not grant an intent the
// module asked for.
func (m *Module) Degraded() []string {
	if m.host == nil || m.host.Intents() == 0 || !m.cfg.ContentMatching || m.contentMatching() {
		return nil
	}
	return []string{"/purge contains is off: Discord has not granted the MESSAGE_CONTENT intent, so the bot can't read " +
		"what messages say; /purge by count and user still works."}
}

// Start begins the loops that lift temporary bans and post the modlog;
// both first catch up with what is due.
func (m *Module) Start(ctx context.Context) error {
	if !m.cfg.ContentMatching {
		m.host.Log().Info("content matching is off: /purge contains answers that it is unavailable " +
			"(modules.moderation.content_matching asks for the MESSAGE_CONTENT intent)")
	}
	if m.cases == nil {
		return nil
	}
	ctx, m.cancel = context.WithCancel(ctx)
	m.loops.Add(2)
	go m.unbanLoop(ctx)
	go m.modlogLoop(ctx)
	return nil
}

// Stop ends the loops and waits for them (until ctx ends). Safe without
// Init or Start.
func (m *Module) Stop(ctx context.Context) error {
	if m.cancel == nil {
		return nil
	}
	m.cancel()
	done := make(chan struct{})
	go func() { m.loops.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// DeleteGuild erases the module's rows of a guild the bot left for good:
// its cases, its case counter, its temporary bans' schedules and its
// departure. The host erases the guild's settings itself.
func (m *Module) DeleteGuild(ctx context.Context, guild snowflake.ID) error {
	if m.cases == nil {
		return nil
	}
	return m.cases.eraseGuild(ctx, guild)
}

// poke wakes a loop without blocking.
func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// sleep waits d in real time, or until wake or ctx; it reports whether
// ctx is still live.
func sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	t := time.NewTimer(max(d, 0))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-wake:
	case <-t.C:
	}
	return true
}

// Interface guards
var (
	_ bot.Module       = (*Module)(nil)
	_ bot.Migrator     = (*Module)(nil)
	_ bot.Validator    = (*Module)(nil)
	_ bot.Needer       = (*Module)(nil)
	_ bot.Starter      = (*Module)(nil)
	_ bot.Stopper      = (*Module)(nil)
	_ bot.PersonalData = (*Module)(nil)
	_ bot.GuildData    = (*Module)(nil)
	_ bot.Degraded     = (*Module)(nil)
)
