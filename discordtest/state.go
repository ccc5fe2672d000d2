package discordtest

import (
	"encoding/json"
	"time"
)

// world is everything the emulated Discord knows. The Server's mutex
// guards it; nothing here locks.
type world struct {
	now         nowFunc
	ids         idSource
	appID       Snowflake
	bot         *User
	users       map[Snowflake]*User
	guilds      []*Guild
	guildByID   map[Snowflake]*Guild
	channels    map[Snowflake]*Channel
	messages    map[Snowflake]*Message
	channelMsgs map[Snowflake][]Snowflake
	dms         map[Snowflake]Snowflake // user ID to DM channel ID
}

func (w *world) guild(id Snowflake) *Guild { return w.guildByID[id] }

// newID returns a fresh snowflake stamped with the current time.
func (w *world) newID() Snowflake { return w.ids.next(w.now()) }

// botMember returns the bot's member in a guild, or nil when the bot is
// not in it.
func (w *world) botMember(g *Guild) *Member { return g.Members[w.bot.ID] }

// addMessage stores a message at the end of its channel.
func (w *world) addMessage(m *Message) {
	w.messages[m.ID] = m
	w.channelMsgs[m.ChannelID] = append(w.channelMsgs[m.ChannelID], m.ID)
}

// deleteMessage removes a message from the world.
func (w *world) deleteMessage(m *Message) {
	m.Deleted = true
	delete(w.messages, m.ID)
	ids := w.channelMsgs[m.ChannelID]
	for i, id := range ids {
		if id == m.ID {
			w.channelMsgs[m.ChannelID] = append(ids[:i:i], ids[i+1:]...)
			break
		}
	}
}

// dmChannel returns the DM channel with a user, creating it.
func (w *world) dmChannel(u *User) *Channel {
	if id, ok := w.dms[u.ID]; ok {
		return w.channels[id]
	}
	c := &Channel{ID: w.newID(), Type: ChannelDM, Recipient: u.ID}
	w.channels[c.ID] = c
	w.dms[u.ID] = c.ID
	return c
}

type guildJSON struct {
	ID                          Snowflake     `json:"id"`
	Name                        string        `json:"name"`
	Icon                        *string       `json:"icon"`
	Splash                      *string       `json:"splash"`
	DiscoverySplash             *string       `json:"discovery_splash"`
	OwnerID                     Snowflake     `json:"owner_id"`
	AFKChannelID                *Snowflake    `json:"afk_channel_id"`
	AFKTimeout                  int           `json:"afk_timeout"`
	VerificationLevel           int           `json:"verification_level"`
	DefaultMessageNotifications int           `json:"default_message_notifications"`
	ExplicitContentFilter       int           `json:"explicit_content_filter"`
	Roles                       []roleJSON    `json:"roles"`
	Emojis                      []any         `json:"emojis"`
	Stickers                    []any         `json:"stickers"`
	Features                    []string      `json:"features"`
	MFALevel                    int           `json:"mfa_level"`
	ApplicationID               *Snowflake    `json:"application_id"`
	SystemChannelID             *Snowflake    `json:"system_channel_id"`
	SystemChannelFlags          int           `json:"system_channel_flags"`
	RulesChannelID              *Snowflake    `json:"rules_channel_id"`
	MaxMembers                  int           `json:"max_members"`
	VanityURLCode               *string       `json:"vanity_url_code"`
	Description                 *string       `json:"description"`
	Banner                      *string       `json:"banner"`
	PremiumTier                 int           `json:"premium_tier"`
	PremiumSubscriptionCount    int           `json:"premium_subscription_count"`
	PreferredLocale             string        `json:"preferred_locale"`
	PublicUpdatesChannelID      *Snowflake    `json:"public_updates_channel_id"`
	NSFWLevel                   int           `json:"nsfw_level"`
	PremiumProgressBarEnabled   bool          `json:"premium_progress_bar_enabled"`
	SafetyAlertsChannelID       *Snowflake    `json:"safety_alerts_channel_id"`
	ApproximateMemberCount      *int          `json:"approximate_member_count,omitempty"`
	ApproximatePresenceCount    *int          `json:"approximate_presence_count,omitempty"`
	JoinedAt                    *time.Time    `json:"joined_at,omitempty"`
	Large                       *bool         `json:"large,omitempty"`
	Unavailable                 *bool         `json:"unavailable,omitempty"`
	MemberCount                 *int          `json:"member_count,omitempty"`
	VoiceStates                 []any         `json:"voice_states,omitempty"`
	Members                     []memberJSON  `json:"members,omitempty"`
	Channels                    []channelJSON `json:"channels,omitempty"`
	Threads                     []any         `json:"threads,omitempty"`
	Presences                   []any         `json:"presences,omitempty"`
	StageInstances              []any         `json:"stage_instances,omitempty"`
	GuildScheduledEvents        []any         `json:"guild_scheduled_events,omitempty"`
	SoundboardSounds            []any         `json:"soundboard_sounds,omitempty"`
}

// restJSON renders a guild as GET /guilds/{id} does.
func (g *Guild) restJSON() guildJSON {
	j := guildJSON{ID: g.ID, Name: g.Name, OwnerID: g.OwnerID, AFKTimeout: 300, VerificationLevel: g.VerificationLevel,
		Roles: []roleJSON{}, Emojis: []any{}, Stickers: []any{}, Features: []string{}, MaxMembers: 500000,
		PreferredLocale: "en-US"}
	for _, r := range g.Roles {
		j.Roles = append(j.Roles, r.json())
	}
	for _, c := range g.Channels {
		if c.Type == ChannelText && c.Name == "general" {
			id := c.ID
			j.SystemChannelID = &id
			break
		}
	}
	return j
}

// gatewayJSON renders a guild for GUILD_CREATE: a guild with more members
// than largeThreshold is "large" and carries only the bot's own member, as
// Discord sends no offline members of large guilds.
func (w *world) gatewayGuildJSON(g *Guild, largeThreshold int) json.RawMessage {
	if g.Unavailable {
		b, _ := json.Marshal(map[string]any{"id": g.ID, "unavailable": true})
		return b
	}
	j := g.restJSON()
	count := len(g.Members)
	large := count > largeThreshold
	joined := g.BotJoinedAt.UTC()
	f := false
	j.MemberCount, j.Large, j.JoinedAt, j.Unavailable = &count, &large, &joined, &f
	j.VoiceStates, j.Threads, j.Presences, j.StageInstances, j.GuildScheduledEvents, j.SoundboardSounds =
		[]any{}, []any{}, []any{}, []any{}, []any{}, []any{}
	for _, m := range g.members() {
		if large && m.User.ID != w.bot.ID {
			continue
		}
		j.Members = append(j.Members, m.json(true))
	}
	for _, c := range g.Channels {
		j.Channels = append(j.Channels, c.json(w))
	}
	b, _ := json.Marshal(j)
	return b
}
