package core

import (
	"fmt"
	"strings"
	"testing"
	"time"

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
