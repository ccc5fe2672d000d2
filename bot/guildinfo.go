package bot

import (
	"fmt"
	"slices"
	"strings"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"
)

// GuildInfo is what the cache knows of a guild: enough to check role
// hierarchy before acting.
type GuildInfo struct {
	ID      snowflake.ID
	Name    string
	OwnerID snowflake.ID
	// Roles in position order, lowest first (@everyone is position 0).
	Roles []RoleInfo
	// BotRoles are the roles of the bot's own member.
	BotRoles []snowflake.ID
}

// RoleInfo is a guild role.
type RoleInfo struct {
	ID          snowflake.ID
	Name        string
	Position    int
	Permissions discord.Permissions
	Managed     bool
}

// TopPosition is the position of the highest of these roles (0 for none).
func (g GuildInfo) TopPosition(roles []snowflake.ID) int {
	top := 0
	for _, r := range g.Roles {
		if slices.Contains(roles, r.ID) && r.Position > top {
			top = r.Position
		}
	}
	return top
}

// Outranks reports whether a member with actorRoles may act on a member
// with targetRoles as Discord's hierarchy says: nobody acts on the owner,
// the owner acts on anyone, others only on a lower top role.
func (g GuildInfo) Outranks(actor snowflake.ID, actorRoles []snowflake.ID, target snowflake.ID, targetRoles []snowflake.ID) bool {
	switch {
	case target == g.OwnerID:
		return false
	case actor == g.OwnerID:
		return true
	}
	return g.TopPosition(actorRoles) > g.TopPosition(targetRoles)
}

// Guild returns what the cache knows of a guild; ok is false before its
// GUILD_CREATE arrived, or when the bot is not in it.
func (h *Host) Guild(guildID snowflake.ID) (GuildInfo, bool) {
	c := h.rt.discord
	if c == nil {
		return GuildInfo{}, false
	}
	g, ok := c.Caches.Guild(guildID)
	if !ok {
		return GuildInfo{}, false
	}
	info := GuildInfo{ID: g.ID, Name: g.Name, OwnerID: g.OwnerID}
	for r := range c.Caches.Roles(guildID) {
		info.Roles = append(info.Roles, RoleInfo{ID: r.ID, Name: r.Name, Position: r.Position, Permissions: r.Permissions, Managed: r.Managed})
	}
	slices.SortFunc(info.Roles, func(a, b RoleInfo) int { return a.Position - b.Position })
	if me, ok := c.Caches.Member(guildID, h.rt.selfID); ok {
		info.BotRoles = slices.Clone(me.RoleIDs)
	}
	return info, true
}

// BotID is the bot's own user ID.
func (h *Host) BotID() snowflake.ID { return h.rt.selfID }

// Permissions are a member's guild-wide permissions: @everyone's and
// their roles', every permission for the owner and administrators.
func (g GuildInfo) Permissions(user snowflake.ID, roles []snowflake.ID) discord.Permissions {
	if user == g.OwnerID {
		return discord.PermissionsAll
	}
	var p discord.Permissions
	for _, r := range g.Roles {
		if r.ID == g.ID || slices.Contains(roles, r.ID) {
			p |= r.Permissions
		}
	}
	if p.Has(discord.PermissionAdministrator) {
		return discord.PermissionsAll
	}
	return p
}

// TopRoleName names the highest of these roles ("@everyone" for none).
func (g GuildInfo) TopRoleName(roles []snowflake.ID) string {
	name, top := "@everyone", 0
	for _, r := range g.Roles {
		if slices.Contains(roles, r.ID) && r.Position > top {
			name, top = r.Name, r.Position
		}
	}
	return name
}

// PermissionNames names permission bits as Discord's documentation
// does, "KICK_MEMBERS and BAN_MEMBERS", for messages that say what is
// missing; "" for none.
func PermissionNames(p discord.Permissions) string {
	var names []string
	for _, n := range permissionNamesByBit {
		if p.Has(n.p) {
			names = append(names, n.name)
			p &^= n.p
		}
	}
	if p != 0 {
		names = append(names, fmt.Sprintf("permission bits %d", uint64(p)))
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// permissionNamesByBit are the names of the permissions modules check.
var permissionNamesByBit = []struct {
	p    discord.Permissions
	name string
}{
	{discord.PermissionKickMembers, "KICK_MEMBERS"},
	{discord.PermissionBanMembers, "BAN_MEMBERS"},
	{discord.PermissionAdministrator, "ADMINISTRATOR"},
	{discord.PermissionManageChannels, "MANAGE_CHANNELS"},
	{discord.PermissionManageGuild, "MANAGE_GUILD"},
	{discord.PermissionViewAuditLog, "VIEW_AUDIT_LOG"},
	{discord.PermissionViewChannel, "VIEW_CHANNEL"},
	{discord.PermissionSendMessages, "SEND_MESSAGES"},
	{discord.PermissionManageMessages, "MANAGE_MESSAGES"},
	{discord.PermissionEmbedLinks, "EMBED_LINKS"},
	{discord.PermissionAttachFiles, "ATTACH_FILES"},
	{discord.PermissionReadMessageHistory, "READ_MESSAGE_HISTORY"},
	{discord.PermissionManageRoles, "MANAGE_ROLES"},
	{discord.PermissionModerateMembers, "MODERATE_MEMBERS"},
}
