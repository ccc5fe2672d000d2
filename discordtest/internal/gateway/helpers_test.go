package gateway

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/klauspost/compress/zstd"
)

const testAppID = "123456789012345678"

// testToken has the shape disgo needs: base64(application ID) "." x "." y.
var testToken = base64.RawStdEncoding.EncodeToString([]byte(testAppID)) + ".GhxYzA.c2VjcmV0LXBhcnQ"

// guild returns a guild ID whose shard is k % n for every shard count n.
func guild(k uint64) uint64 { return k<<22 | 7 }

// fakeBackend is an in-memory Backend.
type fakeBackend struct {
	mu     sync.Mutex
	tokens map[string]Identity
	guilds []uint64
}

func newBackend(guilds ...uint64) *fakeBackend {
	return &fakeBackend{
		tokens: map[string]Identity{testToken: {
			User:          json.RawMessage(`{"id":"` + testAppID + `","username":"hearth","discriminator":"0","global_name":null,"avatar":null,"bot":true,"flags":0}`),
			ApplicationID: testAppID, ApplicationFlags: 1 << 23,
		}},
		guilds: guilds,
	}
}

func (b *fakeBackend) Authenticate(token string) (Identity, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id, ok := b.tokens[token]
	return id, ok
}

func (b *fakeBackend) GuildIDs() []uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]uint64(nil), b.guilds...)
}

func (b *fakeBackend) GuildCreate(id uint64, _ uint64, _ int) (json.RawMessage, bool) {
	return guildJSON(id), true
}

func guildJSON(id uint64) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"id":"%d","name":"Guild %d","icon":null,"owner_id":"1","afk_timeout":300,`+
		`"verification_level":0,"default_message_notifications":0,"explicit_content_filter":0,"roles":[],"emojis":[],`+
		`"features":[],"mfa_level":0,"system_channel_flags":0,"premium_tier":0,"preferred_locale":"en-US","nsfw_level":0,`+
		`"stickers":[],"premium_progress_bar_enabled":false,"joined_at":"2024-01-01T00:00:00.000000+00:00","large":false,`+
		`"unavailable":false,"member_count":1,"voice_states":[],"members":[],"channels":[],"threads":[],"presences":[],`+
		`"stage_instances":[],"guild_scheduled_events":[],"soundboard_sounds":[]}`, id, id))
}

// fakeClock is a settable Config.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testServer is a Server behind a real HTTP server: the gateway at url, the resume endpoint at
// resumeURL.
type testServer struct {
	*Server
	url       string
	resumeURL string
}

func startServer(t *testing.T, cfg Config, b Backend) *testServer {
	t.Helper()
	mux := http.NewServeMux()
	hs := httptest.NewUnstartedServer(mux)
	base := "ws://" + hs.Listener.Addr().String()
	cfg.ResumeURL = base + "/resume"
	s := New(cfg, b)
	mux.Handle("/", s.Handler(false))
	mux.Handle("/resume", s.Handler(true))
	hs.Start()
	t.Cleanup(func() {
		s.Close()
		hs.Close()
	})
	return &testServer{Server: s, url: base + "/", resumeURL: cfg.ResumeURL}
}

// payload is a decoded gateway payload as a client sees it.
type payload struct {
	Op  int             `json:"op"`
	D   json.RawMessage `json:"d"`
	S   *int            `json:"s"`
	T   *string         `json:"t"`
	Raw []byte          `json:"-"`
}

func (p payload) String() string { return string(p.Raw) }

func (p payload) seq() int {
	if p.S == nil {
		return 0
	}
	return *p.S
}

func (p payload) typ() string {
	if p.T == nil {
		return ""
	}
	return *p.T
}

// client is a raw gorilla websocket client that decodes the transport compression itself.
type client struct {
	t           *testing.T
	ws          *websocket.Conn
	compression string
	stream      []byte // every compressed byte received so far
	decoded     int    // how many decompressed bytes were already returned
	frames      [][]byte
}

const readTimeout = 5 * time.Second

func dial(t *testing.T, url, query string) *client {
	t.Helper()
	ws, rs, err := websocket.DefaultDialer.Dial(url+"?"+query, nil)
	if err != nil {
		body := ""
		if rs != nil {
			b, _ := io.ReadAll(rs.Body)
			body = string(b)
		}
		t.Fatalf("dial %s?%s: %v %s", url, query, err, body)
	}
	t.Cleanup(func() { _ = ws.Close() })
	c := &client{t: t, ws: ws}
	for _, kv := range strings.Split(query, "&") {
		if v, ok := strings.CutPrefix(kv, "compress="); ok {
			c.compression = v
		}
	}
	return c
}

func connect(t *testing.T, ts *testServer) *client {
	t.Helper()
	return dial(t, ts.url, "v=10&encoding=json")
}

// next returns the next payload, or the error that ended the connection.
func (c *client) next() (payload, error) {
	_ = c.ws.SetReadDeadline(time.Now().Add(readTimeout))
	mt, data, err := c.ws.ReadMessage()
	if err != nil {
		return payload{}, err
	}
	c.frames = append(c.frames, append([]byte(nil), data...))
	switch c.compression {
	case CompressionZlibStream, CompressionZstdStream:
		if mt != websocket.BinaryMessage {
			return payload{}, fmt.Errorf("got message type %d with %s; want binary", mt, c.compression)
		}
		data, err = c.inflate(data)
		if err != nil {
			return payload{}, err
		}
	default:
		if mt == websocket.BinaryMessage { // payload compression
			r, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				return payload{}, fmt.Errorf("payload compression: %w", err)
			}
			if data, err = io.ReadAll(r); err != nil {
				return payload{}, fmt.Errorf("payload compression: %w", err)
			}
		}
	}
	var p payload
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&p); err != nil || dec.More() {
		return payload{}, fmt.Errorf("message %q is not exactly one JSON payload: %v", data, err)
	}
	p.Raw = data
	return p, nil
}

// inflate decodes the whole stream received so far with a fresh decoder (the standard library's
// zlib, or zstd) and returns only the new bytes: so each message must complete on its own.
func (c *client) inflate(frame []byte) ([]byte, error) {
	c.stream = append(c.stream, frame...)
	var r io.Reader
	switch c.compression {
	case CompressionZlibStream:
		if !bytes.HasSuffix(frame, []byte{0, 0, 0xff, 0xff}) {
			return nil, fmt.Errorf("zlib-stream message ends in %x; want 0000ffff", frame[max(len(frame)-4, 0):])
		}
		zr, err := zlib.NewReader(bytes.NewReader(c.stream))
		if err != nil {
			return nil, err
		}
		r = zr
	case CompressionZstdStream:
		zr, err := zstd.NewReader(bytes.NewReader(c.stream), zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	}
	all, err := io.ReadAll(r)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	out := all[c.decoded:]
	c.decoded = len(all)
	return out, nil
}

func (c *client) read() payload {
	c.t.Helper()
	p, err := c.next()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return p
}

// readOp reads the next payload and checks its opcode.
func (c *client) readOp(op int) payload {
	c.t.Helper()
	p := c.read()
	if p.Op != op {
		c.t.Fatalf("got %s; want op %d", p, op)
	}
	return p
}

// readDispatch reads the next payload and checks it is a dispatch of type typ.
func (c *client) readDispatch(typ string) payload {
	c.t.Helper()
	p := c.read()
	if p.Op != 0 || p.typ() != typ {
		c.t.Fatalf("got %s; want dispatch %s", p, typ)
	}
	return p
}

func (c *client) sendRaw(s string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) send(op int, d any) {
	c.t.Helper()
	b, err := json.Marshal(map[string]any{"op": op, "d": d})
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(string(b))
}

func identifyData(intents uint64, shard [2]int) map[string]any {
	return map[string]any{
		"token":      testToken,
		"properties": map[string]string{"os": "linux", "browser": "hearth-test", "device": "hearth-test"},
		"intents":    intents,
		"shard":      shard,
	}
}

// identify sends IDENTIFY and reads READY plus one GUILD_CREATE per guild of want.
func (c *client) identify(intents uint64, shard [2]int, guilds int) (ready payload) {
	c.t.Helper()
	c.send(opIdentify, identifyData(intents, shard))
	ready = c.readDispatch("READY")
	for range guilds {
		c.readDispatch("GUILD_CREATE")
	}
	return ready
}

// expectClose reads until the server's close frame and checks its code; payloads before it are
// skipped. It returns the reason.
func (c *client) expectClose(code int) string {
	c.t.Helper()
	for {
		_, err := c.next()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			c.t.Fatalf("got %v; want close %d", err, code)
		}
		if ce.Code != code {
			c.t.Fatalf("got close %d %q; want close %d", ce.Code, ce.Text, code)
		}
		return ce.Text
	}
}

// closeWith sends a close frame with code and waits for the server to end the connection.
func (c *client) closeWith(code int) {
	c.t.Helper()
	msg := websocket.FormatCloseMessage(code, "test")
	if err := c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second)); err != nil {
		c.t.Fatalf("write close: %v", err)
	}
	for {
		if _, err := c.next(); err != nil {
			return
		}
	}
}

func sessionID(t *testing.T, ready payload) string {
	t.Helper()
	var r struct {
		SessionID string `json:"session_id"`
	}
	if err := json.Unmarshal(ready.D, &r); err != nil || r.SessionID == "" {
		t.Fatalf("READY %s has no session_id: %v", ready, err)
	}
	return r.SessionID
}

// waitFor polls cond every 5ms until it holds or 5s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func findSession(s *Server, id string) (SessionInfo, bool) {
	for _, si := range s.Sessions() {
		if si.ID == id {
			return si, true
		}
	}
	return SessionInfo{}, false
}

func typing(n int) Event {
	return Event{Type: "TYPING_START", Intents: IntentDirectMessageTyping,
		Data: json.RawMessage(`{"channel_id":"100","user_id":"200","timestamp":` + strconv.Itoa(n) + `}`)}
}

func mustDispatch(t *testing.T, s *Server, ev Event) {
	t.Helper()
	if err := s.Dispatch(ev); err != nil {
		t.Fatalf("Dispatch: %v", err)
	}
}

func dialRaw(url string) (*websocket.Conn, *http.Response, error) {
	return websocket.DefaultDialer.Dial(url+"?v=10&encoding=json", nil)
}
