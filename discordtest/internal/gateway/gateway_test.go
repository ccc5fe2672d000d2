package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

const allIntents = IntentGuilds | IntentGuildMessages | IntentDirectMessages | IntentDirectMessageTyping

// contract A.31, A.32, D.1: Hello carries heartbeat_interval, heartbeats are allowed before
// IDENTIFY, and each gets an op 11 ACK; non-dispatch payloads have null s and t.
func TestHelloThenHeartbeatIsACKed(t *testing.T) {
	seen := make(chan Record, 16)
	ts := startServer(t, Config{HeartbeatInterval: 45 * time.Second, OnPayload: func(r Record) { seen <- r }}, newBackend())
	c := connect(t, ts)
	hello := c.readOp(opHello)
	var d struct {
		HeartbeatInterval int64 `json:"heartbeat_interval"`
	}
	if err := json.Unmarshal(hello.D, &d); err != nil || d.HeartbeatInterval != 45000 {
		t.Fatalf("got Hello %s; want heartbeat_interval 45000", hello)
	}
	if hello.S != nil || hello.T != nil || !strings.Contains(string(hello.Raw), `"s":null`) {
		t.Fatalf("got Hello %s; want s and t null", hello)
	}
	for _, beat := range []string{`{"op":1,"d":null}`, `{"op":1,"d":42}`} {
		c.sendRaw(beat)
		if ack := c.readOp(opHeartbeatACK); ack.S != nil || ack.T != nil {
			t.Fatalf("got ACK %s; want s and t null", ack)
		}
	}
	// OnPayload saw every payload, in order for each direction.
	ops := map[Direction][]int{}
	for range 5 {
		r := <-seen
		if r.Size == 0 || r.Conn != 1 {
			t.Fatalf("got record %+v; want a size and connection 1", r)
		}
		ops[r.Dir] = append(ops[r.Dir], r.Op)
	}
	if got, want := ops[Sent], []int{opHello, opHeartbeatACK, opHeartbeatACK}; !slices.Equal(got, want) {
		t.Fatalf("got sent ops %v; want %v", got, want)
	}
	if got, want := ops[Received], []int{opHeartbeat, opHeartbeat}; !slices.Equal(got, want) {
		t.Fatalf("got received ops %v; want %v", got, want)
	}
}

// Each case sends payloads after Hello and expects one close code (contract A.41 and the items
// named in each case).
func TestProtocolViolationsCloseWithCode(t *testing.T) {
	ident := func(mod func(d map[string]any)) string {
		d := identifyData(IntentGuilds, [2]int{0, 1})
		if mod != nil {
			mod(d)
		}
		b, _ := json.Marshal(map[string]any{"op": 2, "d": d})
		return string(b)
	}
	resume := `{"op":6,"d":{"token":"` + testToken + `","session_id":"nope","seq":1}}`
	cases := []struct {
		name       string
		item       string
		cfg        Config
		guilds     []uint64
		send       []string
		wantCode   int
		wantReason string
	}{
		{name: "presence update before identify", item: "D.1", send: []string{`{"op":3,"d":{"since":null,"activities":[],"status":"online","afk":false}}`}, wantCode: CloseNotAuthenticated},
		{name: "request guild members before identify", item: "D.1", send: []string{`{"op":8,"d":{"guild_id":"1","query":"","limit":0}}`}, wantCode: CloseNotAuthenticated},
		{name: "second identify", item: "D.1", send: []string{ident(nil), ident(nil)}, wantCode: CloseAlreadyAuthenticated},
		{name: "resume after identify", item: "D.1", send: []string{ident(nil), resume}, wantCode: CloseAlreadyAuthenticated},
		{name: "unknown opcode 5", item: "A.41", send: []string{`{"op":5,"d":{}}`}, wantCode: CloseUnknownOpcode},
		{name: "server-only opcode 11", item: "A.41", send: []string{`{"op":11,"d":null}`}, wantCode: CloseUnknownOpcode},
		{name: "opcode 99 after identify", item: "A.41", send: []string{ident(nil), `{"op":99,"d":{}}`}, wantCode: CloseUnknownOpcode},
		{name: "heartbeat with a string", item: "A.41", send: []string{`{"op":1,"d":"7"}`}, wantCode: CloseUnknownOpcode},
		{name: "identify d not an object", item: "A.41", send: []string{`{"op":2,"d":"token"}`}, wantCode: CloseUnknownOpcode},
		{name: "identify without properties", item: "A.41", send: []string{ident(func(d map[string]any) { delete(d, "properties") })}, wantCode: CloseUnknownOpcode},
		{name: "large_threshold 251", item: "A.41", send: []string{ident(func(d map[string]any) { d["large_threshold"] = 251 })}, wantCode: CloseUnknownOpcode},
		{name: "resume without seq", item: "A.41", send: []string{`{"op":6,"d":{"token":"` + testToken + `","session_id":"x"}}`}, wantCode: CloseUnknownOpcode},
		{name: "undecodable JSON", item: "A.41", send: []string{`{"op":1,"d":`}, wantCode: CloseDecodeError},
		{name: "JSON array", item: "A.41", send: []string{`[1]`}, wantCode: CloseDecodeError},
		{name: "no op", item: "A.41", send: []string{`{"d":null}`}, wantCode: CloseDecodeError},
		{name: "payload of 4097 bytes", item: "A.35, D.12", send: []string{`{"op":1,"d":null}` + strings.Repeat(" ", 4097-17)}, wantCode: CloseDecodeError, wantReason: "4096"},
		{name: "bad token", item: "A.41", send: []string{ident(func(d map[string]any) { d["token"] = "wrong" })}, wantCode: CloseAuthenticationFailed},
		{name: "no token", item: "A.41", send: []string{ident(func(d map[string]any) { delete(d, "token") })}, wantCode: CloseAuthenticationFailed},
		{name: "bad token before bad intents", item: "A.41", send: []string{ident(func(d map[string]any) { d["token"] = "wrong"; d["intents"] = 1 << 30 })}, wantCode: CloseAuthenticationFailed},
		{name: "resume with bad token", item: "A.41", send: []string{`{"op":6,"d":{"token":"wrong","session_id":"x","seq":0}}`}, wantCode: CloseAuthenticationFailed},
		{name: "intents missing", item: "A.41", send: []string{ident(func(d map[string]any) { delete(d, "intents") })}, wantCode: CloseInvalidIntents},
		{name: "undefined intent 1<<17", item: "A.41", send: []string{ident(func(d map[string]any) { d["intents"] = 1 << 17 })}, wantCode: CloseInvalidIntents},
		{name: "negative intents", item: "A.41", send: []string{ident(func(d map[string]any) { d["intents"] = -1 })}, wantCode: CloseInvalidIntents},
		{name: "GUILD_PRESENCES not approved", item: "A.41", send: []string{ident(func(d map[string]any) { d["intents"] = IntentGuilds | IntentGuildPresences })}, wantCode: CloseDisallowedIntents, wantReason: "GUILD_PRESENCES"},
		{name: "MESSAGE_CONTENT not approved", item: "A.41", cfg: Config{ApprovedIntents: IntentGuildMembers}, send: []string{ident(func(d map[string]any) { d["intents"] = IntentGuildMembers | IntentMessageContent })}, wantCode: CloseDisallowedIntents, wantReason: "MESSAGE_CONTENT"},
		{name: "shard id equal to count", item: "A.41", send: []string{ident(func(d map[string]any) { d["shard"] = []int{2, 2} })}, wantCode: CloseInvalidShard},
		{name: "shard count 0", item: "A.41", send: []string{ident(func(d map[string]any) { d["shard"] = []int{0, 0} })}, wantCode: CloseInvalidShard},
		{name: "shard of three numbers", item: "A.41", send: []string{ident(func(d map[string]any) { d["shard"] = []int{0, 2, 3} })}, wantCode: CloseInvalidShard},
		{name: "shard count not a multiple of the assigned one", item: "A.45, D.15", cfg: Config{RequiredShards: 4}, send: []string{ident(func(d map[string]any) { d["shard"] = []int{0, 6} })}, wantCode: CloseInvalidShard, wantReason: "multiple of 4"},
		{name: "too many guilds on the shard", item: "A.44, D.14", cfg: Config{MaxGuildsPerShard: 2}, guilds: []uint64{guild(0), guild(2), guild(4), guild(1)}, send: []string{ident(func(d map[string]any) { d["shard"] = []int{0, 2} })}, wantCode: CloseShardingRequired},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, tc.cfg, newBackend(tc.guilds...))
			c := connect(t, ts)
			c.readOp(opHello)
			for _, m := range tc.send {
				c.sendRaw(m)
			}
			reason := c.expectClose(tc.wantCode) // contract named in tc.item
			if !strings.Contains(reason, tc.wantReason) {
				t.Fatalf("got reason %q; want it to name %q (contract %s)", reason, tc.wantReason, tc.item)
			}
		})
	}
}

// contract A.35, D.12: exactly 4096 bytes is still allowed.
func TestPayloadOf4096BytesIsAccepted(t *testing.T) {
	ts := startServer(t, Config{}, newBackend())
	c := connect(t, ts)
	c.readOp(opHello)
	c.sendRaw(`{"op":1,"d":null}` + strings.Repeat(" ", 4096-17))
	c.readOp(opHeartbeatACK)
}

// contract A.30, A.41: only v=10 is served; anything else closes with 4012 before Hello.
func TestWrongAPIVersionCloses4012(t *testing.T) {
	for _, q := range []string{"v=9&encoding=json", "encoding=json", "v=10x&encoding=json"} {
		t.Run(q, func(t *testing.T) {
			ts := startServer(t, Config{}, newBackend())
			c := dial(t, ts.url, q)
			_, err := c.next()
			ce, ok := err.(*websocket.CloseError)
			if !ok || ce.Code != CloseInvalidAPIVersion {
				t.Fatalf("got %v; want close 4012 before any payload", err)
			}
		})
	}
}

// contract A.30: encoding=etf is valid for Discord but not emulated: refused with a clear message.
func TestUnsupportedQueryIsRefused(t *testing.T) {
	ts := startServer(t, Config{}, newBackend())
	for _, tc := range []struct{ query, want string }{
		{"v=10&encoding=etf", "etf is not emulated"},
		{"v=10&encoding=xml", "unknown encoding"},
		{"v=10&encoding=json&compress=gzip", "unknown compress"},
	} {
		_, rs, err := websocket.DefaultDialer.Dial(ts.url+"?"+tc.query, nil)
		if err == nil || rs == nil {
			t.Fatalf("%s: got err %v; want HTTP 400", tc.query, err)
		}
		body, _ := io.ReadAll(rs.Body)
		if rs.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), tc.want) {
			t.Fatalf("%s: got %d %q; want 400 naming %q", tc.query, rs.StatusCode, body, tc.want)
		}
	}
}

// contract A.42, D.11: 120 payloads per 60 s (heartbeats count); the 121st closes with 4008.
// The window slides: once 60 s have passed, sending is allowed again.
func TestSendLimitClosesOn121st(t *testing.T) {
	clock := newClock()
	ts := startServer(t, Config{Now: clock.Now}, newBackend())
	c := connect(t, ts)
	c.readOp(opHello)
	for range 120 {
		c.sendRaw(`{"op":1,"d":null}`)
		c.readOp(opHeartbeatACK)
	}
	clock.Advance(60 * time.Second)
	for range 120 {
		c.sendRaw(`{"op":1,"d":null}`)
		c.readOp(opHeartbeatACK)
	}
	clock.Advance(59 * time.Second)
	c.sendRaw(`{"op":1,"d":null}`)
	c.expectClose(CloseRateLimited)
}

// contract A.43, D.9: one IDENTIFY per shard_id % max_concurrency per 5 s; a violation gets op 9
// d:false, keeps the connection open, and does not count as a session start.
func TestIdentifyConcurrencyGetsInvalidSession(t *testing.T) {
	clock := newClock()
	ts := startServer(t, Config{Now: clock.Now, MaxConcurrency: 2}, newBackend())

	first := connect(t, ts)
	first.readOp(opHello)
	first.identify(IntentGuilds, [2]int{0, 4}, 0) // key 0

	other := connect(t, ts)
	other.readOp(opHello)
	other.identify(IntentGuilds, [2]int{1, 4}, 0) // key 1: its own bucket

	c := connect(t, ts)
	c.readOp(opHello)
	c.send(opIdentify, identifyData(IntentGuilds, [2]int{2, 4})) // key 0 again within 5 s
	if p := c.readOp(opInvalidSession); string(p.D) != "false" {
		t.Fatalf("got %s; want op 9 d:false", p)
	}
	if _, remaining, _, mc := ts.SessionStartLimit(); remaining != 998 || mc != 2 {
		t.Fatalf("got remaining %d, max_concurrency %d; want 998, 2", remaining, mc)
	}
	clock.Advance(5 * time.Second)
	c.identify(IntentGuilds, [2]int{2, 4}, 0) // same connection, after the window
}

// contract A.36, A.44: READY carries the session and the shard's guilds as unavailable, then one
// GUILD_CREATE per guild of the shard follows with increasing s.
func TestReadyThenGuildCreatesOfTheShard(t *testing.T) {
	guilds := []uint64{guild(2), guild(3), guild(4), guild(5)}
	ts := startServer(t, Config{}, newBackend(guilds...))
	c := connect(t, ts)
	c.readOp(opHello)
	ready := c.identify(IntentGuilds, [2]int{1, 2}, 0)
	var r struct {
		V                int    `json:"v"`
		SessionID        string `json:"session_id"`
		ResumeGatewayURL string `json:"resume_gateway_url"`
		Shard            [2]int `json:"shard"`
		User             struct {
			ID string `json:"id"`
		} `json:"user"`
		Application struct {
			ID    string `json:"id"`
			Flags int    `json:"flags"`
		} `json:"application"`
		Guilds []struct {
			ID          string `json:"id"`
			Unavailable bool   `json:"unavailable"`
		} `json:"guilds"`
		PrivateChannels []any `json:"private_channels"`
	}
	if err := json.Unmarshal(ready.D, &r); err != nil {
		t.Fatal(err)
	}
	if r.V != 10 || r.SessionID == "" || r.ResumeGatewayURL != ts.resumeURL || r.Shard != [2]int{1, 2} ||
		r.User.ID != testAppID || r.Application.ID != testAppID || r.PrivateChannels == nil {
		t.Fatalf("got READY %s; want v 10, a session_id, resume_gateway_url %s, shard [1,2], application %s", ready, ts.resumeURL, testAppID)
	}
	want := []string{"12582919", "20971527"} // guild(3), guild(5): (k<<22|7), k odd
	if len(r.Guilds) != 2 || r.Guilds[0].ID != want[0] || r.Guilds[1].ID != want[1] || !r.Guilds[0].Unavailable {
		t.Fatalf("got READY guilds %+v; want %v unavailable", r.Guilds, want)
	}
	if ready.seq() != 1 {
		t.Fatalf("got READY s %d; want 1", ready.seq())
	}
	for i, id := range want {
		gc := c.readDispatch("GUILD_CREATE")
		var g struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(gc.D, &g)
		if g.ID != id || gc.seq() != i+2 {
			t.Fatalf("got GUILD_CREATE %s s %d; want guild %s s %d", g.ID, gc.seq(), id, i+2)
		}
	}
}

// GW "List of Intents": GUILD_CREATE needs GUILDS; without it READY is followed directly by the
// next dispatch.
func TestNoGuildCreateWithoutGuildsIntent(t *testing.T) {
	ts := startServer(t, Config{}, newBackend(guild(0), guild(1)))
	c := connect(t, ts)
	c.readOp(opHello)
	c.identify(IntentDirectMessageTyping, [2]int{0, 1}, 0)
	mustDispatch(t, ts.Server, typing(1))
	if p := c.readDispatch("TYPING_START"); p.seq() != 2 {
		t.Fatalf("got s %d; want 2", p.seq())
	}
}

// contract A.38, D.2: after a TCP drop the session keeps collecting events; RESUME on the resume
// URL replays exactly those after seq, in order, then RESUMED, and the stream continues.
func TestResumeReplaysMissedEventsInOrder(t *testing.T) {
	for _, tc := range []struct {
		name   string
		behind int // how many received events the client claims it did not see
	}{
		{name: "from the last event received", behind: 0},
		{name: "from two events back", behind: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, Config{}, newBackend())
			c := connect(t, ts)
			c.readOp(opHello)
			id := sessionID(t, c.identify(allIntents, [2]int{0, 1}, 0))
			last := 0
			for n := 1; n <= 3; n++ {
				mustDispatch(t, ts.Server, typing(n))
				last = c.readDispatch("TYPING_START").seq()
			}
			if err := ts.DropConnection(0); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the drop to be seen", func() bool { si, ok := findSession(ts.Server, id); return ok && !si.Connected })
			for n := 4; n <= 8; n++ {
				mustDispatch(t, ts.Server, typing(n))
			}

			r := dial(t, ts.resumeURL, "v=10&encoding=json")
			r.readOp(opHello)
			seq := last - tc.behind
			r.send(opResume, map[string]any{"token": testToken, "session_id": id, "seq": seq})
			for n := 4 - tc.behind; n <= 8; n++ {
				p := r.readDispatch("TYPING_START")
				var d struct {
					Timestamp int `json:"timestamp"`
				}
				_ = json.Unmarshal(p.D, &d)
				if d.Timestamp != n || p.seq() != seq+1 {
					t.Fatalf("got event %d s %d; want event %d s %d", d.Timestamp, p.seq(), n, seq+1)
				}
				seq++
			}
			if p := r.readDispatch("RESUMED"); p.seq() != seq+1 {
				t.Fatalf("got RESUMED s %d; want %d", p.seq(), seq+1)
			}
			mustDispatch(t, ts.Server, typing(9))
			if p := r.readDispatch("TYPING_START"); p.seq() != seq+2 {
				t.Fatalf("got s %d after RESUMED; want %d", p.seq(), seq+2)
			}
			si, _ := findSession(ts.Server, id)
			if !si.Connected || !si.ViaResumeURL {
				t.Fatalf("got %+v; want connected through the resume URL", si)
			}
		})
	}
}

// contract A.37-A.39, D.3: a RESUME that cannot be honoured gets op 9 d:false (or 4007 for a seq
// from the future); after op 9 the same connection may IDENTIFY.
func TestResumeThatCannotBeHonoured(t *testing.T) {
	other := "b3RoZXI.x.y"
	cases := []struct {
		name     string
		resume   func(id string) map[string]any
		expire   bool
		wantCode int // 0: op 9 d:false
	}{
		{name: "unknown session", resume: func(string) map[string]any {
			return map[string]any{"token": testToken, "session_id": "0123", "seq": 1}
		}},
		{name: "another token", resume: func(id string) map[string]any {
			return map[string]any{"token": other, "session_id": id, "seq": 1}
		}},
		{name: "after the resume window", expire: true, resume: func(id string) map[string]any {
			return map[string]any{"token": testToken, "session_id": id, "seq": 1}
		}},
		{name: "seq from the future", wantCode: CloseInvalidSeq, resume: func(id string) map[string]any {
			return map[string]any{"token": testToken, "session_id": id, "seq": 99}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			b := newBackend()
			b.tokens[other] = b.tokens[testToken]
			ts := startServer(t, Config{Now: clock.Now, IdentifyWindow: time.Nanosecond}, b)
			c := connect(t, ts)
			c.readOp(opHello)
			id := sessionID(t, c.identify(IntentGuilds, [2]int{0, 1}, 0))
			c.closeWith(4000)
			waitFor(t, "the close to be processed", func() bool { si, ok := findSession(ts.Server, id); return ok && !si.Connected })
			if tc.expire {
				clock.Advance(3*time.Minute + time.Second)
			}
			r := dial(t, ts.resumeURL, "v=10&encoding=json")
			r.readOp(opHello)
			r.send(opResume, tc.resume(id))
			if tc.wantCode != 0 {
				r.expectClose(tc.wantCode)
				if _, ok := findSession(ts.Server, id); ok {
					t.Fatalf("got session %s still listed; want it ended", id)
				}
				return
			}
			if p := r.readOp(opInvalidSession); string(p.D) != "false" {
				t.Fatalf("got %s; want op 9 d:false", p)
			}
			clock.Advance(5 * time.Second)
			r.identify(IntentGuilds, [2]int{0, 1}, 0)
		})
	}
}

// contract A.34, D.7: a client close with 1000 or 1001 ends the session (its RESUME gets op 9
// false); any other code keeps it resumable.
func TestClientCloseCodeDecidesTheSession(t *testing.T) {
	for _, tc := range []struct {
		code      int
		resumable bool
	}{
		{1000, false}, {1001, false}, {4000, true}, {1012, true},
	} {
		t.Run("close "+strconv.Itoa(tc.code), func(t *testing.T) {
			ts := startServer(t, Config{}, newBackend())
			c := connect(t, ts)
			c.readOp(opHello)
			id := sessionID(t, c.identify(IntentGuilds, [2]int{0, 1}, 0))
			c.closeWith(tc.code)
			waitFor(t, "the close to be processed", func() bool { si, ok := findSession(ts.Server, id); return !ok || !si.Connected })
			if _, ok := findSession(ts.Server, id); ok != tc.resumable {
				t.Fatalf("got session listed %v after close %d; want %v", ok, tc.code, tc.resumable)
			}
			r := dial(t, ts.resumeURL, "v=10&encoding=json")
			r.readOp(opHello)
			r.send(opResume, map[string]any{"token": testToken, "session_id": id, "seq": 1})
			p := r.read()
			if tc.resumable && (p.Op != 0 || p.typ() != "RESUMED") {
				t.Fatalf("got %s after close %d; want RESUMED", p, tc.code)
			}
			if !tc.resumable && (p.Op != opInvalidSession || string(p.D) != "false") {
				t.Fatalf("got %s after close %d; want op 9 d:false", p, tc.code)
			}
		})
	}
}
