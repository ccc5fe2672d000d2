package logs

import (
	"container/list"
	"slices"
	"sync"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
)

// memberKey names a member of a guild.
type memberKey struct{ guild, user snowflake.ID }

// memberState is the last nickname and roles seen of a member.
type memberState struct {
	key    memberKey
	name   string // display name
	nick   string
	roles  []snowflake.ID
	joined time.Time
	// left marks a member who left: what arrives about them afterwards
	// is older than their leaving (see memberCache).
	left bool
}

// memberCache remembers the last state seen of the most recently seen
// members, at most max, evicting the least recently seen: a bus event
// says what a member is now, not what changed, so a change is the
// difference with what this cache holds. It holds personal data, in
// memory only. Safe for concurrent use.
//
// Joins, updates and leaves reach the module through three bus queues,
// each with its own goroutine, so they can be handled out of order. The
// cache keeps the newest state all the same: a join does not replace the
// state an update stored (updates come after the join), and a member who
// left stays as a marker without nickname nor roles, so that an update
// handled after the leave is ignored rather than stored.
type memberCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *memberState, most recent first
	index map[memberKey]*list.Element
}

func newMemberCache(limit int) *memberCache {
	return &memberCache{max: max(limit, 1), order: list.New(), index: map[memberKey]*list.Element{}}
}

// stateOf builds a member's state from an event's member.
func stateOf(guild snowflake.ID, m bot.Member) memberState {
	return memberState{key: memberKey{guild, m.User.ID}, name: displayName(m.User), nick: m.Nick,
		roles: slices.Clone(m.Roles), joined: m.JoinedAt}
}

// joined stores the state of a member who joined, unless an update of
// this membership was stored already.
func (c *memberCache) joined(s memberState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, found := c.index[s.key]; found {
		if prev := el.Value.(*memberState); prev.left {
			*prev = s // joined again
		}
		c.order.MoveToFront(el)
		return
	}
	c.push(s)
}

// updated stores a member's new state and returns the one it replaces;
// known is false when the member was not known. An update of a member
// who left is ignored: gone is true.
func (c *memberCache) updated(s memberState) (old memberState, known, gone bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, found := c.index[s.key]
	if !found {
		c.push(s)
		return memberState{}, false, false
	}
	prev := el.Value.(*memberState)
	if prev.left {
		return memberState{}, false, true
	}
	old = *prev
	if s.joined.IsZero() {
		s.joined = prev.joined
	}
	*prev = s
	c.order.MoveToFront(el)
	return old, true, false
}

// leave marks a member as gone and returns what was known of them.
func (c *memberCache) leave(k memberKey) (memberState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, found := c.index[k]
	if !found {
		c.push(memberState{key: k, left: true})
		return memberState{}, false
	}
	prev := el.Value.(*memberState)
	old := *prev
	*prev = memberState{key: k, left: true}
	c.order.MoveToFront(el)
	return old, !old.left
}

// push adds a state, evicting the least recently seen when full.
// Callers hold mu.
func (c *memberCache) push(s memberState) {
	if c.order.Len() >= c.max {
		last := c.order.Back()
		delete(c.index, last.Value.(*memberState).key)
		c.order.Remove(last)
	}
	c.index[s.key] = c.order.PushFront(&s)
}

// dropWhere forgets the members match says to and returns them.
func (c *memberCache) dropWhere(match func(memberKey) bool) []memberState {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []memberState
	for k, el := range c.index {
		if match(k) {
			out = append(out, *el.Value.(*memberState))
			delete(c.index, k)
			c.order.Remove(el)
		}
	}
	return out
}

// collect returns the states of present members match says to.
func (c *memberCache) collect(match func(memberKey) bool) []memberState {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []memberState
	for k, el := range c.index {
		if match(k) && !el.Value.(*memberState).left {
			out = append(out, *el.Value.(*memberState))
		}
	}
	return out
}

// size is how many members are remembered.
func (c *memberCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
