package moderation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/discordtest"
)

func TestModeratorActionsBecomeNumberedCasesPostedToTheModlog(t *testing.T) {
	t.Parallel()
	h := start(t, setup{config: withLog})
	steps := []struct {
		line  string
		wants []string
		check func() error
	}{
		{`/warn user:@member2 reason:"spam"`, []string{"Warned **Member2** (case #1): spam"}, nil},
		{`/timeout user:@member2 duration:10m reason:"flood"`, []string{"Timed out **Member2** for 10m, until <t:", "(case #2)"}, func() error {
			if m, _ := h.member("member2"); !m.CommunicationDisabledUntil.After(time.Now().Add(9 * time.Minute)) {
				return fmt.Errorf("member2 is timed out until %v; want 10 minutes from now", m.CommunicationDisabledUntil)
			}
			return nil
		}},
		{`/untimeout user:@member2`, []string{"Lifted the timeout of **Member2** (case #3)."}, func() error {
			if m, _ := h.member("member2"); !m.CommunicationDisabledUntil.IsZero() {
				return fmt.Errorf("member2 is timed out until %v; want no timeout", m.CommunicationDisabledUntil)
			}
			return nil
		}},
		{`/kick user:@member3 reason:"rude"`, []string{"Kicked **Member3** (case #4)."}, func() error {
			if _, in := h.member("member3"); in {
				return errors.New("member3 is still in the guild")
			}
			return nil
		}},
		{`/ban user:@member4 reason:"raid" delete_messages:1`, []string{"Banned **Member4** for good (case #5)."}, func() error {
			if !h.banned("member4") {
				return errors.New("member4 is not banned")
			}
			return nil
		}},
		{fmt.Sprintf(`/unban user:%s reason:"appeal"`, h.id("member4")), []string{"Unbanned **Member4** (case #6)."}, func() error {
			if h.banned("member4") {
				return errors.New("member4 is still banned")
			}
			return nil
		}},
	}
	for _, s := range steps {
		r := h.run("mod", s.line)
		h.wantReply(r, s.wants...)
		if s.check != nil {
			if err := s.check(); err != nil {
				t.Errorf("after %s: %v", s.line, err)
			}
		}
	}
	want := []string{"Case #1 · Warning", "Case #2 · Timeout", "Case #3 · Timeout lifted", "Case #4 · Kick", "Case #5 · Ban", "Case #6 · Unban"}
	if got := h.waitModlog(len(want)); !slices.Equal(got, want) {
		t.Errorf("#mod-log shows %q; want %q", got, want)
	}
	for _, msg := range h.Emulator.Messages(h.g.Channel("mod-log").ID) {
		if len(msg.Pinged) > 0 || msg.MentionEveryone {
			t.Errorf("modlog message %s pings %v; want nobody pinged", msg.ID, msg.Pinged)
		}
	}
	// Discord's audit log says who asked, and why.
	for route, want := range map[string]string{routeKick: "mod: rude", routeBan: "mod: raid", routeUnban: "mod: appeal"} {
		reqs := h.Emulator.RequestsTo(route)
		if len(reqs) != 1 || reqs[0].Reason != want {
			t.Errorf("%s: got %+v; want one request with reason %q", route, reqs, want)
		}
	}
	wantNoForbidden(t, h.Emulator)
}

func TestCommandsAreHiddenFromMembersWithoutThePermission(t *testing.T) {
	t.Parallel()
	h := start(t, setup{config: withLog})
	for _, line := range []string{
		`/warn user:@member2 reason:"spam"`, `/warnings user:@member2`, `/unwarn case:1`,
		`/timeout user:@member2 duration:10m`, `/untimeout user:@member2`, `/kick user:@member2`, `/ban user:@member2`,
		fmt.Sprintf(`/unban user:%s`, h.id("member2")), `/purge count:5`, `/case id:1`, `/cases user:@member2`,
	} {
		_, err := h.Emulator.RunCommand(h.g.ID, h.g.Channel("general").ID, h.id("member1"), line)
		if !errors.Is(err, discordtest.ErrNotPermitted) {
			t.Errorf("member1 runs %s: got %v; want the command hidden (ErrNotPermitted)", line, err)
		}
	}
	if n := h.requests(actionRoutes...); n != 0 {
		t.Errorf("got %d requests to member, ban or message routes; want none", n)
	}
}

func TestHierarchyIsCheckedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	h := start(t, setup{config: withLog})
	ctx := context.Background()
	// member2 becomes a moderator too: an equal top role.
	mod := h.g.Role("Moderator").ID
	if err := h.Emulator.UpdateMember(h.g.ID, h.id("member2"), "", []discordtest.Snowflake{mod}); err != nil {
		t.Fatal(err)
	}
	// Senior sits above the bot's role: admins outrank member5, the bot does not.
	senior, err := h.Emulator.CreateRole(h.g.ID, "Senior", 0, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Emulator.UpdateMember(h.g.ID, h.id("member5"), "", []discordtest.Snowflake{senior.ID}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bot's cache to see Senior", func() bool {
		g, ok := h.m.host.Guild(snowflake.ID(h.g.ID))
		return ok && slices.ContainsFunc(g.Roles, func(r bot.RoleInfo) bool { return r.Name == "Senior" })
	})
	self := h.Emulator.BotUser().ID
	cases := []struct {
		who, line, want string
	}{
		{"mod", `/warn user:@admin reason:"x"`, "You can't warn Admin: their top role, Admin, is not below yours, Moderator."},
		{"mod", `/timeout user:@admin duration:1h`, "You can't time out Admin: their top role, Admin, is not below yours, Moderator."},
		{"mod", `/untimeout user:@admin`, "You can't lift the timeout of Admin: their top role, Admin, is not below yours, Moderator."},
		{"mod", `/kick user:@admin`, "You can't kick Admin: their top role, Admin, is not below yours, Moderator."},
		{"mod", `/ban user:@admin`, "You can't ban Admin: their top role, Admin, is not below yours, Moderator."},
		{"mod", `/kick user:@member2`, "You can't kick Member2: their top role, Moderator, is not below yours, Moderator."},
		{"mod", `/ban user:@owner`, "You can't ban Owner: they own the server."},
		{"admin", `/timeout user:@owner duration:1h`, "You can't time out Owner: they own the server."},
		{"mod", `/kick user:@mod`, "You can't kick yourself."},
		{"mod", fmt.Sprintf(`/ban user:%s`, self), "I won't ban myself."},
		{"admin", `/kick user:@member5`, "I can't kick Member5: their top role, Senior, is not below mine, Hearth."},
		{"admin", `/ban user:@member5`, "I can't ban Member5: their top role, Senior, is not below mine, Hearth."},
		{"admin", `/timeout user:@member5 duration:1h`, "I can't time out Member5: their top role, Senior, is not below mine, Hearth."},
	}
	for _, c := range cases {
		h.wantReply(h.run(c.who, c.line), c.want)
	}
	if n := h.requests(actionRoutes...); n != 0 {
		t.Errorf("got %d requests to member or ban routes; want none", n)
	}
	if cs, err := h.m.cases.ofTarget(ctx, snowflake.ID(h.g.ID), snowflake.ID(h.id("admin")), false); err != nil || len(cs) != 0 {
		t.Errorf("got cases %v, %v; want none recorded for refused actions", cs, err)
	}
	wantNoForbidden(t, h.Emulator)
}

func TestTheBotsMissingPermissionsAreNamed(t *testing.T) {
	t.Parallel()
	perms := discordtest.DefaultBotPermissions &^ (discordtest.PermKickMembers | discordtest.PermBanMembers |
		discordtest.PermModerateMembers | discordtest.PermManageMessages)
	h := start(t, setup{config: withLog, emulator: []discordtest.Option{discordtest.WithBotPermissions(perms)}})
	if err := h.Emulator.MemberLeave(h.g.ID, h.id("member7")); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ line, want string }{
		{`/timeout user:@member2 duration:1h`, "I need the MODERATE_MEMBERS permission to time members out here"},
		{`/untimeout user:@member2`, "I need the MODERATE_MEMBERS permission to lift timeouts here"},
		{`/kick user:@member2`, "I need the KICK_MEMBERS permission to kick members here"},
		{`/ban user:@member2`, "I need the BAN_MEMBERS permission to ban members here"},
		{fmt.Sprintf(`/unban user:%s`, h.id("member7")), "I need the BAN_MEMBERS permission to lift bans here"}, // member7 left
		{`/purge count:10`, "I need the MANAGE_MESSAGES permission in this channel to delete messages"},
		// A warning needs nothing from Discord.
		{`/warn user:@member2 reason:"spam"`, "Warned **Member2** (case #1)"},
	}
	for _, c := range cases {
		h.wantReply(h.run("mod", c.line), c.want)
	}
	if n := h.requests(actionRoutes...); n != 0 {
		t.Errorf("got %d requests to member, ban or message routes; want none", n)
	}
	wantNoForbidden(t, h.Emulator)
}

func TestAModlogTheBotMayNotPostInIsSkipped(t *testing.T) {
	t.Parallel()
	// @everyone may not send in #announcements, the bot neither.
	h := start(t, setup{config: fmt.Sprintf("log_channel: %d", seeded().Channel("announcements").ID)})
	h.wantReply(h.run("mod", `/warn user:@member2 reason:"spam"`), "(case #1)")
	waitFor(t, "case #1 to be marked skipped for the modlog", func() bool {
		c, err := h.m.cases.get(context.Background(), snowflake.ID(h.g.ID), 1)
		return err == nil && c.Modlog == modlogSkipped
	})
	if n := len(h.Emulator.RequestsTo(routeSend)); n != 0 {
		t.Errorf("got %d messages sent; want none where the bot may not post", n)
	}
	wantNoForbidden(t, h.Emulator)
}

func TestCasesAreNumberedPerGuild(t *testing.T) {
	t.Parallel()
	h := start(t, setup{config: withLog})
	other := h.Emulator.Guilds()[1]
	h.wantReply(h.run("mod", `/warn user:@member2 reason:"one"`), "(case #1)")
	h.wantReply(h.run("mod", `/warn user:@member3 reason:"two"`), "(case #2)")
	r, err := h.Emulator.RunCommand(other.ID, other.Channel("general").ID, other.Member("mod").User.ID, `/warn user:@member2 reason:"elsewhere"`)
	if err != nil {
		t.Fatal(err)
	}
	h.wantReply(r, "(case #1)")
	h.waitModlog(2)
	// The log channel belongs to the first guild: the other posts nothing.
	waitFor(t, "the other guild's case to be marked without modlog", func() bool {
		c, err := h.m.cases.get(context.Background(), snowflake.ID(other.ID), 1)
		return err == nil && c.Modlog == modlogNone
	})
	if got := h.embedTitles("mod-log"); len(got) != 2 {
		t.Errorf("#mod-log shows %q; want the first guild's two cases", got)
	}
}

func TestNoModlogWhenTheLogChannelIsUnset(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.wantReply(h.run("mod", `/warn user:@member2 reason:"spam"`), "(case #1)")
	c, err := h.m.cases.get(context.Background(), snowflake.ID(h.g.ID), 1)
	if err != nil || c.Modlog != modlogNone {
		t.Fatalf("got %+v, %v; want the case stored, with no modlog", c, err)
	}
	if n := len(h.Emulator.RequestsTo(routeSend)); n != 0 {
		t.Errorf("got %d messages sent; want none", n)
	}
}

func TestADMRefusedIsExpectedAndNotRetried(t *testing.T) {
	t.Parallel()
	h := start(t, setup{config: withLog})
	h.Emulator.SetRefusesDMs(h.id("member2"), true)
	h.wantReply(h.run("mod", `/kick user:@member2 reason:"rude"`), "Kicked **Member2** (case #1).", "They don't accept DMs")
	if _, in := h.member("member2"); in {
		t.Error("member2 is still in the guild; want the kick done despite the refused DM")
	}
	refused := 0
	for _, r := range h.Emulator.RequestsTo(routeSend) {
		if r.Code == 50007 {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("got %d DMs refused with 50007; want 1 (not retried)", refused)
	}
	// Someone who accepts DMs is told before the ban.
	h.wantReply(h.run("mod", `/ban user:@member3 reason:"raid" duration:7d`), "Banned **Member3** for 7d")
	dm, ok := h.Emulator.DMChannel(h.id("member3"))
	if !ok {
		t.Fatal("no DM channel with member3")
	}
	msgs := h.Emulator.Messages(dm)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Content, "You were banned from **Guild 1** for 7d. Reason: raid") {
		t.Errorf("member3's DMs: %+v; want the ban announced", msgs)
	}
}

func TestNoDMWhenDMOnActionIsOff(t *testing.T) {
	t.Parallel()
	h := start(t, setup{config: "dm_on_action: false"})
	h.wantReply(h.run("mod", `/kick user:@member2`), "Kicked **Member2**")
	if _, ok := h.Emulator.DMChannel(h.id("member2")); ok {
		t.Error("a DM channel with member2 was opened; want no DM with dm_on_action false")
	}
}

func TestTimeoutDurationsAreCheckedWithClearErrors(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	cases := []struct{ duration, want string }{
		{"29d", "Discord allows timeouts of at most 28 days (28d); got 29d."},
		{"soon", `"soon" is not a duration: write a number and a unit (s, m, h, d or w), like 10m, 2h, 7d or 1h30m.`},
		{"10", `"10" has a number without a unit`},
		{"5y", `"5y" has an unknown unit "y"`},
		{"0m", "A timeout must last at least 1s"},
	}
	for _, c := range cases {
		h.wantReply(h.run("mod", fmt.Sprintf(`/timeout user:@member2 duration:%s`, c.duration)), c.want)
	}
	if n := h.requests(routeEditMember); n != 0 {
		t.Errorf("got %d member edits for refused durations; want none", n)
	}
	h.wantReply(h.run("mod", `/timeout user:@member2 duration:28d`), "Timed out **Member2** for 28d")
	h.wantReply(h.run("mod", `/ban user:@member3 duration:400d`), "A temporary ban lasts at most 365 days (365d); got 400d.")
}

func TestEscalationTimesOutThenKicks(t *testing.T) {
	t.Parallel()
	h := start(t, setup{config: withLog + "\nescalation:\n  timeout_after: 2\n  timeout_for: 1h\n  kick_after: 3"})
	h.wantReply(h.run("mod", `/warn user:@member2 reason:"one"`), "Warned **Member2** (case #1): one")
	h.wantReply(h.run("mod", `/warn user:@member2 reason:"two"`), "(case #2)", "They now have 2 warnings: timed out for 1h (case #3).")
	if m, _ := h.member("member2"); m.CommunicationDisabledUntil.IsZero() {
		t.Error("member2 is not timed out after 2 warnings")
	}
	h.wantReply(h.run("mod", `/warn user:@member2 reason:"three"`), "(case #4)", "They now have 3 warnings: kicked (case #5).")
	if _, in := h.member("member2"); in {
		t.Error("member2 is still in the guild after 3 warnings")
	}
	want := []string{"Case #1 · Warning", "Case #2 · Warning", "Case #3 · Timeout", "Case #4 · Warning", "Case #5 · Kick"}
	if got := h.waitModlog(5); !slices.Equal(got, want) {
		t.Errorf("#mod-log shows %q; want %q", got, want)
	}
	c, _ := h.m.cases.get(context.Background(), snowflake.ID(h.g.ID), 5)
	if c.Source != sourceEscalation || c.RefCase != 4 || c.ModeratorID != h.m.host.BotID() {
		t.Errorf("case #5: got %+v; want an escalation by the bot after case #4", c)
	}
	wantNoForbidden(t, h.Emulator)
}

func TestEscalationSaysWhyItCouldNotAct(t *testing.T) {
	t.Parallel()
	perms := discordtest.DefaultBotPermissions &^ discordtest.PermModerateMembers
	h := start(t, setup{config: "escalation:\n  timeout_after: 1\n  timeout_for: 10m",
		emulator: []discordtest.Option{discordtest.WithBotPermissions(perms)}})
	h.wantReply(h.run("mod", `/warn user:@member2 reason:"one"`), "Warned **Member2** (case #1)",
		"They have 1 warning, which leads to a timeout, but: I need the MODERATE_MEMBERS permission")
	if n := h.requests(routeEditMember); n != 0 {
		t.Errorf("got %d member edits; want none", n)
	}
}

func TestUnwarnRemovesAWarningOnce(t *testing.T) {
	t.Parallel()
	h := start(t, setup{config: withLog})
	h.run("mod", `/warn user:@member2 reason:"spam"`)
	h.run("mod", `/kick user:@member3`)
	h.wantReply(h.run("mod", `/unwarn case:1 reason:"mistake"`), "Removed the warning of case #1 (spam) from <@", "(case #3)")
	h.wantReply(h.run("mod", `/unwarn case:1`), "The warning of case #1 was removed already.")
	h.wantReply(h.run("mod", `/unwarn case:2`), "Case #2 is not a warning")
	h.wantReply(h.run("mod", `/unwarn case:99`), "There is no case #99 in this server.")
	h.wantReply(h.run("mod", `/warnings user:@member2`), "Warnings of Member2: 0 active of 1", "~~", "removed in case #3")
	h.wantReply(h.run("mod", `/case id:1`), "Case #1 · Warning", "Removed", "case #3")
	h.waitModlog(3)
}

func TestWarningsArePagedWithButtons(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	for i := 1; i <= 12; i++ {
		h.run("mod", fmt.Sprintf(`/warn user:@member2 reason:"warning %d"`, i))
	}
	r := h.run("mod", `/warnings user:@member2`)
	h.wantReply(r, "Warnings of Member2: 12 active of 12", "Page 1 of 2", "warning 12", `"Next"`)
	if strings.Contains(text(r), "warning 1\\\"") || strings.Contains(text(r), "`#1`") {
		t.Errorf("page 1 shows the oldest warning: %s", text(r))
	}
	next := fmt.Sprintf("moderation:warnings:%s:1", h.id("member2"))
	p2, err := h.Emulator.ClickButton(h.g.ID, h.g.Channel("general").ID, h.id("mod"), r.MessageID, next)
	if err != nil {
		t.Fatal(err)
	}
	if got := text(p2); !strings.Contains(got, "Page 2 of 2") || !strings.Contains(got, "`#1`") || !strings.Contains(got, "`#2`") {
		t.Errorf("page 2: got %s; want cases #2 and #1 on page 2 of 2", got)
	}
	h.wantReply(h.run("mod", `/cases user:@member3`), "Member3 has no cases here.")
}

func TestCaseShowsOneCase(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.run("mod", `/timeout user:@member2 duration:2h reason:"flood"`)
	h.wantReply(h.run("mod", `/case id:1`), "Case #1 · Timeout", "flood", "Ends", "for 2h")
	h.wantReply(h.run("mod", `/case id:2`), "There is no case #2 in this server.")
	h.wantReply(h.run("mod", `/cases user:@member2`), "Cases of Member2 (1)", "**Timeout**", "ends <t:")
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
