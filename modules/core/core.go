// Package core is the module every Hearth runs: /ping, /help and /about,
// and the per-guild administration of every other module: /settings
// (show, set and reset the settings modules register with
// bot.NewGuildSettings) and /module (turn a module on or off in a guild).
//
// It has no tables, no config section and no events of its own; it reads
// what the host reports (bot.Host.Status, Commands, Sections, Modules,
// ModuleDegraded, RESTLatency), edits the per-guild module switches in
// the store, and reports every change it makes with bot.Host.RecordSetting
// for the audit trail.
package core

import (
	"context"

	"github.com/disgoorg/disgo/discord"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/store"
)

// ID is the module's ID.
const ID = "core"

// adminPermission is what /settings and /module need.
const adminPermission = discord.PermissionManageGuild

// switches is the part of the store the module uses: whether a module is
// turned on in a guild, and turning it on or off.
type switches interface {
	ModuleEnabled(ctx context.Context, guildID uint64, module string) (bool, error)
	SetModuleEnabledBy(ctx context.Context, guildID uint64, module string, enabled bool, by store.Actor) (store.Change, error)
}

// Module is the core module. Make one with New.
type Module struct {
	host *bot.Host
	// switches is nil when the bot runs without a store: every module
	// then counts as on, and nothing can be changed.
	switches switches
}

// New returns the core module.
func New() *Module { return &Module{} }

// ID returns "core".
func (m *Module) ID() string { return ID }

// Init registers /ping, /help, /about, /settings and /module, and the
// page buttons of /settings show.
func (m *Module) Init(_ context.Context, h *bot.Host) error {
	m.host = h
	if st := h.Store(); st != nil {
		m.switches = st
	}
	for _, c := range []bot.Command{
		{Name: "ping", Description: "Gateway and REST latency, and how long the bot took to answer", Handler: m.ping},
		{Name: "help", Description: "The commands you can use here", Ephemeral: true, Handler: m.help},
		{Name: "about", Description: "Version, uptime, guilds, shards, modules and memory of the bot", Handler: m.about},
		m.settingsCommand(),
		m.moduleCommand(),
	} {
		if err := h.Command(c); err != nil {
			return err // it names the module and the command already
		}
	}
	return h.Component(pageComponent, m.settingsPage)
}

// Interface guards
var _ bot.Module = (*Module)(nil)
