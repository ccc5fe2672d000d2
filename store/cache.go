package store

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

// Cache is the in-memory cache in front of the store: ristretto with a
// memory budget, plus the versioning that keeps what [ReadThrough] returns
// no older than the last committed write (see the package documentation,
// "The cache").
//
// Get, Set and Del are ristretto's operations as they are. Values carry
// the cost the caller gives them (about their size in bytes). Set is
// asynchronous: a value may become visible a moment later, and never if
// ristretto's admission policy declines it; Wait blocks until pending
// sets are applied. They know nothing of writes to the database: a Set
// racing a Del can pin an old value until its TTL. For data backed by the
// database, read with [ReadThrough] and write with [Cache.Invalidate] (or
// [Store.WriteInvalidate]), which close that window.
//
// A nil *Cache is valid and caches nothing: ReadThrough loads every time
// and Invalidate only runs the write.
type Cache struct {
	r       *ristretto.Cache[string, any]
	seed    maphash.Seed
	stripes *[numStripes]stripe
	stale   atomic.Uint64
}

// numStripes is how many version counters the keys share. Two keys on one
// stripe invalidate each other's entries (a spurious miss, never a stale
// read); 4096 keeps that rare for the keys written at any one time, in
// 64 KiB.
const numStripes = 4096

// stripe is the version of the keys that hash to it: writers counts the
// writes in progress, version counts every start and end of one. A cached
// entry remembers the version it was loaded under and is served only
// while no write is in progress and the version has not moved.
type stripe struct {
	writers atomic.Int64
	version atomic.Uint64
}

// entry is a value cached by ReadThrough, with the version of its stripe
// read before the value was loaded.
type entry struct {
	v       any
	version uint64
}

// entryOverhead is about what ristretto and an entry cost beyond the
// value, in bytes.
const entryOverhead = 96

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
	return &Cache{r: r, seed: maphash.MakeSeed(), stripes: new([numStripes]stripe)}, nil
}

// Get returns a cached value.
func (c *Cache) Get(key string) (any, bool) {
	if c == nil {
		return nil, false
	}
	return c.r.Get(key)
}

// Set caches a value for ttl (0: until evicted) at the given cost.
func (c *Cache) Set(key string, v any, cost int64, ttl time.Duration) {
	if c == nil {
		return
	}
	c.r.SetWithTTL(key, v, cost, ttl)
}

// Del removes a key.
func (c *Cache) Del(key string) {
	if c == nil {
		return
	}
	c.r.Del(key)
}

// Wait blocks until every Set so far is applied.
func (c *Cache) Wait() {
	if c == nil {
		return
	}
	c.r.Wait()
}

// CacheMetrics are a cache's counters since it was created.
type CacheMetrics struct {
	// Hits and Misses count look-ups (Get and ReadThrough). A ReadThrough
	// that found an entry older than a write is a miss, and also counted
	// in Stale.
	Hits, Misses uint64
	// Stale counts entries found but refused because a write to their
	// key started after they were loaded.
	Stale uint64
	// Evictions counts entries the admission policy pushed out to make
	// room.
	Evictions uint64
	// SetsDropped counts sets lost because ristretto's buffers were full;
	// SetsRejected those its admission policy declined.
	SetsDropped, SetsRejected uint64
	// CostAdded and CostEvicted are the sums of the costs of the entries
	// added and evicted, about bytes.
	CostAdded, CostEvicted uint64
}

// Metrics reports the cache's counters. A nil Cache reports zeros.
func (c *Cache) Metrics() CacheMetrics {
	if c == nil {
		return CacheMetrics{}
	}
	m := c.r.Metrics
	stale := c.stale.Load()
	hits := m.Hits()
	return CacheMetrics{
		Hits:         hits - min(stale, hits),
		Misses:       m.Misses() + stale,
		Stale:        stale,
		Evictions:    m.KeysEvicted(),
		SetsDropped:  m.SetsDropped(),
		SetsRejected: m.SetsRejected(),
		CostAdded:    m.CostAdded(),
		CostEvicted:  m.CostEvicted(),
	}
}

// Close stops the cache's goroutines. Afterwards the cache holds nothing:
// ReadThrough loads every time, and Invalidate still keeps its promise.
func (c *Cache) Close() {
	if c == nil {
		return
	}
	c.r.Close()
}

// stripe returns the version counters of key.
func (c *Cache) stripe(key string) *stripe {
	return &c.stripes[maphash.String(c.seed, key)%numStripes]
}

// Invalidate runs write, the write to the database of data cached under
// keys, so that no ReadThrough returns a value older than it: from before
// write starts until after it returns, ReadThrough of those keys reads the
// database and caches nothing, and every entry cached before is refused
// afterwards (and deleted). write is usually a [Store.Write]; Invalidate
// returns its error. Called with a write that does nothing, after a commit
// made elsewhere, it invalidates only: entries cached before it returns
// are never served again, but a ReadThrough between that commit and the
// call may still have returned the old value.
func (c *Cache) Invalidate(keys []string, write func() error) error {
	if c == nil {
		return write()
	}
	stripes := make([]*stripe, len(keys))
	for i, k := range keys {
		st := c.stripe(k)
		stripes[i] = st
		st.writers.Add(1)
		st.version.Add(1)
	}
	defer func() {
		for _, st := range stripes {
			st.version.Add(1)
			st.writers.Add(-1)
		}
		for _, k := range keys {
			c.r.Del(k)
		}
	}()
	return write()
}

// ReadThrough returns the value cached under key by an earlier
// ReadThrough, or, when there is none or it is older than a write to key
// made through [Cache.Invalidate], loads it with load, caches it for ttl
// (0: until evicted) and returns it. An error from load is returned as is
// and nothing is cached. A value is cached at the cost the value reports
// with a CacheCost() int64 method, or its length for a string or []byte,
// or 64 bytes, plus the key and about 100 bytes of overhead.
//
// The value returned may be shared with other callers: treat what it
// points to (slices, maps, pointers) as read-only. To cache "not found",
// make T say so (a bool or a pointer) rather than returning an error.
//
// The guarantee: a ReadThrough that starts after an Invalidate returned
// (whose write committed) returns a value loaded after that commit.
func ReadThrough[T any](ctx context.Context, c *Cache, key string, ttl time.Duration, load func(context.Context) (T, error)) (T, error) {
	return readThrough(ctx, c, key, ttl, 0, load)
}

// readThrough is ReadThrough with a cost: 0 to estimate it.
func readThrough[T any](ctx context.Context, c *Cache, key string, ttl time.Duration, cost int64, load func(context.Context) (T, error)) (T, error) {
	if c == nil {
		return load(ctx)
	}
	st := c.stripe(key)
	// The version first, then the writers (see Invalidate, which moves
	// them in the other order): a version read while no write was in
	// progress is one no write has passed yet.
	version := st.version.Load()
	quiet := st.writers.Load() == 0
	if quiet {
		if raw, ok := c.r.Get(key); ok {
			if e, ok := raw.(*entry); ok && e.version == version {
				if v, ok := e.v.(T); ok {
					return v, nil
				}
			}
			c.stale.Add(1)
		}
	}
	v, err := load(ctx)
	if err != nil || !quiet {
		return v, err
	}
	if cost <= 0 {
		cost = costOf(v)
	}
	c.r.SetWithTTL(key, &entry{v: v, version: version}, cost+int64(len(key))+entryOverhead, ttl)
	return v, nil
}

// costOf estimates the bytes a value holds.
func costOf(v any) int64 {
	switch v := v.(type) {
	case interface{ CacheCost() int64 }:
		return v.CacheCost()
	case string:
		return int64(len(v))
	case []byte:
		return int64(len(v))
	}
	return 64
}
