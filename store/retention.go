package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"
)

// TimeUnit is how a column holds a point in time.
type TimeUnit int

// The time units a retention rule understands.
const (
	// UnixMilli is Unix time in milliseconds, the store's convention.
	UnixMilli TimeUnit = iota
	// UnixSeconds is Unix time in seconds.
	UnixSeconds
)

// Expiry is a retention rule: the rows of a module's table whose time
// column is older than MaxAge are deleted by [Retention]. A module
// declares one per table that holds data with a shelf life, with MaxAge
// from its configuration. Give Column an index: the rule looks rows up by
// it.
type Expiry struct {
	// Module is the module that owns the table; the table's name must
	// start with Module and '_' (the store's own tables are module
	// "store").
	Module string
	// Table is the table, such as "analytics_events".
	Table string
	// Column is the table's time column.
	Column string
	// Unit is how Column holds times (default UnixMilli).
	Unit TimeUnit
	// MaxAge is the age past which rows are deleted; 0 keeps them
	// forever (the rule is off).
	MaxAge time.Duration
}

// SettingsHistoryExpiry is the rule that deletes the settings history
// older than maxAge: add it to the host's Retention to bound that table.
func SettingsHistoryExpiry(maxAge time.Duration) Expiry {
	return Expiry{Module: ownModule, Table: "guild_settings_history", Column: "changed_at", MaxAge: maxAge}
}

// Expired is what one run of a rule deleted.
type Expired struct {
	Module, Table string
	// Deleted is the number of rows deleted.
	Deleted int64
	// More reports that the run stopped at its bound (MaxPerRun), so
	// expired rows may be left: the next run goes on.
	More bool
}

// DefaultRetentionMaxPerRun bounds the rows one run deletes per rule.
const DefaultRetentionMaxPerRun = 10_000

// retentionChunk is how many rows one transaction deletes, so that a
// long purge lets other writes through between its transactions.
const retentionChunk = 1000

// Retention deletes expired rows periodically, per its rules. Run it in a
// goroutine the host owns.
type Retention struct {
	// Store is the database.
	Store *Store
	// Rules are every module's expiries.
	Rules []Expiry
	// Every is the time between two runs.
	Every time.Duration
	// MaxPerRun bounds the rows deleted per rule in one run (default
	// DefaultRetentionMaxPerRun), in transactions of 1000 rows, so that a
	// first run over a large backlog does not hold the writer for long.
	MaxPerRun int
	// Log receives each run's counts and errors; nil discards them.
	Log *zap.Logger
}

// Run runs the rules every Every, starting at once, until ctx ends; then
// it returns nil. It first checks the rules and returns an error if one
// is malformed or names a table or column that does not exist. A failed
// run is logged and tried again at the next time.
func (r *Retention) Run(ctx context.Context) error {
	if r.Every <= 0 {
		return fmt.Errorf("store: retention: interval %v: want more than 0", r.Every)
	}
	plans, err := r.plan(ctx)
	if err != nil {
		return err
	}
	log := r.Log
	if log == nil {
		log = zap.NewNop()
	}
	t := time.NewTicker(r.Every)
	defer t.Stop()
	for {
		got, err := r.run(ctx, plans)
		if ctx.Err() != nil {
			return nil
		}
		for _, e := range got {
			if e.Deleted > 0 {
				log.Info("expired rows deleted", zap.String("module", e.Module), zap.String("table", e.Table),
					zap.Int64("deleted", e.Deleted), zap.Bool("more", e.More))
			}
		}
		if err != nil {
			log.Error("retention run failed", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunOnce runs every rule once and reports what each deleted, in the
// order of Rules (rules with MaxAge 0 are skipped). On an error it returns
// what was deleted before it.
func (r *Retention) RunOnce(ctx context.Context) ([]Expired, error) {
	plans, err := r.plan(ctx)
	if err != nil {
		return nil, err
	}
	return r.run(ctx, plans)
}

// retentionPlan is a checked rule and its DELETE statement.
type retentionPlan struct {
	rule  Expiry
	query string // deletes up to ? rows older than ?
}

// plan checks the rules against the schema and builds their statements.
func (r *Retention) plan(ctx context.Context) ([]retentionPlan, error) {
	if r.Store == nil {
		return nil, errors.New("store: retention: nil store")
	}
	var plans []retentionPlan
	for _, rule := range r.Rules {
		if rule.MaxAge == 0 {
			continue
		}
		q, err := r.Store.expiryQuery(ctx, rule)
		if err != nil {
			return nil, fmt.Errorf("store: retention: module %q table %q: %w", rule.Module, rule.Table, err)
		}
		plans = append(plans, retentionPlan{rule: rule, query: q})
	}
	return plans, nil
}

// expiryQuery checks rule and returns the statement that deletes up to ?
// of its expired rows older than ?: by rowid, or for a WITHOUT ROWID
// table by primary key.
func (s *Store) expiryQuery(ctx context.Context, rule Expiry) (string, error) {
	switch {
	case rule.MaxAge < 0:
		return "", fmt.Errorf("negative max age %v", rule.MaxAge)
	case rule.Unit != UnixMilli && rule.Unit != UnixSeconds:
		return "", fmt.Errorf("unknown time unit %d", rule.Unit)
	case !moduleNamePattern.MatchString(rule.Module):
		return "", fmt.Errorf("module name %q", rule.Module)
	case !strings.HasPrefix(rule.Table, rule.Module+"_") && rule.Module != ownModule:
		return "", fmt.Errorf("the table of module %q must be named %s_...", rule.Module, rule.Module)
	}
	table, err := quoteIdent(rule.Table)
	if err != nil {
		return "", err
	}
	col, err := quoteIdent(rule.Column)
	if err != nil {
		return "", err
	}
	var withoutRowid bool
	err = s.readDB().QueryRowContext(ctx,
		`SELECT wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name = ?`, rule.Table).Scan(&withoutRowid)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errors.New("no such table")
	}
	if err != nil {
		return "", err
	}
	var (
		found bool
		pk    []string
	)
	rows, err := s.readDB().QueryContext(ctx, `SELECT name, pk FROM pragma_table_info(?) ORDER BY pk`, rule.Table)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			name string
			n    int
		)
		if err := rows.Scan(&name, &n); err != nil {
			return "", err
		}
		found = found || name == rule.Column
		if n > 0 {
			q, err := quoteIdent(name)
			if err != nil {
				return "", err
			}
			pk = append(pk, q)
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	if !found {
		return "", fmt.Errorf("no column %q", rule.Column)
	}
	key := "rowid"
	if withoutRowid {
		key = "(" + strings.Join(pk, ", ") + ")"
	}
	return fmt.Sprintf(`DELETE FROM %s WHERE %s IN (SELECT %s FROM %s WHERE %s < ? LIMIT ?)`,
		table, key, strings.Trim(key, "()"), table, col), nil
}

// run deletes what each plan says has expired, up to MaxPerRun rows each.
func (r *Retention) run(ctx context.Context, plans []retentionPlan) ([]Expired, error) {
	maxRows := r.MaxPerRun
	if maxRows <= 0 {
		maxRows = DefaultRetentionMaxPerRun
	}
	now := r.Store.now()
	out := make([]Expired, 0, len(plans))
	for _, p := range plans {
		cutoff := now.Add(-p.rule.MaxAge).UnixMilli()
		if p.rule.Unit == UnixSeconds {
			cutoff = now.Add(-p.rule.MaxAge).Unix()
		}
		e := Expired{Module: p.rule.Module, Table: p.rule.Table}
		for e.Deleted < int64(maxRows) {
			chunk := min(retentionChunk, int64(maxRows)-e.Deleted)
			var n int64
			err := r.Store.Write(ctx, func(tx *sql.Tx) error {
				res, err := tx.ExecContext(ctx, p.query, cutoff, chunk)
				if err != nil {
					return err
				}
				n, err = res.RowsAffected()
				return err
			})
			if err != nil {
				return append(out, e), fmt.Errorf("store: retention: module %q table %q: %w", p.rule.Module, p.rule.Table, err)
			}
			e.Deleted += n
			if n < chunk {
				break
			}
			e.More = e.Deleted >= int64(maxRows)
		}
		out = append(out, e)
	}
	return out, nil
}
