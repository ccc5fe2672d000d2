package discordtest

import (
	"slices"
	"time"
)

// maxBanDeleteSeconds is the most message history a ban may delete: 7 days.
const maxBanDeleteSeconds = 604800

func (s *Server) restBans() {
	s.handle("GET /guilds/{guild_id}/bans", authBot, s.listBans)
	s.handle("GET /guilds/{guild_id}/bans/{user_id}", authBot, func(c *call) (int, any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		g, _, err := s.botGuild(c, PermBanMembers)
		if err != nil {
			return 0, err
		}
		uid, err := pathID(c, "user_id")
		if err != nil {
			return 0, err
		}
		b := g.Bans[uid]
		if b == nil {
			return 0, errUnknownBan
		}
		return 200, banJSON(b)
	})
	s.handle("PUT /guilds/{guild_id}/bans/{user_id}", authBot, s.ban)
	s.handle("DELETE /guilds/{guild_id}/bans/{user_id}", authBot, s.unban)
}

func banJSON(b *Ban) map[string]any {
	return map[string]any{"reason": emptyNil(b.Reason), "user": b.User.json()}
}

// listBans answers GET /guilds/{guild_id}/bans: BAN_MEMBERS; ordered by
// user ID; limit 1 to 1000 (default 1000); before or after a user ID.
func (s *Server) listBans(c *call) (int, any) {
	limit, err := queryInt(c, "limit", 1000, 1, 1000)
	if err != nil {
		return 0, err
	}
	before, err := querySnowflake(c, "before")
	if err != nil {
		return 0, err
	}
	after, err := querySnowflake(c, "after")
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, _, err := s.botGuild(c, PermBanMembers)
	if err != nil {
		return 0, err
	}
	var ids []Snowflake
	for id := range g.Bans {
		if id > after && (before == 0 || id < before) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if before != 0 && after == 0 && len(ids) > limit {
		ids = ids[len(ids)-limit:] // the page right before `before`
	}
	out := []map[string]any{}
	for _, id := range ids[:min(limit, len(ids))] {
		out = append(out, banJSON(g.Bans[id]))
	}
	return 200, out
}

// ban answers PUT /guilds/{guild_id}/bans/{user_id} with an optional
// {delete_message_seconds} (0 to 604800; or the deprecated
// delete_message_days, 0 to 7): BAN_MEMBERS, and a member target must be
// outranked. The member leaves, the user's messages in the guild younger
// than the given seconds are deleted, and the ban is logged with the
// X-Audit-Log-Reason as its reason.
func (s *Server) ban(c *call) (int, any) {
	seconds := 0
	if len(c.body) > 0 {
		f, err := c.bodyFields()
		if err != nil {
			return 0, err
		}
		if raw, ok := f["delete_message_days"]; ok && !jsonNull(raw) {
			days, err := fieldInt(raw, "delete_message_days")
			if err != nil {
				return 0, err
			}
			if _, err := checkRange("delete_message_days", days, 0, 7); err != nil {
				return 0, err
			}
			seconds = days * 86400
		}
		if raw, ok := f["delete_message_seconds"]; ok && !jsonNull(raw) {
			n, err := fieldInt(raw, "delete_message_seconds")
			if err != nil {
				return 0, err
			}
			if seconds, err = checkRange("delete_message_seconds", n, 0, maxBanDeleteSeconds); err != nil {
				return 0, err
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, me, err := s.botGuild(c, PermBanMembers)
	if err != nil {
		return 0, err
	}
	uid, err := pathID(c, "user_id")
	if err != nil {
		return 0, err
	}
	u := s.world.users[uid]
	if u == nil {
		return 0, errUnknownUser
	}
	m := g.Members[uid]
	if m != nil && !g.outranks(me, m) {
		return 0, errMissingPermissions
	}
	if g.Bans[uid] != nil {
		return 204, nil
	}
	g.Bans[uid] = &Ban{User: u, Reason: c.reason()}
	s.guildEvent(g, "GUILD_BAN_ADD", intentGuildModeration, map[string]any{"guild_id": g.ID, "user": u.json()})
	if m != nil {
		g.removeMember(uid)
		s.guildEvent(g, "GUILD_MEMBER_REMOVE", intentGuildMembers, map[string]any{"guild_id": g.ID, "user": u.json()})
	}
	if seconds > 0 {
		s.deleteRecentMessages(g, uid, c.now.Add(-time.Duration(seconds)*time.Second))
	}
	s.addAudit(g, AuditMemberBanAdd, me.User.ID, uid, c.reason())
	return 204, nil
}

// deleteRecentMessages deletes a user's messages in a guild sent after
// since, channel by channel: MESSAGE_DELETE for one, MESSAGE_DELETE_BULK
// for more.
func (s *Server) deleteRecentMessages(g *Guild, user Snowflake, since time.Time) {
	w := s.world
	for _, ch := range g.Channels {
		var ids []Snowflake
		for _, id := range w.channelMsgs[ch.ID] {
			if m := w.messages[id]; m != nil && m.Author.ID == user && id.Time().After(since) {
				ids = append(ids, id)
			}
		}
		for _, id := range ids {
			w.deleteMessage(w.messages[id])
		}
		switch len(ids) {
		case 0:
		case 1:
			s.guildEvent(g, "MESSAGE_DELETE", intentGuildMessages, map[string]any{"id": ids[0], "channel_id": ch.ID, "guild_id": g.ID})
		default:
			s.guildEvent(g, "MESSAGE_DELETE_BULK", intentGuildMessages, map[string]any{"ids": ids, "channel_id": ch.ID, "guild_id": g.ID})
		}
	}
}

// unban answers DELETE /guilds/{guild_id}/bans/{user_id}: BAN_MEMBERS;
// 10026 when the user is not banned; 204.
func (s *Server) unban(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, me, err := s.botGuild(c, PermBanMembers)
	if err != nil {
		return 0, err
	}
	uid, err := pathID(c, "user_id")
	if err != nil {
		return 0, err
	}
	b := g.Bans[uid]
	if b == nil {
		return 0, errUnknownBan
	}
	delete(g.Bans, uid)
	s.guildEvent(g, "GUILD_BAN_REMOVE", intentGuildModeration, map[string]any{"guild_id": g.ID, "user": b.User.json()})
	s.addAudit(g, AuditMemberBanRemove, me.User.ID, uid, c.reason())
	return 204, nil
}
