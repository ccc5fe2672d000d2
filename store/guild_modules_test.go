package store_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/hearthbot/hearth/store"
)

// bigGuild is a guild ID above 2^63, stored as a negative INTEGER.
const bigGuild uint64 = 1<<63 + 123_456_789

func TestModuleEnabled(t *testing.T) {
	s := openTest(t)
	const guild uint64 = 81384788765712384
	steps := []struct {
		name   string
		guild  uint64
		module string
		set    *bool // nil: only read
		want   bool
	}{
		{name: "on by default", guild: guild, module: "moderation", want: true},
		{name: "set false", guild: guild, module: "moderation", set: new(false), want: false},
		{name: "other module unaffected", guild: guild, module: "automod", want: true},
		{name: "other guild unaffected", guild: guild + 1, module: "moderation", want: true},
		{name: "set true", guild: guild, module: "moderation", set: new(true), want: true},
		{name: "guild above 2^63 on by default", guild: bigGuild, module: "moderation", want: true},
		{name: "guild above 2^63 set false", guild: bigGuild, module: "moderation", set: new(false), want: false},
		// 2^63 + n and n share their low 63 bits; they must not collide.
		{name: "guild sharing the low bits unaffected", guild: bigGuild - 1<<63, module: "moderation", want: true},
		{name: "max uint64 set false", guild: ^uint64(0), module: "moderation", set: new(false), want: false},
		{name: "guild above 2^63 still false", guild: bigGuild, module: "moderation", want: false},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.set != nil {
				if err := s.SetModuleEnabled(t.Context(), st.guild, st.module, *st.set); err != nil {
					t.Fatalf("SetModuleEnabled(%d, %q, %v): %v", st.guild, st.module, *st.set, err)
				}
			}
			got, err := s.ModuleEnabled(t.Context(), st.guild, st.module)
			if err != nil {
				t.Fatalf("ModuleEnabled(%d, %q): %v", st.guild, st.module, err)
			}
			if got != st.want {
				t.Errorf("ModuleEnabled(%d, %q): got %v; want %v", st.guild, st.module, got, st.want)
			}
		})
	}
}

func TestGuildIDAbove2To63IsStoredAsItsSignedBits(t *testing.T) {
	s := openTest(t)
	if err := s.SetModuleEnabled(t.Context(), bigGuild, "core", false); err != nil {
		t.Fatalf("SetModuleEnabled: %v", err)
	}
	var raw int64
	if err := s.DB().QueryRowContext(t.Context(), `SELECT guild_id FROM guild_modules`).Scan(&raw); err != nil {
		t.Fatalf("read guild_id: %v", err)
	}
	id := bigGuild
	if want := int64(id); raw != want { // the same 64 bits, read as signed
		t.Errorf("stored guild_id: got %d; want %d", raw, want)
	}
	var back store.Snowflake
	if err := s.DB().QueryRowContext(t.Context(), `SELECT guild_id FROM guild_modules`).Scan(&back); err != nil {
		t.Fatalf("scan guild_id into Snowflake: %v", err)
	}
	if uint64(back) != bigGuild {
		t.Errorf("guild_id read back: got %d; want %d", uint64(back), bigGuild)
	}
}

func TestModuleEnabledRejectsEmptyModule(t *testing.T) {
	s := openTest(t)
	if _, err := s.ModuleEnabled(t.Context(), 1, ""); err == nil {
		t.Errorf("ModuleEnabled with empty module: got nil; want an error")
	}
	if err := s.SetModuleEnabled(t.Context(), 1, "", true); err == nil {
		t.Errorf("SetModuleEnabled with empty module: got nil; want an error")
	}
}

func TestModuleSwitchesUnderConcurrency(t *testing.T) {
	s := openTest(t)
	const (
		goroutines = 32
		rounds     = 25
	)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			// Four guilds and three modules, so that writers collide on rows.
			for r := range rounds {
				guild := uint64(g%4) + 1<<63
				module := fmt.Sprintf("m%d", r%3)
				if err := s.SetModuleEnabled(t.Context(), guild, module, (g+r)%2 == 0); err != nil {
					reportConcurrent(t, "SetModuleEnabled", err)
					return
				}
				if _, err := s.ModuleEnabled(t.Context(), guild, module); err != nil {
					reportConcurrent(t, "ModuleEnabled", err)
					return
				}
			}
		})
	}
	wg.Wait()

	// Every writer is done: a final write per row is what reads return.
	for guild := range uint64(4) {
		for m := range 3 {
			module := fmt.Sprintf("m%d", m)
			if err := s.SetModuleEnabled(t.Context(), guild+1<<63, module, false); err != nil {
				t.Fatalf("SetModuleEnabled: %v", err)
			}
			got, err := s.ModuleEnabled(t.Context(), guild+1<<63, module)
			if err != nil || got {
				t.Errorf("ModuleEnabled(%d, %q): got %v, %v; want false, nil", guild+1<<63, module, got, err)
			}
		}
	}
}

func reportConcurrent(t *testing.T, op string, err error) {
	if strings.Contains(err.Error(), "database is locked") {
		t.Errorf("%s: got %v; want no \"database is locked\" error", op, err)
		return
	}
	t.Errorf("%s: got %v; want nil", op, err)
}

func BenchmarkModuleEnabled(b *testing.B) {
	for _, cached := range []bool{false, true} {
		b.Run(map[bool]string{false: "uncached", true: "cached"}[cached], func(b *testing.B) {
			var opts []store.Option
			if cached {
				opts = append(opts, store.WithCache(newCache(b)))
			}
			s := openTest(b, opts...)
			if err := s.SetModuleEnabled(b.Context(), 42, "moderation", false); err != nil {
				b.Fatalf("SetModuleEnabled: %v", err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.ModuleEnabled(b.Context(), 42, "moderation"); err != nil {
					b.Fatalf("ModuleEnabled: %v", err)
				}
			}
		})
	}
}

func BenchmarkSetModuleEnabled(b *testing.B) {
	s, err := store.Open(b.Context(), b.TempDir()+"/hearth.db")
	if err != nil {
		b.Fatalf("Open: %v", err)
	}
	defer s.Close()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := s.SetModuleEnabled(b.Context(), 42, "moderation", i%2 == 0); err != nil {
			b.Fatalf("SetModuleEnabled: %v", err)
		}
	}
}
