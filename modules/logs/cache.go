package logs

import (
	"sync"
	"time"

	"github.com/disgoorg/snowflake/v2"
)

// cachedMessage is what the cache keeps of a message: enough to show
// what an edit replaced or a deletion removed, nothing more.
type cachedMessage struct {
	id, guild, channel, author snowflake.ID
	name                       string // the author's display name
	content                    string
	attachments                int
	stored                     time.Time // when it was cached: the age limit counts from here
	edited                     time.Time // the last edit seen
	// automated marks a message of a bot, a webhook or the bot itself:
	// remembered (ID and channel only) so that its deletion is not logged.
	automated bool
	live      bool
}

// chunkSize is how many slots the cache allocates at a time, so a large
// bound costs memory only once messages fill it.
const chunkSize = 1024

// messageCache holds the most recent messages, at most max and none
// older than age: a ring buffer in insertion order with an index by ID,
// so insert, lookup and removal are O(1) and the oldest is evicted
// first. It is safe for concurrent use. It holds personal data, in
// memory only; dropWhere erases a person's or a guild's messages.
type messageCache struct {
	mu     sync.Mutex
	max    int
	age    time.Duration
	chunks [][]cachedMessage
	first  uint64 // sequence number of the oldest slot held
	next   uint64 // sequence number of the next insert
	index  map[snowflake.ID]uint64
	live   int  // live messages held
	pushed bool // a live message was evicted for room, not for age
}

func newMessageCache(limit int, age time.Duration) *messageCache {
	limit = max(limit, 0)
	return &messageCache{max: limit, age: age, chunks: make([][]cachedMessage, (limit+chunkSize-1)/chunkSize),
		index: make(map[snowflake.ID]uint64, min(limit, chunkSize))}
}

// slot returns the slot of a sequence number, allocating its chunk the
// first time. Callers hold mu.
func (c *messageCache) slot(seq uint64) *cachedMessage {
	i := int(seq % uint64(c.max))
	ch := c.chunks[i/chunkSize]
	if ch == nil {
		ch = make([]cachedMessage, min(chunkSize, c.max-i/chunkSize*chunkSize))
		c.chunks[i/chunkSize] = ch
	}
	return &ch[i%chunkSize]
}

// insert caches a message (stored is set to now). A message cached
// already is left as it is.
func (c *messageCache) insert(m cachedMessage, now time.Time) {
	if c.max == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if _, ok := c.index[m.id]; ok {
		return
	}
	if c.next-c.first == uint64(c.max) {
		if old := c.slot(c.first); old.live {
			c.pushed = c.pushed || !old.automated
			c.kill(old)
		}
		c.first++
	}
	m.stored, m.live = now, true
	*c.slot(c.next) = m
	c.index[m.id] = c.next
	c.next++
	c.live++
}

// kill forgets a live slot. Callers hold mu.
func (c *messageCache) kill(s *cachedMessage) {
	delete(c.index, s.id)
	*s = cachedMessage{}
	c.live--
}

// expire evicts, oldest first, the messages older than the age limit
// and the slots of removed messages. Callers hold mu.
func (c *messageCache) expire(now time.Time) {
	cutoff := now.Add(-c.age)
	for c.first < c.next {
		s := c.slot(c.first)
		if s.live && !s.stored.Before(cutoff) {
			return
		}
		if s.live {
			c.kill(s)
		}
		c.first++
	}
}

// find returns the slot of a live message younger than the age limit.
// Callers hold mu.
func (c *messageCache) find(id snowflake.ID, now time.Time) *cachedMessage {
	seq, ok := c.index[id]
	if !ok {
		return nil
	}
	s := c.slot(seq)
	if !s.live || s.id != id || s.stored.Before(now.Add(-c.age)) {
		return nil
	}
	return s
}

// lookup returns a cached message.
func (c *messageCache) lookup(id snowflake.ID, now time.Time) (cachedMessage, bool) {
	if c.max == 0 {
		return cachedMessage{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.find(id, now); s != nil {
		return *s, true
	}
	return cachedMessage{}, false
}

// edit records an edit of a cached message and returns the message as
// it was before; ok is false when it is not cached.
func (c *messageCache) edit(id snowflake.ID, content string, edited, now time.Time) (before cachedMessage, ok bool) {
	if c.max == 0 {
		return cachedMessage{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.find(id, now)
	if s == nil {
		return cachedMessage{}, false
	}
	before = *s
	s.content, s.edited = content, edited
	return before, true
}

// remove forgets a message and returns it; ok is false when it was not
// cached.
func (c *messageCache) remove(id snowflake.ID, now time.Time) (cachedMessage, bool) {
	if c.max == 0 {
		return cachedMessage{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.find(id, now)
	if s == nil {
		return cachedMessage{}, false
	}
	m := *s
	c.kill(s)
	return m, true
}

// sweep evicts what is older than the age limit, so a quiet cache does
// not keep messages past their retention.
func (c *messageCache) sweep(now time.Time) {
	if c.max == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
}

// dropWhere forgets every message that match says to, and returns how
// many it forgot. It scans the whole cache: for erasure, not hot paths.
func (c *messageCache) dropWhere(match func(*cachedMessage) bool) int {
	if c.max == 0 {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for seq := c.first; seq < c.next; seq++ {
		if s := c.slot(seq); s.live && match(s) {
			c.kill(s)
			n++
		}
	}
	return n
}

// collect returns, oldest first, the live messages younger than the age
// limit that match says to.
func (c *messageCache) collect(now time.Time, match func(*cachedMessage) bool) []cachedMessage {
	if c.max == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	var out []cachedMessage
	for seq := c.first; seq < c.next; seq++ {
		if s := c.slot(seq); s.live && match(s) {
			out = append(out, *s)
		}
	}
	return out
}

// size returns how many messages are held, and whether a message was
// ever evicted for room.
func (c *messageCache) size() (live int, pushed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live, c.pushed
}
