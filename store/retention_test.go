package store_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/hearthbot/hearth/store"
)

func TestRetentionDeletesExpiredRowsBoundedPerRun(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := openTest(t, store.WithClock(func() time.Time { return now }))
	err := s.Write(t.Context(), func(tx *sql.Tx) error {
		for _, q := range []string{
			`CREATE TABLE demo_events (id INTEGER PRIMARY KEY, at INTEGER NOT NULL)`,
			`CREATE INDEX demo_events_at ON demo_events (at)`,
			`CREATE TABLE demo_seen (guild_id INTEGER, user_id INTEGER, seen_at INTEGER NOT NULL,
				PRIMARY KEY (guild_id, user_id)) WITHOUT ROWID`,
		} {
			if _, err := tx.Exec(q); err != nil {
				return err
			}
		}
		// 2500 events a day old or more, 100 fresh; in seconds.
		for i := range 2600 {
			age := 25 * time.Hour
			if i >= 2500 {
				age = time.Minute
			}
			if _, err := tx.Exec(`INSERT INTO demo_events (at) VALUES (?)`, now.Add(-age).Unix()); err != nil {
				return err
			}
		}
		// 30 members seen more than 90 days ago, 20 recently; in ms.
		for i := range 50 {
			age := 91 * 24 * time.Hour
			if i >= 30 {
				age = time.Hour
			}
			if _, err := tx.Exec(`INSERT INTO demo_seen VALUES (?, ?, ?)`, i%3, i, now.Add(-age).UnixMilli()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &store.Retention{Store: s, MaxPerRun: 2000, Rules: []store.Expiry{
		{Module: "demo", Table: "demo_events", Column: "at", Unit: store.UnixSeconds, MaxAge: 24 * time.Hour},
		{Module: "demo", Table: "demo_seen", Column: "seen_at", MaxAge: 90 * 24 * time.Hour},
		{Module: "demo", Table: "demo_events", Column: "at", MaxAge: 0}, // off
		store.SettingsHistoryExpiry(365 * 24 * time.Hour),
	}}
	got, err := r.RunOnce(t.Context())
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	want := []store.Expired{
		{Module: "demo", Table: "demo_events", Deleted: 2000, More: true},
		{Module: "demo", Table: "demo_seen", Deleted: 30},
		{Module: "store", Table: "guild_settings_history"},
	}
	if len(got) != len(want) {
		t.Fatalf("first run: got %+v; want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("first run, rule %d: got %+v; want %+v", i, got[i], want[i])
		}
	}
	got, err = r.RunOnce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Deleted != 500 || got[0].More || got[1].Deleted != 0 {
		t.Errorf("second run: got %+v; want the 500 events left, then nothing", got)
	}
	count := func(table string) (n int) {
		if err := s.DB().QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count("demo_events"); n != 100 {
		t.Errorf("events left: got %d; want the 100 fresh ones", n)
	}
	if n := count("demo_seen"); n != 20 {
		t.Errorf("members left: got %d; want the 20 recent ones", n)
	}
}

func TestRetentionRejectsBadRules(t *testing.T) {
	s := openTest(t)
	if err := s.Write(t.Context(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`CREATE TABLE demo_t (at INTEGER)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		rule store.Expiry
		want string
	}{
		{store.Expiry{Module: "demo", Table: "demo_nope", Column: "at", MaxAge: time.Hour}, "no such table"},
		{store.Expiry{Module: "demo", Table: "demo_t", Column: "nope", MaxAge: time.Hour}, `no column "nope"`},
		{store.Expiry{Module: "other", Table: "demo_t", Column: "at", MaxAge: time.Hour}, "must be named other_"},
		{store.Expiry{Module: "demo", Table: "demo_t; DROP TABLE x", Column: "at", MaxAge: time.Hour}, "not a table or column name"},
		{store.Expiry{Module: "demo", Table: "demo_t", Column: "at", MaxAge: -time.Hour}, "negative max age"},
	} {
		r := &store.Retention{Store: s, Rules: []store.Expiry{tt.rule}}
		if _, err := r.RunOnce(t.Context()); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("RunOnce(%+v): got %v; want an error with %q", tt.rule, err, tt.want)
		}
		r.Every = time.Hour
		if err := r.Run(t.Context()); err == nil {
			t.Errorf("Run(%+v): got nil; want the same error at once", tt.rule)
		}
	}
}

func TestRetentionRunStopsWithItsContext(t *testing.T) {
	s := openTest(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	r := &store.Retention{Store: s, Every: time.Millisecond, Rules: []store.Expiry{store.SettingsHistoryExpiry(time.Hour)}}
	go func() { done <- r.Run(ctx) }()
	time.Sleep(5 * time.Millisecond) // a few runs
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: got %v; want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10 s of its context ending")
	}
}
