package ratelimit

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"
)

// Discord's limits on one message (contract A.1, MSG).
const (
	maxContent    = 2000
	maxEmbeds     = 10
	maxEmbedTotal = 6000
)

// Entry is one line of a log or alert feed: text, embeds, or both.
type Entry struct {
	Content string
	Embeds  []discord.Embed
}

// SendFunc posts one message to a channel; DisgoSender makes one from
// disgo's REST client.
type SendFunc func(ctx context.Context, channel snowflake.ID, m discord.MessageCreate) error

// Coalescer merges the entries queued for one channel within a short
// window into as few messages as Discord allows (2000 characters, 10
// embeds, 6000 characters of embeds), in order, each entry whole unless
// it alone is too long. A channel's first entry waits at most the maximum
// delay; while a channel's message is being sent (held by the rate
// limiter, say), its new entries pile up and go together next, so a flood
// turns into full messages instead of one request per line. The queue is
// bounded: Add blocks while it is full. One goroutine per channel with
// entries sends them; Close flushes and stops them.
type Coalescer struct {
	send     SendFunc
	window   time.Duration
	maxDelay time.Duration
	limit    int
	attempts int
	log      *zap.Logger
	clock    Clock

	mu     sync.Mutex
	chans  map[snowflake.ID]*channelQueue
	queued int
	space  chan struct{} // closed when entries leave the queue
	closed bool
	abort  chan struct{} // closed when Close's deadline passes
	wg     sync.WaitGroup
	stats  CoalescerStats
}

// CoalescerStats counts what went through a Coalescer.
type CoalescerStats struct {
	// Entries counts the entries accepted; Messages the messages sent;
	// Dropped the entries lost to a send that failed for good.
	Entries, Messages, Dropped uint64
	// Queued (gauge) counts the entries waiting.
	Queued int
}

type channelQueue struct {
	entries []queuedEntry
	running bool
	wake    chan struct{}
}

type queuedEntry struct {
	Entry
	at time.Time
}

// CoalescerOption configures a Coalescer.
type CoalescerOption func(*Coalescer)

// CoalesceWindow sets how long a channel waits for more entries after the
// last one (default 1 s).
func CoalesceWindow(d time.Duration) CoalescerOption {
	return func(c *Coalescer) {
		if d > 0 {
			c.window = d
		}
	}
}

// CoalesceMaxDelay sets the longest an entry waits before its message is
// sent, rate limits aside (default 3 s).
func CoalesceMaxDelay(d time.Duration) CoalescerOption {
	return func(c *Coalescer) {
		if d > 0 {
			c.maxDelay = d
		}
	}
}

// CoalesceQueue sets how many entries may wait in all (default 10,000).
func CoalesceQueue(n int) CoalescerOption {
	return func(c *Coalescer) {
		if n > 0 {
			c.limit = n
		}
	}
}

// CoalesceAttempts sets how many times a message may be sent when sending
// fails for a reason that may pass (default 3).
func CoalesceAttempts(n int) CoalescerOption {
	return func(c *Coalescer) { c.attempts = max(n, 1) }
}

// CoalesceLogger sets the logger for messages dropped.
func CoalesceLogger(l *zap.Logger) CoalescerOption {
	return func(c *Coalescer) {
		if l != nil {
			c.log = l
		}
	}
}

// CoalesceClock sets the clock, for tests.
func CoalesceClock(clk Clock) CoalescerOption {
	return func(c *Coalescer) {
		if clk != nil {
			c.clock = clk
		}
	}
}

// NewCoalescer returns a Coalescer sending through send.
func NewCoalescer(send SendFunc, opts ...CoalescerOption) *Coalescer {
	c := &Coalescer{send: send, window: time.Second, maxDelay: 3 * time.Second, limit: 10000, attempts: 3,
		log: zap.NewNop(), clock: realClock{}, chans: map[snowflake.ID]*channelQueue{},
		space: make(chan struct{}), abort: make(chan struct{})}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Add queues an entry for a channel. It blocks while the queue is full,
// until ctx ends; it fails with ErrClosed after Close.
func (c *Coalescer) Add(ctx context.Context, channel snowflake.ID, e Entry) error {
	parts := splitEntry(e)
	if len(parts) == 0 {
		return nil
	}
	c.mu.Lock()
	for !c.closed && c.queued > 0 && c.queued+len(parts) > c.limit {
		space := c.space
		c.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			return ctx.Err()
		}
		c.mu.Lock()
	}
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	now := c.clock.Now()
	q := c.chans[channel]
	if q == nil {
		q = &channelQueue{wake: make(chan struct{}, 1)}
		c.chans[channel] = q
	}
	for _, p := range parts {
		q.entries = append(q.entries, queuedEntry{Entry: p, at: now})
	}
	c.queued += len(parts)
	c.stats.Entries += uint64(len(parts))
	if !q.running {
		q.running = true
		c.wg.Add(1)
		go c.run(channel, q)
	} else {
		poke(q.wake)
	}
	c.mu.Unlock()
	return nil
}

func poke(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// run sends a channel's entries until none are left.
func (c *Coalescer) run(channel snowflake.ID, q *channelQueue) {
	defer c.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-c.abort:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		c.mu.Lock()
		if len(q.entries) == 0 {
			q.running = false
			delete(c.chans, channel)
			c.mu.Unlock()
			return
		}
		now := c.clock.Now()
		msg, n := pack(q.entries)
		due := c.closed || n < len(q.entries) || full(msg)
		if !due {
			at := q.entries[0].at.Add(c.maxDelay)
			if last := q.entries[len(q.entries)-1].at.Add(c.window); last.Before(at) {
				at = last
			}
			if now.Before(at) {
				t := c.clock.AfterFunc(at.Sub(now), func() { poke(q.wake) })
				c.mu.Unlock()
				select {
				case <-q.wake:
				case <-ctx.Done():
				}
				t.Stop()
				continue
			}
		}
		clear(q.entries[:n])
		q.entries = q.entries[n:]
		c.queued -= n
		close(c.space)
		c.space = make(chan struct{})
		c.mu.Unlock()

		err := c.deliver(ctx, channel, msg)
		c.mu.Lock()
		if err != nil {
			c.stats.Dropped += uint64(n)
		} else {
			c.stats.Messages++
		}
		c.mu.Unlock()
		if err != nil {
			c.log.Warn("coalesced message dropped", zap.Uint64("channel_id", uint64(channel)),
				zap.Int("entries", n), zap.Error(err))
		}
	}
}

// deliver sends one message, again after a failure that may pass.
func (c *Coalescer) deliver(ctx context.Context, channel snowflake.ID, m discord.MessageCreate) error {
	var err error
	for attempt := 1; attempt <= c.attempts; attempt++ {
		if err = c.send(ctx, channel, m); err == nil || permanent(err) || attempt == c.attempts {
			return err
		}
		wait := make(chan struct{})
		t := c.clock.AfterFunc(time.Duration(attempt)*time.Second, func() { close(wait) })
		select {
		case <-wait:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	return err
}

// permanent reports whether sending again cannot help.
func permanent(err error) bool {
	if errors.Is(err, ErrTokenInvalid) || errors.Is(err, ErrWebhookGone) || errors.Is(err, ErrBanned) ||
		errors.Is(err, ErrClosed) || errors.Is(err, ErrShed) || errors.Is(err, context.Canceled) {
		return true
	}
	var re *rest.Error
	if errors.As(err, &re) && re.Response != nil {
		st := re.Response.StatusCode
		return st >= 400 && st < 500 && st != http.StatusTooManyRequests
	}
	return false
}

// Close sends what is queued and stops. It returns once everything is
// sent, or when ctx ends: then what is left is dropped and ctx's error
// returned.
func (c *Coalescer) Close(ctx context.Context) error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		for _, q := range c.chans {
			poke(q.wake)
		}
		close(c.space)
		c.space = make(chan struct{})
	}
	c.mu.Unlock()
	done := make(chan struct{})
	go func() {
		c.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		select {
		case <-c.abort:
		default:
			close(c.abort)
		}
		c.mu.Unlock()
		return ctx.Err()
	}
}

// Stats returns the Coalescer's counts.
func (c *Coalescer) Stats() CoalescerStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Queued = c.queued
	return s
}

// pack takes as many entries as fit in one message, at least one.
func pack(es []queuedEntry) (discord.MessageCreate, int) {
	var b strings.Builder
	runes, esize, nembeds, n := 0, 0, 0, 0
	var embeds []discord.Embed
	for _, q := range es {
		cr := utf8.RuneCountInString(q.Content)
		if cr > 0 && runes > 0 {
			cr++ // the newline between entries
		}
		er := 0
		for _, em := range q.Embeds {
			er += embedSize(em)
		}
		if n > 0 && (runes+cr > maxContent || nembeds+len(q.Embeds) > maxEmbeds || esize+er > maxEmbedTotal) {
			break
		}
		if q.Content != "" {
			if runes > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(q.Content)
			runes += cr
		}
		embeds = append(embeds, q.Embeds...)
		nembeds += len(q.Embeds)
		esize += er
		n++
	}
	return discord.MessageCreate{Content: b.String(), Embeds: embeds,
		// A feed never pings anyone.
		AllowedMentions: &discord.AllowedMentions{Parse: []discord.AllowedMentionType{}}}, n
}

// full reports whether a message has no room for another line.
func full(m discord.MessageCreate) bool {
	return utf8.RuneCountInString(m.Content) >= maxContent-1 || len(m.Embeds) >= maxEmbeds
}

// splitEntry cuts an entry too big for one message: content over 2000
// characters at its last line break that fits (or at 2000), embeds by
// tens.
func splitEntry(e Entry) []Entry {
	var out []Entry
	text := e.Content
	for utf8.RuneCountInString(text) > maxContent {
		cut := runeOffset(text, maxContent)
		if i := strings.LastIndexByte(text[:cut], '\n'); i > 0 {
			out = append(out, Entry{Content: text[:i]})
			text = text[i+1:]
			continue
		}
		out = append(out, Entry{Content: text[:cut]})
		text = text[cut:]
	}
	embeds := e.Embeds
	first := Entry{Content: text}
	take := min(len(embeds), maxEmbeds)
	first.Embeds, embeds = embeds[:take], embeds[take:]
	if first.Content != "" || len(first.Embeds) > 0 {
		out = append(out, first)
	}
	for len(embeds) > 0 {
		take := min(len(embeds), maxEmbeds)
		out = append(out, Entry{Embeds: embeds[:take]})
		embeds = embeds[take:]
	}
	return out
}

// runeOffset is the byte offset of the n-th rune of s.
func runeOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// embedSize counts an embed's characters toward the 6000 total.
func embedSize(e discord.Embed) int {
	n := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
	for _, f := range e.Fields {
		n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
	}
	if e.Footer != nil {
		n += utf8.RuneCountInString(e.Footer.Text)
	}
	if e.Author != nil {
		n += utf8.RuneCountInString(e.Author.Name)
	}
	return n
}

// DisgoSender sends with disgo's REST client: one CreateMessage per call,
// through whatever rate limiter the client has.
func DisgoSender(r rest.Channels) SendFunc {
	return func(ctx context.Context, channel snowflake.ID, m discord.MessageCreate) error {
		_, err := r.CreateMessage(channel, m, rest.WithCtx(ctx))
		return err
	}
}
