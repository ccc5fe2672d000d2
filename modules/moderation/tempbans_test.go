package moderation

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/discordtest"
)

func TestATemporaryBanEndsAcrossARestart(t *testing.T) {
	t.Parallel()
	clock := discordtest.NewFakeClock(time.Now())
	srv := discordtest.New(t, discordtest.WithClock(clock))
	g := srv.Guilds()[0]
	cfg := loadConfig(t, withLog)
	db := filepath.Join(t.TempDir(), "hearth.db")
	member := g.Member("member2").User.ID

	first := New(WithClock(clock), WithTick(50*time.Millisecond))
	stop := runBot(t, srv, cfg, db, first)
	r, err := srv.RunCommand(g.ID, g.Channel("general").ID, g.Member("mod").User.ID, `/ban user:@member2 reason:"raid" duration:1h`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Content, "Banned **Member2** for 1h") {
		t.Fatalf("got %q; want the temporary ban confirmed", r.Content)
	}
	stop()

	// Down for two hours: the ban ended meanwhile.
	clock.Advance(2 * time.Hour)
	if gv, _ := srv.Guild(g.ID); len(gv.Bans) != 1 {
		t.Fatalf("got %d bans while the bot is down; want member2's", len(gv.Bans))
	}
	second := New(WithClock(clock), WithTick(50*time.Millisecond))
	runBot(t, srv, cfg, db, second)
	if !srv.WaitFor(10*time.Second, func() bool { gv, _ := srv.Guild(g.ID); return len(gv.Bans) == 0 }) {
		t.Fatal("member2 is still banned after the restart; want the ban lifted on catching up")
	}
	unbans := srv.RequestsTo(routeUnban)
	if len(unbans) != 1 || unbans[0].Reason != "Temporary ban ended (case #1)" {
		t.Errorf("got unbans %+v; want one, with the case in its reason", unbans)
	}
	var c Case
	waitFor(t, "the expiry's case", func() bool {
		c, err = second.cases.get(context.Background(), snowflake.ID(g.ID), 2)
		return err == nil
	})
	if c.Action != ActionUnban || c.Source != sourceExpiry || c.RefCase != 1 || c.TargetID != snowflake.ID(member) || c.TargetName != "member2" {
		t.Errorf("case #2: got %+v; want member2's unban by expiry of case #1", c)
	}
	var titles []string
	srv.WaitFor(10*time.Second, func() bool {
		titles = nil
		for _, msg := range srv.Messages(g.Channel("mod-log").ID) {
			for _, e := range msg.Embeds {
				titles = append(titles, strings.SplitN(string(e), `"`, 5)[3])
			}
		}
		return len(titles) >= 2
	})
	if want := []string{"Case #1 · Ban", "Case #2 · Unban"}; !slices.Equal(titles, want) {
		t.Errorf("#mod-log shows %q; want %q, each once", titles, want)
	}
	wantNoForbidden(t, srv)
}

func TestATemporaryBanEndsWhileRunningAndAnUnbanCancelsIt(t *testing.T) {
	t.Parallel()
	clock := discordtest.NewFakeClock(time.Now())
	h := start(t, setup{config: withLog, emulator: []discordtest.Option{discordtest.WithClock(clock)},
		module: []Option{WithClock(clock)}})
	h.wantReply(h.run("mod", `/ban user:@member2 duration:10m`), "Banned **Member2** for 10m")
	h.wantReply(h.run("mod", `/ban user:@member3 duration:1h`), "Banned **Member3** for 1h")
	h.wantReply(h.run("mod", "/unban user:"+h.id("member3").String()), "Unbanned **Member3** (case #3).")
	clock.Advance(2 * time.Hour)
	if !h.Emulator.WaitFor(10*time.Second, func() bool { return !h.banned("member2") }) {
		t.Fatal("member2 is still banned after the ban's end")
	}
	waitFor(t, "case #4", func() bool {
		_, err := h.m.cases.get(context.Background(), snowflake.ID(h.g.ID), 4)
		return err == nil
	})
	time.Sleep(200 * time.Millisecond) // a few ticks: member3's cancelled ban must not be lifted again
	if n := h.requests(routeUnban); n != 2 {
		t.Errorf("got %d unbans; want 2 (member3 by hand, member2 by expiry)", n)
	}
	ban, _ := h.m.cases.get(context.Background(), snowflake.ID(h.g.ID), 2)
	if ban.EndsAt.After(clock.Now().Add(-time.Hour)) {
		t.Errorf("member3's ban (case #2) ends %v; want it ended by the unban", ban.EndsAt)
	}
	want := []string{"Case #1 · Ban", "Case #2 · Ban", "Case #3 · Unban", "Case #4 · Unban"}
	if got := h.waitModlog(4); !slices.Equal(got, want) {
		t.Errorf("#mod-log shows %q; want %q", got, want)
	}
	wantNoForbidden(t, h.Emulator)
}

func TestABanTheBotCannotLiftIsRetriedLaterWithoutA403(t *testing.T) {
	t.Parallel()
	clock := discordtest.NewFakeClock(time.Now())
	perms := discordtest.DefaultBotPermissions &^ discordtest.PermBanMembers
	h := start(t, setup{emulator: []discordtest.Option{discordtest.WithClock(clock), discordtest.WithBotPermissions(perms)},
		module: []Option{WithClock(clock)}})
	ctx := context.Background()
	guild, user := snowflake.ID(h.g.ID), snowflake.ID(h.id("member2"))
	// A temporary ban recorded while the bot could still ban.
	_, err := h.m.record(ctx, Case{GuildID: guild, Action: ActionBan, TargetID: user, ModeratorID: snowflake.ID(h.id("mod")),
		EndsAt: clock.Now().Add(time.Minute)}, func(tx txCases, c Case) error {
		return tx.scheduleUnban(ctx, tempBan{GuildID: guild, UserID: user, Case: c.Number, EndsAt: c.EndsAt})
	})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute)
	poke(h.m.wakeUnbans)
	var b []tempBan
	waitFor(t, "the unban to be postponed", func() bool {
		b, _ = h.m.cases.dueUnbans(ctx, clock.Now().Add(time.Hour), 10, nil)
		return len(b) == 1 && b[0].Attempts == 1
	})
	if !b[0].DueAt.After(clock.Now()) {
		t.Errorf("the next attempt is due %v; want later than now (%v)", b[0].DueAt, clock.Now())
	}
	if n := h.requests(routeUnban); n != 0 {
		t.Errorf("got %d unbans; want none without BAN_MEMBERS", n)
	}
	wantNoForbidden(t, h.Emulator)
}
