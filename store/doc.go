// Package store is Hearth's database: one SQLite file opened through
// mattn/go-sqlite3, the migrations of every module, and the few tables
// the host itself needs (per-guild module switches).
//
// # Opening
//
// [Open] creates the parent directory (mode 0700) and the database file
// (mode 0600) when they are missing, and sets on every connection:
//
//   - journal_mode=WAL: readers never block the writer, nor the writer
//     the readers;
//   - busy_timeout, 5 s unless [WithBusyTimeout] says otherwise: a
//     connection that finds the database locked by another writer waits
//     up to that long before failing with "database is locked";
//   - foreign_keys=ON;
//   - synchronous=NORMAL unless [WithSynchronous] says otherwise;
//   - transactions start with BEGIN IMMEDIATE, so a transaction takes the
//     write lock when it begins (waiting for it under busy_timeout) rather
//     than failing when it first writes.
//
// Open then applies the store's own migrations (module "store"). An error
// from Open names the path it could not open.
//
// # Durability
//
// A write method ([Store.SetModuleEnabled], [Store.Migrate]) that returned
// nil has committed: the change is visible to every later read and
// survives the process crashing or being killed. With synchronous=NORMAL,
// an operating-system crash or a power loss may lose the last commits
// before it (the database stays consistent: they are rolled back, never
// half-applied); [WithSynchronous]([SynchronousFull]) makes each commit
// survive those too, at the cost of an fsync per commit.
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
// independent: each module has its own versions.
//
// By convention a module's tables are prefixed with its ID and an
// underscore (module "moderation" owns moderation_cases,
// moderation_warnings, ...), and a module reads and writes only its own
// tables. The store's own tables, schema_migrations and guild_modules, are
// unprefixed, and the module name "store" is reserved for them.
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
// # Concurrency
//
// A [Store] is safe for concurrent use by multiple goroutines: database/sql
// pools the connections, readers run in parallel under WAL, and writers
// take turns on SQLite's write lock, waiting up to busy_timeout.
// Concurrent calls to Migrate, from goroutines or processes, apply each
// file once: the check for a version runs again inside the file's
// transaction.
//
// Writes go through Store methods. [Store.DB] exposes the pool for reads;
// a later version routes writes through a single writer connection with a
// read pool beside it, and code that writes through DB bypasses that.
package store
