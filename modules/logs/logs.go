// Package logs is Hearth's server log: message edits and deletions,
// members joining and leaving, nickname and role changes, posted to a
// channel each guild chooses, and coalesced so that a burst of events
// becomes a few messages instead of one per event.
//
// Discord's edit and delete events carry no old content, so the module
// keeps a bounded cache of recent messages in memory (modules.logs:
// cache_messages and cache_age). Likewise a member update says what a
// member is now, not what changed, so the module remembers the last
// nickname and roles it saw of each member (cache_members). Both caches
// are personal data: the age limit is the message cache's retention,
// and DeleteUser erases a person's entries.
//
// Nothing is cached or logged for a guild without a log channel, for
// messages of bots, webhooks or the bot itself, nor for messages in the
// log channel or in the guild's ignored channels.
package logs

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/ratelimit"
)

// ID is the module's ID.
const ID = "logs"

// Option configures the module.
type Option func(*Module)

// WithClock sets the clock (default: the system's).
func WithClock(c bot.Clock) Option { return func(m *Module) { m.clock = c } }

// WithCoalescing sets how long a log channel waits for more entries
// after the last one (default 1 s) and at most after the first (default
// 3 s) before a message goes out.
func WithCoalescing(window, maxDelay time.Duration) Option {
	return func(m *Module) { m.window, m.maxDelay = window, maxDelay }
}

// Module is the server log. Make one with New.
type Module struct {
	host     *bot.Host
	cfg      config
	clock    bot.Clock
	window   time.Duration
	maxDelay time.Duration
	started  time.Time // when Init ran: messages sent before were never seen
	settings *bot.GuildSettings[Settings]

	// Set by Init from the host; the benchmark sets them itself.
	settingsOf  func(ctx context.Context, guild snowflake.ID) (Settings, error)
	permissions func(guild, channel snowflake.ID) (discord.Permissions, error)
	intents     func() gateway.Intents
	log         *zap.Logger

	messages *messageCache
	members  *memberCache
	late     *lateEvents
	out      *ratelimit.Coalescer

	warnMu sync.Mutex
	warned map[snowflake.ID]string // guild → the problem last warned about

	queued, skipped, dropped atomic.Uint64

	cancel context.CancelFunc
	loops  sync.WaitGroup
}

// New returns the logs module.
func New(opts ...Option) *Module {
	m := &Module{clock: bot.SystemClock{}, window: time.Second, maxDelay: 3 * time.Second, cfg: defaultConfig(),
		warned: map[snowflake.ID]string{}, late: newLateEvents(lateWait), log: zap.NewNop()}
	for _, o := range opts {
		o(m)
	}
	return m
}

// ID returns "logs".
func (m *Module) ID() string { return ID }

// Init decodes modules.logs, registers the per-guild settings and
// subscribes to message, member and guild events.
func (m *Module) Init(_ context.Context, h *bot.Host) error {
	m.host, m.log = h, h.Log()
	if err := h.Config(&m.cfg); err != nil {
		return err
	}
	s, err := bot.NewGuildSettings(h, defaultSettings, validateSettings)
	if err != nil {
		return err
	}
	m.settings = s
	m.settingsOf, m.permissions, m.intents = s.Get, h.BotPermissions, h.Intents
	m.started = m.clock.Now()
	m.messages = newMessageCache(m.cfg.CacheMessages, m.cfg.CacheAge)
	m.members = newMemberCache(m.cfg.CacheMembers)
	m.out = ratelimit.NewCoalescer(h.Sender(), ratelimit.CoalesceWindow(m.window),
		ratelimit.CoalesceMaxDelay(m.maxDelay), ratelimit.CoalesceLogger(h.Log()))
	return m.subscribe(h)
}

// Validate checks the configuration's values.
func (m *Module) Validate() error { return m.cfg.validate() }

// Needs asks for guild messages (edits and deletions), their content
// (what was edited or deleted) and guild members (joins, leaves, nickname
// and role changes). Without the privileged ones the module runs in a
// reduced mode; see Degraded.
func (m *Module) Needs() bot.Needs {
	return bot.Needs{Intents: gateway.IntentGuildMessages | gateway.IntentMessageContent | gateway.IntentGuildMembers}
}

// Degraded says what is off because Discord did not grant an intent or
// the configuration turned the message cache off.
func (m *Module) Degraded() []string {
	if m.intents == nil {
		return nil // Init did not get this far
	}
	granted := m.intents()
	var out []string
	if !granted.Has(gateway.IntentMessageContent) {
		out = append(out, "Message logs show no content: Discord has not granted the MESSAGE_CONTENT intent, "+
			"so edits and deletions are logged with their author and channel but not what the message said.")
	}
	if !granted.Has(gateway.IntentGuildMembers) {
		out = append(out, "Member logs are off (joins, leaves, nickname and role changes): "+
			"Discord has not granted the GUILD_MEMBERS intent.")
	}
	if m.cfg.CacheMessages == 0 {
		out = append(out, "The message cache is off (modules.logs.cache_messages is 0): "+
			"edits and deletions are logged without the old content.")
	}
	return out
}

// Start begins the loop that evicts old messages from the cache and
// settles the edits and deletions that arrived before their message.
func (m *Module) Start(ctx context.Context) error {
	ctx, m.cancel = context.WithCancel(ctx)
	m.loops.Add(1)
	go m.housekeeping(ctx)
	return nil
}

// Stop ends the loop, logs what is still waiting, sends what is queued
// and stops the coalescer (until ctx ends). Safe without Init or Start.
func (m *Module) Stop(ctx context.Context) error {
	if m.cancel != nil {
		m.cancel()
		m.loops.Wait()
	}
	if m.out == nil {
		return nil
	}
	for _, p := range m.late.drain() {
		p.run(ctx)
	}
	err := m.out.Close(ctx)
	st := m.Stats()
	m.log.Info("logs stopped", zap.Uint64("entries_queued", st.Queued), zap.Uint64("entries_skipped", st.Skipped),
		zap.Uint64("entries_dropped", st.Dropped+st.Coalescer.Dropped), zap.Uint64("messages_sent", st.Coalescer.Messages))
	return err
}

// Intervals of the housekeeping loop.
const (
	lateTick   = 250 * time.Millisecond
	sweepEvery = time.Minute
)

// housekeeping settles late events whose wait is over, and evicts old
// messages from the cache even when no new ones arrive.
func (m *Module) housekeeping(ctx context.Context) {
	defer m.loops.Done()
	t := time.NewTicker(lateTick)
	defer t.Stop()
	lastSweep := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, p := range m.late.expired(now) {
				p.run(ctx)
			}
			if now.Sub(lastSweep) >= sweepEvery {
				m.messages.sweep(m.clock.Now())
				lastSweep = now
			}
		}
	}
}

// Stats counts what the module did.
type Stats struct {
	// Queued counts entries handed to the coalescer; Skipped those not
	// posted because the bot may not post in the log channel; Dropped
	// those the coalescer did not take (its queue stayed full).
	Queued, Skipped, Dropped uint64
	// CachedMessages and CachedMembers are the caches' sizes.
	CachedMessages, CachedMembers int
	// Coalescer counts the messages sent and entries lost to failed sends.
	Coalescer ratelimit.CoalescerStats
}

// Stats returns the module's counts.
func (m *Module) Stats() Stats {
	st := Stats{Queued: m.queued.Load(), Skipped: m.skipped.Load(), Dropped: m.dropped.Load()}
	if m.messages != nil {
		st.CachedMessages, _ = m.messages.size()
		st.CachedMembers = m.members.size()
	}
	if m.out != nil {
		st.Coalescer = m.out.Stats()
	}
	return st
}

// Interface guards
var (
	_ bot.Module       = (*Module)(nil)
	_ bot.Validator    = (*Module)(nil)
	_ bot.Needer       = (*Module)(nil)
	_ bot.Degraded     = (*Module)(nil)
	_ bot.Starter      = (*Module)(nil)
	_ bot.Stopper      = (*Module)(nil)
	_ bot.PersonalData = (*Module)(nil)
	_ bot.GuildData    = (*Module)(nil)
)
