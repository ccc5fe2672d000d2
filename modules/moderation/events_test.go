package moderation

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/discordtest"
)

func TestBansAndKicksDoneInDiscordBecomeCasesOnce(t *testing.T) {
	t.Parallel()
	h := start(t, setup{config: withLog})
	ctx := context.Background()
	guild := snowflake.ID(h.g.ID)
	owner, target := snowflake.ID(h.id("owner")), snowflake.ID(h.id("member4"))
	entries := []bot.AuditLogEntry{
		{GuildID: guild, ID: 9001, ActionType: int(discord.AuditLogEventMemberBanAdd), UserID: owner, TargetID: target, Reason: "raid"},
		{GuildID: guild, ID: 9001, ActionType: int(discord.AuditLogEventMemberBanAdd), UserID: owner, TargetID: target, Reason: "raid"}, // replayed
		{GuildID: guild, ID: 9002, ActionType: int(discord.AuditLogEventMemberBanAdd), UserID: h.m.host.BotID(), TargetID: target},      // the bot's own
		{GuildID: guild, ID: 9003, ActionType: int(discord.AuditLogEventMemberUpdate), UserID: owner, TargetID: target},                 // not moderation
		{GuildID: guild, ID: 9004, ActionType: int(discord.AuditLogEventMemberBanRemove), UserID: owner, TargetID: target},
		{GuildID: guild, ID: 9005, ActionType: int(discord.AuditLogEventMemberKick), UserID: owner, TargetID: snowflake.ID(h.id("member5"))},
	}
	for _, e := range entries {
		if err := h.m.host.Bus().Publish(ctx, bot.TopicAuditLogEntry.Name(), e); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"Case #1 · Ban", "Case #2 · Unban", "Case #3 · Kick"}
	if got := h.waitModlog(3); !slices.Equal(got, want) {
		t.Errorf("#mod-log shows %q; want %q", got, want)
	}
	time.Sleep(100 * time.Millisecond) // nothing more arrives
	if got := h.embedTitles("mod-log"); len(got) != 3 {
		t.Errorf("#mod-log shows %q; want 3 cases, the replay and the bot's own entry ignored", got)
	}
	r := h.run("mod", "/case id:1")
	h.wantReply(r, "Case #1 · Ban", "raid", "Done in Discord's own interface", "<@"+owner.String()+">")
	// The bot's own bans reach it as audit log entries too: not a second case.
	h.wantReply(h.run("mod", `/ban user:@member6`), "(case #4)")
	member6 := h.id("member6")
	if !h.Emulator.WaitFor(5*time.Second, func() bool {
		g, _ := h.Emulator.Guild(h.g.ID)
		return slices.ContainsFunc(g.Audit, func(a discordtest.AuditEntry) bool {
			return a.TargetID == member6 && a.ActionType == int(discord.AuditLogEventMemberBanAdd)
		})
	}) {
		t.Fatal("the emulator sent no audit log entry for the bot's ban")
	}
	time.Sleep(200 * time.Millisecond) // let the entry reach the module
	if _, err := h.m.cases.get(ctx, guild, 5); err == nil {
		t.Error("case #5 exists; want the bot's own ban recorded once")
	}
}

func TestPersonalDataIsExportedAndErased(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	ctx := context.Background()
	member2, mod := snowflake.ID(h.id("member2")), snowflake.ID(h.id("mod"))
	h.run("mod", `/warn user:@member2 reason:"spam"`)
	h.run("mod", `/ban user:@member3 duration:1d`)
	h.run("admin", `/warn user:@mod reason:"too strict"`)

	exp, err := h.m.ExportUser(ctx, member2)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(exp)
	if got := string(b); !strings.Contains(got, `"role":"target"`) || !strings.Contains(got, `"reason":"spam"`) {
		t.Errorf("member2's export: %s; want their warning", got)
	}
	exp, _ = h.m.ExportUser(ctx, mod)
	if got := exp.(Export); len(got.Cases) != 3 {
		t.Errorf("mod's export: %+v; want the 2 cases they handled and the 1 about them", got)
	}
	exp, _ = h.m.ExportUser(ctx, snowflake.ID(h.id("member3")))
	if got := exp.(Export); len(got.TemporaryBans) != 1 {
		t.Errorf("member3's export: %+v; want their temporary ban", got)
	}

	for _, u := range []snowflake.ID{member2, mod} {
		if err := h.m.DeleteUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	exp, _ = h.m.ExportUser(ctx, member2)
	if got := exp.(Export); len(got.Cases) != 0 {
		t.Errorf("member2 after erasure: %+v; want nothing", got)
	}
	exp, _ = h.m.ExportUser(ctx, mod)
	if got := exp.(Export); len(got.Cases) != 0 {
		t.Errorf("mod after erasure: %+v; want nothing", got)
	}
	// member3's ban stays, without its moderator; numbers are not reused.
	c, err := h.m.cases.get(ctx, snowflake.ID(h.g.ID), 2)
	if err != nil || c.ModeratorID != 0 || c.TargetID != snowflake.ID(h.id("member3")) {
		t.Errorf("case #2: got %+v, %v; want it kept with its moderator erased", c, err)
	}
	h.wantReply(h.run("admin", `/warn user:@member4 reason:"x"`), "(case #4)")
}
