package discordtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// maxTimeout is the longest timeout Discord accepts.
const maxTimeout = 28 * 24 * time.Hour

var errNotInVoice = &apiError{Status: 400, Code: 40032, Message: "Target user is not connected to voice."}

// restMembers serves the member routes: reading, listing and searching
// members, editing them, their roles, kicks and bans.
func (s *Server) restMembers() {
	s.handle("GET /guilds/{guild_id}/members/{user_id}", authBot, func(c *call) (int, any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		g, _, err := s.botGuild(c, 0)
		if err != nil {
			return 0, err
		}
		m, err := s.targetMember(c, g)
		if err != nil {
			return 0, err
		}
		return 200, m.json(true)
	})
	s.handle("GET /guilds/{guild_id}/members", authBot, s.listMembers)
	s.handle("GET /guilds/{guild_id}/members/search", authBot, s.searchMembers)
	s.handle("PATCH /guilds/{guild_id}/members/{user_id}", authBot, s.editMember)
	s.handle("PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}", authBot, func(c *call) (int, any) {
		return s.memberRole(c, true)
	})
	s.handle("DELETE /guilds/{guild_id}/members/{user_id}/roles/{role_id}", authBot, func(c *call) (int, any) {
		return s.memberRole(c, false)
	})
	s.handle("DELETE /guilds/{guild_id}/members/{user_id}", authBot, s.kickMember)
	s.restBans()
}

// targetMember resolves the {user_id} of a member route: 10013 for a
// user that does not exist, 10007 for one who is not in the guild.
func (s *Server) targetMember(c *call, g *Guild) (*Member, *apiError) {
	uid, err := pathID(c, "user_id")
	if err != nil {
		return nil, err
	}
	if s.world.users[uid] == nil {
		return nil, errUnknownUser
	}
	m := g.Members[uid]
	if m == nil {
		return nil, errUnknownMember
	}
	return m, nil
}

// listMembers answers GET /guilds/{guild_id}/members: ordered by user
// ID, limit 1 to 1000 (default 1), after a user ID. It needs the
// GUILD_MEMBERS privileged intent approved for the application.
func (s *Server) listMembers(c *call) (int, any) {
	limit, err := queryInt(c, "limit", 1, 1, 1000)
	if err != nil {
		return 0, err
	}
	after, err := querySnowflake(c, "after")
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, _, err := s.botGuild(c, 0)
	if err != nil {
		return 0, err
	}
	if s.opts.approvedIntents&IntentGuildMembers == 0 {
		return 0, errMissingAccess
	}
	ids := make([]Snowflake, 0, len(g.Members))
	for id := range g.Members {
		if id > after {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := []memberJSON{}
	for _, id := range ids[:min(limit, len(ids))] {
		out = append(out, g.Members[id].json(true))
	}
	return 200, out
}

// searchMembers answers GET /guilds/{guild_id}/members/search: members
// whose username or nickname starts with query (case-insensitive), limit
// 1 to 1000 (default 1).
func (s *Server) searchMembers(c *call) (int, any) {
	query := c.r.URL.Query().Get("query")
	if query == "" {
		return 0, formError("query", "BASE_TYPE_REQUIRED", "This field is required")
	}
	limit, err := queryInt(c, "limit", 1, 1, 1000)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, _, err := s.botGuild(c, 0)
	if err != nil {
		return 0, err
	}
	q := strings.ToLower(query)
	out := []memberJSON{}
	for _, m := range g.members() {
		if len(out) == limit {
			break
		}
		if strings.HasPrefix(strings.ToLower(m.User.Username), q) || (m.Nick != "" && strings.HasPrefix(strings.ToLower(m.Nick), q)) {
			out = append(out, m.json(true))
		}
	}
	return 200, out
}

// memberEdit is a validated PATCH /guilds/{g}/members/{u} body; absent
// fields are nil or false.
type memberEdit struct {
	nick       *string // "" clears
	roles      []Snowflake
	hasRoles   bool
	timeout    *time.Time // zero clears
	mute, deaf bool       // present
	channel    bool       // channel_id present
}

func readMemberEdit(c *call) (memberEdit, *apiError) {
	var e memberEdit
	f, err := c.bodyFields()
	if err != nil {
		return e, err
	}
	if raw, ok := f["nick"]; ok {
		v := ""
		if !jsonNull(raw) {
			if v, err = fieldString(raw, "nick"); err != nil {
				return e, err
			}
		}
		if utf8.RuneCountInString(v) > 32 {
			return e, formError("nick", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
		}
		e.nick = &v
	}
	if raw, ok := f["roles"]; ok {
		e.hasRoles = true
		if !jsonNull(raw) {
			var list []json.RawMessage
			if jerr := json.Unmarshal(raw, &list); jerr != nil {
				return e, formError("roles", "BASE_TYPE_ARRAY", "Must be an array.")
			}
			for i, r := range list {
				id, err := fieldSnowflake(r, fmt.Sprintf("roles.%d", i))
				if err != nil {
					return e, err
				}
				if !slices.Contains(e.roles, id) {
					e.roles = append(e.roles, id)
				}
			}
		}
	}
	if raw, ok := f["communication_disabled_until"]; ok {
		var t time.Time
		if !jsonNull(raw) {
			v, err := fieldString(raw, "communication_disabled_until")
			if err != nil {
				return e, err
			}
			p, perr := time.Parse(time.RFC3339Nano, v)
			if perr != nil {
				return e, formError("communication_disabled_until", "DATE_TIME_TYPE_PARSE", fmt.Sprintf("Could not parse %s. Should be ISO8601.", v))
			}
			if p.After(c.now.Add(maxTimeout)) {
				return e, formError("communication_disabled_until", "INVALID_COMMUNICATION_DISABLED_TIMESTAMP", "Invalid communication disabled timestamp")
			}
			t = p
		}
		e.timeout = &t
	}
	for _, k := range []string{"mute", "deaf"} {
		if raw, ok := f[k]; ok && !jsonNull(raw) {
			if _, err := fieldBool(raw, k); err != nil {
				return e, err
			}
			if k == "mute" {
				e.mute = true
			} else {
				e.deaf = true
			}
		}
	}
	if _, ok := f["channel_id"]; ok {
		e.channel = true
	}
	return e, nil
}

// mayAssign says whether the bot may give or take role r: 10011 for
// @everyone, 50013 for a managed role or one not below the bot's top role.
func (g *Guild) mayAssign(me *Member, r *Role) *apiError {
	if r == nil || r.ID == g.ID {
		return errUnknownRole
	}
	if r.Managed || (me.User.ID != g.OwnerID && r.Position >= g.topPosition(me)) {
		return errMissingPermissions
	}
	return nil
}

// roleChanges is the $add and $remove audit changes between two role
// lists.
func roleChanges(g *Guild, old, new []Snowflake) []AuditChange {
	list := func(from, minus []Snowflake) []map[string]string {
		var out []map[string]string
		for _, id := range from {
			if !slices.Contains(minus, id) {
				name := ""
				if r := g.role(id); r != nil {
					name = r.Name
				}
				out = append(out, map[string]string{"id": id.String(), "name": name})
			}
		}
		return out
	}
	var changes []AuditChange
	if add := list(new, old); len(add) > 0 {
		changes = append(changes, AuditChange{Key: "$add", New: add})
	}
	if rm := list(old, new); len(rm) > 0 {
		changes = append(changes, AuditChange{Key: "$remove", New: rm})
	}
	return changes
}

// timeString renders a time as the member object does.
func timeString(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// editMember answers PATCH /guilds/{guild_id}/members/{user_id}. Every
// field is checked before anything changes: nick needs MANAGE_NICKNAMES,
// roles MANAGE_ROLES and roles below the bot's top role, a timeout
// MODERATE_MEMBERS and a target that is neither the owner nor an
// administrator; the bot must outrank the target (its own nick and roles
// excepted).
func (s *Server) editMember(c *call) (int, any) {
	e, err := readMemberEdit(c)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, me, err := s.botGuild(c, 0)
	if err != nil {
		return 0, err
	}
	m, err := s.targetMember(c, g)
	if err != nil {
		return 0, err
	}
	perms := g.guildPermissions(me, c.now)
	self := m == me
	outranks := g.outranks(me, m)
	if e.nick != nil {
		need := PermManageNicknames
		if self && perms&PermChangeNickname != 0 {
			need = PermChangeNickname
		}
		if perms&need == 0 || (!self && !outranks) {
			return 0, errMissingPermissions
		}
	}
	if e.hasRoles {
		if perms&PermManageRoles == 0 {
			return 0, errMissingPermissions
		}
		for _, id := range e.roles {
			if r := g.role(id); r == nil || id == g.ID {
				return 0, errUnknownRole
			}
		}
		for _, id := range symmetricDiff(m.Roles, e.roles) {
			if err := g.mayAssign(me, g.role(id)); err != nil {
				return 0, err
			}
		}
		if !self && !outranks && len(symmetricDiff(m.Roles, e.roles)) > 0 {
			return 0, errMissingPermissions
		}
	}
	if e.timeout != nil {
		if perms&PermModerateMembers == 0 || self || !outranks || g.basePermissions(m)&PermAdministrator != 0 {
			return 0, errMissingPermissions
		}
	}
	if e.mute && perms&permMuteMembers == 0 || e.deaf && perms&permDeafenMembers == 0 || e.channel && perms&permMoveMembers == 0 {
		return 0, errMissingPermissions
	}
	if e.mute || e.deaf || e.channel {
		return 0, errNotInVoice // nobody is in a voice channel in the emulator
	}

	var changes []AuditChange
	if e.nick != nil && *e.nick != m.Nick {
		changes = append(changes, AuditChange{Key: "nick", Old: emptyNil(m.Nick), New: emptyNil(*e.nick)})
		m.Nick = *e.nick
	}
	if e.timeout != nil && !e.timeout.Equal(m.CommunicationDisabledUntil) {
		changes = append(changes, AuditChange{Key: "communication_disabled_until",
			Old: timeString(m.CommunicationDisabledUntil), New: timeString(*e.timeout)})
		m.CommunicationDisabledUntil = *e.timeout
	}
	var roleAudit []AuditChange
	if e.hasRoles {
		roleAudit = roleChanges(g, m.Roles, e.roles)
		if len(roleAudit) > 0 {
			m.Roles = slices.Clone(e.roles)
		}
	}
	if len(changes) == 0 && len(roleAudit) == 0 {
		return 200, m.json(true)
	}
	s.guildEvent(g, "GUILD_MEMBER_UPDATE", intentGuildMembers, memberEvent(g, m))
	if len(changes) > 0 {
		s.addAudit(g, AuditMemberUpdate, me.User.ID, m.User.ID, c.reason(), changes...)
	}
	if len(roleAudit) > 0 {
		s.addAudit(g, AuditMemberRoleUpdate, me.User.ID, m.User.ID, c.reason(), roleAudit...)
	}
	return 200, m.json(true)
}

// symmetricDiff lists the IDs in exactly one of a and b.
func symmetricDiff(a, b []Snowflake) []Snowflake {
	var out []Snowflake
	for _, id := range a {
		if !slices.Contains(b, id) {
			out = append(out, id)
		}
	}
	for _, id := range b {
		if !slices.Contains(a, id) {
			out = append(out, id)
		}
	}
	return out
}

// memberRole answers PUT (add) and DELETE /guilds/{g}/members/{u}/roles/{r}:
// MANAGE_ROLES, a role below the bot's top role and not managed, and a
// target the bot outranks (or the bot itself); 204.
func (s *Server) memberRole(c *call, add bool) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, me, err := s.botGuild(c, PermManageRoles)
	if err != nil {
		return 0, err
	}
	m, err := s.targetMember(c, g)
	if err != nil {
		return 0, err
	}
	rid, err := pathID(c, "role_id")
	if err != nil {
		return 0, err
	}
	if err := g.mayAssign(me, g.role(rid)); err != nil {
		return 0, err
	}
	if m != me && !g.outranks(me, m) {
		return 0, errMissingPermissions
	}
	if m.hasRole(rid) == add {
		return 204, nil
	}
	old := slices.Clone(m.Roles)
	if add {
		m.Roles = append(m.Roles, rid)
	} else {
		m.Roles = slices.DeleteFunc(m.Roles, func(id Snowflake) bool { return id == rid })
	}
	s.guildEvent(g, "GUILD_MEMBER_UPDATE", intentGuildMembers, memberEvent(g, m))
	s.addAudit(g, AuditMemberRoleUpdate, me.User.ID, m.User.ID, c.reason(), roleChanges(g, old, m.Roles)...)
	return 204, nil
}

// kickMember answers DELETE /guilds/{guild_id}/members/{user_id}:
// KICK_MEMBERS and a target the bot outranks; 204.
func (s *Server) kickMember(c *call) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, me, err := s.botGuild(c, PermKickMembers)
	if err != nil {
		return 0, err
	}
	m, err := s.targetMember(c, g)
	if err != nil {
		return 0, err
	}
	if !g.outranks(me, m) {
		return 0, errMissingPermissions
	}
	g.removeMember(m.User.ID)
	s.guildEvent(g, "GUILD_MEMBER_REMOVE", intentGuildMembers, map[string]any{"guild_id": g.ID, "user": m.User.json()})
	s.addAudit(g, AuditMemberKick, me.User.ID, m.User.ID, c.reason())
	return 204, nil
}
