package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// moduleEnabledTTL bounds how long a module switch stays cached. Writes
// through the store invalidate it at once; the TTL only returns memory
// for guilds gone quiet.
const moduleEnabledTTL = 10 * time.Minute

// ModuleEnabled reports whether module is enabled in the guild. A module
// is enabled unless SetModuleEnabled turned it off: with no row for the
// guild and module, it reports true. With a cache ([WithCache]) the answer
// is served from memory, never older than the last SetModuleEnabled that
// returned.
func (s *Store) ModuleEnabled(ctx context.Context, guildID uint64, module string) (bool, error) {
	if module == "" {
		return false, errors.New("store: module enabled: empty module name")
	}
	on, err := readThrough(ctx, s.cache, enabledKey(module, guildID), moduleEnabledTTL, 1,
		func(ctx context.Context) (bool, error) {
			on, err := queryEnabled(ctx, s.readDB(), guildID, module)
			return on == nil || *on, err
		})
	if err != nil {
		return false, fmt.Errorf("store: module enabled: guild %d module %q: %w", guildID, module, err)
	}
	return on, nil
}

// queryEnabled returns the stored switch, or nil when there is none.
func queryEnabled(ctx context.Context, q querier, guildID uint64, module string) (*bool, error) {
	var enabled bool
	err := q.QueryRowContext(ctx,
		`SELECT enabled FROM guild_modules WHERE guild_id = ? AND module = ?`,
		Snowflake(guildID), module).Scan(&enabled)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &enabled, nil
}

// SetModuleEnabled turns module on or off in the guild and records the
// change in the settings history as made by the bot or an operator
// (actor 0). It returns once the change is committed.
func (s *Store) SetModuleEnabled(ctx context.Context, guildID uint64, module string, enabled bool) error {
	_, err := s.SetModuleEnabledBy(ctx, guildID, module, enabled, Actor{})
	return err
}

// SetModuleEnabledBy is SetModuleEnabled on behalf of by. It returns the
// change recorded, or a Change with ID 0 when the switch already was so.
func (s *Store) SetModuleEnabledBy(ctx context.Context, guildID uint64, module string, enabled bool, by Actor) (Change, error) {
	return s.setModuleEnabled(ctx, guildID, module, &enabled, by)
}

// setModuleEnabled sets the switch, or removes it (back to the default,
// on) when enabled is nil, and records the change.
func (s *Store) setModuleEnabled(ctx context.Context, guildID uint64, module string, enabled *bool, by Actor) (Change, error) {
	if module == "" {
		return Change{}, errors.New("store: set module enabled: empty module name")
	}
	var ch Change
	err := s.WriteInvalidate(ctx, []string{enabledKey(module, guildID)}, func(tx *sql.Tx) error {
		old, err := queryEnabled(ctx, tx, guildID, module)
		if err != nil {
			return err
		}
		if (old == nil && enabled == nil) || (old != nil && enabled != nil && *old == *enabled) {
			return nil
		}
		now := s.now()
		if enabled == nil {
			_, err = tx.ExecContext(ctx, `DELETE FROM guild_modules WHERE guild_id = ? AND module = ?`,
				Snowflake(guildID), module)
		} else {
			_, err = tx.ExecContext(ctx,
				`INSERT INTO guild_modules (guild_id, module, enabled, updated_at) VALUES (?, ?, ?, ?)
				 ON CONFLICT (guild_id, module) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
				Snowflake(guildID), module, *enabled, now.UnixMilli())
		}
		if err != nil {
			return err
		}
		ch, err = recordChange(ctx, tx, Change{GuildID: guildID, Module: module, Kind: KindEnabled,
			Old: boolJSON(old), New: boolJSON(enabled), Actor: by, At: now})
		return err
	})
	if err != nil {
		return Change{}, fmt.Errorf("store: set module enabled: guild %d module %q: %w", guildID, module, err)
	}
	return ch, nil
}

// boolJSON is a switch as JSON, nil for none.
func boolJSON(b *bool) []byte {
	if b == nil {
		return nil
	}
	return strconv.AppendBool(nil, *b)
}

// enabledKey is the cache key of a module switch in a guild.
func enabledKey(module string, guildID uint64) string {
	var buf [96]byte
	b := append(buf[:0], "store/enabled/"...)
	b = append(b, module...)
	b = append(b, '/')
	b = strconv.AppendUint(b, guildID, 10)
	return string(b)
}
