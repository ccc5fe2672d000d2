package ratelimit

import (
	"sync"
	"time"
)

// Cooldowns allows one use per key per period, in bounded memory: it
// holds at most max keys and forgets expired ones first, then the
// oldest. Safe for concurrent use.
type Cooldowns struct {
	mu    sync.Mutex
	max   int
	until map[string]time.Time
}

// NewCooldowns returns Cooldowns holding at most max keys (max ≥ 1).
func NewCooldowns(max int) *Cooldowns {
	if max < 1 {
		max = 1
	}
	return &Cooldowns{max: max, until: map[string]time.Time{}}
}

// Allow reports whether key may be used at now. When it may, the key
// cools down for period from now; when not, wait says for how long.
func (c *Cooldowns) Allow(key string, period time.Duration, now time.Time) (ok bool, wait time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, found := c.until[key]; found && now.Before(t) {
		return false, t.Sub(now)
	}
	if len(c.until) >= c.max {
		c.evict(now)
	}
	c.until[key] = now.Add(period)
	return true, 0
}

// Len returns how many keys are held.
func (c *Cooldowns) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.until)
}

// evict drops every expired key; if none expired it drops the key that
// expires first, which is the one whose cooldown matters least.
func (c *Cooldowns) evict(now time.Time) {
	var oldestKey string
	var oldest time.Time
	for k, t := range c.until {
		if !now.Before(t) {
			delete(c.until, k)
			continue
		}
		if oldestKey == "" || t.Before(oldest) {
			oldestKey, oldest = k, t
		}
	}
	if len(c.until) >= c.max && oldestKey != "" {
		delete(c.until, oldestKey)
	}
}
