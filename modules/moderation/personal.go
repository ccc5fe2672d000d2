package moderation

import (
	"context"
	"time"

	"github.com/disgoorg/snowflake/v2"
)

// ExportedCase is a case as an export of a person's data shows it.
type ExportedCase struct {
	Guild     snowflake.ID `json:"guild_id"`
	Case      int64        `json:"case"`
	Action    Action       `json:"action"`
	Role      string       `json:"role"` // "target", "moderator" or "removed the warning"
	Target    snowflake.ID `json:"target_id,omitempty"`
	Moderator snowflake.ID `json:"moderator_id,omitempty"`
	Reason    string       `json:"reason,omitempty"`
	Details   string       `json:"details,omitempty"`
	At        time.Time    `json:"at"`
	Ends      *time.Time   `json:"ends,omitempty"`
	Removed   bool         `json:"removed,omitempty"`
}

// Export is what the module holds about a person.
type Export struct {
	Cases []ExportedCase `json:"cases"`
	// TemporaryBans are their bans waiting to be lifted.
	TemporaryBans []ExportedBan `json:"temporary_bans,omitempty"`
}

// ExportedBan is a temporary ban waiting to be lifted.
type ExportedBan struct {
	Guild snowflake.ID `json:"guild_id"`
	Case  int64        `json:"case"`
	Ends  time.Time    `json:"ends"`
}

// ExportUser returns the cases about the user or by them, and their
// temporary bans. Nil without a store.
func (m *Module) ExportUser(ctx context.Context, user snowflake.ID) (any, error) {
	if m.cases == nil {
		return nil, nil
	}
	cs, err := m.cases.ofUser(ctx, user)
	if err != nil {
		return nil, err
	}
	out := Export{Cases: []ExportedCase{}}
	for _, c := range cs {
		e := ExportedCase{Guild: c.GuildID, Case: c.Number, Action: c.Action, Target: c.TargetID, Moderator: c.ModeratorID,
			Reason: c.Reason, Details: c.Details, At: c.CreatedAt, Removed: c.Revoked()}
		switch user {
		case c.TargetID:
			e.Role = "target"
		case c.ModeratorID:
			e.Role = "moderator"
		default:
			e.Role = "removed the warning"
		}
		if !c.EndsAt.IsZero() {
			ends := c.EndsAt
			e.Ends = &ends
		}
		out.Cases = append(out.Cases, e)
	}
	bans, err := m.cases.tempBansOf(ctx, user)
	if err != nil {
		return nil, err
	}
	for _, b := range bans {
		out.TemporaryBans = append(out.TemporaryBans, ExportedBan{Guild: b.GuildID, Case: b.Case, Ends: b.EndsAt})
	}
	return out, nil
}

// DeleteUser erases the cases about the user and their temporary bans'
// schedules (such a ban then stays until someone lifts it), and removes
// their ID from the cases they handled as a moderator.
func (m *Module) DeleteUser(ctx context.Context, user snowflake.ID) error {
	if m.cases == nil {
		return nil
	}
	return m.cases.eraseUser(ctx, user)
}
