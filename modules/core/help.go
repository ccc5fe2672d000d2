package core

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
)

// helpTitle is the title of the /help embed.
const helpTitle = "Commands you can use here"

// maxHelpText is the longest description an embed may have.
const maxHelpText = 4096

// help lists the commands the member may use here, grouped by module:
// those whose permissions the member has (an administrator has them all)
// and whose module is on in this guild.
func (m *Module) help(ctx context.Context, r *bot.Request) (bot.Response, error) {
	on := map[string]bool{}
	var usable []bot.CommandInfo
	for _, c := range m.host.Commands() {
		if !mayUse(r.MemberPermissions, c.Permissions) {
			continue
		}
		enabled, known := on[c.Module]
		if !known {
			var err error
			if enabled, err = m.enabled(ctx, r.GuildID, c.Module); err != nil {
				return bot.Response{}, err
			}
			on[c.Module] = enabled
		}
		if enabled {
			usable = append(usable, c)
		}
	}
	text := helpText(m.host.Status().Modules, usable)
	return bot.Response{Embeds: []discord.Embed{{Title: helpTitle, Description: text}}}, nil
}

// enabled reports whether a module is on in a guild; without a store,
// and outside a guild, every module is.
func (m *Module) enabled(ctx context.Context, guildID snowflake.ID, module string) (bool, error) {
	if m.switches == nil || guildID == 0 {
		return true, nil
	}
	on, err := m.switches.ModuleEnabled(ctx, uint64(guildID), module)
	if err != nil {
		return false, fmt.Errorf("core: module switch: %w", err)
	}
	return on, nil
}

// mayUse reports whether a member with these permissions may run a
// command that needs need, as the host checks it.
func mayUse(have, need discord.Permissions) bool {
	return have.Has(discord.PermissionAdministrator) || have.Has(need)
}

// helpText lists cmds under their module IDs, the modules in the order
// given (any other after them, by name), each command with its
// description and subcommands as "/cmd sub". It stops before
// maxHelpText and says how many commands it left out.
func helpText(order []string, cmds []bot.CommandInfo) string {
	if len(cmds) == 0 {
		return "No commands are available to you here."
	}
	byModule := map[string][]bot.CommandInfo{}
	for _, c := range cmds {
		byModule[c.Module] = append(byModule[c.Module], c)
	}
	modules := slices.Clone(order)
	var rest []string
	for id := range byModule {
		if !slices.Contains(modules, id) {
			rest = append(rest, id)
		}
	}
	slices.Sort(rest)
	modules = append(modules, rest...)

	var b strings.Builder
	left := len(cmds)
	for _, id := range modules {
		list := byModule[id]
		if len(list) == 0 {
			continue
		}
		heading := fmt.Sprintf("**%s**\n", id)
		if b.Len() > 0 {
			heading = "\n" + heading
		}
		for i, c := range list {
			line := commandLine(c) + "\n"
			if i == 0 {
				line = heading + line
			}
			// Keep room for the note on what was left out.
			if b.Len()+len(line) > maxHelpText-64 {
				return strings.TrimSuffix(b.String(), "\n") + fmt.Sprintf("\n… and %d more", left)
			}
			b.WriteString(line)
			left--
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// commandLine is one command of the list: "/name — description", or
// "/name a · /name b — description" for a command with subcommands.
func commandLine(c bot.CommandInfo) string {
	paths := []string{"/" + c.Name}
	if len(c.Subcommands) > 0 {
		paths = paths[:0]
		for _, s := range c.Subcommands {
			paths = append(paths, "/"+c.Name+" "+s)
		}
	}
	return strings.Join(paths, " · ") + " — " + c.Description
}
