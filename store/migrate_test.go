package store_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hearthbot/hearth/store"
)

// stepClock is a fake clock that moves one second forward each time it
// is read.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func newStepClock() *stepClock {
	return &stepClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

// files builds a migration FS from name/SQL pairs.
func files(nameSQL ...string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i := 0; i < len(nameSQL); i += 2 {
		fsys[nameSQL[i]] = &fstest.MapFile{Data: []byte(nameSQL[i+1]), Mode: 0o644}
	}
	return fsys
}

// tableExists reports whether the database has a table of that name.
func tableExists(t *testing.T, s *store.Store, name string) bool {
	t.Helper()
	var n int
	err := s.DB().QueryRowContext(t.Context(),
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, name).Scan(&n)
	if err != nil {
		t.Fatalf("look up table %s: %v", name, err)
	}
	return n > 0
}

// appliedVersions returns the versions of module recorded as applied, in
// order, with their applied_at.
func appliedVersions(t *testing.T, s *store.Store, module string) map[int64]int64 {
	t.Helper()
	rows, err := s.DB().QueryContext(t.Context(),
		`SELECT version, applied_at FROM schema_migrations WHERE module = ?`, module)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()
	got := map[int64]int64{}
	for rows.Next() {
		var v, at int64
		if err := rows.Scan(&v, &at); err != nil {
			t.Fatalf("scan schema_migrations: %v", err)
		}
		got[v] = at
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	return got
}

func TestMigrateAppliesInVersionOrderOnce(t *testing.T) {
	s := openTest(t, store.WithClock(newStepClock().Now))
	// 00010 sorts before 0002 as text; versions are numbers, so it runs last.
	core := store.Migrations{Module: "core", FS: files(
		"0001_create_items.sql", `CREATE TABLE core_items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);`,
		"00010_seed.sql", `INSERT INTO core_items (name, note) VALUES ('first', 'seeded');`,
		"0002_add_note.sql", `ALTER TABLE core_items ADD COLUMN note TEXT;`,
	)}

	if err := s.Migrate(t.Context(), core); err != nil {
		t.Fatalf("first Migrate: %v", err)
	}
	first := appliedVersions(t, s, "core")
	if len(first) != 3 {
		t.Fatalf("applied versions: got %v; want 1, 2 and 10", first)
	}
	if !(first[1] < first[2] && first[2] < first[10]) {
		t.Errorf("applied_at: got %v; want 1 before 2 before 10", first)
	}

	// Not idempotent SQL: a second run of any file would fail or seed twice.
	if err := s.Migrate(t.Context(), core); err != nil {
		t.Fatalf("second Migrate: got %v; want nil", err)
	}
	second := appliedVersions(t, s, "core")
	for v, at := range first {
		if second[v] != at {
			t.Errorf("version %d applied_at after second Migrate: got %d; want %d (unchanged)", v, second[v], at)
		}
	}
	var n int
	if err := s.DB().QueryRowContext(t.Context(), `SELECT count(*) FROM core_items`).Scan(&n); err != nil {
		t.Fatalf("count core_items: %v", err)
	}
	if n != 1 {
		t.Errorf("rows in core_items: got %d; want 1", n)
	}
}

func TestMigrateFailureRollsBackOnlyTheFailingFile(t *testing.T) {
	s := openTest(t)
	bad := store.Migrations{Module: "core", FS: files(
		"0001_create.sql", `CREATE TABLE core_a (x INTEGER);`,
		// The first statement succeeds before the second fails: the
		// rollback must take core_b away again.
		"0002_add.sql", "CREATE TABLE core_b (y INTEGER);\nCREAT TABLE core_c (z INTEGER);",
		"0003_after.sql", `CREATE TABLE core_d (w INTEGER);`,
	)}

	err := s.Migrate(t.Context(), bad)
	if err == nil {
		t.Fatal("Migrate: got nil; want an error")
	}
	if got, want := err.Error(), `store: migrate module "core" file 0002_add.sql: near "CREAT": syntax error`; got != want {
		t.Errorf("error: got %q; want %q", got, want)
	}
	var merr *store.MigrationError
	if !errors.As(err, &merr) {
		t.Fatalf("error %v: got %T; want a *store.MigrationError", err, err)
	}
	if merr.Module != "core" || merr.File != "0002_add.sql" {
		t.Errorf("MigrationError: got module %q file %q; want core, 0002_add.sql", merr.Module, merr.File)
	}

	for table, want := range map[string]bool{"core_a": true, "core_b": false, "core_c": false, "core_d": false} {
		if got := tableExists(t, s, table); got != want {
			t.Errorf("table %s exists: got %v; want %v", table, got, want)
		}
	}
	got := appliedVersions(t, s, "core")
	if _, ok := got[1]; !ok || len(got) != 1 {
		t.Errorf("applied versions: got %v; want only 1", got)
	}

	// Fixing the file lets the next Migrate go on from where it stopped.
	fixed := store.Migrations{Module: "core", FS: files(
		"0001_create.sql", `CREATE TABLE core_a (x INTEGER);`,
		"0002_add.sql", "CREATE TABLE core_b (y INTEGER);\nCREATE TABLE core_c (z INTEGER);",
		"0003_after.sql", `CREATE TABLE core_d (w INTEGER);`,
	)}
	if err := s.Migrate(t.Context(), fixed); err != nil {
		t.Fatalf("Migrate after the fix: %v", err)
	}
	for _, table := range []string{"core_a", "core_b", "core_c", "core_d"} {
		if !tableExists(t, s, table) {
			t.Errorf("table %s exists after the fix: got false; want true", table)
		}
	}
}

func TestMigrateModulesAreIndependent(t *testing.T) {
	s := openTest(t)
	alpha := store.Migrations{Module: "alpha", FS: files(
		"0001_create.sql", `CREATE TABLE alpha_t (x INTEGER);`,
		"0002_more.sql", `CREATE TABLE alpha_u (x INTEGER);`,
	)}
	beta := store.Migrations{Module: "beta", FS: files(
		"0001_create.sql", `CREATE TABLE beta_t (x INTEGER);`,
		"0005_gap.sql", `CREATE TABLE beta_u (x INTEGER);`,
	)}

	if err := s.Migrate(t.Context(), alpha); err != nil {
		t.Fatalf("Migrate(alpha): %v", err)
	}
	if got := appliedVersions(t, s, "beta"); len(got) != 0 {
		t.Errorf("beta versions after migrating alpha: got %v; want none", got)
	}
	// alpha's version 1 being applied does not make beta's version 1 applied.
	if err := s.Migrate(t.Context(), alpha, beta); err != nil {
		t.Fatalf("Migrate(alpha, beta): %v", err)
	}
	for _, table := range []string{"alpha_t", "alpha_u", "beta_t", "beta_u"} {
		if !tableExists(t, s, table) {
			t.Errorf("table %s exists: got false; want true", table)
		}
	}

	// A later failure in one module leaves the other's applied migrations be.
	gamma := store.Migrations{Module: "gamma", FS: files("0001_bad.sql", `NOT SQL;`)}
	before := appliedVersions(t, s, "alpha")
	if err := s.Migrate(t.Context(), gamma); err == nil {
		t.Fatal("Migrate(gamma): got nil; want an error")
	}
	after := appliedVersions(t, s, "alpha")
	if len(after) != len(before) {
		t.Errorf("alpha versions after gamma failed: got %v; want %v", after, before)
	}
}

func TestMigrateConcurrentCallsApplyEachFileOnce(t *testing.T) {
	s := openTest(t)
	core := store.Migrations{Module: "core", FS: files(
		"0001_create.sql", `CREATE TABLE core_a (x INTEGER);`,
		"0002_seed.sql", `INSERT INTO core_a (x) VALUES (1);`,
	)}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := s.Migrate(t.Context(), core); err != nil {
				t.Errorf("Migrate: got %v; want nil", err)
			}
		})
	}
	wg.Wait()
	var n int
	if err := s.DB().QueryRowContext(t.Context(), `SELECT count(*) FROM core_a`).Scan(&n); err != nil {
		t.Fatalf("count core_a: %v", err)
	}
	if n != 1 {
		t.Errorf("rows in core_a: got %d; want 1 (each file applied once)", n)
	}
}

func TestMigrateRejectsInvalidSets(t *testing.T) {
	ok := files("0001_create.sql", `CREATE TABLE ok_t (x INTEGER);`)
	tests := []struct {
		name string
		sets []store.Migrations
		want string // in the error message
	}{
		{"no number", []store.Migrations{{Module: "m", FS: files("create.sql", "")}}, `file "create.sql": name is not NNNN_description.sql`},
		{"short number", []store.Migrations{{Module: "m", FS: files("2_add.sql", "")}}, `file "2_add.sql": name is not`},
		{"dash", []store.Migrations{{Module: "m", FS: files("0001-add.sql", "")}}, `file "0001-add.sql": name is not`},
		{"no description", []store.Migrations{{Module: "m", FS: files("0001_.sql", "")}}, `file "0001_.sql": name is not`},
		{"upper case", []store.Migrations{{Module: "m", FS: files("0001_Add.sql", "")}}, `file "0001_Add.sql": name is not`},
		{"not sql", []store.Migrations{{Module: "m", FS: files("README.md", "")}}, `file "README.md": name is not`},
		{"version zero", []store.Migrations{{Module: "m", FS: files("0000_zero.sql", "")}}, `file "0000_zero.sql": version 0: versions start at 1`},
		{"version out of range", []store.Migrations{{Module: "m", FS: files("99999999999999999999_big.sql", "")}}, `version 99999999999999999999 is out of range`},
		{"duplicate version", []store.Migrations{{Module: "m", FS: files("0001_a.sql", "", "00001_b.sql", "")}}, `files "00001_b.sql" and "0001_a.sql" have the same version 1`},
		{"subdirectory", []store.Migrations{{Module: "m", FS: files("sub/0001_a.sql", "")}}, `"sub" is a directory`},
		{"empty module", []store.Migrations{{Module: "", FS: ok}}, `module name ""`},
		{"bad module", []store.Migrations{{Module: "Core Module", FS: ok}}, `module name "Core Module"`},
		{"reserved module", []store.Migrations{{Module: "store", FS: ok}}, `module name "store" is reserved`},
		{"module twice", []store.Migrations{{Module: "m", FS: ok}, {Module: "m", FS: ok}}, `module "m" given twice`},
		{"nil FS", []store.Migrations{{Module: "m"}}, `module "m": nil FS`},
		// A valid set before a bad one: nothing may be applied.
		{"valid then invalid", []store.Migrations{{Module: "ok", FS: ok}, {Module: "m", FS: files("x.sql", "")}}, `module "m": file "x.sql"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTest(t)
			for _, call := range []struct {
				name string
				err  error
			}{
				{"Migrate", s.Migrate(t.Context(), tt.sets...)},
				{"MigrationStatus", func() error { _, err := s.MigrationStatus(t.Context(), tt.sets...); return err }()},
			} {
				if !errors.Is(call.err, store.ErrInvalidMigrations) {
					t.Errorf("%s: got %v; want an error wrapping ErrInvalidMigrations", call.name, call.err)
					continue
				}
				if !strings.HasPrefix(call.err.Error(), "store: invalid migrations: ") || !strings.Contains(call.err.Error(), tt.want) {
					t.Errorf("%s: got %q; want store: invalid migrations: ...%s...", call.name, call.err, tt.want)
				}
			}
			if tableExists(t, s, "ok_t") {
				t.Errorf("table ok_t exists: got true; want false (nothing applied)")
			}
		})
	}
}

func TestMigrateAllowsGapsAndEmptySets(t *testing.T) {
	s := openTest(t)
	if err := s.Migrate(t.Context()); err != nil {
		t.Errorf("Migrate(): got %v; want nil", err)
	}
	empty := store.Migrations{Module: "empty", FS: fstest.MapFS{}}
	gaps := store.Migrations{Module: "gaps", FS: files(
		"0003_three.sql", `CREATE TABLE gaps_three (x INTEGER);`,
		"0100_hundred.sql", `CREATE TABLE gaps_hundred (x INTEGER);`,
	)}
	if err := s.Migrate(t.Context(), empty, gaps); err != nil {
		t.Fatalf("Migrate(empty, gaps): got %v; want nil", err)
	}
	if got := appliedVersions(t, s, "gaps"); len(got) != 2 {
		t.Errorf("gaps versions: got %v; want 3 and 100", got)
	}
}

func TestMigrationStatusBeforeAndAfter(t *testing.T) {
	clock := time.Date(2025, 3, 1, 12, 0, 0, 123_000_000, time.UTC)
	s := openTest(t, store.WithClock(func() time.Time { return clock }))
	core := store.Migrations{Module: "core", FS: files(
		"0001_create.sql", `CREATE TABLE core_a (x INTEGER);`,
		"0002_add.sql", `CREATE TABLE core_b (x INTEGER);`,
	)}
	own := []store.MigrationState{
		{Module: "store", Version: 1, Name: "0001_guild_modules.sql", Applied: true, AppliedAt: clock},
		{Module: "store", Version: 2, Name: "0002_guild_settings.sql", Applied: true, AppliedAt: clock},
		{Module: "store", Version: 3, Name: "0003_guild_departures.sql", Applied: true, AppliedAt: clock},
	}

	before, err := s.MigrationStatus(t.Context(), core)
	if err != nil {
		t.Fatalf("MigrationStatus before: %v", err)
	}
	wantBefore := append(own[:len(own):len(own)],
		store.MigrationState{Module: "core", Version: 1, Name: "0001_create.sql"},
		store.MigrationState{Module: "core", Version: 2, Name: "0002_add.sql"},
	)
	checkStates(t, "before", before, wantBefore)

	if err := s.Migrate(t.Context(), core); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	after, err := s.MigrationStatus(t.Context(), core)
	if err != nil {
		t.Fatalf("MigrationStatus after: %v", err)
	}
	wantAfter := append(own[:len(own):len(own)],
		store.MigrationState{Module: "core", Version: 1, Name: "0001_create.sql", Applied: true, AppliedAt: clock},
		store.MigrationState{Module: "core", Version: 2, Name: "0002_add.sql", Applied: true, AppliedAt: clock},
	)
	checkStates(t, "after", after, wantAfter)

	// A file removed after it was applied is still reported, as missing.
	trimmed := store.Migrations{Module: "core", FS: files("0001_create.sql", `CREATE TABLE core_a (x INTEGER);`)}
	gone, err := s.MigrationStatus(t.Context(), trimmed)
	if err != nil {
		t.Fatalf("MigrationStatus with a file gone: %v", err)
	}
	wantGone := append(own[:len(own):len(own)],
		store.MigrationState{Module: "core", Version: 1, Name: "0001_create.sql", Applied: true, AppliedAt: clock},
		store.MigrationState{Module: "core", Version: 2, Name: "0002_add.sql", Applied: true, AppliedAt: clock, Missing: true},
	)
	checkStates(t, "file gone", gone, wantGone)
}

func checkStates(t *testing.T, when string, got, want []store.MigrationState) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d states %+v; want %d %+v", when, len(got), got, len(want), want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: state %d: got %+v; want %+v", when, i, got[i], want[i])
		}
	}
}
