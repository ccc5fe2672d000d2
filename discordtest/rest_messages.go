package discordtest

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// botChannel finds a channel the bot can see and checks that the bot has
// every bit of need there. It answers 10003 for an unknown channel, 50001
// when the bot cannot see it and 50013 for a missing permission.
func (s *Server) botChannel(id Snowflake, need uint64) (*Channel, *Guild, *apiError) {
	w := s.world
	ch := w.channels[id]
	if ch == nil {
		return nil, nil, errUnknownChannel
	}
	if ch.Type == ChannelDM {
		return ch, nil, nil
	}
	g := w.guild(ch.GuildID)
	if g == nil || g.Unavailable {
		return nil, nil, errUnknownChannel
	}
	me := w.botMember(g)
	if me == nil {
		return nil, nil, errMissingAccess
	}
	perms := g.permissions(me, ch, w.now)
	if perms&PermViewChannel == 0 {
		return nil, nil, errMissingAccess
	}
	if perms&need != need {
		return nil, nil, errMissingPermissions
	}
	return ch, g, nil
}

// addAudit records an audit log entry. GUILD_AUDIT_LOG_ENTRY_CREATE
// (intent GUILD_MODERATION) goes out only to a bot in the guild with
// VIEW_AUDIT_LOG, as Discord sends it. Callers hold s.mu.
func (s *Server) addAudit(g *Guild, action int, actor, target Snowflake, reason string, changes ...AuditChange) {
	e := &AuditEntry{ID: s.world.newID(), ActionType: action, UserID: actor, TargetID: target, Reason: reason, Changes: changes}
	g.Audit = append(g.Audit, e)
	s.notify()
	me := s.world.botMember(g)
	if me == nil || g.Unavailable || g.basePermissions(me)&PermViewAuditLog == 0 {
		return
	}
	j := e.json()
	gid := g.ID
	j.GuildID = &gid
	s.emit(g.ID, "GUILD_AUDIT_LOG_ENTRY_CREATE", intentGuildModeration, j)
}

func (s *Server) restMessages() {
	s.handle("GET /channels/{channel_id}/messages", authBot, s.listMessages)
	s.handle("GET /channels/{channel_id}/messages/{message_id}", authBot, func(c *call) (int, any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		cid, _ := c.id("channel_id")
		if _, _, err := s.botChannel(cid, PermReadMessageHistory); err != nil {
			return 0, err
		}
		mid, _ := c.id("message_id")
		m := s.world.messages[mid]
		if m == nil || m.ChannelID != cid {
			return 0, errUnknownMessage
		}
		return 200, s.readable(m)
	})
	s.handle("POST /channels/{channel_id}/messages", authBot, s.createChannelMessage)
	s.handle("PATCH /channels/{channel_id}/messages/{message_id}", authBot, s.editChannelMessage)
	s.handle("DELETE /channels/{channel_id}/messages/{message_id}", authBot, s.deleteChannelMessage)
	s.handle("POST /channels/{channel_id}/messages/bulk-delete", authBot, s.bulkDelete)

	s.handle("PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", authBot, func(c *call) (int, any) {
		return s.react(c, true, 0)
	})
	s.handle("DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me", authBot, func(c *call) (int, any) {
		return s.react(c, false, 0)
	})
	s.handle("DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user_id}", authBot, func(c *call) (int, any) {
		uid, ok := c.id("user_id")
		if !ok {
			return 0, errUnknownUser
		}
		return s.react(c, false, uid)
	})
	s.handle("GET /channels/{channel_id}/messages/{message_id}/reactions/{emoji}", authBot, func(c *call) (int, any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		m, emoji, err := s.reactionTarget(c, PermReadMessageHistory)
		if err != nil {
			return 0, err
		}
		out := []userJSON{}
		for _, r := range m.Reactions {
			if r.Emoji == emoji {
				for _, id := range r.Users {
					out = append(out, s.world.users[id].json())
				}
			}
		}
		return 200, out
	})
	s.handle("DELETE /channels/{channel_id}/messages/{message_id}/reactions", authBot, func(c *call) (int, any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		cid, _ := c.id("channel_id")
		_, g, err := s.botChannel(cid, PermManageMessages)
		if err != nil {
			return 0, err
		}
		mid, _ := c.id("message_id")
		m := s.world.messages[mid]
		if m == nil || m.ChannelID != cid {
			return 0, errUnknownMessage
		}
		m.Reactions = nil
		s.emit(guildOf(g), "MESSAGE_REACTION_REMOVE_ALL", reactionIntent(g), map[string]any{"channel_id": cid, "message_id": mid, "guild_id": optionalID(guildOf(g))})
		return 204, nil
	})
}

func guildOf(g *Guild) Snowflake {
	if g == nil {
		return 0
	}
	return g.ID
}

func optionalID(id Snowflake) any {
	if id == 0 {
		return nil
	}
	return id
}

func reactionIntent(g *Guild) uint64 {
	if g == nil {
		return intentDirectMessageReactions
	}
	return intentGuildMessageReactions
}

// listMessages answers GET /channels/{id}/messages with limit (1-100,
// default 50) and one of before, after or around, newest first.
func (s *Server) listMessages(c *call) (int, any) {
	q := c.r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return 0, formError("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")
		}
		limit = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cid, _ := c.id("channel_id")
	if _, _, err := s.botChannel(cid, PermReadMessageHistory); err != nil {
		return 0, err
	}
	ids := s.world.channelMsgs[cid] // oldest first
	var picked []Snowflake
	switch {
	case q.Get("after") != "":
		after, _ := parseSnowflake(q.Get("after"))
		for _, id := range ids {
			if id > after && len(picked) < limit {
				picked = append(picked, id)
			}
		}
		slices.Reverse(picked)
	case q.Get("around") != "":
		around, _ := parseSnowflake(q.Get("around"))
		i, _ := slices.BinarySearch(ids, around)
		lo := max(0, i-limit/2)
		hi := min(len(ids), lo+limit)
		picked = slices.Clone(ids[lo:hi])
		slices.Reverse(picked)
	default:
		before := Snowflake(1<<64 - 1)
		if v := q.Get("before"); v != "" {
			before, _ = parseSnowflake(v)
		}
		for i := len(ids) - 1; i >= 0 && len(picked) < limit; i-- {
			if ids[i] < before {
				picked = append(picked, ids[i])
			}
		}
	}
	out := make([]messageJSON, 0, len(picked))
	for _, id := range picked {
		out = append(out, s.readable(s.world.messages[id]))
	}
	return 200, out
}

func (s *Server) createChannelMessage(c *call) (int, any) {
	in, err := readMessageInput(c)
	if err != nil {
		return 0, err
	}
	if err := in.validate(true); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cid, _ := c.id("channel_id")
	need := PermSendMessages
	if len(in.files) > 0 {
		need |= PermAttachFiles
	}
	ch, g, aerr := s.botChannel(cid, need)
	if aerr != nil {
		return 0, aerr
	}
	if ch.Type == ChannelCategory {
		return 0, &apiError{Status: 400, Code: 50008, Message: "Cannot send messages in a non-text channel"}
	}
	if ch.Type == ChannelDM {
		if u := s.world.users[ch.Recipient]; u != nil && u.RefusesDMs {
			return 0, errCannotDM
		}
	}
	m := &Message{ID: s.world.newID(), ChannelID: cid, GuildID: ch.GuildID, Author: s.world.bot}
	s.world.applyInput(m, &in)
	if in.Flags != nil {
		m.Flags = *in.Flags & (1<<2 | 1<<12) // SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS
	}
	if ref := in.MessageReference; ref != nil {
		target := s.world.messages[ref.MessageID]
		if target == nil || target.ChannelID != cid {
			return 0, formError("message_reference", "REPLIES_UNKNOWN_MESSAGE", "Unknown message")
		}
		m.ReferenceID, m.Type = target.ID, 19
	}
	canEveryone := g == nil || g.permissions(s.world.botMember(g), ch, s.world.now)&PermMentionEveryone != 0
	s.world.applyMentions(m, in.AllowedMentions, canEveryone)
	if m.ReferenceID != 0 && (in.AllowedMentions == nil || in.AllowedMentions.RepliedUser) {
		author := s.world.messages[m.ReferenceID].Author.ID
		if !slices.Contains(m.Pinged, author) {
			m.Pinged = append(m.Pinged, author)
		}
	}
	s.world.addMessage(m)
	s.emitMessage("MESSAGE_CREATE", m)
	s.notify()
	return 200, m.json(s.world, false)
}

func (s *Server) editChannelMessage(c *call) (int, any) {
	in, err := readMessageInput(c)
	if err != nil {
		return 0, err
	}
	if err := in.validate(false); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cid, _ := c.id("channel_id")
	ch, g, aerr := s.botChannel(cid, 0)
	if aerr != nil {
		return 0, aerr
	}
	mid, _ := c.id("message_id")
	m := s.world.messages[mid]
	if m == nil || m.ChannelID != cid {
		return 0, errUnknownMessage
	}
	if m.Author.ID != s.world.bot.ID {
		return 0, &apiError{Status: 403, Code: 50005, Message: "Cannot edit a message authored by another user"}
	}
	s.world.applyInput(m, &in)
	m.EditedAt = c.now
	canEveryone := g == nil || g.permissions(s.world.botMember(g), ch, s.world.now)&PermMentionEveryone != 0
	s.world.applyMentions(m, in.AllowedMentions, canEveryone)
	s.emitMessage("MESSAGE_UPDATE", m)
	s.notify()
	return 200, m.json(s.world, false)
}

func (s *Server) deleteChannelMessage(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cid, _ := c.id("channel_id")
	_, g, aerr := s.botChannel(cid, 0)
	if aerr != nil {
		return 0, aerr
	}
	mid, _ := c.id("message_id")
	m := s.world.messages[mid]
	if m == nil || m.ChannelID != cid {
		return 0, errUnknownMessage
	}
	if m.Author.ID != s.world.bot.ID {
		if g == nil {
			return 0, &apiError{Status: 403, Code: 50003, Message: "Cannot execute action on a DM channel"}
		}
		if g.permissions(s.world.botMember(g), s.world.channels[cid], s.world.now)&PermManageMessages == 0 {
			return 0, errMissingPermissions
		}
	}
	s.world.deleteMessage(m)
	s.emit(guildOf(g), "MESSAGE_DELETE", messageIntent(g), map[string]any{"id": mid, "channel_id": cid, "guild_id": optionalID(guildOf(g))})
	if g != nil && m.Author.ID != s.world.bot.ID {
		s.addAudit(g, AuditMessageDelete, s.world.bot.ID, m.Author.ID, c.reason(), AuditChange{Key: "channel_id", New: cid.String()})
	}
	s.notify()
	return 204, nil
}

func messageIntent(g *Guild) uint64 {
	if g == nil {
		return intentDirectMessages
	}
	return intentGuildMessages
}

// bulkDelete answers POST /channels/{id}/messages/bulk-delete (contract
// A.1.21): 2 to 100 unique IDs, none older than two weeks, guild channels
// only, MANAGE_MESSAGES; unknown IDs count toward the bounds.
func (s *Server) bulkDelete(c *call) (int, any) {
	var body struct {
		Messages []Snowflake `json:"messages"`
	}
	if err := c.decode(&body); err != nil {
		return 0, err
	}
	switch n := len(body.Messages); {
	case n < 2:
		return 0, formError("messages", "BASE_TYPE_MIN_LENGTH", "Must be 2 or more in length.")
	case n > 100:
		return 0, formError("messages", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
	}
	seen := map[Snowflake]bool{}
	for _, id := range body.Messages {
		if seen[id] {
			return 0, formError("messages", "BASE_TYPE_BAD_SET", "Duplicate value in set.")
		}
		seen[id] = true
		if c.now.Sub(id.Time()) > 14*24*time.Hour {
			return 0, &apiError{Status: 400, Code: 50034, Message: "You can only bulk delete messages that are under 14 days old."}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cid, _ := c.id("channel_id")
	ch := s.world.channels[cid]
	if ch != nil && ch.Type == ChannelDM {
		return 0, &apiError{Status: 403, Code: 50003, Message: "Cannot execute action on a DM channel"}
	}
	_, g, aerr := s.botChannel(cid, PermManageMessages)
	if aerr != nil {
		return 0, aerr
	}
	var deleted []Snowflake
	for _, id := range body.Messages {
		if m := s.world.messages[id]; m != nil && m.ChannelID == cid {
			s.world.deleteMessage(m)
			deleted = append(deleted, id)
		}
	}
	if len(deleted) > 0 {
		s.emit(g.ID, "MESSAGE_DELETE_BULK", intentGuildMessages, map[string]any{"ids": deleted, "channel_id": cid, "guild_id": g.ID})
		s.addAudit(g, AuditMessageBulkDelete, s.world.bot.ID, cid, c.reason(), AuditChange{Key: "count", New: len(deleted)})
	}
	s.notify()
	return 204, nil
}

// reactionTarget resolves the message and emoji of a reaction route. The
// emoji must arrive URL-encoded (contract A.1.22): raw non-ASCII in the
// request line, or an unknown custom emoji, is 10014.
func (s *Server) reactionTarget(c *call, need uint64) (*Message, string, *apiError) {
	if c.r.URL.RawPath == "" && strings.ContainsFunc(c.r.RequestURI, func(r rune) bool { return r >= utf8.RuneSelf }) {
		return nil, "", errUnknownEmoji
	}
	emoji, err := url.PathUnescape(c.r.PathValue("emoji"))
	if err != nil || emoji == "" || !validEmoji(emoji) {
		return nil, "", errUnknownEmoji
	}
	cid, _ := c.id("channel_id")
	if _, _, aerr := s.botChannel(cid, need); aerr != nil {
		return nil, "", aerr
	}
	mid, _ := c.id("message_id")
	m := s.world.messages[mid]
	if m == nil || m.ChannelID != cid {
		return nil, "", errUnknownMessage
	}
	return m, emoji, nil
}

// validEmoji accepts a unicode emoji (anything with a non-ASCII rune and
// no colon). Custom emojis ("name:id") are unknown: seeded guilds have none.
func validEmoji(e string) bool {
	if strings.Contains(e, ":") {
		return false
	}
	return strings.ContainsFunc(e, func(r rune) bool { return r >= utf8.RuneSelf })
}

// react adds (add true) or removes the bot's reaction, or removes user's.
func (s *Server) react(c *call, add bool, user Snowflake) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	need := PermReadMessageHistory
	if add {
		need |= PermAddReactions
	}
	if user != 0 && user != s.world.bot.ID {
		need |= PermManageMessages
	} else {
		user = s.world.bot.ID
	}
	m, emoji, err := s.reactionTarget(c, need)
	if err != nil {
		return 0, err
	}
	var g *Guild
	if m.GuildID != 0 {
		g = s.world.guild(m.GuildID)
	}
	if !s.world.setReaction(m, emoji, user, add) {
		return 204, nil
	}
	s.emitReaction(g, m, emoji, user, add)
	return 204, nil
}

// setReaction adds or removes one user's reaction; it reports whether
// anything changed.
func (w *world) setReaction(m *Message, emoji string, user Snowflake, add bool) bool {
	for i := range m.Reactions {
		r := &m.Reactions[i]
		if r.Emoji != emoji {
			continue
		}
		has := slices.Contains(r.Users, user)
		switch {
		case add && !has:
			r.Users = append(r.Users, user)
			return true
		case !add && has:
			r.Users = slices.DeleteFunc(r.Users, func(x Snowflake) bool { return x == user })
			if len(r.Users) == 0 {
				m.Reactions = append(m.Reactions[:i:i], m.Reactions[i+1:]...)
			}
			return true
		}
		return false
	}
	if !add {
		return false
	}
	m.Reactions = append(m.Reactions, Reaction{Emoji: emoji, Users: []Snowflake{user}})
	return true
}

func (s *Server) emitReaction(g *Guild, m *Message, emoji string, user Snowflake, add bool) {
	d := map[string]any{"user_id": user, "channel_id": m.ChannelID, "message_id": m.ID, "emoji": json.RawMessage(emojiJSON(emoji))}
	typ := "MESSAGE_REACTION_REMOVE"
	if add {
		typ = "MESSAGE_REACTION_ADD"
		d["message_author_id"] = m.Author.ID
		d["burst"] = false
		d["type"] = 0
	}
	if g != nil {
		d["guild_id"] = g.ID
		if add {
			if mem := g.Members[user]; mem != nil {
				d["member"] = mem.json(true)
			}
		}
	}
	s.emit(guildOf(g), typ, reactionIntent(g), d)
}
