package bot

import (
	"context"
	"errors"
	"io/fs"

	"github.com/disgoorg/disgo/cache"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/store"
)

// Module is one feature of the bot. ID is dotted and lower-case
// ("core", "moderation"), has no side effect, and names the module's
// config section, tables, custom-id namespace and logger.
//
// Init registers what the module offers (commands, components,
// subscriptions) on its Host. Returning ErrSkip stands the module aside
// for this run (its Stop is still safe to call); any other error stops
// start-up.
type Module interface {
	ID() string
	Init(ctx context.Context, h *Host) error
}

// Starter is a module with work to begin once every module is
// initialised and the gateway is open.
type Starter interface {
	Start(ctx context.Context) error
}

// Stopper is a module with something to release. Stop runs in reverse
// Init order and must be safe after a failed or skipped Init.
type Stopper interface {
	Stop(ctx context.Context) error
}

// Validator is a module that checks its own configuration after Init
// has decoded it; an error stops start-up and names the module.
type Validator interface {
	Validate() error
}

// Needer is a module that needs gateway intents or disgo cache flags.
// The gateway is built with exactly the union of what the modules that
// did not skip ask for.
type Needer interface {
	Needs() Needs
}

// Needs is what a module needs from the gateway.
type Needs struct {
	Intents gateway.Intents
	Caches  cache.Flags
}

// PersonalData is a module that stores data about people. One command
// exports or erases everything the bot holds about a user through it.
type PersonalData interface {
	ExportUser(ctx context.Context, user snowflake.ID) (any, error)
	DeleteUser(ctx context.Context, user snowflake.ID) error
}

// ErrSkip, returned by Init, stands a module aside without failing
// start-up (for example a module whose config turns it off).
var ErrSkip = errors.New("bot: module skipped")

// Migrator is a module with tables of its own: Migrations holds its SQL
// migrations, files NNNN_description.sql at the root (an embed.FS
// sub-tree). Tables are named with the module ID as prefix. The host
// applies them at start-up, before Init; `hearth migrate` does too.
type Migrator interface {
	Migrations() fs.FS
}

// MigrationsDir returns the migrations/ folder of an embedded file
// system, for a Migrator: `//go:embed migrations/*.sql` then
// `return bot.MigrationsDir(migrations)`. A folder that is not there is
// a programmer error, seen at start-up: it panics.
func MigrationsDir(fsys fs.FS) fs.FS {
	sub, err := fs.Sub(fsys, "migrations")
	if err != nil {
		panic(err)
	}
	return sub
}

// MigrationSets collects the migrations of the modules that have some.
func MigrationSets(mods []Module) []store.Migrations {
	var sets []store.Migrations
	for _, m := range mods {
		if mg, ok := m.(Migrator); ok {
			sets = append(sets, store.Migrations{Module: m.ID(), FS: mg.Migrations()})
		}
	}
	return sets
}

// GuildData is a module that keeps data per guild. When the bot has been
// out of a guild for longer than the grace period (store.guild_grace),
// the host calls DeleteGuild to erase it; a guild outage never does.
type GuildData interface {
	DeleteGuild(ctx context.Context, guildID snowflake.ID) error
}
