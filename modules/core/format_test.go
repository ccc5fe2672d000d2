package core

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
)

func TestPingReportShowsEachShardOrASummary(t *testing.T) {
	ms := time.Millisecond
	eight := make([]bot.ShardStatus, 8)
	for i := range eight {
		eight[i] = bot.ShardStatus{ID: i, Ready: true, Latency: time.Duration(10*(i+1)) * ms}
	}
	for _, tt := range []struct {
		name string
		p    pingReport
		want string
	}{
		{"one shard measured", pingReport{Shards: []bot.ShardStatus{{ID: 0, Latency: 42 * ms}}, REST: 8 * ms, Handler: 9 * ms},
			"Pong! Gateway: shard 0 42 ms · REST 8 ms · handler 9 ms"},
		{"before the first heartbeat ACK", pingReport{Shards: []bot.ShardStatus{{ID: 0}}, REST: 8 * ms, Handler: 9 * ms},
			"Pong! Gateway: shard 0 not measured yet · REST 8 ms · handler 9 ms"},
		{"REST failed, sub-millisecond handler", pingReport{Shards: []bot.ShardStatus{{ID: 0, Latency: 42 * ms}}, RESTFailed: true, Handler: 300 * time.Microsecond},
			"Pong! Gateway: shard 0 42 ms · REST failed · handler <1 ms"},
		{"two shards", pingReport{Shards: []bot.ShardStatus{{ID: 0, Latency: 40 * ms}, {ID: 1}}, REST: 8 * ms, Handler: 9 * ms},
			"Pong! Gateway: shard 0 40 ms, shard 1 not measured yet · REST 8 ms · handler 9 ms"},
		{"many shards", pingReport{Shards: eight, GuildShard: 2, REST: 8 * ms, Handler: 9 * ms},
			"Pong! Gateway: shard 2 (this server) 30 ms; 8 shards, average 45 ms, max 80 ms · REST 8 ms · handler 9 ms"},
		{"many shards, none measured", pingReport{Shards: make([]bot.ShardStatus, 5), GuildShard: 0, REST: 8 * ms, Handler: 9 * ms},
			"Pong! Gateway: shard 0 (this server) not measured yet; 5 shards, none measured yet · REST 8 ms · handler 9 ms"},
		{"no shard", pingReport{REST: 8 * ms, Handler: 9 * ms},
			"Pong! Gateway: no shard · REST 8 ms · handler 9 ms"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.String(); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestShardOfFollowsDiscordsFormula(t *testing.T) {
	for _, tt := range []struct {
		guild  snowflake.ID
		shards int
		want   int
	}{
		{guild: 41771983423143937, shards: 1, want: 0},
		{guild: 41771983423143937, shards: 2, want: 0}, // 41771983423143937 >> 22 = 9959216934
		{guild: 41771983423143937, shards: 7, want: 9959216934 % 7},
		{guild: 5 << 22, shards: 4, want: 1},
		{guild: 5 << 22, shards: 0, want: 0},
	} {
		if got := shardOf(tt.guild, tt.shards); got != tt.want {
			t.Errorf("shardOf(%d, %d): got %d; want %d", tt.guild, tt.shards, got, tt.want)
		}
	}
}

func TestUptimeRoundsToTwoUnits(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0s"},
		{0, "0s"},
		{42*time.Second + 400*time.Millisecond, "42s"},
		{59*time.Second + 600*time.Millisecond, "1m 0s"},
		{5*time.Minute + 3*time.Second, "5m 3s"},
		{59*time.Minute + 59*time.Second + 600*time.Millisecond, "1h 0m"},
		{2*time.Hour + 7*time.Minute + 29*time.Second, "2h 7m"},
		{23*time.Hour + 59*time.Minute + 40*time.Second, "1d 0h"},
		{3*24*time.Hour + 4*time.Hour + 20*time.Minute, "3d 4h"},
	} {
		if got := uptime(tt.d); got != tt.want {
			t.Errorf("uptime(%v): got %q; want %q", tt.d, got, tt.want)
		}
	}
}

func TestAboutReportCountsReadyShards(t *testing.T) {
	a := aboutReport{
		Status: bot.Status{Version: "v1.2.3", Guilds: 3, Modules: []string{"core", "moderation"},
			Shards: []bot.ShardStatus{{ID: 0, Ready: true}, {ID: 1, Problem: "connecting"}}},
		Uptime:    90 * time.Minute,
		HeapInUse: 12 << 20,
	}
	want := "**Hearth** v1.2.3\nUptime: 1h 30m\nGuilds: 3\nShards: 1/2 ready\nModules: core, moderation\nMemory: 12.0 MiB heap in use"
	if got := a.String(); got != want {
		t.Errorf("got %q; want %q", got, want)
	}
}

func TestMayUse(t *testing.T) {
	for _, tt := range []struct {
		name       string
		have, need discord.Permissions
		want       bool
	}{
		{"no permission needed", 0, 0, true},
		{"missing", discord.PermissionSendMessages, discord.PermissionManageMessages, false},
		{"held", discord.PermissionManageMessages | discord.PermissionKickMembers, discord.PermissionManageMessages, true},
		{"one of two missing", discord.PermissionKickMembers, discord.PermissionKickMembers | discord.PermissionBanMembers, false},
		{"administrator", discord.PermissionAdministrator, discord.PermissionBanMembers, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := mayUse(tt.have, tt.need); got != tt.want {
				t.Errorf("got %v; want %v", got, tt.want)
			}
		})
	}
}

func TestHelpTextGroupsByModuleInListOrder(t *testing.T) {
	cmds := []bot.CommandInfo{
		{Module: "zeta", Name: "alpha", Description: "First by name"},
		{Module: "core", Name: "ping", Description: "Latency"},
		{Module: "extra", Name: "cfg", Description: "Settings", Subcommands: []string{"show", "set"}},
	}
	for _, tt := range []struct {
		name  string
		order []string
		cmds  []bot.CommandInfo
		want  string
	}{
		{"list order, then the rest by name", []string{"core", "zeta"}, cmds,
			"**core**\n/ping — Latency\n\n**zeta**\n/alpha — First by name\n\n**extra**\n/cfg show · /cfg set — Settings"},
		{"nothing usable", []string{"core"}, nil, "No commands are available to you here."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := helpText(tt.order, tt.cmds); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestHelpTextStaysWithinAnEmbedAndSaysWhatItLeftOut(t *testing.T) {
	var cmds []bot.CommandInfo
	for i := range 100 {
		cmds = append(cmds, bot.CommandInfo{Module: "big", Name: fmt.Sprintf("command%02d", i), Description: strings.Repeat("d", 90)})
	}
	got := helpText([]string{"big"}, cmds)
	if len(got) > maxHelpText {
		t.Fatalf("got %d bytes; want at most %d", len(got), maxHelpText)
	}
	listed := strings.Count(got, "\n/")
	if want := fmt.Sprintf("\n… and %d more", 100-listed); !strings.HasSuffix(got, want) {
		t.Errorf("got %q at the end; want %q", got[len(got)-40:], want)
	}
}

// embedSize counts an embed's characters toward Discord's 6,000, and
// fails the test when a part is over its own limit.
func embedSize(t *testing.T, e discord.Embed) int {
	t.Helper()
	n := utf8.RuneCountInString
	if n(e.Title) > 256 || n(e.Description) > 4096 || len(e.Fields) > 25 {
		t.Errorf("title %d, description %d characters, %d fields; want at most 256, 4096, 25",
			n(e.Title), n(e.Description), len(e.Fields))
	}
	size := n(e.Title) + n(e.Description)
	for _, f := range e.Fields {
		if n(f.Name) == 0 || n(f.Name) > 256 || n(f.Value) == 0 || n(f.Value) > 1024 {
			t.Errorf("field %q: name %d, value %d characters; want 1 to 256 and 1 to 1024", f.Name, n(f.Name), n(f.Value))
		}
		size += n(f.Name) + n(f.Value)
	}
	if e.Footer != nil {
		if n(e.Footer.Text) > 2048 {
			t.Errorf("footer: %d characters; want at most 2048", n(e.Footer.Text))
		}
		size += n(e.Footer.Text)
	}
	return size
}

func TestSectionPagesKeepWithinDiscordsLimits(t *testing.T) {
	long := strings.Repeat("é", 3000) // multi-byte, to count characters, not bytes
	var keys []keyView
	for i := range 80 {
		keys = append(keys, keyView{
			SettingKey: bot.SettingKey{Key: fmt.Sprintf("group.key%02d", i), Doc: long, Allowed: long},
			Value:      long,
			Default:    i%2 == 0,
		})
	}
	notes := []string{long, long, long, long, long, long, long, long, long, long, long, long, long, long}
	pages := sectionPages(sectionView{Module: "big", On: false, HasSettings: true, Notes: notes, Keys: keys})
	var got []string
	for i, e := range pages {
		if size := embedSize(t, e); size > 6000 {
			t.Errorf("page %d: %d characters; want at most 6000", i+1, size)
		}
		if want := fmt.Sprintf("Page %d of %d · ", i+1, len(pages)); !strings.HasPrefix(e.Footer.Text, want) {
			t.Errorf("page %d: got footer %q; want it to start %q", i+1, e.Footer.Text, want)
		}
		for _, f := range e.Fields {
			got = append(got, f.Name)
		}
	}
	if len(got) != len(keys) {
		t.Fatalf("got %d keys over %d pages; want all %d", len(got), len(pages), len(keys))
	}
	for i, k := range keys {
		if got[i] != k.Key {
			t.Fatalf("key %d: got %s; want %s, in order", i, got[i], k.Key)
		}
	}
	if !strings.HasPrefix(pages[0].Description, "Off in this server") || !strings.Contains(pages[0].Description, "\nReduced mode: éé") {
		t.Errorf("page 1: got description %.80q…; want the state and the reduced-mode notes", pages[0].Description)
	}
	if pages[1].Description != "" {
		t.Errorf("page 2: got description %.80q; want none: the notes are on page 1", pages[1].Description)
	}
}

func TestSectionPagesWithoutSettings(t *testing.T) {
	pages := sectionPages(sectionView{Module: "core", On: true})
	if len(pages) != 1 || pages[0].Description != "On in this server.\ncore has no settings." || pages[0].Footer != nil || len(pages[0].Fields) != 0 {
		t.Errorf("got %+v; want one page saying core has no settings", pages)
	}
}

func TestKeyFieldShowsValueDefaultDocAndAllowed(t *testing.T) {
	for _, tt := range []struct {
		name string
		k    keyView
		want string
	}{
		{"changed", keyView{SettingKey: bot.SettingKey{Key: "limit", Doc: "How many.", Allowed: "a whole number"}, Value: "7"},
			"7\nHow many.\nAllowed: a whole number"},
		{"default, no doc", keyView{SettingKey: bot.SettingKey{Key: "limit", Allowed: "a whole number"}, Value: "5", Default: true},
			"5 (default)\nAllowed: a whole number"},
		{"empty value", keyView{SettingKey: bot.SettingKey{Key: "name", Allowed: "text"}}, "\"\"\nAllowed: text"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := keyField(tt.k); got.Name != tt.k.Key || got.Value != tt.want {
				t.Errorf("got %q: %q; want %q: %q", got.Name, got.Value, tt.k.Key, tt.want)
			}
		})
	}
}

func TestSummaryEmbedListsModulesAndStaysWithinADescription(t *testing.T) {
	e := summaryEmbed([]moduleState{{ID: "core", On: true}, {ID: "automod", Settings: 12, Reduced: true}, {ID: "logs", On: true, Settings: 1}})
	want := "**core** — on · no settings\n**automod** — off · 12 settings · reduced mode\n**logs** — on · 1 setting\n\n/settings show"
	if e.Title != summaryTitle || !strings.HasPrefix(e.Description, want) {
		t.Errorf("got %q; want it to start %q", e.Description, want)
	}
	var many []moduleState
	for i := range 500 {
		many = append(many, moduleState{ID: fmt.Sprintf("module%03d", i), On: true, Settings: i})
	}
	e = summaryEmbed(many)
	embedSize(t, e)
	if !regexp.MustCompile(`\n… and \d+ more\n`).MatchString(e.Description) {
		t.Errorf("got %q at the end; want it to say how many modules it left out", e.Description[len(e.Description)-200:])
	}
}

func TestClipCountsCharacters(t *testing.T) {
	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"a bit too long", 10, "a bit too…"},
		{"ééééé", 3, "éé…"},
	} {
		if got := clip(tt.s, tt.n); got != tt.want {
			t.Errorf("clip(%q, %d): got %q; want %q", tt.s, tt.n, got, tt.want)
		}
	}
}
