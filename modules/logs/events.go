package logs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bus"
	"github.com/hearthbot/hearth/ratelimit"
)

// Queue sizes. Logs can lose an event under overload (DropOldest, and
// the bus counts the drops in hearth_bus_dropped_total) rather than slow
// down the gateway and every other module: the queues are large so that
// only a real overload loses any. Message creations are by far the most
// frequent and only fill the cache.
const (
	createdQueue = 16384
	eventQueue   = 4096
)

// freshEdit is how recent an edit of a message not in the cache must be
// to be logged: Discord also sends MESSAGE_UPDATE when a message is
// pinned or its link previews load, with the edit time of its last real
// edit, and an old edit time means it is one of those.
const freshEdit = 5 * time.Minute

func (m *Module) subscribe(h *bot.Host) error {
	subs := []error{
		bot.SubscribeWith(h, bot.TopicMessageCreated, bus.Options{Name: "messages.created", Policy: bus.DropOldest, Queue: createdQueue}, m.onMessage),
		bot.SubscribeWith(h, bot.TopicMessageEdited, bus.Options{Name: "messages.edited", Policy: bus.DropOldest, Queue: eventQueue}, m.onEdit),
		bot.SubscribeWith(h, bot.TopicMessageDeleted, bus.Options{Name: "messages.deleted", Policy: bus.DropOldest, Queue: eventQueue}, m.onDelete),
		bot.SubscribeWith(h, bot.TopicMessagesBulkDeleted, bus.Options{Name: "messages.bulk_deleted", Policy: bus.DropOldest, Queue: eventQueue}, m.onBulkDelete),
		bot.SubscribeWith(h, bot.TopicMemberJoined, bus.Options{Name: "members.joined", Policy: bus.DropOldest, Queue: eventQueue}, m.onJoin),
		bot.SubscribeWith(h, bot.TopicMemberLeft, bus.Options{Name: "members.left", Policy: bus.DropOldest, Queue: eventQueue}, m.onLeave),
		bot.SubscribeWith(h, bot.TopicMemberUpdated, bus.Options{Name: "members.updated", Policy: bus.DropOldest, Queue: eventQueue}, m.onMemberUpdate),
		bot.Subscribe(h, bot.TopicGuildLeft, "guilds.left", bus.DropOldest, func(_ context.Context, e bot.GuildLeft) error {
			m.forgetGuild(e.GuildID)
			return nil
		}),
	}
	for _, err := range subs {
		if err != nil {
			return err
		}
	}
	return nil
}

// guildSettings reads a guild's settings; ok is false when they cannot
// be read (warned about once).
func (m *Module) guildSettings(ctx context.Context, guild snowflake.ID) (Settings, bool) {
	s, err := m.settingsOf(ctx, guild)
	if err != nil {
		m.warnOnce(guild, "its logs settings cannot be read, so nothing is logged: "+err.Error())
		return Settings{}, false
	}
	return s, true
}

// content reports whether the bot can read what messages say.
func (m *Module) content() bool { return m.intents().Has(gateway.IntentMessageContent) }

// onMessage caches a new message of a guild whose messages are logged.
// Messages of bots, webhooks and the bot itself are remembered by ID
// only, so that their deletion is not logged.
func (m *Module) onMessage(ctx context.Context, e bot.MessageCreated) error {
	if e.GuildID != 0 {
		m.cacheMessage(ctx, e)
	}
	for _, p := range m.late.advance(e.ID) {
		p.run(ctx)
	}
	return nil
}

func (m *Module) cacheMessage(ctx context.Context, e bot.MessageCreated) {
	s, ok := m.guildSettings(ctx, e.GuildID)
	if !ok || !s.logsMessagesIn(e.ChannelID) {
		return
	}
	msg := cachedMessage{id: e.ID, guild: e.GuildID, channel: e.ChannelID}
	if e.Origin.Human() {
		msg.author, msg.name, msg.content, msg.attachments = e.Author.ID, displayName(e.Author), e.Content, e.Attachments
	} else {
		msg.automated = true
	}
	m.messages.insert(msg, m.clock.Now())
}

// onEdit logs an edit by a person, with the content it replaced.
func (m *Module) onEdit(ctx context.Context, e bot.MessageEdited) error {
	if e.GuildID == 0 || !e.Origin.Human() {
		return nil
	}
	s, ok := m.guildSettings(ctx, e.GuildID)
	if !ok || !s.logsMessagesIn(e.ChannelID) {
		return nil
	}
	m.edited(ctx, s, e, true)
	return nil
}

// edited logs an edit; mayWait lets an edit of a message not in the
// cache wait for its creation to be handled.
func (m *Module) edited(ctx context.Context, s Settings, e bot.MessageEdited, mayWait bool) {
	now, content := m.clock.Now(), m.content()
	before, ok := m.messages.edit(e.ID, e.Content, e.EditedAt, now)
	if !ok && mayWait {
		if m.late.park(e.ID, func(ctx context.Context) { m.edited(ctx, s, e, false) }) {
			return
		}
		before, ok = m.messages.edit(e.ID, e.Content, e.EditedAt, now)
	}
	entry := editedEntry{guild: e.GuildID, channel: e.ChannelID, message: e.ID, author: e.Author.ID,
		name: displayName(e.Author), after: e.Content, content: content, at: now}
	switch {
	case ok && before.automated:
		return
	case ok && content && before.content == e.Content:
		return // a pin, a link preview: not an edit
	case ok && !content && (e.EditedAt.IsZero() || e.EditedAt.Equal(before.edited)):
		return
	case ok:
		entry.before, entry.beforeKnown = before.content, true
	default:
		if e.EditedAt.IsZero() || now.Sub(e.EditedAt) > freshEdit {
			return // not a new edit
		}
		// Cache it now, so that its next edit or its deletion shows
		// this version.
		m.messages.insert(cachedMessage{id: e.ID, guild: e.GuildID, channel: e.ChannelID, author: e.Author.ID,
			name: entry.name, content: e.Content, edited: e.EditedAt}, now)
		entry.missReason = m.missReason(e.ID, now)
	}
	m.post(ctx, e.GuildID, s.Channel, entry.entry())
}

// onDelete logs a deletion with the cached content.
func (m *Module) onDelete(ctx context.Context, e bot.MessageDeleted) error {
	if e.GuildID == 0 {
		return nil
	}
	s, ok := m.guildSettings(ctx, e.GuildID)
	if !ok || !s.logsMessagesIn(e.ChannelID) {
		return nil
	}
	m.deleted(ctx, s, e, true)
	return nil
}

func (m *Module) deleted(ctx context.Context, s Settings, e bot.MessageDeleted, mayWait bool) {
	now := m.clock.Now()
	msg, ok := m.messages.remove(e.ID, now)
	if !ok && mayWait {
		if m.late.park(e.ID, func(ctx context.Context) { m.deleted(ctx, s, e, false) }) {
			return
		}
		msg, ok = m.messages.remove(e.ID, now)
	}
	entry := deletedEntry{channel: e.ChannelID, message: e.ID, content: m.content(), at: now}
	switch {
	case ok && msg.automated:
		return
	case ok:
		entry.cached = &msg
	default:
		entry.missReason = m.missReason(e.ID, now)
	}
	m.post(ctx, e.GuildID, s.Channel, entry.entry())
}

// onBulkDelete logs a bulk deletion as one summary.
func (m *Module) onBulkDelete(ctx context.Context, e bot.MessagesBulkDeleted) error {
	if e.GuildID == 0 || len(e.IDs) == 0 {
		return nil
	}
	s, ok := m.guildSettings(ctx, e.GuildID)
	if !ok || !s.logsMessagesIn(e.ChannelID) {
		return nil
	}
	m.bulkDeleted(ctx, s, e, true)
	return nil
}

func (m *Module) bulkDeleted(ctx context.Context, s Settings, e bot.MessagesBulkDeleted, mayWait bool) {
	if mayWait && m.late.park(slices.Max(e.IDs), func(ctx context.Context) { m.bulkDeleted(ctx, s, e, false) }) {
		return
	}
	now := m.clock.Now()
	entry := bulkEntry{channel: e.ChannelID, content: m.content(), at: now}
	var oldestMissing snowflake.ID
	for _, id := range e.IDs {
		msg, ok := m.messages.remove(id, now)
		switch {
		case ok && msg.automated:
		case ok:
			entry.cached = append(entry.cached, msg)
		default:
			entry.missing++
			if oldestMissing == 0 || id < oldestMissing {
				oldestMissing = id
			}
		}
	}
	if len(entry.cached) == 0 && entry.missing == 0 {
		return // only bots' messages
	}
	if entry.missing > 0 {
		entry.missReason = m.missReason(oldestMissing, now)
	}
	slices.SortFunc(entry.cached, func(a, b cachedMessage) int { return compareIDs(a.id, b.id) })
	m.post(ctx, e.GuildID, s.Channel, entry.entry())
}

func compareIDs(a, b snowflake.ID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// missReason says why a message is not in the cache, as precisely as
// the module can tell.
func (m *Module) missReason(id snowflake.ID, now time.Time) string {
	sent := id.Time()
	_, pushed := m.messages.size()
	switch {
	case m.messages.max == 0:
		return "the message cache is off"
	case now.Sub(sent) > m.cfg.CacheAge:
		return "it is older than " + bot.FormatDuration(m.cfg.CacheAge) + ", the longest the cache keeps messages"
	case sent.Before(m.started):
		return "it was sent before the bot started"
	case pushed:
		return fmt.Sprintf("newer messages pushed it out of the cache, which keeps the last %d", m.messages.max)
	}
	return "the bot did not see it sent (it was offline, or logging was off then)"
}

// onJoin logs a member joining and remembers their state.
func (m *Module) onJoin(ctx context.Context, e bot.MemberJoined) error {
	s, ok := m.guildSettings(ctx, e.GuildID)
	if !ok || !s.tracksMembers() {
		return nil
	}
	m.members.joined(stateOf(e.GuildID, e.Member))
	if s.Members {
		m.post(ctx, e.GuildID, s.Channel, ratelimit.Entry{Content: joinLine(e.Member, m.clock.Now())})
	}
	return nil
}

// onLeave logs a member leaving, with when they joined and their roles
// when known, and forgets them.
func (m *Module) onLeave(ctx context.Context, e bot.MemberLeft) error {
	s, ok := m.guildSettings(ctx, e.GuildID)
	if !ok || !s.tracksMembers() {
		return nil
	}
	known, found := m.members.leave(memberKey{e.GuildID, e.User.ID})
	if !s.Members {
		return nil
	}
	var k *memberState
	if found {
		k = &known
	}
	m.post(ctx, e.GuildID, s.Channel, ratelimit.Entry{Content: leaveLine(e.User, k)})
	return nil
}

// onMemberUpdate logs nickname and role changes: the difference between
// the member's new state and the last one seen.
func (m *Module) onMemberUpdate(ctx context.Context, e bot.MemberUpdated) error {
	s, ok := m.guildSettings(ctx, e.GuildID)
	if !ok || !s.tracksMembers() {
		return nil
	}
	now := stateOf(e.GuildID, e.Member)
	old, known, gone := m.members.updated(now)
	user := e.Member.User.ID
	var lines []string
	switch {
	case gone:
		return nil // handled after the member's leaving
	case !known:
		// The first update seen of this member: what changed is unknown.
		// Say what they are now, when it is something the guild logs.
		if (s.Nicknames && now.nick != "") || (s.Roles && len(now.roles) > 0) {
			lines = append(lines, firstSeenLine(now, user, s.Nicknames, s.Roles))
		}
	default:
		if s.Nicknames && old.nick != now.nick {
			lines = append(lines, nickLine(now.name, user, old.nick, now.nick))
		}
		if s.Roles {
			added, removed := diffRoles(old.roles, now.roles)
			if len(added)+len(removed) > 0 {
				lines = append(lines, rolesLine(now.name, user, added, removed))
			}
		}
	}
	if len(lines) > 0 {
		m.post(ctx, e.GuildID, s.Channel, ratelimit.Entry{Content: strings.Join(lines, "\n")})
	}
	return nil
}

// diffRoles returns the roles in after but not before, and in before but
// not after.
func diffRoles(before, after []snowflake.ID) (added, removed []snowflake.ID) {
	for _, r := range after {
		if !slices.Contains(before, r) {
			added = append(added, r)
		}
	}
	for _, r := range before {
		if !slices.Contains(after, r) {
			removed = append(removed, r)
		}
	}
	return added, removed
}
