package gateway

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// closeHandshakeTimeout is how long the server waits for the client's close frame after
// sending its own, before it closes the TCP connection.
const closeHandshakeTimeout = 2 * time.Second

// outgoing is one message queued for a connection's writer.
type outgoing struct {
	payload     []byte
	op          int
	typ         string
	seq         int
	payloadZlib bool // compress alone (payload compression)
	sessionID   string
	shard       [2]int
	closeCode   int // not 0: a close frame, the last thing written
	closeReason string
}

// conn is one websocket connection. Its reader runs in the HTTP handler's goroutine and its
// writer in a goroutine of its own that drains an unbounded queue, so Dispatch never blocks on
// a client; a client that stops reading is dropped after Config.WriteTimeout.
type conn struct {
	s           *Server
	id          uint64
	ws          *websocket.Conn
	viaResume   bool
	compression string // "", CompressionZlibStream or CompressionZstdStream

	// Guarded by s.mu.
	sess    *session // the session this connection serves, nil before IDENTIFY/RESUME
	closing bool     // a close was started; no more payloads are processed or queued
	noACK   bool     // SetHeartbeatACKs(false)

	qmu      sync.Mutex
	queue    []outgoing
	qstopped bool
	notify   chan struct{}
	stop     chan struct{}
	done     chan struct{}

	lastBeat atomic.Int64 // real-clock UnixNano of Hello or the last heartbeat; 0: no deadline
	graceAt  atomic.Int64 // real-clock UnixNano when an op 7'd connection is closed; 0: none

	recvTimes []time.Time // the reader's send-limit window
}

func (c *conn) enqueue(o outgoing) {
	c.qmu.Lock()
	if !c.qstopped {
		c.queue = append(c.queue, o)
	}
	c.qmu.Unlock()
	c.poke()
}

func (c *conn) poke() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *conn) compressionName(sess *session) string {
	switch {
	case c.compression != "":
		return c.compression
	case sess != nil && sess.payloadZlib:
		return CompressionZlibPayload
	}
	return CompressionNone
}

// writeLoop is the connection's only writer of data frames.
func (c *conn) writeLoop() {
	defer close(c.done)
	enc, err := newStreamEncoder(c.compression)
	if err != nil {
		_ = c.ws.Close()
		return
	}
	if enc != nil {
		defer enc.close()
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		c.qmu.Lock()
		items := c.queue
		c.queue = nil
		c.qmu.Unlock()
		for _, o := range items {
			if o.closeCode != 0 {
				c.qmu.Lock()
				c.qstopped = true
				c.queue = nil
				c.qmu.Unlock()
				c.writeClose(o)
				return
			}
			if err := c.writePayload(enc, o); err != nil {
				_ = c.ws.Close() // the reader sees the error and detaches the session
				return
			}
		}
		if len(items) > 0 {
			continue
		}
		timer.Reset(c.nextWake())
		select {
		case <-c.notify:
		case <-c.stop:
			return
		case <-timer.C:
			c.s.checkDeadlines(c)
		}
	}
}

func (c *conn) nextWake() time.Duration {
	now := time.Now().UnixNano()
	wake := int64(time.Hour)
	if lb := c.lastBeat.Load(); lb != 0 {
		wake = min(wake, lb+int64(c.s.cfg.HeartbeatTimeout)-now)
	}
	if g := c.graceAt.Load(); g != 0 {
		wake = min(wake, g-now)
	}
	return time.Duration(max(wake, 0))
}

func (c *conn) writePayload(enc streamEncoder, o outgoing) error {
	frame, mt := o.payload, websocket.TextMessage
	var err error
	switch {
	case enc != nil:
		frame, err = enc.encode(o.payload)
		mt = websocket.BinaryMessage
	case o.payloadZlib:
		frame, err = zlibPayload(o.payload)
		mt = websocket.BinaryMessage
	}
	if err != nil {
		return err
	}
	if err := c.ws.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout)); err != nil {
		return err
	}
	if err := c.ws.WriteMessage(mt, frame); err != nil {
		return err
	}
	c.s.record(Record{
		Conn: c.id, SessionID: o.sessionID, Shard: o.shard, ViaResumeURL: c.viaResume, Dir: Sent,
		Op: o.op, Type: o.typ, Seq: o.seq, Size: len(o.payload), WireSize: len(frame),
	})
	return nil
}

// writeClose sends the close frame, then gives the client closeHandshakeTimeout to answer
// before the reader gives up and the TCP connection is closed.
func (c *conn) writeClose(o outgoing) {
	msg := websocket.FormatCloseMessage(o.closeCode, truncate(o.closeReason, 123))
	if err := c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.s.cfg.WriteTimeout)); err != nil {
		_ = c.ws.Close()
		return
	}
	c.s.record(Record{
		Conn: c.id, SessionID: o.sessionID, Shard: o.shard, ViaResumeURL: c.viaResume, Dir: Sent,
		Op: OpNone, Size: len(msg), WireSize: len(msg), CloseCode: o.closeCode, CloseReason: o.closeReason,
	})
	_ = c.ws.NetConn().SetReadDeadline(time.Now().Add(closeHandshakeTimeout))
}

// serveConn runs the connection's reader until the connection ends.
func (s *Server) serveConn(c *conn, versionOK bool) {
	go c.writeLoop()
	switch {
	case !versionOK:
		s.closeConn(c, CloseInvalidAPIVersion, "Invalid API version", false)
	case s.takeReconnectBeforeHello():
		c.graceAt.Store(time.Now().Add(s.cfg.ReconnectGrace).UnixNano())
		c.enqueue(outgoing{payload: controlPayload(opReconnect, "null"), op: opReconnect})
	default:
		c.lastBeat.Store(time.Now().UnixNano())
		hello := `{"heartbeat_interval":` + itoa(s.cfg.HeartbeatInterval.Milliseconds()) + `,"_trace":["discordtest-gateway"]}`
		c.enqueue(outgoing{payload: controlPayload(opHello, hello), op: opHello})
	}
	var err error
	for {
		var r io.Reader
		if _, r, err = c.ws.NextReader(); err != nil {
			break
		}
		if s.isClosing(c) {
			continue // NextReader discards the rest of the message
		}
		data, rerr := io.ReadAll(io.LimitReader(r, int64(s.cfg.MaxPayload)+1))
		if rerr != nil {
			continue // the next NextReader reports the broken connection
		}
		s.handle(c, data)
	}
	s.finish(c, err)
}

// finish runs once the reader has stopped: it settles the session and stops the writer.
func (s *Server) finish(c *conn, err error) {
	var ce *websocket.CloseError
	clientClose := errors.As(err, &ce)
	s.mu.Lock()
	serverClosing := c.closing
	var sessID string
	var shard [2]int
	if sess := c.sess; sess != nil {
		sessID, shard = sess.id, sess.shard
		if clientClose && (ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway) {
			s.endLocked(sess) // contract A.34
		} else {
			s.detachLocked(sess)
		}
	}
	c.closing = true
	delete(s.conns, c)
	s.mu.Unlock()

	switch {
	case clientClose:
		s.record(Record{Conn: c.id, SessionID: sessID, Shard: shard, ViaResumeURL: c.viaResume, Dir: Received,
			Op: OpNone, CloseCode: ce.Code, CloseReason: ce.Text})
	case !serverClosing:
		s.record(Record{Conn: c.id, SessionID: sessID, Shard: shard, ViaResumeURL: c.viaResume, Dir: Received,
			Op: OpNone, CloseCode: CloseAbnormal})
	}
	_ = c.ws.Close()
	close(c.stop)
	<-c.done
}

// handle processes one payload from the client.
func (s *Server) handle(c *conn, data []byte) {
	s.mu.Lock()
	sess := c.sess
	s.mu.Unlock()
	rec := Record{Conn: c.id, ViaResumeURL: c.viaResume, Dir: Received, Op: OpNone, Size: len(data), WireSize: len(data)}
	if sess != nil {
		rec.SessionID, rec.Shard = sess.id, sess.shard
	}
	op, d, fail := decodeEnvelope(data)
	if fail == nil {
		rec.Op = op
	}
	s.record(rec)

	// contract A.42, D.11: the payload over the limit closes the connection.
	now := s.cfg.Now()
	cut := 0
	for cut < len(c.recvTimes) && now.Sub(c.recvTimes[cut]) >= s.cfg.SendWindow {
		cut++
	}
	c.recvTimes = append(c.recvTimes[:0], c.recvTimes[cut:]...)
	if len(c.recvTimes) >= s.cfg.SendLimit {
		s.closeConn(c, CloseRateLimited, "Rate limited", false)
		return
	}
	c.recvTimes = append(c.recvTimes, now)

	if len(data) > s.cfg.MaxPayload { // contract A.35, D.12
		s.closeConn(c, CloseDecodeError, "Decode error: payload larger than "+itoa(int64(s.cfg.MaxPayload))+" bytes", false)
		return
	}
	if fail != nil {
		s.fail(c, fail)
		return
	}
	switch op {
	case opHeartbeat:
		if f := checkHeartbeat(d); f != nil {
			s.fail(c, f)
			return
		}
		c.lastBeat.Store(time.Now().UnixNano())
		s.mu.Lock()
		if !c.noACK && !c.closing {
			c.enqueue(s.controlLocked(c, opHeartbeatACK, "null"))
		}
		s.mu.Unlock()
	case opIdentify:
		if sess != nil {
			s.fail(c, failf(CloseAlreadyAuthenticated, "Already authenticated"))
			return
		}
		s.identify(c, d)
	case opResume:
		if sess != nil {
			s.fail(c, failf(CloseAlreadyAuthenticated, "Already authenticated"))
			return
		}
		s.resume(c, d)
	case opPresenceUpdate, opVoiceStateUpdate, opRequestGuildMembers, opRequestSoundboardSounds, opRequestChannelInfo:
		if sess == nil {
			s.fail(c, failf(CloseNotAuthenticated, "Not authenticated"))
			return
		}
		if f := checkObject(d); f != nil {
			s.fail(c, f)
		}
	default:
		s.fail(c, failf(CloseUnknownOpcode, "Unknown opcode"))
	}
}

func (s *Server) fail(c *conn, f *closeFailure) {
	s.closeConn(c, f.code, f.reason, false)
}

func (s *Server) isClosing(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return c.closing
}

// checkDeadlines closes a connection whose heartbeat or op 7 grace deadline passed. The session
// stays resumable: GW "If your app fails to send a heartbeat event in time, your connection
// will be closed and you will be forced to Resume".
func (s *Server) checkDeadlines(c *conn) {
	now := time.Now().UnixNano()
	if lb := c.lastBeat.Load(); lb != 0 && now >= lb+int64(s.cfg.HeartbeatTimeout) {
		s.closeConn(c, CloseUnknownError, "Heartbeat timeout", false)
		return
	}
	if g := c.graceAt.Load(); g != 0 && now >= g {
		s.closeConn(c, CloseUnknownError, "Reconnect requested", false)
	}
}

func (s *Server) closeConn(c *conn, code int, reason string, endSession bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeConnLocked(c, code, reason, endSession)
}

// closeConnLocked starts the close of a connection: its session is detached (or ended), and the
// close frame is queued behind what was already queued.
func (s *Server) closeConnLocked(c *conn, code int, reason string, endSession bool) {
	if c.closing {
		return
	}
	o := s.controlLocked(c, 0, "")
	o.payload, o.op, o.closeCode, o.closeReason = nil, OpNone, code, reason
	c.closing = true
	c.lastBeat.Store(0)
	c.graceAt.Store(0)
	if sess := c.sess; sess != nil {
		if endSession {
			s.endLocked(sess)
		} else {
			s.detachLocked(sess)
		}
	}
	c.enqueue(o)
}

// controlLocked builds a non-dispatch payload for c, labelled with c's session.
func (s *Server) controlLocked(c *conn, op int, d string) outgoing {
	o := outgoing{payload: controlPayload(op, d), op: op}
	if sess := c.sess; sess != nil {
		o.sessionID, o.shard = sess.id, sess.shard
	}
	return o
}
