package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearthbot/hearth/store"
)

func TestSettingsDefaultsPutGetAndValidation(t *testing.T) {
	for _, cached := range []bool{false, true} {
		t.Run(map[bool]string{false: "uncached", true: "cached"}[cached], func(t *testing.T) {
			var opts []store.Option
			if cached {
				opts = append(opts, store.WithCache(newCache(t)))
			}
			s := openTest(t, opts...)
			set := newDemoSettings(s)
			const guild = 1<<63 + 5
			ctx := t.Context()

			got, err := set.Get(ctx, guild)
			if err != nil || got != (demoSettings{Prefix: "!", Limit: 10}) {
				t.Fatalf("Get with nothing stored: got %+v, %v; want the defaults", got, err)
			}
			if _, err := set.Put(ctx, guild, demoSettings{Prefix: "?", Limit: 0}, store.Actor{UserID: 7}); !errors.Is(err, store.ErrInvalidSettings) || !strings.Contains(err.Error(), "limit 0: want 1 to 1000") {
				t.Fatalf("Put invalid: got %v; want ErrInvalidSettings naming the rule", err)
			}
			ch, err := set.Put(ctx, guild, demoSettings{Prefix: "?", Limit: 50}, store.Actor{UserID: 7, Reason: "tune"})
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if ch.ID == 0 || ch.Old != nil || string(ch.New) != `{"prefix":"?","limit":50}` || ch.Actor.UserID != 7 || ch.GuildID != guild {
				t.Errorf("change: got %+v; want one from nothing to the new value by 7", ch)
			}
			if got, err := set.Get(ctx, guild); err != nil || got.Limit != 50 || got.Prefix != "?" {
				t.Errorf("Get after Put: got %+v, %v; want limit 50", got, err)
			}
			if ch, err := set.Put(ctx, guild, demoSettings{Prefix: "?", Limit: 50}, store.Actor{}); err != nil || ch.ID != 0 {
				t.Errorf("Put of the same value: got %+v, %v; want no change recorded", ch, err)
			}

			if _, _, err := set.PutJSON(ctx, guild, []byte(`{"limit": 5, "colour": "red"}`), store.Actor{}); !errors.Is(err, store.ErrInvalidSettings) || !strings.Contains(err.Error(), "colour") {
				t.Errorf("PutJSON with an unknown field: got %v; want ErrInvalidSettings naming it", err)
			}
			v, _, err := set.PutJSON(ctx, guild, []byte(`{"limit": 5}`), store.Actor{})
			if err != nil || v != (demoSettings{Prefix: "!", Limit: 5}) {
				t.Errorf("PutJSON of one field: got %+v, %v; want it over the defaults", v, err)
			}

			v, _, err = set.Update(ctx, guild, store.Actor{UserID: 8}, func(v *demoSettings) error { v.Limit *= 3; return nil })
			if err != nil || v.Limit != 15 {
				t.Errorf("Update: got %+v, %v; want limit 15", v, err)
			}
			boom := errors.New("boom")
			if _, _, err := set.Update(ctx, guild, store.Actor{}, func(*demoSettings) error { return boom }); err != boom {
				t.Errorf("Update whose function fails: got %v; want its error as is", err)
			}
			if got, _ := set.Get(ctx, guild); got.Limit != 15 {
				t.Errorf("Get after a failed Update: got %+v; want limit 15", got)
			}

			if _, err := set.Reset(ctx, guild, store.Actor{}); err != nil {
				t.Fatal(err)
			}
			if got, err := set.Get(ctx, guild); err != nil || got.Limit != 10 {
				t.Errorf("Get after Reset: got %+v, %v; want the defaults", got, err)
			}
			if _, err := s.GuildSettings(ctx, guild, "demo"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("GuildSettings after Reset: got %v; want ErrNotFound", err)
			}

			// A rule tightened after a value was saved: Get returns the
			// defaults and says why.
			if _, err := s.PutGuildSettings(ctx, guild, "demo", json.RawMessage(`{"limit": 5000}`), store.Actor{}); err != nil {
				t.Fatal(err)
			}
			got, err = set.Get(ctx, guild)
			if !errors.Is(err, store.ErrInvalidSettings) || got.Limit != 10 {
				t.Errorf("Get of a stored value that fails validation: got %+v, %v; want the defaults and ErrInvalidSettings", got, err)
			}
		})
	}
}

func TestSettingsHistoryRecordsEveryChangeAndReverts(t *testing.T) {
	clock := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := openTest(t, store.WithClock(func() time.Time { return clock }))
	set := newDemoSettings(s)
	ctx := t.Context()
	const guild = 42

	if _, err := set.Put(ctx, guild, demoSettings{Prefix: "a", Limit: 1}, store.Actor{UserID: 1}); err != nil {
		t.Fatal(err)
	}
	second, err := set.Put(ctx, guild, demoSettings{Prefix: "b", Limit: 2}, store.Actor{UserID: 2, Reason: "why not"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetModuleEnabledBy(ctx, guild, "demo", false, store.Actor{UserID: 3}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetModuleEnabled(ctx, guild, "other", true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetModuleEnabled(ctx, guild+1, "demo", false); err != nil { // another guild
		t.Fatal(err)
	}

	history, err := s.SettingsHistory(ctx, guild, "", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		module   string
		kind     store.ChangeKind
		old, new string
		actor    uint64
	}
	var got []row
	for _, ch := range history {
		got = append(got, row{ch.Module, ch.Kind, string(ch.Old), string(ch.New), ch.Actor.UserID})
		if !ch.At.Equal(clock) {
			t.Errorf("change %d at %v; want %v", ch.ID, ch.At, clock)
		}
	}
	want := []row{
		{"other", store.KindEnabled, "", "true", 0},
		{"demo", store.KindEnabled, "", "false", 3},
		{"demo", store.KindSettings, `{"prefix":"a","limit":1}`, `{"prefix":"b","limit":2}`, 2},
		{"demo", store.KindSettings, "", `{"prefix":"a","limit":1}`, 1},
	}
	if len(got) != len(want) {
		t.Fatalf("history: got %+v; want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("history[%d]: got %+v; want %+v", i, got[i], want[i])
		}
	}
	if history[2].Actor.Reason != "why not" {
		t.Errorf("reason: got %q; want why not", history[2].Actor.Reason)
	}
	page, err := s.SettingsHistory(ctx, guild, "demo", history[1].ID, 1)
	if err != nil || len(page) != 1 || page[0].ID != history[2].ID {
		t.Errorf("second page of one: got %+v, %v; want change %d", page, err, history[2].ID)
	}

	// Revert the second settings change and the switch.
	rev, err := s.RevertChange(ctx, second.ID, store.Actor{UserID: 9})
	if err != nil {
		t.Fatalf("RevertChange: %v", err)
	}
	if string(rev.New) != `{"prefix":"a","limit":1}` || rev.Actor.Reason == "" {
		t.Errorf("revert change: got %+v; want back to the first value, with a reason", rev)
	}
	if v, _ := set.Get(ctx, guild); v.Prefix != "a" {
		t.Errorf("settings after revert: got %+v; want prefix a", v)
	}
	if _, err := s.RevertChange(ctx, history[1].ID, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if on, _ := s.ModuleEnabled(ctx, guild, "demo"); !on {
		t.Errorf("module after reverting its switch: got off; want on (no switch stored)")
	}
	if _, err := s.RevertChange(ctx, 999_999, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevertChange of no change: got %v; want ErrNotFound", err)
	}
}

// Writers update guilds' settings and module switches while readers read
// them through the cache: a read that begins after a write returned sees
// it or something newer.
func TestCachedSettingsAreNeverOlderThanAnAcknowledgedWrite(t *testing.T) {
	s := openTest(t, store.WithCache(newCache(t)))
	type counter struct {
		N int64 `json:"n"`
	}
	set := store.NewSettings[counter](s, "demo", nil, nil)
	const guilds = 3
	var (
		acked   [guilds]atomic.Int64 // newest N whose Update returned
		switchN [guilds]atomic.Int64 // writes of the switch acknowledged: odd means off
		started [guilds]atomic.Int64 // writes of the switch started
		stop    atomic.Bool
		writers sync.WaitGroup
		readers sync.WaitGroup
	)
	for w := range 2 {
		writers.Go(func() {
			for i := 0; !stop.Load(); i++ {
				g := (w + i) % guilds
				v, _, err := set.Update(context.Background(), uint64(g), store.Actor{}, func(v *counter) error {
					v.N++
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				for {
					cur := acked[g].Load()
					if cur >= v.N || acked[g].CompareAndSwap(cur, v.N) {
						break
					}
				}
			}
		})
	}
	// One writer flips the switches, so that its count says the state.
	writers.Go(func() {
		for i := 0; !stop.Load(); i++ {
			g := i % guilds
			n := switchN[g].Load() + 1
			started[g].Store(n)
			if err := s.SetModuleEnabled(context.Background(), uint64(g), "demo", n%2 == 0); err != nil {
				t.Error(err)
				return
			}
			switchN[g].Store(n)
			time.Sleep(100 * time.Microsecond)
		}
	})
	for r := range 8 {
		readers.Go(func() {
			for i := range 400 {
				g := (r + i) % guilds
				floor := acked[g].Load()
				v, err := set.Get(context.Background(), uint64(g))
				if err != nil {
					t.Error(err)
					return
				}
				if v.N < floor {
					t.Errorf("guild %d: read n=%d; want at least %d, acknowledged before the read", g, v.N, floor)
					return
				}
				// With no switch write started since write n returned,
				// the switch is as write n left it.
				n := switchN[g].Load()
				on, err := s.ModuleEnabled(context.Background(), uint64(g), "demo")
				if err != nil {
					t.Error(err)
					return
				}
				if started[g].Load() == n && on != (n%2 == 0) {
					t.Errorf("guild %d: switch read %v after write %d returned; want %v", g, on, n, n%2 == 0)
					return
				}
			}
		})
	}
	readers.Wait()
	stop.Store(true)
	writers.Wait()
	m := s.Cache().Metrics()
	t.Logf("cache: %d hits, %d misses, %d stale", m.Hits, m.Misses, m.Stale)
}
