package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
)

// ErrCorrupt is wrapped by the error IntegrityCheck and Restore return
// when a database fails PRAGMA integrity_check.
var ErrCorrupt = errors.New("store: database fails its integrity check")

// Backup writes a consistent copy of the database to toPath while the
// store keeps serving reads and writes: VACUUM INTO on a read-only
// connection, which reads one snapshot (every write committed before it
// began, none after) and writes a compact database with no WAL beside it.
// The copy is written to a temporary file in toPath's directory (created
// 0700 if missing), synced to disk, and only then given its name, so that
// toPath never names half a backup. toPath must not exist.
func (s *Store) Backup(ctx context.Context, toPath string) error {
	if err := vacuumInto(ctx, s.readDB(), toPath); err != nil {
		return fmt.Errorf("store: backup to %q: %w", toPath, err)
	}
	return nil
}

// BackupFile is Backup for the database at dbPath without opening a Store,
// so without its lock: what `hearth backup` runs beside a running bot,
// whose writes go on. It opens dbPath read-only and never creates it.
//
// When no Store has the database open, BackupFile holds its lock while it
// reads, and removes the empty -wal and -shm files its connection made.
func BackupFile(ctx context.Context, dbPath, toPath string) error {
	db, err := openReadOnly(dbPath)
	if err != nil {
		return fmt.Errorf("store: backup %q: %w", dbPath, err)
	}
	abs, _ := filepath.Abs(dbPath) // openReadOnly succeeded: it cannot fail
	if lock, err := lockFile(abs); err == nil && lock != nil {
		defer unlockFile(lock)
		defer tidyWAL(abs)() // runs after db.Close below
	}
	defer db.Close()
	if err := vacuumInto(ctx, db, toPath); err != nil {
		return fmt.Errorf("store: backup %q to %q: %w", dbPath, toPath, err)
	}
	return nil
}

// tidyWAL notes whether the database at abs has -wal and -shm files, and
// returns a function that removes them if they were not there and the
// -wal is empty: what a read-only connection leaves behind. Call it only
// while holding the database's lock.
func tidyWAL(abs string) func() {
	exists := func(name string) bool { _, err := os.Lstat(name); return err == nil }
	if exists(abs+"-wal") || exists(abs+"-shm") {
		return func() {}
	}
	return func() {
		if fi, err := os.Stat(abs + "-wal"); err == nil && fi.Size() == 0 {
			os.Remove(abs + "-wal")
			os.Remove(abs + "-shm")
		}
	}
}

// openReadOnly opens one read-only connection to an existing database.
func openReadOnly(path string) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, errors.New("is a directory")
	}
	db, err := sql.Open("sqlite3", readOnlyDSN(abs))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// vacuumInto writes a snapshot of db to toPath through a synced temporary
// file.
func vacuumInto(ctx context.Context, db *sql.DB, toPath string) (err error) {
	if toPath == "" {
		return errors.New("empty path")
	}
	abs, err := filepath.Abs(toPath)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(abs); err == nil {
		return fmt.Errorf("%s: %w", toPath, os.ErrExist)
	}
	dir := filepath.Dir(abs)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(abs)+".*.tmp") // 0600
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			os.Remove(tmpName)
		}
	}()
	if err := tmp.Close(); err != nil {
		return err
	}
	// VACUUM INTO takes an empty file, and does not sync what it writes.
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmpName); err != nil {
		return fmt.Errorf("vacuum into: %w", err)
	}
	if err := syncFile(tmpName); err != nil {
		return err
	}
	// A link does not replace a file created meanwhile, as a rename would.
	if err := os.Link(tmpName, abs); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s: %w", toPath, os.ErrExist)
		}
		if err := os.Rename(tmpName, abs); err != nil {
			return err
		}
	} else {
		os.Remove(tmpName)
	}
	return syncFile(dir)
}

// syncFile flushes a file, or a directory's entries, to disk.
func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", name, err)
	}
	return nil
}

// IntegrityCheck runs PRAGMA integrity_check on the database and returns
// nil when it reports ok, or an error wrapping ErrCorrupt with the first
// problems it lists.
func (s *Store) IntegrityCheck(ctx context.Context) error {
	if err := integrityCheck(ctx, s.readDB()); err != nil {
		return fmt.Errorf("store: integrity check: %w", err)
	}
	return nil
}

// integrityCheck runs PRAGMA integrity_check on db.
func integrityCheck(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check(20)")
	if err != nil {
		return err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		problems = append(problems, line)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) == 1 && problems[0] == "ok" {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrCorrupt, strings.Join(problems, "; "))
}

// Restore replaces the database at toPath with the backup at fromPath. It
// refuses, with an error wrapping ErrLocked, while a Store (a running bot)
// has toPath open, and holds toPath's lock until it is done so that none
// opens meanwhile. It checks the backup first (PRAGMA integrity_check,
// and that it is a Hearth database) and changes nothing when that fails
// (an error wrapping ErrCorrupt). It then writes a copy of the backup
// beside toPath, synced, and swaps it in: the database that was there
// moves, with its -wal file, to previous, named
// <toPath>.pre-restore-<UTC time>, which it returns ("" when there was
// none). The backup itself is left as it is.
func Restore(ctx context.Context, fromPath, toPath string) (previous string, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("store: restore %q to %q: %w", fromPath, toPath, err)
		}
	}()
	from, err := filepath.Abs(fromPath)
	if err != nil {
		return "", err
	}
	to, err := filepath.Abs(toPath)
	if err != nil {
		return "", err
	}
	if from == to {
		return "", errors.New("the backup is the database itself")
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return "", fmt.Errorf("create directory: %w", err)
	}
	lock, err := lockFile(to)
	if err != nil {
		return "", fmt.Errorf("refusing: %w", err)
	}
	if lock != nil {
		defer unlockFile(lock)
	}

	db, err := openReadOnly(from)
	if err != nil {
		return "", fmt.Errorf("open the backup: %w", err)
	}
	defer db.Close()
	if err := integrityCheck(ctx, db); err != nil {
		return "", fmt.Errorf("check the backup: %w", err)
	}
	var n int
	if err := db.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n); err != nil {
		return "", fmt.Errorf("check the backup: %w", err)
	}
	if n == 0 {
		return "", fmt.Errorf("check the backup: %w: no schema_migrations table: not a Hearth database", ErrCorrupt)
	}

	// The copy first, beside the database: from here on a failure leaves
	// the database as it was.
	staged := filepath.Join(filepath.Dir(to), "."+filepath.Base(to)+".restore-"+strings.ReplaceAll(backupStamp(time.Now()), ".", ""))
	if err := vacuumInto(ctx, db, staged); err != nil {
		return "", fmt.Errorf("copy the backup: %w", err)
	}
	defer os.Remove(staged) // gone after the rename below

	if _, err := os.Stat(to); err == nil {
		previous = to + ".pre-restore-" + backupStamp(time.Now())
		// The -wal file goes along: SQLite finds a database's WAL by its
		// name, and a stale one left behind would be replayed into the
		// restored database.
		for _, suffix := range []string{"-wal", "-shm", ""} {
			if err := os.Rename(to+suffix, previous+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", fmt.Errorf("move the database aside: %w", err)
			}
		}
	}
	if err := os.Rename(staged, to); err != nil {
		return previous, fmt.Errorf("put the backup in place: %w", err)
	}
	return previous, syncFile(filepath.Dir(to))
}

// backupStamp is the time in a backup's name: UTC, to the millisecond,
// fixed width so that names sort as times.
func backupStamp(t time.Time) string {
	return t.UTC().Format("20060102T150405.000Z")
}

// BackupName is the file name a scheduled backup of the database at dbPath
// taken at t gets: its base name without extension, '-', the UTC time to
// the millisecond, ".db" (hearth-20250301T120000.000Z.db). `hearth backup`
// without --to uses it too.
func BackupName(dbPath string, t time.Time) string {
	return backupPrefix(dbPath) + "-" + backupStamp(t) + ".db"
}

// backupPrefix is a backup name's stem.
func backupPrefix(dbPath string) string {
	base := filepath.Base(dbPath)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// backupNamePattern matches the names BackupName returns for a prefix,
// capturing the time.
func backupNamePattern(prefix string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + `-([0-9]{8}T[0-9]{6}\.[0-9]{3}Z)\.db$`)
}

// Backups takes scheduled backups of a store into a directory and keeps
// the newest Keep of them. Run it in a goroutine the host owns.
type Backups struct {
	// Store is the store to back up.
	Store *Store
	// Dir is the directory the backups go in (created 0700 if missing).
	// Only files named as BackupName names them are counted and removed.
	Dir string
	// Every is the time between two backups.
	Every time.Duration
	// Keep is how many backups to keep, the newest; older ones are
	// removed after each backup.
	Keep int
	// Log receives what Run does and the errors it meets; nil discards
	// them.
	Log *zap.Logger
}

func (b *Backups) validate() error {
	switch {
	case b.Store == nil:
		return errors.New("store: backups: nil store")
	case b.Dir == "":
		return errors.New("store: backups: empty directory")
	case b.Every <= 0:
		return fmt.Errorf("store: backups: interval %v: want more than 0", b.Every)
	case b.Keep < 1:
		return fmt.Errorf("store: backups: keep %d: want at least 1", b.Keep)
	}
	return nil
}

// Run takes a backup every Every until ctx ends, then returns nil. The
// first one is due Every after the newest backup already in Dir (at once
// when there is none, or it is older than that), so that restarts neither
// skip nor pile up backups. A failed backup is logged and tried again at
// the next time.
func (b *Backups) Run(ctx context.Context) error {
	if err := b.validate(); err != nil {
		return err
	}
	log := b.Log
	if log == nil {
		log = zap.NewNop()
	}
	wait := time.Duration(0)
	if names, err := b.list(); err == nil && len(names) > 0 {
		if t, ok := b.timeOf(names[len(names)-1]); ok {
			wait = max(0, time.Until(t.Add(b.Every)))
		}
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		path, err := b.BackupNow(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			log.Error("scheduled backup failed", zap.Error(err))
		default:
			log.Info("backup taken", zap.String("path", path))
		}
		timer.Reset(b.Every)
	}
}

// BackupNow takes one backup into Dir, then removes the oldest backups
// beyond Keep. It returns the new backup's path.
func (b *Backups) BackupNow(ctx context.Context) (string, error) {
	if err := b.validate(); err != nil {
		return "", err
	}
	path := filepath.Join(b.Dir, BackupName(b.Store.Path(), time.Now()))
	if err := b.Store.Backup(ctx, path); err != nil {
		return "", err
	}
	return path, b.prune()
}

// list returns the names of the backups in Dir, oldest first.
func (b *Backups) list() ([]string, error) {
	entries, err := os.ReadDir(b.Dir)
	if err != nil {
		return nil, err
	}
	pat := backupNamePattern(backupPrefix(b.Store.Path()))
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && pat.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names) // fixed-width UTC times sort as text
	return names, nil
}

// timeOf returns the time in a backup's name.
func (b *Backups) timeOf(name string) (time.Time, bool) {
	m := backupNamePattern(backupPrefix(b.Store.Path())).FindStringSubmatch(name)
	if m == nil {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T150405.000Z", m[1])
	return t, err == nil
}

// prune removes the oldest backups beyond Keep.
func (b *Backups) prune() error {
	names, err := b.list()
	if err != nil {
		return fmt.Errorf("store: backups: %w", err)
	}
	var errs []error
	for _, name := range names[:max(0, len(names)-b.Keep)] {
		if err := os.Remove(filepath.Join(b.Dir, name)); err != nil {
			errs = append(errs, fmt.Errorf("store: backups: remove old backup: %w", err))
		}
	}
	return errors.Join(errs...)
}
