package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/discordtest"
)

func TestCoalescerCutsALogFloodByEightyPercentAndLosesNoLine(t *testing.T) {
	// The proof: a log flood through disgo, the Limiter and the
	// emulator; one message per event would be 1,000 REST calls.
	const route = "POST /channels/{channel_id}/messages"
	r := newRig(t, rigOpts{real: true, srv: []discordtest.Option{
		// Message creates at 5 per second (Discord's are 5 per 5 s) so
		// that the flood takes a second or two of real time.
		discordtest.WithRouteLimit(route, discordtest.RouteLimit{Bucket: "mc", Limit: 5, Period: time.Second, Sliding: true}),
	}})
	chs := channels(r.srv, 2)
	c := NewCoalescer(DisgoSender(r.rest), CoalesceWindow(50*time.Millisecond), CoalesceMaxDelay(200*time.Millisecond))
	const events = 1000
	want := map[snowflake.ID][]string{}
	for i := range events {
		ch := chs[i%2]
		line := fmt.Sprintf("`%04d` member%d joined — account %d days old", i, i%37, i%400)
		want[ch] = append(want[ch], line)
		if err := c.Add(context.Background(), ch, Entry{Content: line}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	calls := len(r.srv.RequestsTo(route))
	if calls > events/5 {
		t.Errorf("got %d REST calls for %d events; want at most %d (80%% fewer)", calls, events, events/5)
	}
	if n := r.srv.RateLimited(""); n != 0 {
		t.Errorf("got %d 429s; want none", n)
	}
	for _, ch := range chs {
		var got []string
		for _, m := range r.srv.Messages(discordtest.Snowflake(ch)) {
			if utf8.RuneCountInString(m.Content) > 2000 {
				t.Errorf("got a message of %d characters", utf8.RuneCountInString(m.Content))
			}
			got = append(got, strings.Split(m.Content, "\n")...)
		}
		if strings.Join(got, "\n") != strings.Join(want[ch], "\n") {
			t.Errorf("channel %s: got %d lines; want all %d, in order", ch, len(got), len(want[ch]))
		}
	}
	s := c.Stats()
	if s.Entries != events || s.Dropped != 0 || s.Queued != 0 || int(s.Messages) != calls {
		t.Errorf("got %+v; want %d entries, none dropped, %d messages", s, events, calls)
	}
	t.Logf("%d events → %d messages (%.0f%% fewer calls)", events, calls, 100-100*float64(calls)/events)
}

// sink records what a Coalescer sends, with the fake clock's time.
type sink struct {
	clk  *fakeClock
	mu   sync.Mutex
	msgs []sent
	hold chan struct{} // when not nil, each send waits for a receive
}

type sent struct {
	at time.Time
	ch snowflake.ID
	m  discord.MessageCreate
}

func (s *sink) send(_ context.Context, ch snowflake.ID, m discord.MessageCreate) error {
	if s.hold != nil {
		<-s.hold
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, sent{s.clk.Now(), ch, m})
	return nil
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

func TestCoalescerWaitsTheWindowButNeverPastTheMaxDelay(t *testing.T) {
	clk := newFakeClock(t0)
	s := &sink{clk: clk}
	c := NewCoalescer(s.send, CoalesceClock(clk), CoalesceWindow(time.Second), CoalesceMaxDelay(3*time.Second))
	ch := snowflake.ID(1)
	sleepsUntil := func(at time.Duration) {
		t.Helper()
		waitFor(t, fmt.Sprint("the sender asleep until +", at), func() bool {
			next, ok := clk.next()
			return ok && next.Equal(t0.Add(at))
		})
	}
	// A line every 0.5 s: the 1 s window never closes, the 3 s maximum
	// delay does.
	for i := range 6 {
		if err := c.Add(context.Background(), ch, Entry{Content: fmt.Sprint("line ", i)}); err != nil {
			t.Fatal(err)
		}
		sleepsUntil(min(time.Duration(i)*500*time.Millisecond+time.Second, 3*time.Second))
		clk.Advance(500 * time.Millisecond)
	}
	waitFor(t, "a message", func() bool { return s.count() == 1 })
	if m := s.msgs[0]; m.at.Sub(t0) != 3*time.Second || m.m.Content != "line 0\nline 1\nline 2\nline 3\nline 4\nline 5" {
		t.Errorf("got %q at +%v; want lines 0-5 at +3 s", m.m.Content, m.at.Sub(t0))
	}
	if s.msgs[0].m.AllowedMentions == nil || len(s.msgs[0].m.AllowedMentions.Parse) != 0 {
		t.Error("got a message that may ping; want allowed_mentions empty")
	}
	// Then lines at +3, +3.5, +4 and +4.5 go a window after the last.
	for i := 6; i < 10; i++ {
		if err := c.Add(context.Background(), ch, Entry{Content: fmt.Sprint("line ", i)}); err != nil {
			t.Fatal(err)
		}
		sleepsUntil(time.Duration(i-6)*500*time.Millisecond + 4*time.Second)
		if i < 9 {
			clk.Advance(500 * time.Millisecond)
		}
	}
	clk.AdvanceTo(t0.Add(5500 * time.Millisecond))
	waitFor(t, "the second message", func() bool { return s.count() == 2 })
	if m := s.msgs[1]; m.at.Sub(t0) != 5500*time.Millisecond || m.m.Content != "line 6\nline 7\nline 8\nline 9" {
		t.Errorf("got %q at +%v; want lines 6-9 at +5.5 s", m.m.Content, m.at.Sub(t0))
	}
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestPackFillsMessagesToDiscordsLimits(t *testing.T) {
	line := strings.Repeat("x", 99) // 100 characters with its newline
	var es []queuedEntry
	for range 45 {
		es = append(es, queuedEntry{Entry: Entry{Content: line}})
	}
	m, n := pack(es)
	if n != 20 || utf8.RuneCountInString(m.Content) != 20*99+19 {
		t.Errorf("got %d lines, %d characters; want 20 whole lines under 2000", n, utf8.RuneCountInString(m.Content))
	}
	var embeds []queuedEntry
	for range 13 {
		embeds = append(embeds, queuedEntry{Entry: Entry{Embeds: []discord.Embed{{Title: "t"}}}})
	}
	if m, n := pack(embeds); n != 10 || len(m.Embeds) != 10 {
		t.Errorf("got %d embeds; want 10", len(m.Embeds))
	}
	big := []queuedEntry{{Entry: Entry{Embeds: []discord.Embed{{Description: strings.Repeat("d", 4000)}}}},
		{Entry: Entry{Embeds: []discord.Embed{{Description: strings.Repeat("d", 2500)}}}}}
	if _, n := pack(big); n != 1 {
		t.Errorf("got %d embeds of 6500 characters together; want the 6000 total kept", n)
	}
	// An entry too long for one message is cut, at a line break if it can.
	parts := splitEntry(Entry{Content: strings.Repeat("a", 1500) + "\n" + strings.Repeat("b", 1500) + strings.Repeat("é", 2500)})
	var total int
	for _, p := range parts {
		if utf8.RuneCountInString(p.Content) > 2000 {
			t.Errorf("got a part of %d characters", utf8.RuneCountInString(p.Content))
		}
		total += utf8.RuneCountInString(p.Content)
	}
	if len(parts) != 3 || parts[0].Content != strings.Repeat("a", 1500) || total != 5500 {
		t.Errorf("got %d parts, %d characters; want 3 parts, cut at the line break, nothing lost", len(parts), total)
	}
}

func TestCoalescerQueueIsBounded(t *testing.T) {
	clk := newFakeClock(t0)
	s := &sink{clk: clk, hold: make(chan struct{})}
	c := NewCoalescer(s.send, CoalesceClock(clk), CoalesceQueue(3), CoalesceWindow(time.Millisecond))
	ch := snowflake.ID(1)
	for i := range 3 {
		if err := c.Add(context.Background(), ch, Entry{Content: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := c.Add(ctx, ch, Entry{Content: "3"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v; want Add held while the queue is full", err)
	}
	// Once the batch leaves the queue, there is room again.
	done := make(chan error, 1)
	go func() { done <- c.Add(context.Background(), ch, Entry{Content: "3"}) }()
	waitFor(t, "the sender asleep", func() bool { return clk.pending() > 0 })
	clk.Advance(time.Millisecond)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	go func() {
		for range 2 {
			s.hold <- struct{}{}
		}
	}()
	waitFor(t, "the sender asleep", func() bool { return clk.pending() > 0 || s.count() == 2 })
	clk.Advance(time.Millisecond)
	if err := c.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.msgs[0].m.Content + "|" + s.msgs[1].m.Content; got != "0\n1\n2|3" {
		t.Errorf("got %q; want the three, then the fourth", got)
	}
	if err := c.Add(context.Background(), ch, Entry{Content: "late"}); !errors.Is(err, ErrClosed) {
		t.Errorf("got %v after Close; want ErrClosed", err)
	}
}

func TestPurgeBulkDeletesTheYoungAndDeletesTheOldOneByOne(t *testing.T) {
	// contract A.1.21, A.4 O2: bulk delete 2 to 100 messages under 14
	// days; older ones one at a time, at 30 per 4 s; no 429.
	r := newRig(t, rigOpts{})
	g := r.srv.Guilds()[0]
	ch, member := g.Channel("general").ID, g.Member("member1").User.ID
	var ids []snowflake.ID
	post := func(n int) {
		for i := range n {
			m, err := r.srv.SendMessage(g.ID, ch, member, fmt.Sprint("message ", i))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, sf(m.ID))
		}
	}
	post(45)
	r.clk.Advance(15 * 24 * time.Hour)
	post(230)
	r.clk.Advance(time.Minute)
	ids = append(ids, ids[3], ids[100]) // duplicates are dropped
	var res PurgeResult
	errs := r.run(1, func(int) error {
		var err error
		res, err = Purge(context.Background(), DisgoDeleter(r.rest), sf(ch), ids, r.clk.Now())
		return err
	})
	must(t, errs)
	if res.Deleted != 275 || res.Bulk != 3 || res.Single != 45 || res.Missing != 0 {
		t.Errorf("got %+v; want 275 deleted: 3 bulk requests (100, 100, 30), 45 one by one", res)
	}
	if n := r.srv.RateLimited(""); n != 0 {
		t.Errorf("got %d 429s; want none", n)
	}
	if left := r.srv.Messages(ch); len(left) != 0 {
		t.Errorf("got %d messages left; want none", len(left))
	}
	for _, q := range r.srv.RequestsTo("DELETE /channels/{channel_id}/messages/{message_id}") {
		if q.Bucket != discordtest.BucketHash("message-delete-old") {
			t.Fatalf("got a single delete on bucket %s; want only old messages there", q.Bucket)
		}
	}
}

func TestPurgeCountsMissingMessagesAndFallsBackWhenTooOld(t *testing.T) {
	f := &fakeDeleter{tooOld: true, missing: map[snowflake.ID]bool{5: true}}
	now := time.Now()
	id := func(i int) snowflake.ID { return snowflake.New(now.Add(-time.Hour)) + snowflake.ID(i) }
	res, err := Purge(context.Background(), f, 1, []snowflake.ID{id(1), id(2), id(3), 5}, now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Bulk != 1 || res.Single != 4 || res.Deleted != 3 || res.Missing != 1 {
		t.Errorf("got %+v; want the refused bulk redone one by one and the gone one counted", res)
	}
}

type fakeDeleter struct {
	tooOld  bool
	missing map[snowflake.ID]bool
}

func (f *fakeDeleter) DeleteMessage(_ context.Context, _, id snowflake.ID) error {
	if f.missing[id] {
		return ErrUnknownMessage
	}
	return nil
}

func (f *fakeDeleter) BulkDeleteMessages(context.Context, snowflake.ID, []snowflake.ID) error {
	if f.tooOld {
		return ErrTooOld
	}
	return nil
}
