package moderation

import (
	"testing"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
)

func msg(channel, id, author snowflake.ID, content string) bot.MessageCreated {
	return bot.MessageCreated{GuildID: 1, ChannelID: channel, ID: id, Author: bot.User{ID: author}, Content: content}
}

func TestTheMessageIndexIsBounded(t *testing.T) {
	x := newMessageIndex(3, 2, true)
	for id := snowflake.ID(1); id <= 5; id++ {
		x.add(msg(10, id, 7, "hello"))
	}
	if got := x.pick(10, 100, 10, func(indexed) bool { return true }); len(got) != 3 || got[0].id != 5 || got[2].id != 3 {
		t.Errorf("channel 10: got %+v; want the newest 3, newest first", got)
	}
	x.add(msg(20, 6, 7, "x"))
	x.add(msg(10, 7, 7, "x")) // channel 10 is now the busier one
	x.add(msg(30, 8, 7, "x")) // a third channel: the quietest (20) goes
	if x.size(20) != 0 || x.size(10) != 3 || x.size(30) != 1 {
		t.Errorf("sizes 10, 20, 30: got %d, %d, %d; want 3, 0, 1", x.size(10), x.size(20), x.size(30))
	}
	dm := bot.MessageCreated{ChannelID: 2, ID: 10, Author: bot.User{ID: 7}}
	x.add(dm)
	if x.size(2) != 0 {
		t.Error("a DM was indexed; want guild messages only")
	}
}

func TestTheMessageIndexFollowsEditsDeletionsAndErasure(t *testing.T) {
	x := newMessageIndex(100, 10, true)
	x.add(msg(10, 1, 7, "Buy SPAM"))
	x.add(msg(10, 3, 8, "hello"))
	x.add(msg(10, 2, 7, "later")) // out of order: kept in ID order
	x.edit(bot.MessageEdited{ChannelID: 10, ID: 2, Content: "more spam"})
	spam := x.pick(10, 100, 10, func(m indexed) bool { return m.content == "more spam" || m.content == "buy spam" })
	if len(spam) != 2 || spam[0].id != 2 || spam[1].id != 1 {
		t.Errorf("got %+v; want messages 2 then 1, lower-cased, with the edit", spam)
	}
	x.add(msg(10, 3, 8, "again")) // a replay is not indexed twice
	x.remove(10, 3)
	if x.size(10) != 2 {
		t.Errorf("got %d messages; want 2 after the deletion", x.size(10))
	}
	x.forgetUser(7)
	if x.size(10) != 0 || x.countUser(7) != 0 {
		t.Errorf("got %d messages; want none after erasing user 7", x.size(10))
	}
	if got := x.pick(10, 2, 10, func(indexed) bool { return true }); len(got) != 0 {
		t.Errorf("got %+v; want nothing", got)
	}
}

func TestWithoutContentMatchingNoTextIsKept(t *testing.T) {
	x := newMessageIndex(100, 10, false)
	x.add(msg(10, 1, 7, "secret"))
	x.edit(bot.MessageEdited{ChannelID: 10, ID: 1, Content: "still secret"})
	if got := x.pick(10, 100, 1, func(indexed) bool { return true }); len(got) != 1 || got[0].content != "" {
		t.Errorf("got %+v; want the message without its text", got)
	}
}
