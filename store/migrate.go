package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Migrations is the set of migration files of one module.
type Migrations struct {
	// Module is the ID of the module that owns the files: a lower-case
	// letter, then lower-case letters, digits, '_', '.' or '-', at most
	// 64 in all. "store" is reserved for the store's own tables.
	Module string
	// FS holds the files, named NNNN_description.sql, at its root and
	// nothing else: typically an embed.FS narrowed with fs.Sub.
	FS fs.FS
}

// MigrationState is one migration as [Store.MigrationStatus] reports it.
type MigrationState struct {
	// Module is the module that owns the migration.
	Module string
	// Version is the number the file name starts with.
	Version int64
	// Name is the file name, such as 0001_create_cases.sql.
	Name string
	// Applied reports whether the migration is recorded as applied.
	Applied bool
	// AppliedAt is when it was applied, in UTC, to the millisecond; zero
	// when it is not applied.
	AppliedAt time.Time
	// Missing reports a migration recorded as applied whose version no
	// file of the set has any more; Name is then the name it was applied
	// under.
	Missing bool
}

// ErrInvalidMigrations is wrapped by the errors Migrate and
// MigrationStatus return when a set of migrations is malformed: a bad
// module name, a module given twice, a file name not of the form
// NNNN_description.sql, two files with the same version. Nothing has been
// applied when it is returned.
var ErrInvalidMigrations = errors.New("store: invalid migrations")

// MigrationError is the error Migrate returns when a migration file fails
// to apply. The file's transaction was rolled back: the database is as it
// was before the file, and the files before it stay applied.
type MigrationError struct {
	// Module is the module whose migration failed.
	Module string
	// File is the name of the file that failed.
	File string
	// Err is the cause, usually SQLite's error.
	Err error
}

// Error returns the error in the form
// `store: migrate module "core" file 0002_add.sql: near "CREAT": syntax error`.
func (e *MigrationError) Error() string {
	return fmt.Sprintf("store: migrate module %q file %s: %v", e.Module, e.File, e.Err)
}

// Unwrap returns the cause.
func (e *MigrationError) Unwrap() error { return e.Err }

// createSchemaMigrations creates the table that records applied
// migrations. It cannot be a migration itself: it is what records them.
const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
    module     TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL, -- Unix time in milliseconds, UTC
    PRIMARY KEY (module, version)
) STRICT, WITHOUT ROWID`

var (
	moduleNamePattern    = regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`)
	migrationNamePattern = regexp.MustCompile(`^([0-9]{4,})_([a-z0-9]+(?:_[a-z0-9]+)*)\.sql$`)
)

// migrationFile is one parsed, read migration file.
type migrationFile struct {
	version int64
	name    string
	sql     string
}

// migrationSet is one module's files, in version order.
type migrationSet struct {
	module string
	files  []migrationFile
}

// Migrate applies, module by module in the order given and in version
// order within a module, every migration file not yet applied. It
// validates every set before applying anything. See the package
// documentation for what a migration may contain and what an error means.
// A second call with the same sets applies nothing.
func (s *Store) Migrate(ctx context.Context, sets ...Migrations) error {
	return s.migrate(ctx, sets, false)
}

// migrate is Migrate; own allows the reserved module name, for Open.
func (s *Store) migrate(ctx context.Context, sets []Migrations, own bool) error {
	loaded, err := loadSets(sets, own)
	if err != nil {
		return err
	}
	for _, set := range loaded {
		applied, err := s.appliedMigrations(ctx, set.module)
		if err != nil {
			return fmt.Errorf("store: migrate module %q: %w", set.module, err)
		}
		for _, f := range set.files {
			if _, ok := applied[f.version]; ok {
				continue
			}
			if err := s.applyMigration(ctx, set.module, f); err != nil {
				return &MigrationError{Module: set.module, File: f.name, Err: err}
			}
		}
	}
	return nil
}

// applyMigration runs one file and records it, in one transaction. The
// transaction begins IMMEDIATE (see Open), so the check that the version
// is still unapplied and the write that follows see the same database even
// when another goroutine or process migrates at the same time.
func (s *Store) applyMigration(ctx context.Context, module string, f migrationFile) error {
	tx, err := s.writeDB().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit

	var n int
	err = tx.QueryRowContext(ctx,
		`SELECT count(*) FROM schema_migrations WHERE module = ? AND version = ?`,
		module, f.version).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil // applied meanwhile by another caller
	}
	if _, err := tx.ExecContext(ctx, f.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (module, version, name, applied_at) VALUES (?, ?, ?, ?)`,
		module, f.version, f.name, s.now().UnixMilli()); err != nil {
		return fmt.Errorf("record migration: %w", err)
	}
	return tx.Commit()
}

// appliedRow is one row of schema_migrations.
type appliedRow struct {
	name      string
	appliedAt time.Time
}

// appliedMigrations returns the migrations of module recorded as applied,
// by version.
func (s *Store) appliedMigrations(ctx context.Context, module string) (map[int64]appliedRow, error) {
	rows, err := s.readDB().QueryContext(ctx,
		`SELECT version, name, applied_at FROM schema_migrations WHERE module = ?`, module)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := make(map[int64]appliedRow)
	for rows.Next() {
		var (
			version, at int64
			name        string
		)
		if err := rows.Scan(&version, &name, &at); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[version] = appliedRow{name: name, appliedAt: time.UnixMilli(at).UTC()}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return applied, nil
}

// MigrationStatus reports every migration of the store's own module
// ("store") and then of each set in the order given, in version order
// within a module: the files of the set, applied or not, and the versions
// recorded as applied whose file is gone (Missing). It validates the sets
// as Migrate does and changes nothing.
func (s *Store) MigrationStatus(ctx context.Context, sets ...Migrations) ([]MigrationState, error) {
	loaded, err := loadSets(sets, false)
	if err != nil {
		return nil, err
	}
	own, err := loadSet(ownSet())
	if err != nil {
		return nil, err
	}
	loaded = append([]migrationSet{own}, loaded...)

	var states []MigrationState
	for _, set := range loaded {
		applied, err := s.appliedMigrations(ctx, set.module)
		if err != nil {
			return nil, fmt.Errorf("store: migration status of module %q: %w", set.module, err)
		}
		start := len(states)
		for _, f := range set.files {
			st := MigrationState{Module: set.module, Version: f.version, Name: f.name}
			if row, ok := applied[f.version]; ok {
				st.Applied, st.AppliedAt = true, row.appliedAt
				delete(applied, f.version)
			}
			states = append(states, st)
		}
		for version, row := range applied {
			states = append(states, MigrationState{
				Module: set.module, Version: version, Name: row.name,
				Applied: true, AppliedAt: row.appliedAt, Missing: true,
			})
		}
		slices.SortFunc(states[start:], func(a, b MigrationState) int {
			return cmp.Compare(a.Version, b.Version)
		})
	}
	return states, nil
}

// ownSet is the store's own migrations.
func ownSet() Migrations {
	sub, err := fs.Sub(ownMigrations, "migrations")
	if err != nil {
		panic(err) // "migrations" is a valid path: fs.Sub cannot fail
	}
	return Migrations{Module: ownModule, FS: sub}
}

// loadSets validates and reads sets. own allows the reserved module name.
func loadSets(sets []Migrations, own bool) ([]migrationSet, error) {
	loaded := make([]migrationSet, 0, len(sets))
	seen := make(map[string]bool, len(sets))
	for _, set := range sets {
		if !moduleNamePattern.MatchString(set.Module) {
			return nil, fmt.Errorf("%w: module name %q: want a lower-case letter, then lower-case letters, digits, '_', '.' or '-', at most 64",
				ErrInvalidMigrations, set.Module)
		}
		if set.Module == ownModule && !own {
			return nil, fmt.Errorf("%w: module name %q is reserved for the store's own tables",
				ErrInvalidMigrations, set.Module)
		}
		if seen[set.Module] {
			return nil, fmt.Errorf("%w: module %q given twice", ErrInvalidMigrations, set.Module)
		}
		seen[set.Module] = true
		ms, err := loadSet(set)
		if err != nil {
			return nil, err
		}
		loaded = append(loaded, ms)
	}
	return loaded, nil
}

// loadSet reads and validates the files of one set, in version order.
func loadSet(set Migrations) (migrationSet, error) {
	ms := migrationSet{module: set.Module}
	if set.FS == nil {
		return ms, fmt.Errorf("%w: module %q: nil FS", ErrInvalidMigrations, set.Module)
	}
	entries, err := fs.ReadDir(set.FS, ".")
	if err != nil {
		return ms, fmt.Errorf("store: migrations of module %q: %w", set.Module, err)
	}
	byVersion := make(map[int64]string, len(entries))
	for _, e := range entries {
		if e.IsDir() {
			return ms, fmt.Errorf("%w: module %q: %q is a directory; migration files sit at the root",
				ErrInvalidMigrations, set.Module, e.Name())
		}
		version, err := parseMigrationName(e.Name())
		if err != nil {
			return ms, fmt.Errorf("%w: module %q: file %q: %v", ErrInvalidMigrations, set.Module, e.Name(), err)
		}
		if other, ok := byVersion[version]; ok {
			return ms, fmt.Errorf("%w: module %q: files %q and %q have the same version %d",
				ErrInvalidMigrations, set.Module, other, e.Name(), version)
		}
		byVersion[version] = e.Name()
		body, err := fs.ReadFile(set.FS, e.Name())
		if err != nil {
			return ms, fmt.Errorf("store: migrations of module %q: %w", set.Module, err)
		}
		ms.files = append(ms.files, migrationFile{version: version, name: e.Name(), sql: string(body)})
	}
	slices.SortFunc(ms.files, func(a, b migrationFile) int { return cmp.Compare(a.version, b.version) })
	return ms, nil
}

// parseMigrationName returns the version of a file named
// NNNN_description.sql: four or more digits, a version from 1, then a
// lower-case snake_case description.
func parseMigrationName(name string) (int64, error) {
	m := migrationNamePattern.FindStringSubmatch(name)
	if m == nil {
		return 0, errors.New("name is not NNNN_description.sql (four or more digits, '_', a lower-case snake_case description, .sql)")
	}
	version, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("version %s is out of range", m[1])
	}
	if version == 0 {
		return 0, errors.New("version 0: versions start at 1")
	}
	return version, nil
}
