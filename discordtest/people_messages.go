package discordtest

import (
	"fmt"
	"slices"
)

// personInChannel finds a member who can see a guild channel.
func (s *Server) personInChannel(guild, channel, user Snowflake, need uint64) (*Guild, *Channel, *Member, error) {
	g := s.world.guild(guild)
	if g == nil {
		return nil, nil, nil, fmt.Errorf("discordtest: no guild %s", guild)
	}
	ch := g.channel(channel)
	if ch == nil {
		return nil, nil, nil, fmt.Errorf("discordtest: no channel %s in guild %s", channel, guild)
	}
	m := g.Members[user]
	if m == nil {
		return nil, nil, nil, fmt.Errorf("discordtest: user %s is not a member of guild %s", user, guild)
	}
	if g.permissions(m, ch, s.world.now)&need != need {
		return nil, nil, nil, fmt.Errorf("discordtest: %s may not do that in #%s: missing permissions %s", m.User.Username, ch.Name, permList(need&^g.permissions(m, ch, s.world.now)))
	}
	return g, ch, m, nil
}

func permList(bits uint64) string {
	var names []string
	for b, n := range permNames {
		if bits&b != 0 {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return fmt.Sprintf("%#x", bits)
	}
	return fmt.Sprint(names)
}

// SendMessage posts a message as a member, as a person typing in the
// client: it is stored and MESSAGE_CREATE is dispatched (blanked for
// sessions without MESSAGE_CONTENT unless it mentions the bot).
func (s *Server) SendMessage(guild, channel, member Snowflake, text string) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ch, m, err := s.personInChannel(guild, channel, member, PermViewChannel|PermSendMessages)
	if err != nil {
		return Message{}, err
	}
	if text == "" || len([]rune(text)) > 2000 {
		return Message{}, fmt.Errorf("discordtest: message text must be 1 to 2000 characters; got %d", len([]rune(text)))
	}
	msg := &Message{ID: s.world.newID(), ChannelID: ch.ID, GuildID: g.ID, Author: m.User, Content: text}
	s.world.applyMentions(msg, nil, g.permissions(m, ch, s.world.now)&PermMentionEveryone != 0)
	s.world.addMessage(msg)
	s.emitMessage("MESSAGE_CREATE", msg)
	return copyMessage(msg), nil
}

// SendDM sends a direct message from a user to the bot (dispatched to
// shard 0 with the DIRECT_MESSAGES intent).
func (s *Server) SendDM(user Snowflake, text string) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.world.users[user]
	if u == nil || u.Bot {
		return Message{}, fmt.Errorf("discordtest: no person with ID %s", user)
	}
	ch := s.world.dmChannel(u)
	msg := &Message{ID: s.world.newID(), ChannelID: ch.ID, Author: u, Content: text}
	s.world.applyMentions(msg, nil, false)
	s.world.addMessage(msg)
	s.emitMessage("MESSAGE_CREATE", msg)
	return copyMessage(msg), nil
}

// EditMessage changes the text of a person's message (MESSAGE_UPDATE).
func (s *Server) EditMessage(message Snowflake, text string) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := s.world.messages[message]
	if msg == nil {
		return Message{}, fmt.Errorf("discordtest: no message %s", message)
	}
	if msg.Author.Bot {
		return Message{}, fmt.Errorf("discordtest: message %s is the bot's; people edit only their own", message)
	}
	msg.Content, msg.EditedAt = text, s.clock.Now()
	s.world.applyMentions(msg, nil, false)
	s.emitMessage("MESSAGE_UPDATE", msg)
	return copyMessage(msg), nil
}

// DeleteMessage deletes a message as its author would (MESSAGE_DELETE).
func (s *Server) DeleteMessage(message Snowflake) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := s.world.messages[message]
	if msg == nil {
		return fmt.Errorf("discordtest: no message %s", message)
	}
	s.world.deleteMessage(msg)
	s.emit(msg.GuildID, "MESSAGE_DELETE", messageIntent(s.world.guild(msg.GuildID)),
		map[string]any{"id": msg.ID, "channel_id": msg.ChannelID, "guild_id": optionalID(msg.GuildID)})
	return nil
}

// React adds (add true) or removes a member's reaction to a message
// (MESSAGE_REACTION_ADD / MESSAGE_REACTION_REMOVE).
func (s *Server) React(member, message Snowflake, emoji string, add bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := s.world.messages[message]
	if msg == nil {
		return fmt.Errorf("discordtest: no message %s", message)
	}
	var g *Guild
	if msg.GuildID != 0 {
		var err error
		need := PermReadMessageHistory
		if add {
			need |= PermAddReactions
		}
		if g, _, _, err = s.personInChannel(msg.GuildID, msg.ChannelID, member, need); err != nil {
			return err
		}
	}
	if s.world.setReaction(msg, emoji, member, add) {
		s.emitReaction(g, msg, emoji, member, add)
	}
	return nil
}
