package config

import (
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// key is one configuration key of Hearth's own sections.
type key struct {
	path string // section.name, such as discord.shards
	// set decodes n, a non-null scalar or list, into the key's field of c. It returns "" or what is
	// wrong; on a problem it leaves c as it was.
	set func(c *Config, n *yaml.Node) string
	// check returns "" when the key's field of c is within its range, or what is wrong.
	check func(c *Config) string
}

// The descriptions of what a key allows, shared by set and check.
const (
	wantEnvName     = "an environment variable name (letters, digits and _, not starting with a digit)"
	wantRESTURL     = "empty or an http or https URL with a host and no query"
	wantGatewayURL  = "empty or a ws or wss URL with a host and no query"
	wantShards      = `"auto" or a whole number from 1`
	wantCompression = "one of none, zlib-stream, zstd-stream"
	wantThreshold   = "a whole number from 50 to 250"
	wantGlobalLimit = "a whole number of requests per second from 1 (Discord's default is 50)"
	wantSync        = `"global", "off" or a list of guild ids`
	wantGuild       = "a guild id (a whole number above 0)"
	wantPath        = "a file path"
	wantCacheMB     = "a whole number of MiB from 1"
	wantSynchronous = "one of normal, full"
	wantBackupEvery = "a duration of 0 (off) or at least 1m, such as 24h"
	wantBackupDir   = "empty (a backups folder beside the database) or a folder path"
	wantBackupKeep  = "a whole number from 1"
	wantRetention   = "a duration of at least 1m, such as 1h"
	wantBool        = "true or false"
	wantSLOP95      = "a duration above 0, such as 1s"
	wantSLOErrors   = "a percentage from 0 to 100, such as 1 or 0.5"
	wantGuildGrace  = "a duration of at least 1h, such as 720h (30 days)"
	wantAddr        = `"off" or host:port, such as 127.0.0.1:9090`
	wantLevel       = "one of debug, info, warn, error"
	wantFormat      = "one of auto, console, json"
	wantConcurrency = "a whole number from 1"
	wantTimeout     = "a duration above 0 and at most 15m (the life of an interaction token), such as 30s"
	wantCores       = `"auto" or a whole number from 1`
	wantDefer       = "a duration above 0 and under 3s (Discord's deadline for the first reply), such as 2s"
)

// maxHandlerTimeout is the life of an interaction token: no reply can be sent after it.
const maxHandlerTimeout = 15 * time.Minute

// deferDeadline is how long Discord waits for the first reply to an interaction.
const deferDeadline = 3 * time.Second

// schema returns every key of Hearth's own sections, in the order of the example file.
func schema() []key {
	return []key{
		{
			path: "discord.token_env",
			set:  setString(func(c *Config) *string { return &c.Discord.TokenEnv }, wantEnvName),
			check: func(c *Config) string {
				return unless(isEnvName(c.Discord.TokenEnv), strconv.Quote(c.Discord.TokenEnv), wantEnvName)
			},
		},
		{
			path: "discord.rest_url",
			set: func(c *Config, n *yaml.Node) string {
				s, ok := scalar(n)
				if !ok || !isURL(s, "http", "https") {
					return notA(n, wantRESTURL)
				}
				c.Discord.RESTURL = strings.TrimRight(s, "/")
				return ""
			},
			check: func(c *Config) string {
				return unless(isURL(c.Discord.RESTURL, "http", "https"), strconv.Quote(c.Discord.RESTURL), wantRESTURL)
			},
		},
		{
			path: "discord.gateway_url",
			set:  setString(func(c *Config) *string { return &c.Discord.GatewayURL }, wantGatewayURL),
			check: func(c *Config) string {
				return unless(isURL(c.Discord.GatewayURL, "ws", "wss"), strconv.Quote(c.Discord.GatewayURL), wantGatewayURL)
			},
		},
		{
			path: "discord.shards",
			set: func(c *Config, n *yaml.Node) string {
				if s, ok := scalar(n); ok && s == "auto" {
					c.Discord.Shards = Shards{Auto: true}
					return ""
				}
				i, ok := integer(n)
				if !ok {
					return notA(n, wantShards)
				}
				c.Discord.Shards = Shards{Count: i}
				return ""
			},
			check: func(c *Config) string {
				s := c.Discord.Shards
				return unless(s.Auto || s.Count >= 1, s.String(), wantShards)
			},
		},
		{
			path: "discord.compression",
			set: setString(func(c *Config) *string {
				return (*string)(&c.Discord.Compression)
			}, wantCompression),
			check: func(c *Config) string {
				v := c.Discord.Compression
				ok := v == CompressionNone || v == CompressionZlibStream || v == CompressionZstdStream
				return unless(ok, strconv.Quote(string(v)), wantCompression)
			},
		},
		{
			path: "discord.large_threshold",
			set:  setInt(func(c *Config) *int { return &c.Discord.LargeThreshold }, wantThreshold),
			check: func(c *Config) string {
				v := c.Discord.LargeThreshold
				return unless(v >= 50 && v <= 250, strconv.Itoa(v), wantThreshold)
			},
		},
		{
			path: "discord.global_limit",
			set:  setInt(func(c *Config) *int { return &c.Discord.GlobalLimit }, wantGlobalLimit),
			check: func(c *Config) string {
				return unless(c.Discord.GlobalLimit >= 1, strconv.Itoa(c.Discord.GlobalLimit), wantGlobalLimit)
			},
		},
		{
			path:  "commands.sync",
			set:   setSync,
			check: checkSync,
		},
		{
			path: "store.path",
			set:  setString(func(c *Config) *string { return &c.Store.Path }, wantPath),
			check: func(c *Config) string {
				p := c.Store.Path
				return unless(p != "" && !strings.ContainsRune(p, 0), strconv.Quote(p), wantPath)
			},
		},
		{
			path: "store.synchronous",
			set:  setString(func(c *Config) *string { return &c.Store.Synchronous }, wantSynchronous),
			check: func(c *Config) string {
				ok := slices.Contains([]string{"normal", "full"}, c.Store.Synchronous)
				return unless(ok, strconv.Quote(c.Store.Synchronous), wantSynchronous)
			},
		},
		{
			path: "store.cache_mb",
			set:  setInt(func(c *Config) *int { return &c.Store.CacheMB }, wantCacheMB),
			check: func(c *Config) string {
				v := c.Store.CacheMB
				return unless(v >= 1, strconv.Itoa(v), wantCacheMB)
			},
		},
		{
			path: "store.backup_every",
			set:  setDuration(func(c *Config) *time.Duration { return &c.Store.BackupEvery }, wantBackupEvery),
			check: func(c *Config) string {
				v := c.Store.BackupEvery
				return unless(v == 0 || v >= time.Minute, strconv.Quote(v.String()), wantBackupEvery)
			},
		},
		{
			path: "store.backup_dir",
			set:  setString(func(c *Config) *string { return &c.Store.BackupDir }, wantBackupDir),
			check: func(c *Config) string {
				return unless(!strings.ContainsRune(c.Store.BackupDir, 0), strconv.Quote(c.Store.BackupDir), wantBackupDir)
			},
		},
		{
			path: "store.backup_keep",
			set:  setInt(func(c *Config) *int { return &c.Store.BackupKeep }, wantBackupKeep),
			check: func(c *Config) string {
				return unless(c.Store.BackupKeep >= 1, strconv.Itoa(c.Store.BackupKeep), wantBackupKeep)
			},
		},
		{
			path: "store.retention_every",
			set:  setDuration(func(c *Config) *time.Duration { return &c.Store.RetentionEvery }, wantRetention),
			check: func(c *Config) string {
				v := c.Store.RetentionEvery
				return unless(v >= time.Minute, strconv.Quote(v.String()), wantRetention)
			},
		},
		{
			path: "store.guild_grace",
			set:  setDuration(func(c *Config) *time.Duration { return &c.Store.GuildGrace }, wantGuildGrace),
			check: func(c *Config) string {
				v := c.Store.GuildGrace
				return unless(v >= time.Hour, strconv.Quote(v.String()), wantGuildGrace)
			},
		},
		{
			path: "admin.addr",
			set:  setString(func(c *Config) *string { return &c.Admin.Addr }, wantAddr),
			check: func(c *Config) string {
				return unless(isAddr(c.Admin.Addr), strconv.Quote(c.Admin.Addr), wantAddr)
			},
		},
		{
			path:  "admin.pprof",
			set:   setBool(func(c *Config) *bool { return &c.Admin.Pprof }),
			check: func(*Config) string { return "" },
		},
		{
			path: "log.level",
			set:  setString(func(c *Config) *string { return &c.Log.Level }, wantLevel),
			check: func(c *Config) string {
				ok := slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level)
				return unless(ok, strconv.Quote(c.Log.Level), wantLevel)
			},
		},
		{
			path: "log.format",
			set:  setString(func(c *Config) *string { return &c.Log.Format }, wantFormat),
			check: func(c *Config) string {
				ok := slices.Contains([]string{"auto", "console", "json"}, c.Log.Format)
				return unless(ok, strconv.Quote(c.Log.Format), wantFormat)
			},
		},
		{
			path: "pipeline.concurrency",
			set:  setInt(func(c *Config) *int { return &c.Pipeline.Concurrency }, wantConcurrency),
			check: func(c *Config) string {
				v := c.Pipeline.Concurrency
				return unless(v >= 1, strconv.Itoa(v), wantConcurrency)
			},
		},
		{
			path: "pipeline.handler_timeout",
			set:  setDuration(func(c *Config) *time.Duration { return &c.Pipeline.HandlerTimeout }, wantTimeout),
			check: func(c *Config) string {
				v := c.Pipeline.HandlerTimeout
				return unless(v > 0 && v <= maxHandlerTimeout, strconv.Quote(v.String()), wantTimeout)
			},
		},
		{
			path: "pipeline.auto_defer_after",
			set:  setDuration(func(c *Config) *time.Duration { return &c.Pipeline.AutoDeferAfter }, wantDefer),
			check: func(c *Config) string {
				v := c.Pipeline.AutoDeferAfter
				return unless(v > 0 && v < deferDeadline, strconv.Quote(v.String()), wantDefer)
			},
		},
		{
			path: "pipeline.cores",
			set: func(c *Config, n *yaml.Node) string {
				if s, ok := scalar(n); ok && s == "auto" {
					c.Pipeline.Cores = 0
					return ""
				}
				i, ok := integer(n)
				if !ok || i < 1 {
					return notA(n, wantCores)
				}
				c.Pipeline.Cores = i
				return ""
			},
			check: func(c *Config) string {
				return unless(c.Pipeline.Cores >= 0, strconv.Itoa(c.Pipeline.Cores), wantCores)
			},
		},
		{
			path: "loadtest.slo_p95",
			set:  setDuration(func(c *Config) *time.Duration { return &c.Loadtest.SLOP95 }, wantSLOP95),
			check: func(c *Config) string {
				v := c.Loadtest.SLOP95
				return unless(v > 0, strconv.Quote(v.String()), wantSLOP95)
			},
		},
		{
			path: "loadtest.slo_error_percent",
			set:  setFloat(func(c *Config) *float64 { return &c.Loadtest.SLOErrorPercent }, wantSLOErrors),
			check: func(c *Config) string {
				v := c.Loadtest.SLOErrorPercent
				return unless(v >= 0 && v <= 100, strconv.FormatFloat(v, 'g', -1, 64), wantSLOErrors)
			},
		},
	}
}

// sections returns the names of Hearth's own sections, in schema order.
func sections(keys []key) []string {
	var names []string
	for _, k := range keys {
		s, _, _ := strings.Cut(k.path, ".")
		if !slices.Contains(names, s) {
			names = append(names, s)
		}
	}
	return names
}

// unless returns "" when ok, or "<shown> is not <want>".
func unless(ok bool, shown, want string) string {
	if ok {
		return ""
	}
	return shown + " is not " + want
}

// notA returns "<n as written> is not <want>".
func notA(n *yaml.Node, want string) string {
	return describe(n) + " is not " + want
}

// describe shows n as the file wrote it: a string quoted, another scalar as is, a collection by
// its kind.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!str" || n.ShortTag() == "!!binary" {
			return strconv.Quote(n.Value)
		}
		return n.Value
	}
	return "a YAML " + strconv.Quote(n.Tag) + " node"
}

// scalar returns n's text when n is a scalar.
func scalar(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		return "", false
	}
	return n.Value, true
}

// integer returns n as a whole number: a YAML integer or a string of decimal digits.
func integer(n *yaml.Node) (int, bool) {
	if n.Kind != yaml.ScalarNode {
		return 0, false
	}
	switch n.ShortTag() {
	case "!!int":
		var i int
		if err := n.Decode(&i); err != nil {
			return 0, false
		}
		return i, true
	case "!!str":
		i, err := strconv.Atoi(strings.TrimSpace(n.Value))
		return i, err == nil
	}
	return 0, false
}

// setString returns a set that stores a scalar's text in the field field returns.
func setString(field func(*Config) *string, want string) func(*Config, *yaml.Node) string {
	return func(c *Config, n *yaml.Node) string {
		s, ok := scalar(n)
		if !ok {
			return notA(n, want)
		}
		*field(c) = s
		return ""
	}
}

// setInt returns a set that stores a whole number in the field field returns.
func setInt(field func(*Config) *int, want string) func(*Config, *yaml.Node) string {
	return func(c *Config, n *yaml.Node) string {
		i, ok := integer(n)
		if !ok {
			return notA(n, want)
		}
		*field(c) = i
		return ""
	}
}

// setFloat returns a set that stores a number in the field field returns.
func setFloat(field func(*Config) *float64, want string) func(*Config, *yaml.Node) string {
	return func(c *Config, n *yaml.Node) string {
		s, ok := scalar(n)
		if !ok {
			return notA(n, want)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return notA(n, want)
		}
		*field(c) = f
		return ""
	}
}

// setBool returns a set that stores true or false in the field field
// returns; YAML's other spellings (yes, on) are refused as ambiguous.
func setBool(field func(*Config) *bool) func(*Config, *yaml.Node) string {
	return func(c *Config, n *yaml.Node) string {
		s, ok := scalar(n)
		if !ok {
			return notA(n, wantBool)
		}
		switch strings.TrimSpace(s) {
		case "true":
			*field(c) = true
		case "false":
			*field(c) = false
		default:
			return notA(n, wantBool)
		}
		return ""
	}
}

// setDuration returns a set that stores a Go duration ("30s", "1m30s") in the field field
// returns. A bare number is refused: its unit would be a guess.
func setDuration(field func(*Config) *time.Duration, want string) func(*Config, *yaml.Node) string {
	return func(c *Config, n *yaml.Node) string {
		s, ok := scalar(n)
		if !ok {
			return notA(n, want)
		}
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return notA(n, want)
		}
		*field(c) = d
		return ""
	}
}

// setSync decodes commands.sync: "global", "off", a list of guild ids, one guild id, or guild ids
// separated by commas (the form HEARTH_COMMANDS_SYNC takes).
func setSync(c *Config, n *yaml.Node) string {
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		switch s := strings.TrimSpace(n.Value); {
		case s == string(SyncGlobal) || s == string(SyncOff):
			c.Commands.Sync = Sync{Mode: SyncMode(s)}
			return ""
		case n.ShortTag() == "!!int":
			items = []*yaml.Node{n}
		case n.ShortTag() == "!!str" && s != "":
			for part := range strings.SplitSeq(s, ",") {
				items = append(items, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.TrimSpace(part), Line: n.Line})
			}
			if !slices.ContainsFunc(items, func(i *yaml.Node) bool { _, ok := guildID(i); return ok }) {
				return notA(n, wantSync) // not one id: probably a misspelt mode
			}
		default:
			return notA(n, wantSync)
		}
	case yaml.SequenceNode:
		items = n.Content
		if len(items) == 0 {
			return `an empty list is not ` + wantSync + ` (write "off" to register none)`
		}
	default:
		return notA(n, wantSync)
	}
	var (
		ids  []uint64
		msgs []string
	)
	for i, item := range items {
		id, ok := guildID(resolve(item))
		if !ok {
			msgs = append(msgs, "item "+strconv.Itoa(i+1)+", "+describe(resolve(item))+", is not "+wantGuild)
			continue
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(msgs) > 0 {
		return strings.Join(msgs, "; ")
	}
	c.Commands.Sync = Sync{Mode: SyncGuilds, Guilds: ids}
	return ""
}

// checkSync checks commands.sync.
func checkSync(c *Config) string {
	s := c.Commands.Sync
	switch s.Mode {
	case SyncGlobal, SyncOff:
		if len(s.Guilds) > 0 {
			return "mode " + string(s.Mode) + " with guild ids is not " + wantSync
		}
		return ""
	case SyncGuilds:
		if len(s.Guilds) == 0 {
			return "mode guilds without guild ids is not " + wantSync
		}
		for i, g := range s.Guilds {
			if g == 0 {
				return "item " + strconv.Itoa(i+1) + ", 0, is not " + wantGuild
			}
			if slices.Contains(s.Guilds[:i], g) {
				return "item " + strconv.Itoa(i+1) + ", " + strconv.FormatUint(g, 10) + ", is listed twice"
			}
		}
		return ""
	}
	return "mode " + strconv.Quote(string(s.Mode)) + " is not " + wantSync
}

// guildID returns n as a snowflake: a whole number above 0 in decimal, as a YAML integer or string.
func guildID(n *yaml.Node) (uint64, bool) {
	if n.Kind != yaml.ScalarNode {
		return 0, false
	}
	if t := n.ShortTag(); t != "!!int" && t != "!!str" {
		return 0, false
	}
	id, err := strconv.ParseUint(strings.TrimSpace(n.Value), 10, 64)
	return id, err == nil && id > 0
}

// isEnvName reports whether s is a portable environment variable name.
func isEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// isURL reports whether s is empty or an absolute URL with one of schemes, a host, and no query
// or fragment.
func isURL(s string, schemes ...string) bool {
	if s == "" {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && slices.Contains(schemes, u.Scheme) && u.Host != "" && u.Hostname() != "" &&
		!u.ForceQuery && u.RawQuery == "" && u.Fragment == "" && u.Opaque == ""
}

// isAddr reports whether s is AdminOff or host:port with a numeric port (the host may be empty:
// every interface).
func isAddr(s string) bool {
	if s == AdminOff {
		return true
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil || strings.ContainsAny(host, " \t/") {
		return false
	}
	p, err := strconv.ParseUint(port, 10, 16)
	return err == nil && strconv.FormatUint(p, 10) == port
}
