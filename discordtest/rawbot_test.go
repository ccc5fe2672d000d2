package discordtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// rawBot is a minimal bot for this package's tests: plain HTTP for REST
// and a plain websocket for the gateway, so tests run under -race without
// disgo's own races.
type rawBot struct {
	t    *testing.T
	srv  *Server
	conn *websocket.Conn

	mu     sync.Mutex
	events []rawEvent
	cond   *sync.Cond
	closed bool
}

// rawEvent is one dispatch the raw bot received.
type rawEvent struct {
	Type string
	Seq  int
	Data json.RawMessage
}

// api makes one REST request as the bot and returns the status, the body
// and the headers. body may be nil, a []byte or anything to encode as JSON.
func api(t *testing.T, srv *Server, method, path string, body any) (int, []byte, http.Header) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, srv.RESTURL()+path, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Authorization", "Bot "+srv.Token())
	req.Header.Set("User-Agent", "DiscordBot (https://example.invalid, 1.0)")
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

// connectRawBot identifies on the gateway with the given intents (shard
// 0 of 1) and collects every dispatch until the test ends.
func connectRawBot(t *testing.T, srv *Server, intents uint64) *rawBot {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(srv.GatewayURL()+"?v=10&encoding=json", nil)
	if err != nil {
		t.Fatalf("dial gateway: %v", err)
	}
	b := &rawBot{t: t, srv: srv, conn: conn}
	b.cond = sync.NewCond(&b.mu)
	var hello struct {
		Op int `json:"op"`
	}
	if err := conn.ReadJSON(&hello); err != nil || hello.Op != 10 {
		t.Fatalf("hello: got op %d, err %v; want op 10", hello.Op, err)
	}
	identify := map[string]any{"op": 2, "d": map[string]any{"token": srv.Token(), "intents": intents,
		"properties": map[string]string{"os": "linux", "browser": "rawbot", "device": "rawbot"}}}
	if err := conn.WriteJSON(identify); err != nil {
		t.Fatalf("identify: %v", err)
	}
	go b.read()
	t.Cleanup(func() {
		_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, "done"))
		_ = conn.Close()
	})
	b.Wait("READY")
	return b
}

func (b *rawBot) read() {
	for {
		var p struct {
			Op int             `json:"op"`
			S  int             `json:"s"`
			T  string          `json:"t"`
			D  json.RawMessage `json:"d"`
		}
		if err := b.conn.ReadJSON(&p); err != nil {
			b.mu.Lock()
			b.closed = true
			b.cond.Broadcast()
			b.mu.Unlock()
			return
		}
		if p.Op != 0 {
			continue
		}
		b.mu.Lock()
		b.events = append(b.events, rawEvent{Type: p.T, Seq: p.S, Data: p.D})
		b.cond.Broadcast()
		b.mu.Unlock()
	}
}

// Wait returns the first not yet taken dispatch of that type, failing
// the test after 5 seconds. Events of other types stay for later Waits.
func (b *rawBot) Wait(typ string) json.RawMessage {
	b.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	timer := time.AfterFunc(5*time.Second, func() {
		b.mu.Lock()
		b.cond.Broadcast()
		b.mu.Unlock()
	})
	defer timer.Stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		for i, ev := range b.events {
			if ev.Type == typ {
				b.events = append(b.events[:i:i], b.events[i+1:]...)
				return ev.Data
			}
		}
		if b.closed || time.Now().After(deadline) {
			var seen []string
			for _, ev := range b.events {
				seen = append(seen, ev.Type)
			}
			b.t.Fatalf("waited for %s: got none (closed=%v, pending: %s)", typ, b.closed, strings.Join(seen, ","))
		}
		b.cond.Wait()
	}
}

// Pending returns the types of dispatches received and not yet taken.
func (b *rawBot) Pending() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, ev := range b.events {
		out = append(out, ev.Type)
	}
	return out
}
