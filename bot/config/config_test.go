package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// env returns a getenv over m.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// same reports whether a and b hold the same values in their exported fields.
func same(a, b Config) bool {
	return reflect.DeepEqual(a.Discord, b.Discord) && reflect.DeepEqual(a.Commands, b.Commands) &&
		a.Store == b.Store && a.Admin == b.Admin && a.Log == b.Log && a.Pipeline == b.Pipeline
}

func TestDefaultIsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Errorf("got %v; want nil", err)
	}
}

func TestLoadWithoutFileIsDefault(t *testing.T) {
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !same(c, Default()) {
		t.Errorf("got %+v; want %+v", c, Default())
	}
	if ids := c.ModuleIDs(); len(ids) != 0 {
		t.Errorf("got module IDs %v; want none", ids)
	}
}

func TestExampleLoadsAsDefault(t *testing.T) {
	c, err := Load(filepath.Join("..", "..", "config.example.yaml"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !same(c, Default()) {
		t.Errorf("got %+v; want %+v", c, Default())
	}
	// The modules' sections show their defaults; the modules decode them
	// (main's TestExampleConfigIsValid checks that they do).
	if ids := c.ModuleIDs(); !slices.Equal(ids, []string{"audit", "automod", "logs", "moderation"}) {
		t.Errorf("got module IDs %v; want the sections of audit, automod, logs and moderation", ids)
	}
}

func TestExampleDocumentsEveryKey(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range schema() {
		section, name, _ := strings.Cut(k.path, ".")
		if _, ok := doc[section][name]; !ok {
			t.Errorf("got no %s in the example; want every key", k.path)
		}
	}
	if _, ok := doc["modules"]; !ok {
		t.Error("got no modules in the example; want every key")
	}
}

func TestLoadMissingFileFails(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none.yaml"), nil)
	if err == nil || !strings.HasPrefix(err.Error(), "config: open ") {
		t.Errorf("got %v; want config: open ...", err)
	}
}

func TestLoadReadsAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hearth.yaml")
	if err := os.WriteFile(path, []byte("log:\n  level: debug\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Log.Level != "debug" {
		t.Errorf("got level %q; want debug", c.Log.Level)
	}
}

func TestLoadDecodesValues(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want func(c *Config)
	}{
		{"empty file", "", func(*Config) {}},
		{"comments only", "# nothing\n", func(*Config) {}},
		{"empty document", "---\n", func(*Config) {}},
		{"null sections", "discord:\ncommands: ~\nmodules:\n", func(*Config) {}},
		{"null key keeps the default", "discord:\n  shards:\n  rest_url:\n", func(*Config) {}},
		{"shards number", "discord: {shards: 4}", func(c *Config) { c.Discord.Shards = Shards{Count: 4} }},
		{"shards string number", `discord: {shards: "16"}`, func(c *Config) { c.Discord.Shards = Shards{Count: 16} }},
		{"shards auto", "discord: {shards: auto}", func(*Config) {}},
		{"compression none", "discord: {compression: none}", func(c *Config) { c.Discord.Compression = CompressionNone }},
		{"compression zlib", "discord: {compression: zlib-stream}", func(c *Config) { c.Discord.Compression = CompressionZlibStream }},
		{"large threshold", "discord: {large_threshold: 250}", func(c *Config) { c.Discord.LargeThreshold = 250 }},
		{"token env", "discord: {token_env: MY_BOT_TOKEN}", func(c *Config) { c.Discord.TokenEnv = "MY_BOT_TOKEN" }},
		{"rest url without its trailing slash", "discord: {rest_url: 'http://127.0.0.1:8080/api/v10/'}", func(c *Config) {
			c.Discord.RESTURL = "http://127.0.0.1:8080/api/v10"
		}},
		{"gateway url", "discord: {gateway_url: 'wss://gateway.example'}", func(c *Config) { c.Discord.GatewayURL = "wss://gateway.example" }},
		{"sync off", "commands: {sync: off}", func(c *Config) { c.Commands.Sync = Sync{Mode: SyncOff} }},
		{"sync list", "commands:\n  sync:\n    - 123456789012345678\n    - '234567890123456789'\n", func(c *Config) {
			c.Commands.Sync = Sync{Mode: SyncGuilds, Guilds: []uint64{123456789012345678, 234567890123456789}}
		}},
		{"sync one id", "commands: {sync: 18446744073709551615}", func(c *Config) {
			c.Commands.Sync = Sync{Mode: SyncGuilds, Guilds: []uint64{18446744073709551615}}
		}},
		{"sync ids with commas", "commands: {sync: '1, 2'}", func(c *Config) {
			c.Commands.Sync = Sync{Mode: SyncGuilds, Guilds: []uint64{1, 2}}
		}},
		{"sync ids once each", "commands: {sync: [5, 6, 5]}", func(c *Config) {
			c.Commands.Sync = Sync{Mode: SyncGuilds, Guilds: []uint64{5, 6}}
		}},
		{"store path", "store: {path: /var/lib/hearth/hearth.db}", func(c *Config) { c.Store.Path = "/var/lib/hearth/hearth.db" }},
		{"admin off", "admin: {addr: off}", func(c *Config) { c.Admin.Addr = AdminOff }},
		{"admin every interface", "admin: {addr: ':9090'}", func(c *Config) { c.Admin.Addr = ":9090" }},
		{"admin ipv6", "admin: {addr: '[::1]:0'}", func(c *Config) { c.Admin.Addr = "[::1]:0" }},
		{"log", "log: {level: debug, format: json}", func(c *Config) { c.Log = Log{Level: "debug", Format: "json"} }},
		{"pipeline", "pipeline: {concurrency: 1, handler_timeout: 15m, auto_defer_after: 2999ms, cores: 2}", func(c *Config) {
			c.Pipeline = Pipeline{Concurrency: 1, HandlerTimeout: 15 * time.Minute, AutoDeferAfter: 2999 * time.Millisecond, Cores: 2}
		}},
		{"cores auto", "pipeline: {cores: auto}", func(c *Config) {}},
		{"yaml integer forms", "pipeline: {concurrency: 0x10}\ndiscord: {large_threshold: 1_00}", func(c *Config) {
			c.Pipeline.Concurrency = 16
			c.Discord.LargeThreshold = 100
		}},
		{"aliases", "discord: {shards: &n 8}\npipeline: {concurrency: *n}", func(c *Config) {
			c.Discord.Shards = Shards{Count: 8}
			c.Pipeline.Concurrency = 8
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := load("hearth.yaml", []byte(tt.yaml), nil)
			if err != nil {
				t.Fatal(err)
			}
			want := Default()
			tt.want(&want)
			if !same(got, want) {
				t.Errorf("got %+v; want %+v", got, want)
			}
		})
	}
}

func TestLoadReportsProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"unknown section", "bogus: 1", `config: hearth.yaml:1: bogus: unknown key; the sections are discord, commands, store, admin, log, pipeline, loadtest, modules`},
		{"unknown key", "discord:\n  bogus: 1", `config: hearth.yaml:2: discord.bogus: unknown key; discord has token_env, rest_url, gateway_url, shards, compression, large_threshold, global_limit`},
		{"odd key quoted", "log: {\"a b\": 1}", `config: hearth.yaml:1: log."a b": unknown key; log has level, format`},
		{"token in discord", "discord:\n  token: abc.def", `config: hearth.yaml:2: discord.token: the bot token is never read from the file: set the environment variable HEARTH_TOKEN (named by discord.token_env) instead`},
		{"token at the top", "discord: {token_env: BOT}\ntoken: abc", `config: hearth.yaml:2: token: the bot token is never read from the file: set the environment variable BOT (named by discord.token_env) instead`},
		{"duplicate key", "log:\n  level: info\n  level: debug", `config: hearth.yaml:3: log.level: a second time: the first is at line 2`},
		{"duplicate section", "log: {}\nlog: {}", `config: hearth.yaml:2: log: a second time: the first is at line 1`},
		{"merge key", "log:\n  <<: {level: debug}", `config: hearth.yaml:2: log."<<": merge keys are not supported: write the keys out`},
		{"document not a mapping", "- a\n- b", `config: hearth.yaml:1: the file holds a list; want a mapping of the sections discord, commands, store, admin, log, pipeline, loadtest, modules`},
		{"document a string", "hello", `config: hearth.yaml:1: the file holds "hello"; want a mapping of the sections discord, commands, store, admin, log, pipeline, loadtest, modules`},
		{"section not a mapping", "log: debug", `config: hearth.yaml:1: log: "debug" is not a mapping of the keys level, format`},
		{"syntax error", "log:\n  level: [debug\n", `config: hearth.yaml:1: did not find expected ',' or ']'`},
		{"second document", "log: {}\n---\nstore: {}\n", `config: hearth.yaml:2: a second YAML document: the file must hold one`},
		{"non-scalar key", "? [a]\n: 1", `config: hearth.yaml:1: a list is not a key: a key is a name`},
		{"token env", "discord: {token_env: 'MY-TOKEN'}", `config: hearth.yaml:1: discord.token_env: "MY-TOKEN" is not an environment variable name (letters, digits and _, not starting with a digit)`},
		{"token env empty", "discord: {token_env: ''}", `config: hearth.yaml:1: discord.token_env: "" is not an environment variable name (letters, digits and _, not starting with a digit)`},
		{"rest url scheme", "discord: {rest_url: 'ws://x'}", `config: hearth.yaml:1: discord.rest_url: "ws://x" is not empty or an http or https URL with a host and no query`},
		{"rest url relative", "discord: {rest_url: 'localhost:8080'}", `config: hearth.yaml:1: discord.rest_url: "localhost:8080" is not empty or an http or https URL with a host and no query`},
		{"rest url query", "discord: {rest_url: 'http://x/?a=1'}", `config: hearth.yaml:1: discord.rest_url: "http://x/?a=1" is not empty or an http or https URL with a host and no query`},
		{"gateway url scheme", "discord: {gateway_url: 'https://x'}", `config: hearth.yaml:1: discord.gateway_url: "https://x" is not empty or a ws or wss URL with a host and no query`},
		{"gateway url list", "discord: {gateway_url: [a]}", `config: hearth.yaml:1: discord.gateway_url: a list is not empty or a ws or wss URL with a host and no query`},
		{"shards word", "discord: {shards: many}", `config: hearth.yaml:1: discord.shards: "many" is not "auto" or a whole number from 1`},
		{"shards zero", "discord: {shards: 0}", `config: hearth.yaml:1: discord.shards: 0 is not "auto" or a whole number from 1`},
		{"shards float", "discord: {shards: 1.5}", `config: hearth.yaml:1: discord.shards: 1.5 is not "auto" or a whole number from 1`},
		{"shards mapping", "discord: {shards: {n: 1}}", `config: hearth.yaml:1: discord.shards: a mapping is not "auto" or a whole number from 1`},
		{"compression", "discord: {compression: gzip}", `config: hearth.yaml:1: discord.compression: "gzip" is not one of none, zlib-stream, zstd-stream`},
		{"large threshold low", "discord: {large_threshold: 49}", `config: hearth.yaml:1: discord.large_threshold: 49 is not a whole number from 50 to 250`},
		{"large threshold high", "discord: {large_threshold: 251}", `config: hearth.yaml:1: discord.large_threshold: 251 is not a whole number from 50 to 250`},
		{"large threshold text", "discord: {large_threshold: lots}", `config: hearth.yaml:1: discord.large_threshold: "lots" is not a whole number from 50 to 250`},
		{"sync word", "commands: {sync: globally}", `config: hearth.yaml:1: commands.sync: "globally" is not "global", "off" or a list of guild ids`},
		{"sync bool", "commands: {sync: true}", `config: hearth.yaml:1: commands.sync: true is not "global", "off" or a list of guild ids`},
		{"sync empty list", "commands: {sync: []}", `config: hearth.yaml:1: commands.sync: an empty list is not "global", "off" or a list of guild ids (write "off" to register none)`},
		{"sync bad ids", "commands:\n  sync: [1, -2, x, 0]", `config: hearth.yaml:2: commands.sync: item 2, -2, is not a guild id (a whole number above 0); item 3, "x", is not a guild id (a whole number above 0); item 4, 0, is not a guild id (a whole number above 0)`},
		{"sync id too large", "commands: {sync: [18446744073709551616]}", `config: hearth.yaml:1: commands.sync: item 1, 18446744073709551616, is not a guild id (a whole number above 0)`},
		{"store path empty", "store: {path: ''}", `config: hearth.yaml:1: store.path: "" is not a file path`},
		{"admin no port", "admin: {addr: localhost}", `config: hearth.yaml:1: admin.addr: "localhost" is not "off" or host:port, such as 127.0.0.1:9090`},
		{"admin bad port", "admin: {addr: 'localhost:http'}", `config: hearth.yaml:1: admin.addr: "localhost:http" is not "off" or host:port, such as 127.0.0.1:9090`},
		{"admin port range", "admin: {addr: ':65536'}", `config: hearth.yaml:1: admin.addr: ":65536" is not "off" or host:port, such as 127.0.0.1:9090`},
		{"log level", "log: {level: verbose}", `config: hearth.yaml:1: log.level: "verbose" is not one of debug, info, warn, error`},
		{"log format", "log: {format: text}", `config: hearth.yaml:1: log.format: "text" is not one of auto, console, json`},
		{"concurrency", "pipeline: {concurrency: 0}", `config: hearth.yaml:1: pipeline.concurrency: 0 is not a whole number from 1`},
		{"handler timeout number", "pipeline: {handler_timeout: 30}", `config: hearth.yaml:1: pipeline.handler_timeout: 30 is not a duration above 0 and at most 15m (the life of an interaction token), such as 30s`},
		{"handler timeout long", "pipeline: {handler_timeout: 16m}", `config: hearth.yaml:1: pipeline.handler_timeout: "16m0s" is not a duration above 0 and at most 15m (the life of an interaction token), such as 30s`},
		{"handler timeout negative", "pipeline: {handler_timeout: -1s}", `config: hearth.yaml:1: pipeline.handler_timeout: "-1s" is not a duration above 0 and at most 15m (the life of an interaction token), such as 30s`},
		{"auto defer at 3s", "pipeline: {auto_defer_after: 3s}", `config: hearth.yaml:1: pipeline.auto_defer_after: "3s" is not a duration above 0 and under 3s (Discord's deadline for the first reply), such as 2s`},
		{"cores zero", "pipeline: {cores: 0}", `config: hearth.yaml:1: pipeline.cores: 0 is not "auto" or a whole number from 1`},
		{"cores word", "pipeline: {cores: all}", `config: hearth.yaml:1: pipeline.cores: "all" is not "auto" or a whole number from 1`},
		{"auto defer zero", "pipeline: {auto_defer_after: 0s}", `config: hearth.yaml:1: pipeline.auto_defer_after: "0s" is not a duration above 0 and under 3s (Discord's deadline for the first reply), such as 2s`},
		{"modules not a mapping", "modules: [a]", `config: hearth.yaml:1: modules: a list is not a mapping of module IDs to their sections`},
		{"module not a mapping", "modules:\n  mod: 5", `config: hearth.yaml:2: modules.mod: 5 is not a mapping of the module's keys`},
		{"module empty id", "modules: {'': {}}", `config: hearth.yaml:1: modules."": a module ID cannot be empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load("hearth.yaml", []byte(tt.yaml), nil)
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v; want %s", err, tt.want)
			}
		})
	}
}

func TestLoadReportsEveryProblemInLineOrder(t *testing.T) {
	yml := `
discord:
  shards: many
  bogus: 1
pipeline:
  concurrency: 0
log: {level: verbose, format: text}
`
	_, err := load("hearth.yaml", []byte(yml), env(map[string]string{"HEARTH_STORE_PATH": "", "HEARTH_ADMIN_ADDR": "nowhere"}))
	want := []string{
		`config: hearth.yaml:3: discord.shards: "many" is not "auto" or a whole number from 1`,
		`config: hearth.yaml:4: discord.bogus: unknown key; discord has token_env, rest_url, gateway_url, shards, compression, large_threshold, global_limit`,
		`config: hearth.yaml:6: pipeline.concurrency: 0 is not a whole number from 1`,
		`config: hearth.yaml:7: log.level: "verbose" is not one of debug, info, warn, error`,
		`config: hearth.yaml:7: log.format: "text" is not one of auto, console, json`,
		`config: HEARTH_ADMIN_ADDR: "nowhere" is not "off" or host:port, such as 127.0.0.1:9090`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("got\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
}

func TestLoadWithoutFileNameGivesLines(t *testing.T) {
	_, err := load("", []byte("log: {level: x}"), nil)
	want := `config: line 1: log.level: "x" is not one of debug, info, warn, error`
	if err == nil || err.Error() != want {
		t.Errorf("got %v; want %s", err, want)
	}
}

func TestEnvironmentNames(t *testing.T) {
	want := []string{
		"HEARTH_DISCORD_TOKEN_ENV",
		"HEARTH_DISCORD_REST_URL",
		"HEARTH_DISCORD_GATEWAY_URL",
		"HEARTH_DISCORD_SHARDS",
		"HEARTH_DISCORD_COMPRESSION",
		"HEARTH_DISCORD_LARGE_THRESHOLD",
		"HEARTH_DISCORD_GLOBAL_LIMIT",
		"HEARTH_COMMANDS_SYNC",
		"HEARTH_STORE_PATH",
		"HEARTH_STORE_SYNCHRONOUS",
		"HEARTH_STORE_CACHE_MB",
		"HEARTH_STORE_BACKUP_EVERY",
		"HEARTH_STORE_BACKUP_DIR",
		"HEARTH_STORE_BACKUP_KEEP",
		"HEARTH_STORE_RETENTION_EVERY",
		"HEARTH_STORE_GUILD_GRACE",
		"HEARTH_ADMIN_ADDR",
		"HEARTH_ADMIN_PPROF",
		"HEARTH_LOG_LEVEL",
		"HEARTH_LOG_FORMAT",
		"HEARTH_PIPELINE_CONCURRENCY",
		"HEARTH_PIPELINE_HANDLER_TIMEOUT",
		"HEARTH_PIPELINE_AUTO_DEFER_AFTER",
		"HEARTH_PIPELINE_CORES",
		"HEARTH_LOADTEST_SLO_P95",
		"HEARTH_LOADTEST_SLO_ERROR_PERCENT",
	}
	keys := schema()
	if len(keys) != len(want) {
		t.Fatalf("got %d keys; want %d", len(keys), len(want))
	}
	for i, k := range keys {
		if got := envName(strings.Split(k.path, ".")...); got != want[i] {
			t.Errorf("got %s for %s; want %s", got, k.path, want[i])
		}
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		yaml string
		want func(c *Config)
	}{
		{"rest url", map[string]string{"HEARTH_DISCORD_REST_URL": "http://127.0.0.1:1/api/v10/"}, "", func(c *Config) {
			c.Discord.RESTURL = "http://127.0.0.1:1/api/v10"
		}},
		{"shards", map[string]string{"HEARTH_DISCORD_SHARDS": "2"}, "", func(c *Config) { c.Discord.Shards = Shards{Count: 2} }},
		{"shards auto over the file", map[string]string{"HEARTH_DISCORD_SHARDS": "auto"}, "discord: {shards: 3}", func(*Config) {}},
		{"large threshold", map[string]string{"HEARTH_DISCORD_LARGE_THRESHOLD": "100"}, "", func(c *Config) { c.Discord.LargeThreshold = 100 }},
		{"sync ids", map[string]string{"HEARTH_COMMANDS_SYNC": "123,456"}, "", func(c *Config) {
			c.Commands.Sync = Sync{Mode: SyncGuilds, Guilds: []uint64{123, 456}}
		}},
		{"sync global over a list", map[string]string{"HEARTH_COMMANDS_SYNC": "global"}, "commands: {sync: [1]}", func(*Config) {}},
		{"handler timeout", map[string]string{"HEARTH_PIPELINE_HANDLER_TIMEOUT": "1m"}, "pipeline: {handler_timeout: 10s}", func(c *Config) {
			c.Pipeline.HandlerTimeout = time.Minute
		}},
		{"admin off", map[string]string{"HEARTH_ADMIN_ADDR": "off"}, "", func(c *Config) { c.Admin.Addr = AdminOff }},
		{"token env", map[string]string{"HEARTH_DISCORD_TOKEN_ENV": "BOT_TOKEN"}, "", func(c *Config) { c.Discord.TokenEnv = "BOT_TOKEN" }},
		{"empty is unset", map[string]string{"HEARTH_LOG_LEVEL": ""}, "log: {level: warn}", func(c *Config) { c.Log.Level = "warn" }},
		{"fixes a bad file value", map[string]string{"HEARTH_PIPELINE_CONCURRENCY": "8"}, "pipeline: {concurrency: 0}", func(c *Config) {
			c.Pipeline.Concurrency = 8
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := load("hearth.yaml", []byte(tt.yaml), env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			want := Default()
			tt.want(&want)
			if !same(got, want) {
				t.Errorf("got %+v; want %+v", got, want)
			}
		})
	}
}

func TestEnvironmentProblemsNameTheVariable(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"HEARTH_DISCORD_SHARDS": "many"}, `config: HEARTH_DISCORD_SHARDS: "many" is not "auto" or a whole number from 1`},
		{map[string]string{"HEARTH_DISCORD_REST_URL": "discord.com"}, `config: HEARTH_DISCORD_REST_URL: "discord.com" is not empty or an http or https URL with a host and no query`},
		{map[string]string{"HEARTH_COMMANDS_SYNC": "1,x"}, `config: HEARTH_COMMANDS_SYNC: item 2, "x", is not a guild id (a whole number above 0)`},
		{map[string]string{"HEARTH_COMMANDS_SYNC": "none"}, `config: HEARTH_COMMANDS_SYNC: "none" is not "global", "off" or a list of guild ids`},
		{map[string]string{"HEARTH_PIPELINE_HANDLER_TIMEOUT": "30"}, `config: HEARTH_PIPELINE_HANDLER_TIMEOUT: "30" is not a duration above 0 and at most 15m (the life of an interaction token), such as 30s`},
		{map[string]string{"HEARTH_PIPELINE_AUTO_DEFER_AFTER": "5s"}, `config: HEARTH_PIPELINE_AUTO_DEFER_AFTER: "5s" is not a duration above 0 and under 3s (Discord's deadline for the first reply), such as 2s`},
		{map[string]string{"HEARTH_LOG_FORMAT": "pretty"}, `config: HEARTH_LOG_FORMAT: "pretty" is not one of auto, console, json`},
	}
	for _, tt := range tests {
		for name := range tt.env {
			t.Run(name, func(t *testing.T) {
				_, err := load("", nil, env(tt.env))
				if err == nil || err.Error() != tt.want {
					t.Errorf("got %v; want %s", err, tt.want)
				}
			})
		}
	}
}

func TestValidateReportsConfigBuiltInCode(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Config)
		want   string
	}{
		{"shards", func(c *Config) { c.Discord.Shards = Shards{} }, `config: discord.shards: 0 is not "auto" or a whole number from 1`},
		{"compression", func(c *Config) { c.Discord.Compression = "" }, `config: discord.compression: "" is not one of none, zlib-stream, zstd-stream`},
		{"sync guilds without ids", func(c *Config) { c.Commands.Sync = Sync{Mode: SyncGuilds} }, `config: commands.sync: mode guilds without guild ids is not "global", "off" or a list of guild ids`},
		{"sync global with ids", func(c *Config) { c.Commands.Sync = Sync{Mode: SyncGlobal, Guilds: []uint64{1}} }, `config: commands.sync: mode global with guild ids is not "global", "off" or a list of guild ids`},
		{"sync unknown mode", func(c *Config) { c.Commands.Sync = Sync{} }, `config: commands.sync: mode "" is not "global", "off" or a list of guild ids`},
		{"sync twice", func(c *Config) { c.Commands.Sync = Sync{Mode: SyncGuilds, Guilds: []uint64{1, 1}} }, `config: commands.sync: item 2, 1, is listed twice`},
		{"two problems", func(c *Config) {
			c.Log.Level = "x"
			c.Pipeline.Concurrency = -1
		}, "config: log.level: \"x\" is not one of debug, info, warn, error\nconfig: pipeline.concurrency: -1 is not a whole number from 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.change(&c)
			err := c.Validate()
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v; want %s", err, tt.want)
			}
		})
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{Shards{Auto: true}.String(), "auto"},
		{Shards{Count: 3}.String(), "3"},
		{Sync{Mode: SyncGlobal}.String(), "global"},
		{Sync{Mode: SyncOff}.String(), "off"},
		{Sync{Mode: SyncGuilds, Guilds: []uint64{1, 22}}.String(), "1,22"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q; want %q", tt.got, tt.want)
		}
	}
	if (Admin{Addr: AdminOff}).Enabled() || !Default().Admin.Enabled() {
		t.Error("got Enabled wrong; want false for off only")
	}
}

func TestToken(t *testing.T) {
	const secret = "MTIz.abc.def"
	tests := []struct {
		name     string
		tokenEnv string
		env      map[string]string
		want     string
		wantErr  string
	}{
		{"set", "HEARTH_TOKEN", map[string]string{"HEARTH_TOKEN": secret}, secret, ""},
		{"other variable", "BOT", map[string]string{"BOT": secret, "HEARTH_TOKEN": "wrong"}, secret, ""},
		{"missing", "HEARTH_TOKEN", nil, "", "config: no bot token: set the environment variable HEARTH_TOKEN (named by discord.token_env)"},
		{"with Bot prefix", "HEARTH_TOKEN", map[string]string{"HEARTH_TOKEN": "Bot " + secret}, "", `config: the environment variable HEARTH_TOKEN starts with "Bot ": give the token alone`},
		{"with a newline", "HEARTH_TOKEN", map[string]string{"HEARTH_TOKEN": secret + "\n"}, "", "config: the environment variable HEARTH_TOKEN holds white space, which a bot token never does"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Discord.TokenEnv = tt.tokenEnv
			got, err := c.Token(env(tt.env))
			if got != tt.want {
				t.Errorf("got token %q; want %q", got, tt.want)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("got %v; want nil", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Errorf("got %v; want %s", err, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), secret):
				t.Errorf("got %v; want no token in the error", err)
			}
		})
	}
	if _, err := Default().Token(nil); err == nil {
		t.Error("got nil with a nil getenv; want an error")
	}
}
