package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearthbot/hearth/store"
)

// createItems creates a demo table that writers fill with 1, 2, 3, ...
func createItems(t testing.TB, s *store.Store) {
	t.Helper()
	err := s.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`CREATE TABLE demo_items (id INTEGER PRIMARY KEY, note TEXT NOT NULL)`)
		return err
	})
	if err != nil {
		t.Fatalf("create demo_items: %v", err)
	}
}

// insertItem writes row id and returns once it is committed.
func insertItem(ctx context.Context, s *store.Store, id int64) error {
	return s.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO demo_items (id, note) VALUES (?, 'x')`, id)
		return err
	})
}

// itemIDs reads the ids of demo_items in the database at path, in order,
// through a read-only connection.
func itemIDs(t *testing.T, db *sql.DB) []int64 {
	t.Helper()
	rows, err := db.Query(`SELECT id FROM demo_items ORDER BY id`)
	if err != nil {
		t.Fatalf("read demo_items: %v", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// openPlain opens a database file without the store, read-only.
func openPlain(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// writeContinuously inserts 1, 2, 3, ... until stop is called, which
// returns the last id acknowledged.
func writeContinuously(t *testing.T, s *store.Store) (acked *atomic.Int64, stop func() int64) {
	acked = new(atomic.Int64)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for id := int64(1); ctx.Err() == nil; id++ {
			if err := insertItem(ctx, s, id); err != nil {
				if ctx.Err() == nil {
					t.Errorf("insert %d: %v", id, err)
				}
				return
			}
			acked.Store(id)
		}
	})
	return acked, func() int64 { cancel(); wg.Wait(); return acked.Load() }
}

// waitFor polls cond every millisecond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestBackupAndRestoreRoundTripWhileWritesContinue(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hearth.db")
	s, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	createItems(t, s)
	acked, stop := writeContinuously(t, s)
	waitFor(t, "100 rows written", func() bool { return acked.Load() >= 100 })

	backup := filepath.Join(dir, "backups", "one.db")
	before := acked.Load()
	if err := s.Backup(t.Context(), backup); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	after := acked.Load()
	// A second copy through a separate read-only connection, as `hearth
	// backup` takes it beside a running bot.
	backup2 := filepath.Join(dir, "backups", "two.db")
	if err := store.BackupFile(t.Context(), path, backup2); err != nil {
		t.Fatalf("BackupFile: %v", err)
	}
	last := stop()

	ids := itemIDs(t, openPlain(t, backup))
	n := int64(len(ids))
	if n < before || n > after+1 {
		t.Errorf("rows in the backup: got %d; want between %d (acknowledged before) and %d (after)", n, before, after+1)
	}
	for i, id := range ids {
		if id != int64(i+1) {
			t.Fatalf("backup row %d: got id %d; want %d (a snapshot has no gaps)", i, id, i+1)
		}
	}
	if got := itemIDs(t, openPlain(t, backup2)); int64(len(got)) < after {
		t.Errorf("rows in the second backup: got %d; want at least %d", len(got), after)
	}
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("backup file: got %v, %v; want it readable by the owner only", fi.Mode(), err)
	}
	if err := s.Backup(t.Context(), backup); !errors.Is(err, os.ErrExist) {
		t.Errorf("Backup over an existing file: got %v; want an error wrapping os.ErrExist", err)
	}

	// Restoring is refused while the store is open, and changes nothing.
	if _, err := store.Restore(t.Context(), backup, path); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("Restore while open: got %v; want an error wrapping ErrLocked", err)
	}
	if got := itemIDs(t, s.DB()); int64(len(got)) != last {
		t.Fatalf("rows after the refused restore: got %d; want %d", len(got), last)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	previous, err := store.Restore(t.Context(), backup, path)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	s, err = store.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open the restored database: %v", err)
	}
	defer s.Close()
	if err := s.IntegrityCheck(t.Context()); err != nil {
		t.Errorf("IntegrityCheck of the restored database: %v", err)
	}
	if got := itemIDs(t, s.DB()); !slices.Equal(got, ids) {
		t.Errorf("rows after restore: got %d; want the backup's %d", len(got), len(ids))
	}
	// The database that was replaced is kept, whole.
	if !strings.HasPrefix(previous, path+".pre-restore-") {
		t.Fatalf("previous: got %q; want %s.pre-restore-...", previous, path)
	}
	if got := itemIDs(t, openPlain(t, previous)); int64(len(got)) != last {
		t.Errorf("rows in the previous database: got %d; want %d", len(got), last)
	}
}

func TestRestoreRefusesABrokenBackupAndChangesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hearth.db")
	s, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	createItems(t, s)
	for id := range int64(50) {
		if err := insertItem(t.Context(), s, id+1); err != nil {
			t.Fatal(err)
		}
	}
	good := filepath.Join(dir, "good.db")
	if err := s.Backup(t.Context(), good); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "foreign.db")
	if db, err := sql.Open("sqlite3", foreign); err != nil {
		t.Fatal(err)
	} else {
		if _, err := db.Exec(`CREATE TABLE t (x)`); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	// A valid file with the page of demo_items overwritten.
	damaged := filepath.Join(dir, "damaged.db")
	var root, page int
	gdb := openPlain(t, good)
	if err := gdb.QueryRow(`SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM sqlite_schema WHERE name = 'demo_items'`).Scan(&root, &page); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	copy(data[(root-1)*page:root*page], strings.Repeat("\xff", page))
	if err := os.WriteFile(damaged, data, 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct{ name, from string }{
		{"garbage", garbage}, {"not hearth's", foreign}, {"damaged page", damaged},
		{"missing", filepath.Join(dir, "nope.db")}, {"the database itself", path},
	} {
		t.Run(tt.name, func(t *testing.T) {
			previous, err := store.Restore(t.Context(), tt.from, path)
			if err == nil {
				t.Fatalf("Restore(%s): got nil; want an error", tt.name)
			}
			if previous != "" {
				t.Errorf("previous: got %q; want none", previous)
			}
			if !strings.HasPrefix(err.Error(), "store: restore ") {
				t.Errorf("error: got %q; want it to start with store: restore", err)
			}
		})
	}
	if got := itemIDs(t, openPlain(t, path)); len(got) != 50 {
		t.Errorf("rows after refused restores: got %d; want 50", len(got))
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "restore") || strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestOpenTakesTheLockAndCloseReleasesIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hearth.db")
	s, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	second, err := store.Open(t.Context(), path)
	if err == nil {
		second.Close()
		t.Fatal("second Open: got nil; want an error wrapping ErrLocked")
	}
	if !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "is the bot running?") {
		t.Errorf("second Open: got %v; want an error wrapping ErrLocked that says why", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = store.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s.Close()
}

func TestScheduledBackupsKeepTheNewest(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t)
	createItems(t, s)
	backups := filepath.Join(dir, "backups")
	if err := os.MkdirAll(backups, 0o700); err != nil {
		t.Fatal(err)
	}
	// Files that are not this store's backups are never touched.
	for _, name := range []string{"notes.txt", "other-20250101T000000.000Z.db", "hearth-latest.db"} {
		if err := os.WriteFile(filepath.Join(backups, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b := &store.Backups{Store: s, Dir: backups, Every: time.Hour, Keep: 2}
	var taken []string
	for i := range 4 {
		if err := insertItem(t.Context(), s, int64(i+1)); err != nil {
			t.Fatal(err)
		}
		p, err := b.BackupNow(t.Context())
		if err != nil {
			t.Fatalf("BackupNow: %v", err)
		}
		taken = append(taken, filepath.Base(p))
		time.Sleep(2 * time.Millisecond) // names are to the millisecond
	}
	var got []string
	entries, _ := os.ReadDir(backups)
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := append([]string{"hearth-latest.db", "notes.txt", "other-20250101T000000.000Z.db"}, taken[2:]...)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("backups directory: got %v; want %v", got, want)
	}
	if ids := itemIDs(t, openPlain(t, filepath.Join(backups, taken[3]))); len(ids) != 4 {
		t.Errorf("rows in the newest backup: got %d; want 4", len(ids))
	}
}

func TestBackupsRunTakesBackupsUntilCancelled(t *testing.T) {
	s := openTest(t)
	dir := filepath.Join(t.TempDir(), "backups")
	b := &store.Backups{Store: s, Dir: dir, Every: 20 * time.Millisecond, Keep: 2}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	count := func() int {
		entries, _ := os.ReadDir(dir)
		n := 0
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "hearth-") {
				n++
			}
		}
		return n
	}
	waitFor(t, "two backups", func() bool { return count() >= 2 })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: got %v; want nil", err)
	}
	if n := count(); n != 2 {
		t.Errorf("backups kept: got %d; want 2", n)
	}
	if err := (&store.Backups{Store: s, Dir: dir, Keep: 1}).Run(t.Context()); err == nil {
		t.Error("Run with no interval: got nil; want an error")
	}
}

func TestBackupFileOfAClosedDatabaseAndRestoreToANewPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hearth.db")
	s, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	createItems(t, s)
	for id := range int64(20) {
		if err := insertItem(t.Context(), s, id+1); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The bot is stopped: no -wal or -shm file beside the database.
	backup := filepath.Join(dir, "b.db")
	if err := store.BackupFile(t.Context(), path, backup); err != nil {
		t.Fatalf("BackupFile of a closed database: %v", err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + suffix); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("BackupFile left %s%s behind (%v)", path, suffix, err)
		}
	}
	missing := filepath.Join(dir, "missing.db")
	if err := store.BackupFile(t.Context(), missing, filepath.Join(dir, "m.db")); err == nil {
		t.Error("BackupFile of a missing database: got nil; want an error")
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("BackupFile created the missing database: %v", err)
	}

	fresh := filepath.Join(dir, "new", "hearth.db")
	previous, err := store.Restore(t.Context(), backup, fresh)
	if err != nil || previous != "" {
		t.Fatalf("Restore to a new path: got %q, %v; want no previous database", previous, err)
	}
	s, err = store.Open(t.Context(), fresh)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := itemIDs(t, s.DB()); len(got) != 20 {
		t.Errorf("rows restored: got %d; want 20", len(got))
	}
}
