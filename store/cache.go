package store

import (
	"fmt"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

// Cache is the in-memory cache in front of the store: ristretto with a
// memory budget. Values carry the cost the caller gives them (about
// their size in bytes). Set is asynchronous (ristretto's design): a
// value may become visible a moment later, and never if ristretto's
// admission policy declines it; Wait blocks until pending sets are
// applied. Callers invalidate on every write with Del.
//
// This is the seam the host hands to modules; read-through helpers with
// versioned entries build on it.
type Cache struct {
	r *ristretto.Cache[string, any]
}

// NewCache returns a Cache holding about maxBytes of values.
func NewCache(maxBytes int64) (*Cache, error) {
	if maxBytes < 1 {
		return nil, fmt.Errorf("store: cache budget %d bytes: want at least 1", maxBytes)
	}
	// ristretto's guidance: ten counters per item expected to be held;
	// items average a few hundred bytes here.
	counters := max(maxBytes/100, 1000)
	r, err := ristretto.NewCache(&ristretto.Config[string, any]{
		NumCounters: counters, MaxCost: maxBytes, BufferItems: 64, Metrics: true,
	})
	if err != nil {
		return nil, fmt.Errorf("store: cache: %w", err)
	}
	return &Cache{r: r}, nil
}

// Get returns a cached value.
func (c *Cache) Get(key string) (any, bool) { return c.r.Get(key) }

// Set caches a value for ttl (0: until evicted) at the given cost.
func (c *Cache) Set(key string, v any, cost int64, ttl time.Duration) {
	c.r.SetWithTTL(key, v, cost, ttl)
}

// Del removes a key.
func (c *Cache) Del(key string) { c.r.Del(key) }

// Wait blocks until every Set so far is applied.
func (c *Cache) Wait() { c.r.Wait() }

// Stats reports hits, misses and evictions so far.
func (c *Cache) Stats() (hits, misses, evictions uint64) {
	m := c.r.Metrics
	return m.Hits(), m.Misses(), m.KeysEvicted()
}

// Close stops the cache's goroutines.
func (c *Cache) Close() { c.r.Close() }
