package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// MarkGuildLeft records that the bot was removed from the guild at at.
// A guild already marked keeps its first time, so the grace period is
// not stretched by a repeated event.
func (s *Store) MarkGuildLeft(ctx context.Context, guildID uint64, at time.Time) error {
	err := s.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO guild_departures (guild_id, left_at) VALUES (?, ?)`,
			Snowflake(guildID), at.UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: mark guild %d left: %w", guildID, err)
	}
	return nil
}

// MarkGuildPresent forgets a departure: the bot is in the guild again.
func (s *Store) MarkGuildPresent(ctx context.Context, guildID uint64) error {
	err := s.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM guild_departures WHERE guild_id = ?`, Snowflake(guildID))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: mark guild %d present: %w", guildID, err)
	}
	return nil
}

// GuildsLeftBefore lists the guilds the bot was removed from before t,
// oldest departure first.
func (s *Store) GuildsLeftBefore(ctx context.Context, t time.Time) ([]uint64, error) {
	rows, err := s.readDB().QueryContext(ctx,
		`SELECT guild_id FROM guild_departures WHERE left_at < ? ORDER BY left_at`, t.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("store: guilds left: %w", err)
	}
	defer rows.Close()
	var out []uint64
	for rows.Next() {
		var id Snowflake
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: guilds left: %w", err)
		}
		out = append(out, uint64(id))
	}
	return out, rows.Err()
}

// DeleteGuild erases what the store itself keeps about a guild: its
// settings, their history, its module switches and its departure. Each
// module erases its own tables (bot.GuildData) before this is called.
func (s *Store) DeleteGuild(ctx context.Context, guildID uint64) error {
	g := Snowflake(guildID)
	// The cached entries to drop are named by module: find which.
	rows, err := s.readDB().QueryContext(ctx,
		`SELECT module FROM guild_settings WHERE guild_id = ? UNION SELECT module FROM guild_modules WHERE guild_id = ?`, g, g)
	if err != nil {
		return fmt.Errorf("store: delete guild %d: %w", guildID, err)
	}
	var keys []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			rows.Close()
			return fmt.Errorf("store: delete guild %d: %w", guildID, err)
		}
		keys = append(keys, settingsKey(m, guildID), enabledKey(m, guildID))
	}
	rows.Close()
	err = s.WriteInvalidate(ctx, keys, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM guild_settings WHERE guild_id = ?`,
			`DELETE FROM guild_settings_history WHERE guild_id = ?`,
			`DELETE FROM guild_modules WHERE guild_id = ?`,
			`DELETE FROM guild_departures WHERE guild_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, g); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: delete guild %d: %w", guildID, err)
	}
	return nil
}
