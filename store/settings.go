package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// ErrInvalidSettings is wrapped by the errors [Settings] returns when a
// settings section does not decode or does not pass its validation.
var ErrInvalidSettings = errors.New("store: invalid settings")

// invalidSettingsError is an ErrInvalidSettings with its cause, worded to
// follow the prefix of the error that wraps it.
type invalidSettingsError struct{ err error }

func invalidSettings(err error) error { return &invalidSettingsError{err} }

func (e *invalidSettingsError) Error() string        { return "invalid settings: " + e.err.Error() }
func (e *invalidSettingsError) Unwrap() error        { return e.err }
func (e *invalidSettingsError) Is(target error) bool { return target == ErrInvalidSettings }

// Actor says who makes a change to a guild's settings, for the history.
type Actor struct {
	// UserID is the Discord user who made the change; 0 for the bot
	// itself or an operator at the command line.
	UserID uint64
	// Reason is free text shown in the audit log; may be empty.
	Reason string
}

// ChangeKind is what a [Change] changed.
type ChangeKind string

// The kinds of change the settings history records.
const (
	// KindSettings is a change to a module's settings section.
	KindSettings ChangeKind = "settings"
	// KindEnabled is a module switched on or off (Old and New are JSON
	// true or false; nil when no switch was stored, which means on).
	KindEnabled ChangeKind = "enabled"
)

// Change is one recorded change to a guild's settings or module switch.
type Change struct {
	// ID orders the changes: a later change has a greater ID.
	ID      int64
	GuildID uint64
	Module  string
	Kind    ChangeKind
	// Old and New are the JSON values before and after; nil when there
	// was, or is, none stored (the defaults).
	Old, New json.RawMessage
	Actor    Actor
	At       time.Time
}

// GuildSettings returns the settings section of module in the guild as
// stored (compact JSON), or ErrNotFound when none is stored. Modules read
// their section with [Settings], which decodes, validates and caches it.
func (s *Store) GuildSettings(ctx context.Context, guildID uint64, module string) (json.RawMessage, error) {
	raw, err := querySettings(ctx, s.readDB(), guildID, module)
	if err != nil {
		return nil, fmt.Errorf("store: guild settings: guild %d module %q: %w", guildID, module, err)
	}
	if raw == nil {
		return nil, ErrNotFound
	}
	return raw, nil
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// querySettings returns the stored section, or nil when there is none.
func querySettings(ctx context.Context, q querier, guildID uint64, module string) (json.RawMessage, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM guild_settings WHERE guild_id = ? AND module = ?`,
		Snowflake(guildID), module).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return json.RawMessage(v), nil
}

// PutGuildSettings stores value as the settings section of module in the
// guild and records the change, in one transaction; a nil value removes
// the section (the module's defaults apply again). It does not validate
// value beyond its being JSON: modules write through [Settings]. It
// returns the change recorded, or a Change with ID 0 when value equals
// what is stored.
func (s *Store) PutGuildSettings(ctx context.Context, guildID uint64, module string, value json.RawMessage, by Actor) (Change, error) {
	if module == "" {
		return Change{}, errors.New("store: put guild settings: empty module name")
	}
	var ch Change
	err := s.WriteInvalidate(ctx, []string{settingsKey(module, guildID)}, func(tx *sql.Tx) error {
		var err error
		ch, err = s.putSettingsTx(ctx, tx, guildID, module, value, by)
		return err
	})
	if err != nil {
		return Change{}, fmt.Errorf("store: put guild settings: guild %d module %q: %w", guildID, module, err)
	}
	return ch, nil
}

// putSettingsTx is PutGuildSettings inside tx.
func (s *Store) putSettingsTx(ctx context.Context, tx *sql.Tx, guildID uint64, module string, value json.RawMessage, by Actor) (Change, error) {
	if value != nil {
		var buf bytes.Buffer
		if err := json.Compact(&buf, value); err != nil {
			return Change{}, invalidSettings(err)
		}
		value = buf.Bytes()
	}
	old, err := querySettings(ctx, tx, guildID, module)
	if err != nil {
		return Change{}, err
	}
	if bytes.Equal(old, value) && (old == nil) == (value == nil) {
		return Change{}, nil
	}
	now := s.now()
	if value == nil {
		_, err = tx.ExecContext(ctx, `DELETE FROM guild_settings WHERE guild_id = ? AND module = ?`,
			Snowflake(guildID), module)
	} else {
		_, err = tx.ExecContext(ctx,
			`INSERT INTO guild_settings (guild_id, module, value, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
			 ON CONFLICT (guild_id, module) DO UPDATE
			 SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			Snowflake(guildID), module, string(value), now.UnixMilli(), Snowflake(by.UserID))
	}
	if err != nil {
		return Change{}, err
	}
	return recordChange(ctx, tx, Change{GuildID: guildID, Module: module, Kind: KindSettings,
		Old: old, New: value, Actor: by, At: now})
}

// recordChange inserts ch into the history and returns it with its ID,
// and At rounded to the millisecond as it is stored.
func recordChange(ctx context.Context, tx *sql.Tx, ch Change) (Change, error) {
	res, err := tx.ExecContext(ctx,
		`INSERT INTO guild_settings_history (guild_id, module, kind, old_value, new_value, actor_id, reason, changed_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		Snowflake(ch.GuildID), ch.Module, string(ch.Kind), nullJSON(ch.Old), nullJSON(ch.New),
		Snowflake(ch.Actor.UserID), ch.Actor.Reason, ch.At.UnixMilli())
	if err != nil {
		return Change{}, fmt.Errorf("record change: %w", err)
	}
	if ch.ID, err = res.LastInsertId(); err != nil {
		return Change{}, fmt.Errorf("record change: %w", err)
	}
	ch.At = time.UnixMilli(ch.At.UnixMilli()).UTC()
	return ch, nil
}

// nullJSON is a JSON value as a nullable TEXT argument.
func nullJSON(v json.RawMessage) sql.Null[string] {
	return sql.Null[string]{V: string(v), Valid: v != nil}
}

// SettingsHistory returns the changes recorded for the guild, newest
// first: for one module, or for every module when module is "". before,
// when not 0, returns only changes with an ID below it (the next page
// after a page whose last change had that ID). limit caps the number of
// changes (at most 1000; 0 means 100).
func (s *Store) SettingsHistory(ctx context.Context, guildID uint64, module string, before int64, limit int) ([]Change, error) {
	switch {
	case limit <= 0:
		limit = 100
	case limit > 1000:
		limit = 1000
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.readDB().QueryContext(ctx,
		`SELECT id, guild_id, module, kind, old_value, new_value, actor_id, reason, changed_at
		 FROM guild_settings_history
		 WHERE guild_id = ? AND (? = '' OR module = ?) AND id < ?
		 ORDER BY id DESC LIMIT ?`,
		Snowflake(guildID), module, module, before, limit)
	if err != nil {
		return nil, fmt.Errorf("store: settings history: guild %d: %w", guildID, err)
	}
	defer rows.Close()
	var changes []Change
	for rows.Next() {
		ch, err := scanChange(rows)
		if err != nil {
			return nil, fmt.Errorf("store: settings history: guild %d: %w", guildID, err)
		}
		changes = append(changes, ch)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: settings history: guild %d: %w", guildID, err)
	}
	return changes, nil
}

// scanChange reads one row of guild_settings_history.
func scanChange(row interface{ Scan(...any) error }) (Change, error) {
	var (
		ch         Change
		guild, who Snowflake
		kind       string
		old, new   sql.Null[string]
		at         int64
	)
	if err := row.Scan(&ch.ID, &guild, &ch.Module, &kind, &old, &new, &who, &ch.Actor.Reason, &at); err != nil {
		return Change{}, err
	}
	ch.GuildID, ch.Actor.UserID, ch.Kind = uint64(guild), uint64(who), ChangeKind(kind)
	if old.Valid {
		ch.Old = json.RawMessage(old.V)
	}
	if new.Valid {
		ch.New = json.RawMessage(new.V)
	}
	ch.At = time.UnixMilli(at).UTC()
	return ch, nil
}

// RevertChange puts back the value the change with ID changeID replaced
// (its Old: a settings section, or a module switch), whatever changed
// since, without validating it again (it was valid when saved), and records that as a new change by by; an empty by.Reason
// becomes "revert of change N". It returns the new change (ID 0 when the
// value already was Old), or ErrNotFound when there is no such change.
func (s *Store) RevertChange(ctx context.Context, changeID int64, by Actor) (Change, error) {
	if by.Reason == "" {
		by.Reason = "revert of change " + strconv.FormatInt(changeID, 10)
	}
	target, err := scanChange(s.readDB().QueryRowContext(ctx,
		`SELECT id, guild_id, module, kind, old_value, new_value, actor_id, reason, changed_at
		 FROM guild_settings_history WHERE id = ?`, changeID))
	if errors.Is(err, sql.ErrNoRows) {
		return Change{}, fmt.Errorf("store: revert change %d: %w", changeID, ErrNotFound)
	}
	if err != nil {
		return Change{}, fmt.Errorf("store: revert change %d: %w", changeID, err)
	}
	var ch Change
	switch target.Kind {
	case KindSettings:
		ch, err = s.PutGuildSettings(ctx, target.GuildID, target.Module, target.Old, by)
	case KindEnabled:
		var enabled *bool
		if target.Old != nil {
			enabled = new(bool)
			if err := json.Unmarshal(target.Old, enabled); err != nil {
				return Change{}, fmt.Errorf("store: revert change %d: %w", changeID, err)
			}
		}
		ch, err = s.setModuleEnabled(ctx, target.GuildID, target.Module, enabled, by)
	default:
		err = fmt.Errorf("store: revert change %d: unknown kind %q", changeID, target.Kind)
	}
	return ch, err
}

// settingsKey is the cache key of a module's settings section in a guild.
func settingsKey(module string, guildID uint64) string {
	var buf [96]byte
	b := append(buf[:0], "store/settings/"...)
	b = append(b, module...)
	b = append(b, '/')
	b = strconv.AppendUint(b, guildID, 10)
	return string(b)
}
