package gateway

import (
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// contract A.44, D.14: guild events go to shard (guild_id>>22) % n only, events without a guild
// to shard 0 only, and only to sessions with one of the event's intents.
func TestDispatchRouting(t *testing.T) {
	ts := startServer(t, Config{IdentifyWindow: time.Nanosecond}, newBackend())
	s0 := connect(t, ts)
	s0.readOp(opHello)
	s0.identify(IntentGuildMessages|IntentDirectMessages, [2]int{0, 2}, 0)
	s1 := connect(t, ts)
	s1.readOp(opHello)
	s1.identify(IntentGuildMessages|IntentDirectMessages, [2]int{1, 2}, 0)
	bare := connect(t, ts) // shard 1 of 2 without GUILD_MESSAGES
	bare.readOp(opHello)
	bare.identify(IntentGuilds, [2]int{1, 2}, 0)

	ev := func(name string, guildID uint64, intents uint64) Event {
		return Event{Type: "MESSAGE_CREATE", GuildID: guildID, Intents: intents, Data: json.RawMessage(`{"name":"` + name + `"}`)}
	}
	cases := []struct {
		name  string
		event Event
		to    []*client
	}{
		{name: "guild on shard 1", event: ev("g1", guild(7), IntentGuildMessages), to: []*client{s1}},
		{name: "guild on shard 0", event: ev("g0", guild(8), IntentGuildMessages), to: []*client{s0}},
		{name: "no guild goes to shard 0 only", event: ev("dm", 0, IntentDirectMessages), to: []*client{s0}},
		{name: "no intent needed reaches every session of the shard", event: ev("all", guild(9), 0), to: []*client{s1, bare}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mustDispatch(t, ts.Server, tc.event)
			// Markers that reach every session show whether anything else came first.
			mustDispatch(t, ts.Server, Event{Type: "MARKER", GuildID: guild(0), Data: json.RawMessage(`{}`)})
			mustDispatch(t, ts.Server, Event{Type: "MARKER", GuildID: guild(1), Data: json.RawMessage(`{}`)})
			for _, c := range []*client{s0, s1, bare} {
				for _, r := range tc.to {
					if r == c {
						c.readDispatch("MESSAGE_CREATE")
					}
				}
				c.readDispatch("MARKER")
			}
		})
	}
}

// GW "Message Content Intent": sessions without MESSAGE_CONTENT get the redacted payload.
func TestRedactedPayloadWithoutMessageContent(t *testing.T) {
	ts := startServer(t, Config{ApprovedIntents: IntentMessageContent, IdentifyWindow: time.Nanosecond}, newBackend())
	with := connect(t, ts)
	with.readOp(opHello)
	with.identify(IntentGuildMessages|IntentMessageContent, [2]int{0, 1}, 0)
	without := connect(t, ts)
	without.readOp(opHello)
	without.identify(IntentGuildMessages, [2]int{0, 1}, 0)
	mustDispatch(t, ts.Server, Event{Type: "MESSAGE_CREATE", GuildID: guild(4), Intents: IntentGuildMessages,
		Data: json.RawMessage(`{"content":"secret"}`), Redacted: json.RawMessage(`{"content":""}`)})
	if p := with.readDispatch("MESSAGE_CREATE"); string(p.D) != `{"content":"secret"}` {
		t.Fatalf("got %s with MESSAGE_CONTENT; want the content", p.D)
	}
	if p := without.readDispatch("MESSAGE_CREATE"); string(p.D) != `{"content":""}` {
		t.Fatalf("got %s without MESSAGE_CONTENT; want it redacted", p.D)
	}
}

// contract A.30, GW "Transport Compression": zlib-stream is one zlib context per connection with
// every message ending in a Z_SYNC_FLUSH; zstd-stream is one zstd stream per connection with every
// message decodable when it arrives. Payload compression (identify compress:true) compresses
// dispatches alone. The client decodes with its own decoder (the standard library's zlib).
func TestCompressionDecodesToTheSameJSON(t *testing.T) {
	for _, tc := range []struct {
		query    string
		compress bool
		want     string
	}{
		{query: "v=10&encoding=json&compress=zlib-stream", want: CompressionZlibStream},
		{query: "v=10&encoding=json&compress=zstd-stream", want: CompressionZstdStream},
		{query: "v=10&encoding=json", compress: true, want: CompressionZlibPayload},
		{query: "v=10&encoding=json&compress=zstd-stream", compress: true, want: CompressionZstdStream},
		{query: "v=10&encoding=json", want: CompressionNone},
	} {
		t.Run(tc.want, func(t *testing.T) {
			ts := startServer(t, Config{}, newBackend(guild(1), guild(2)))
			c := dial(t, ts.url, tc.query)
			c.readOp(opHello)
			d := identifyData(allIntents, [2]int{0, 1})
			d["compress"] = tc.compress
			c.send(opIdentify, d)
			id := sessionID(t, c.readDispatch("READY"))
			c.readDispatch("GUILD_CREATE")
			c.readDispatch("GUILD_CREATE")
			data := []string{`{"content":"one"}`, `{"content":"` + strings.Repeat("two ", 300) + `"}`, `{"content":"three","n":[1,2,3]}`}
			for _, s := range data {
				mustDispatch(t, ts.Server, Event{Type: "MESSAGE_CREATE", Data: json.RawMessage(s)})
			}
			for _, s := range data {
				if p := c.readDispatch("MESSAGE_CREATE"); string(p.D) != s {
					t.Fatalf("got d %s; want %s", p.D, s)
				}
			}
			c.sendRaw(`{"op":1,"d":6}`)
			c.readOp(opHeartbeatACK)
			if si, _ := findSession(ts.Server, id); si.Compression != tc.want {
				t.Fatalf("got compression %q; want %q", si.Compression, tc.want)
			}
			if tc.want == CompressionZlibPayload {
				hello, ready := c.frames[0], c.frames[1]
				if hello[0] != '{' || ready[0] == '{' {
					t.Fatalf("got Hello %q.., READY %q..; want Hello as text and READY compressed", hello[:1], ready[:1])
				}
			}
		})
	}
}

// contract A.40, D.4: op 7 may come before Hello; the server closes a few seconds later (4000)
// if the client does not. The next connection gets Hello.
func TestReconnectBeforeHello(t *testing.T) {
	ts := startServer(t, Config{ReconnectGrace: 100 * time.Millisecond}, newBackend())
	ts.ReconnectBeforeHello(1)
	c := connect(t, ts)
	c.readOp(opReconnect)
	c.expectClose(CloseUnknownError)
	next := connect(t, ts)
	next.readOp(opHello)
}

// contract A.40, D.4: op 7 mid-stream, then a close with 4000; the session stays resumable.
func TestSendReconnectThenCloseKeepsSession(t *testing.T) {
	ts := startServer(t, Config{ReconnectGrace: 100 * time.Millisecond}, newBackend())
	c := connect(t, ts)
	c.readOp(opHello)
	id := sessionID(t, c.identify(IntentGuilds, [2]int{0, 1}, 0))
	if err := ts.SendReconnect(0); err != nil {
		t.Fatal(err)
	}
	c.readOp(opReconnect)
	c.expectClose(CloseUnknownError)
	r := dial(t, ts.resumeURL, "v=10&encoding=json")
	r.readOp(opHello)
	r.send(opResume, map[string]any{"token": testToken, "session_id": id, "seq": 1})
	r.readDispatch("RESUMED")
	if err := ts.SendReconnect(1); !errors.Is(err, ErrNoConnection) {
		t.Fatalf("got %v for a shard without connections; want ErrNoConnection", err)
	}
}

// contract D.7: with ACKs off the server reads heartbeats but answers none (a zombie).
func TestHeartbeatACKsCanBeStopped(t *testing.T) {
	ts := startServer(t, Config{}, newBackend())
	c := connect(t, ts)
	c.readOp(opHello)
	c.identify(allIntents, [2]int{0, 1}, 0)
	c.sendRaw(`{"op":1,"d":1}`)
	c.readOp(opHeartbeatACK)
	if err := ts.SetHeartbeatACKs(0, false); err != nil {
		t.Fatal(err)
	}
	c.sendRaw(`{"op":1,"d":1}`)
	waitFor(t, "the heartbeat to be read", func() bool { return countOps(ts.Server, Received, opHeartbeat) == 2 })
	mustDispatch(t, ts.Server, typing(1))
	if p := c.read(); p.Op != opDispatch {
		t.Fatalf("got %s; want no ACK before the dispatch", p)
	}
	if err := ts.SetHeartbeatACKs(0, true); err != nil {
		t.Fatal(err)
	}
	c.sendRaw(`{"op":1,"d":2}`)
	c.readOp(opHeartbeatACK)
}

func countOps(s *Server, dir Direction, op int) int {
	n := 0
	for _, r := range s.Payloads() {
		if r.Dir == dir && r.Op == op {
			n++
		}
	}
	return n
}

// contract A.32, D.8: the server may send op 1; it has d null.
func TestRequestHeartbeat(t *testing.T) {
	ts := startServer(t, Config{}, newBackend())
	c := connect(t, ts)
	c.readOp(opHello)
	c.identify(IntentGuilds, [2]int{0, 1}, 0)
	if err := ts.RequestHeartbeat(0); err != nil {
		t.Fatal(err)
	}
	if p := c.readOp(opHeartbeat); string(p.D) != "null" {
		t.Fatalf("got %s; want op 1 d:null", p)
	}
}

// GW "Heartbeat Interval": a client that stops heartbeating is closed and "forced to Resume":
// 4000, and the session stays resumable (a choice, see doc.go).
func TestNoHeartbeatClosesButKeepsSession(t *testing.T) {
	ts := startServer(t, Config{HeartbeatInterval: 100 * time.Millisecond, HeartbeatTimeout: 500 * time.Millisecond}, newBackend())
	c := connect(t, ts)
	c.readOp(opHello)
	id := sessionID(t, c.identify(IntentGuilds, [2]int{0, 1}, 0))
	if reason := c.expectClose(CloseUnknownError); reason != "Heartbeat timeout" {
		t.Fatalf("got reason %q; want Heartbeat timeout", reason)
	}
	if si, ok := findSession(ts.Server, id); !ok || si.Connected {
		t.Fatalf("got %+v, listed %v; want a resumable, disconnected session", si, ok)
	}
}

// contract D.5, D.6: op 9 d:true keeps the session resumable on the same socket; d:false forgets
// it and the client identifies again.
func TestInvalidateSession(t *testing.T) {
	clock := newClock()
	ts := startServer(t, Config{Now: clock.Now}, newBackend())
	c := connect(t, ts)
	c.readOp(opHello)
	id := sessionID(t, c.identify(allIntents, [2]int{0, 1}, 0))

	if err := ts.InvalidateSession(0, true); err != nil {
		t.Fatal(err)
	}
	if p := c.readOp(opInvalidSession); string(p.D) != "true" {
		t.Fatalf("got %s; want op 9 d:true", p)
	}
	c.sendRaw(`{"op":3,"d":{"since":null,"activities":[],"status":"online","afk":false}}`)
	c.expectClose(CloseNotAuthenticated) // contract A.41: "this session has been invalidated"

	r := dial(t, ts.resumeURL, "v=10&encoding=json")
	r.readOp(opHello)
	r.send(opResume, map[string]any{"token": testToken, "session_id": id, "seq": 1})
	r.readDispatch("RESUMED")

	if err := ts.InvalidateSession(0, false); err != nil {
		t.Fatal(err)
	}
	if p := r.readOp(opInvalidSession); string(p.D) != "false" {
		t.Fatalf("got %s; want op 9 d:false", p)
	}
	if _, ok := findSession(ts.Server, id); ok {
		t.Fatalf("got session %s still listed; want it forgotten", id)
	}
	r.send(opResume, map[string]any{"token": testToken, "session_id": id, "seq": 1})
	r.readOp(opInvalidSession)
	clock.Advance(5 * time.Second)
	if id2 := sessionID(t, r.identify(IntentGuilds, [2]int{0, 1}, 0)); id2 == id {
		t.Fatalf("got the same session %s; want a new one", id2)
	}
}

// contract A.35, D.10: 1000 IDENTIFYs per 24 h (here 2); the next one terminates every session,
// closes with 4004 and resets the token. RESUMEs do not count.
func TestSessionStartLimitResetsToken(t *testing.T) {
	clock := newClock()
	var reset atomic.Value
	ts := startServer(t, Config{Now: clock.Now, SessionStartTotal: 2, OnTokenReset: func(tok string) { reset.Store(tok) }}, newBackend())
	if total, remaining, after, _ := ts.SessionStartLimit(); total != 2 || remaining != 2 || after != 24*time.Hour {
		t.Fatalf("got total %d remaining %d reset_after %v; want 2, 2, 24h", total, remaining, after)
	}
	a := connect(t, ts)
	a.readOp(opHello)
	id := sessionID(t, a.identify(IntentGuilds, [2]int{0, 1}, 0))
	a.closeWith(4000)
	r := connect(t, ts)
	r.readOp(opHello)
	r.send(opResume, map[string]any{"token": testToken, "session_id": id, "seq": 1})
	r.readDispatch("RESUMED")
	clock.Advance(time.Hour)
	b := connect(t, ts)
	b.readOp(opHello)
	b.identify(IntentGuilds, [2]int{0, 1}, 0)
	if _, remaining, after, _ := ts.SessionStartLimit(); remaining != 0 || after != 23*time.Hour {
		t.Fatalf("got remaining %d reset_after %v; want 0, 23h", remaining, after)
	}

	clock.Advance(5 * time.Second)
	c := connect(t, ts)
	c.readOp(opHello)
	c.send(opIdentify, identifyData(IntentGuilds, [2]int{0, 1}))
	for _, cl := range []*client{r, b, c} {
		cl.expectClose(CloseAuthenticationFailed)
	}
	if got, _ := reset.Load().(string); got != testToken {
		t.Fatalf("got OnTokenReset(%q); want the token", got)
	}
	if n := len(ts.Sessions()); n != 0 {
		t.Fatalf("got %d sessions; want 0", n)
	}
	clock.Advance(24 * time.Hour) // even with a fresh window, the token stays reset
	d := connect(t, ts)
	d.readOp(opHello)
	d.send(opIdentify, identifyData(IntentGuilds, [2]int{0, 1}))
	d.expectClose(CloseAuthenticationFailed)
	e := connect(t, ts)
	e.readOp(opHello)
	e.send(opResume, map[string]any{"token": testToken, "session_id": id, "seq": 1})
	e.expectClose(CloseAuthenticationFailed)
}

// CloseWithCode: codes after which Discord says to start over end the session (D.3, D.13).
func TestCloseWithCodeDecidesTheSession(t *testing.T) {
	for _, tc := range []struct {
		code      int
		resumable bool
	}{
		{CloseUnknownError, true}, {CloseRateLimited, true}, {1012, true},
		{CloseInvalidSeq, false}, {CloseSessionTimedOut, false}, {CloseDisallowedIntents, false},
	} {
		t.Run(itoa(int64(tc.code)), func(t *testing.T) {
			ts := startServer(t, Config{}, newBackend())
			c := connect(t, ts)
			c.readOp(opHello)
			id := sessionID(t, c.identify(IntentGuilds, [2]int{0, 1}, 0))
			if err := ts.CloseWithCode(0, tc.code, "test"); err != nil {
				t.Fatal(err)
			}
			if reason := c.expectClose(tc.code); reason != "test" {
				t.Fatalf("got reason %q; want test", reason)
			}
			if _, ok := findSession(ts.Server, id); ok != tc.resumable {
				t.Fatalf("got session listed %v after %d; want %v", ok, tc.code, tc.resumable)
			}
		})
	}
	ts := startServer(t, Config{}, newBackend())
	if err := ts.CloseWithCode(0, 1006, ""); err == nil {
		t.Fatal("got nil for close code 1006; want an error")
	}
}

func TestDispatchRejectsInvalidEvents(t *testing.T) {
	ts := startServer(t, Config{}, newBackend())
	for _, ev := range []Event{
		{Data: json.RawMessage(`{}`)},
		{Type: "X", Data: json.RawMessage(`{`)},
		{Type: "X", Data: json.RawMessage(`{}`), Redacted: json.RawMessage(`nope`)},
	} {
		if err := ts.Dispatch(ev); err == nil {
			t.Fatalf("got nil for %+v; want an error", ev)
		}
	}
}

// A client that stops reading neither blocks Dispatch nor delays other sessions; its writes
// time out and the connection is dropped, its session resumable.
func TestSlowClientDoesNotStallOthers(t *testing.T) {
	ts := startServer(t, Config{WriteTimeout: 200 * time.Millisecond, IdentifyWindow: time.Nanosecond}, newBackend())
	slow := connect(t, ts)
	slow.readOp(opHello)
	slowID := sessionID(t, slow.identify(IntentGuildMessages, [2]int{1, 2}, 0))
	fast := connect(t, ts)
	fast.readOp(opHello)
	fast.identify(IntentGuildMessages, [2]int{0, 2}, 0)

	big := json.RawMessage(`{"content":"` + strings.Repeat("x", 256<<10) + `"}`)
	start := time.Now()
	for range 200 { // 50 MiB for the slow client, which reads nothing
		mustDispatch(t, ts.Server, Event{Type: "MESSAGE_CREATE", GuildID: guild(1), Data: big})
	}
	mustDispatch(t, ts.Server, Event{Type: "MESSAGE_CREATE", GuildID: guild(2), Data: json.RawMessage(`{}`)})
	fast.readDispatch("MESSAGE_CREATE")
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("got %v to dispatch and deliver; want Dispatch not to wait for the slow client", d)
	}
	waitFor(t, "the slow client to be dropped", func() bool { si, ok := findSession(ts.Server, slowID); return ok && !si.Connected })
}

// Close closes every connection with 1001 and returns once every goroutine is done; afterwards
// the endpoint answers 503.
func TestCloseEndsEveryConnection(t *testing.T) {
	ts := startServer(t, Config{}, newBackend())
	var clients []*client
	for range 3 {
		c := connect(t, ts)
		c.readOp(opHello)
		clients = append(clients, c)
	}
	ts.Close()
	for _, c := range clients {
		c.expectClose(1001)
	}
	if _, rs, err := dialRaw(ts.url); err == nil || rs == nil || rs.StatusCode != 503 {
		t.Fatalf("got %v after Close; want 503", err)
	}
}

// brokenBackend returns invalid JSON, a bug in the parent that must not corrupt the stream.
type brokenBackend struct {
	*fakeBackend
	badUser bool
}

func (b brokenBackend) Authenticate(token string) (Identity, bool) {
	id, ok := b.fakeBackend.Authenticate(token)
	if b.badUser {
		id.User = json.RawMessage(`{"id":`)
	}
	return id, ok
}

func (b brokenBackend) GuildCreate(uint64, uint64, int) (json.RawMessage, bool) {
	return json.RawMessage(`{"id":`), true
}

func TestInvalidBackendJSONClosesTheConnection(t *testing.T) {
	for _, tc := range []struct {
		name    string
		badUser bool
		want    string
	}{
		{name: "user", badUser: true, want: "identity user"},
		{name: "guild create", want: "GUILD_CREATE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, Config{}, brokenBackend{newBackend(guild(1)), tc.badUser})
			c := connect(t, ts)
			c.readOp(opHello)
			c.send(opIdentify, identifyData(IntentGuilds, [2]int{0, 1}))
			if reason := c.expectClose(CloseUnknownError); !strings.Contains(reason, tc.want) {
				t.Fatalf("got reason %q; want it to name %q", reason, tc.want)
			}
			if n := len(ts.Sessions()); n != 0 {
				t.Fatalf("got %d sessions; want 0", n)
			}
		})
	}
}
