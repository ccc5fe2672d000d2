package logs

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hearthbot/hearth/discordtest"
)

func TestJoinsAndLeavesAreLogged(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	newbie, err := h.Emulator.MemberJoin(h.g.ID, "newbie")
	if err != nil {
		t.Fatal(err)
	}
	h.waitLog("📥 **Newbie** joined", "<@"+newbie.User.ID.String()+">", "⚠️ new account")
	if err := h.Emulator.UpdateMember(h.g.ID, newbie.User.ID, "", []discordtest.Snowflake{h.g.Role("Member").ID}); err != nil {
		t.Fatal(err)
	}
	h.waitLog("roles: added")
	if err := h.Emulator.MemberLeave(h.g.ID, newbie.User.ID); err != nil {
		t.Fatal(err)
	}
	got := h.waitLog("📤 **Newbie** left")
	leave := got[strings.Index(got, "📤"):]
	for _, want := range []string{"joined <t:", "roles: <@&" + h.g.Role("Member").ID.String() + ">"} {
		if !strings.Contains(leave, want) {
			t.Errorf("the leave line %q; want it to contain %q", leave, want)
		}
	}
}

func TestNicknameAndRoleChangesAreLogged(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	newbie, err := h.Emulator.MemberJoin(h.g.ID, "newbie")
	if err != nil {
		t.Fatal(err)
	}
	h.waitLog("joined")
	member, mod := h.g.Role("Member").ID, h.g.Role("Moderator").ID
	steps := []struct {
		nick  string
		roles []discordtest.Snowflake
		want  string
	}{
		{"New_t", nil, "🏷️ **Newbie** (<@" + newbie.User.ID.String() + ">) nickname: *none* → **New\\_t**"},
		{"New_t", []discordtest.Snowflake{member, mod}, "roles: added <@&" + member.String() + ">, <@&" + mod.String() + ">"},
		{"", []discordtest.Snowflake{member}, "nickname: **New\\_t** → *none*"},
		{"", []discordtest.Snowflake{member}, "removed <@&" + mod.String() + ">"},
	}
	for _, s := range steps {
		if err := h.Emulator.UpdateMember(h.g.ID, newbie.User.ID, s.nick, s.roles); err != nil {
			t.Fatal(err)
		}
		h.waitLog(s.want)
	}

	// A member the bot has not seen change before: what they are now.
	if err := h.Emulator.UpdateMember(h.g.ID, h.id("member1"), "One", nil); err != nil {
		t.Fatal(err)
	}
	h.waitLog("(<@"+h.id("member1").String()+">) was updated and now has nickname **One**", "What changed is unknown")
}

func TestSwitchesTurnFamiliesOff(t *testing.T) {
	t.Parallel()
	h := start(t, setup{guild: func(s *Settings, _ discordtest.GuildView) { s.Members, s.Nicknames = false, false }})
	newbie, err := h.Emulator.MemberJoin(h.g.ID, "newbie")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Emulator.UpdateMember(h.g.ID, newbie.User.ID, "Nick", nil); err != nil {
		t.Fatal(err)
	}
	if err := h.Emulator.UpdateMember(h.g.ID, newbie.User.ID, "Nick", []discordtest.Snowflake{h.g.Role("Member").ID}); err != nil {
		t.Fatal(err)
	}
	got := h.waitLog("roles: added")
	if strings.Contains(got, "joined") || strings.Contains(got, "nickname") {
		t.Errorf("#mod-log:\n%s\nwant only the role change: joins and nicknames are off", got)
	}
}

func TestABurstIsCoalescedIntoFewMessages(t *testing.T) {
	t.Parallel()
	h := start(t, setup{
		module: []Option{WithCoalescing(200*time.Millisecond, time.Second)},
		// Room to post quickly; the coalescing, not the rate limit, is
		// what this test is about.
		emulator: []discordtest.Option{discordtest.WithRouteLimit(routeSend,
			discordtest.RouteLimit{Bucket: "message-create", Limit: 50, Period: time.Second})},
	})
	const burst = 200
	for i := range burst {
		if _, err := h.Emulator.MemberJoin(h.g.ID, fmt.Sprintf("raider%03d", i)); err != nil {
			t.Fatal(err)
		}
	}
	h.waitLog(fmt.Sprintf("Raider%03d", burst-1))
	h.waitFor("every join logged", func() bool { return strings.Count(h.logText("mod-log"), "📥") == burst })
	// The request log records a request once answered: wait for it.
	h.waitFor("every post in the request log", func() bool {
		return h.postsTo("mod-log") == len(h.Emulator.Messages(h.channel("mod-log")))
	})
	if posts := h.postsTo("mod-log"); posts > burst/5 {
		t.Errorf("%d joins took %d messages; want at most %d", burst, posts, burst/5)
	}
	wantNoForbidden(t, h.Emulator)
}
