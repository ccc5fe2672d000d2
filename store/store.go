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

// ErrClosed is returned by the store's own operations after Close.
var ErrClosed = errors.New("store: closed")

// DefaultBusyTimeout is how long a connection waits for a lock held by
// another connection before failing with "database is locked".
const DefaultBusyTimeout = 5 * time.Second

// optimizeTimeout bounds the PRAGMA optimize that Close runs.
const optimizeTimeout = 5 * time.Second

// stmtCacheSize is how many prepared statements each connection keeps for
// reuse (the driver's _stmt_cache_size): a query run again on the same
// connection skips SQLite's parser and planner.
const stmtCacheSize = 64

// Synchronous is an SQLite synchronous mode: how often SQLite waits for
// the disk. See https://www.sqlite.org/pragma.html#pragma_synchronous and
// the package documentation for the trade-off.
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
	cache       *Cache
	readConns   int
}

// WithBusyTimeout sets how long a connection waits for a lock held by
// another connection before failing with "database is locked" (default
// [DefaultBusyTimeout]). It is rounded down to the millisecond. Within one
// Store writes never contend for SQLite's lock (they queue for the one
// writer connection instead); the timeout covers WAL checkpoints and
// recovery.
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) { o.busyTimeout = d }
}

// WithSynchronous sets the synchronous mode (default [SynchronousNormal]).
func WithSynchronous(mode Synchronous) Option {
	return func(o *options) { o.synchronous = mode }
}

// WithClock sets the clock that stamps applied_at, updated_at and the
// settings history (default time.Now). Tests use it to pin those times.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithCache puts c in front of the store's own hot reads (module switches
// and guild settings) and makes [Store.Cache] return it. The caller keeps
// ownership: it closes c after closing the store. Without it those reads
// go to SQLite every time.
func WithCache(c *Cache) Option {
	return func(o *options) { o.cache = c }
}

// WithReadConns sets the size of the read-only connection pool (default:
// GOMAXPROCS, at least 4).
func WithReadConns(n int) Option {
	return func(o *options) { o.readConns = n }
}

// ownMigrations are the store's own tables, applied by Open as module
// "store".
//
//go:embed migrations/*.sql
var ownMigrations embed.FS

// ownModule is the module name of the store's own migrations.
const ownModule = "store"

// Store is an open SQLite database: one writer connection, a pool of
// read-only connections beside it, and the lock file that says the
// database is in use. It is safe for concurrent use.
type Store struct {
	path  string
	w     *sql.DB // one connection: every write goes through it
	r     *sql.DB // read-only connections
	now   func() time.Time
	cache *Cache
	lock  *os.File

	mu       sync.Mutex
	closed   bool
	stoppers []stopper // batchers to flush on Close, in creation order

	closeOnce sync.Once
	closeErr  error
}

// stopper is what Close stops before closing the connections.
type stopper interface {
	Stop(ctx context.Context) error
}

// Open opens (creating it if needed) the SQLite database at path: it takes
// the lock file <path>.lock (failing with [ErrLocked] when another Store,
// in this process or another, holds it), opens the writer connection and
// the read pool with the pragmas described in the package documentation,
// and applies the store's own migrations. ctx bounds the opening only.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{
		busyTimeout: DefaultBusyTimeout,
		synchronous: SynchronousNormal,
		now:         time.Now,
		readConns:   max(4, runtime.GOMAXPROCS(0)),
	}
	for _, opt := range opts {
		opt(&o)
	}
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	s, err := open(ctx, path, o)
	if err != nil {
		return nil, fmt.Errorf("store: open %q: %w", path, err)
	}
	return s, nil
}

func open(ctx context.Context, path string, o options) (_ *Store, err error) {
	abs, err := prepareFile(path)
	if err != nil {
		return nil, err
	}
	lock, err := lockFile(abs)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, now: o.now, cache: o.cache, lock: lock}
	defer func() {
		if err != nil {
			s.closeConns()
		}
	}()

	if s.w, err = sql.Open("sqlite3", dsn(abs, o, true)); err != nil {
		return nil, err
	}
	// One connection, kept open: database/sql queues writers for it, so
	// they never meet SQLite's lock, and the pragmas run once.
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := s.initWriter(ctx); err != nil {
		return nil, err
	}

	// The read pool opens after the writer has put the file in WAL mode.
	if s.r, err = sql.Open("sqlite3", dsn(abs, o, false)); err != nil {
		return nil, err
	}
	s.r.SetMaxOpenConns(o.readConns)
	s.r.SetMaxIdleConns(o.readConns)
	s.r.SetConnMaxLifetime(0)
	s.r.SetConnMaxIdleTime(0)
	if err := s.r.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("read pool: %w", err)
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
	if o.readConns < 1 {
		return fmt.Errorf("read pool of %d connections: want at least 1", o.readConns)
	}
	return nil
}

// prepareFile creates the parent directory and the database file when
// they are missing and returns the absolute path.
func prepareFile(path string) (string, error) {
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
	return abs, nil
}

// dsn returns the driver's DSN for the file at abs: the writer's, or a
// read-only connection's.
func dsn(abs string, o options, writer bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(o.busyTimeout.Milliseconds(), 10))
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", string(o.synchronous))
	q.Set("_stmt_cache_size", strconv.Itoa(stmtCacheSize))
	if writer {
		q.Set("_journal_mode", "WAL")
		q.Set("_txlock", "immediate")
	} else {
		q.Set("mode", "ro")
	}
	// A file: URI, so that a path holding '?' or '#' stays one path.
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}

// readOnlyDSN is the DSN of a read-only connection that takes no lock
// file: what BackupFile and Restore use.
func readOnlyDSN(abs string) string {
	return dsn(abs, options{busyTimeout: DefaultBusyTimeout, synchronous: SynchronousNormal}, false)
}

// initWriter checks the writer connection, that WAL is on, and applies
// the store's own migrations.
func (s *Store) initWriter(ctx context.Context) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	if _, err := s.w.ExecContext(ctx, createSchemaMigrations); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	return s.migrate(ctx, []Migrations{ownSet()}, true)
}

// DB returns the pool of read-only connections. Reads through it never
// wait for a write: each sees the database as of the last commit before
// its statement (or transaction) began. A write through it fails with
// "attempt to write a readonly database": write with [Store.Write].
func (s *Store) DB() *sql.DB { return s.r }

// Cache returns the cache given to Open with [WithCache], or nil.
func (s *Store) Cache() *Cache { return s.cache }

// writeDB is the writer connection.
func (s *Store) writeDB() *sql.DB { return s.w }

// readDB is the read pool; during Open, before the pool exists, the
// writer.
func (s *Store) readDB() *sql.DB {
	if s.r == nil {
		return s.w
	}
	return s.r
}

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

// register adds a batcher for Close to stop; it fails after Close.
func (s *Store) register(b stopper) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.stoppers = append(s.stoppers, b)
	return nil
}

// unregister removes a batcher stopped by its owner.
func (s *Store) unregister(b stopper) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.stoppers {
		if x == b {
			s.stoppers = append(s.stoppers[:i], s.stoppers[i+1:]...)
			return
		}
	}
}

// Close stops every [Batcher] still running on the store (flushing what
// they hold), runs PRAGMA optimize, which refreshes the query planner's
// statistics where they are stale, closes the read pool and then the
// writer (the last connection to close checkpoints the WAL into the
// database file), and releases the lock file. Calls after the first
// return the first call's result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), optimizeTimeout)
		defer cancel()
		s.mu.Lock()
		s.closed = true
		stoppers := s.stoppers
		s.stoppers = nil
		s.mu.Unlock()

		var errs []error
		for _, b := range stoppers {
			if err := b.Stop(ctx); err != nil {
				errs = append(errs, fmt.Errorf("store: close: %w", err))
			}
		}
		if _, err := s.w.ExecContext(ctx, "PRAGMA optimize"); err != nil {
			errs = append(errs, fmt.Errorf("store: close: optimize: %w", err))
		}
		if err := s.closeConns(); err != nil {
			errs = append(errs, fmt.Errorf("store: close: %w", err))
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// closeConns closes the read pool, the writer and the lock, whichever are
// open.
func (s *Store) closeConns() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if s.lock != nil {
		errs = append(errs, unlockFile(s.lock))
	}
	return errors.Join(errs...)
}
