package moderation

import (
	"github.com/disgoorg/disgo/discord"

	"github.com/hearthbot/hearth/bot"
)

// maxReason is the longest reason: Discord's audit log keeps 512
// characters.
const maxReason = 400

// commands declares the module's commands. Each carries the permission
// a moderator needs (the host hides the command from others and checks
// it again); every reply is ephemeral: the modlog is the public record.
func (m *Module) commands() []bot.Command {
	user := func(desc string) bot.Option {
		return bot.Option{Name: "user", Description: desc, Type: bot.OptionUser, Required: true}
	}
	reason := func(required bool) bot.Option {
		return bot.Option{Name: "reason", Description: "Why (shown in the modlog and Discord's audit log)", Type: bot.OptionString,
			Required: required, MaxLength: maxReason}
	}
	moderate := discord.PermissionModerateMembers
	return []bot.Command{
		{Name: "warn", Description: "Warns a member; enough warnings lead to a timeout or a kick", Permissions: moderate,
			Options: []bot.Option{user("Who to warn"), reason(true)}, Ephemeral: true, Handler: m.warn},
		{Name: "warnings", Description: "A member's warnings", Permissions: moderate,
			Options: []bot.Option{user("Whose warnings")}, Ephemeral: true, Handler: m.warnings},
		{Name: "unwarn", Description: "Removes a warning", Permissions: moderate,
			Options: []bot.Option{
				{Name: "case", Description: "The warning's case number", Type: bot.OptionInteger, Required: true, MinValue: bot.Float(1)},
				reason(false),
			}, Ephemeral: true, Handler: m.unwarn},
		{Name: "timeout", Description: "Times a member out: they can't talk until it ends (at most 28 days)", Permissions: moderate,
			Options: []bot.Option{
				user("Who to time out"),
				{Name: "duration", Description: "How long: 10m, 2h, 7d (at most 28d)", Type: bot.OptionString, Required: true, MaxLength: 32},
				reason(false),
			}, Ephemeral: true, Handler: m.timeout},
		{Name: "untimeout", Description: "Lifts a member's timeout", Permissions: moderate,
			Options: []bot.Option{user("Whose timeout to lift"), reason(false)}, Ephemeral: true, Handler: m.untimeout},
		{Name: "kick", Description: "Kicks a member out of the server (they may join again)", Permissions: discord.PermissionKickMembers,
			Options: []bot.Option{user("Who to kick"), reason(false)}, Ephemeral: true, Handler: m.kick},
		{Name: "ban", Description: "Bans a user, for good or for a while", Permissions: discord.PermissionBanMembers,
			Options: []bot.Option{
				user("Who to ban (a member, or any user by ID)"),
				reason(false),
				{Name: "delete_messages", Description: "Delete their messages of the last 0 to 7 days", Type: bot.OptionInteger,
					MinValue: bot.Float(0), MaxValue: bot.Float(7)},
				{Name: "duration", Description: "Lift the ban after: 12h, 7d, 4w (at most 365d); none: for good", Type: bot.OptionString, MaxLength: 32},
			}, Ephemeral: true, Handler: m.ban},
		{Name: "unban", Description: "Lifts a ban", Permissions: discord.PermissionBanMembers,
			Options: []bot.Option{user("Who to unban (by ID)"), reason(false)}, Ephemeral: true, Handler: m.unban},
		{Name: "purge", Description: "Deletes recent messages in this channel", Permissions: discord.PermissionManageMessages,
			Options: []bot.Option{
				{Name: "count", Description: "How many messages to delete, 1 to 1000", Type: bot.OptionInteger, Required: true,
					MinValue: bot.Float(1), MaxValue: bot.Float(maxPurge)},
				{Name: "user", Description: "Only this person's messages", Type: bot.OptionUser},
				{Name: "contains", Description: "Only messages containing this text", Type: bot.OptionString, MaxLength: 100},
			}, Ephemeral: true, Handler: m.purge},
		{Name: "case", Description: "Shows a case", Permissions: moderate,
			Options:   []bot.Option{{Name: "id", Description: "The case number", Type: bot.OptionInteger, Required: true, MinValue: bot.Float(1)}},
			Ephemeral: true, Handler: m.showCase},
		{Name: "cases", Description: "A user's cases", Permissions: moderate,
			Options: []bot.Option{user("Whose cases")}, Ephemeral: true, Handler: m.listCases},
	}
}
