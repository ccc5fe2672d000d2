package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// The defaults of BatcherConfig.
const (
	DefaultBatchInterval = 200 * time.Millisecond
	DefaultBatchRows     = 1000
	DefaultBatchQueue    = 100_000
)

// BatcherConfig configures a [Batcher].
type BatcherConfig struct {
	// Name names the batcher in errors and logs, such as "xp.levels".
	Name string
	// Interval is how often queued rows are flushed (default
	// [DefaultBatchInterval]): the most a hard crash can lose, in time.
	Interval time.Duration
	// MaxRows is how many rows go in one transaction at most, and how
	// many queued rows trigger a flush before Interval is up (default
	// [DefaultBatchRows]).
	MaxRows int
	// MaxQueue is how many rows may wait for a flush (default
	// [DefaultBatchQueue]); Add drops, and counts, rows beyond it.
	MaxQueue int
	// Log receives the errors of the flushes nobody waits for (timed and
	// triggered ones); nil discards them. They are counted either way.
	Log *zap.Logger
}

// BatcherStats are a batcher's counters since it was created.
type BatcherStats struct {
	// Added counts the rows Add accepted.
	Added uint64
	// Flushed counts the rows committed.
	Flushed uint64
	// Dropped counts the rows Add refused: the queue was full, or the
	// batcher was stopped.
	Dropped uint64
	// Failed counts the rows lost with a flush whose transaction failed.
	Failed uint64
	// Batches counts the transactions committed.
	Batches uint64
	// Pending is the number of rows waiting for a flush.
	Pending int
}

// Batcher is write-behind batching for high-rate rows that may be lost in
// a hard crash (experience points, usage counters): Add queues a row in
// memory and returns at once; a goroutine writes the queue every Interval,
// or as soon as MaxRows wait, with flush, in transactions of at most
// MaxRows rows. Stop, or the store's Close, flushes what is left.
//
// What Add acknowledges is the row queued, not written. A hard crash
// (SIGKILL, power loss, panic) loses the rows queued since the last flush
// and those of a flush not committed yet: at most about Interval's worth,
// never more than MaxQueue + MaxRows rows. A clean shutdown loses none
// unless a flush fails. Rows refused by Add and rows of failed flushes
// are counted (Stats), never silently lost.
//
// flush receives the rows in the order they were added. It usually
// aggregates them and upserts (INSERT ... ON CONFLICT DO UPDATE SET n = n
// + excluded.n) through one prepared statement. It must not keep rows.
// A Batcher is safe for concurrent use.
type Batcher[T any] struct {
	st    *Store
	cfg   BatcherConfig
	flush func(ctx context.Context, tx *sql.Tx, rows []T) error
	log   *zap.Logger

	mu      sync.Mutex
	buf     []T
	stopped bool

	flushMu sync.Mutex // one flush at a time, in order

	kick     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	stopErr  error

	added, flushed, dropped, failed, batches atomic.Uint64
}

// NewBatcher starts a batcher writing to s with flush. The store stops it
// on Close if its owner has not.
func NewBatcher[T any](s *Store, cfg BatcherConfig, flush func(ctx context.Context, tx *sql.Tx, rows []T) error) (*Batcher[T], error) {
	if cfg.Interval == 0 {
		cfg.Interval = DefaultBatchInterval
	}
	if cfg.MaxRows == 0 {
		cfg.MaxRows = DefaultBatchRows
	}
	if cfg.MaxQueue == 0 {
		cfg.MaxQueue = DefaultBatchQueue
	}
	switch {
	case flush == nil:
		return nil, fmt.Errorf("store: batcher %q: nil flush function", cfg.Name)
	case cfg.Interval < 0 || cfg.MaxRows < 0 || cfg.MaxQueue < 0:
		return nil, fmt.Errorf("store: batcher %q: negative interval, rows or queue", cfg.Name)
	case cfg.MaxQueue < cfg.MaxRows:
		return nil, fmt.Errorf("store: batcher %q: queue of %d rows is smaller than a batch of %d", cfg.Name, cfg.MaxQueue, cfg.MaxRows)
	}
	log := cfg.Log
	if log == nil {
		log = zap.NewNop()
	}
	b := &Batcher[T]{st: s, cfg: cfg, flush: flush, log: log.With(zap.String("batcher", cfg.Name)),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if err := s.register(b); err != nil {
		return nil, fmt.Errorf("store: batcher %q: %w", cfg.Name, err)
	}
	go b.run()
	return b, nil
}

// Add queues row for the next flush. It never blocks on the database: it
// returns false, and counts the row as dropped, when MaxQueue rows already
// wait or the batcher is stopped.
func (b *Batcher[T]) Add(row T) bool {
	b.mu.Lock()
	if b.stopped || len(b.buf) >= b.cfg.MaxQueue {
		b.mu.Unlock()
		b.dropped.Add(1)
		return false
	}
	b.buf = append(b.buf, row)
	n := len(b.buf)
	b.mu.Unlock()
	b.added.Add(1)
	if n >= b.cfg.MaxRows {
		select {
		case b.kick <- struct{}{}:
		default:
		}
	}
	return true
}

// run flushes on every tick and kick until Stop.
func (b *Batcher[T]) run() {
	defer close(b.done)
	t := time.NewTicker(b.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		case <-b.kick:
		}
		// A flush in progress finishes even when Stop comes meanwhile:
		// its rows are out of the queue and nobody else would write them.
		if err := b.flushQueued(context.Background()); err != nil {
			b.log.Error("write-behind flush failed; its rows are lost", zap.Error(err))
		}
	}
}

// Flush writes every row queued when it is called and returns once they
// are committed (or failed: the error says so).
func (b *Batcher[T]) Flush(ctx context.Context) error {
	return b.flushQueued(ctx)
}

// flushQueued takes the queue and writes it in transactions of at most
// MaxRows rows.
func (b *Batcher[T]) flushQueued(ctx context.Context) error {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	b.mu.Lock()
	rows := b.buf
	b.buf = nil
	b.mu.Unlock()

	var errs []error
	for len(rows) > 0 {
		n := min(len(rows), b.cfg.MaxRows)
		batch := rows[:n]
		rows = rows[n:]
		err := b.st.Write(ctx, func(tx *sql.Tx) error { return b.flush(ctx, tx, batch) })
		if err != nil {
			b.failed.Add(uint64(n))
			errs = append(errs, fmt.Errorf("store: batcher %q: flush %d rows: %w", b.cfg.Name, n, err))
			continue
		}
		b.flushed.Add(uint64(n))
		b.batches.Add(1)
	}
	return errors.Join(errs...)
}

// Stop stops the batcher's goroutine (Add then refuses rows) and flushes
// what is queued, within ctx. Calls after the first return the first
// call's result.
func (b *Batcher[T]) Stop(ctx context.Context) error {
	b.stopOnce.Do(func() {
		b.mu.Lock()
		b.stopped = true
		b.mu.Unlock()
		close(b.stop)
		select {
		case <-b.done:
		case <-ctx.Done():
			b.stopErr = fmt.Errorf("store: batcher %q: stop: %w", b.cfg.Name, ctx.Err())
			return
		}
		b.stopErr = b.flushQueued(ctx)
		b.st.unregister(b)
	})
	return b.stopErr
}

// Stats reports the batcher's counters.
func (b *Batcher[T]) Stats() BatcherStats {
	b.mu.Lock()
	pending := len(b.buf)
	b.mu.Unlock()
	return BatcherStats{
		Added: b.added.Load(), Flushed: b.flushed.Load(), Dropped: b.dropped.Load(),
		Failed: b.failed.Load(), Batches: b.batches.Load(), Pending: pending,
	}
}

// Interface guards
var _ stopper = (*Batcher[int])(nil)
