package logs

import (
	"context"
	"time"

	"github.com/disgoorg/snowflake/v2"
)

// Export is what the module holds about a person, all of it in memory.
type Export struct {
	// Messages are their recent messages, kept so that an edit or a
	// deletion can show what it changed.
	Messages []ExportedMessage `json:"cached_messages"`
	// Members is their last nickname and roles seen, per guild.
	Members []ExportedMember `json:"member_states"`
}

// ExportedMessage is a cached message.
type ExportedMessage struct {
	Guild       snowflake.ID `json:"guild_id"`
	Channel     snowflake.ID `json:"channel_id"`
	ID          snowflake.ID `json:"message_id"`
	Content     string       `json:"content"`
	Attachments int          `json:"attachments,omitempty"`
	Sent        time.Time    `json:"sent"`
	Edited      *time.Time   `json:"edited,omitempty"`
}

// ExportedMember is the last state seen of a member.
type ExportedMember struct {
	Guild    snowflake.ID   `json:"guild_id"`
	Name     string         `json:"name"`
	Nickname string         `json:"nickname,omitempty"`
	Roles    []snowflake.ID `json:"roles,omitempty"`
	Joined   *time.Time     `json:"joined,omitempty"`
}

// ExportUser returns the user's cached messages and member states.
func (m *Module) ExportUser(_ context.Context, user snowflake.ID) (any, error) {
	out := Export{Messages: []ExportedMessage{}, Members: []ExportedMember{}}
	if m.messages == nil {
		return out, nil
	}
	for _, c := range m.messages.collect(m.clock.Now(), func(c *cachedMessage) bool { return c.author == user && !c.automated }) {
		e := ExportedMessage{Guild: c.guild, Channel: c.channel, ID: c.id, Content: c.content, Attachments: c.attachments, Sent: c.id.Time()}
		if !c.edited.IsZero() {
			edited := c.edited
			e.Edited = &edited
		}
		out.Messages = append(out.Messages, e)
	}
	for _, s := range m.members.collect(func(k memberKey) bool { return k.user == user }) {
		e := ExportedMember{Guild: s.key.guild, Name: s.name, Nickname: s.nick, Roles: s.roles}
		if !s.joined.IsZero() {
			joined := s.joined
			e.Joined = &joined
		}
		out.Members = append(out.Members, e)
	}
	return out, nil
}

// DeleteUser forgets the user's cached messages and member states. A
// later deletion of one of those messages is logged as not in cache.
func (m *Module) DeleteUser(_ context.Context, user snowflake.ID) error {
	if m.messages == nil {
		return nil
	}
	m.messages.dropWhere(func(c *cachedMessage) bool { return c.author == user && !c.automated })
	m.members.dropWhere(func(k memberKey) bool { return k.user == user })
	return nil
}

// DeleteGuild forgets everything cached of a guild the bot left. The
// module stores nothing else: its settings belong to the host's store.
func (m *Module) DeleteGuild(_ context.Context, guild snowflake.ID) error {
	m.forgetGuild(guild)
	return nil
}

// forgetGuild drops a guild's cached messages, member states and
// warnings; it runs as soon as the bot leaves the guild, since nothing
// more can be logged there.
func (m *Module) forgetGuild(guild snowflake.ID) {
	if m.messages == nil {
		return
	}
	m.messages.dropWhere(func(c *cachedMessage) bool { return c.guild == guild })
	m.members.dropWhere(func(k memberKey) bool { return k.guild == guild })
	m.warnMu.Lock()
	delete(m.warned, guild)
	m.warnMu.Unlock()
}
