// Package store is Hearth's database: one SQLite file opened through
// mattn/go-sqlite3, the migrations of every module, the cache in front of
// it, write-behind batching, guild settings with their history, backups,
// retention, and the helpers for personal-data requests.
//
// # Opening
//
// [Open] creates the parent directory (mode 0700) and the database file
// (mode 0600) when they are missing, and takes an exclusive advisory lock
// (flock) on <path>.lock: a second Open of the same file, from this
// process or another, fails with an error wrapping [ErrLocked], and so
// does [Restore]. The lock is released by Close, or by the process ending
// however it ends. The .lock file itself stays.
//
// Open then opens two pools of connections to the file:
//
//   - one writer connection: every write goes through it ([Store.Write]
//     and the store's own methods), so writes take turns in Go, in the
//     order database/sql hands the connection out, and never meet
//     SQLite's "database is locked";
//   - a pool of read-only connections ([Store.DB], GOMAXPROCS of them, at
//     least 4, or [WithReadConns]).
//
// Each connection has foreign_keys=ON, busy_timeout (5 s unless
// [WithBusyTimeout]; within one Store it only covers WAL checkpoints and
// recovery), synchronous (NORMAL unless [WithSynchronous]) and a cache of
// 64 prepared statements, so a query run again on a connection skips the
// parser. The writer puts the file in WAL mode and begins its
// transactions IMMEDIATE. Open applies the store's own migrations (module
// "store"). An error from Open names the path it could not open.
//
// Close stops the batchers still running (flushing them), runs PRAGMA
// optimize, closes the read pool and then the writer (which checkpoints
// the WAL into the database file) and releases the lock.
//
// # Concurrency
//
// A [Store] is safe for concurrent use. Reads never wait for writes: under
// WAL a reader sees the database as of the last commit before its
// statement (or read transaction) began, while the writer goes on.
// Writes wait only for each other, for the one writer connection; a Write
// waiting for it gives up when its context ends. A Write's function must
// not write through the store itself (it would wait for the connection it
// holds). [Store.DB] is read-only: a write through it fails.
//
// # What is acknowledged, and durability
//
// A write is acknowledged when the method that made it ([Store.Write],
// [Store.SetModuleEnabled], [Settings.Put], [Store.Migrate], ...) returns
// nil: it is committed, every read that begins afterwards sees it, and it
// survives the process crashing or being killed (SIGKILL included; the
// tests kill a writer mid-write and check). A write that returned an
// error was rolled back as a whole.
//
// The synchronous setting decides what survives an operating-system crash
// or a power loss. NORMAL, the default, does not wait for the disk at each
// commit, only at checkpoints: the database stays consistent (a commit is
// there whole or not at all), but the commits since the last checkpoint
// that the operating system had not yet written out may be lost (Linux
// writes dirty pages out within about 30 s). That is the usual choice for
// WAL, and what lets the one writer commit tens of thousands of times a
// second. [WithSynchronous]([SynchronousFull]) makes each commit survive
// power loss too, at the cost of an fsync per commit, which on most disks
// caps the writer at hundreds to a few thousand commits a second (batch
// with [Batcher] or bigger transactions). OFF can corrupt the database on
// power loss; do not use it in production.
//
// # The cache
//
// [Cache] is ristretto with a memory budget. [ReadThrough] serves a value
// from it or loads it from the database and caches it; writes of cached
// data go through [Cache.Invalidate] ([Store.WriteInvalidate] for the
// store's cache). The guarantee: a ReadThrough that begins after a write
// made through Invalidate returned never returns a value older than that
// write. Ristretto alone cannot give it: its Set is asynchronous, so a
// reader's miss, read and Set can land after the writer's Del and pin the
// old value until its TTL. Each key therefore has a version (keys share
// 4096 counters; a collision only costs a miss): Invalidate marks the key
// written before the write begins and moves the version after it ends;
// an entry remembers the version it was loaded under and is refused when
// the version has moved, and while a write is in progress ReadThrough
// reads the database and caches nothing.
//
// With [WithCache], the store serves [Store.ModuleEnabled] and
// [Settings.Get] from the cache under the same guarantee. [Cache.Metrics]
// counts hits, misses, stale entries refused and evictions. Values
// returned from the cache are shared: treat them as read-only.
//
// # Guild settings and their history
//
// [Settings] is one module's settings section, per guild, as a typed
// struct with defaults and validation, stored as JSON in guild_settings.
// Every change to a section, and every module switch
// ([Store.SetModuleEnabled]), is recorded in the same transaction in
// guild_settings_history: who, when, the old and the new value.
// [Store.SettingsHistory] lists it for the audit log and
// [Store.RevertChange] puts an old value back (itself recorded).
//
// # Write-behind batching
//
// [Batcher] queues rows in memory and writes them every Interval, or as
// soon as MaxRows wait, in transactions of MaxRows rows: for high-rate
// counters that may lose a little on a hard crash. Add acknowledges a row
// queued, not written. The loss window: a hard crash loses the rows
// queued since the last flush and those of a flush not yet committed, at
// most about Interval's worth and never more than MaxQueue + MaxRows rows.
// Stop, and the store's Close, flush what is queued: a clean shutdown
// loses nothing unless a flush fails. Rows refused because the queue is
// full, or after Stop, and rows of failed flushes are counted
// ([BatcherStats]).
//
// # Backups and restore
//
// [Store.Backup] (and [BackupFile], which opens the file read-only without
// the lock, for `hearth backup` beside a running bot) writes a consistent
// copy while writes go on: VACUUM INTO reads one snapshot, so the copy
// holds exactly the writes committed before it began, whole. The copy is
// written to a temporary file, synced to disk and only then named, so a
// backup's name never points at half a file. [Backups] takes them on a
// schedule into a directory and keeps the newest N.
//
// [Restore] replaces the database with a backup. It refuses while the
// database is open (the lock; an error wrapping [ErrLocked]), and checks
// the backup first (PRAGMA integrity_check and the presence of
// schema_migrations; an error wrapping [ErrCorrupt]), changing nothing
// when either fails. The database it replaces is kept beside it, with its
// WAL, as <path>.pre-restore-<time>.
//
// # Retention
//
// A module declares the tables whose rows expire ([Expiry]: table, time
// column, maximum age from its configuration). [Retention] deletes the
// expired rows periodically, at most MaxPerRun rows per rule and run, in
// transactions of 1000 rows so that other writes get through, and reports
// what it deleted per table.
//
// # Personal data
//
// [Store.ExportUser] and [Store.DeleteUser] implement a module's
// ExportUser and DeleteUser over the tables it declares ([UserTable]):
// export reads them in one snapshot as JSON-ready rows (Discord IDs as
// strings); delete removes the person's rows from all of them in one
// transaction.
//
// # Migrations
//
// Each module owns a set of migrations ([Migrations]): files named
// NNNN_description.sql (four or more digits, a version from 1, then a
// lower-case snake_case description) at the root of an fs.FS, usually an
// embed.FS sub-tree. [Store.Migrate] applies, per module and in version
// order, every file whose version is not yet recorded in the
// schema_migrations table. Each file runs in its own transaction together
// with its schema_migrations row, so a file is either applied and
// recorded, or not applied at all. Versions may have gaps; they may not
// repeat. A file is known by its module and version only: editing or
// renaming a file that was applied does not apply it again, so change a
// schema with a new file.
//
// A migration runs inside a transaction with foreign keys enforced: it must
// not contain BEGIN, COMMIT or ROLLBACK, nor pragmas that work only outside
// a transaction (PRAGMA foreign_keys is silently ignored inside one).
//
// When a file fails, its transaction rolls back, leaving the database as it
// was before that file (the files before it stay applied), and Migrate
// returns a [*MigrationError] naming the module, the file and the SQL
// error:
//
//	store: migrate module "core" file 0002_add.sql: near "CREAT": syntax error
//
// Migrate validates every set (module names, file names, duplicate
// versions) before it applies anything; a validation failure wraps
// [ErrInvalidMigrations]. The migrations of different modules are
// independent: each module has its own versions. Concurrent calls to
// Migrate apply each file once: the check for a version runs again inside
// the file's transaction.
//
// By convention a module's tables are prefixed with its ID and an
// underscore (module "moderation" owns moderation_cases,
// moderation_warnings, ...), and a module reads and writes only its own
// tables. The store's own tables (schema_migrations, guild_modules,
// guild_settings, guild_settings_history) are unprefixed, and the module
// name "store" is reserved for them.
//
// # Snowflakes
//
// Discord IDs are uint64, SQLite's INTEGER is a signed 64-bit integer. The
// store keeps an ID's 64 bits unchanged and reads them as an int64
// (two's complement): IDs below 2^63, which is every Discord ID until about
// 2084, are stored as themselves; IDs from 2^63 on are stored as negative
// numbers. Every ID round-trips exactly and equality and index look-ups are
// exact; only ORDER BY and range comparisons across 2^63 would be wrong.
// [Snowflake] implements this encoding for modules' own tables.
//
// # Errors
//
// Errors start with "store: " and wrap their cause. Callers test
// [ErrNotFound] (no such row), [ErrLocked] (the database is open
// elsewhere), [ErrClosed], [ErrCorrupt] (an integrity check failed),
// [ErrInvalidSettings] (a settings section does not decode or validate),
// [ErrInvalidMigrations] and [*MigrationError] with errors.Is and
// errors.As.
package store
