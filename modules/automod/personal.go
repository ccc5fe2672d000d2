package automod

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/store"
)

// Export is what the module holds about a person.
type Export struct {
	// Lockdowns are the lockdowns in progress they started.
	Lockdowns []ExportedLockdown `json:"lockdowns_started"`
	// TrackedIn counts the servers where automod remembers, in memory
	// only, their recent messages (IDs, times, a hash of the text) and
	// their roles.
	TrackedIn int `json:"servers_tracked_in_memory"`
}

// ExportedLockdown is a lockdown a person started.
type ExportedLockdown struct {
	Guild     snowflake.ID `json:"guild_id"`
	StartedAt time.Time    `json:"started_at"`
	Reason    string       `json:"reason"`
}

// ExportUser returns the lockdowns the user started that are still on,
// and how many servers' memory holds their recent messages.
func (m *Module) ExportUser(ctx context.Context, user snowflake.ID) (any, error) {
	out := Export{Lockdowns: []ExportedLockdown{}}
	if m.members != nil {
		_, out.TrackedIn = m.members.count(user)
	}
	if m.lockdowns == nil {
		return out, nil
	}
	rows, err := m.lockdowns.st.DB().QueryContext(ctx,
		`SELECT guild_id, started_at, reason FROM automod_lockdowns WHERE started_by = ? ORDER BY guild_id`, store.Snowflake(user))
	if err != nil {
		return nil, fmt.Errorf("automod: export user: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			g  store.Snowflake
			at int64
			e  ExportedLockdown
		)
		if err := rows.Scan(&g, &at, &e.Reason); err != nil {
			return nil, fmt.Errorf("automod: export user: %w", err)
		}
		e.Guild, e.StartedAt = snowflake.ID(g), time.UnixMilli(at)
		out.Lockdowns = append(out.Lockdowns, e)
	}
	return out, rows.Err()
}

// DeleteUser forgets the user's recent messages and roles (memory), and
// removes their ID from the lockdowns they started: the lockdown itself
// stays, since ending it needs what it stored.
func (m *Module) DeleteUser(ctx context.Context, user snowflake.ID) error {
	if m.members != nil {
		m.members.forget(func(k memberKey) bool { return k.user == user })
	}
	if m.lockdowns == nil {
		return nil
	}
	return m.lockdowns.st.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE automod_lockdowns SET started_by = 0, reason = '' WHERE started_by = ?`, store.Snowflake(user))
		if err != nil {
			return fmt.Errorf("automod: delete user: %w", err)
		}
		return nil
	})
}

// DeleteGuild erases the guild's lockdown rows and what memory holds
// about it, once the bot has been out of the guild past the grace
// period.
func (m *Module) DeleteGuild(ctx context.Context, guild snowflake.ID) error {
	if m.members != nil {
		m.forgetGuild(guild)
	}
	if m.lockdowns == nil {
		return nil
	}
	return m.lockdowns.end(ctx, guild)
}
