package audit

import (
	"context"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bottest"
	"github.com/hearthbot/hearth/store"
)

// BenchmarkRecord measures actions recorded per second from Host.Record,
// through the bus and the write-behind batcher, into SQLite in a
// temporary file: the time runs until every row is committed.
func BenchmarkRecord(b *testing.B) {
	for _, bc := range []struct {
		name       string
		publishers int
	}{{"publishers=1", 1}, {"publishers=8", 8}} {
		b.Run(bc.name, func(b *testing.B) {
			m, p := New(), &probe{}
			h := bottest.New(b, []bot.Module{m, p}, bottest.WithLogger(zap.NewNop()))
			guild := snowflake.ID(h.Guild().ID)
			ctx := context.Background()
			a := bot.Action{GuildID: guild, Kind: "automod.delete", ActorID: 0, TargetID: 123456789012345678,
				Reason: "spam: 5 messages in 3 s", Details: map[string]string{"rule": "spam", "channel": "general"}}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			done := make(chan struct{})
			for w := range bc.publishers {
				go func() {
					defer func() { done <- struct{}{} }()
					for i := w; i < b.N; i += bc.publishers {
						a := a
						a.Case = int64(i)
						if err := p.host.Record(ctx, a); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			for range bc.publishers {
				<-done
			}
			for {
				if err := m.flush(ctx); err != nil {
					b.Fatal(err)
				}
				if s := batchStats(m); s.Flushed+s.Failed >= uint64(b.N) {
					if s.Failed > 0 {
						b.Fatalf("batcher %+v; want no failed rows", s)
					}
					break
				}
				time.Sleep(time.Millisecond)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "rows/s")
		})
	}
}

// batchStats returns the batcher's counters; zero before the first
// entry.
func batchStats(m *Module) store.BatcherStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.batch == nil {
		return store.BatcherStats{}
	}
	return m.batch.Stats()
}
