package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/omit"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/ratelimit"
)

// REST is Discord's REST API as modules use it: narrow interfaces, each
// call taking a context. Every message sent through it pings nobody
// unless its AllowedMentions says otherwise.
type REST struct {
	Messages Messages
	Members  Members
	Guilds   Guilds
	Channels Channels
}

// Messages sends and manages messages.
type Messages interface {
	Send(ctx context.Context, channelID snowflake.ID, m discord.MessageCreate) (*discord.Message, error)
	Edit(ctx context.Context, channelID, messageID snowflake.ID, m discord.MessageUpdate) (*discord.Message, error)
	Delete(ctx context.Context, channelID, messageID snowflake.ID, reason string) error
	// BulkDelete deletes 2 to 100 messages younger than 14 days.
	BulkDelete(ctx context.Context, channelID snowflake.ID, ids []snowflake.ID, reason string) error
	// SendDM opens the DM channel with a user and sends m there.
	SendDM(ctx context.Context, userID snowflake.ID, m discord.MessageCreate) (*discord.Message, error)
	// List returns up to limit (1 to 100) messages older than before
	// (zero: the newest), newest first.
	List(ctx context.Context, channelID, before snowflake.ID, limit int) ([]discord.Message, error)
}

// Members reads and moderates guild members.
type Members interface {
	Get(ctx context.Context, guildID, userID snowflake.ID) (*discord.Member, error)
	// Timeout times a member out until the given time (zero clears it).
	Timeout(ctx context.Context, guildID, userID snowflake.ID, until time.Time, reason string) error
	Kick(ctx context.Context, guildID, userID snowflake.ID, reason string) error
	Ban(ctx context.Context, guildID, userID snowflake.ID, deleteMessages time.Duration, reason string) error
	Unban(ctx context.Context, guildID, userID snowflake.ID, reason string) error
}

// Guilds reads and edits guilds.
type Guilds interface {
	Get(ctx context.Context, guildID snowflake.ID) (*discord.RestGuild, error)
	// SetVerificationLevel sets the level a member must meet to talk
	// (MANAGE_GUILD).
	SetVerificationLevel(ctx context.Context, guildID snowflake.ID, level discord.VerificationLevel, reason string) error
}

// Channels reads channels and edits their permission overwrites
// (MANAGE_ROLES).
type Channels interface {
	Get(ctx context.Context, channelID snowflake.ID) (discord.Channel, error)
	// SetOverwrite creates or replaces the overwrite of a role or member.
	SetOverwrite(ctx context.Context, channelID snowflake.ID, o discord.PermissionOverwrite, reason string) error
	// DeleteOverwrite removes the overwrite of a role or member.
	DeleteOverwrite(ctx context.Context, channelID, overwriteID snowflake.ID, reason string) error
}

// Deleter returns a ratelimit.Deleter over the host's REST client for
// ratelimit.Purge, with reason for Discord's audit log.
func (h *Host) Deleter(reason string) ratelimit.Deleter {
	return purgeDeleter{m: h.rt.restAPI.Messages, reason: reason}
}

type purgeDeleter struct {
	m      Messages
	reason string
}

func (d purgeDeleter) DeleteMessage(ctx context.Context, channel, message snowflake.ID) error {
	return ratelimit.ClassifyDeleteError(d.m.Delete(ctx, channel, message, d.reason))
}

func (d purgeDeleter) BulkDeleteMessages(ctx context.Context, channel snowflake.ID, messages []snowflake.ID) error {
	return ratelimit.ClassifyDeleteError(d.m.BulkDelete(ctx, channel, messages, d.reason))
}

// Sender returns a ratelimit.SendFunc over the host's REST client, for
// ratelimit.NewCoalescer: log feeds merged into few messages. Its
// requests are non-essential (ratelimit.NonEssential).
func (h *Host) Sender() ratelimit.SendFunc {
	m := h.rt.restAPI.Messages
	return func(ctx context.Context, channel snowflake.ID, msg discord.MessageCreate) error {
		_, err := m.Send(ratelimit.NonEssential(ctx), channel, msg)
		return err
	}
}

// pingNobody is the allowed_mentions of everything the bot sends unless
// a module asks otherwise.
func pingNobody(am *discord.AllowedMentions) *discord.AllowedMentions {
	if am != nil {
		return am
	}
	return &discord.AllowedMentions{Parse: []discord.AllowedMentionType{}}
}

func opts(ctx context.Context, reason string) []rest.RequestOpt {
	o := []rest.RequestOpt{rest.WithCtx(ctx)}
	if reason != "" {
		o = append(o, rest.WithReason(reason))
	}
	return o
}

// discordREST implements the narrow interfaces over disgo's REST client.
type discordREST struct{ r rest.Rest }

func newREST(r rest.Rest) REST {
	d := discordREST{r}
	return REST{Messages: d, Members: d, Guilds: discordGuilds{r}, Channels: discordChannels{r}}
}

func (d discordREST) Send(ctx context.Context, channelID snowflake.ID, m discord.MessageCreate) (*discord.Message, error) {
	m.AllowedMentions = pingNobody(m.AllowedMentions)
	return d.r.CreateMessage(channelID, m, opts(ctx, "")...)
}

func (d discordREST) Edit(ctx context.Context, channelID, messageID snowflake.ID, m discord.MessageUpdate) (*discord.Message, error) {
	m.AllowedMentions = pingNobody(m.AllowedMentions)
	return d.r.UpdateMessage(channelID, messageID, m, opts(ctx, "")...)
}

func (d discordREST) Delete(ctx context.Context, channelID, messageID snowflake.ID, reason string) error {
	return d.r.DeleteMessage(channelID, messageID, opts(ctx, reason)...)
}

func (d discordREST) BulkDelete(ctx context.Context, channelID snowflake.ID, ids []snowflake.ID, reason string) error {
	return d.r.BulkDeleteMessages(channelID, ids, opts(ctx, reason)...)
}

func (d discordREST) SendDM(ctx context.Context, userID snowflake.ID, m discord.MessageCreate) (*discord.Message, error) {
	ch, err := d.r.CreateDMChannel(userID, opts(ctx, "")...)
	if err != nil {
		return nil, err
	}
	return d.Send(ctx, ch.ID(), m)
}

func (d discordREST) List(ctx context.Context, channelID, before snowflake.ID, limit int) ([]discord.Message, error) {
	return d.r.GetMessages(channelID, 0, before, 0, limit, opts(ctx, "")...)
}

func (d discordREST) Get(ctx context.Context, guildID, userID snowflake.ID) (*discord.Member, error) {
	return d.r.GetMember(guildID, userID, opts(ctx, "")...)
}

func (d discordREST) Timeout(ctx context.Context, guildID, userID snowflake.ID, until time.Time, reason string) error {
	u := discord.MemberUpdate{CommunicationDisabledUntil: omit.NewNilPtr[time.Time]()}
	if !until.IsZero() {
		u.CommunicationDisabledUntil = omit.NewPtr(until)
	}
	_, err := d.r.UpdateMember(guildID, userID, u, opts(ctx, reason)...)
	return err
}

func (d discordREST) Kick(ctx context.Context, guildID, userID snowflake.ID, reason string) error {
	return d.r.RemoveMember(guildID, userID, opts(ctx, reason)...)
}

func (d discordREST) Ban(ctx context.Context, guildID, userID snowflake.ID, deleteMessages time.Duration, reason string) error {
	return d.r.AddBan(guildID, userID, deleteMessages, opts(ctx, reason)...)
}

func (d discordREST) Unban(ctx context.Context, guildID, userID snowflake.ID, reason string) error {
	return d.r.DeleteBan(guildID, userID, opts(ctx, reason)...)
}

// discordGuilds and discordChannels implement Guilds and Channels; they
// are types of their own because both interfaces have a Get.
type (
	discordGuilds   struct{ r rest.Rest }
	discordChannels struct{ r rest.Rest }
)

func (d discordGuilds) Get(ctx context.Context, guildID snowflake.ID) (*discord.RestGuild, error) {
	return d.r.GetGuild(guildID, false, opts(ctx, "")...)
}

func (d discordGuilds) SetVerificationLevel(ctx context.Context, guildID snowflake.ID, level discord.VerificationLevel, reason string) error {
	_, err := d.r.UpdateGuild(guildID, discord.GuildUpdate{VerificationLevel: omit.NewPtr(level)}, opts(ctx, reason)...)
	return err
}

func (d discordChannels) Get(ctx context.Context, channelID snowflake.ID) (discord.Channel, error) {
	return d.r.GetChannel(channelID, opts(ctx, "")...)
}

func (d discordChannels) SetOverwrite(ctx context.Context, channelID snowflake.ID, o discord.PermissionOverwrite, reason string) error {
	var upd discord.PermissionOverwriteUpdate
	switch ow := o.(type) {
	case discord.RolePermissionOverwrite:
		upd = discord.RolePermissionOverwriteUpdate{Allow: &ow.Allow, Deny: &ow.Deny}
	case discord.MemberPermissionOverwrite:
		upd = discord.MemberPermissionOverwriteUpdate{Allow: &ow.Allow, Deny: &ow.Deny}
	default:
		return fmt.Errorf("bot: set overwrite: unknown overwrite type %T", o)
	}
	return d.r.UpdatePermissionOverwrite(channelID, o.ID(), upd, opts(ctx, reason)...)
}

func (d discordChannels) DeleteOverwrite(ctx context.Context, channelID, overwriteID snowflake.ID, reason string) error {
	return d.r.DeletePermissionOverwrite(channelID, overwriteID, opts(ctx, reason)...)
}

var (
	_ Messages = discordREST{}
	_ Members  = discordREST{}
	_ Guilds   = discordGuilds{}
	_ Channels = discordChannels{}
)
