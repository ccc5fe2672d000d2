package bottest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/disgoorg/disgo/gateway"
	gws "github.com/gorilla/websocket"

	"github.com/hearthbot/hearth/bot"
)

// feed is a bot.Gateway that reads one shard of the emulator's gateway
// with a plain websocket client: the runtime sees exactly the decoded
// dispatches disgo would hand it, without disgo's gateway (and its data
// races).
type feed struct {
	url, token string

	mu      sync.Mutex
	conn    *gws.Conn
	ready   bool
	problem string
	done    chan struct{}
	sentAt  time.Time     // when the last heartbeat went out
	latency time.Duration // its round trip, once ACKed
}

type payload struct {
	Op int             `json:"op"`
	S  int             `json:"s"`
	T  string          `json:"t"`
	D  json.RawMessage `json:"d"`
}

// Open identifies with the intents needed and delivers every dispatch
// until Close; it returns once READY has been handled.
func (f *feed) Open(ctx context.Context, needs bot.Needs, handle bot.EventHandler) error {
	dialer := gws.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, _, err := dialer.DialContext(ctx, f.url+"?v=10&encoding=json", nil)
	if err != nil {
		return fmt.Errorf("bottest: dial the emulator's gateway: %w", err)
	}
	var hello struct {
		Op int `json:"op"`
		D  struct {
			HeartbeatInterval int `json:"heartbeat_interval"`
		} `json:"d"`
	}
	if err := conn.ReadJSON(&hello); err != nil || hello.Op != 10 {
		conn.Close()
		return fmt.Errorf("bottest: no HELLO from the emulator: %v", err)
	}
	identify := map[string]any{"op": 2, "d": map[string]any{"token": f.token, "intents": needs.Intents,
		"properties": map[string]string{"os": "linux", "browser": "hearth-bottest", "device": "hearth-bottest"}}}
	if err := conn.WriteJSON(identify); err != nil {
		conn.Close()
		return fmt.Errorf("bottest: identify: %w", err)
	}
	f.mu.Lock()
	f.conn, f.done = conn, make(chan struct{})
	f.mu.Unlock()
	readyCh := make(chan error, 1)
	go f.read(conn, handle, readyCh)
	go f.heartbeat(conn, time.Duration(hello.D.HeartbeatInterval)*time.Millisecond)
	select {
	case err := <-readyCh:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *feed) read(conn *gws.Conn, handle bot.EventHandler, readyCh chan<- error) {
	defer close(f.done)
	readySent := false
	// Open returns once READY and the GUILD_CREATE of every guild it
	// listed are handled, so the cache is complete, as a test expects.
	waiting := -1
	for {
		var p payload
		if err := conn.ReadJSON(&p); err != nil {
			f.mu.Lock()
			f.ready = false
			f.problem = err.Error()
			f.mu.Unlock()
			var ce *gws.CloseError
			if !readySent {
				if errors.As(err, &ce) {
					readyCh <- fmt.Errorf("bottest: the emulator closed the gateway with %d: %s", ce.Code, ce.Text)
				} else {
					readyCh <- err
				}
			}
			return
		}
		if p.Op == 9 && !readySent { // identify refused (contract A.3.43)
			readySent = true
			readyCh <- errors.New("bottest: the emulator refused IDENTIFY with op 9 (identify concurrency: one per 5 s per shard key)")
			conn.Close()
			return
		}
		if p.Op == 11 {
			f.mu.Lock()
			if !f.sentAt.IsZero() {
				f.latency = time.Since(f.sentAt)
			}
			f.mu.Unlock()
		}
		if p.Op != 0 {
			continue
		}
		ev, err := gateway.UnmarshalEventData(p.D, gateway.EventType(p.T))
		if err != nil {
			f.mu.Lock()
			f.problem = fmt.Sprintf("decode %s: %v", p.T, err)
			f.mu.Unlock()
			continue
		}
		handle(0, gateway.EventType(p.T), p.S, ev)
		switch {
		case p.T == string(gateway.EventTypeReady):
			waiting = len(ev.(gateway.EventReady).Guilds)
		case p.T == string(gateway.EventTypeGuildCreate) && waiting > 0:
			waiting--
		}
		if waiting == 0 && !readySent {
			f.mu.Lock()
			f.ready = true
			f.mu.Unlock()
			readySent = true
			readyCh <- nil
		}
	}
}

func (f *feed) heartbeat(conn *gws.Conn, every time.Duration) {
	if every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-f.done:
			return
		case <-t.C:
			f.mu.Lock()
			f.sentAt = time.Now()
			err := conn.WriteJSON(map[string]any{"op": 1, "d": nil})
			f.mu.Unlock()
			if err != nil {
				return
			}
		}
	}
}

// Close ends the session with close code 1000 and waits for the reader.
func (f *feed) Close(ctx context.Context) {
	f.mu.Lock()
	conn, done := f.conn, f.done
	if conn != nil {
		_ = conn.WriteControl(gws.CloseMessage, gws.FormatCloseMessage(gws.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
	}
	f.mu.Unlock()
	if conn == nil {
		return
	}
	select {
	case <-done:
	case <-ctx.Done():
	case <-time.After(2 * time.Second):
	}
	conn.Close()
}

// Status reports the one shard.
func (f *feed) Status() []bot.ShardStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := bot.ShardStatus{ID: 0, Ready: f.ready, Latency: f.latency}
	if !f.ready {
		st.Problem = f.problem
		if st.Problem == "" {
			st.Problem = "connecting"
		}
	}
	return []bot.ShardStatus{st}
}
