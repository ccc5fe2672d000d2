package discordtest

import (
	"slices"
	"time"
)

// GuildView is a copy of a guild's state, safe to keep and read.
type GuildView struct {
	ID                Snowflake
	Name              string
	OwnerID           Snowflake
	VerificationLevel int
	Unavailable       bool
	BotPresent        bool
	Roles             []Role
	Channels          []Channel
	Members           []MemberView
	Bans              []Ban
	Audit             []AuditEntry
}

// MemberView is a copy of a member's state.
type MemberView struct {
	User                       User
	Nick                       string
	Roles                      []Snowflake
	JoinedAt                   time.Time
	CommunicationDisabledUntil time.Time
}

// Channel returns the guild's channel with that name, or the zero Channel.
func (g GuildView) Channel(name string) Channel {
	for _, c := range g.Channels {
		if c.Name == name {
			return c
		}
	}
	return Channel{}
}

// Role returns the guild's role with that name, or the zero Role.
func (g GuildView) Role(name string) Role {
	for _, r := range g.Roles {
		if r.Name == name {
			return r
		}
	}
	return Role{}
}

// Member returns the member with that username, or the zero MemberView.
func (g GuildView) Member(username string) MemberView {
	for _, m := range g.Members {
		if m.User.Username == username {
			return m
		}
	}
	return MemberView{}
}

func (w *world) view(g *Guild) GuildView {
	v := GuildView{ID: g.ID, Name: g.Name, OwnerID: g.OwnerID, VerificationLevel: g.VerificationLevel,
		Unavailable: g.Unavailable, BotPresent: w.botMember(g) != nil}
	for _, r := range g.Roles {
		v.Roles = append(v.Roles, *r)
	}
	for _, c := range g.Channels {
		cc := *c
		cc.Overwrites = slices.Clone(c.Overwrites)
		v.Channels = append(v.Channels, cc)
	}
	for _, m := range g.members() {
		v.Members = append(v.Members, memberView(m))
	}
	for _, b := range g.Bans {
		v.Bans = append(v.Bans, Ban{User: copyUser(b.User), Reason: b.Reason})
	}
	slices.SortFunc(v.Bans, func(a, b Ban) int { return int(a.User.ID>>1) - int(b.User.ID>>1) })
	for _, a := range g.Audit {
		e := *a
		e.Changes = slices.Clone(a.Changes)
		v.Audit = append(v.Audit, e)
	}
	return v
}

func memberView(m *Member) MemberView {
	return MemberView{User: *m.User, Nick: m.Nick, Roles: slices.Clone(m.Roles), JoinedAt: m.JoinedAt,
		CommunicationDisabledUntil: m.CommunicationDisabledUntil}
}

func copyUser(u *User) *User {
	c := *u
	return &c
}

// Guilds returns every guild, in seed order.
func (s *Server) Guilds() []GuildView {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]GuildView, 0, len(s.world.guilds))
	for _, g := range s.world.guilds {
		out = append(out, s.world.view(g))
	}
	return out
}

// Guild returns one guild by ID; ok is false when there is none.
func (s *Server) Guild(id Snowflake) (GuildView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.world.guild(id)
	if g == nil {
		return GuildView{}, false
	}
	return s.world.view(g), true
}

// Member returns a member of a guild; ok is false when the user is not in it.
func (s *Server) Member(guild, user Snowflake) (MemberView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.world.guild(guild)
	if g == nil || g.Members[user] == nil {
		return MemberView{}, false
	}
	return memberView(g.Members[user]), true
}

// BotUser returns the bot's user.
func (s *Server) BotUser() User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.world.bot
}

// Messages returns the messages of a channel, oldest first, as stored
// (content is never blanked here).
func (s *Server) Messages(channel Snowflake) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, id := range s.world.channelMsgs[channel] {
		out = append(out, copyMessage(s.world.messages[id]))
	}
	return out
}

// Message returns one message; ok is false when it does not exist (or was
// deleted).
func (s *Server) Message(id Snowflake) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.world.messages[id]
	if m == nil {
		return Message{}, false
	}
	return copyMessage(m), true
}

// DMChannel returns the DM channel of a user, if the bot opened one.
func (s *Server) DMChannel(user Snowflake) (Snowflake, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.world.dms[user]
	return id, ok
}

func copyMessage(m *Message) Message {
	c := *m
	c.Author = copyUser(m.Author)
	c.Embeds = slices.Clone(m.Embeds)
	c.Components = slices.Clone(m.Components)
	c.Attachments = slices.Clone(m.Attachments)
	c.Mentions = slices.Clone(m.Mentions)
	c.MentionRoles = slices.Clone(m.MentionRoles)
	c.Pinged = slices.Clone(m.Pinged)
	c.Reactions = nil
	for _, r := range m.Reactions {
		c.Reactions = append(c.Reactions, Reaction{Emoji: r.Emoji, Users: slices.Clone(r.Users)})
	}
	return c
}

// notify wakes every WaitFor; callers hold s.mu.
func (s *Server) notify() {
	s.gen++
	s.changed.Broadcast()
}

// WaitFor blocks until cond returns true or timeout passes, and reports
// whether cond held. It calls cond again after every change to the world,
// without the lock, so cond may use the Server's accessors.
func (s *Server) WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	timer := time.AfterFunc(timeout, func() {
		s.mu.Lock()
		s.notify()
		s.mu.Unlock()
	})
	defer timer.Stop()
	for {
		s.mu.Lock()
		gen := s.gen
		s.mu.Unlock()
		if cond() {
			return true
		}
		s.mu.Lock()
		for s.gen == gen && !s.closing && time.Now().Before(deadline) {
			s.changed.Wait()
		}
		done := s.closing || !time.Now().Before(deadline)
		s.mu.Unlock()
		if done {
			return cond()
		}
	}
}
