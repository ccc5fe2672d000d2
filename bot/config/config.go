// Package config reads Hearth's configuration: a YAML file, when there is one, over the defaults,
// then HEARTH_* environment variables over both.
//
// Every key is decoded strictly: an unknown key, a value of the wrong type and a value out of range
// are all errors, and Load reports every one it finds at once, each naming the key path (and the
// file and line, or the environment variable, it came from) and what the key allows.
//
// Secrets are never configuration keys. The bot token is read from the environment variable named
// by discord.token_env, by Config.Token; a token key in the file is an error.
//
// Environment overrides. Each key can be set by the variable HEARTH_ followed by its path
// upper-cased with _ between the parts: discord.rest_url is HEARTH_DISCORD_REST_URL,
// pipeline.handler_timeout is HEARTH_PIPELINE_HANDLER_TIMEOUT, commands.sync is
// HEARTH_COMMANDS_SYNC (global, off, or guild ids separated by commas). A module's key is
// HEARTH_MODULES_<ID>_<KEY>, its value written as in YAML (see Config.Module). An empty variable is
// the same as an unset one. The names are derived from the known keys, so a misspelt variable is
// not noticed: it is never looked up.
package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is Hearth's configuration. Make one with Default or Load. A Config is a value: copies share
// the module sections, which nothing modifies, so it is safe to read from several goroutines.
type Config struct {
	Discord  Discord  // the discord section: connecting to Discord
	Commands Commands // the commands section: application commands
	Store    Store    // the store section: the database
	Admin    Admin    // the admin section: the admin HTTP listener
	Log      Log      // the log section: the logger
	Pipeline Pipeline // the pipeline section: how interactions are handled
	Loadtest Loadtest // the loadtest section: the objectives `hearth loadtest` judges by

	modules map[string]*yaml.Node // the sections under modules, by module ID, undecoded
	file    string                // the file the configuration came from, for messages; "" for none
	getenv  func(string) string   // the environment Load read, for the modules' overrides; nil for none
}

// Discord is the discord section: how Hearth connects to Discord.
type Discord struct {
	// TokenEnv (discord.token_env) names the environment variable that holds the bot token.
	TokenEnv string
	// RESTURL (discord.rest_url) is the base URL of the REST API, such as a REST proxy
	// (nirn-proxy, twilight-http-proxy) or an emulator. Empty means Discord's own,
	// https://discord.com/api/v10. Load removes a trailing slash.
	RESTURL string
	// GatewayURL (discord.gateway_url) is the gateway's websocket URL; empty means the one
	// GET /gateway/bot answers.
	GatewayURL string
	// Shards (discord.shards) is how many shards to run.
	Shards Shards
	// Compression (discord.compression) is the gateway transport compression.
	Compression Compression
	// GlobalLimit (discord.global_limit), from 1, is how many REST requests
	// per second the bot may send in all (Discord's global limit: 50,
	// more for bots Discord raised); interaction answers do not count.
	GlobalLimit int
	// LargeThreshold (discord.large_threshold), from 50 to 250, is the member count above which
	// Discord sends a guild without its offline members.
	LargeThreshold int
}

// Shards is the number of gateway shards: Auto, the number GET /gateway/bot recommends, or Count
// shards with the ids 0 to Count-1. In YAML it is "auto" or a whole number from 1.
type Shards struct {
	Auto  bool // ask Discord; Count is then unused
	Count int  // with Auto false: how many shards, from 1
}

// String returns "auto" or the count, as the configuration file spells it.
func (s Shards) String() string {
	if s.Auto {
		return "auto"
	}
	return strconv.Itoa(s.Count)
}

// Compression is a gateway transport compression. disgo spells CompressionNone as "".
type Compression string

// The gateway compressions.
const (
	CompressionNone       Compression = "none"
	CompressionZlibStream Compression = "zlib-stream"
	CompressionZstdStream Compression = "zstd-stream"
)

// Commands is the commands section: how application commands are registered.
type Commands struct {
	// Sync (commands.sync) says where commands are registered at start-up.
	Sync Sync
}

// SyncMode says where application commands are registered.
type SyncMode string

// The ways of registering application commands.
const (
	SyncGlobal SyncMode = "global" // once for the application, in every guild
	SyncGuilds SyncMode = "guilds" // in each of Sync.Guilds only, which updates at once (for development)
	SyncOff    SyncMode = "off"    // not at all: leave what is registered
)

// Sync is commands.sync: "global", "off", or a list of guild ids, which makes Mode SyncGuilds.
type Sync struct {
	Mode   SyncMode
	Guilds []uint64 // with SyncGuilds: the guild ids (snowflakes), at least one, each once
}

// String returns the mode, or with SyncGuilds the guild ids separated by commas, as
// HEARTH_COMMANDS_SYNC spells it.
func (s Sync) String() string {
	if s.Mode != SyncGuilds {
		return string(s.Mode)
	}
	ids := make([]string, len(s.Guilds))
	for i, g := range s.Guilds {
		ids[i] = strconv.FormatUint(g, 10)
	}
	return strings.Join(ids, ",")
}

// Store is the store section: the database.
type Store struct {
	// Path (store.path) is the SQLite database file.
	Path string
	// Synchronous (store.synchronous) is SQLite's synchronous mode: normal
	// (a power loss may lose the last commits, never corrupts) or full (an
	// fsync per commit).
	Synchronous string
	// CacheMB (store.cache_mb), from 1, is the memory budget of the
	// in-memory cache in front of the database, in MiB.
	CacheMB int
	// BackupEvery (store.backup_every) is the time between two scheduled
	// backups; 0 turns them off.
	BackupEvery time.Duration
	// BackupDir (store.backup_dir) is where backups go; empty means a
	// "backups" folder beside the database.
	BackupDir string
	// BackupKeep (store.backup_keep), from 1, is how many backups to keep.
	BackupKeep int
	// RetentionEvery (store.retention_every), above 0, is how often the
	// job that deletes what modules keep no longer runs.
	RetentionEvery time.Duration
	// GuildGrace (store.guild_grace), at least 1h, is how long the data of
	// a guild that removed the bot is kept, in case it adds the bot back.
	GuildGrace time.Duration
}

// AdminOff is the value of admin.addr that disables the admin listener.
const AdminOff = "off"

// Admin is the admin section: the HTTP listener serving metrics and health.
type Admin struct {
	// Addr (admin.addr) is the host:port to listen on, or AdminOff.
	Addr string
	// Pprof (admin.pprof) serves Go's profiles under /debug/pprof/ on
	// the admin listener: for `hearth loadtest --profile` and debugging.
	// Keep the listener on loopback when it is on.
	Pprof bool
}

// Enabled reports whether the admin listener runs, that is whether Addr is not AdminOff.
func (a Admin) Enabled() bool { return a.Addr != AdminOff }

// Log is the log section. Its values are what logging.New takes.
type Log struct {
	// Level (log.level) is debug, info, warn or error.
	Level string
	// Format (log.format) is console, json, or auto: console on a terminal, json otherwise.
	Format string
}

// Loadtest is the loadtest section: the service-level objectives `hearth loadtest` gives its
// verdict against.
type Loadtest struct {
	// SLOP95 (loadtest.slo_p95), above 0, is the most the 95th percentile of the time from an
	// interaction's dispatch to the bot's answer may be.
	SLOP95 time.Duration
	// SLOErrorPercent (loadtest.slo_error_percent), 0 to 100, is the most the share of
	// interactions answered late (over 3 s) or failed may be, in percent.
	SLOErrorPercent float64
}

// Pipeline is the pipeline section: how the command pipeline handles interactions.
type Pipeline struct {
	// Concurrency (pipeline.concurrency), from 1, is how many interactions are handled at once;
	// the host answers more with a "busy" reply.
	Concurrency int
	// HandlerTimeout (pipeline.handler_timeout), above 0 and at most 15 minutes (the life of an
	// interaction token), is how long a handler may run.
	HandlerTimeout time.Duration
	// AutoDeferAfter (pipeline.auto_defer_after), above 0 and under 3 seconds (Discord's deadline
	// for the first reply), is how long after the interaction's creation time the host defers the
	// reply of a handler that has not answered yet.
	AutoDeferAfter time.Duration
	// Cores (pipeline.cores) is how many cores run the bot's Go code (GOMAXPROCS): 0 for
	// "auto", one core while one is enough and every core the machine gives when the load
	// needs more (one core spends less CPU per event); or a count from 1 to keep.
	Cores int
}

// Default returns the configuration Hearth runs with when neither a file nor the environment says
// otherwise.
func Default() Config {
	return Config{
		Discord: Discord{
			TokenEnv:       "HEARTH_TOKEN",
			Shards:         Shards{Auto: true},
			Compression:    CompressionZstdStream,
			LargeThreshold: 50,
			GlobalLimit:    50,
		},
		Commands: Commands{Sync: Sync{Mode: SyncGlobal}},
		Store: Store{Path: "hearth.db", Synchronous: "normal", CacheMB: 64, BackupEvery: 24 * time.Hour, BackupKeep: 7,
			RetentionEvery: time.Hour, GuildGrace: 30 * 24 * time.Hour},
		Admin:    Admin{Addr: "127.0.0.1:9090"},
		Log:      Log{Level: "info", Format: "auto"},
		Loadtest: Loadtest{SLOP95: time.Second, SLOErrorPercent: 1},
		Pipeline: Pipeline{
			Concurrency:    1024,
			HandlerTimeout: 30 * time.Second,
			AutoDeferAfter: 2 * time.Second,
		},
	}
}

// Validate reports every value of c out of its range, as Load does; it is for a Config built or
// changed in code. It does not look at the module sections: Module does.
func (c Config) Validate() error {
	var ps problems
	for _, k := range schema() {
		if msg := k.check(&c); msg != "" {
			ps.add(problem{path: k.path, msg: msg})
		}
	}
	return ps.err()
}

// ModuleIDs returns the IDs of the sections under modules, sorted, so the host can reject a
// section no registered module claims.
func (c Config) ModuleIDs() []string {
	ids := make([]string, 0, len(c.modules))
	for id := range c.modules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Token returns the bot token from the environment variable named by discord.token_env, looked up
// with getenv (nil is an empty environment). Its errors name the variable and never hold its value.
func (c Config) Token(getenv func(string) string) (string, error) {
	name := c.Discord.TokenEnv
	var t string
	if getenv != nil && name != "" {
		t = getenv(name)
	}
	switch {
	case t == "":
		return "", fmt.Errorf("config: no bot token: set the environment variable %s (named by discord.token_env)", name)
	case strings.HasPrefix(t, "Bot "):
		return "", fmt.Errorf(`config: the environment variable %s starts with "Bot ": give the token alone`, name)
	case strings.IndexFunc(t, isSpace) >= 0:
		return "", fmt.Errorf("config: the environment variable %s holds white space, which a bot token never does", name)
	}
	return t, nil
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}
