package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestCacheSetGetDelAndStats(t *testing.T) {
	c, err := NewCache(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Set("guild:1:settings", "on", 10, time.Minute)
	c.Wait()
	if v, ok := c.Get("guild:1:settings"); !ok || v != "on" {
		t.Fatalf("got %v, %v; want on", v, ok)
	}
	c.Del("guild:1:settings")
	if _, ok := c.Get("guild:1:settings"); ok {
		t.Fatal("got a deleted value")
	}
	if m := c.Metrics(); m.Hits != 1 || m.Misses != 1 {
		t.Fatalf("got %d hits, %d misses; want 1 and 1", m.Hits, m.Misses)
	}
}

func TestCacheTTLExpires(t *testing.T) {
	c, _ := NewCache(1 << 20)
	defer c.Close()
	c.Set("k", 1, 1, 10*time.Millisecond)
	c.Wait()
	deadline := time.Now().Add(3 * time.Second)
	for {
		if _, ok := c.Get("k"); !ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the value outlived its TTL by seconds")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCacheRefusesAZeroBudget(t *testing.T) {
	if _, err := NewCache(0); err == nil {
		t.Fatal("got no error; want the budget refused")
	}
}

func newTestCache(t testing.TB) *Cache {
	t.Helper()
	c, err := NewCache(8 << 20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// The window the issue describes: a reader misses, reads the old value,
// a writer commits and invalidates, and only then does the reader's
// asynchronous Set land. With a plain Del the old value would stay until
// its TTL; the version makes the next ReadThrough refuse it.
func TestReadThroughRefusesAValueLoadedBeforeAWrite(t *testing.T) {
	c := newTestCache(t)
	var db atomic.Int64 // the database: one value
	db.Store(1)
	loadNow := func(context.Context) (int64, error) { return db.Load(), nil }

	loaded, proceed := make(chan struct{}), make(chan struct{})
	first := make(chan int64)
	go func() {
		v, _ := ReadThrough(context.Background(), c, "k", 0, func(context.Context) (int64, error) {
			v := db.Load()
			close(loaded)
			<-proceed
			return v, nil
		})
		first <- v
	}()
	<-loaded
	if err := c.Invalidate([]string{"k"}, func() error { db.Store(2); return nil }); err != nil {
		t.Fatal(err)
	}
	close(proceed)
	if v := <-first; v != 1 {
		t.Fatalf("the read that overlapped the write: got %d; want 1", v)
	}
	c.Wait() // the old value's Set has landed
	if raw, ok := c.Get("k"); !ok || raw.(*entry).v != int64(1) {
		t.Fatalf("cache holds %v, %v; want the old value pinned, as a plain Del would leave it", raw, ok)
	}
	v, err := ReadThrough(context.Background(), c, "k", 0, loadNow)
	if err != nil || v != 2 {
		t.Fatalf("ReadThrough after the write: got %d, %v; want 2", v, err)
	}
	if m := c.Metrics(); m.Stale != 1 {
		t.Errorf("Stale: got %d; want 1", m.Stale)
	}
	c.Wait()
	// And the fresh value is served from memory from then on.
	v, err = ReadThrough(context.Background(), c, "k", 0, func(context.Context) (int64, error) {
		return 0, errors.New("loaded again; want a hit")
	})
	if err != nil || v != 2 {
		t.Fatalf("ReadThrough once cached: got %d, %v; want 2 from the cache", v, err)
	}
}

func TestReadThroughDuringAWriteReadsTheDatabaseAndCachesNothing(t *testing.T) {
	c := newTestCache(t)
	var db atomic.Int64
	loads := 0
	load := func(context.Context) (int64, error) { loads++; return db.Load(), nil }
	if _, err := ReadThrough(context.Background(), c, "k", 0, load); err != nil {
		t.Fatal(err)
	}
	c.Wait()
	err := c.Invalidate([]string{"k"}, func() error {
		db.Store(7) // committed, Invalidate not returned yet
		for range 3 {
			v, err := ReadThrough(context.Background(), c, "k", 0, load)
			if err != nil || v != 7 {
				return fmt.Errorf("ReadThrough during the write: got %d, %v; want 7 from the database", v, err)
			}
			c.Wait()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if loads != 4 {
		t.Errorf("loads: got %d; want 4 (one before, three during the write)", loads)
	}
}

func TestReadThroughNeverReturnsAValueOlderThanAnAcknowledgedWrite(t *testing.T) {
	c := newTestCache(t)
	const keys = 4
	var (
		db      [keys]atomic.Int64 // the database
		acked   [keys]atomic.Int64 // the newest value whose write returned
		stop    atomic.Bool
		writers sync.WaitGroup
		readers sync.WaitGroup
	)
	name := func(k int) string { return "counter/" + strconv.Itoa(k) }
	for w := range 2 {
		writers.Go(func() {
			for i := 0; !stop.Load(); i++ {
				k := (w + i) % keys
				var v int64
				_ = c.Invalidate([]string{name(k)}, func() error { v = db[k].Add(1); return nil })
				for {
					cur := acked[k].Load()
					if cur >= v || acked[k].CompareAndSwap(cur, v) {
						break
					}
				}
				time.Sleep(50 * time.Microsecond) // let reads hit between writes
			}
		})
	}
	for r := range 16 {
		readers.Go(func() {
			for i := range 2000 {
				k := (r + i) % keys
				floor := acked[k].Load()
				v, err := ReadThrough(context.Background(), c, name(k), time.Minute, func(context.Context) (int64, error) {
					return db[k].Load(), nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				if v < floor {
					t.Errorf("key %d: got %d; want at least %d, acknowledged before the read began", k, v, floor)
					return
				}
			}
		})
	}
	readers.Wait()
	stop.Store(true)
	writers.Wait()
	m := c.Metrics()
	t.Logf("hits %d, misses %d, stale %d", m.Hits, m.Misses, m.Stale)
	if m.Hits == 0 {
		t.Errorf("hits: got 0; want some: the cache served nothing")
	}
}

func TestNilCacheLoadsEveryTime(t *testing.T) {
	var c *Cache
	n := 0
	for range 3 {
		if _, err := ReadThrough(context.Background(), c, "k", 0, func(context.Context) (int, error) { n++; return n, nil }); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Invalidate([]string{"k"}, func() error { n = 100; return nil }); err != nil || n != 100 {
		t.Fatalf("Invalidate on nil: got %d, %v; want the write run", n, err)
	}
	if m := c.Metrics(); m != (CacheMetrics{}) {
		t.Errorf("Metrics of nil: got %+v; want zeros", m)
	}
}

func TestCacheCountsEvictions(t *testing.T) {
	c, err := NewCache(4 << 10)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 2000 {
		key := "k" + strconv.Itoa(i)
		// Read each key twice so that the admission policy sees it as hot.
		for range 2 {
			if _, err := ReadThrough(context.Background(), c, key, 0, func(context.Context) (string, error) {
				return strings.Repeat("v", 200), nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		c.Wait()
	}
	if m := c.Metrics(); m.Evictions == 0 || m.CostAdded == 0 {
		t.Errorf("Metrics after overfilling: got %+v; want evictions and cost", m)
	}
}
