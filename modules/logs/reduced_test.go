package logs

import (
	"slices"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"

	"github.com/hearthbot/hearth/discordtest"
)

func TestWithoutMessageContentEditsAndDeletionsAreLoggedWithoutContent(t *testing.T) {
	t.Parallel()
	h := start(t, setup{emulator: []discordtest.Option{discordtest.WithPrivilegedIntents(discordtest.IntentGuildMembers)}})
	if got := h.m.Degraded(); !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "MESSAGE_CONTENT") }) {
		t.Errorf("Degraded() = %q; want a sentence about MESSAGE_CONTENT", got)
	}
	msg := h.say("member1", "general", "secret words")
	h.edit(msg, "other secret words")
	h.delete(msg)
	got := h.waitLog("[Message edited]", "[Message deleted]", "A message by <@"+h.id("member1").String()+">")
	if strings.Contains(got, "secret") {
		t.Errorf("#mod-log shows content the bot should not have:\n%s", got)
	}
	if n := strings.Count(got, "Content not available"); n != 2 {
		t.Errorf("#mod-log:\n%s\nwant both entries to say the content is not available; %d do", got, n)
	}
	// Member logs still work.
	if _, err := h.Emulator.MemberJoin(h.g.ID, "newbie"); err != nil {
		t.Fatal(err)
	}
	h.waitLog("**Newbie** joined")
}

func TestWithoutGuildMembersMemberLogsAreOff(t *testing.T) {
	t.Parallel()
	h := start(t, setup{emulator: []discordtest.Option{discordtest.WithPrivilegedIntents(discordtest.IntentMessageContent)}, observe: true})
	want := "Member logs are off (joins, leaves, nickname and role changes): Discord has not granted the GUILD_MEMBERS intent."
	if got := h.m.Degraded(); !slices.Contains(got, want) {
		t.Errorf("Degraded() = %q; want %q", got, want)
	}
	if n := h.logs.FilterMessageSnippet("reduced mode: Member logs are off").FilterLevelExact(zapcore.WarnLevel).Len(); n != 1 {
		t.Errorf("the start-up log says %d times that member logs are off; want once", n)
	}
	if _, err := h.Emulator.MemberJoin(h.g.ID, "newbie"); err != nil {
		t.Fatal(err)
	}
	msg := h.say("member1", "general", "still logged")
	h.delete(msg)
	got := h.waitLog("still logged")
	if strings.Contains(got, "joined") {
		t.Errorf("#mod-log:\n%s\nwant no member logs without GUILD_MEMBERS", got)
	}
}

func TestWithoutPermissionToPostNothingIsSentAndOneWarningLogged(t *testing.T) {
	t.Parallel()
	// In #announcements @everyone may not send, and the bot's role has no
	// overwrite there: the bot lacks SEND_MESSAGES.
	h := start(t, setup{observe: true, guild: func(s *Settings, g discordtest.GuildView) {
		s.Channel = snowflakeOf(g.Channel("announcements").ID)
	}})
	for _, text := range []string{"one", "two", "three"} {
		h.delete(h.say("member1", "general", text))
	}
	if _, err := h.Emulator.MemberJoin(h.g.ID, "newbie"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("4 entries skipped", func() bool { return h.m.Stats().Skipped >= 4 })
	if n := h.postsTo("announcements"); n != 0 {
		t.Errorf("the bot posted %d messages in #announcements; want none", n)
	}
	wantNoForbidden(t, h.Emulator)
	warnings := h.logs.FilterMessageSnippet("the bot lacks SEND_MESSAGES in the log channel")
	if n := warnings.Len(); n != 1 {
		t.Errorf("%d warnings about the missing permission; want 1 per guild, not per event", n)
	}
}
