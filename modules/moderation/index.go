package moderation

import (
	"slices"
	"strings"
	"sync"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
)

// maxIndexedChannels bounds how many channels the message index keeps;
// past it, the channel quiet for longest is forgotten.
const maxIndexedChannels = 1000

// maxIndexedContent bounds the text kept of one message.
const maxIndexedContent = 2000

// indexed is a message /purge may delete.
type indexed struct {
	id, author snowflake.ID
	// content is lower-cased, and kept only with content matching.
	content string
}

type channelIndex struct {
	msgs []indexed // oldest first
}

// messageIndex remembers the recent messages of each channel, from the
// gateway, so /purge knows what to delete: the host's REST interface
// cannot list a channel's messages. It is bounded (messages per channel,
// channels) and holds personal data only in memory; DeleteUser clears a
// person's entries.
type messageIndex struct {
	mu          sync.Mutex
	perChannel  int
	maxChannels int
	keepContent bool
	channels    map[snowflake.ID]*channelIndex
}

func newMessageIndex(perChannel, maxChannels int, keepContent bool) *messageIndex {
	return &messageIndex{perChannel: perChannel, maxChannels: maxChannels, keepContent: keepContent,
		channels: map[snowflake.ID]*channelIndex{}}
}

// add remembers a guild message.
func (x *messageIndex) add(e bot.MessageCreated) {
	if e.GuildID == 0 {
		return
	}
	msg := indexed{id: e.ID, author: e.Author.ID}
	if x.keepContent {
		msg.content = strings.ToLower(clip(e.Content, maxIndexedContent))
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	ch := x.channels[e.ChannelID]
	if ch == nil {
		if len(x.channels) >= x.maxChannels {
			x.evictQuietest()
		}
		ch = &channelIndex{}
		x.channels[e.ChannelID] = ch
	}
	i, found := slices.BinarySearchFunc(ch.msgs, e.ID, func(m indexed, id snowflake.ID) int { return compareIDs(m.id, id) })
	if found {
		return
	}
	ch.msgs = slices.Insert(ch.msgs, i, msg)
	if over := len(ch.msgs) - x.perChannel; over > 0 {
		ch.msgs = slices.Delete(ch.msgs, 0, over)
	}
}

func compareIDs(a, b snowflake.ID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// evictQuietest forgets the channel whose newest message is oldest.
func (x *messageIndex) evictQuietest() {
	var quietest snowflake.ID
	var newest snowflake.ID = 1<<64 - 1
	for id, ch := range x.channels {
		last := snowflake.ID(0)
		if n := len(ch.msgs); n > 0 {
			last = ch.msgs[n-1].id
		}
		if last <= newest {
			quietest, newest = id, last
		}
	}
	delete(x.channels, quietest)
}

// edit updates the text of a remembered message.
func (x *messageIndex) edit(e bot.MessageEdited) {
	if !x.keepContent {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	ch := x.channels[e.ChannelID]
	if ch == nil {
		return
	}
	if i, ok := slices.BinarySearchFunc(ch.msgs, e.ID, func(m indexed, id snowflake.ID) int { return compareIDs(m.id, id) }); ok {
		ch.msgs[i].content = strings.ToLower(clip(e.Content, maxIndexedContent))
	}
}

// remove forgets deleted messages.
func (x *messageIndex) remove(channel snowflake.ID, ids ...snowflake.ID) {
	x.mu.Lock()
	defer x.mu.Unlock()
	ch := x.channels[channel]
	if ch == nil {
		return
	}
	ch.msgs = slices.DeleteFunc(ch.msgs, func(m indexed) bool { return slices.Contains(ids, m.id) })
}

// forgetUser forgets every message of a user.
func (x *messageIndex) forgetUser(user snowflake.ID) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, ch := range x.channels {
		ch.msgs = slices.DeleteFunc(ch.msgs, func(m indexed) bool { return m.author == user })
	}
}

// pick returns, newest first, up to count messages of a channel older
// than before that match.
func (x *messageIndex) pick(channel, before snowflake.ID, count int, match func(indexed) bool) []indexed {
	x.mu.Lock()
	defer x.mu.Unlock()
	ch := x.channels[channel]
	if ch == nil {
		return nil
	}
	var out []indexed
	for i := len(ch.msgs) - 1; i >= 0 && len(out) < count; i-- {
		if m := ch.msgs[i]; m.id < before && match(m) {
			out = append(out, m)
		}
	}
	return out
}

// size is how many messages of a channel are remembered.
func (x *messageIndex) size(channel snowflake.ID) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	if ch := x.channels[channel]; ch != nil {
		return len(ch.msgs)
	}
	return 0
}

// countUser is how many messages of a user are remembered.
func (x *messageIndex) countUser(user snowflake.ID) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	n := 0
	for _, ch := range x.channels {
		for _, m := range ch.msgs {
			if m.author == user {
				n++
			}
		}
	}
	return n
}
