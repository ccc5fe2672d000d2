package bot

import (
	"context"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/omit"
	"github.com/disgoorg/snowflake/v2"
)

// REST is Discord's REST API as modules use it: narrow interfaces, each
// call taking a context. Every message sent through it pings nobody
// unless its AllowedMentions says otherwise.
type REST struct {
	Messages Messages
	Members  Members
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
	return REST{Messages: d, Members: d}
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

var (
	_ Messages = discordREST{}
	_ Members  = discordREST{}
)
