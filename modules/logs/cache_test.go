package logs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func msgAt(id snowflake.ID, author snowflake.ID) cachedMessage {
	return cachedMessage{id: id, guild: 1, channel: 2, author: author, content: fmt.Sprint("message ", id)}
}

func TestMessageCacheEvictsTheOldestPastItsCount(t *testing.T) {
	c := newMessageCache(3, time.Hour)
	for id := snowflake.ID(1); id <= 5; id++ {
		c.insert(msgAt(id, 9), t0)
	}
	for id, want := range map[snowflake.ID]bool{1: false, 2: false, 3: true, 4: true, 5: true} {
		if _, ok := c.lookup(id, t0); ok != want {
			t.Errorf("lookup(%d): got %v; want %v", id, ok, want)
		}
	}
	if live, pushed := c.size(); live != 3 || !pushed {
		t.Errorf("size: got %d, pushed %v; want 3, true", live, pushed)
	}
}

func TestMessageCacheForgetsWhatIsOlderThanItsAge(t *testing.T) {
	c := newMessageCache(100, time.Hour)
	c.insert(msgAt(1, 9), t0)
	c.insert(msgAt(2, 9), t0.Add(30*time.Minute))
	if _, ok := c.lookup(1, t0.Add(61*time.Minute)); ok {
		t.Error("a message 61 minutes old is still found; want it gone (age limit 1h)")
	}
	if _, ok := c.lookup(2, t0.Add(61*time.Minute)); !ok {
		t.Error("a message 31 minutes old is not found; want it kept")
	}
	c.sweep(t0.Add(2 * time.Hour))
	if live, _ := c.size(); live != 0 {
		t.Errorf("after a sweep past every message's age the cache holds %d; want 0", live)
	}
}

func TestMessageCacheEditRemoveAndErase(t *testing.T) {
	c := newMessageCache(10, time.Hour)
	c.insert(msgAt(1, 7), t0)
	c.insert(msgAt(2, 8), t0)
	c.insert(msgAt(3, 7), t0)
	if before, ok := c.edit(1, "new", t0, t0); !ok || before.content != "message 1" {
		t.Errorf("edit(1): got %+v, %v; want the old content", before, ok)
	}
	if m, ok := c.lookup(1, t0); !ok || m.content != "new" || !m.edited.Equal(t0) {
		t.Errorf("after the edit: got %+v, %v; want the new content", m, ok)
	}
	if _, ok := c.remove(2, t0); !ok {
		t.Error("remove(2): not found")
	}
	if _, ok := c.remove(2, t0); ok {
		t.Error("remove(2) twice: found again")
	}
	if n := c.dropWhere(func(m *cachedMessage) bool { return m.author == 7 }); n != 2 {
		t.Errorf("dropWhere(author 7): dropped %d; want 2", n)
	}
	if live, _ := c.size(); live != 0 {
		t.Errorf("the cache holds %d; want 0", live)
	}
	// Removed slots are reused as the ring turns.
	for id := snowflake.ID(10); id < 30; id++ {
		c.insert(msgAt(id, 7), t0)
	}
	if live, _ := c.size(); live != 10 {
		t.Errorf("after 20 more inserts the cache holds %d; want 10", live)
	}
}

func TestMessageCacheOfZeroHoldsNothing(t *testing.T) {
	c := newMessageCache(0, time.Hour)
	c.insert(msgAt(1, 7), t0)
	if _, ok := c.lookup(1, t0); ok {
		t.Error("a cache of 0 found a message")
	}
}

func TestMessageCacheAllocatesChunksLazily(t *testing.T) {
	c := newMessageCache(1_000_000, time.Hour)
	c.insert(msgAt(1, 7), t0)
	n := 0
	for _, ch := range c.chunks {
		if ch != nil {
			n++
		}
	}
	if n != 1 {
		t.Errorf("one message allocated %d chunks; want 1", n)
	}
}

func TestMembersStayRightWhenEventsArriveOutOfOrder(t *testing.T) {
	k := memberKey{1, 2}
	c := newMemberCache(10)
	// An update handled before its member's join keeps its newer state.
	c.updated(memberState{key: k, roles: []snowflake.ID{5}})
	c.joined(memberState{key: k})
	if old, known, _ := c.updated(memberState{key: k, roles: []snowflake.ID{5}}); !known || len(old.roles) != 1 {
		t.Errorf("after update, join: got %+v, known %v; want the update's roles kept", old, known)
	}
	// An update handled after the leave is ignored; a new join counts.
	if _, found := c.leave(k); !found {
		t.Error("leave: the member was not known")
	}
	if _, _, gone := c.updated(memberState{key: k, nick: "late"}); !gone {
		t.Error("an update after the leave was stored; want it ignored")
	}
	c.joined(memberState{key: k, nick: "back"})
	if old, known, gone := c.updated(memberState{key: k, nick: "again"}); !known || gone || old.nick != "back" {
		t.Errorf("after a new join: got %+v, known %v, gone %v; want the new membership", old, known, gone)
	}
}

func TestMemberCacheEvictsTheLeastRecentlySeen(t *testing.T) {
	c := newMemberCache(2)
	for u := snowflake.ID(1); u <= 3; u++ {
		c.joined(memberState{key: memberKey{1, u}})
	}
	if got := c.size(); got != 2 {
		t.Errorf("size: got %d; want 2", got)
	}
	if _, known, _ := c.updated(memberState{key: memberKey{1, 1}}); known {
		t.Error("member 1, the least recently seen, is still known")
	}
}

func TestLateEventsWaitForTheirMessage(t *testing.T) {
	l := newLateEvents(time.Minute)
	l.advance(10)
	if l.park(10, nil) {
		t.Error("park(10) after message 10 was handled: parked; want it to go on at once")
	}
	ran := 0
	if !l.park(12, func(_ context.Context) { ran++ }) {
		t.Fatal("park(12): not parked")
	}
	if ready := l.advance(11); len(ready) != 0 {
		t.Errorf("advance(11): %d ready; want 0", len(ready))
	}
	ready := l.advance(12)
	if len(ready) != 1 {
		t.Fatalf("advance(12): %d ready; want 1", len(ready))
	}
	ready[0].run(context.Background())
	l.park(20, func(_ context.Context) { ran++ })
	for _, p := range l.expired(time.Now().Add(2 * time.Minute)) {
		p.run(context.Background())
	}
	if ran != 2 {
		t.Errorf("ran %d late events; want 2", ran)
	}
}

func TestMissReasonSaysWhy(t *testing.T) {
	m := New()
	m.cfg = defaultConfig()
	m.messages = newMessageCache(100, 24*time.Hour)
	m.started = t0
	now := t0.Add(48 * time.Hour)
	tests := []struct {
		name string
		sent time.Time
		prep func()
		want string
	}{
		{"older than the age limit", now.Add(-25 * time.Hour), nil, "it is older than 1d, the longest the cache keeps messages"},
		{"before the start", t0.Add(-time.Minute), func() { m.cfg.CacheAge = 100 * time.Hour }, "it was sent before the bot started"},
		{"never seen", now.Add(-time.Minute), nil, "the bot did not see it sent (it was offline, or logging was off then)"},
		{"pushed out", now.Add(-time.Minute), func() {
			for id := snowflake.ID(1); id <= 101; id++ {
				m.messages.insert(msgAt(id, 7), now)
			}
		}, "newer messages pushed it out of the cache, which keeps the last 100"},
		{"no cache", now, func() { m.messages = newMessageCache(0, time.Hour) }, "the message cache is off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.prep != nil {
				tt.prep()
			}
			if got := m.missReason(snowflake.New(tt.sent), now); got != tt.want {
				t.Errorf("got %q; want %q", got, tt.want)
			}
		})
	}
}
