package core

import (
	"context"
	"fmt"
	"strings"

	"github.com/disgoorg/disgo/discord"

	"github.com/hearthbot/hearth/bot"
)

// moduleCommand declares /module enable|disable|list.
func (m *Module) moduleCommand() bot.Command {
	name := []bot.Option{{Name: "name", Description: "The module, as /module list names it", Type: bot.OptionString,
		Required: true, MaxLength: maxChoiceName, Autocomplete: true}}
	return bot.Command{
		Name:        "module",
		Description: "Turn the bot's modules on or off in this server",
		Permissions: adminPermission,
		Ephemeral:   true,
		Subcommands: []bot.Subcommand{
			{Name: "enable", Description: "Turns a module on in this server", Options: name,
				Handler: m.moduleEnable, Autocomplete: m.completeModule},
			{Name: "disable", Description: "Turns a module off in this server: its commands and events are held back", Options: name,
				Handler: m.moduleDisable, Autocomplete: m.completeModule},
			{Name: "list", Description: "Every module, on or off in this server", Handler: m.moduleList},
		},
	}
}

// moduleEnable answers /module enable.
func (m *Module) moduleEnable(ctx context.Context, r *bot.Request) (bot.Response, error) {
	return m.switchModule(ctx, r, true)
}

// moduleDisable answers /module disable.
func (m *Module) moduleDisable(ctx context.Context, r *bot.Request) (bot.Response, error) {
	return m.switchModule(ctx, r, false)
}

// switchModule turns the module named by the name option on or off in
// the guild, records the change and says what it did. Turning a module
// to the state it is in changes nothing and says so.
func (m *Module) switchModule(ctx context.Context, r *bot.Request, on bool) (bot.Response, error) {
	name, _ := r.String("name")
	id, err := m.running(name)
	if err != nil {
		return bot.Response{}, err
	}
	if id == ID && !on {
		return bot.Response{}, userErr("%s can't be turned off: /settings and /module live in it, and without them nobody could turn a module back on.", ID)
	}
	if m.switches == nil {
		return bot.Response{}, errNoStore
	}
	already := fmt.Sprintf("%s is already %s in this server.", id, onOff(on))
	// A module is on by default, with nothing stored: ask before writing,
	// or enabling it would record a change that changed nothing.
	was, err := m.enabled(ctx, r.GuildID, id)
	if err != nil {
		return bot.Response{}, err
	}
	if was == on {
		return bot.Response{Content: already}, nil
	}
	ch, err := m.switches.SetModuleEnabledBy(ctx, uint64(r.GuildID), id, on, actor(r))
	if err != nil {
		return bot.Response{}, fmt.Errorf("core: turn %s %s: %w", id, onOff(on), err)
	}
	if ch.ID == 0 {
		return bot.Response{Content: already}, nil // someone else was quicker
	}
	m.record(ctx, r, id, "enabled", onOff(was), onOff(on), ch.ID)
	if on {
		return bot.Response{Content: fmt.Sprintf("%s is now on in this server.", id)}, nil
	}
	return bot.Response{Content: fmt.Sprintf("%s is now off in this server: its commands are refused and its events are not delivered to it here. /module enable name:%s turns it back on.", id, id)}, nil
}

// moduleList answers /module list with the summary /settings show gives.
func (m *Module) moduleList(ctx context.Context, r *bot.Request) (bot.Response, error) {
	states, err := m.states(ctx, r.GuildID)
	if err != nil {
		return bot.Response{}, err
	}
	return bot.Response{Embeds: []discord.Embed{summaryEmbed(states)}}, nil
}

// completeModule suggests running modules with their state here; for
// disable, not core, which cannot be turned off.
func (m *Module) completeModule(ctx context.Context, r *bot.Request) ([]bot.Choice, error) {
	typed, _ := r.String("name")
	typed = normalize(typed)
	var out []bot.Choice
	for _, id := range m.host.Modules() {
		if (id == ID && r.Command == "module disable") || !strings.Contains(id, typed) {
			continue
		}
		on, err := m.enabled(ctx, r.GuildID, id)
		if err != nil {
			return nil, err
		}
		out = appendChoice(out, fmt.Sprintf("%s (%s here)", id, onOff(on)), id)
	}
	return out[:min(len(out), maxChoices)], nil
}
