package store

import (
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
	if hits, misses, _ := c.Stats(); hits != 1 || misses != 1 {
		t.Fatalf("got %d hits, %d misses; want 1 and 1", hits, misses)
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
