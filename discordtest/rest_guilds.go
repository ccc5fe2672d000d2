package discordtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Audit log action types recorded by the guild routes and the people
// actions, besides those in world.go.
const (
	AuditChannelOverwriteCreate = 13
	AuditChannelOverwriteDelete = 15
	AuditBotAdd                 = 28
	AuditRoleCreate             = 30
	AuditRoleUpdate             = 31
	AuditRoleDelete             = 32
)

// Permission bits that only the member routes need.
const (
	permMuteMembers   uint64 = 1 << 22
	permDeafenMembers uint64 = 1 << 23
	permMoveMembers   uint64 = 1 << 24
)

// intentGuildMembers gates GUILD_MEMBER_ADD, _UPDATE and _REMOVE.
const intentGuildMembers = IntentGuildMembers

// restGuilds serves the guild itself, its channels and roles, the audit
// log and the bot's DM channels.
func (s *Server) restGuilds() {
	s.handle("GET /guilds/{guild_id}", authBot, s.getGuild)
	s.handle("PATCH /guilds/{guild_id}", authBot, s.editGuild)
	s.handle("GET /guilds/{guild_id}/channels", authBot, func(c *call) (int, any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		g, _, err := s.botGuild(c, 0)
		if err != nil {
			return 0, err
		}
		out := make([]channelJSON, 0, len(g.Channels))
		for _, ch := range g.Channels {
			out = append(out, ch.json(s.world))
		}
		return 200, out
	})
	s.handle("GET /guilds/{guild_id}/roles", authBot, func(c *call) (int, any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		g, _, err := s.botGuild(c, 0)
		if err != nil {
			return 0, err
		}
		out := make([]roleJSON, 0, len(g.Roles))
		for _, r := range g.Roles {
			out = append(out, r.json())
		}
		return 200, out
	})
	s.handle("GET /guilds/{guild_id}/audit-logs", authBot, s.getAuditLog)
	s.handle("POST /users/@me/channels", authBot, s.createDM)
}

// getGuild answers GET /guilds/{guild_id}. Since 2023 Discord answers
// 10004 both for a guild that does not exist and for one the bot is not
// in (discord/discord-api-docs#5840), unlike the guild's sub-routes.
func (s *Server) getGuild(c *call) (int, any) {
	withCounts := false
	if v := c.r.URL.Query().Get("with_counts"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return 0, formError("with_counts", "BOOLEAN_TYPE_COERCE", fmt.Sprintf("Value %q is not a valid boolean.", v))
		}
		withCounts = b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, _, err := s.botGuild(c, 0)
	if err == errMissingAccess {
		return 0, errUnknownGuild
	}
	if err != nil {
		return 0, err
	}
	j := g.restJSON()
	if withCounts {
		members, presences := len(g.Members), 0
		j.ApproximateMemberCount, j.ApproximatePresenceCount = &members, &presences
	}
	return 200, j
}

// botGuild resolves the guild of a /guilds/{guild_id}/… route for the bot
// and checks that the bot has every bit of need guild-wide. Discord
// answers 10004 for a guild that does not exist (or is in an outage),
// 50001 for a guild the bot is not in and 50013 for a missing permission.
// Callers hold s.mu.
func (s *Server) botGuild(c *call, need uint64) (*Guild, *Member, *apiError) {
	id, err := pathID(c, "guild_id")
	if err != nil {
		return nil, nil, err
	}
	g := s.world.guild(id)
	if g == nil || g.Unavailable {
		return nil, nil, errUnknownGuild
	}
	me := s.world.botMember(g)
	if me == nil {
		return nil, nil, errMissingAccess
	}
	if g.guildPermissions(me, c.now)&need != need {
		return nil, nil, errMissingPermissions
	}
	return g, me, nil
}

// guildPermissions is basePermissions less what a timeout takes away.
func (g *Guild) guildPermissions(m *Member, now time.Time) uint64 {
	perms := g.basePermissions(m)
	if m.timedOut(now) {
		perms &= PermViewChannel | PermReadMessageHistory
	}
	return perms
}

// guildEvent dispatches a guild event unless the bot would not get it:
// when it is not in the guild or the guild is in an outage. Callers hold
// s.mu.
func (s *Server) guildEvent(g *Guild, typ string, intents uint64, data any) {
	if s.world.botMember(g) == nil || g.Unavailable {
		s.notify()
		return
	}
	s.emit(g.ID, typ, intents, data)
}

// memberEvent is the payload of GUILD_MEMBER_ADD and GUILD_MEMBER_UPDATE:
// the member with its user and guild_id.
func memberEvent(g *Guild, m *Member) memberJSON {
	j := m.json(true)
	gid := g.ID
	j.GuildID = &gid
	return j
}

// --- Reading paths, queries and bodies as Discord validates them ---

// pathID parses a snowflake path value; a malformed one is a 50035
// naming it.
func pathID(c *call, name string) (Snowflake, *apiError) {
	raw := c.r.PathValue(name)
	id, err := parseSnowflake(raw)
	if err != nil {
		return 0, formError(name, "NUMBER_TYPE_COERCE", fmt.Sprintf("Value %q is not snowflake.", raw))
	}
	return id, nil
}

// queryInt reads an integer query parameter between lo and hi, def when
// absent.
func queryInt(c *call, name string, def, lo, hi int) (int, *apiError) {
	v, ok := c.r.URL.Query()[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v[0])
	if err != nil {
		return 0, formError(name, "NUMBER_TYPE_COERCE", fmt.Sprintf("Value %q is not int.", v[0]))
	}
	return checkRange(name, n, lo, hi)
}

func checkRange(field string, n, lo, hi int) (int, *apiError) {
	switch {
	case n < lo:
		return 0, formError(field, "NUMBER_TYPE_MIN", fmt.Sprintf("int value should be greater than or equal to %d.", lo))
	case n > hi:
		return 0, formError(field, "NUMBER_TYPE_MAX", fmt.Sprintf("int value should be less than or equal to %d.", hi))
	}
	return n, nil
}

// querySnowflake reads a snowflake query parameter; 0 when absent.
func querySnowflake(c *call, name string) (Snowflake, *apiError) {
	v, ok := c.r.URL.Query()[name]
	if !ok {
		return 0, nil
	}
	id, err := parseSnowflake(v[0])
	if err != nil {
		return 0, formError(name, "NUMBER_TYPE_COERCE", fmt.Sprintf("Value %q is not snowflake.", v[0]))
	}
	return id, nil
}

// bodyFields decodes a JSON object body into its fields, so that a handler can
// tell a missing field from a null one.
func (c *call) bodyFields() (map[string]json.RawMessage, *apiError) {
	var f map[string]json.RawMessage
	if err := c.decode(&f); err != nil {
		return nil, err
	}
	if f == nil { // the body was "null"
		return nil, &apiError{Status: 400, Code: 50109, Message: "The request body contains invalid JSON."}
	}
	return f, nil
}

func jsonNull(raw json.RawMessage) bool { return string(raw) == "null" }

// fieldString decodes a string field.
func fieldString(raw json.RawMessage, field string) (string, *apiError) {
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", formError(field, "BASE_TYPE_STRING", fmt.Sprintf("Could not interpret %q as string.", string(raw)))
	}
	return v, nil
}

// fieldInt decodes an integer field, as a JSON number or a numeric string.
func fieldInt(raw json.RawMessage, field string) (int, *apiError) {
	var n int
	if err := json.Unmarshal(raw, &n); err == nil {
		return n, nil
	}
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		if n, err := strconv.Atoi(str); err == nil {
			return n, nil
		}
	}
	return 0, formError(field, "NUMBER_TYPE_COERCE", fmt.Sprintf("Value %q is not int.", strings.Trim(string(raw), `"`)))
}

// fieldBool decodes a boolean field.
func fieldBool(raw json.RawMessage, field string) (bool, *apiError) {
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, formError(field, "BOOLEAN_TYPE_COERCE", fmt.Sprintf("Value %q is not a valid boolean.", string(raw)))
	}
	return b, nil
}

// fieldSnowflake decodes a snowflake field (a string or a number).
func fieldSnowflake(raw json.RawMessage, field string) (Snowflake, *apiError) {
	var id Snowflake
	if err := json.Unmarshal(raw, &id); err != nil {
		return 0, formError(field, "NUMBER_TYPE_COERCE", fmt.Sprintf("Value %q is not snowflake.", strings.Trim(string(raw), `"`)))
	}
	return id, nil
}

// fieldPermissions decodes a permission bitfield: a string of digits, as
// Discord sends them, or a number.
func fieldPermissions(raw json.RawMessage, field string) (uint64, *apiError) {
	var str string
	if err := json.Unmarshal(raw, &str); err != nil {
		str = string(raw)
	}
	v, err := strconv.ParseUint(str, 10, 64)
	if err != nil {
		return 0, formError(field, "NUMBER_TYPE_COERCE", fmt.Sprintf("Value %q is not int.", str))
	}
	return v, nil
}

// --- DM channels ---

// createDM answers POST /users/@me/channels {recipient_id}: the DM
// channel with that user, the same one every time.
func (s *Server) createDM(c *call) (int, any) {
	f, err := c.bodyFields()
	if err != nil {
		return 0, err
	}
	raw, ok := f["recipient_id"]
	if !ok || jsonNull(raw) {
		return 0, formError("recipient_id", "BASE_TYPE_REQUIRED", "This field is required")
	}
	id, err := fieldSnowflake(raw, "recipient_id")
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.world.users[id]
	if u == nil {
		return 0, errUnknownUser
	}
	if u.ID == s.world.bot.ID {
		return 0, errCannotDM
	}
	return 200, s.world.dmChannel(u).json(s.world)
}

// --- Audit log ---

// getAuditLog answers GET /guilds/{guild_id}/audit-logs: VIEW_AUDIT_LOG;
// filters user_id, action_type, before and after; limit 1 to 100 (default
// 50); newest first.
func (s *Server) getAuditLog(c *call) (int, any) {
	limit, err := queryInt(c, "limit", 50, 1, 100)
	if err != nil {
		return 0, err
	}
	userID, err := querySnowflake(c, "user_id")
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
	action, err := queryInt(c, "action_type", 0, 1, 1<<31-1)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, _, err := s.botGuild(c, PermViewAuditLog)
	if err != nil {
		return 0, err
	}
	var picked []*AuditEntry // newest first
	keep := func(e *AuditEntry) bool {
		return (userID == 0 || e.UserID == userID) && (action == 0 || e.ActionType == action) &&
			(before == 0 || e.ID < before) && e.ID > after
	}
	if after != 0 && before == 0 {
		// The page right after `after`, as Discord pages forward.
		for _, e := range g.Audit {
			if keep(e) && len(picked) < limit {
				picked = append(picked, e)
			}
		}
		slices.Reverse(picked)
	} else {
		for i := len(g.Audit) - 1; i >= 0 && len(picked) < limit; i-- {
			if keep(g.Audit[i]) {
				picked = append(picked, g.Audit[i])
			}
		}
	}
	entries := make([]auditEntryJSON, 0, len(picked))
	users := []userJSON{}
	seen := map[Snowflake]bool{}
	addUser := func(id Snowflake) {
		if u := s.world.users[id]; u != nil && !seen[id] {
			seen[id] = true
			users = append(users, u.json())
		}
	}
	for _, e := range picked {
		entries = append(entries, e.json())
		addUser(e.UserID)
		addUser(e.TargetID)
	}
	return 200, map[string]any{
		"audit_log_entries": entries, "users": users, "integrations": []any{}, "webhooks": []any{},
		"guild_scheduled_events": []any{}, "threads": []any{}, "application_commands": []any{},
		"auto_moderation_rules": []any{},
	}
}
