// Package audit is Hearth's audit trail: one record of every action the
// modules take (moderation cases, automod deletions and dry runs,
// lockdowns) and of every settings change and module switch, with who
// did it, to whom, why, the old and new values, and the correlation ID
// of the command that caused it.
//
// Modules report actions with Host.Record and settings changes with
// Host.RecordSetting; both reach this module through the bus, with
// backpressure, so a burst slows the publishers down rather than losing
// entries. Entries are written in batches (store.Batcher), at most
// about 200 ms after they arrive; a clean shutdown writes every one, a
// hard crash may lose the last batch.
//
// /audit search lists a guild's entries, newest first, filtered by user
// (as actor or target), action and time, ten to a page; /audit export
// sends the same as a JSON file. Entries older than modules.audit.retention
// (90 days by default) are deleted by the host's retention job.
package audit

import (
	"context"
	"embed"
	"io/fs"
	"sync"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bus"
	"github.com/hearthbot/hearth/store"
)

// ID is the module's ID.
const ID = "audit"

//go:embed migrations/*.sql
var migrations embed.FS

// Option configures the module.
type Option func(*Module)

// WithClock sets the clock (default: the system's).
func WithClock(c bot.Clock) Option { return func(m *Module) { m.clock = c } }

// Module is the audit trail. Make one with New.
type Module struct {
	host  *bot.Host
	cfg   settings
	clock bot.Clock
	// trail is nil when the bot runs without a store.
	trail *trail

	batchCfg    store.BatcherConfig
	exportLimit int // entries in one export

	mu      sync.Mutex
	batch   *store.Batcher[entry] // made on first use
	stopped bool

	settingsSub bus.Subscription
}

// New returns the audit module.
func New(opts ...Option) *Module {
	m := &Module{clock: bot.SystemClock{}, cfg: defaultConfig(), batchCfg: batchConfig(), exportLimit: maxExport}
	for _, o := range opts {
		o(m)
	}
	return m
}

// ID returns "audit".
func (m *Module) ID() string { return ID }

// Migrations returns the module's table, audit_entries.
func (m *Module) Migrations() fs.FS {
	return bot.MigrationsDir(migrations)
}

// Init decodes modules.audit, declares /audit and its page buttons, and
// subscribes to actions and settings changes.
func (m *Module) Init(_ context.Context, h *bot.Host) error {
	m.host = h
	if err := h.Config(&m.cfg); err != nil {
		return err
	}
	if st := h.Store(); st != nil {
		m.trail = &trail{st: st}
	}
	if err := h.Command(m.command()); err != nil {
		return err // it names the module and the command already
	}
	if err := h.Component(pageComponent, m.page); err != nil {
		return err
	}
	return m.subscribe(h)
}

// Validate checks the configuration's values.
func (m *Module) Validate() error { return m.cfg.validate() }

// Expiries asks the host's retention job to delete entries older than
// modules.audit.retention (none when it is 0).
func (m *Module) Expiries() []store.Expiry {
	return []store.Expiry{{Module: ID, Table: "audit_entries", Column: "at", Unit: store.UnixMilli,
		MaxAge: time.Duration(m.cfg.Retention)}}
}

// writer returns the batcher, starting it on first use: events may come
// before Start (once the gateway is open), and Init must not start
// goroutines. Nil without a store.
func (m *Module) writer() (*store.Batcher[entry], error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.trail == nil {
		return nil, nil
	}
	if m.stopped {
		return nil, errStopped
	}
	if m.batch == nil {
		cfg := m.batchCfg
		cfg.Log = m.host.Log()
		b, err := store.NewBatcher(m.trail.st, cfg, m.trail.insert)
		if err != nil {
			return nil, err
		}
		m.batch = b
	}
	return m.batch, nil
}

// flush writes the entries received so far, so that a read sees them.
func (m *Module) flush(ctx context.Context) error {
	m.mu.Lock()
	b := m.batch
	m.mu.Unlock()
	if b == nil {
		return nil
	}
	return b.Flush(ctx)
}

// Stop ends the settings subscription and writes the entries still
// queued. Safe without Init or Start.
func (m *Module) Stop(ctx context.Context) error {
	if m.settingsSub != nil {
		m.settingsSub.Unsubscribe()
	}
	m.mu.Lock()
	m.stopped = true
	b := m.batch
	m.mu.Unlock()
	if b == nil {
		return nil
	}
	return b.Stop(ctx)
}

// errNoStore answers commands when the bot runs without a database.
var errNoStore = &bot.UserError{Message: "The audit trail needs the bot's database, and this bot runs without one."}

// DeleteGuild erases the guild's entries, once the bot has been out of
// it for the grace period.
func (m *Module) DeleteGuild(ctx context.Context, guild snowflake.ID) error {
	if m.trail == nil {
		return nil
	}
	if err := m.flush(ctx); err != nil {
		return err
	}
	return m.trail.deleteGuild(ctx, guild)
}

// Interface guards
var (
	_ bot.Module       = (*Module)(nil)
	_ bot.Migrator     = (*Module)(nil)
	_ bot.Validator    = (*Module)(nil)
	_ bot.Stopper      = (*Module)(nil)
	_ bot.Expirer      = (*Module)(nil)
	_ bot.PersonalData = (*Module)(nil)
	_ bot.GuildData    = (*Module)(nil)
)
