package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ModuleEnabled reports whether module is enabled in the guild. A module
// is enabled unless SetModuleEnabled turned it off: with no row for the
// guild and module, it reports true.
func (s *Store) ModuleEnabled(ctx context.Context, guildID uint64, module string) (bool, error) {
	if module == "" {
		return false, errors.New("store: module enabled: empty module name")
	}
	var enabled bool
	err := s.readDB().QueryRowContext(ctx,
		`SELECT enabled FROM guild_modules WHERE guild_id = ? AND module = ?`,
		Snowflake(guildID), module).Scan(&enabled)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("store: module enabled: guild %d module %q: %w", guildID, module, err)
	}
	return enabled, nil
}

// SetModuleEnabled turns module on or off in the guild. It returns once
// the change is committed.
func (s *Store) SetModuleEnabled(ctx context.Context, guildID uint64, module string, enabled bool) error {
	if module == "" {
		return errors.New("store: set module enabled: empty module name")
	}
	_, err := s.writeDB().ExecContext(ctx,
		`INSERT INTO guild_modules (guild_id, module, enabled, updated_at) VALUES (?, ?, ?, ?)
		 ON CONFLICT (guild_id, module) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
		Snowflake(guildID), module, enabled, s.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("store: set module enabled: guild %d module %q: %w", guildID, module, err)
	}
	return nil
}
