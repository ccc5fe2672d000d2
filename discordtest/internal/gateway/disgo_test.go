//go:build !race

// These tests drive disgo v0.19.6's real gateway client. They are excluded from -race builds
// because disgo's gateway has data races of its own (see DISGO.md). Every disgo connect waits
// 1 s before dialing and every reconnect at least 1 s more, so the tests run in parallel.

package gateway

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	disgogw "github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/disgo/sharding"
	"github.com/gorilla/websocket"
)

// recorder collects what disgo hands to its event handler.
type recorder struct {
	mu     sync.Mutex
	events []seen
}

type seen struct {
	typ   disgogw.EventType
	seq   int
	shard int
	data  disgogw.EventData
}

func (r *recorder) handle(g disgogw.Gateway, typ disgogw.EventType, seq int, d disgogw.EventData) {
	if typ == disgogw.EventTypeHeartbeatAck {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, seen{typ: typ, seq: seq, shard: g.ShardID(), data: d})
}

func (r *recorder) all() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *recorder) count(typ disgogw.EventType) int {
	n := 0
	for _, e := range r.all() {
		if e.typ == typ {
			n++
		}
	}
	return n
}

// typings returns the timestamps of the TYPING_START events, in the order received.
func (r *recorder) typings() []int {
	var out []int
	for _, e := range r.all() {
		if ts, ok := e.data.(disgogw.EventTypingStart); ok {
			out = append(out, int(ts.Timestamp.Unix()))
		}
	}
	return out
}

func (r *recorder) waitCount(t *testing.T, typ disgogw.EventType, n int) {
	t.Helper()
	waitFor(t, string(typ)+" events", func() bool { return r.count(typ) >= n })
}

var quiet = slog.New(slog.DiscardHandler)

func openDisgo(t *testing.T, ts *testServer, compression disgogw.CompressionType, intents disgogw.Intents) (disgogw.Gateway, *recorder, error) {
	t.Helper()
	rec := &recorder{}
	g := disgogw.New(testToken, rec.handle,
		disgogw.WithURL(ts.url),
		disgogw.WithCompression(compression),
		disgogw.WithIntents(intents),
		disgogw.WithLogger(quiet),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := g.Open(ctx)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		g.Close(ctx)
	})
	return g, rec, err
}

func mustOpenDisgo(t *testing.T, ts *testServer, compression disgogw.CompressionType) (disgogw.Gateway, *recorder) {
	t.Helper()
	g, rec, err := openDisgo(t, ts, compression, disgogw.IntentGuilds|disgogw.IntentDirectMessageTyping)
	if err != nil {
		t.Fatalf("disgo Open: %v", err)
	}
	return g, rec
}

// records returns the received payloads with op.
func records(s *Server, dir Direction, op int) []Record {
	var out []Record
	for _, r := range s.Payloads() {
		if r.Dir == dir && r.Op == op {
			out = append(out, r)
		}
	}
	return out
}

// contract A.30, A.36: disgo connects in each compression, gets READY then a GUILD_CREATE per
// guild, then live dispatches; its Close (1000) ends the session (A.34).
func TestDisgoConnectsInEveryCompression(t *testing.T) {
	for _, tc := range []struct {
		compression disgogw.CompressionType
		want        string
	}{
		{disgogw.CompressionNone, CompressionNone},
		{disgogw.CompressionZlibStream, CompressionZlibStream},
		{disgogw.CompressionZstdStream, CompressionZstdStream},
	} {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, Config{HeartbeatInterval: 200 * time.Millisecond}, newBackend(guild(1), guild(2)))
			g, rec := mustOpenDisgo(t, ts, tc.compression)
			rec.waitCount(t, disgogw.EventTypeGuildCreate, 2)
			mustDispatch(t, ts.Server, typing(1))
			waitFor(t, "TYPING_START", func() bool { return len(rec.typings()) == 1 })
			got := rec.all()
			wantTypes := []disgogw.EventType{disgogw.EventTypeReady, disgogw.EventTypeGuildCreate, disgogw.EventTypeGuildCreate, disgogw.EventTypeTypingStart}
			if len(got) != len(wantTypes) {
				t.Fatalf("got %d events %+v; want %v", len(got), got, wantTypes)
			}
			for i, e := range got {
				if e.typ != wantTypes[i] || e.seq != i+1 {
					t.Fatalf("got event %d %s s %d; want %s s %d", i, e.typ, e.seq, wantTypes[i], i+1)
				}
			}
			sessions := ts.Sessions()
			if len(sessions) != 1 || sessions[0].Compression != tc.want {
				t.Fatalf("got sessions %+v; want one with compression %s", sessions, tc.want)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			g.Close(ctx)
			waitFor(t, "the session to end after close 1000", func() bool { return len(ts.Sessions()) == 0 })
		})
	}
}

// contract A.34, A.37, A.38, D.2: after a TCP drop disgo resumes on resume_gateway_url; the
// events dispatched while it was down arrive exactly once, in order, then RESUMED.
func TestDisgoResumesAfterDrop(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{HeartbeatInterval: 200 * time.Millisecond}, newBackend(guild(1)))
	_, rec := mustOpenDisgo(t, ts, disgogw.CompressionZstdStream)
	for n := 1; n <= 3; n++ {
		mustDispatch(t, ts.Server, typing(n))
	}
	waitFor(t, "3 events", func() bool { return len(rec.typings()) == 3 })
	if err := ts.DropConnection(0); err != nil {
		t.Fatal(err)
	}
	for n := 4; n <= 8; n++ {
		mustDispatch(t, ts.Server, typing(n))
	}
	rec.waitCount(t, disgogw.EventTypeResumed, 1)
	mustDispatch(t, ts.Server, typing(9))
	waitFor(t, "9 events", func() bool { return len(rec.typings()) >= 9 })
	if got, want := rec.typings(), []int{1, 2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(got, want) {
		t.Fatalf("got events %v; want %v exactly once, in order", got, want)
	}
	assertResumedOnce(t, ts)
}

// assertResumedOnce checks that the client identified once and resumed once on the resume URL.
func assertResumedOnce(t *testing.T, ts *testServer) {
	t.Helper()
	if n := len(records(ts.Server, Received, opIdentify)); n != 1 {
		t.Fatalf("got %d IDENTIFYs; want 1 (contract A.38: no Identify on resume)", n)
	}
	resumes := records(ts.Server, Received, opResume)
	if len(resumes) != 1 || !resumes[0].ViaResumeURL {
		t.Fatalf("got RESUMEs %+v; want one through the resume URL", resumes)
	}
}

// contract A.37, A.40, D.4: on op 7 disgo closes with a non-1000 code and resumes.
func TestDisgoResumesOnReconnect(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{HeartbeatInterval: 200 * time.Millisecond}, newBackend())
	_, rec := mustOpenDisgo(t, ts, disgogw.CompressionZlibStream)
	mustDispatch(t, ts.Server, typing(1))
	waitFor(t, "1 event", func() bool { return len(rec.typings()) == 1 })
	if err := ts.SendReconnect(0); err != nil {
		t.Fatal(err)
	}
	mustDispatch(t, ts.Server, typing(2))
	rec.waitCount(t, disgogw.EventTypeResumed, 1)
	mustDispatch(t, ts.Server, typing(3))
	waitFor(t, "3 events", func() bool { return len(rec.typings()) >= 3 })
	if got, want := rec.typings(), []int{1, 2, 3}; !slices.Equal(got, want) {
		t.Fatalf("got events %v; want %v", got, want)
	}
	assertResumedOnce(t, ts)
	assertClientClosedResumably(t, ts)
}

// assertClientClosedResumably checks that the client's close frames never used 1000 or 1001.
func assertClientClosedResumably(t *testing.T, ts *testServer) {
	t.Helper()
	for _, r := range records(ts.Server, Received, OpNone) {
		if r.CloseCode == websocket.CloseNormalClosure || r.CloseCode == websocket.CloseGoingAway {
			t.Fatalf("got a client close %d; want a code that keeps the session (contract A.33, D.7)", r.CloseCode)
		}
	}
}

// contract A.39, D.3, D.6: on op 9 d:false disgo identifies again, on the gateway URL rather than
// the resume URL, and gets a new session.
func TestDisgoIdentifiesAgainAfterInvalidSession(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{HeartbeatInterval: 200 * time.Millisecond, IdentifyWindow: time.Millisecond}, newBackend())
	_, rec := mustOpenDisgo(t, ts, disgogw.CompressionNone)
	first := ts.Sessions()[0].ID
	if err := ts.InvalidateSession(0, false); err != nil {
		t.Fatal(err)
	}
	rec.waitCount(t, disgogw.EventTypeReady, 2)
	identifies := records(ts.Server, Received, opIdentify)
	if len(identifies) != 2 || identifies[1].ViaResumeURL {
		t.Fatalf("got IDENTIFYs %+v; want a second one on the gateway URL", identifies)
	}
	waitFor(t, "one new session", func() bool { s := ts.Sessions(); return len(s) == 1 && s[0].ID != first })
	mustDispatch(t, ts.Server, typing(1))
	waitFor(t, "1 event", func() bool { return len(rec.typings()) == 1 })
}

// contract A.33, D.7: when ACKs stop, disgo closes the zombie with a non-1000 code and resumes.
func TestDisgoResumesZombieConnection(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{HeartbeatInterval: 200 * time.Millisecond}, newBackend())
	_, rec := mustOpenDisgo(t, ts, disgogw.CompressionZstdStream)
	if err := ts.SetHeartbeatACKs(0, false); err != nil {
		t.Fatal(err)
	}
	mustDispatch(t, ts.Server, typing(1))
	rec.waitCount(t, disgogw.EventTypeResumed, 1)
	mustDispatch(t, ts.Server, typing(2))
	waitFor(t, "2 events", func() bool { return len(rec.typings()) >= 2 })
	if got, want := rec.typings(), []int{1, 2}; !slices.Equal(got, want) {
		t.Fatalf("got events %v; want %v", got, want)
	}
	assertResumedOnce(t, ts)
	assertClientClosedResumably(t, ts)
}

// contract A.41, D.13: after 4014 disgo stops reconnecting: Open fails and no second connection
// is made.
func TestDisgoStopsAfterDisallowedIntent(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{}, newBackend())
	_, _, err := openDisgo(t, ts, disgogw.CompressionNone, disgogw.IntentGuilds|disgogw.IntentGuildPresences)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != CloseDisallowedIntents {
		t.Fatalf("got Open error %v; want close 4014", err)
	}
	if n := len(records(ts.Server, Sent, opHello)); n != 1 {
		t.Fatalf("got %d connections; want 1", n)
	}
}

// contract A.43, A.44, D.9, D.14: disgo's shard manager opens two shards within max_concurrency 2;
// each gets only its guilds, and an event without a guild reaches shard 0 only.
func TestDisgoShardManager(t *testing.T) {
	t.Parallel()
	guilds := []uint64{guild(1), guild(2), guild(3), guild(4), guild(6)}
	ts := startServer(t, Config{HeartbeatInterval: 200 * time.Millisecond, MaxConcurrency: 2}, newBackend(guilds...))
	rec := &recorder{}
	m := sharding.New(testToken, rec.handle,
		sharding.WithShardCount(2),
		sharding.WithShardIDs(0, 1),
		sharding.WithIdentifyRateLimiterConfigOpt(disgogw.WithIdentifyMaxConcurrency(2)),
		sharding.WithGatewayConfigOpts(
			disgogw.WithURL(ts.url),
			disgogw.WithCompression(disgogw.CompressionZlibStream),
			disgogw.WithIntents(disgogw.IntentGuilds|disgogw.IntentDirectMessageTyping),
			disgogw.WithLogger(quiet),
		),
		sharding.WithLogger(quiet),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m.Open(ctx)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		m.Close(ctx)
	})
	rec.waitCount(t, disgogw.EventTypeGuildCreate, len(guilds))
	mustDispatch(t, ts.Server, typing(1))
	waitFor(t, "the event", func() bool { return len(rec.typings()) == 1 })
	perShard := map[int][]uint64{}
	for _, e := range rec.all() {
		switch d := e.data.(type) {
		case disgogw.EventGuildCreate:
			perShard[e.shard] = append(perShard[e.shard], uint64(d.ID))
		case disgogw.EventTypingStart:
			if e.shard != 0 {
				t.Fatalf("got the guild-less event on shard %d; want shard 0", e.shard)
			}
		}
	}
	for shard, ids := range perShard {
		for _, id := range ids {
			if int(id>>22)%2 != shard {
				t.Fatalf("got guild %d on shard %d; want shard %d", id, shard, int(id>>22)%2)
			}
		}
	}
	if len(perShard[0]) != 3 || len(perShard[1]) != 2 {
		t.Fatalf("got %d and %d guilds on shards 0 and 1; want 3 and 2", len(perShard[0]), len(perShard[1]))
	}
	if n := len(records(ts.Server, Sent, opInvalidSession)); n != 0 {
		t.Fatalf("got %d op 9; want none within max_concurrency", n)
	}
}

// contract A.40, D.4: op 7 before Hello: disgo reconnects and identifies on a new connection.
func TestDisgoReconnectsAfterReconnectBeforeHello(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{HeartbeatInterval: 200 * time.Millisecond}, newBackend())
	ts.ReconnectBeforeHello(1)
	mustOpenDisgo(t, ts, disgogw.CompressionZstdStream)
	reconnects, hellos := records(ts.Server, Sent, opReconnect), records(ts.Server, Sent, opHello)
	if len(reconnects) != 1 || len(hellos) != 1 || reconnects[0].Conn >= hellos[0].Conn {
		t.Fatalf("got op 7 on %+v and Hello on %+v; want op 7 on the first connection, Hello on the next", reconnects, hellos)
	}
	if identifies := records(ts.Server, Received, opIdentify); len(identifies) != 1 || identifies[0].Conn != hellos[0].Conn {
		t.Fatalf("got IDENTIFYs %+v; want one, on the connection that got Hello", identifies)
	}
}
