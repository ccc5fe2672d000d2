package bot

import (
	"context"
	"encoding/json"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"
)

// Request is one command (or autocomplete) invocation, as a handler
// sees it. Option getters return the zero value and false when the
// option was not given.
type Request struct {
	// Module is the ID of the module that owns the command.
	Module string
	// Command is the full command path: "ping", "admin purge".
	Command string
	// InteractionID is the interaction's ID; CreatedAt its creation time.
	InteractionID snowflake.ID
	CreatedAt     time.Time
	// GuildID is zero in a DM.
	GuildID   snowflake.ID
	ChannelID snowflake.ID
	User      User
	// Member is nil in a DM.
	Member *Member
	// MemberPermissions are the member's permissions in the channel, as
	// Discord resolved them; AppPermissions the bot's.
	MemberPermissions discord.Permissions
	AppPermissions    discord.Permissions
	Locale            string
	// CorrelationID ties the logs, metrics and error reference of this
	// invocation together.
	CorrelationID string
	// Log is the module's logger with the invocation's fields.
	Log *zap.Logger
	// Focused is the option being typed, for autocomplete.
	Focused string

	options  map[string]json.RawMessage
	resolved discord.ResolvedData
	followup func(ctx context.Context, r Response) error
	deferred func() bool
}

// Deferred reports whether the host has deferred the reply already (the
// handler took longer than Pipeline.AutoDeferAfter): then the first
// Followup replaces the "thinking…" message, as Discord does.
func (r *Request) Deferred() bool {
	return r.deferred != nil && r.deferred()
}

// Has reports whether the option was given.
func (r *Request) Has(name string) bool {
	_, ok := r.options[name]
	return ok
}

// String returns a string option.
func (r *Request) String(name string) (string, bool) {
	var v string
	return v, r.decode(name, &v)
}

// Int returns an integer option.
func (r *Request) Int(name string) (int64, bool) {
	var v int64
	return v, r.decode(name, &v)
}

// Float returns a number option (an integer option reads too).
func (r *Request) Float(name string) (float64, bool) {
	var v float64
	return v, r.decode(name, &v)
}

// Bool returns a boolean option.
func (r *Request) Bool(name string) (bool, bool) {
	var v bool
	return v, r.decode(name, &v)
}

// Snowflake returns the ID of a user, channel, role or attachment option.
func (r *Request) Snowflake(name string) (snowflake.ID, bool) {
	var v snowflake.ID
	return v, r.decode(name, &v)
}

// User returns a user option with its member in this guild, if any.
func (r *Request) UserOption(name string) (User, *Member, bool) {
	id, ok := r.Snowflake(name)
	if !ok {
		return User{}, nil, false
	}
	u, ok := r.resolved.Users[id]
	if !ok {
		return User{ID: id}, nil, true
	}
	var m *Member
	if rm, ok := r.resolved.Members[id]; ok {
		mm := memberOf(rm.Member, u)
		m = &mm
	}
	return userOf(u), m, true
}

// Attachment returns an attachment option.
func (r *Request) Attachment(name string) (discord.Attachment, bool) {
	id, ok := r.Snowflake(name)
	if !ok {
		return discord.Attachment{}, false
	}
	a, ok := r.resolved.Attachments[id]
	return a, ok
}

func (r *Request) decode(name string, into any) bool {
	raw, ok := r.options[name]
	if !ok {
		return false
	}
	return json.Unmarshal(raw, into) == nil
}

// Followup sends one more message after the reply (progress of a long
// job, say). It pings nobody unless the Response says so.
func (r *Request) Followup(ctx context.Context, resp Response) error {
	if r.followup == nil {
		return errNoFollowup
	}
	return r.followup(ctx, resp)
}

// ComponentRequest is a button press, a select menu choice or a modal
// submit in the module's custom-id namespace.
type ComponentRequest struct {
	Module string
	// Name is the component name the module registered; Data is what
	// followed it in the custom ID ("warnings:page:2" → Name "warnings",
	// Data "page:2").
	Name, Data    string
	InteractionID snowflake.ID
	CreatedAt     time.Time
	GuildID       snowflake.ID
	ChannelID     snowflake.ID
	MessageID     snowflake.ID
	User          User
	Member        *Member
	// MemberPermissions are the member's permissions in the channel.
	MemberPermissions discord.Permissions
	// Values are a select menu's chosen values.
	Values []string
	// Fields are a modal's submitted text inputs by custom ID.
	Fields        map[string]string
	CorrelationID string
	Log           *zap.Logger
}

func userOf(u discord.User) User {
	g := ""
	if u.GlobalName != nil {
		g = *u.GlobalName
	}
	return User{ID: u.ID, Username: u.Username, GlobalName: g, Bot: u.Bot}
}

func memberOf(m discord.Member, u discord.User) Member {
	mm := Member{User: userOf(u), Roles: m.RoleIDs}
	if m.Nick != nil {
		mm.Nick = *m.Nick
	}
	if m.JoinedAt != nil {
		mm.JoinedAt = *m.JoinedAt
	}
	if m.CommunicationDisabledUntil != nil {
		mm.TimedOutUntil = *m.CommunicationDisabledUntil
	}
	return mm
}
