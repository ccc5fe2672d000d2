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
	"github.com/hearthbot/hearth/store"
)

// set changes a guild's setting as /settings set does, as its owner.
func (h *harness) set(g discordtest.GuildView, key, value string) {
	h.t.Helper()
	by := store.Actor{UserID: uint64(g.Member("owner").User.ID)}
	if _, err := h.m.settings.Set(context.Background(), snowflake.ID(g.ID), key, value, by); err != nil {
		h.t.Fatalf("set %s to %s in %s: %v", key, value, g.Name, err)
	}
}

// runAt runs a command line as a seeded member in #general of guild g.
func (h *harness) runAt(g discordtest.GuildView, username, line string) discordtest.Reply {
	h.t.Helper()
	r, err := h.Emulator.RunCommand(g.ID, g.Channel("general").ID, g.Member(username).User.ID, line)
	if err != nil {
		h.t.Fatalf("%s runs %s in %s: %v", username, line, g.Name, err)
	}
	return r
}

// modlogOf returns the case titles posted in #mod-log of guild g.
func (h *harness) modlogOf(g discordtest.GuildView) []string {
	saved := h.g
	defer func() { h.g = saved }()
	h.g = g
	return h.embedTitles("mod-log")
}

func TestTheModlogChannelIsSetPerGuild(t *testing.T) {
	t.Parallel()
	h := start(t, setup{}) // no log_channel in the config file
	ctx := context.Background()
	one, two := h.Emulator.Guilds()[0], h.Emulator.Guilds()[1]

	h.set(one, "log_channel", "<#"+one.Channel("mod-log").ID.String()+">")
	h.wantReply(h.runAt(one, "mod", `/warn user:@member2 reason:"one"`), "(case #1)")
	h.wantReply(h.runAt(two, "mod", `/warn user:@member2 reason:"two"`), "(case #1)")
	h.waitModlog(1)
	waitFor(t, "the second guild's case to be marked without modlog", func() bool {
		c, err := h.m.cases.get(ctx, snowflake.ID(two.ID), 1)
		return err == nil && c.Modlog == modlogNone
	})
	if got := h.modlogOf(two); len(got) != 0 {
		t.Errorf("the second guild's #mod-log shows %q; want nothing: its log channel is unset", got)
	}

	// The second guild picks its own channel; the first keeps its own.
	h.set(two, "log_channel", two.Channel("mod-log").ID.String())
	h.wantReply(h.runAt(two, "mod", `/kick user:@member3`), "(case #2)")
	if !h.Emulator.WaitFor(10*time.Second, func() bool { return len(h.modlogOf(two)) == 1 }) {
		t.Fatalf("the second guild's #mod-log shows %q; want its case #2", h.modlogOf(two))
	}
	if got, want := h.modlogOf(two), []string{"Case #2 · Kick"}; !slices.Equal(got, want) {
		t.Errorf("the second guild's #mod-log shows %q; want %q", got, want)
	}
	if got, want := h.modlogOf(one), []string{"Case #1 · Warning"}; !slices.Equal(got, want) {
		t.Errorf("the first guild's #mod-log shows %q; want %q", got, want)
	}

	// none turns it off again.
	h.set(one, "log_channel", "none")
	h.wantReply(h.runAt(one, "mod", `/warn user:@member4 reason:"three"`), "(case #2)")
	if c, _ := h.m.cases.get(ctx, snowflake.ID(one.ID), 2); c.Modlog != modlogNone {
		t.Errorf("case #2 of the first guild: modlog %q; want none after log_channel none", c.Modlog)
	}
	wantNoForbidden(t, h.Emulator)
}

func TestTheConfigFileSetsTheDefaultsOfGuildsThatChangedNothing(t *testing.T) {
	t.Parallel()
	h := start(t, setup{config: withLog + "\ndm_on_action: false"})
	ctx := context.Background()
	one := h.Emulator.Guilds()[0]
	vals, err := h.m.settings.Show(ctx, snowflake.ID(one.ID))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"log_channel": "<#" + one.Channel("mod-log").ID.String() + ">", "dm_on_action": "false",
		"escalation.timeout_after": "0", "escalation.timeout_for": "1h"}
	for _, v := range vals {
		if w, ok := want[v.Key]; ok && (v.Value != w || !v.Default) {
			t.Errorf("%s: got %q (default %v); want the default %q", v.Key, v.Value, v.Default, w)
		}
	}
	// A guild that turns the DM on has it; the file's default stays off elsewhere.
	h.set(one, "dm_on_action", "on")
	h.wantReply(h.run("mod", `/kick user:@member2`), "Kicked **Member2**")
	if _, ok := h.Emulator.DMChannel(h.id("member2")); !ok {
		t.Error("member2 got no DM; want one with dm_on_action on in this guild")
	}
	two := h.Emulator.Guilds()[1]
	h.wantReply(h.runAt(two, "mod", `/kick user:@member3`), "Kicked **Member3**")
	if _, ok := h.Emulator.DMChannel(two.Member("member3").User.ID); ok {
		t.Error("member3 got a DM in the second guild; want none (the file's default is off)")
	}
}

func TestSettingsRefuseValuesNamingTheKey(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	ctx := context.Background()
	guild := snowflake.ID(h.g.ID)
	h.set(h.g, "escalation.timeout_after", "3")
	for _, c := range []struct{ key, value, want string }{
		{"escalation.kick_after", "2", "escalation.kick_after: want more warnings than escalation.timeout_after (3), or 0 (off); got 2"},
		{"escalation.timeout_for", "29d", "escalation.timeout_for: want a duration above 0 and at most 28d"},
		{"escalation.timeout_after", "-1", "escalation.timeout_after: want 0 (off) to 100 warnings; got -1"},
		{"log_channel", "general", `log_channel: "general" is not a channel`},
	} {
		_, err := h.m.settings.Set(ctx, guild, c.key, c.value, store.Actor{})
		var ue *bot.UserError
		if !errors.As(err, &ue) || !strings.Contains(ue.Message, c.want) {
			t.Errorf("set %s to %s: got %v; want a message containing %q", c.key, c.value, err, c.want)
		}
	}
	if s := h.m.settingsOf(ctx, guild); s.Escalation.TimeoutAfter != 3 || s.Escalation.KickAfter != 0 {
		t.Errorf("got %+v; want the refused values not saved", s.Escalation)
	}
}

func TestEscalationIsConfiguredPerGuild(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	one, two := h.Emulator.Guilds()[0], h.Emulator.Guilds()[1]
	h.set(one, "escalation.timeout_after", "1")
	h.set(one, "escalation.timeout_for", "10m")
	h.set(two, "escalation.kick_after", "2")

	h.wantReply(h.runAt(one, "mod", `/warn user:@member2 reason:"one"`), "(case #1)", "They now have 1 warning: timed out for 10m (case #2).")
	if m, _ := h.Emulator.Member(one.ID, one.Member("member2").User.ID); m.CommunicationDisabledUntil.IsZero() {
		t.Error("member2 is not timed out in the first guild")
	}
	r := h.runAt(two, "mod", `/warn user:@member2 reason:"one"`)
	if got := text(r); strings.Contains(got, "They now have") {
		t.Errorf("the second guild: got %q; want no escalation after 1 warning there", got)
	}
	h.wantReply(h.runAt(two, "mod", `/warn user:@member2 reason:"two"`), "(case #2)", "They now have 2 warnings: kicked (case #3).")
	if _, in := h.Emulator.Member(two.ID, two.Member("member2").User.ID); in {
		t.Error("member2 is still in the second guild after 2 warnings")
	}
	if _, in := h.Emulator.Member(one.ID, one.Member("member2").User.ID); !in {
		t.Error("member2 was kicked from the first guild too; want the ladders apart")
	}
	wantNoForbidden(t, h.Emulator)
}

// waitCase waits for case n of a guild and returns it.
func (h *harness) waitCase(guild discordtest.Snowflake, n int64) Case {
	h.t.Helper()
	var c Case
	waitFor(h.t, fmt.Sprintf("case #%d", n), func() bool {
		var err error
		c, err = h.m.cases.get(context.Background(), snowflake.ID(guild), n)
		return err == nil
	})
	return c
}
