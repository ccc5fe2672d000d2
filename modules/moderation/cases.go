package moderation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/store"
)

// Action is what a case records.
type Action string

// The actions a case records.
const (
	ActionWarn      Action = "warn"
	ActionUnwarn    Action = "unwarn"
	ActionTimeout   Action = "timeout"
	ActionUntimeout Action = "untimeout"
	ActionKick      Action = "kick"
	ActionBan       Action = "ban"
	ActionUnban     Action = "unban"
	ActionPurge     Action = "purge"
)

// Title is the action as a case's heading shows it.
func (a Action) Title() string {
	switch a {
	case ActionWarn:
		return "Warning"
	case ActionUnwarn:
		return "Warning removed"
	case ActionTimeout:
		return "Timeout"
	case ActionUntimeout:
		return "Timeout lifted"
	case ActionKick:
		return "Kick"
	case ActionBan:
		return "Ban"
	case ActionUnban:
		return "Unban"
	case ActionPurge:
		return "Purge"
	}
	return string(a)
}

// Where a case came from.
const (
	sourceCommand    = "command"    // a moderator's slash command
	sourceEscalation = "escalation" // the warning ladder
	sourceExpiry     = "expiry"     // a temporary ban ran out
	sourceDiscord    = "discord"    // Discord's own interface (audit log)
	sourceAutomod    = "automod"    // the automod module's action
)

// Modlog states of a case.
const (
	modlogNone    = "none"    // no log channel configured
	modlogPending = "pending" // waiting for the poster
	modlogPosted  = "posted"
	modlogSkipped = "skipped" // the bot may not post in the log channel
	modlogFailed  = "failed"  // Discord refused the message
)

// Case is one moderation action, numbered per guild.
type Case struct {
	GuildID     snowflake.ID
	Number      int64
	Action      Action
	TargetID    snowflake.ID // zero for a purge of everyone's messages
	TargetName  string
	ModeratorID snowflake.ID // zero once the moderator's data was erased
	Reason      string
	Details     string // what else the action did: messages removed, history deleted
	Source      string
	CreatedAt   time.Time
	EndsAt      time.Time // a timeout's or temporary ban's end; zero: none
	RefCase     int64     // the case this one refers to; zero: none
	RevokedAt   time.Time // a warning removed by /unwarn
	RevokedBy   snowflake.ID
	RevokedCase int64
	AuditEntry  snowflake.ID // the audit log entry of a case from Discord's interface
	Modlog      string

	// channel is a purge's channel, for the audit trail (not stored: the
	// details name it).
	channel snowflake.ID
}

// Revoked reports whether a warning was removed.
func (c Case) Revoked() bool { return !c.RevokedAt.IsZero() }

// errNoCase is returned when a case does not exist in the guild.
var errNoCase = errors.New("moderation: no such case")

// errDuplicate is returned when an audit log entry already became a case.
var errDuplicate = errors.New("moderation: audit log entry already recorded")

// tempBan is a temporary ban waiting to be lifted.
type tempBan struct {
	GuildID, UserID snowflake.ID
	Case            int64
	EndsAt, DueAt   time.Time
	Attempts        int
}

// cases is the module's repository: every read and write of its tables
// goes through it, writes through store.Write, reads through DB.
type cases struct {
	st *store.Store
}

func ms(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64)
}

func nullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

func nullID(id snowflake.ID) sql.Null[store.Snowflake] {
	return sql.Null[store.Snowflake]{V: store.Snowflake(id), Valid: id != 0}
}

// open records c with the guild's next case number and returns it
// numbered. Inside the same transaction, then may write more (a
// temporary ban's schedule); it sees the numbered case.
func (cs *cases) open(ctx context.Context, c Case, then func(tx *sql.Tx, c Case) error) (Case, error) {
	err := cs.st.Write(ctx, func(tx *sql.Tx) error {
		var err error
		if c, err = insertCase(ctx, tx, c); err != nil {
			return err
		}
		if then != nil {
			return then(tx, c)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, errDuplicate) {
			return Case{}, err
		}
		return Case{}, fmt.Errorf("moderation: record a %s case: %w", c.Action, err)
	}
	return c, nil
}

// insertCase numbers c and inserts it, inside tx. A case from an audit
// log entry already recorded is errDuplicate.
func insertCase(ctx context.Context, tx *sql.Tx, c Case) (Case, error) {
	if c.AuditEntry != 0 {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM moderation_cases WHERE guild_id = ? AND audit_entry = ?`,
			store.Snowflake(c.GuildID), store.Snowflake(c.AuditEntry)).Scan(&n)
		if err != nil {
			return c, err
		}
		if n > 0 {
			return c, errDuplicate
		}
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO moderation_counters (guild_id, last_case) VALUES (?, 1)
		ON CONFLICT (guild_id) DO UPDATE SET last_case = last_case + 1 RETURNING last_case`,
		store.Snowflake(c.GuildID)).Scan(&c.Number)
	if err != nil {
		return c, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO moderation_cases (guild_id, case_id, action, target_id, target_name,
		moderator_id, reason, details, source, created_at, ends_at, ref_case, audit_entry, modlog)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		store.Snowflake(c.GuildID), c.Number, string(c.Action), store.Snowflake(c.TargetID), c.TargetName,
		store.Snowflake(c.ModeratorID), c.Reason, c.Details, c.Source, c.CreatedAt.UnixMilli(), ms(c.EndsAt),
		nullInt(c.RefCase), nullID(c.AuditEntry), c.Modlog)
	return c, err
}

const caseColumns = `guild_id, case_id, action, target_id, target_name, moderator_id, reason, details, source,
	created_at, ends_at, ref_case, revoked_at, revoked_by, revoked_case, audit_entry, modlog`

type scanner interface{ Scan(dest ...any) error }

func scanCase(s scanner) (Case, error) {
	var (
		c                         Case
		guild, target, moderator  store.Snowflake
		action                    string
		created                   int64
		ends, ref, revAt, revCase sql.NullInt64
		revBy, audit              sql.Null[store.Snowflake]
	)
	err := s.Scan(&guild, &c.Number, &action, &target, &c.TargetName, &moderator, &c.Reason, &c.Details, &c.Source,
		&created, &ends, &ref, &revAt, &revBy, &revCase, &audit, &c.Modlog)
	if err != nil {
		return Case{}, err
	}
	c.GuildID, c.TargetID, c.ModeratorID = snowflake.ID(guild), snowflake.ID(target), snowflake.ID(moderator)
	c.Action = Action(action)
	c.CreatedAt, c.EndsAt, c.RevokedAt = time.UnixMilli(created), fromMS(ends), fromMS(revAt)
	c.RefCase, c.RevokedCase = ref.Int64, revCase.Int64
	c.RevokedBy, c.AuditEntry = snowflake.ID(revBy.V), snowflake.ID(audit.V)
	return c, nil
}

func (cs *cases) query(ctx context.Context, q string, args ...any) ([]Case, error) {
	rows, err := cs.st.DB().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("moderation: read cases: %w", err)
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, fmt.Errorf("moderation: read cases: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("moderation: read cases: %w", err)
	}
	return out, nil
}

// get returns case n of a guild, or errNoCase.
func (cs *cases) get(ctx context.Context, guild snowflake.ID, n int64) (Case, error) {
	row := cs.st.DB().QueryRowContext(ctx, `SELECT `+caseColumns+` FROM moderation_cases WHERE guild_id = ? AND case_id = ?`,
		store.Snowflake(guild), n)
	c, err := scanCase(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Case{}, errNoCase
	}
	if err != nil {
		return Case{}, fmt.Errorf("moderation: read case %d: %w", n, err)
	}
	return c, nil
}

// ofTarget returns the cases about a user in a guild, newest first;
// only warnings when warnsOnly.
func (cs *cases) ofTarget(ctx context.Context, guild, user snowflake.ID, warnsOnly bool) ([]Case, error) {
	q := `SELECT ` + caseColumns + ` FROM moderation_cases WHERE guild_id = ? AND target_id = ?`
	if warnsOnly {
		q += ` AND action = 'warn'`
	}
	return cs.query(ctx, q+` ORDER BY case_id DESC`, store.Snowflake(guild), store.Snowflake(user))
}

// activeWarnings counts a user's warnings not removed, created at or
// after since (zero: all).
func (cs *cases) activeWarnings(ctx context.Context, guild, user snowflake.ID, since time.Time) (int, error) {
	var n int
	err := cs.st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM moderation_cases WHERE guild_id = ? AND target_id = ?
		AND action = 'warn' AND revoked_at IS NULL AND created_at >= ?`,
		store.Snowflake(guild), store.Snowflake(user), since.UnixMilli()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("moderation: count warnings: %w", err)
	}
	return n, nil
}

// revoke removes warning n, unless it is not a warning or was removed
// already, and records the unwarn case u about the warning's target in
// the same transaction. It returns the warning and u numbered.
func (cs *cases) revoke(ctx context.Context, guild snowflake.ID, n int64, u Case) (warning, unwarn Case, err error) {
	err = cs.st.Write(ctx, func(tx *sql.Tx) error {
		w, err := scanCase(tx.QueryRowContext(ctx, `SELECT `+caseColumns+` FROM moderation_cases WHERE guild_id = ? AND case_id = ?`,
			store.Snowflake(guild), n))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return errNoCase
		case err != nil:
			return err
		case w.Action != ActionWarn:
			return errNotAWarning
		case w.Revoked():
			return errAlreadyRevoked
		}
		u.TargetID, u.TargetName = w.TargetID, w.TargetName
		if u, err = insertCase(ctx, tx, u); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE moderation_cases SET revoked_at = ?, revoked_by = ?, revoked_case = ?
			WHERE guild_id = ? AND case_id = ?`, u.CreatedAt.UnixMilli(), store.Snowflake(u.ModeratorID), u.Number,
			store.Snowflake(guild), n)
		warning, unwarn = w, u
		return err
	})
	if err != nil && !errors.Is(err, errNoCase) && !errors.Is(err, errNotAWarning) && !errors.Is(err, errAlreadyRevoked) {
		err = fmt.Errorf("moderation: remove warning %d: %w", n, err)
	}
	return warning, unwarn, err
}

var (
	errNotAWarning    = errors.New("moderation: not a warning")
	errAlreadyRevoked = errors.New("moderation: warning already removed")
)

// endEarly sets the end of a user's running timeouts or bans (action)
// to at: a timeout lifted or a ban removed before its end.
func (tx txCases) endEarly(ctx context.Context, guild, user snowflake.ID, action Action, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE moderation_cases SET ends_at = ? WHERE guild_id = ? AND target_id = ?
		AND action = ? AND ends_at > ?`, at.UnixMilli(), store.Snowflake(guild), store.Snowflake(user), string(action), at.UnixMilli())
	return err
}

// txCases are the writes that run inside another write's transaction.
type txCases struct{ *sql.Tx }

// scheduleUnban records when a temporary ban ends, replacing an earlier
// schedule for the same person.
func (tx txCases) scheduleUnban(ctx context.Context, b tempBan) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO moderation_tempbans (guild_id, user_id, case_id, ends_at, due_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET case_id = excluded.case_id,
		ends_at = excluded.ends_at, due_at = excluded.due_at, attempts = 0`,
		store.Snowflake(b.GuildID), store.Snowflake(b.UserID), b.Case, b.EndsAt.UnixMilli(), b.EndsAt.UnixMilli())
	return err
}

// cancelUnban forgets the schedule of a person's temporary ban.
func (tx txCases) cancelUnban(ctx context.Context, guild, user snowflake.ID) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM moderation_tempbans WHERE guild_id = ? AND user_id = ?`,
		store.Snowflake(guild), store.Snowflake(user))
	return err
}

// notDeparted leaves out the guilds the bot was removed from.
const notDeparted = ` AND guild_id NOT IN (SELECT guild_id FROM moderation_departures)`

// notIn leaves out the guilds in skip; it returns the SQL and its
// arguments.
func notIn(skip []snowflake.ID) (string, []any) {
	if len(skip) == 0 {
		return "", nil
	}
	args := make([]any, len(skip))
	for i, g := range skip {
		args[i] = store.Snowflake(g)
	}
	return ` AND guild_id NOT IN (?` + strings.Repeat(`, ?`, len(skip)-1) + `)`, args
}

// dueUnbans returns up to limit temporary bans due at now, soonest first,
// but for those of the guilds the bot left and of the guilds in skip.
func (cs *cases) dueUnbans(ctx context.Context, now time.Time, limit int, skip []snowflake.ID) ([]tempBan, error) {
	not, args := notIn(skip)
	rows, err := cs.st.DB().QueryContext(ctx, `SELECT guild_id, user_id, case_id, ends_at, due_at, attempts
		FROM moderation_tempbans WHERE due_at <= ?`+notDeparted+not+` ORDER BY due_at LIMIT ?`,
		append(append([]any{now.UnixMilli()}, args...), limit)...)
	if err != nil {
		return nil, fmt.Errorf("moderation: read temporary bans: %w", err)
	}
	defer rows.Close()
	var out []tempBan
	for rows.Next() {
		var b tempBan
		var g, u store.Snowflake
		var ends, due int64
		if err := rows.Scan(&g, &u, &b.Case, &ends, &due, &b.Attempts); err != nil {
			return nil, fmt.Errorf("moderation: read temporary bans: %w", err)
		}
		b.GuildID, b.UserID, b.EndsAt, b.DueAt = snowflake.ID(g), snowflake.ID(u), time.UnixMilli(ends), time.UnixMilli(due)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("moderation: read temporary bans: %w", err)
	}
	return out, nil
}

// nextUnban returns when the soonest temporary ban of a guild the bot is
// in is due; ok is false when none is scheduled.
func (cs *cases) nextUnban(ctx context.Context) (at time.Time, ok bool, err error) {
	var due sql.NullInt64
	if err := cs.st.DB().QueryRowContext(ctx, `SELECT MIN(due_at) FROM moderation_tempbans WHERE 1 = 1`+notDeparted).Scan(&due); err != nil {
		return time.Time{}, false, fmt.Errorf("moderation: read temporary bans: %w", err)
	}
	return fromMS(due), due.Valid, nil
}

// postpone moves a temporary ban's next attempt to at.
func (cs *cases) postpone(ctx context.Context, b tempBan, at time.Time) error {
	return cs.st.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE moderation_tempbans SET due_at = ?, attempts = attempts + 1
			WHERE guild_id = ? AND user_id = ? AND case_id = ?`, at.UnixMilli(), store.Snowflake(b.GuildID), store.Snowflake(b.UserID), b.Case)
		return err
	})
}

// forgetUnban removes a temporary ban's schedule once it was lifted (or
// found lifted already), if it still is the one given.
func (cs *cases) forgetUnban(ctx context.Context, b tempBan) error {
	return cs.st.Write(ctx, func(tx *sql.Tx) error { return txCases{tx}.forget(ctx, b) })
}

// forget is forgetUnban inside another write.
func (tx txCases) forget(ctx context.Context, b tempBan) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM moderation_tempbans WHERE guild_id = ? AND user_id = ? AND case_id = ?`,
		store.Snowflake(b.GuildID), store.Snowflake(b.UserID), b.Case)
	return err
}

// pendingModlog returns up to limit cases waiting for the modlog,
// oldest first, but for those of the guilds the bot left and of the
// guilds in skip.
func (cs *cases) pendingModlog(ctx context.Context, limit int, skip []snowflake.ID) ([]Case, error) {
	not, args := notIn(skip)
	return cs.query(ctx, `SELECT `+caseColumns+` FROM moderation_cases WHERE modlog = 'pending'`+notDeparted+not+
		` ORDER BY guild_id, case_id LIMIT ?`, append(args, limit)...)
}

// setModlog records the modlog state of cases of a guild.
func (cs *cases) setModlog(ctx context.Context, guild snowflake.ID, numbers []int64, state string) error {
	return cs.st.Write(ctx, func(tx *sql.Tx) error {
		for _, n := range numbers {
			if _, err := tx.ExecContext(ctx, `UPDATE moderation_cases SET modlog = ? WHERE guild_id = ? AND case_id = ?`,
				state, store.Snowflake(guild), n); err != nil {
				return err
			}
		}
		return nil
	})
}

// ofUser returns every case in any guild where the user is the target
// or the moderator, for an export.
func (cs *cases) ofUser(ctx context.Context, user snowflake.ID) ([]Case, error) {
	return cs.query(ctx, `SELECT `+caseColumns+` FROM moderation_cases WHERE target_id = ? OR moderator_id = ? OR revoked_by = ?
		ORDER BY guild_id, case_id`, store.Snowflake(user), store.Snowflake(user), store.Snowflake(user))
}

// tempBansOf returns the user's scheduled temporary bans, for an export.
func (cs *cases) tempBansOf(ctx context.Context, user snowflake.ID) ([]tempBan, error) {
	rows, err := cs.st.DB().QueryContext(ctx, `SELECT guild_id, case_id, ends_at FROM moderation_tempbans WHERE user_id = ?`,
		store.Snowflake(user))
	if err != nil {
		return nil, fmt.Errorf("moderation: read temporary bans: %w", err)
	}
	defer rows.Close()
	var out []tempBan
	for rows.Next() {
		var g store.Snowflake
		var ends int64
		b := tempBan{UserID: user}
		if err := rows.Scan(&g, &b.Case, &ends); err != nil {
			return nil, fmt.Errorf("moderation: read temporary bans: %w", err)
		}
		b.GuildID, b.EndsAt = snowflake.ID(g), time.UnixMilli(ends)
		out = append(out, b)
	}
	return out, rows.Err()
}

// eraseUser deletes the cases about a user and their temporary bans'
// schedules, and removes their ID from the cases they acted in.
func (cs *cases) eraseUser(ctx context.Context, user snowflake.ID) error {
	id := store.Snowflake(user)
	err := cs.st.Write(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM moderation_cases WHERE target_id = ?`,
			`DELETE FROM moderation_tempbans WHERE user_id = ?`,
			`UPDATE moderation_cases SET moderator_id = 0 WHERE moderator_id = ?`,
			`UPDATE moderation_cases SET revoked_by = 0 WHERE revoked_by = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("moderation: erase user: %w", err)
	}
	return nil
}

// markDeparted records that the bot was removed from a guild at at; a
// guild marked already keeps its first time.
func (cs *cases) markDeparted(ctx context.Context, guild snowflake.ID, at time.Time) error {
	err := cs.st.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO moderation_departures (guild_id, left_at) VALUES (?, ?)`,
			store.Snowflake(guild), at.UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("moderation: mark guild %d left: %w", guild, err)
	}
	return nil
}

// markBack forgets a guild's departure; it reports whether there was one.
// It reads first, so that the guilds of every start-up cost no write.
func (cs *cases) markBack(ctx context.Context, guild snowflake.ID) (bool, error) {
	if left, err := cs.departed(ctx, guild); err != nil || !left {
		return false, err
	}
	err := cs.st.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM moderation_departures WHERE guild_id = ?`, store.Snowflake(guild))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("moderation: mark guild %d back: %w", guild, err)
	}
	return true, nil
}

// departed reports whether the bot was removed from a guild and is not
// back yet.
func (cs *cases) departed(ctx context.Context, guild snowflake.ID) (bool, error) {
	var n int
	if err := cs.st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM moderation_departures WHERE guild_id = ?`,
		store.Snowflake(guild)).Scan(&n); err != nil {
		return false, fmt.Errorf("moderation: read departures: %w", err)
	}
	return n > 0, nil
}

// eraseGuild deletes every row of a guild: cases, counter, temporary
// bans and departure.
func (cs *cases) eraseGuild(ctx context.Context, guild snowflake.ID) error {
	err := cs.st.Write(ctx, func(tx *sql.Tx) error {
		for _, table := range []string{"moderation_cases", "moderation_counters", "moderation_tempbans", "moderation_departures"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE guild_id = ?`, store.Snowflake(guild)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("moderation: erase guild %d: %w", guild, err)
	}
	return nil
}
