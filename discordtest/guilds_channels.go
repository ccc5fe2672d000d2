package discordtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"
)

// restChannels serves reading and editing a channel and its permission
// overwrites.
func (s *Server) restChannels() {
	s.handle("GET /channels/{channel_id}", authBot, func(c *call) (int, any) {
		cid, err := pathID(c, "channel_id")
		if err != nil {
			return 0, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		ch, _, err := s.botChannel(cid, 0)
		if err != nil {
			return 0, err
		}
		return 200, ch.json(s.world)
	})
	s.handle("PATCH /channels/{channel_id}", authBot, s.editChannel)
	s.handle("PUT /channels/{channel_id}/permissions/{overwrite_id}", authBot, s.putOverwrite)
	s.handle("DELETE /channels/{channel_id}/permissions/{overwrite_id}", authBot, s.deleteOverwrite)
}

// channelEdit is a validated PATCH /channels/{id} body; nil fields were
// absent.
type channelEdit struct {
	name, topic    *string
	nsfw           *bool
	rateLimit, pos *int
	parentID       *Snowflake // 0 clears
	hasOverwrites  bool
	overwrites     []Overwrite // the whole new list when hasOverwrites
}

func readChannelEdit(f map[string]json.RawMessage) (channelEdit, *apiError) {
	var e channelEdit
	if raw, ok := f["name"]; ok {
		if jsonNull(raw) {
			return e, formError("name", "BASE_TYPE_REQUIRED", "This field is required")
		}
		v, err := fieldString(raw, "name")
		if err != nil {
			return e, err
		}
		if n := utf8.RuneCountInString(v); n < 1 || n > 100 {
			return e, formError("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
		}
		e.name = &v
	}
	if raw, ok := f["topic"]; ok {
		v := ""
		if !jsonNull(raw) {
			var err *apiError
			if v, err = fieldString(raw, "topic"); err != nil {
				return e, err
			}
		}
		if utf8.RuneCountInString(v) > 1024 {
			return e, formError("topic", "BASE_TYPE_MAX_LENGTH", "Must be 1024 or fewer in length.")
		}
		e.topic = &v
	}
	if raw, ok := f["nsfw"]; ok && !jsonNull(raw) {
		v, err := fieldBool(raw, "nsfw")
		if err != nil {
			return e, err
		}
		e.nsfw = &v
	}
	if raw, ok := f["rate_limit_per_user"]; ok {
		v := 0
		if !jsonNull(raw) {
			var err *apiError
			if v, err = fieldInt(raw, "rate_limit_per_user"); err != nil {
				return e, err
			}
			if _, err := checkRange("rate_limit_per_user", v, 0, 21600); err != nil {
				return e, err
			}
		}
		e.rateLimit = &v
	}
	if raw, ok := f["position"]; ok && !jsonNull(raw) {
		v, err := fieldInt(raw, "position")
		if err != nil {
			return e, err
		}
		e.pos = &v
	}
	if raw, ok := f["parent_id"]; ok {
		var id Snowflake
		if !jsonNull(raw) {
			var err *apiError
			if id, err = fieldSnowflake(raw, "parent_id"); err != nil {
				return e, err
			}
		}
		e.parentID = &id
	}
	if raw, ok := f["permission_overwrites"]; ok {
		e.hasOverwrites = true
		var list []json.RawMessage
		if !jsonNull(raw) {
			if err := json.Unmarshal(raw, &list); err != nil {
				return e, formError("permission_overwrites", "BASE_TYPE_ARRAY", "Must be an array.")
			}
		}
		if len(list) > 100 {
			return e, formError("permission_overwrites", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
		}
		seen := map[Snowflake]bool{}
		for i, raw := range list {
			o, err := readOverwrite(raw, fmt.Sprintf("permission_overwrites.%d.", i), true)
			if err != nil {
				return e, err
			}
			if seen[o.ID] {
				return e, formError("permission_overwrites", "BASE_TYPE_BAD_SET", "Duplicate value in set.")
			}
			seen[o.ID] = true
			e.overwrites = append(e.overwrites, o)
		}
	}
	return e, nil
}

// readOverwrite decodes an overwrite object: {id, type, allow, deny}.
// prefix names its place in the body for errors; withID says the id is
// in the object (PATCH) rather than in the path (PUT).
func readOverwrite(raw json.RawMessage, prefix string, withID bool) (Overwrite, *apiError) {
	var f map[string]json.RawMessage
	if err := json.Unmarshal(raw, &f); err != nil || f == nil {
		leaf := map[string]any{"_errors": []map[string]string{{"code": "MODEL_TYPE_CONVERT", "message": "Only dictionaries may be used in a ModelType"}}}
		e := &apiError{Status: 400, Code: 50035, Message: "Invalid Form Body", Errors: leaf}
		if prefix != "" {
			e.Errors = nestField(prefix[:len(prefix)-1], leaf)
		}
		return Overwrite{}, e
	}
	var o Overwrite
	if withID {
		v, ok := f["id"]
		if !ok || jsonNull(v) {
			return o, formError(prefix+"id", "BASE_TYPE_REQUIRED", "This field is required")
		}
		id, err := fieldSnowflake(v, prefix+"id")
		if err != nil {
			return o, err
		}
		o.ID = id
	}
	v, ok := f["type"]
	if !ok || jsonNull(v) {
		return o, formError(prefix+"type", "BASE_TYPE_REQUIRED", "This field is required")
	}
	t, err := fieldInt(v, prefix+"type")
	if err != nil {
		return o, err
	}
	if t != 0 && t != 1 {
		return o, formError(prefix+"type", "BASE_TYPE_CHOICES", fmt.Sprintf("Value must be one of {0, 1}; got %d.", t))
	}
	o.Type = t
	for _, k := range []string{"allow", "deny"} {
		v, ok := f[k]
		if !ok || jsonNull(v) {
			continue
		}
		bits, err := fieldPermissions(v, prefix+k)
		if err != nil {
			return o, err
		}
		if k == "allow" {
			o.Allow = bits
		} else {
			o.Deny = bits
		}
	}
	return o, nil
}

// overwriteGrantable is what the bot may allow or deny in the overwrites
// of ch. Discord's rule: only permissions the bot has in the guild, or in
// the parent category when there is one, unless the bot is an
// administrator or an overwrite of ch itself allows it MANAGE_ROLES.
func (g *Guild) overwriteGrantable(me *Member, ch *Channel, now nowFunc) uint64 {
	base := g.basePermissions(me)
	if base&PermAdministrator != 0 {
		return PermAll
	}
	for _, o := range ch.Overwrites {
		applies := o.Type == 1 && o.ID == me.User.ID || o.Type == 0 && (o.ID == g.ID || me.hasRole(o.ID))
		if applies && o.Allow&PermManageRoles != 0 {
			return PermAll
		}
	}
	if p := g.channel(ch.ParentID); p != nil {
		return g.permissions(me, p, now)
	}
	return base
}

// checkOverwriteTarget answers 10011 for an overwrite on an unknown role
// and 10013/10007 for one on an unknown user or a non-member.
func (s *Server) checkOverwriteTarget(g *Guild, o Overwrite) *apiError {
	if o.Type == 0 {
		if g.role(o.ID) == nil {
			return errUnknownRole
		}
		return nil
	}
	if s.world.users[o.ID] == nil {
		return errUnknownUser
	}
	if g.Members[o.ID] == nil {
		return errUnknownMember
	}
	return nil
}

// overwriteChange checks that the bits an edit flips are all grantable.
func overwriteChange(old, new Overwrite, grantable uint64) *apiError {
	changed := (old.Allow ^ new.Allow) | (old.Deny ^ new.Deny)
	if changed&^grantable != 0 {
		return errMissingPermissions
	}
	return nil
}

func overwriteIndex(ch *Channel, id Snowflake) int {
	for i, o := range ch.Overwrites {
		if o.ID == id {
			return i
		}
	}
	return -1
}

// overwriteAudit is the audit entry of one overwrite change: created (old
// zero), deleted (new zero) or updated.
func (s *Server) overwriteAudit(g *Guild, ch *Channel, old, new *Overwrite, reason string) {
	bits := func(v uint64) string { return uitoa(v) }
	switch {
	case old == nil:
		s.addAudit(g, AuditChannelOverwriteCreate, s.world.bot.ID, ch.ID, reason,
			AuditChange{Key: "id", New: new.ID.String()}, AuditChange{Key: "type", New: new.Type},
			AuditChange{Key: "allow", New: bits(new.Allow)}, AuditChange{Key: "deny", New: bits(new.Deny)})
	case new == nil:
		s.addAudit(g, AuditChannelOverwriteDelete, s.world.bot.ID, ch.ID, reason,
			AuditChange{Key: "id", Old: old.ID.String()}, AuditChange{Key: "type", Old: old.Type},
			AuditChange{Key: "allow", Old: bits(old.Allow)}, AuditChange{Key: "deny", Old: bits(old.Deny)})
	default:
		var changes []AuditChange
		if old.Allow != new.Allow {
			changes = append(changes, AuditChange{Key: "allow", Old: bits(old.Allow), New: bits(new.Allow)})
		}
		if old.Deny != new.Deny {
			changes = append(changes, AuditChange{Key: "deny", Old: bits(old.Deny), New: bits(new.Deny)})
		}
		s.addAudit(g, AuditChannelOverwriteEdit, s.world.bot.ID, ch.ID, reason, changes...)
	}
}

// guildChannel resolves a guild channel for an edit: DMs cannot be
// edited this way (50003).
func (s *Server) guildChannel(c *call, need uint64) (*Channel, *Guild, *apiError) {
	cid, err := pathID(c, "channel_id")
	if err != nil {
		return nil, nil, err
	}
	ch, g, err := s.botChannel(cid, need)
	if err != nil {
		return nil, nil, err
	}
	if g == nil {
		return nil, nil, &apiError{Status: 403, Code: 50003, Message: "Cannot execute action on a DM channel"}
	}
	return ch, g, nil
}

// editChannel answers PATCH /channels/{channel_id}: MANAGE_CHANNELS, and
// MANAGE_ROLES too when permission_overwrites is given.
func (s *Server) editChannel(c *call) (int, any) {
	f, err := c.bodyFields()
	if err != nil {
		return 0, err
	}
	e, err := readChannelEdit(f)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	need := PermManageChannels
	if e.hasOverwrites {
		need |= PermManageRoles
	}
	ch, g, err := s.guildChannel(c, need)
	if err != nil {
		return 0, err
	}
	me := s.world.botMember(g)
	if e.parentID != nil && *e.parentID != 0 {
		p := g.channel(*e.parentID)
		if p == nil || p.Type != ChannelCategory || ch.Type == ChannelCategory {
			return 0, formError("parent_id", "CHANNEL_PARENT_INVALID_TYPE", "Not a category")
		}
	}
	// Overwrites: every target must exist, and every flipped bit must be
	// grantable, removed overwrites included.
	type owChange struct{ old, new *Overwrite }
	var owChanges []owChange
	if e.hasOverwrites {
		grantable := g.overwriteGrantable(me, ch, s.world.now)
		seen := map[Snowflake]bool{}
		for i := range e.overwrites {
			o := &e.overwrites[i]
			if err := s.checkOverwriteTarget(g, *o); err != nil {
				return 0, err
			}
			seen[o.ID] = true
			var old *Overwrite
			if j := overwriteIndex(ch, o.ID); j >= 0 {
				prev := ch.Overwrites[j]
				old = &prev
			}
			var oldV Overwrite
			if old != nil {
				oldV = *old
				if old.Allow == o.Allow && old.Deny == o.Deny && old.Type == o.Type {
					continue
				}
			}
			if err := overwriteChange(oldV, *o, grantable); err != nil {
				return 0, err
			}
			owChanges = append(owChanges, owChange{old, o})
		}
		for _, o := range ch.Overwrites {
			if !seen[o.ID] {
				if err := overwriteChange(o, Overwrite{}, grantable); err != nil {
					return 0, err
				}
				prev := o
				owChanges = append(owChanges, owChange{&prev, nil})
			}
		}
	}

	var changes []AuditChange
	if e.name != nil && *e.name != ch.Name {
		changes = append(changes, AuditChange{Key: "name", Old: ch.Name, New: *e.name})
		ch.Name = *e.name
	}
	textLike := ch.Type == ChannelText || ch.Type == ChannelAnnouncement
	if e.topic != nil && textLike && *e.topic != ch.Topic {
		changes = append(changes, AuditChange{Key: "topic", Old: emptyNil(ch.Topic), New: emptyNil(*e.topic)})
		ch.Topic = *e.topic
	}
	if e.nsfw != nil && ch.Type != ChannelCategory && *e.nsfw != ch.NSFW {
		changes = append(changes, AuditChange{Key: "nsfw", Old: ch.NSFW, New: *e.nsfw})
		ch.NSFW = *e.nsfw
	}
	if e.rateLimit != nil && (ch.Type == ChannelText || ch.Type == ChannelVoice) && *e.rateLimit != ch.RateLimitPerUser {
		changes = append(changes, AuditChange{Key: "rate_limit_per_user", Old: ch.RateLimitPerUser, New: *e.rateLimit})
		ch.RateLimitPerUser = *e.rateLimit
	}
	if e.pos != nil && *e.pos != ch.Position {
		changes = append(changes, AuditChange{Key: "position", Old: ch.Position, New: *e.pos})
		ch.Position = *e.pos
	}
	if e.parentID != nil && *e.parentID != ch.ParentID {
		changes = append(changes, AuditChange{Key: "parent_id", Old: optionalString(ch.ParentID), New: optionalString(*e.parentID)})
		ch.ParentID = *e.parentID
	}
	if len(owChanges) > 0 {
		ch.Overwrites = slices.Clone(e.overwrites)
	}
	if len(changes) == 0 && len(owChanges) == 0 {
		return 200, ch.json(s.world)
	}
	s.guildEvent(g, "CHANNEL_UPDATE", intentGuilds, ch.json(s.world))
	if len(changes) > 0 {
		s.addAudit(g, AuditChannelUpdate, s.world.bot.ID, ch.ID, c.reason(), changes...)
	}
	for _, oc := range owChanges {
		s.overwriteAudit(g, ch, oc.old, oc.new, c.reason())
	}
	return 200, ch.json(s.world)
}

// putOverwrite answers PUT /channels/{channel_id}/permissions/{overwrite_id}
// {type, allow, deny}: MANAGE_ROLES, and only grantable bits.
func (s *Server) putOverwrite(c *call) (int, any) {
	if len(c.body) == 0 || !json.Valid(c.body) {
		return 0, &apiError{Status: 400, Code: 50109, Message: "The request body contains invalid JSON."}
	}
	o, err := readOverwrite(c.body, "", false)
	if err != nil {
		return 0, err
	}
	oid, err := pathID(c, "overwrite_id")
	if err != nil {
		return 0, err
	}
	o.ID = oid
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, g, err := s.guildChannel(c, PermManageRoles)
	if err != nil {
		return 0, err
	}
	if err := s.checkOverwriteTarget(g, o); err != nil {
		return 0, err
	}
	var old *Overwrite
	var oldV Overwrite
	i := overwriteIndex(ch, oid)
	if i >= 0 {
		prev := ch.Overwrites[i]
		old, oldV = &prev, prev
	}
	if err := overwriteChange(oldV, o, g.overwriteGrantable(s.world.botMember(g), ch, s.world.now)); err != nil {
		return 0, err
	}
	if old != nil && *old == o {
		return 204, nil
	}
	if i >= 0 {
		ch.Overwrites[i] = o
	} else {
		ch.Overwrites = append(ch.Overwrites, o)
	}
	s.guildEvent(g, "CHANNEL_UPDATE", intentGuilds, ch.json(s.world))
	s.overwriteAudit(g, ch, old, &o, c.reason())
	return 204, nil
}

// deleteOverwrite answers DELETE /channels/{channel_id}/permissions/{overwrite_id}:
// MANAGE_ROLES, 10009 when there is no such overwrite, and the bits it
// removes must be grantable.
func (s *Server) deleteOverwrite(c *call) (int, any) {
	oid, err := pathID(c, "overwrite_id")
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, g, err := s.guildChannel(c, PermManageRoles)
	if err != nil {
		return 0, err
	}
	i := overwriteIndex(ch, oid)
	if i < 0 {
		return 0, errUnknown(10009, "Overwrite")
	}
	old := ch.Overwrites[i]
	if err := overwriteChange(old, Overwrite{}, g.overwriteGrantable(s.world.botMember(g), ch, s.world.now)); err != nil {
		return 0, err
	}
	ch.Overwrites = append(ch.Overwrites[:i:i], ch.Overwrites[i+1:]...)
	s.guildEvent(g, "CHANNEL_UPDATE", intentGuilds, ch.json(s.world))
	s.overwriteAudit(g, ch, &old, nil, c.reason())
	return 204, nil
}

// emptyNil is nil for "", so that an audit change omits an empty side.
func emptyNil(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// optionalString is an ID as a string, or nil for none.
func optionalString(id Snowflake) any {
	if id == 0 {
		return nil
	}
	return id.String()
}
