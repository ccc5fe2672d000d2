package discordtest

import (
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"
)

// Errors of the people actions, for errors.Is.
var (
	// ErrUnknownGuild: no guild has that ID.
	ErrUnknownGuild = errors.New("discordtest: unknown guild")
	// ErrUnknownMember: the user is not a member of the guild.
	ErrUnknownMember = errors.New("discordtest: unknown member")
	// ErrUnknownRole: the guild has no role with that ID.
	ErrUnknownRole = errors.New("discordtest: unknown role")
	// ErrGuildUnavailable: the guild is in an outage (see GuildOutage);
	// nobody can act in it until it is back.
	ErrGuildUnavailable = errors.New("discordtest: guild unavailable")
	// ErrBotNotInGuild: the bot is not in the guild.
	ErrBotNotInGuild = errors.New("discordtest: bot not in guild")
	// ErrNotAllowed: Discord would not let a person do that (the owner
	// leaving, editing @everyone's name, deleting a managed role, ...).
	ErrNotAllowed = errors.New("discordtest: not allowed")
)

// liveGuild finds a guild that people can act in. Callers hold s.mu.
func (s *Server) liveGuild(id Snowflake) (*Guild, error) {
	g := s.world.guild(id)
	if g == nil {
		return nil, fmt.Errorf("%w %s", ErrUnknownGuild, id)
	}
	if g.Unavailable {
		return nil, fmt.Errorf("%w: %s", ErrGuildUnavailable, id)
	}
	return g, nil
}

// MemberJoin makes a new person join a guild, as through an invite: a
// new user with that username and no roles. GUILD_MEMBER_ADD (intent
// GUILD_MEMBERS) carries the member with its guild_id.
func (s *Server) MemberJoin(guild Snowflake, username string) (MemberView, error) {
	if n := utf8.RuneCountInString(username); n < 2 || n > 32 {
		return MemberView{}, fmt.Errorf("discordtest: MemberJoin: username %q must be 2 to 32 characters", username)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.liveGuild(guild)
	if err != nil {
		return MemberView{}, fmt.Errorf("discordtest: MemberJoin: %w", err)
	}
	u := &User{ID: s.world.newID(), Username: username, GlobalName: titleCase(username)}
	s.world.users[u.ID] = u
	m := &Member{User: u, JoinedAt: s.clock.Now()}
	g.addMember(m)
	s.guildEvent(g, "GUILD_MEMBER_ADD", intentGuildMembers, memberEvent(g, m))
	return memberView(m), nil
}

// MemberLeave makes a person leave a guild (GUILD_MEMBER_REMOVE, intent
// GUILD_MEMBERS). The owner cannot leave, and the bot leaves through
// RemoveBotFromGuild.
func (s *Server) MemberLeave(guild, user Snowflake) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.liveGuild(guild)
	if err != nil {
		return fmt.Errorf("discordtest: MemberLeave: %w", err)
	}
	m := g.Members[user]
	switch {
	case m == nil:
		return fmt.Errorf("discordtest: MemberLeave: %w %s in guild %s", ErrUnknownMember, user, guild)
	case user == g.OwnerID:
		return fmt.Errorf("discordtest: MemberLeave: %w: the owner cannot leave guild %s", ErrNotAllowed, guild)
	case user == s.world.bot.ID:
		return fmt.Errorf("discordtest: MemberLeave: %w: the bot leaves with RemoveBotFromGuild", ErrNotAllowed)
	}
	g.removeMember(user)
	s.guildEvent(g, "GUILD_MEMBER_REMOVE", intentGuildMembers, map[string]any{"guild_id": g.ID, "user": m.User.json()})
	return nil
}

// UpdateMember sets a member's nickname ("" for none) and, unless roles
// is nil, replaces their roles (an empty slice removes them all), as the
// owner would in the client. GUILD_MEMBER_UPDATE (intent GUILD_MEMBERS)
// follows. The audit log records a nickname change with the member as
// actor (people rename themselves; the owner renames the bot) and a role
// change with the owner as actor. @everyone and managed roles cannot be
// given or taken.
func (s *Server) UpdateMember(guild, user Snowflake, nick string, roles []Snowflake) error {
	if utf8.RuneCountInString(nick) > 32 {
		return fmt.Errorf("discordtest: UpdateMember: nick %q is longer than 32 characters", nick)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.liveGuild(guild)
	if err != nil {
		return fmt.Errorf("discordtest: UpdateMember: %w", err)
	}
	m := g.Members[user]
	if m == nil {
		return fmt.Errorf("discordtest: UpdateMember: %w %s in guild %s", ErrUnknownMember, user, guild)
	}
	newRoles := m.Roles
	if roles != nil {
		newRoles = nil
		for _, id := range roles {
			r := g.role(id)
			if r == nil || id == g.ID {
				return fmt.Errorf("discordtest: UpdateMember: %w %s in guild %s", ErrUnknownRole, id, guild)
			}
			if !slices.Contains(newRoles, id) {
				newRoles = append(newRoles, id)
			}
		}
		for _, id := range symmetricDiff(m.Roles, newRoles) {
			if r := g.role(id); r != nil && r.Managed {
				return fmt.Errorf("discordtest: UpdateMember: %w: role %q is managed by an integration", ErrNotAllowed, r.Name)
			}
		}
	}
	nickChanged := nick != m.Nick
	roleAudit := roleChanges(g, m.Roles, newRoles)
	if !nickChanged && len(roleAudit) == 0 {
		return nil
	}
	oldNick := m.Nick
	m.Nick = nick
	if len(roleAudit) > 0 {
		m.Roles = slices.Clone(newRoles)
	}
	s.guildEvent(g, "GUILD_MEMBER_UPDATE", intentGuildMembers, memberEvent(g, m))
	if nickChanged {
		actor := user
		if user == s.world.bot.ID {
			actor = g.OwnerID
		}
		s.addAudit(g, AuditMemberUpdate, actor, user, "", AuditChange{Key: "nick", Old: emptyNil(oldNick), New: emptyNil(nick)})
	}
	if len(roleAudit) > 0 {
		s.addAudit(g, AuditMemberRoleUpdate, g.OwnerID, user, "", roleAudit...)
	}
	return nil
}

// orderRoles sorts a guild's roles by position, numbers all but
// @everyone 1, 2, … in that order, and returns the roles whose position
// changed from before.
func (g *Guild) orderRoles(before map[Snowflake]int) []*Role {
	slices.SortStableFunc(g.Roles, func(a, b *Role) int {
		switch {
		case a.ID == g.ID:
			return -1
		case b.ID == g.ID:
			return 1
		}
		return a.Position - b.Position
	})
	var moved []*Role
	pos := 0
	for _, r := range g.Roles {
		if r.ID == g.ID {
			r.Position = 0
			continue
		}
		pos++
		r.Position = pos
		if old, ok := before[r.ID]; ok && old != pos {
			moved = append(moved, r)
		}
	}
	return moved
}

func (g *Guild) rolePositions() map[Snowflake]int {
	out := make(map[Snowflake]int, len(g.Roles))
	for _, r := range g.Roles {
		out[r.ID] = r.Position
	}
	return out
}

// moveRole puts r at position (1 is just above @everyone), renumbers the
// others in their order and returns the other roles that moved.
func (g *Guild) moveRole(r *Role, position int) []*Role {
	before := g.rolePositions()
	var everyone *Role
	var others []*Role
	for _, o := range g.Roles {
		switch {
		case o.ID == g.ID:
			everyone = o
		case o != r:
			others = append(others, o)
		}
	}
	slices.SortStableFunc(others, func(a, b *Role) int { return a.Position - b.Position })
	ordered := slices.Insert(others, min(max(position-1, 0), len(others)), r)
	var moved []*Role
	for i, o := range ordered {
		o.Position = i + 1
		if old, ok := before[o.ID]; ok && o != r && old != o.Position {
			moved = append(moved, o)
		}
	}
	g.Roles = append([]*Role{everyone}, ordered...)
	return moved
}

func (s *Server) roleEvent(g *Guild, typ string, r *Role) {
	s.guildEvent(g, typ, intentGuilds, map[string]any{"guild_id": g.ID, "role": r.json()})
}

func roleAuditValues(r *Role) map[string]any {
	return map[string]any{"name": r.Name, "permissions": uitoa(r.Permissions), "color": r.Color,
		"hoist": r.Hoist, "mentionable": r.Mentionable}
}

var roleAuditKeys = []string{"name", "permissions", "color", "hoist", "mentionable"}

// CreateRole creates a role at position (1 is just above @everyone; the
// roles from there up move one higher), as the owner would.
// GUILD_ROLE_CREATE follows, then GUILD_ROLE_UPDATE for each role that
// moved (intent GUILDS); the audit log records it with the owner as actor.
func (s *Server) CreateRole(guild Snowflake, name string, perms uint64, position int) (Role, error) {
	if n := utf8.RuneCountInString(name); n < 1 || n > 100 {
		return Role{}, fmt.Errorf("discordtest: CreateRole: name %q must be 1 to 100 characters", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.liveGuild(guild)
	if err != nil {
		return Role{}, fmt.Errorf("discordtest: CreateRole: %w", err)
	}
	if position < 1 || position > len(g.Roles) {
		return Role{}, fmt.Errorf("discordtest: CreateRole: position %d is outside 1 to %d", position, len(g.Roles))
	}
	r := &Role{ID: s.world.newID(), Name: name, Permissions: perms & PermAll}
	g.Roles = append(g.Roles, r)
	moved := g.moveRole(r, position)
	s.roleEvent(g, "GUILD_ROLE_CREATE", r)
	for _, o := range moved {
		s.roleEvent(g, "GUILD_ROLE_UPDATE", o)
	}
	vals := roleAuditValues(r)
	var changes []AuditChange
	for _, k := range roleAuditKeys {
		changes = append(changes, AuditChange{Key: k, New: vals[k]})
	}
	s.addAudit(g, AuditRoleCreate, g.OwnerID, r.ID, "", changes...)
	return *r, nil
}

// UpdateRole sets a role's name, color, hoist, mentionable, permissions
// and position from role (matched by role.ID), as the owner would;
// Managed and BotID cannot change, nor @everyone's name or position.
// GUILD_ROLE_UPDATE follows for the role and every role that moved; the
// audit log records it with the owner as actor.
func (s *Server) UpdateRole(guild Snowflake, role Role) (Role, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.liveGuild(guild)
	if err != nil {
		return Role{}, fmt.Errorf("discordtest: UpdateRole: %w", err)
	}
	r := g.role(role.ID)
	if r == nil {
		return Role{}, fmt.Errorf("discordtest: UpdateRole: %w %s in guild %s", ErrUnknownRole, role.ID, guild)
	}
	if r.ID == g.ID {
		if role.Name != r.Name || role.Position != 0 {
			return Role{}, fmt.Errorf("discordtest: UpdateRole: %w: @everyone keeps its name and position 0", ErrNotAllowed)
		}
	} else if role.Position < 1 || role.Position > len(g.Roles)-1 {
		return Role{}, fmt.Errorf("discordtest: UpdateRole: position %d is outside 1 to %d", role.Position, len(g.Roles)-1)
	}
	if n := utf8.RuneCountInString(role.Name); n < 1 || n > 100 {
		return Role{}, fmt.Errorf("discordtest: UpdateRole: name %q must be 1 to 100 characters", role.Name)
	}
	old := roleAuditValues(r)
	oldPos := r.Position
	r.Name, r.Color, r.Hoist, r.Mentionable, r.Permissions = role.Name, role.Color, role.Hoist, role.Mentionable, role.Permissions&PermAll
	var moved []*Role
	if r.ID != g.ID && role.Position != oldPos {
		moved = g.moveRole(r, role.Position)
	}
	cur := roleAuditValues(r)
	var changes []AuditChange
	for _, k := range roleAuditKeys {
		if old[k] != cur[k] {
			changes = append(changes, AuditChange{Key: k, Old: old[k], New: cur[k]})
		}
	}
	if len(changes) == 0 && r.Position == oldPos {
		return *r, nil
	}
	s.roleEvent(g, "GUILD_ROLE_UPDATE", r)
	for _, o := range moved {
		s.roleEvent(g, "GUILD_ROLE_UPDATE", o)
	}
	if len(changes) > 0 {
		s.addAudit(g, AuditRoleUpdate, g.OwnerID, r.ID, "", changes...)
	}
	return *r, nil
}

// DeleteRole deletes a role, as the owner would: members lose it and
// channels lose its overwrites (CHANNEL_UPDATE for each). @everyone and
// managed roles cannot be deleted. GUILD_ROLE_DELETE {guild_id, role_id}
// follows, then GUILD_ROLE_UPDATE for the roles that moved down; the audit
// log records it with the owner as actor.
func (s *Server) DeleteRole(guild, role Snowflake) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.liveGuild(guild)
	if err != nil {
		return fmt.Errorf("discordtest: DeleteRole: %w", err)
	}
	r := g.role(role)
	switch {
	case r == nil:
		return fmt.Errorf("discordtest: DeleteRole: %w %s in guild %s", ErrUnknownRole, role, guild)
	case r.ID == g.ID:
		return fmt.Errorf("discordtest: DeleteRole: %w: @everyone cannot be deleted", ErrNotAllowed)
	case r.Managed:
		return fmt.Errorf("discordtest: DeleteRole: %w: role %q is managed by an integration", ErrNotAllowed, r.Name)
	}
	before := g.rolePositions()
	changed := s.world.dropRole(g, r)
	moved := g.orderRoles(before)
	s.guildEvent(g, "GUILD_ROLE_DELETE", intentGuilds, map[string]any{"guild_id": g.ID, "role_id": r.ID})
	for _, o := range moved {
		s.roleEvent(g, "GUILD_ROLE_UPDATE", o)
	}
	for _, ch := range changed {
		s.guildEvent(g, "CHANNEL_UPDATE", intentGuilds, ch.json(s.world))
	}
	vals := roleAuditValues(r)
	var changes []AuditChange
	for _, k := range roleAuditKeys {
		changes = append(changes, AuditChange{Key: k, Old: vals[k]})
	}
	s.addAudit(g, AuditRoleDelete, g.OwnerID, r.ID, "", changes...)
	return nil
}

// dropRole removes a role from a guild, its members and its channels'
// overwrites; it returns the channels whose overwrites changed. The
// caller renumbers the roles with orderRoles.
func (w *world) dropRole(g *Guild, r *Role) []*Channel {
	g.Roles = slices.DeleteFunc(g.Roles, func(o *Role) bool { return o == r })
	for _, m := range g.Members {
		m.Roles = slices.DeleteFunc(m.Roles, func(id Snowflake) bool { return id == r.ID })
	}
	var changed []*Channel
	for _, ch := range g.Channels {
		if i := overwriteIndex(ch, r.ID); i >= 0 {
			ch.Overwrites = append(ch.Overwrites[:i:i], ch.Overwrites[i+1:]...)
			changed = append(changed, ch)
		}
	}
	return changed
}

// AddBotToGuild invites the bot to a new guild named name, shaped like
// a seeded guild: the same roles and channels, the seeded people as
// members with the same owner, and the bot with its managed role and
// WithBotPermissions' permissions. GUILD_CREATE (intent GUILDS) goes to
// the guild's shard; the audit log records the bot's addition by the
// owner.
func (s *Server) AddBotToGuild(name string) (GuildView, error) {
	if n := utf8.RuneCountInString(name); n < 2 || n > 100 {
		return GuildView{}, fmt.Errorf("discordtest: AddBotToGuild: name %q must be 2 to 100 characters", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.world
	var people []*User
	for _, u := range w.users {
		if !u.Bot {
			people = append(people, u)
		}
	}
	slices.SortFunc(people, func(a, b *User) int { return compareID(a.ID, b.ID) })
	people = people[:min(len(people), s.opts.members)]
	now := s.clock.Now()
	g := w.layoutGuild(w.newID, name, people, &s.opts,
		func(int) time.Time { return now }, func(i int) bool { return i%2 == 1 }, now)
	s.emit(g.ID, "GUILD_CREATE", intentGuilds, w.gatewayGuildJSON(g, defaultLargeThreshold))
	s.addAudit(g, AuditBotAdd, g.OwnerID, w.bot.ID, "")
	return w.view(g), nil
}

// defaultLargeThreshold is IDENTIFY's large_threshold when a client
// sends none.
const defaultLargeThreshold = 50

func compareID(a, b Snowflake) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// RemoveBotFromGuild removes the bot from a guild, as the owner kicking
// it: its member and its managed role are gone, GUILD_DELETE {id} goes to
// the guild's shard without the unavailable field (Discord's sign that
// the bot was removed), and every REST request on the guild is refused
// from then on (10004 for the guild itself, 50001 for its routes and
// channels). The audit log records the kick by the owner; the bot no
// longer sees it.
func (s *Server) RemoveBotFromGuild(guild Snowflake) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.liveGuild(guild)
	if err != nil {
		return fmt.Errorf("discordtest: RemoveBotFromGuild: %w", err)
	}
	me := s.world.botMember(g)
	if me == nil {
		return fmt.Errorf("discordtest: RemoveBotFromGuild: %w %s", ErrBotNotInGuild, guild)
	}
	s.emit(g.ID, "GUILD_DELETE", intentGuilds, map[string]any{"id": g.ID})
	g.removeMember(me.User.ID)
	for _, r := range slices.Clone(g.Roles) {
		if r.Managed && r.BotID == s.world.bot.ID {
			s.world.dropRole(g, r)
		}
	}
	g.orderRoles(nil)
	s.addAudit(g, AuditMemberKick, g.OwnerID, me.User.ID, "")
	return nil
}

// AddBotBack adds the bot again to a guild it was removed from, as the
// owner inviting it anew: the bot is a member again, joined now, with a
// new managed role at the bottom of the list (position 1) that has
// WithBotPermissions' permissions; the overwrites the old role had are
// gone, as on Discord. GUILD_CREATE (intent GUILDS) goes to the guild's
// shard, REST on the guild answers again, and the audit log records the
// bot's addition by the owner.
func (s *Server) AddBotBack(guild Snowflake) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.liveGuild(guild)
	if err != nil {
		return fmt.Errorf("discordtest: AddBotBack: %w", err)
	}
	w := s.world
	if w.botMember(g) != nil {
		return fmt.Errorf("discordtest: AddBotBack: the bot is already in guild %s", guild)
	}
	role := &Role{ID: w.newID(), Name: s.opts.botName, Managed: true, BotID: w.bot.ID, Permissions: s.opts.botPermissions}
	g.Roles = append(g.Roles, role)
	g.moveRole(role, 1)
	now := s.clock.Now()
	g.BotJoinedAt = now
	g.addMember(&Member{User: w.bot, Roles: []Snowflake{role.ID}, JoinedAt: now})
	s.emit(g.ID, "GUILD_CREATE", intentGuilds, w.gatewayGuildJSON(g, defaultLargeThreshold))
	s.addAudit(g, AuditBotAdd, g.OwnerID, w.bot.ID, "")
	return nil
}

// GuildOutage starts (down true) or ends an outage of a guild the bot is
// in. Going down sends GUILD_DELETE {id, unavailable: true} and REST on
// the guild answers 10004 (10003 for its channels) until it is back;
// coming back sends the full GUILD_CREATE again. People cannot act in the
// guild meanwhile.
func (s *Server) GuildOutage(guild Snowflake, down bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.world.guild(guild)
	if g == nil {
		return fmt.Errorf("discordtest: GuildOutage: %w %s", ErrUnknownGuild, guild)
	}
	if s.world.botMember(g) == nil {
		return fmt.Errorf("discordtest: GuildOutage: %w %s", ErrBotNotInGuild, guild)
	}
	if g.Unavailable == down {
		return nil
	}
	g.Unavailable = down
	if down {
		s.emit(g.ID, "GUILD_DELETE", intentGuilds, map[string]any{"id": g.ID, "unavailable": true})
		return nil
	}
	s.emit(g.ID, "GUILD_CREATE", intentGuilds, s.world.gatewayGuildJSON(g, defaultLargeThreshold))
	return nil
}

// SetRefusesDMs makes a person refuse (or accept again) direct messages
// from the bot: creating a message in their DM channel then fails with
// 50007, as when someone closes DMs from server members. Unknown users
// are ignored.
func (s *Server) SetRefusesDMs(user Snowflake, refuses bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.world.users[user]; u != nil && !u.Bot {
		u.RefusesDMs = refuses
		s.notify()
	}
}
