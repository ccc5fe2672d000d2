package discordtest

import (
	"encoding/json"
	"slices"
	"time"
)

type nowFunc func() time.Time

// Channel types the emulator seeds.
const (
	ChannelText         = 0
	ChannelDM           = 1
	ChannelVoice        = 2
	ChannelCategory     = 4
	ChannelAnnouncement = 5
)

// User is a Discord account: a person or a bot.
type User struct {
	ID         Snowflake
	Username   string
	GlobalName string
	Bot        bool
	// RefusesDMs makes creating a DM message to this user fail with 50007,
	// as for a person who closed DMs from server members.
	RefusesDMs bool
}

// Role is a guild role. Position orders roles; higher outranks lower.
type Role struct {
	ID          Snowflake
	Name        string
	Color       int
	Hoist       bool
	Position    int
	Permissions uint64
	Managed     bool
	Mentionable bool
	// BotID is set on the role Discord manages for a bot.
	BotID Snowflake
}

// Overwrite is a channel permission overwrite for a role (Type 0) or a
// member (Type 1).
type Overwrite struct {
	ID          Snowflake
	Type        int
	Allow, Deny uint64
}

// Channel is a guild channel or a DM.
type Channel struct {
	ID               Snowflake
	GuildID          Snowflake
	Type             int
	Name             string
	Topic            string
	Position         int
	ParentID         Snowflake
	NSFW             bool
	RateLimitPerUser int
	Overwrites       []Overwrite
	// Recipient is the other user of a DM channel.
	Recipient Snowflake
}

// Member is a user's membership of a guild.
type Member struct {
	User     *User
	Nick     string
	Roles    []Snowflake
	JoinedAt time.Time
	// CommunicationDisabledUntil is the end of a timeout; zero when none.
	CommunicationDisabledUntil time.Time
}

func (m *Member) hasRole(id Snowflake) bool { return slices.Contains(m.Roles, id) }

func (m *Member) timedOut(now time.Time) bool {
	return !m.CommunicationDisabledUntil.IsZero() && m.CommunicationDisabledUntil.After(now)
}

// Ban is a guild ban.
type Ban struct {
	User   *User
	Reason string
}

// AuditEntry is one guild audit log entry.
type AuditEntry struct {
	ID         Snowflake
	ActionType int
	UserID     Snowflake // who acted
	TargetID   Snowflake
	Reason     string // from X-Audit-Log-Reason
	Changes    []AuditChange
}

// AuditChange is one changed key of an audit log entry.
type AuditChange struct {
	Key      string
	Old, New any
}

// Audit log action types the emulator records.
const (
	AuditChannelUpdate        = 11
	AuditChannelOverwriteEdit = 14
	AuditMemberKick           = 20
	AuditMemberPrune          = 21
	AuditMemberBanAdd         = 22
	AuditMemberBanRemove      = 23
	AuditMemberUpdate         = 24
	AuditMemberRoleUpdate     = 25
	AuditMessageDelete        = 72
	AuditMessageBulkDelete    = 73
)

// Guild is a Discord server.
type Guild struct {
	ID                Snowflake
	Name              string
	OwnerID           Snowflake
	VerificationLevel int
	Roles             []*Role
	Channels          []*Channel
	Members           map[Snowflake]*Member
	memberOrder       []Snowflake
	Bans              map[Snowflake]*Ban
	Audit             []*AuditEntry
	// Unavailable is true during an outage.
	Unavailable bool
	// BotJoinedAt is when the bot joined; the bot is in the guild when its
	// member exists.
	BotJoinedAt time.Time
}

func (g *Guild) role(id Snowflake) *Role {
	for _, r := range g.Roles {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func (g *Guild) channel(id Snowflake) *Channel {
	for _, c := range g.Channels {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// members returns the members in join order.
func (g *Guild) members() []*Member {
	out := make([]*Member, 0, len(g.memberOrder))
	for _, id := range g.memberOrder {
		if m := g.Members[id]; m != nil {
			out = append(out, m)
		}
	}
	return out
}

func (g *Guild) addMember(m *Member) {
	if _, ok := g.Members[m.User.ID]; !ok {
		g.memberOrder = append(g.memberOrder, m.User.ID)
	}
	g.Members[m.User.ID] = m
}

func (g *Guild) removeMember(id Snowflake) {
	delete(g.Members, id)
	g.memberOrder = slices.DeleteFunc(g.memberOrder, func(x Snowflake) bool { return x == id })
}

// Attachment is a file attached to a message.
type Attachment struct {
	ID          Snowflake
	Filename    string
	Size        int
	ContentType string
	Data        []byte
}

// Reaction is one emoji's reactions on a message.
type Reaction struct {
	Emoji string // "👍" or "name:id"
	Users []Snowflake
}

// Message is a message in a channel, as stored by the emulator.
type Message struct {
	ID              Snowflake
	ChannelID       Snowflake
	GuildID         Snowflake
	Author          *User
	Content         string
	Embeds          []json.RawMessage
	Components      []json.RawMessage
	Attachments     []Attachment
	Flags           int
	Type            int
	Mentions        []Snowflake
	MentionRoles    []Snowflake
	MentionEveryone bool
	// Pinged lists who the message's allowed_mentions would have notified.
	Pinged        []Snowflake
	EditedAt      time.Time
	Reactions     []Reaction
	WebhookID     Snowflake
	ApplicationID Snowflake
	InteractionID Snowflake
	// Interaction is set on responses and followups to an interaction.
	Interaction *InteractionMetadata
	ReferenceID Snowflake
	Deleted     bool
}

// Ephemeral reports whether only the invoking user can see the message.
func (m *Message) Ephemeral() bool { return m.Flags&flagEphemeral != 0 }

const flagEphemeral = 1 << 6

// --- JSON shapes, as Discord sends them ---

type userJSON struct {
	ID            Snowflake `json:"id"`
	Username      string    `json:"username"`
	Discriminator string    `json:"discriminator"`
	GlobalName    *string   `json:"global_name"`
	Avatar        *string   `json:"avatar"`
	Bot           bool      `json:"bot,omitempty"`
	PublicFlags   int       `json:"public_flags"`
}

func (u *User) json() userJSON {
	j := userJSON{ID: u.ID, Username: u.Username, Discriminator: "0", Bot: u.Bot}
	if u.GlobalName != "" {
		j.GlobalName = &u.GlobalName
	}
	return j
}

type roleTagsJSON struct {
	BotID *Snowflake `json:"bot_id,omitempty"`
}

type roleJSON struct {
	ID           Snowflake     `json:"id"`
	Name         string        `json:"name"`
	Color        int           `json:"color"`
	Colors       roleColors    `json:"colors"`
	Hoist        bool          `json:"hoist"`
	Icon         *string       `json:"icon"`
	UnicodeEmoji *string       `json:"unicode_emoji"`
	Position     int           `json:"position"`
	Permissions  string        `json:"permissions"`
	Managed      bool          `json:"managed"`
	Mentionable  bool          `json:"mentionable"`
	Flags        int           `json:"flags"`
	Tags         *roleTagsJSON `json:"tags,omitempty"`
}

type roleColors struct {
	Primary   int  `json:"primary_color"`
	Secondary *int `json:"secondary_color"`
	Tertiary  *int `json:"tertiary_color"`
}

func (r *Role) json() roleJSON {
	j := roleJSON{ID: r.ID, Name: r.Name, Color: r.Color, Colors: roleColors{Primary: r.Color}, Hoist: r.Hoist,
		Position: r.Position, Permissions: uitoa(r.Permissions), Managed: r.Managed, Mentionable: r.Mentionable}
	if r.BotID != 0 {
		id := r.BotID
		j.Tags = &roleTagsJSON{BotID: &id}
	}
	return j
}

type overwriteJSON struct {
	ID    Snowflake `json:"id"`
	Type  int       `json:"type"`
	Allow string    `json:"allow"`
	Deny  string    `json:"deny"`
}

type channelJSON struct {
	ID                   Snowflake       `json:"id"`
	Type                 int             `json:"type"`
	GuildID              *Snowflake      `json:"guild_id,omitempty"`
	Name                 *string         `json:"name,omitempty"`
	Position             *int            `json:"position,omitempty"`
	PermissionOverwrites []overwriteJSON `json:"permission_overwrites,omitempty"`
	Topic                *string         `json:"topic,omitempty"`
	NSFW                 *bool           `json:"nsfw,omitempty"`
	ParentID             *Snowflake      `json:"parent_id,omitempty"`
	RateLimitPerUser     *int            `json:"rate_limit_per_user,omitempty"`
	Bitrate              *int            `json:"bitrate,omitempty"`
	UserLimit            *int            `json:"user_limit,omitempty"`
	LastMessageID        *Snowflake      `json:"last_message_id,omitempty"`
	Recipients           []userJSON      `json:"recipients,omitempty"`
	Flags                int             `json:"flags"`
}

func (c *Channel) json(w *world) channelJSON {
	j := channelJSON{ID: c.ID, Type: c.Type}
	if c.Type == ChannelDM {
		if u := w.users[c.Recipient]; u != nil {
			j.Recipients = []userJSON{u.json()}
		}
		return j
	}
	gid, name, pos, nsfw := c.GuildID, c.Name, c.Position, c.NSFW
	j.GuildID, j.Name, j.Position, j.NSFW = &gid, &name, &pos, &nsfw
	j.PermissionOverwrites = []overwriteJSON{}
	for _, o := range c.Overwrites {
		j.PermissionOverwrites = append(j.PermissionOverwrites, overwriteJSON{ID: o.ID, Type: o.Type, Allow: uitoa(o.Allow), Deny: uitoa(o.Deny)})
	}
	if c.ParentID != 0 {
		p := c.ParentID
		j.ParentID = &p
	}
	switch c.Type {
	case ChannelText, ChannelAnnouncement:
		topic, rl := c.Topic, c.RateLimitPerUser
		j.Topic, j.RateLimitPerUser = &topic, &rl
	case ChannelVoice:
		br, ul, rl := 64000, 0, c.RateLimitPerUser
		j.Bitrate, j.UserLimit, j.RateLimitPerUser = &br, &ul, &rl
	}
	return j
}

type memberJSON struct {
	User                       *userJSON   `json:"user,omitempty"`
	Nick                       *string     `json:"nick"`
	Avatar                     *string     `json:"avatar"`
	Roles                      []Snowflake `json:"roles"`
	JoinedAt                   time.Time   `json:"joined_at"`
	PremiumSince               *time.Time  `json:"premium_since"`
	Deaf                       bool        `json:"deaf"`
	Mute                       bool        `json:"mute"`
	Flags                      int         `json:"flags"`
	Pending                    bool        `json:"pending"`
	CommunicationDisabledUntil *time.Time  `json:"communication_disabled_until"`
	Permissions                string      `json:"permissions,omitempty"`
	GuildID                    *Snowflake  `json:"guild_id,omitempty"`
}

func (m *Member) json(withUser bool) memberJSON {
	j := memberJSON{Roles: append([]Snowflake{}, m.Roles...), JoinedAt: m.JoinedAt.UTC()}
	if withUser {
		u := m.User.json()
		j.User = &u
	}
	if m.Nick != "" {
		n := m.Nick
		j.Nick = &n
	}
	if !m.CommunicationDisabledUntil.IsZero() {
		t := m.CommunicationDisabledUntil.UTC()
		j.CommunicationDisabledUntil = &t
	}
	return j
}

type attachmentJSON struct {
	ID          Snowflake `json:"id"`
	Filename    string    `json:"filename"`
	Size        int       `json:"size"`
	URL         string    `json:"url"`
	ProxyURL    string    `json:"proxy_url"`
	ContentType string    `json:"content_type,omitempty"`
}

type reactionJSON struct {
	Count int             `json:"count"`
	Me    bool            `json:"me"`
	Emoji json.RawMessage `json:"emoji"`
}

type messageJSON struct {
	ID              Snowflake         `json:"id"`
	ChannelID       Snowflake         `json:"channel_id"`
	GuildID         *Snowflake        `json:"guild_id,omitempty"`
	Author          userJSON          `json:"author"`
	Member          *memberJSON       `json:"member,omitempty"`
	Content         string            `json:"content"`
	Timestamp       time.Time         `json:"timestamp"`
	EditedTimestamp *time.Time        `json:"edited_timestamp"`
	TTS             bool              `json:"tts"`
	MentionEveryone bool              `json:"mention_everyone"`
	Mentions        []userJSON        `json:"mentions"`
	MentionRoles    []Snowflake       `json:"mention_roles"`
	Attachments     []attachmentJSON  `json:"attachments"`
	Embeds          []json.RawMessage `json:"embeds"`
	Reactions       []reactionJSON    `json:"reactions,omitempty"`
	Pinned          bool              `json:"pinned"`
	Type            int               `json:"type"`
	Flags           int               `json:"flags"`
	Components      []json.RawMessage `json:"components"`
	WebhookID       *Snowflake        `json:"webhook_id,omitempty"`
	ApplicationID   *Snowflake        `json:"application_id,omitempty"`
	Reference       *struct {
		MessageID Snowflake `json:"message_id"`
		ChannelID Snowflake `json:"channel_id"`
	} `json:"message_reference,omitempty"`
	InteractionMetadata *interactionMetadataJSON `json:"interaction_metadata,omitempty"`
	Interaction         *messageInteractionJSON  `json:"interaction,omitempty"`
}

// json renders a message; viewer is the bot's user ID, for the `me` of
// reactions. withMember adds the author's member object (gateway only).
func (m *Message) json(w *world, withMember bool) messageJSON {
	j := messageJSON{ID: m.ID, ChannelID: m.ChannelID, Author: m.Author.json(), Content: m.Content,
		Timestamp: m.ID.Time(), MentionEveryone: m.MentionEveryone, Type: m.Type, Flags: m.Flags,
		Mentions: []userJSON{}, MentionRoles: append([]Snowflake{}, m.MentionRoles...),
		Attachments: []attachmentJSON{}, Embeds: append([]json.RawMessage{}, m.Embeds...),
		Components: append([]json.RawMessage{}, m.Components...)}
	if m.GuildID != 0 {
		gid := m.GuildID
		j.GuildID = &gid
		if withMember {
			if g := w.guild(m.GuildID); g != nil {
				if mem := g.Members[m.Author.ID]; mem != nil {
					mj := mem.json(false)
					j.Member = &mj
				}
			}
		}
	}
	if !m.EditedAt.IsZero() {
		t := m.EditedAt.UTC()
		j.EditedTimestamp = &t
	}
	for _, id := range m.Mentions {
		if u := w.users[id]; u != nil {
			j.Mentions = append(j.Mentions, u.json())
		}
	}
	for _, a := range m.Attachments {
		url := "https://cdn.discordapp.com/attachments/" + m.ChannelID.String() + "/" + a.ID.String() + "/" + a.Filename
		j.Attachments = append(j.Attachments, attachmentJSON{ID: a.ID, Filename: a.Filename, Size: a.Size, URL: url, ProxyURL: url, ContentType: a.ContentType})
	}
	for _, r := range m.Reactions {
		j.Reactions = append(j.Reactions, reactionJSON{Count: len(r.Users), Me: slices.Contains(r.Users, w.bot.ID), Emoji: emojiJSON(r.Emoji)})
	}
	if m.WebhookID != 0 {
		id := m.WebhookID
		j.WebhookID = &id
	}
	if m.ApplicationID != 0 {
		id := m.ApplicationID
		j.ApplicationID = &id
	}
	if m.Interaction != nil {
		j.InteractionMetadata, j.Interaction = m.Interaction.json(w)
	}
	if m.ReferenceID != 0 {
		j.Reference = &struct {
			MessageID Snowflake `json:"message_id"`
			ChannelID Snowflake `json:"channel_id"`
		}{m.ReferenceID, m.ChannelID}
	}
	return j
}

// emojiJSON renders "name:id" as a custom emoji and anything else as a
// unicode one.
func emojiJSON(e string) json.RawMessage {
	for i := len(e) - 1; i > 0; i-- {
		if e[i] == ':' {
			if _, err := parseSnowflake(e[i+1:]); err == nil {
				b, _ := json.Marshal(map[string]any{"id": e[i+1:], "name": e[:i]})
				return b
			}
			break
		}
	}
	b, _ := json.Marshal(map[string]any{"id": nil, "name": e})
	return b
}

type auditEntryJSON struct {
	ID         Snowflake         `json:"id"`
	ActionType int               `json:"action_type"`
	UserID     *Snowflake        `json:"user_id"`
	TargetID   *string           `json:"target_id"`
	Reason     string            `json:"reason,omitempty"`
	Changes    []auditChangeJSON `json:"changes,omitempty"`
	GuildID    *Snowflake        `json:"guild_id,omitempty"`
}

type auditChangeJSON struct {
	Key string `json:"key"`
	Old any    `json:"old_value,omitempty"`
	New any    `json:"new_value,omitempty"`
}

func (a *AuditEntry) json() auditEntryJSON {
	uid := a.UserID
	j := auditEntryJSON{ID: a.ID, ActionType: a.ActionType, UserID: &uid, Reason: a.Reason}
	if a.TargetID != 0 {
		t := a.TargetID.String()
		j.TargetID = &t
	}
	for _, c := range a.Changes {
		j.Changes = append(j.Changes, auditChangeJSON{Key: c.Key, Old: c.Old, New: c.New})
	}
	return j
}

func uitoa(v uint64) string {
	b, _ := json.Marshal(v)
	return string(b)
}
