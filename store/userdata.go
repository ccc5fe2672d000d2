package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// UserTable declares a module table that holds rows about a person, for
// ExportUser and DeleteUser. A module lists its tables once and
// implements bot.PersonalData in two lines:
//
//	var userTables = []store.UserTable{
//		{Table: "xp_levels", UserColumn: "user_id"},
//		{Table: "xp_grants", UserColumn: "user_id", Snowflakes: []string{"guild_id", "granted_by"}},
//	}
//
//	func (m *Module) ExportUser(ctx context.Context, u snowflake.ID) (any, error) {
//		return m.st.ExportUser(ctx, uint64(u), userTables...)
//	}
//
//	func (m *Module) DeleteUser(ctx context.Context, u snowflake.ID) error {
//		_, err := m.st.DeleteUser(ctx, uint64(u), userTables...)
//		return err
//	}
type UserTable struct {
	// Table is the module's table.
	Table string
	// UserColumn holds the person's Discord ID (as a Snowflake).
	UserColumn string
	// Snowflakes are the other columns holding Discord IDs. They and
	// UserColumn are exported as decimal strings, as Discord's API writes
	// IDs, since JSON numbers lose precision beyond 2^53.
	Snowflakes []string
}

// UserExport is what ExportUser returns: per table, the person's rows,
// each a map from column name to value. It encodes to JSON as is.
type UserExport map[string][]map[string]any

// ExportUser returns every row of tables whose UserColumn is userID, read
// in one transaction (one snapshot across the tables). Values are as
// SQLite holds them, but for the Snowflake columns (decimal strings) and
// for text (string; a BLOB that is not UTF-8 stays []byte, which JSON
// writes as base64). A table with no such rows is present, empty.
func (s *Store) ExportUser(ctx context.Context, userID uint64, tables ...UserTable) (UserExport, error) {
	queries := make([]string, len(tables))
	for i, t := range tables {
		q, _, err := userQueries(t)
		if err != nil {
			return nil, fmt.Errorf("store: export user: %w", err)
		}
		queries[i] = q
	}
	tx, err := s.readDB().BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: export user: %w", err)
	}
	defer tx.Rollback() // read only: nothing to commit
	out := make(UserExport, len(tables))
	for i, t := range tables {
		rows, err := exportRows(ctx, tx, queries[i], userID, t)
		if err != nil {
			return nil, fmt.Errorf("store: export user: table %q: %w", t.Table, err)
		}
		out[t.Table] = rows
	}
	return out, nil
}

// exportRows reads one table's rows about userID.
func exportRows(ctx context.Context, tx *sql.Tx, query string, userID uint64, t UserTable) ([]map[string]any, error) {
	rows, err := tx.QueryContext(ctx, query, Snowflake(userID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	snow := make([]bool, len(cols))
	for i, c := range cols {
		snow[i] = c == t.UserColumn || slices.Contains(t.Snowflakes, c)
	}
	out := []map[string]any{}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			row[c] = exportValue(vals[i], snow[i])
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// exportValue makes one value JSON-friendly.
func exportValue(v any, snowflake bool) any {
	switch v := v.(type) {
	case int64:
		if snowflake {
			return strconv.FormatUint(uint64(v), 10)
		}
	case []byte:
		if utf8.Valid(v) {
			return string(v)
		}
		return slices.Clone(v)
	}
	return v
}

// DeleteUser deletes every row of tables whose UserColumn is userID, in
// one transaction: all of them or, on an error, none. It returns the
// number of rows deleted. Rows other tables reference are deleted or
// refused as their foreign keys say (foreign keys are enforced). A module
// that caches data about the person invalidates it itself.
func (s *Store) DeleteUser(ctx context.Context, userID uint64, tables ...UserTable) (int64, error) {
	queries := make([]string, len(tables))
	for i, t := range tables {
		_, q, err := userQueries(t)
		if err != nil {
			return 0, fmt.Errorf("store: delete user: %w", err)
		}
		queries[i] = q
	}
	var total int64
	err := s.Write(ctx, func(tx *sql.Tx) error {
		for i, q := range queries {
			res, err := tx.ExecContext(ctx, q, Snowflake(userID))
			if err != nil {
				return fmt.Errorf("table %q: %w", tables[i].Table, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("table %q: %w", tables[i].Table, err)
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: delete user: %w", err)
	}
	return total, nil
}

// userQueries returns the export and delete statements of t.
func userQueries(t UserTable) (export, del string, err error) {
	table, err := quoteIdent(t.Table)
	if err != nil {
		return "", "", err
	}
	col, err := quoteIdent(t.UserColumn)
	if err != nil {
		return "", "", err
	}
	return `SELECT * FROM ` + table + ` WHERE ` + col + ` = ?`,
		`DELETE FROM ` + table + ` WHERE ` + col + ` = ?`, nil
}

// settingsUserTables are the host's own tables that name a person: who
// last changed a guild's settings, and who made each change in the
// history.
func settingsUserTables() []UserTable {
	return []UserTable{
		{Table: "guild_settings", UserColumn: "updated_by", Snowflakes: []string{"guild_id"}},
		{Table: "guild_settings_history", UserColumn: "actor_id", Snowflakes: []string{"guild_id"}},
	}
}

// ExportSettingsChanges returns the host's own personal data about user:
// the settings they changed last, and every change they made, in every
// guild (modules export theirs).
func (s *Store) ExportSettingsChanges(ctx context.Context, user uint64) (UserExport, error) {
	return s.ExportUser(ctx, user, settingsUserTables()...)
}

// ForgetSettingsChanges anonymises the settings changes user made: their
// ID becomes 0, as for a change by the bot or an operator, and the
// reasons they gave are dropped. The changes stay: the history and
// revert need them. It returns how many rows it changed.
func (s *Store) ForgetSettingsChanges(ctx context.Context, user uint64) (int64, error) {
	var n int64
	err := s.Write(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`UPDATE guild_settings SET updated_by = 0 WHERE updated_by = ?`,
			`UPDATE guild_settings_history SET actor_id = 0, reason = '' WHERE actor_id = ?`,
		} {
			res, err := tx.ExecContext(ctx, q, Snowflake(user))
			if err != nil {
				return err
			}
			c, _ := res.RowsAffected()
			n += c
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: forget settings changes: %w", err)
	}
	return n, nil
}
