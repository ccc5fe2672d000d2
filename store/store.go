package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// ErrNotFound is what a repository returns when the row it was asked for
// does not exist.
var ErrNotFound = errors.New("store: not found")

// DefaultBusyTimeout is how long a connection waits for another writer to
// release the database before failing with "database is locked".
const DefaultBusyTimeout = 5 * time.Second

// optimizeTimeout bounds the PRAGMA optimize that Close runs.
const optimizeTimeout = 5 * time.Second

// Synchronous is an SQLite synchronous mode: how often SQLite waits for
// the disk. See https://www.sqlite.org/pragma.html#pragma_synchronous.
type Synchronous string

// The synchronous modes. In WAL mode NORMAL keeps the database consistent
// on power loss but may lose the last commits; FULL also keeps them.
const (
	SynchronousOff    Synchronous = "OFF"
	SynchronousNormal Synchronous = "NORMAL"
	SynchronousFull   Synchronous = "FULL"
	SynchronousExtra  Synchronous = "EXTRA"
)

// Option changes how Open opens the database.
type Option func(*options)

type options struct {
	busyTimeout time.Duration
	synchronous Synchronous
	now         func() time.Time
}

// WithBusyTimeout sets how long a connection waits for the write lock
// before failing with "database is locked" (default [DefaultBusyTimeout]).
// It is rounded down to the millisecond.
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) { o.busyTimeout = d }
}

// WithSynchronous sets the synchronous mode (default [SynchronousNormal]).
func WithSynchronous(mode Synchronous) Option {
	return func(o *options) { o.synchronous = mode }
}

// WithClock sets the clock that stamps applied_at and updated_at
// (default time.Now). Tests use it to pin those times.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// ownMigrations are the store's own tables, applied by Open as module
// "store".
//
//go:embed migrations/*.sql
var ownMigrations embed.FS

// ownModule is the module name of the store's own migrations.
const ownModule = "store"

// Store is an open SQLite database. It is safe for concurrent use.
type Store struct {
	path string
	db   *sql.DB
	now  func() time.Time

	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating it if needed) the SQLite database at path, sets
// the pragmas described in the package documentation on every
// connection, and applies the store's own migrations. ctx bounds the
// opening only.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{
		busyTimeout: DefaultBusyTimeout,
		synchronous: SynchronousNormal,
		now:         time.Now,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	dsn, err := prepareFile(path, o)
	if err != nil {
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	// Keep every connection open: a new one runs all the pragmas again.
	conns := max(4, runtime.GOMAXPROCS(0))
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)

	s := &Store{path: path, db: db, now: o.now}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	return s, nil
}

func (o options) validate() error {
	if o.busyTimeout < 0 {
		return fmt.Errorf("negative busy timeout %v", o.busyTimeout)
	}
	switch o.synchronous {
	case SynchronousOff, SynchronousNormal, SynchronousFull, SynchronousExtra:
	default:
		return fmt.Errorf("unknown synchronous mode %q", o.synchronous)
	}
	if o.now == nil {
		return errors.New("nil clock")
	}
	return nil
}

// prepareFile creates the parent directory and the database file when
// they are missing and returns the driver's DSN for path.
func prepareFile(path string, o options) (string, error) {
	if path == "" {
		return "", errors.New("empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return "", errors.New("is a directory")
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return "", fmt.Errorf("create parent directory: %w", err)
	}
	// Create the file ourselves so that it, and the -wal and -shm files
	// SQLite gives the same mode, are readable by the owner only.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", strconv.FormatInt(o.busyTimeout.Milliseconds(), 10))
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", string(o.synchronous))
	q.Set("_txlock", "immediate")
	// A file: URI, so that a path holding '?' or '#' stays one path.
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String(), nil
}

// init checks the connection, that WAL is on, and applies the store's own
// migrations.
func (s *Store) init(ctx context.Context) error {
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	if _, err := s.writeDB().ExecContext(ctx, createSchemaMigrations); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	return s.migrate(ctx, []Migrations{ownSet()}, true)
}

// DB returns the connection pool, for reads. Write with Write (or the
// Store's own methods).
func (s *Store) DB() *sql.DB { return s.db }

// writeDB is where every write goes. Today it is the shared pool; the
// single writer connection will replace it here, and only here.
func (s *Store) writeDB() *sql.DB { return s.db }

// readDB is where reads go.
func (s *Store) readDB() *sql.DB { return s.db }

// Path returns the path Open was given.
func (s *Store) Path() string { return s.path }

// Ping reports whether the database answers a query: it reads the
// schema through a pooled connection, which exercises the connection and
// the file rather than only the pool. /readyz calls it.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	if err := s.readDB().QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close runs PRAGMA optimize, which refreshes the query planner's
// statistics where they are stale, and closes every connection. Calls
// after the first return the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), optimizeTimeout)
		defer cancel()
		var errs []error
		if _, err := s.writeDB().ExecContext(ctx, "PRAGMA optimize"); err != nil {
			errs = append(errs, fmt.Errorf("store: close: optimize: %w", err))
		}
		if err := s.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("store: close: %w", err))
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
