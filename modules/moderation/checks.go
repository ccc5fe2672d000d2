package moderation

import (
	"fmt"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
)

// userErr is a message for the person who ran the command.
func userErr(format string, args ...any) error {
	return &bot.UserError{Message: fmt.Sprintf(format, args...)}
}

// target is the person an action is about.
type target struct {
	user bot.User
	// member is nil when they are not in the guild.
	member *bot.Member
}

// name is how messages call the target: their display name.
func (t target) name() string { return displayName(t.user, t.member) }

func (t target) roles() []snowflake.ID {
	if t.member == nil {
		return nil
	}
	return t.member.Roles
}

func displayName(u bot.User, m *bot.Member) string {
	switch {
	case m != nil && m.Nick != "":
		return m.Nick
	case u.GlobalName != "":
		return u.GlobalName
	case u.Username != "":
		return u.Username
	}
	return u.ID.String()
}

// targetOf reads the user option: the user and, when they are in the
// guild, their member as Discord resolved it with the interaction (roles
// included), so no request is needed to know their roles.
func targetOf(r *bot.Request) (target, error) {
	u, mem, ok := r.UserOption("user")
	if !ok {
		return target{}, userErr("Choose a member with the user option.")
	}
	return target{user: u, member: mem}, nil
}

// knownGuild returns what the cache knows of a guild, once it knows all
// of it. A GUILD_CREATE fills the cache with the guild, then its
// channels, its roles, and last its members; the host publishes the
// guild's arrival before that, so a module woken by it may look too
// early. The bot's own member comes last: until it is there (BotRoles is
// nil; a member without roles has an empty list), the guild is not known.
func (m *Module) knownGuild(id snowflake.ID) (bot.GuildInfo, bool) {
	g, ok := m.host.Guild(id)
	if !ok || g.BotRoles == nil {
		return bot.GuildInfo{}, false
	}
	return g, true
}

// guild returns what the cache knows of the guild, for the hierarchy.
func (m *Module) guild(id snowflake.ID) (bot.GuildInfo, error) {
	g, ok := m.knownGuild(id)
	if !ok {
		return bot.GuildInfo{}, userErr("I don't know this server's roles yet; try again in a moment.")
	}
	return g, nil
}

// checkActor refuses what Discord's hierarchy forbids the moderator: to
// act on themselves, the bot, the owner, or someone whose top role is
// not below theirs. verb is the action as a sentence says it ("kick").
func (m *Module) checkActor(r *bot.Request, g bot.GuildInfo, t target, verb string) error {
	switch {
	case t.user.ID == r.User.ID:
		return userErr("You can't %s yourself.", verb)
	case t.user.ID == m.host.BotID():
		return userErr("I won't %s myself.", verb)
	case t.user.ID == g.OwnerID:
		return userErr("You can't %s %s: they own the server.", verb, t.name())
	case t.member == nil:
		return nil // not in the guild: no roles to compare
	}
	var mine []snowflake.ID
	if r.Member != nil {
		mine = r.Member.Roles
	}
	if !g.Outranks(r.User.ID, mine, t.user.ID, t.roles()) {
		return userErr("You can't %s %s: their top role, %s, is not below yours, %s.", verb, t.name(),
			g.TopRoleName(t.roles()), g.TopRoleName(mine))
	}
	return nil
}

// checkBot refuses what Discord would refuse the bot: a missing
// permission (what says what it is for: "kick members"), or a member
// whose top role is not below the bot's.
func (m *Module) checkBot(g bot.GuildInfo, t target, verb string, need discord.Permissions, what string) error {
	if err := m.botMay(g, need, what); err != nil {
		return err
	}
	if t.member != nil && !g.Outranks(m.host.BotID(), g.BotRoles, t.user.ID, t.roles()) {
		return userErr("I can't %s %s: their top role, %s, is not below mine, %s. Move my role above theirs in Server Settings → Roles.",
			verb, t.name(), g.TopRoleName(t.roles()), g.TopRoleName(g.BotRoles))
	}
	return nil
}

// botMay refuses when the bot lacks a guild permission; what says what
// for ("ban members").
func (m *Module) botMay(g bot.GuildInfo, need discord.Permissions, what string) error {
	have := g.Permissions(m.host.BotID(), g.BotRoles)
	if missing := need &^ have; missing != 0 {
		return userErr("I need the %s permission to %s here: ask an admin to give it to my role.", bot.PermissionNames(missing), what)
	}
	return nil
}
