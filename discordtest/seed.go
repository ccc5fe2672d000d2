package discordtest

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// seedEpoch is when seeded objects were "created": a fixed time, so a seed
// always yields the same IDs.
var seedEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultBotPermissions is what the bot's managed role grants unless
// WithBotPermissions says otherwise: what a moderation bot asks for.
const DefaultBotPermissions = PermViewChannel | PermSendMessages | PermEmbedLinks | PermAttachFiles |
	PermReadMessageHistory | PermAddReactions | PermManageMessages | PermKickMembers | PermBanMembers |
	PermModerateMembers | PermManageRoles | PermManageNicknames | PermViewAuditLog | PermUseExternalEmojis

const everyonePermissions = PermCreateInstantInvite | PermViewChannel | PermSendMessages | PermEmbedLinks |
	PermAttachFiles | PermReadMessageHistory | PermAddReactions | PermUseExternalEmojis | PermConnect |
	PermSpeak | PermChangeNickname | PermUseApplicationCmds

// newWorld builds the seeded world: the application and bot user, then
// each guild with its roles, channels and members. Member 0 of each guild
// is its owner "owner", then "admin", "mod", and "member1", "member2", ...
func newWorld(o *options, now nowFunc) *world {
	rng := rand.New(rand.NewPCG(o.seed, o.seed^0x9e3779b97f4a7c15))
	w := &world{
		now:         now,
		users:       map[Snowflake]*User{},
		guildByID:   map[Snowflake]*Guild{},
		channels:    map[Snowflake]*Channel{},
		messages:    map[Snowflake]*Message{},
		channelMsgs: map[Snowflake][]Snowflake{},
		dms:         map[Snowflake]Snowflake{},
	}
	at := seedEpoch.Add(time.Duration(rng.IntN(1000)) * time.Hour)
	tick := func() time.Time { at = at.Add(time.Millisecond); return at }
	w.appID = w.ids.next(tick())
	w.bot = &User{ID: w.appID, Username: o.botName, Bot: true}
	w.users[w.bot.ID] = w.bot

	// Users are shared across guilds, as people are: member i of every
	// guild is the same person.
	people := make([]*User, o.members)
	for i := range people {
		name := fmt.Sprintf("member%d", i-2)
		switch i {
		case 0:
			name = "owner"
		case 1:
			name = "admin"
		case 2:
			name = "mod"
		}
		u := &User{ID: w.ids.next(tick()), Username: name, GlobalName: titleCase(name)}
		people[i] = u
		w.users[u.ID] = u
	}
	for gi := 0; gi < o.guilds; gi++ {
		joined := seedEpoch
		joinTimes := make([]time.Time, len(people))
		memberRole := make([]bool, len(people))
		for i := range people {
			joined = joined.Add(time.Duration(1+rng.IntN(72)) * time.Hour)
			joinTimes[i] = joined
			memberRole[i] = rng.IntN(2) == 0
		}
		next := func() Snowflake { return w.ids.next(tick()) }
		w.layoutGuild(next, fmt.Sprintf("Guild %d", gi+1), people, o,
			func(i int) time.Time { return joinTimes[i] }, func(i int) bool { return memberRole[i] }, joined.Add(time.Hour))
	}
	w.ids.last = Snowflake(uint64(at.UnixMilli()-discordEpoch) << 22)
	return w
}

// layoutGuild builds a guild with the standard layout and adds it to the
// world: roles @everyone, Member, Moderator, the bot's managed role and
// Admin; #general, #mod-log (hidden but for moderators and the bot),
// #announcements (@everyone may not send), #off-topic and a voice
// channel; people[0] owns it, people[1] is an admin, people[2] a
// moderator, and the others have the Member role when memberRole says.
// IDs come from next, in a fixed order, so a seed gives the same guild.
func (w *world) layoutGuild(next func() Snowflake, name string, people []*User, o *options,
	joined func(i int) time.Time, memberRole func(i int) bool, botJoined time.Time) *Guild {
	g := &Guild{ID: next(), Name: name, Members: map[Snowflake]*Member{}, Bans: map[Snowflake]*Ban{}, VerificationLevel: 1}
	if len(people) > 0 {
		g.OwnerID = people[0].ID
	}
	everyone := &Role{ID: g.ID, Name: "@everyone", Permissions: everyonePermissions}
	member := &Role{ID: next(), Name: "Member", Position: 1, Color: 0x95a5a6}
	mod := &Role{ID: next(), Name: "Moderator", Position: 2, Hoist: true, Color: 0x3498db,
		Permissions: PermKickMembers | PermBanMembers | PermModerateMembers | PermManageMessages | PermViewAuditLog | PermManageNicknames}
	botRole := &Role{ID: next(), Name: o.botName, Position: 3, Managed: true, BotID: w.bot.ID, Permissions: o.botPermissions}
	admin := &Role{ID: next(), Name: "Admin", Position: 4, Hoist: true, Color: 0xe74c3c, Permissions: PermAdministrator}
	g.Roles = []*Role{everyone, member, mod, botRole, admin}

	text := &Channel{ID: next(), GuildID: g.ID, Type: ChannelCategory, Name: "Text Channels"}
	general := &Channel{ID: next(), GuildID: g.ID, Type: ChannelText, Name: "general", ParentID: text.ID, Topic: "Say hello"}
	modlog := &Channel{ID: next(), GuildID: g.ID, Type: ChannelText, Name: "mod-log", Position: 1, ParentID: text.ID,
		Overwrites: []Overwrite{
			{ID: g.ID, Type: 0, Deny: PermViewChannel},
			{ID: mod.ID, Type: 0, Allow: PermViewChannel},
			{ID: botRole.ID, Type: 0, Allow: PermViewChannel},
		}}
	news := &Channel{ID: next(), GuildID: g.ID, Type: ChannelAnnouncement, Name: "announcements", Position: 2, ParentID: text.ID,
		Overwrites: []Overwrite{{ID: g.ID, Type: 0, Deny: PermSendMessages}}}
	offTopic := &Channel{ID: next(), GuildID: g.ID, Type: ChannelText, Name: "off-topic", Position: 3, ParentID: text.ID}
	voiceCat := &Channel{ID: next(), GuildID: g.ID, Type: ChannelCategory, Name: "Voice Channels", Position: 1}
	lounge := &Channel{ID: next(), GuildID: g.ID, Type: ChannelVoice, Name: "Lounge", ParentID: voiceCat.ID}
	g.Channels = []*Channel{text, general, modlog, news, offTopic, voiceCat, lounge}
	for _, c := range g.Channels {
		w.channels[c.ID] = c
	}
	for i, u := range people {
		m := &Member{User: u, JoinedAt: joined(i)}
		switch {
		case i == 1:
			m.Roles = []Snowflake{admin.ID}
		case i == 2:
			m.Roles = []Snowflake{mod.ID, member.ID}
		case i > 2 && memberRole(i):
			m.Roles = []Snowflake{member.ID}
		}
		g.addMember(m)
	}
	g.BotJoinedAt = botJoined
	g.addMember(&Member{User: w.bot, Roles: []Snowflake{botRole.ID}, JoinedAt: botJoined})
	w.guilds = append(w.guilds, g)
	w.guildByID[g.ID] = g
	return g
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	return string(b)
}
