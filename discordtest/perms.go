package discordtest

// Permission bits, as Discord defines them.
const (
	PermCreateInstantInvite uint64 = 1 << 0
	PermKickMembers         uint64 = 1 << 1
	PermBanMembers          uint64 = 1 << 2
	PermAdministrator       uint64 = 1 << 3
	PermManageChannels      uint64 = 1 << 4
	PermManageGuild         uint64 = 1 << 5
	PermAddReactions        uint64 = 1 << 6
	PermViewAuditLog        uint64 = 1 << 7
	PermViewChannel         uint64 = 1 << 10
	PermSendMessages        uint64 = 1 << 11
	PermManageMessages      uint64 = 1 << 13
	PermEmbedLinks          uint64 = 1 << 14
	PermAttachFiles         uint64 = 1 << 15
	PermReadMessageHistory  uint64 = 1 << 16
	PermMentionEveryone     uint64 = 1 << 17
	PermUseExternalEmojis   uint64 = 1 << 18
	PermConnect             uint64 = 1 << 20
	PermSpeak               uint64 = 1 << 21
	PermChangeNickname      uint64 = 1 << 26
	PermManageNicknames     uint64 = 1 << 27
	PermManageRoles         uint64 = 1 << 28
	PermManageWebhooks      uint64 = 1 << 29
	PermUseApplicationCmds  uint64 = 1 << 31
	PermModerateMembers     uint64 = 1 << 40
	// PermAll is every bit Discord defines today.
	PermAll uint64 = 1<<51 - 1
)

// permNames names the bits that error messages and tests mention.
var permNames = map[uint64]string{
	PermKickMembers: "KICK_MEMBERS", PermBanMembers: "BAN_MEMBERS", PermAdministrator: "ADMINISTRATOR",
	PermManageChannels: "MANAGE_CHANNELS", PermManageGuild: "MANAGE_GUILD", PermAddReactions: "ADD_REACTIONS",
	PermViewAuditLog: "VIEW_AUDIT_LOG", PermViewChannel: "VIEW_CHANNEL", PermSendMessages: "SEND_MESSAGES",
	PermManageMessages: "MANAGE_MESSAGES", PermEmbedLinks: "EMBED_LINKS", PermAttachFiles: "ATTACH_FILES",
	PermReadMessageHistory: "READ_MESSAGE_HISTORY", PermMentionEveryone: "MENTION_EVERYONE",
	PermManageNicknames: "MANAGE_NICKNAMES", PermManageRoles: "MANAGE_ROLES", PermModerateMembers: "MODERATE_MEMBERS",
}

// basePermissions computes a member's guild-wide permissions: the owner has
// all; otherwise @everyone's bits and every role's bits are OR-ed, and
// ADMINISTRATOR grants all.
func (g *Guild) basePermissions(m *Member) uint64 {
	if m.User.ID == g.OwnerID {
		return PermAll
	}
	perms := g.role(g.ID).Permissions
	for _, rid := range m.Roles {
		if r := g.role(rid); r != nil {
			perms |= r.Permissions
		}
	}
	if perms&PermAdministrator != 0 {
		return PermAll
	}
	return perms
}

// permissions computes a member's permissions in a channel as Discord does:
// base permissions, then the @everyone overwrite, then the member's role
// overwrites together, then the member's own overwrite. A timed-out member
// keeps only VIEW_CHANNEL and READ_MESSAGE_HISTORY; without VIEW_CHANNEL
// nothing else applies.
func (g *Guild) permissions(m *Member, ch *Channel, now nowFunc) uint64 {
	perms := g.basePermissions(m)
	if perms&PermAdministrator != 0 {
		return PermAll
	}
	if ch != nil {
		var allow, deny uint64
		for _, o := range ch.Overwrites {
			if o.Type == 0 && o.ID == g.ID {
				perms = perms&^o.Deny | o.Allow
			}
		}
		for _, o := range ch.Overwrites {
			if o.Type == 0 && o.ID != g.ID && m.hasRole(o.ID) {
				allow |= o.Allow
				deny |= o.Deny
			}
		}
		perms = perms&^deny | allow
		for _, o := range ch.Overwrites {
			if o.Type == 1 && o.ID == m.User.ID {
				perms = perms&^o.Deny | o.Allow
			}
		}
	}
	if m.timedOut(now()) {
		perms &= PermViewChannel | PermReadMessageHistory
	}
	if perms&PermViewChannel == 0 {
		return 0
	}
	return perms
}

// topPosition is the position of the member's highest role (0 for none).
func (g *Guild) topPosition(m *Member) int {
	top := 0
	for _, rid := range m.Roles {
		if r := g.role(rid); r != nil && r.Position > top {
			top = r.Position
		}
	}
	return top
}

// outranks reports whether actor may act on target by role hierarchy: the
// owner outranks all; nobody acts on the owner or on an equal or higher top
// role.
func (g *Guild) outranks(actor, target *Member) bool {
	if target.User.ID == g.OwnerID {
		return false
	}
	if actor.User.ID == g.OwnerID {
		return true
	}
	return g.topPosition(actor) > g.topPosition(target)
}
