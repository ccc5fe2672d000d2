package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearthbot/hearth/store"
)

// benchSettings is a settings section of a realistic size.
type benchSettings struct {
	Prefix      string   `json:"prefix"`
	LogChannel  uint64   `json:"log_channel,string"`
	MaxWarnings int      `json:"max_warnings"`
	Words       []string `json:"words"`
	DMOnAction  bool     `json:"dm_on_action"`
}

const benchGuilds = 1000

// openBench opens a store with benchGuilds guilds' settings saved.
func openBench(b *testing.B, cached bool) (*store.Store, *store.Settings[benchSettings]) {
	b.Helper()
	var opts []store.Option
	if cached {
		opts = append(opts, store.WithCache(newCache(b)))
	}
	s, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "hearth.db"), opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	set := store.NewSettings(s, "bench", func() benchSettings { return benchSettings{Prefix: "!", MaxWarnings: 3} }, nil)
	for g := range uint64(benchGuilds) {
		v := benchSettings{Prefix: "?", LogChannel: 1<<60 + g, MaxWarnings: 5, Words: []string{"spam", "scam", "free nitro"}}
		if _, err := set.Put(context.Background(), g, v, store.Actor{}); err != nil {
			b.Fatal(err)
		}
	}
	return s, set
}

// BenchmarkSettingsRead reads guild settings from every core at once:
// through the cache, and straight from SQLite (query and JSON decode).
func BenchmarkSettingsRead(b *testing.B) {
	for _, tt := range []struct {
		name   string
		cached bool
	}{{"cached", true}, {"uncached", false}} {
		b.Run(tt.name, func(b *testing.B) {
			s, set := openBench(b, tt.cached)
			ctx := context.Background()
			// Warm the cache, so the benchmark measures hits.
			for g := range uint64(benchGuilds) {
				if _, err := set.Get(ctx, g); err != nil {
					b.Fatal(err)
				}
			}
			s.Cache().Wait()
			var next atomic.Uint64
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				g := next.Add(7919)
				for pb.Next() {
					g++
					if _, err := set.Get(ctx, g%benchGuilds); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reads/s")
		})
	}
}

// BenchmarkWriteRows writes rows one transaction each, and through a
// write-behind Batcher (rows are counted once committed: the timer stops
// after the final flush).
func BenchmarkWriteRows(b *testing.B) {
	b.Run("single-row", func(b *testing.B) {
		s := openTest(b)
		createXP(b, s)
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		for i := range b.N {
			err := s.Write(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx,
					`INSERT INTO demo_xp (user_id, xp) VALUES (?, 1) ON CONFLICT (user_id) DO UPDATE SET xp = xp + 1`,
					i%10_000)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
	})
	b.Run("write-behind", func(b *testing.B) {
		s := openTest(b)
		createXP(b, s)
		bt, err := store.NewBatcher(s, store.BatcherConfig{Name: "bench", Interval: 100 * time.Millisecond, MaxRows: 1000}, flushXP)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		for i := range b.N {
			for !bt.Add(xpRow{user: uint64(i % 10_000), xp: 1}) {
				runtime.Gosched() // the queue is full: wait for the flusher
			}
		}
		if err := bt.Stop(context.Background()); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		st := bt.Stats()
		if st.Flushed != uint64(b.N) {
			b.Fatalf("flushed %d rows; want %d", st.Flushed, b.N)
		}
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "rows/s")
		// Add outruns the flusher: the loop above retries refused rows
		// (counted as Dropped by the batcher); report them per row.
		b.ReportMetric(float64(st.Dropped)/float64(b.N), "retries/row")
	})
}

// BenchmarkReadLatencyUnderWriteLoad reads one row by key, uncached,
// while another goroutine keeps the writer busy with transactions of 100
// rows, and reports the read latency percentiles.
func BenchmarkReadLatencyUnderWriteLoad(b *testing.B) {
	s := openTest(b)
	createXP(b, s)
	ctx := context.Background()
	if err := s.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO demo_xp (user_id, xp) VALUES (42, 1)`)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	stop := make(chan struct{})
	var (
		wg     sync.WaitGroup
		writes atomic.Int64
	)
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			err := s.Write(ctx, func(tx *sql.Tx) error {
				for j := range 100 {
					if _, err := tx.ExecContext(ctx,
						`INSERT INTO demo_xp (user_id, xp) VALUES (?, 1) ON CONFLICT (user_id) DO UPDATE SET xp = xp + 1`,
						1000+(i*100+j)%50_000); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Error(err)
				return
			}
			writes.Add(1)
		}
	})
	// Let the writer get going.
	for writes.Load() < 10 {
		time.Sleep(time.Millisecond)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	w0 := writes.Load()
	for range b.N {
		t0 := time.Now()
		var xp int64
		if err := s.DB().QueryRowContext(ctx, `SELECT xp FROM demo_xp WHERE user_id = ?`, 42).Scan(&xp); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	elapsed := time.Since(start)
	w1 := writes.Load()
	b.StopTimer()
	close(stop)
	wg.Wait()
	slices.Sort(lat)
	µs := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	pct := func(p float64) float64 { return µs(lat[min(len(lat)-1, int(p*float64(len(lat))))]) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(pct(0.999), "p99.9-µs")
	b.ReportMetric(µs(lat[len(lat)-1]), "max-µs")
	over := len(lat) - sort.Search(len(lat), func(i int) bool { return lat[i] > time.Millisecond })
	b.ReportMetric(float64(over), "reads>1ms")
	b.ReportMetric(float64(w1-w0)*100/elapsed.Seconds(), "rows-written/s")
}
