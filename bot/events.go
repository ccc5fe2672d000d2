package bot

import (
	"encoding/json"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot/bus"
)

// The bus carries these value types, never disgo's structs, so that a
// network bus can carry them later.

// User is a Discord account.
type User struct {
	ID         snowflake.ID
	Username   string
	GlobalName string
	Bot        bool
}

// Member is a user in a guild.
type Member struct {
	User          User
	Nick          string
	Roles         []snowflake.ID
	JoinedAt      time.Time
	TimedOutUntil time.Time
}

// Origin says who wrote a message; modules ignore the bot itself, other
// bots and webhooks by default.
type Origin struct {
	FromSelf    bool
	FromBot     bool
	FromWebhook bool
}

// Human reports whether a person wrote the message.
func (o Origin) Human() bool { return !o.FromSelf && !o.FromBot && !o.FromWebhook }

// MessageCreated is a new message. Content is empty without the
// MESSAGE_CONTENT intent (except DMs and messages that mention the bot).
type MessageCreated struct {
	ID, ChannelID, GuildID snowflake.ID
	Author                 User
	// AuthorRoles are the author's roles in the guild, as Discord sends
	// them with the message; nil in a DM or from a webhook.
	AuthorRoles         []snowflake.ID
	Origin              Origin
	Content             string
	Mentions            []snowflake.ID
	MentionRoles        []snowflake.ID
	MentionEveryone     bool
	Attachments, Embeds int
	At                  time.Time
}

// MessageEdited is an edited message.
type MessageEdited struct {
	ID, ChannelID, GuildID snowflake.ID
	Author                 User
	Origin                 Origin
	Content                string
	EditedAt               time.Time
}

// MessageDeleted is a deleted message.
type MessageDeleted struct {
	ID, ChannelID, GuildID snowflake.ID
}

// MessagesBulkDeleted is a bulk delete.
type MessagesBulkDeleted struct {
	IDs                []snowflake.ID
	ChannelID, GuildID snowflake.ID
}

// MemberJoined is a member joining a guild.
type MemberJoined struct {
	GuildID snowflake.ID
	Member  Member
}

// MemberLeft is a member leaving (or being removed from) a guild.
type MemberLeft struct {
	GuildID snowflake.ID
	User    User
}

// MemberUpdated is a change to a member: nick, roles, timeout.
type MemberUpdated struct {
	GuildID snowflake.ID
	Member  Member
}

// GuildJoined is a guild becoming available to the bot: at start-up
// (Startup true) or when the bot is added.
type GuildJoined struct {
	GuildID     snowflake.ID
	Name        string
	MemberCount int
	Startup     bool
}

// GuildLeft is the bot removed from a guild (GUILD_DELETE with
// unavailable false): modules cancel its jobs and start the retention
// grace period for its data.
type GuildLeft struct {
	GuildID snowflake.ID
}

// GuildOutage is a guild going down (Down true, GUILD_DELETE with
// unavailable true) or coming back. Nothing is cleaned up for an outage.
type GuildOutage struct {
	GuildID snowflake.ID
	Down    bool
}

// RoleChanged is a role created, updated or deleted.
type RoleChanged struct {
	GuildID, RoleID snowflake.ID
	Name            string
	Deleted         bool
}

// ChannelChanged is a channel created, updated or deleted.
type ChannelChanged struct {
	GuildID, ChannelID snowflake.ID
	Name               string
	Deleted            bool
}

// ReactionChanged is a reaction added or removed.
type ReactionChanged struct {
	GuildID, ChannelID, MessageID, UserID snowflake.ID
	Emoji                                 string
	Added                                 bool
}

// EventGuild methods say which guild an event belongs to (zero: none),
// so the host can hold back events of a guild where a module is off.
// The guild lifecycle (GuildJoined, GuildLeft, GuildOutage) has none: a
// module learns of it even where it is off, to keep its jobs right.

// EventGuild returns the guild of the event.
func (e MessageCreated) EventGuild() snowflake.ID { return e.GuildID }

// EventGuild returns the guild of the event.
func (e MessageEdited) EventGuild() snowflake.ID { return e.GuildID }

// EventGuild returns the guild of the event.
func (e MessageDeleted) EventGuild() snowflake.ID { return e.GuildID }

// EventGuild returns the guild of the event.
func (e MessagesBulkDeleted) EventGuild() snowflake.ID { return e.GuildID }

// EventGuild returns the guild of the event.
func (e MemberJoined) EventGuild() snowflake.ID { return e.GuildID }

// EventGuild returns the guild of the event.
func (e MemberLeft) EventGuild() snowflake.ID { return e.GuildID }

// EventGuild returns the guild of the event.
func (e MemberUpdated) EventGuild() snowflake.ID { return e.GuildID }

// EventGuild returns the guild of the event.
func (e RoleChanged) EventGuild() snowflake.ID { return e.GuildID }

// EventGuild returns the guild of the event.
func (e ChannelChanged) EventGuild() snowflake.ID { return e.GuildID }

// EventGuild returns the guild of the event.
func (e ReactionChanged) EventGuild() snowflake.ID { return e.GuildID }

// AuditLogEntry is an entry of a guild's audit log (GUILD_MODERATION
// intent, and VIEW_AUDIT_LOG): how moderation done in Discord's own
// interface reaches the bot.
type AuditLogEntry struct {
	GuildID    snowflake.ID
	ID         snowflake.ID
	ActionType int
	UserID     snowflake.ID // who acted
	TargetID   snowflake.ID
	Reason     string
	// Changes are the changed keys, with their JSON values.
	Changes []AuditChange
}

// AuditChange is one changed key of an audit log entry, as Discord
// sends it ("communication_disabled_until", "nick", "$add", ...).
type AuditChange struct {
	Key      string
	Old, New json.RawMessage
}

// EventGuild returns the guild of the event.
func (e AuditLogEntry) EventGuild() snowflake.ID { return e.GuildID }

// Topics of the events above.
var (
	TopicMessageCreated      = bus.NewTopic[MessageCreated]("message.created")
	TopicMessageEdited       = bus.NewTopic[MessageEdited]("message.edited")
	TopicMessageDeleted      = bus.NewTopic[MessageDeleted]("message.deleted")
	TopicMessagesBulkDeleted = bus.NewTopic[MessagesBulkDeleted]("message.bulk_deleted")
	TopicMemberJoined        = bus.NewTopic[MemberJoined]("member.joined")
	TopicMemberLeft          = bus.NewTopic[MemberLeft]("member.left")
	TopicMemberUpdated       = bus.NewTopic[MemberUpdated]("member.updated")
	TopicGuildJoined         = bus.NewTopic[GuildJoined]("guild.joined")
	TopicGuildLeft           = bus.NewTopic[GuildLeft]("guild.left")
	TopicGuildOutage         = bus.NewTopic[GuildOutage]("guild.outage")
	TopicRoleChanged         = bus.NewTopic[RoleChanged]("role.changed")
	TopicChannelChanged      = bus.NewTopic[ChannelChanged]("channel.changed")
	TopicReactionChanged     = bus.NewTopic[ReactionChanged]("reaction.changed")
	TopicAuditLogEntry       = bus.NewTopic[AuditLogEntry]("guild.audit_log_entry")
)
