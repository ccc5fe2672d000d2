package logs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/discordtest"
	"github.com/hearthbot/hearth/store"
)

func TestEditsAndDeletionsShowTheOldContent(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	msg := h.say("member1", "general", "hello there")
	h.edit(msg, "hello world")
	got := h.waitLog("[Message edited]", "hello there", "hello world")
	if before, after := strings.Index(got, "hello there"), strings.Index(got, "hello world"); before > after {
		t.Errorf("the edit shows the new content before the old one:\n%s", got)
	}
	for _, want := range []string{"<@" + h.id("member1").String() + ">", "<#" + h.channel("general").String() + ">",
		"Message ID " + msg.ID.String(), "https://discord.com/channels/"} {
		if !strings.Contains(got, want) {
			t.Errorf("the edit entry:\n%s\nwant it to contain %q", got, want)
		}
	}
	h.delete(msg)
	got = h.waitLog("[Message deleted]")
	entry := got[strings.Index(got, "[Message deleted]"):]
	if !strings.Contains(entry, "hello world") || !strings.Contains(entry, "edited before it was deleted") {
		t.Errorf("the deletion entry:\n%s\nwant the last version, hello world, noted as edited", entry)
	}
	wantNoForbidden(t, h.Emulator)
}

func TestAnEditThatChangesNoTextIsNotLogged(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	quiet := h.say("member1", "general", "same text")
	marker := h.say("member2", "general", "before")
	h.edit(quiet, "same text") // a link preview or a pin: nothing changed
	h.edit(marker, "after")
	got := h.waitLog("after")
	if n := strings.Count(got, "[Message edited]"); n != 1 {
		t.Errorf("#mod-log shows %d edits:\n%s\nwant 1, the real one", n, got)
	}
}

func TestContentIsQuotedSafely(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	msg := h.say("member1", "general", "@everyone ``` **break** <@&1> ```")
	h.delete(msg)
	got := h.waitLog("[Message deleted]")
	if strings.Count(got, "```") != 2 {
		t.Errorf("the entry:\n%s\nwant exactly one code block: the content's fences must not close it", got)
	}
	for _, m := range h.Emulator.Messages(h.channel("mod-log")) {
		if len(m.Pinged) > 0 {
			t.Errorf("a log message would ping %v; want nobody", m.Pinged)
		}
	}
}

func TestAMessageNotInCacheSaysWhy(t *testing.T) {
	t.Parallel()
	clock := discordtest.NewFakeClock(time.Now())
	h := start(t, setup{emulator: []discordtest.Option{discordtest.WithClock(clock)}, module: []Option{WithClock(clock)}})
	old := h.say("member1", "general", "from yesterday")
	h.waitCached(1)
	clock.Advance(25 * time.Hour)
	h.delete(old)
	h.waitLog("[Message deleted]", "Not in cache: it is older than 1d, the longest the cache keeps messages")

	// Sent while logging was off: the bot never cached it.
	ctx, guild := context.Background(), snowflake.ID(h.g.ID)
	setChannel := func(c discordtest.Snowflake) {
		t.Helper()
		if _, _, err := h.m.settings.Update(ctx, guild, storeActor, func(s *Settings) error { s.Channel = snowflake.ID(c); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	setChannel(0)
	unseen := h.say("member2", "general", "while logging was off")
	marker := h.say("member2", "general", "marker") // handled after unseen
	h.waitFor("the creation handler to pass the marker", func() bool {
		h.m.late.mu.Lock()
		defer h.m.late.mu.Unlock()
		return h.m.late.seen >= snowflake.ID(marker.ID)
	})
	setChannel(h.channel("mod-log"))
	h.delete(unseen)
	got := h.waitLog("the bot did not see it sent")
	if strings.Contains(got, "while logging was off") {
		t.Errorf("#mod-log shows the content of a message sent while logging was off:\n%s", got)
	}
}

func TestADeletionHandledBeforeItsMessageStillShowsTheContent(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	guild, channel := snowflake.ID(h.g.ID), snowflake.ID(h.channel("general"))
	member := h.g.Member("member3").User
	id := snowflake.New(time.Now())
	// The deletion reaches the module first, as it can when the
	// creations' queue is behind.
	publish(h, bot.TopicMessageDeleted, bot.MessageDeleted{ID: id, ChannelID: channel, GuildID: guild})
	h.waitFor("the deletion to wait for its message", func() bool {
		h.m.late.mu.Lock()
		defer h.m.late.mu.Unlock()
		return len(h.m.late.parked) == 1
	})
	publish(h, bot.TopicMessageCreated, bot.MessageCreated{ID: id, ChannelID: channel, GuildID: guild,
		Author: bot.User{ID: snowflake.ID(member.ID), Username: member.Username}, Content: "raced the deletion", At: time.Now()})
	got := h.waitLog("[Message deleted]", "raced the deletion")
	if strings.Contains(got, "Not in cache") {
		t.Errorf("#mod-log:\n%s\nwant the content, not a miss", got)
	}
}

func TestBulkDeletionsAreSummarised(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	msgs := []discordtest.Message{
		h.say("member1", "general", "spam one"),
		h.say("member1", "general", "spam two"),
		h.say("member2", "general", "spam three"),
	}
	h.waitCached(3)
	unknown := snowflake.New(time.Now()) // never seen: as one sent before the bot started
	ids := []snowflake.ID{unknown}
	for _, m := range msgs {
		ids = append(ids, snowflake.ID(m.ID))
	}
	// Marks unknown as seen, so the bulk deletion does not wait for it.
	publish(h, bot.TopicMessageCreated, bot.MessageCreated{ID: snowflake.New(time.Now()), GuildID: 1, ChannelID: 1})
	if err := h.m.host.REST().Messages.BulkDelete(context.Background(), snowflake.ID(h.channel("general")), ids[1:], "test"); err != nil {
		t.Fatal(err)
	}
	got := h.waitLog("[Messages deleted in bulk]", "spam one", "spam two", "spam three")
	for _, want := range []string{"3 messages deleted at once", "2 authors", "Member1: spam one", "Member2: spam three"} {
		if !strings.Contains(got, want) {
			t.Errorf("#mod-log:\n%s\nwant it to contain %q", got, want)
		}
	}
	// One the cache never held is counted, not listed.
	publish(h, bot.TopicMessagesBulkDeleted, bot.MessagesBulkDeleted{IDs: []snowflake.ID{unknown, snowflake.ID(h.say("member3", "general", "x").ID)},
		ChannelID: snowflake.ID(h.channel("general")), GuildID: snowflake.ID(h.g.ID)})
	h.waitLog("2 messages deleted at once", "1 was not in cache")
}

func TestIgnoredChannelsTheLogChannelAndBotsAreNotLogged(t *testing.T) {
	t.Parallel()
	h := start(t, setup{guild: func(s *Settings, g discordtest.GuildView) {
		s.IgnoreChannels = []snowflake.ID{snowflake.ID(g.Channel("off-topic").ID)}
	}})
	ctx := context.Background()
	guild, general := snowflake.ID(h.g.ID), snowflake.ID(h.channel("general"))

	ignored := h.say("member1", "off-topic", "ignored channel")
	h.edit(ignored, "ignored channel, edited")
	h.delete(ignored)
	inLog := h.say("mod", "mod-log", "in the log channel")
	h.edit(inLog, "in the log channel, edited")
	h.delete(inLog)
	// The bot's own message.
	own, err := h.m.host.REST().Messages.Send(ctx, general, discordMessage("the bot speaks"))
	if err != nil {
		t.Fatal(err)
	}
	// Another bot's and a webhook's.
	// Their IDs are older than the marker's below, as Discord's would be.
	other, hook := snowflake.New(time.Now().Add(-time.Second)), snowflake.New(time.Now().Add(-time.Second+time.Millisecond))
	publish(h, bot.TopicMessageCreated, bot.MessageCreated{ID: other, GuildID: guild, ChannelID: general,
		Author: bot.User{ID: 42, Username: "otherbot", Bot: true}, Origin: bot.Origin{FromBot: true}, Content: "beep"})
	publish(h, bot.TopicMessageCreated, bot.MessageCreated{ID: hook, GuildID: guild, ChannelID: general,
		Author: bot.User{ID: 43, Username: "hook"}, Origin: bot.Origin{FromWebhook: true}, Content: "hooked"})
	// Their creations go through another queue than their edit and
	// deletions, and their IDs are older than the bot's own message: an
	// edit or deletion handled first would find neither in the cache nor
	// wait for it (logs waits only for messages newer than the newest
	// created). Discord sends a channel's messages in order; wait here.
	h.waitFor("the other bot's and the webhook's messages cached", func() bool {
		_, a := h.m.messages.lookup(other, time.Now())
		_, b := h.m.messages.lookup(hook, time.Now())
		return a && b
	})
	publish(h, bot.TopicMessageEdited, bot.MessageEdited{ID: other, GuildID: guild, ChannelID: general,
		Author: bot.User{ID: 42, Username: "otherbot", Bot: true}, Origin: bot.Origin{FromBot: true}, Content: "boop", EditedAt: time.Now()})
	if err := h.m.host.REST().Messages.Delete(ctx, general, own.ID, ""); err != nil {
		t.Fatal(err)
	}
	for _, id := range []snowflake.ID{other, hook} {
		publish(h, bot.TopicMessageDeleted, bot.MessageDeleted{ID: id, GuildID: guild, ChannelID: general})
	}
	// The marker goes through the same queues after all of the above.
	marker := h.say("member2", "general", "marker")
	h.edit(marker, "marker, edited")
	h.delete(marker)
	got := h.waitLog("[Message edited]", "[Message deleted]", "marker, edited")
	if n, m := strings.Count(got, "[Message edited]"), strings.Count(got, "[Message deleted]"); n != 1 || m != 1 {
		t.Errorf("#mod-log shows %d edits and %d deletions:\n%s\nwant only the marker's", n, m, got)
	}
	wantNoForbidden(t, h.Emulator)
}

func TestTheCacheKeepsAtMostCacheMessages(t *testing.T) {
	t.Parallel()
	h := start(t, setup{config: "cache_messages: 100"})
	var msgs []discordtest.Message
	for i := range 105 {
		msgs = append(msgs, h.say("member1", "general", "message "+string(rune('a'+i%26))+strings.Repeat("!", i/26)))
	}
	h.waitFor("the last message cached", func() bool {
		_, ok := h.m.messages.lookup(snowflake.ID(msgs[104].ID), time.Now())
		return ok
	})
	if got := h.m.Stats().CachedMessages; got != 100 {
		t.Errorf("the cache holds %d messages; want 100", got)
	}
	h.delete(msgs[0])
	h.waitLog("newer messages pushed it out of the cache, which keeps the last 100")
	h.delete(msgs[104])
	h.waitLog("message a!!!!")
}

func TestPersonalDataIsExportedAndErased(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	ctx := context.Background()
	member1 := snowflake.ID(h.id("member1"))
	mine := h.say("member1", "general", "my words")
	h.say("member1", "off-topic", "more of mine")
	theirs := h.say("member2", "general", "their words")
	nick := h.Emulator.UpdateMember(h.g.ID, h.id("member1"), "Secret", nil)
	if nick != nil {
		t.Fatal(nick)
	}
	h.waitCached(3)
	h.waitFor("member1's state", func() bool { return h.m.Stats().CachedMembers >= 1 })

	exp, err := h.m.ExportUser(ctx, member1)
	if err != nil {
		t.Fatal(err)
	}
	e := exp.(Export)
	if len(e.Messages) != 2 || e.Messages[0].Content != "my words" || len(e.Members) != 1 || e.Members[0].Nickname != "Secret" {
		t.Errorf("member1's export: %+v; want their 2 messages and their nickname", e)
	}
	if err := h.m.DeleteUser(ctx, member1); err != nil {
		t.Fatal(err)
	}
	exp, _ = h.m.ExportUser(ctx, member1)
	if e := exp.(Export); len(e.Messages) != 0 || len(e.Members) != 0 {
		t.Errorf("member1's export after erasure: %+v; want nothing", e)
	}
	h.delete(mine)
	h.delete(theirs)
	got := h.waitLog("their words", "Not in cache")
	if strings.Contains(got, "my words") {
		t.Errorf("#mod-log shows an erased message:\n%s", got)
	}
}

func TestDeleteGuildForgetsItsCache(t *testing.T) {
	t.Parallel()
	h := start(t, setup{})
	h.say("member1", "general", "one")
	h.say("member2", "general", "two")
	h.waitCached(2)
	if err := h.m.DeleteGuild(context.Background(), snowflake.ID(h.g.ID)); err != nil {
		t.Fatal(err)
	}
	if got := h.m.Stats().CachedMessages; got != 0 {
		t.Errorf("after DeleteGuild the cache holds %d messages; want 0", got)
	}
}

var storeActor = store.Actor{Reason: "test"}

func discordMessage(text string) discord.MessageCreate { return discord.MessageCreate{Content: text} }
