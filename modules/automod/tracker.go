package automod

import (
	"slices"
	"sync"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
)

// memberKey names a member: a user in a guild.
type memberKey struct{ guild, user snowflake.ID }

// seen is a recent message of a member.
type seen struct {
	id, channel snowflake.ID
	at          int64  // when it was sent, Unix nanoseconds
	hash        uint64 // its text's contentHash, 0 when not known
	queued      bool   // already queued for deletion
}

// member is what the module remembers of one member, in memory only:
// their recent messages (a ring the size the rules need), when each rule
// last acted on them, and their roles.
type member struct {
	key     memberKey
	ring    []seen
	next    int // where the next message goes
	last    [numRules]int64
	roles   []snowflake.ID
	rolesAt int64 // when roles were learnt (Unix nanoseconds); 0: unknown

	newer, older *member // the shard's recency list
}

// push adds a message to the ring, growing or shrinking the ring first
// when the rules want another size.
func (m *member) push(s seen, size int) {
	if len(m.ring) != size {
		grown := make([]seen, size)
		// Keep the newest entries, oldest first.
		n := min(len(m.ring), size)
		for i := range n {
			grown[n-1-i] = m.ring[(m.next-1-i+2*len(m.ring))%len(m.ring)]
		}
		m.ring, m.next = grown, n%size
	}
	m.ring[m.next] = s
	m.next = (m.next + 1) % size
}

// numShards splits the members over locks, so that guilds evaluate in
// parallel.
const numShards = 16

// tracker holds every member's state, bounded: each shard keeps at most
// its share of the bound and forgets the member it heard from least
// recently.
type tracker struct {
	shards [numShards]shard
}

type shard struct {
	mu      sync.Mutex
	members map[memberKey]*member
	newest  *member
	oldest  *member
	max     int
	lower   []byte   // scratch: the message text lower-cased
	_       [64]byte // keeps shards on cache lines of their own
}

func newTracker(maxMembers int) *tracker {
	t := &tracker{}
	per := max(maxMembers/numShards, 1)
	for i := range t.shards {
		t.shards[i].members = make(map[memberKey]*member)
		t.shards[i].max = per
	}
	return t
}

func (t *tracker) shard(k memberKey) *shard {
	h := (uint64(k.user) ^ uint64(k.guild)>>7) * 0x9E3779B97F4A7C15
	return &t.shards[h>>60]
}

// touch returns the member, created if new, as the most recent; the
// least recent is forgotten when the shard is full. Callers hold mu.
func (s *shard) touch(k memberKey) *member {
	m := s.members[k]
	if m == nil {
		m = &member{key: k}
		s.members[k] = m
		if len(s.members) > s.max {
			s.drop(s.oldest)
		}
	} else if s.newest == m {
		return m
	} else {
		s.unlink(m)
	}
	m.older = s.newest
	if s.newest != nil {
		s.newest.newer = m
	}
	s.newest = m
	if s.oldest == nil {
		s.oldest = m
	}
	return m
}

func (s *shard) unlink(m *member) {
	if m.newer != nil {
		m.newer.older = m.older
	} else {
		s.newest = m.older
	}
	if m.older != nil {
		m.older.newer = m.newer
	} else {
		s.oldest = m.newer
	}
	m.newer, m.older = nil, nil
}

func (s *shard) drop(m *member) {
	if m == nil {
		return
	}
	s.unlink(m)
	delete(s.members, m.key)
}

// msgRef is a message to delete.
type msgRef struct{ channel, id snowflake.ID }

// verdict is what the rules found in one message.
type verdict struct {
	matched uint8 // a bit per rule
	count   [numRules]int
	match   [numRules]string
	// deletes are the messages to delete for the rules that act (not dry
	// runs) and delete: the message, or for spam and duplicates every
	// message of the burst not queued already.
	deletes []msgRef
}

func (v *verdict) has(r rule) bool { return v.matched&(1<<r) != 0 }

func (v *verdict) set(r rule, n int, match string) {
	v.matched |= 1 << r
	v.count[r] = n
	v.match[r] = match
}

// evaluate runs the rules on a message of a guild member at time at and
// remembers it. It allocates only when a rule matches.
func (t *tracker) evaluate(r *rules, ev *bot.MessageCreated, at time.Time) verdict {
	var v verdict
	k := memberKey{ev.GuildID, ev.Author.ID}
	s := t.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.touch(k)

	var lowered []byte
	if r.content && ev.Content != "" {
		s.lower = lowerInto(s.lower, ev.Content)
		lowered = s.lower
	}
	now := at.UnixNano()
	self := -1 // the message's place in the ring
	if r.ring > 0 {
		var h uint64
		if r.act[ruleDuplicates].on && lowered != nil {
			h = contentHash(lowered)
		}
		m.push(seen{id: ev.ID, channel: ev.ChannelID, at: now, hash: h}, r.ring)
		self = (m.next - 1 + len(m.ring)) % len(m.ring)
		if r.act[ruleSpam].on {
			since := now - int64(r.spamWindow)
			n := 0
			for i := range m.ring {
				if e := &m.ring[i]; e.id != 0 && e.at > since {
					n++
				}
			}
			if n >= r.spamCount {
				v.set(ruleSpam, n, "")
				if r.deletes(ruleSpam) {
					v.deletes = queueRing(v.deletes, m.ring, func(e *seen) bool { return e.at > since })
				}
			}
		}
		if r.act[ruleDuplicates].on && h != 0 {
			since := now - int64(r.dupWindow)
			n := 0
			for i := range m.ring {
				if e := &m.ring[i]; e.hash == h && e.at > since {
					n++
				}
			}
			if n >= r.dupCount {
				v.set(ruleDuplicates, n, "")
				if r.deletes(ruleDuplicates) {
					v.deletes = queueRing(v.deletes, m.ring, func(e *seen) bool { return e.hash == h && e.at > since })
				}
			}
		}
	}
	if r.act[ruleMentions].on {
		if n := len(ev.Mentions) + len(ev.MentionRoles); n >= r.mentionCount {
			v.set(ruleMentions, n, "")
		}
	}
	if lowered != nil {
		if r.act[ruleInvites].on {
			if code, ok := findInvite(lowered, r.inviteAllowed); ok {
				v.set(ruleInvites, 1, "discord.gg/"+string(code))
			}
		}
		if r.act[ruleLinks].on {
			if host, ok := findLink(lowered, r.linkAllow, r.linkDeny); ok {
				v.set(ruleLinks, 1, string(host))
			}
		}
		if r.act[ruleWords].on {
			if i, ok := findWord(lowered, r.words); ok {
				v.set(ruleWords, 1, r.src.Words.List[i])
			} else if r.anyPatternMatches(ev.Content) {
				v.set(ruleWords, 1, r.whichPattern(ev.Content))
			}
		}
		if r.act[ruleCaps].on {
			letters, upper := capitals(ev.Content)
			if letters >= r.capsMinLetters && upper*100 > r.capsPercent*letters {
				// Rounded up: 12 capitals of 17 letters are over 70%,
				// and the reason must not say "70% capitals".
				v.set(ruleCaps, (upper*100+letters-1)/letters, "")
			}
		}
	}
	// The rules about this one message delete it alone.
	for ru := ruleMentions; ru < numRules; ru++ {
		if v.has(ru) && r.deletes(ru) {
			if self >= 0 {
				if m.ring[self].queued {
					break
				}
				m.ring[self].queued = true
			}
			v.deletes = append(v.deletes, msgRef{ev.ChannelID, ev.ID})
			break
		}
	}
	return v
}

// queueRing appends the ring's messages that pick selects and that are
// not queued yet, and marks them queued.
func queueRing(out []msgRef, ring []seen, pick func(*seen) bool) []msgRef {
	for i := range ring {
		if e := &ring[i]; e.id != 0 && !e.queued && pick(e) {
			e.queued = true
			out = append(out, msgRef{e.channel, e.id})
		}
	}
	return out
}

// deletes reports whether a rule, when it matches, deletes: it is on,
// not a dry run, and its action is not alert.
func (r *rules) deletes(ru rule) bool {
	a := r.act[ru]
	return a.on && !a.dryRun && a.kind.deletes()
}

func (r *rules) anyPatternMatches(content string) bool {
	if len(r.patterns) == 0 {
		return false
	}
	if r.anyPattern != nil {
		return r.anyPattern.MatchString(content)
	}
	for _, p := range r.patterns {
		if p.MatchString(content) {
			return true
		}
	}
	return false
}

// whichPattern names the first pattern content matches.
func (r *rules) whichPattern(content string) string {
	for i, p := range r.patterns {
		if p.MatchString(content) {
			return "pattern " + r.patternSrc[i]
		}
	}
	return "a pattern"
}

// claim reports whether rule ru may act on the member at time at: it has
// not acted on them within cooldown. A true answer starts the cooldown.
func (t *tracker) claim(k memberKey, ru rule, at time.Time, cooldown time.Duration) bool {
	s := t.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.touch(k)
	now := at.UnixNano()
	if last := m.last[ru]; last != 0 && now-last < int64(cooldown) && now >= last {
		return false
	}
	m.last[ru] = now
	return true
}

// roles returns the member's roles when learnt after since.
func (t *tracker) roles(k memberKey, since time.Time) ([]snowflake.ID, bool) {
	s := t.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.members[k]
	if m == nil || m.rolesAt == 0 || m.rolesAt < since.UnixNano() {
		return nil, false
	}
	return m.roles, true
}

// setRoles remembers a member's roles, learnt at time at.
func (t *tracker) setRoles(k memberKey, roles []snowflake.ID, at time.Time) {
	s := t.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.touch(k)
	m.roles, m.rolesAt = slices.Clone(roles), at.UnixNano()
}

// forget drops every member that pick selects.
func (t *tracker) forget(pick func(memberKey) bool) {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		for k, m := range s.members {
			if pick(k) {
				s.drop(m)
			}
		}
		s.mu.Unlock()
	}
}

// count returns how many members are remembered, and how many of them
// are user.
func (t *tracker) count(user snowflake.ID) (all, of int) {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		all += len(s.members)
		for k := range s.members {
			if k.user == user {
				of++
			}
		}
		s.mu.Unlock()
	}
	return all, of
}
