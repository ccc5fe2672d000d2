package moderation

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/discordtest"
)

// say sends messages as a member in #general and waits until the module
// remembers them.
func (h *harness) say(username string, texts ...string) []discordtest.Snowflake {
	h.t.Helper()
	general := h.g.Channel("general").ID
	before := h.m.index.size(snowflake.ID(general))
	var ids []discordtest.Snowflake
	for _, s := range texts {
		msg, err := h.Emulator.SendMessage(h.g.ID, general, h.id(username), s)
		if err != nil {
			h.t.Fatal(err)
		}
		ids = append(ids, msg.ID)
	}
	waitFor(h.t, "the messages to reach the index", func() bool {
		return h.m.index.size(snowflake.ID(general)) >= min(before+len(texts), h.m.cfg.PurgeMemory)
	})
	return ids
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
	h.wantReply(r, "Removed 8 messages (5 in bulk, 3 one by one: older than 14 days, Discord deletes those one at a time) (case #1).")
	if left := h.left(append(old, young...)); len(left) != 0 {
		t.Errorf("messages %v are left; want all 8 removed", left)
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
	texts := make([]string, 150)
	for i := range texts {
		texts[i] = fmt.Sprint("message ", i)
	}
	ids := h.say("member1", texts...)
	h.wantReply(h.run("mod", "/purge count:150"), "Removed 150 messages (case #1).")
	if left := h.left(ids); len(left) != 0 {
		t.Errorf("%d messages are left; want none", len(left))
	}
	if n := len(h.Emulator.RequestsTo(routeBulkDelete)); n != 2 {
		t.Errorf("got %d bulk deletes; want 2 (100, then 50)", n)
	}
	wantNoForbidden(t, h.Emulator)
}

func TestPurgeFiltersByUserAndContent(t *testing.T) {
	t.Parallel()
	h := start(t, setup{config: "content_matching: true"})
	spam := h.say("member1", "buy SPAM now", "more spam")
	keep := h.say("member1", "hello")
	other := h.say("member2", "spam too", "hi")

	h.wantReply(h.run("mod", "/purge count:10 user:@member1 contains:spam"), `Removed 2 messages from Member1 containing "spam" (case #1).`)
	if left := h.left(spam); len(left) != 0 {
		t.Errorf("member1's spam %v is left", left)
	}
	if left := h.left(append(keep, other...)); len(left) != 3 {
		t.Errorf("%d of the other messages are left; want all 3", len(left))
	}
	h.wantReply(h.run("mod", "/purge count:1"), "Removed 1 message (case #2).")
	if left := h.left(other[1:]); len(left) != 0 {
		t.Errorf("the newest message is left; want /purge count:1 to remove it")
	}
	h.wantReply(h.run("mod", "/purge count:5 contains:nothing-like-this"), "Nothing to remove")
}

func TestPurgeSaysWhenContentMatchingIsUnavailable(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.say("member1", "spam")
	h.wantReply(h.run("mod", "/purge count:10 contains:spam"), "Content matching is unavailable", "Nothing was deleted")
	if n := h.requests(routeBulkDelete, routeDelete); n != 0 {
		t.Errorf("got %d deletes; want none", n)
	}
	if s := h.Emulator.GatewaySessions(); len(s) != 1 || s[0].Intents&discordtest.IntentMessageContent != 0 {
		t.Errorf("sessions %+v; want MESSAGE_CONTENT not asked for without content_matching", s)
	}
}

func TestPurgeReportsProgressInFollowups(t *testing.T) {
	t.Parallel()
	clock := discordtest.NewFakeClock(time.Now().Add(-15 * 24 * time.Hour))
	h := start(t, setup{emulator: []discordtest.Option{discordtest.WithClock(clock), discordtest.WithReplyWait(15 * time.Second)},
		module: []Option{WithClock(clock)}})
	texts := make([]string, 20)
	for i := range texts {
		texts[i] = fmt.Sprint("old ", i)
	}
	h.say("member1", texts...)
	clock.Advance(15 * 24 * time.Hour)
	r := h.run("mod", "/purge count:20")
	if !r.Deferred || !strings.Contains(r.Content, "so far") {
		t.Fatalf("got %+v; want the deferred reply edited with the progress first", r)
	}
	var final discordtest.Reply
	if !h.Emulator.WaitFor(15*time.Second, func() bool {
		final, _ = h.Emulator.Interaction(r.InteractionID)
		return strings.Contains(final.Content, "Removed 20 messages")
	}) {
		t.Fatalf("got %q; want the reply to end with what was removed", final.Content)
	}
	if !final.Ephemeral {
		t.Error("the purge reply is public; want ephemeral")
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
