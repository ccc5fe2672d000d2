package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/store"
)

// The kinds of entries that record settings, not actions.
const (
	kindSettingsSet   = "settings.set"
	kindSettingsReset = "settings.reset"
	kindModuleEnable  = "module.enable"
	kindModuleDisable = "module.disable"
)

// Bits of entry.Erased: whose data was erased from the entry.
const (
	erasedActor  = 1
	erasedTarget = 2
)

// entry is one row of the trail: an action or a settings change.
type entry struct {
	ID       int64
	GuildID  snowflake.ID
	At       time.Time
	Module   string
	Kind     string
	ActorID  snowflake.ID
	TargetID snowflake.ID
	Erased   int
	Reason   string
	Case     int64
	DryRun   bool
	Details  map[string]string
	// Key, Old, New and ChangeID are a settings change's.
	Key, Old, New string
	ChangeID      int64
	CorrelationID string
}

// setting reports whether the entry records settings rather than an
// action.
func (e entry) setting() bool {
	switch e.Kind {
	case kindSettingsSet, kindSettingsReset, kindModuleEnable, kindModuleDisable:
		return true
	}
	return false
}

// filter selects the entries of a guild /audit and its export show.
type filter struct {
	// User matches entries where the user is the actor or the target;
	// 0 matches all.
	User snowflake.ID
	// Action matches a kind ("ban"), or a family of kinds by the part
	// before the dot ("automod" matches "automod.delete"); "" matches
	// all.
	Action string
	// Since matches entries at or after it; zero matches all.
	Since time.Time
	// Upto matches entries with an ID up to it, so that the pages of one
	// listing do not shift as new entries arrive; 0 matches all.
	Upto int64
}

// where returns the filter as a WHERE clause on the guild, with its
// arguments.
func (f filter) where(guild snowflake.ID) (string, []any) {
	var b strings.Builder
	g := store.Snowflake(guild)
	args := []any{g}
	if f.User != 0 {
		// A person's entries through the actor and target indexes, not by
		// walking the guild's: the unary + keeps the planner off the guild
		// index, which would read every entry of a large guild.
		u := store.Snowflake(f.User)
		b.WriteString("+guild_id = ? AND ((actor_id = ? AND guild_id = ?) OR (target_id = ? AND guild_id = ?))")
		args = append(args, u, g, u, g)
	} else {
		b.WriteString("guild_id = ?")
	}
	if f.Action != "" {
		// The family as a range, so that the kind index serves it: every
		// kind from "automod." up to, not including, "automod/".
		b.WriteString(" AND (kind = ? OR (kind > ? AND kind < ?))")
		args = append(args, f.Action, f.Action+".", f.Action+"/")
	}
	if !f.Since.IsZero() {
		b.WriteString(" AND at >= ?")
		args = append(args, f.Since.UnixMilli())
	}
	if f.Upto != 0 {
		b.WriteString(" AND id <= ?")
		args = append(args, f.Upto)
	}
	return b.String(), args
}

// trail is the module's repository: every read and write of its table
// goes through it, writes through the store's writer, reads through DB.
type trail struct {
	st *store.Store
}

const entryColumns = `id, guild_id, at, module, kind, actor_id, target_id, erased, reason, case_id, dry_run, details,
	setting_key, old_value, new_value, change_id, correlation_id`

// insert writes rows in tx: the batcher's flush.
func (t *trail) insert(ctx context.Context, tx *sql.Tx, rows []entry) error {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO audit_entries (guild_id, at, module, kind, actor_id, target_id, reason,
		case_id, dry_run, details, setting_key, old_value, new_value, change_id, correlation_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("audit: insert: %w", err)
	}
	defer stmt.Close()
	for _, e := range rows {
		details := ""
		if len(e.Details) > 0 {
			b, err := json.Marshal(e.Details)
			if err != nil {
				return fmt.Errorf("audit: insert: details: %w", err)
			}
			details = string(b)
		}
		if _, err := stmt.ExecContext(ctx, store.Snowflake(e.GuildID), e.At.UnixMilli(), e.Module, e.Kind,
			store.Snowflake(e.ActorID), store.Snowflake(e.TargetID), e.Reason, e.Case, e.DryRun, details,
			e.Key, e.Old, e.New, e.ChangeID, e.CorrelationID); err != nil {
			return fmt.Errorf("audit: insert: %w", err)
		}
	}
	return nil
}

// scanEntries reads rows selected with entryColumns.
func scanEntries(rows *sql.Rows) ([]entry, error) {
	defer rows.Close()
	var out []entry
	for rows.Next() {
		var (
			e                    entry
			guild, actor, target store.Snowflake
			at                   int64
			details              string
		)
		if err := rows.Scan(&e.ID, &guild, &at, &e.Module, &e.Kind, &actor, &target, &e.Erased, &e.Reason, &e.Case,
			&e.DryRun, &details, &e.Key, &e.Old, &e.New, &e.ChangeID, &e.CorrelationID); err != nil {
			return nil, err
		}
		e.GuildID, e.ActorID, e.TargetID = snowflake.ID(guild), snowflake.ID(actor), snowflake.ID(target)
		e.At = time.UnixMilli(at)
		if details != "" {
			// Written by insert from a map; a row edited by hand that no
			// longer reads keeps its text under one key.
			if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
				e.Details = map[string]string{"details": details}
			}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// list returns up to limit entries of the guild matching f, newest
// first, skipping offset.
func (t *trail) list(ctx context.Context, guild snowflake.ID, f filter, offset, limit int) ([]entry, error) {
	where, args := f.where(guild)
	rows, err := t.st.DB().QueryContext(ctx, `SELECT `+entryColumns+` FROM audit_entries WHERE `+where+
		` ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	out, err := scanEntries(rows)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	return out, nil
}

// count returns how many entries of the guild match f.
func (t *trail) count(ctx context.Context, guild snowflake.ID, f filter) (int, error) {
	where, args := f.where(guild)
	var n int
	if err := t.st.DB().QueryRowContext(ctx, `SELECT count(*) FROM audit_entries WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("audit: count: %w", err)
	}
	return n, nil
}

// lastID returns the newest entry's ID, 0 when there is none: the bound
// of a listing's pages.
func (t *trail) lastID(ctx context.Context) (int64, error) {
	var id int64
	if err := t.st.DB().QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM audit_entries`).Scan(&id); err != nil {
		return 0, fmt.Errorf("audit: last entry: %w", err)
	}
	return id, nil
}

// maxKinds bounds the kinds listed for autocomplete and error messages.
const maxKinds = 100

// kinds returns the distinct kinds recorded in the guild, sorted: one
// index seek per kind, however many entries there are.
func (t *trail) kinds(ctx context.Context, guild snowflake.ID) ([]string, error) {
	rows, err := t.st.DB().QueryContext(ctx, `WITH RECURSIVE k(kind) AS (
			SELECT min(kind) FROM audit_entries WHERE guild_id = ?1
			UNION ALL
			SELECT (SELECT min(kind) FROM audit_entries WHERE guild_id = ?1 AND kind > k.kind) FROM k WHERE k.kind IS NOT NULL
		) SELECT kind FROM k WHERE kind IS NOT NULL LIMIT ?2`, store.Snowflake(guild), maxKinds)
	if err != nil {
		return nil, fmt.Errorf("audit: kinds: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("audit: kinds: %w", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: kinds: %w", err)
	}
	return out, nil
}

// ofUser returns every entry, in any guild, where the user is the actor
// or the target, oldest first.
func (t *trail) ofUser(ctx context.Context, user snowflake.ID) ([]entry, error) {
	rows, err := t.st.DB().QueryContext(ctx, `SELECT `+entryColumns+` FROM audit_entries
		WHERE actor_id = ?1 OR target_id = ?1 ORDER BY at, id`, store.Snowflake(user))
	if err != nil {
		return nil, fmt.Errorf("audit: entries of a user: %w", err)
	}
	out, err := scanEntries(rows)
	if err != nil {
		return nil, fmt.Errorf("audit: entries of a user: %w", err)
	}
	return out, nil
}

// anonymise removes a person from the trail, in one transaction, and
// keeps what was done: their ID becomes 0 (marked erased) where they
// acted or were acted on; where they were the target, the reason and
// details (free text about them) are dropped; and their ID, as it
// appears in a mention or a setting's value anywhere in the trail,
// becomes 0.
func (t *trail) anonymise(ctx context.Context, user snowflake.ID) error {
	id := store.Snowflake(user)
	text := strconv.FormatUint(uint64(user), 10)
	err := t.st.Write(ctx, func(tx *sql.Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`UPDATE audit_entries SET actor_id = 0, erased = erased | 1 WHERE actor_id = ?`, []any{id}},
			{`UPDATE audit_entries SET target_id = 0, erased = erased | 2, reason = '', details = '' WHERE target_id = ?`, []any{id}},
			{`UPDATE audit_entries SET reason = replace(reason, ?1, '0'), details = replace(details, ?1, '0'),
				old_value = replace(old_value, ?1, '0'), new_value = replace(new_value, ?1, '0')
				WHERE instr(reason, ?1) > 0 OR instr(details, ?1) > 0 OR instr(old_value, ?1) > 0 OR instr(new_value, ?1) > 0`,
				[]any{text}},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("audit: erase a user: %w", err)
	}
	return nil
}

// deleteChunk is how many rows one transaction of deleteGuild removes,
// so that erasing a large guild lets other writes through.
const deleteChunk = 5000

// deleteGuild erases every entry of the guild.
func (t *trail) deleteGuild(ctx context.Context, guild snowflake.ID) error {
	for {
		var n int64
		err := t.st.Write(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM audit_entries WHERE id IN
				(SELECT id FROM audit_entries WHERE guild_id = ? LIMIT ?)`, store.Snowflake(guild), deleteChunk)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return fmt.Errorf("audit: erase guild %d: %w", guild, err)
		}
		if n < deleteChunk {
			return nil
		}
	}
}
