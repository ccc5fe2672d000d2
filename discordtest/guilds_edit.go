package discordtest

import (
	"unicode/utf8"
)

// AuditGuildUpdate is the audit log action of a guild edit.
const AuditGuildUpdate = 1

// editGuild answers PATCH /guilds/{guild_id} for the fields bots change:
// name and verification_level. It needs MANAGE_GUILD, emits GUILD_UPDATE
// and records an audit log entry with the changed keys.
func (s *Server) editGuild(c *call) (int, any) {
	f, err := c.bodyFields()
	if err != nil {
		return 0, err
	}
	var name *string
	var level *int
	if raw, ok := f["name"]; ok {
		v, err := fieldString(raw, "name")
		if err != nil {
			return 0, err
		}
		if n := utf8.RuneCountInString(v); n < 2 || n > 100 {
			return 0, formError("name", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length.")
		}
		name = &v
	}
	if raw, ok := f["verification_level"]; ok {
		v, err := fieldInt(raw, "verification_level")
		if err != nil {
			return 0, err
		}
		if v < 0 || v > 4 {
			return 0, formError("verification_level", "BASE_TYPE_CHOICES", "Value must be one of (0, 1, 2, 3, 4).")
		}
		level = &v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, me, err := s.botGuild(c, PermManageGuild)
	if err != nil {
		return 0, err
	}
	var changes []AuditChange
	if name != nil && *name != g.Name {
		changes = append(changes, AuditChange{Key: "name", Old: g.Name, New: *name})
		g.Name = *name
	}
	if level != nil && *level != g.VerificationLevel {
		changes = append(changes, AuditChange{Key: "verification_level", Old: g.VerificationLevel, New: *level})
		g.VerificationLevel = *level
	}
	if len(changes) > 0 {
		s.addAudit(g, AuditGuildUpdate, me.User.ID, g.ID, c.reason(), changes...)
		s.guildEvent(g, "GUILD_UPDATE", intentGuilds, g.restJSON())
	}
	return 200, g.restJSON()
}
