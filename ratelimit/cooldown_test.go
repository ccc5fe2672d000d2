package ratelimit

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestCooldownAllowsOneUsePerPeriod(t *testing.T) {
	c := NewCooldowns(10)
	steps := []struct {
		at   time.Duration
		ok   bool
		wait time.Duration
	}{
		{0, true, 0},
		{time.Second, false, 2 * time.Second},
		{3 * time.Second, true, 0},
	}
	for i, s := range steps {
		ok, wait := c.Allow("u1", 3*time.Second, t0.Add(s.at))
		if ok != s.ok || wait != s.wait {
			t.Errorf("step %d: got %v %v; want %v %v", i, ok, wait, s.ok, s.wait)
		}
	}
	if ok, _ := c.Allow("u2", 3*time.Second, t0.Add(time.Second)); !ok {
		t.Error("another key: got refused; want allowed")
	}
}

func TestCooldownsStayWithinTheirBound(t *testing.T) {
	c := NewCooldowns(100)
	for i := 0; i < 1000; i++ {
		c.Allow(fmt.Sprint("user", i), time.Hour, t0.Add(time.Duration(i)*time.Millisecond))
	}
	if n := c.Len(); n > 100 {
		t.Fatalf("got %d keys; want at most 100", n)
	}
	if ok, _ := c.Allow("user999", time.Hour, t0.Add(time.Second)); ok {
		t.Fatal("the newest key lost its cooldown; want the oldest evicted first")
	}
}

func TestCooldownsConcurrentUseGrantsOnce(t *testing.T) {
	c := NewCooldowns(10)
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _ := c.Allow("same", time.Minute, t0); ok {
				mu.Lock()
				granted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if granted != 1 {
		t.Fatalf("got %d grants; want 1", granted)
	}
}
