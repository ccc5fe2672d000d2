package automod

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/ratelimit"
)

// bulkMax is the most messages one bulk delete takes: a channel's queue
// is flushed as soon as it holds that many.
const bulkMax = 100

// deleteQueue gathers the messages to delete per channel and deletes
// them in bulk: a channel's first message waits at most window for more,
// so a spam wave goes out as a few bulk deletes rather than a request per
// message. One goroutine per channel with messages waiting deletes them
// through ratelimit.Purge, one request after another; what arrives
// meanwhile goes in the next batch.
type deleteQueue struct {
	deleter func(reason string) ratelimit.Deleter
	now     func() time.Time
	window  time.Duration
	log     *zap.Logger

	mu     sync.Mutex
	chans  map[snowflake.ID]*channelDeletes
	quit   chan struct{}
	closed bool
	wg     sync.WaitGroup
	stats  deleteStats
}

// deleteStats counts what the queue did.
type deleteStats struct {
	Deleted, Missing, Failed, Bulk, Single int
}

type channelDeletes struct {
	ids   []snowflake.ID
	rules []string // the rules whose messages these are, for the reason
	first time.Time
	wake  chan struct{}
}

func newDeleteQueue(deleter func(string) ratelimit.Deleter, now func() time.Time, window time.Duration, log *zap.Logger) *deleteQueue {
	return &deleteQueue{deleter: deleter, now: now, window: window, log: log,
		chans: map[snowflake.ID]*channelDeletes{}, quit: make(chan struct{})}
}

// add queues messages of one channel, caught by rule. After close it
// does nothing and returns false.
func (q *deleteQueue) add(channel snowflake.ID, ids []snowflake.ID, rule string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	c := q.chans[channel]
	if c == nil {
		c = &channelDeletes{wake: make(chan struct{}, 1)}
		q.chans[channel] = c
		q.wg.Add(1)
		go q.run(channel, c)
	}
	if len(c.ids) == 0 {
		c.first = time.Now()
	}
	c.ids = append(c.ids, ids...)
	if !slices.Contains(c.rules, rule) {
		c.rules = append(c.rules, rule)
	}
	if len(c.ids) >= bulkMax {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return true
}

// run deletes a channel's messages until none wait.
func (q *deleteQueue) run(channel snowflake.ID, c *channelDeletes) {
	defer q.wg.Done()
	for {
		q.mu.Lock()
		wait := q.window - time.Since(c.first)
		full := len(c.ids) >= bulkMax
		q.mu.Unlock()
		if wait > 0 && !full {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-c.wake:
			case <-q.quit:
			}
			t.Stop()
		}
		q.mu.Lock()
		if len(c.ids) == 0 {
			delete(q.chans, channel)
			q.mu.Unlock()
			return
		}
		ids, rules := c.ids, c.rules
		c.ids, c.rules = nil, nil
		q.mu.Unlock()
		q.purge(channel, ids, rules)
	}
}

// purge deletes one batch. It runs to the end even when the module is
// stopping, bounded by a minute: messages caught are deleted.
func (q *deleteQueue) purge(channel snowflake.ID, ids []snowflake.ID, rules []string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reason := "Automod: " + strings.Join(rules, ", ")
	res, err := ratelimit.Purge(ctx, q.deleter(reason), channel, ids, q.now())
	q.mu.Lock()
	q.stats.Deleted += res.Deleted
	q.stats.Missing += res.Missing
	q.stats.Bulk += res.Bulk
	q.stats.Single += res.Single
	if err != nil {
		q.stats.Failed += len(ids) - res.Deleted - res.Missing
	}
	q.mu.Unlock()
	if err != nil {
		q.log.Warn("could not delete the messages automod caught", zap.Uint64("channel_id", uint64(channel)),
			zap.Int("deleted", res.Deleted), zap.Int("messages", len(ids)), zap.Error(err))
	}
}

// idle reports whether nothing waits to be deleted.
func (q *deleteQueue) idle() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.chans) == 0
}

// Stats returns the counts so far.
func (q *deleteQueue) Stats() deleteStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.stats
}

// close deletes what waits at once and returns when done, or when ctx
// ends.
func (q *deleteQueue) close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.quit)
	}
	q.mu.Unlock()
	done := make(chan struct{})
	go func() { q.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
