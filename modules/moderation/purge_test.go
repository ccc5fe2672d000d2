package moderation

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot/config"
	"github.com/hearthbot/hearth/discordtest"
)

const routeHistory = "GET /channels/{channel_id}/messages"

// say sends messages as a member in #general.
func (h *harness) say(username string, texts ...string) []discordtest.Snowflake {
	h.t.Helper()
	general := h.g.Channel("general").ID
	var ids []discordtest.Snowflake
	for _, s := range texts {
		msg, err := h.Emulator.SendMessage(h.g.ID, general, h.id(username), s)
		if err != nil {
			h.t.Fatal(err)
		}
		ids = append(ids, msg.ID)
	}
	return ids
}

// numbered is n message texts.
func numbered(prefix string, n int) []string {
	texts := make([]string, n)
	for i := range texts {
		texts[i] = fmt.Sprint(prefix, " ", i)
	}
	return texts
}

// left reports which of ids are still in #general.
func (h *harness) left(ids []discordtest.Snowflake) []discordtest.Snowflake {
	var out []discordtest.Snowflake
	for _, id := range ids {
		if m, ok := h.Emulator.Message(id); ok && !m.Deleted {
			out = append(out, id)
		}
	}
	return out
}

func TestPurgeBulkDeletesYoungMessagesAndOldOnesOneByOne(t *testing.T) {
	t.Parallel()
	// The clock starts 15 days ago: the first messages are old by now.
	clock := discordtest.NewFakeClock(time.Now().Add(-15 * 24 * time.Hour))
	h := start(t, setup{config: withLog, emulator: []discordtest.Option{discordtest.WithClock(clock)}, module: []Option{WithClock(clock)}})
	old := h.say("member1", "old 1", "old 2", "old 3")
	clock.Advance(15 * 24 * time.Hour)
	young := h.say("member1", "young 1", "young 2", "young 3")
	young = append(young, h.say("member2", "young 4", "young 5")...)

	r := h.run("mod", "/purge count:50")
	h.wantReply(r, "Removed 8 messages (case #1). It took 1 bulk delete and 3 single deletes "+
		"(Discord deletes messages older than 14 days one at a time).")
	if left := h.left(append(old, young...)); len(left) != 0 {
		t.Errorf("messages %v are left; want all 8 removed", left)
	}
	if n := len(h.Emulator.RequestsTo(routeHistory)); n != 1 {
		t.Errorf("got %d history requests; want 1 (one page holds the channel)", n)
	}
	bulk := h.Emulator.RequestsTo(routeBulkDelete)
	if len(bulk) != 1 {
		t.Fatalf("got %d bulk deletes; want 1", len(bulk))
	}
	if n := len(h.Emulator.RequestsTo(routeDelete)); n != 3 {
		t.Errorf("got %d single deletes; want 3, one per message older than 14 days", n)
	}
	if bulk[0].Reason != "mod: /purge" {
		t.Errorf("bulk delete reason %q; want %q", bulk[0].Reason, "mod: /purge")
	}
	h.wantReply(h.run("mod", "/case id:1"), "Case #1 · Purge", "8 messages in <#")
	wantNoForbidden(t, h.Emulator)
}

func TestPurgeDeletesInChunksOf100(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	ids := h.say("member1", numbered("message", 150)...)
	h.wantReply(h.run("mod", "/purge count:150"), "Removed 150 messages (case #1). It took 2 bulk deletes.")
	if left := h.left(ids); len(left) != 0 {
		t.Errorf("%d messages are left; want none", len(left))
	}
	if n := len(h.Emulator.RequestsTo(routeBulkDelete)); n != 2 {
		t.Errorf("got %d bulk deletes; want 2 (100, then 50)", n)
	}
	if n := len(h.Emulator.RequestsTo(routeHistory)); n != 2 {
		t.Errorf("got %d history requests; want 2 pages of 100", n)
	}
	wantNoForbidden(t, h.Emulator)
}

func TestPurgeFiltersTheHistoryByUserAndContent(t *testing.T) {
	t.Parallel()
	h := start(t, setup{config: "content_matching: true"})
	spam := h.say("member1", "buy SPAM now", "more spam")
	keep := h.say("member1", "hello")
	other := h.say("member2", "spam too", "hi")

	h.wantReply(h.run("mod", "/purge count:10 user:@member1 contains:spam"),
		`Removed 2 messages from Member1 containing "spam" (case #1). It took 1 bulk delete.`)
	if left := h.left(spam); len(left) != 0 {
		t.Errorf("member1's spam %v is left", left)
	}
	if left := h.left(append(keep, other...)); len(left) != 3 {
		t.Errorf("%d of the other messages are left; want all 3", len(left))
	}
	h.wantReply(h.run("mod", "/purge count:1"), "Removed 1 message (case #2). It took 1 single delete.")
	if left := h.left(other[1:]); len(left) != 0 {
		t.Errorf("the newest message is left; want /purge count:1 to remove it")
	}
	h.wantReply(h.run("mod", "/purge count:5 contains:nothing-like-this"),
		`Nothing to remove: no message containing "nothing-like-this" among the last 2 messages here.`)
	wantNoForbidden(t, h.Emulator)
}

func TestPurgeReadsAtMost1000Messages(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	early := h.say("member1", "early 1", "early 2")
	h.say("member2", numbered("chatter", maxScan-1)...)
	late := h.say("member1", "late")
	h.wantReply(h.run("mod", "/purge count:5 user:@member1"), "Removed 1 message from Member1 (case #1).",
		"I looked through the last 1000 messages here, the most one purge reads.")
	if n := len(h.Emulator.RequestsTo(routeHistory)); n != maxScan/pageSize {
		t.Errorf("got %d history requests; want %d pages of 100, then stop", n, maxScan/pageSize)
	}
	if left := h.left(late); len(left) != 0 {
		t.Errorf("member1's latest message is left; want it removed")
	}
	if left := h.left(early); len(left) != 2 {
		t.Errorf("got %d of member1's early messages left; want both, beyond the bound", len(left))
	}
	wantNoForbidden(t, h.Emulator)
}

func TestPurgeSaysWhenContentMatchingIsOff(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.say("member1", "spam")
	h.wantReply(h.run("mod", "/purge count:10 contains:spam"), "Content matching is unavailable", "content_matching",
		"Nothing was deleted")
	if n := h.requests(routeHistory, routeBulkDelete, routeDelete); n != 0 {
		t.Errorf("got %d history or delete requests; want none", n)
	}
	if s := h.Emulator.GatewaySessions(); len(s) != 1 || s[0].Intents&discordtest.IntentMessageContent != 0 {
		t.Errorf("sessions %+v; want MESSAGE_CONTENT not asked for without content_matching", s)
	}
	if d := h.m.Degraded(); d != nil {
		t.Errorf("Degraded: got %q; want nothing (content matching is the operator's choice)", d)
	}
}

func TestPurgeSaysWhenDiscordDidNotGrantMessageContent(t *testing.T) {
	t.Parallel()
	h := start(t, setup{config: "content_matching: true",
		emulator: []discordtest.Option{discordtest.WithPrivilegedIntents(discordtest.IntentGuildMembers)}})
	if s := h.Emulator.GatewaySessions(); len(s) != 1 || s[0].Intents&discordtest.IntentMessageContent != 0 {
		t.Fatalf("sessions %+v; want the bot connected without MESSAGE_CONTENT", s)
	}
	if d := h.m.Degraded(); len(d) != 1 || !strings.Contains(d[0], "/purge contains is off") {
		t.Errorf("Degraded: got %q; want /purge contains named as off", d)
	}
	ids := h.say("member1", "spam", "more spam")
	h.wantReply(h.run("mod", "/purge count:10 contains:spam"), "Content matching is unavailable",
		"Discord has not granted this bot the MESSAGE_CONTENT intent", "Nothing was deleted")
	if n := h.requests(routeHistory, routeBulkDelete, routeDelete); n != 0 {
		t.Errorf("got %d history or delete requests; want none", n)
	}
	// The rest of /purge works without it.
	h.wantReply(h.run("mod", "/purge count:10 user:@member1"), "Removed 2 messages from Member1 (case #1).")
	if left := h.left(ids); len(left) != 0 {
		t.Errorf("messages %v are left; want member1's removed", left)
	}
	wantNoForbidden(t, h.Emulator)
}

func TestPurgeReportsProgressInFollowups(t *testing.T) {
	t.Parallel()
	// The host defers at once; three bulk deletes take two seconds, as
	// the limiter spaces them by the bucket's one a second.
	h := start(t, setup{emulator: []discordtest.Option{discordtest.WithReplyWait(15 * time.Second)},
		edit: func(c *config.Config) { c.Pipeline.AutoDeferAfter = 50 * time.Millisecond }})
	ids := h.say("member1", numbered("message", 300)...)
	// Not h.run, which waits past the progress for the answer.
	r, err := h.Emulator.RunCommand(h.g.ID, h.g.Channel("general").ID, h.id("mod"), "/purge count:300")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Deferred || !strings.Contains(r.Content, "so far") {
		t.Fatalf("got %+v; want the deferred reply edited with the progress first", r)
	}
	var final discordtest.Reply
	if !h.Emulator.WaitFor(15*time.Second, func() bool {
		final, _ = h.Emulator.Interaction(r.InteractionID)
		return strings.Contains(final.Content, "Removed 300 messages")
	}) {
		t.Fatalf("got %q; want the reply to end with what was removed", final.Content)
	}
	if !strings.Contains(final.Content, "It took 3 bulk deletes.") {
		t.Errorf("got %q; want the requests counted", final.Content)
	}
	if !final.Ephemeral {
		t.Error("the purge reply is public; want ephemeral")
	}
	if left := h.left(ids); len(left) != 0 {
		t.Errorf("%d messages are left; want none", len(left))
	}
	wantNoForbidden(t, h.Emulator)
}

func TestPurgeWaitsOutA429(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	ids := h.say("member1", "a", "b", "c")
	h.Emulator.Inject429(routeBulkDelete, 1, "user", 300*time.Millisecond)
	h.wantReply(h.run("mod", "/purge count:3"), "Removed 3 messages")
	if left := h.left(ids); len(left) != 0 {
		t.Errorf("messages %v are left; want the bulk delete sent again after the 429", left)
	}
	if n := len(h.Emulator.RequestsTo(routeBulkDelete)); n != 2 {
		t.Errorf("got %d bulk deletes; want 2 (the 429, then the retry)", n)
	}
}

func TestPurgeNeedsToReadTheHistory(t *testing.T) {
	t.Parallel()
	perms := discordtest.DefaultBotPermissions &^ discordtest.PermReadMessageHistory
	h := start(t, setup{emulator: []discordtest.Option{discordtest.WithBotPermissions(perms)}})
	// Nobody may read the history any more, the bot neither.
	everyone := h.g.Role("@everyone")
	everyone.Permissions &^= discordtest.PermReadMessageHistory
	if _, err := h.Emulator.UpdateRole(h.g.ID, everyone); err != nil {
		t.Fatal(err)
	}
	general := snowflake.ID(h.g.Channel("general").ID)
	waitFor(t, "the bot's cache to see the change", func() bool {
		p, err := h.m.host.BotPermissions(snowflake.ID(h.g.ID), general)
		return err == nil && !p.Has(discord.PermissionReadMessageHistory)
	})
	h.say("member1", "a", "b")
	h.wantReply(h.run("mod", "/purge count:2"), "I need the READ_MESSAGE_HISTORY permission in this channel")
	if n := h.requests(routeHistory, routeBulkDelete, routeDelete); n != 0 {
		t.Errorf("got %d history or delete requests; want none", n)
	}
	wantNoForbidden(t, h.Emulator)
}
