package moderation

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/discordtest"
	"github.com/hearthbot/hearth/store"
)

// banFor bans a member of guild g for d and fails unless it worked.
func (h *harness) banFor(g discordtest.GuildView, username, d string) {
	h.t.Helper()
	h.wantReply(h.runAt(g, "mod", "/ban user:@"+username+" duration:"+d), "Banned **")
}

// bannedIn reports whether a member of guild g is banned.
func (h *harness) bannedIn(g discordtest.GuildView, username string) bool {
	gv, _ := h.Emulator.Guild(g.ID)
	for _, b := range gv.Bans {
		if b.User.ID == g.Member(username).User.ID {
			return true
		}
	}
	return false
}

// unbansIn counts the unban requests sent to guild g.
func (h *harness) unbansIn(g discordtest.GuildView) int {
	n := 0
	for _, r := range h.Emulator.RequestsTo(routeUnban) {
		if strings.HasPrefix(r.Path, "/guilds/"+g.ID.String()+"/") {
			n++
		}
	}
	return n
}

func TestRemovedFromAGuildItsTemporaryBansWait(t *testing.T) {
	t.Parallel()
	clock := discordtest.NewFakeClock(time.Now())
	h := start(t, setup{emulator: []discordtest.Option{discordtest.WithClock(clock)}, module: []Option{WithClock(clock)}})
	one, two := h.Emulator.Guilds()[0], h.Emulator.Guilds()[1]
	h.set(one, "log_channel", one.Channel("mod-log").ID.String())
	h.banFor(one, "member2", "1h")
	h.banFor(two, "member2", "1h")
	h.waitModlog(1)

	if err := h.Emulator.RemoveBotFromGuild(one.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the module to mark the guild left", func() bool {
		left, err := h.m.cases.departed(context.Background(), snowflake.ID(one.ID))
		return err == nil && left
	})
	// A case recorded meanwhile (a ban done elsewhere arriving late, say)
	// waits for the modlog too.
	if _, err := h.m.record(context.Background(), Case{GuildID: snowflake.ID(one.ID), Action: ActionWarn,
		TargetID: snowflake.ID(one.Member("member3").User.ID), ModeratorID: snowflake.ID(one.Member("mod").User.ID)}, nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	poke(h.m.wakeUnbans)
	if !h.Emulator.WaitFor(10*time.Second, func() bool { return !h.bannedIn(two, "member2") }) {
		t.Fatal("member2 is still banned in the second guild; want the loop running for the guilds the bot is in")
	}
	time.Sleep(200 * time.Millisecond) // a few ticks of the loops
	if n := h.unbansIn(one); n != 0 {
		t.Errorf("got %d unbans in the guild the bot left; want none", n)
	}
	if b, _ := h.m.cases.dueUnbans(context.Background(), clock.Now(), 10, nil); len(b) != 0 {
		t.Errorf("due unbans: got %+v; want the left guild's ban held back", b)
	}
	if c, _ := h.m.cases.get(context.Background(), snowflake.ID(one.ID), 2); c.Modlog != modlogPending {
		t.Errorf("the left guild's case #2: modlog %q; want it still pending", c.Modlog)
	}
	wantNoForbidden(t, h.Emulator)
}

func TestBackInAGuildItsOverdueUnbansAreCaughtUp(t *testing.T) {
	t.Parallel()
	clock := discordtest.NewFakeClock(time.Now())
	h := start(t, setup{config: withLog, emulator: []discordtest.Option{discordtest.WithClock(clock)}, module: []Option{WithClock(clock)}})
	ctx := context.Background()
	guild := snowflake.ID(h.g.ID)
	h.banFor(h.g, "member2", "1h")
	h.waitModlog(1)
	if err := h.Emulator.RemoveBotFromGuild(h.g.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the module to mark the guild left", func() bool { left, _ := h.m.cases.departed(ctx, guild); return left })
	// A case recorded meanwhile (a ban done elsewhere arriving late, say).
	if _, err := h.m.record(ctx, Case{GuildID: guild, Action: ActionWarn, Reason: "late",
		TargetID: snowflake.ID(h.g.Member("member3").User.ID), ModeratorID: snowflake.ID(h.g.Member("mod").User.ID)}, nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	poke(h.m.wakeUnbans)
	time.Sleep(200 * time.Millisecond) // a few ticks of the loops
	if n := h.requests(routeUnban); n != 0 || !h.banned("member2") {
		t.Fatalf("got %d unbans while the bot is out of the guild; want none", n)
	}
	if got := h.embedTitles("mod-log"); len(got) != 1 {
		t.Errorf("#mod-log shows %q; want case #2 held back", got)
	}

	// The owner adds the bot back. Its new role has no overwrite on
	// #mod-log, so the owner gives it Administrator, as one would.
	if err := h.Emulator.AddBotBack(h.g.ID); err != nil {
		t.Fatal(err)
	}
	back, _ := h.Emulator.Guild(h.g.ID)
	role := back.Role(h.Emulator.BotUser().Username)
	role.Permissions |= discordtest.PermAdministrator
	if _, err := h.Emulator.UpdateRole(h.g.ID, role); err != nil {
		t.Fatal(err)
	}
	if !h.Emulator.WaitFor(10*time.Second, func() bool { return !h.banned("member2") }) {
		t.Fatal("member2 is still banned after the bot came back; want the overdue unban caught up")
	}
	if left, _ := h.m.cases.departed(ctx, guild); left {
		t.Error("the guild is still marked left after the bot came back")
	}
	h.waitModlog(3) // the warning, then the expiry
	wantNoForbidden(t, h.Emulator)
}

func TestAGuildOutageChangesNothing(t *testing.T) {
	t.Parallel()
	clock := discordtest.NewFakeClock(time.Now())
	h := start(t, setup{emulator: []discordtest.Option{discordtest.WithClock(clock)}, module: []Option{WithClock(clock)}})
	ctx := context.Background()
	h.banFor(h.g, "member2", "1h")
	if err := h.Emulator.GuildOutage(h.g.ID, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the guild to leave the bot's cache", func() bool { _, ok := h.m.host.Guild(snowflake.ID(h.g.ID)); return !ok })
	clock.Advance(2 * time.Hour)
	poke(h.m.wakeUnbans)
	time.Sleep(200 * time.Millisecond) // a few ticks: the loop waits for the guild
	if n := h.requests(routeUnban); n != 0 {
		t.Errorf("got %d unbans during the outage; want none", n)
	}
	if b, _ := h.m.cases.dueUnbans(ctx, clock.Now(), 10, nil); len(b) != 1 || b[0].Attempts != 0 {
		t.Errorf("due unbans: got %+v; want the ban due, with no attempt counted", b)
	}
	if err := h.Emulator.GuildOutage(h.g.ID, false); err != nil {
		t.Fatal(err)
	}
	if !h.Emulator.WaitFor(10*time.Second, func() bool { return !h.banned("member2") }) {
		t.Fatal("member2 is still banned after the outage; want the unban once the guild is back")
	}
	if left, _ := h.m.cases.departed(ctx, snowflake.ID(h.g.ID)); left {
		t.Error("the guild is marked left after an outage; want nothing changed")
	}
	wantNoForbidden(t, h.Emulator)
}

func TestDeleteGuildErasesTheGuildsRowsOnly(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	ctx := context.Background()
	one, two := h.Emulator.Guilds()[0], h.Emulator.Guilds()[1]
	h.wantReply(h.runAt(one, "mod", `/warn user:@member2 reason:"x"`), "(case #1)")
	h.banFor(one, "member3", "1d")
	h.wantReply(h.runAt(two, "mod", `/warn user:@member2 reason:"y"`), "(case #1)")
	if err := h.m.cases.markDeparted(ctx, snowflake.ID(one.ID), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := h.m.DeleteGuild(ctx, snowflake.ID(one.ID)); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"moderation_cases", "moderation_counters", "moderation_tempbans", "moderation_departures"} {
		var n int
		if err := h.Store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+` WHERE guild_id = ?`, store.Snowflake(one.ID)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s holds %d rows of the erased guild; want none", table, n)
		}
	}
	if _, err := h.m.cases.get(ctx, snowflake.ID(two.ID), 1); err != nil {
		t.Errorf("the other guild's case #1: %v; want it kept", err)
	}
}
