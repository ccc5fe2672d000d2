package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hearthbot/hearth/store"
)

// xpRow is a high-rate counter increment.
type xpRow struct {
	user uint64
	xp   int64
}

func createXP(t testing.TB, s *store.Store) {
	t.Helper()
	err := s.Write(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(`CREATE TABLE demo_xp (user_id INTEGER PRIMARY KEY, xp INTEGER NOT NULL) STRICT`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// flushXP upserts rows, summing them, through one prepared statement.
func flushXP(ctx context.Context, tx *sql.Tx, rows []xpRow) error {
	stmt, err := tx.PrepareContext(ctx,
		`INSERT INTO demo_xp (user_id, xp) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET xp = xp + excluded.xp`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, store.Snowflake(r.user), r.xp); err != nil {
			return err
		}
	}
	return nil
}

func totalXP(t testing.TB, db *sql.DB) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(`SELECT coalesce(sum(xp), 0) FROM demo_xp`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBatcherFlushesWhenFullAndOnInterval(t *testing.T) {
	s := openTest(t)
	createXP(t, s)
	b, err := store.NewBatcher(s, store.BatcherConfig{Name: "demo.xp", Interval: time.Hour, MaxRows: 100}, flushXP)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 250 {
		if !b.Add(xpRow{user: uint64(i % 10), xp: 1}) {
			t.Fatalf("Add %d: refused", i)
		}
	}
	// 200 rows reached MaxRows and are flushed without waiting the hour.
	waitFor(t, "the full batches to be flushed", func() bool { return b.Stats().Flushed >= 200 })
	if err := b.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := totalXP(t, s.DB()); got != 250 {
		t.Errorf("xp after Flush: got %d; want 250", got)
	}

	ticking, err := store.NewBatcher(s, store.BatcherConfig{Name: "demo.tick", Interval: 5 * time.Millisecond}, flushXP)
	if err != nil {
		t.Fatal(err)
	}
	ticking.Add(xpRow{user: 1, xp: 5})
	waitFor(t, "the interval flush", func() bool { return ticking.Stats().Flushed == 1 })
	if got := totalXP(t, s.DB()); got != 255 {
		t.Errorf("xp after the interval: got %d; want 255", got)
	}
}

func TestBatcherFlushesOnStopAndOnStoreClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hearth.db")
	s, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	createXP(t, s)
	cfg := store.BatcherConfig{Name: "demo.xp", Interval: time.Hour, MaxRows: 1000}
	stopped, err := store.NewBatcher(s, cfg, flushXP)
	if err != nil {
		t.Fatal(err)
	}
	closed, err := store.NewBatcher(s, cfg, flushXP)
	if err != nil {
		t.Fatal(err)
	}
	for range 300 {
		stopped.Add(xpRow{user: 1, xp: 1})
		closed.Add(xpRow{user: 2, xp: 2})
	}
	if err := stopped.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if stopped.Add(xpRow{user: 1, xp: 1}) {
		t.Error("Add after Stop: got true; want the row refused")
	}
	if st := stopped.Stats(); st.Flushed != 300 || st.Dropped != 1 || st.Pending != 0 {
		t.Errorf("stats after Stop: got %+v; want 300 flushed, 1 dropped", st)
	}
	// The other is still running: Close flushes it before closing.
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if st := closed.Stats(); st.Flushed != 300 {
		t.Errorf("stats after Close: got %+v; want 300 flushed", st)
	}
	if err := closed.Stop(t.Context()); err != nil {
		t.Errorf("Stop after Close: got %v; want nil", err)
	}
	if _, err := store.NewBatcher(s, cfg, flushXP); !errors.Is(err, store.ErrClosed) {
		t.Errorf("NewBatcher after Close: got %v; want ErrClosed", err)
	}

	s, err = store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := totalXP(t, s.DB()); got != 300+600 {
		t.Errorf("xp after reopening: got %d; want 900", got)
	}
}

func TestBatcherCountsRowsDroppedWhenTheQueueIsFull(t *testing.T) {
	s := openTest(t)
	createXP(t, s)
	inFlush, release := make(chan struct{}), make(chan struct{})
	first := true
	slow := func(ctx context.Context, tx *sql.Tx, rows []xpRow) error {
		if first {
			first = false
			close(inFlush)
			<-release
		}
		return flushXP(ctx, tx, rows)
	}
	b, err := store.NewBatcher(s, store.BatcherConfig{Name: "demo.xp", Interval: time.Hour, MaxRows: 10, MaxQueue: 50}, slow)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		b.Add(xpRow{user: 1, xp: 1}) // the tenth triggers a flush, which blocks
	}
	<-inFlush
	accepted := 0
	for range 80 {
		if b.Add(xpRow{user: 1, xp: 1}) {
			accepted++
		}
	}
	if accepted != 50 {
		t.Errorf("accepted while the flush was blocked: got %d; want 50 (the queue)", accepted)
	}
	close(release)
	if err := b.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	st := b.Stats()
	if st.Added != 60 || st.Dropped != 30 || st.Flushed != 60 || st.Failed != 0 {
		t.Errorf("stats: got %+v; want 60 added and flushed, 30 dropped", st)
	}
	if got := totalXP(t, s.DB()); got != 60 {
		t.Errorf("xp: got %d; want 60, every accepted row", got)
	}
}

func TestBatcherCountsRowsOfAFailedFlush(t *testing.T) {
	s := openTest(t)
	createXP(t, s)
	bad := func(ctx context.Context, tx *sql.Tx, rows []xpRow) error {
		if err := flushXP(ctx, tx, rows); err != nil {
			return err
		}
		return errors.New("disk on fire")
	}
	b, err := store.NewBatcher(s, store.BatcherConfig{Name: "demo.xp", Interval: time.Hour, MaxRows: 4}, bad)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		b.Add(xpRow{user: 1, xp: 1})
	}
	if err := b.Flush(t.Context()); err == nil {
		t.Fatal("Flush: got nil; want the flush's error")
	}
	if st := b.Stats(); st.Failed != 3 || st.Flushed != 0 {
		t.Errorf("stats: got %+v; want 3 failed", st)
	}
	if got := totalXP(t, s.DB()); got != 0 {
		t.Errorf("xp: got %d; want 0 (the failed transaction rolled back)", got)
	}
}

func TestNewBatcherRejectsBadConfig(t *testing.T) {
	s := openTest(t)
	for _, cfg := range []store.BatcherConfig{
		{MaxRows: 100, MaxQueue: 10},
		{Interval: -time.Second},
	} {
		if _, err := store.NewBatcher(s, cfg, flushXP); err == nil {
			t.Errorf("NewBatcher(%+v): got nil; want an error", cfg)
		}
	}
	if _, err := store.NewBatcher[xpRow](s, store.BatcherConfig{}, nil); err == nil {
		t.Error("NewBatcher with a nil flush: got nil; want an error")
	}
}
