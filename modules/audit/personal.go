package audit

import (
	"context"

	"github.com/disgoorg/snowflake/v2"
)

// Export is what the module holds about a person: the entries where
// they acted or were acted on.
type Export struct {
	Entries []ExportedEntry `json:"entries"`
}

// ExportUser returns the entries, in every guild, where the user is the
// actor or the target, oldest first. Nil without a store.
func (m *Module) ExportUser(ctx context.Context, user snowflake.ID) (any, error) {
	if m.trail == nil {
		return nil, nil
	}
	if err := m.flush(ctx); err != nil {
		return nil, err
	}
	list, err := m.trail.ofUser(ctx, user)
	if err != nil {
		return nil, err
	}
	out := Export{Entries: make([]ExportedEntry, 0, len(list))}
	for _, e := range list {
		role := "target"
		switch {
		case e.ActorID == user && e.TargetID == user:
			role = "both"
		case e.ActorID == user:
			role = "actor"
		}
		x := exported(e)
		x.Role = role
		out.Entries = append(out.Entries, x)
	}
	return out, nil
}

// DeleteUser removes the user from the trail and keeps what was done,
// for the trail's purpose is that actions stay known: their ID becomes 0
// (marked erased) where they acted or were acted on; where they were the
// target, the reason and details, free text that may name them, are
// dropped; and their ID written anywhere else in the trail (a mention in
// someone's reason, a setting's value) becomes 0.
func (m *Module) DeleteUser(ctx context.Context, user snowflake.ID) error {
	if m.trail == nil {
		return nil
	}
	if err := m.flush(ctx); err != nil {
		return err
	}
	return m.trail.anonymise(ctx, user)
}
