// Package core is the module every Hearth runs: /ping, /help and /about.
//
// It has no tables, no config section and no events; it reads what the
// host reports about itself (bot.Host.Status, Commands, RESTLatency) and
// the per-guild module switches, so that /help lists only what the person
// can run here.
package core

import (
	"context"

	"github.com/hearthbot/hearth/bot"
)

// ID is the module's ID.
const ID = "core"

// switches is the part of the store the module reads: whether a module
// is turned on in a guild.
type switches interface {
	ModuleEnabled(ctx context.Context, guildID uint64, module string) (bool, error)
}

// Module is the core module. Make one with New.
type Module struct {
	host *bot.Host
	// switches is nil when the bot runs without a store: every module
	// then counts as on.
	switches switches
}

// New returns the core module.
func New() *Module { return &Module{} }

// ID returns "core".
func (m *Module) ID() string { return ID }

// Init registers /ping, /help and /about.
func (m *Module) Init(_ context.Context, h *bot.Host) error {
	m.host = h
	if st := h.Store(); st != nil {
		m.switches = st
	}
	for _, c := range []bot.Command{
		{Name: "ping", Description: "Gateway and REST latency, and how long the bot took to answer", Handler: m.ping},
		{Name: "help", Description: "The commands you can use here", Ephemeral: true, Handler: m.help},
		{Name: "about", Description: "Version, uptime, guilds, shards, modules and memory of the bot", Handler: m.about},
	} {
		if err := h.Command(c); err != nil {
			return err // it names the module and the command already
		}
	}
	return nil
}

// Interface guards
var _ bot.Module = (*Module)(nil)
