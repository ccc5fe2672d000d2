package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// ErrNoConnection is returned by a fault when the shard has no live connection.
var ErrNoConnection = errors.New("gateway: no live connection")

// maxReplay is how many dispatches a session keeps for RESUME, at least; a RESUME from before
// the oldest kept one gets op 9 d:false.
const maxReplay = 10_000

// Server is an emulated Discord gateway. Create it with New, serve Handler(false) at the
// gateway URL and Handler(true) at Config.ResumeURL, and stop it with Close.
type Server struct {
	cfg      Config
	backend  Backend
	upgrader websocket.Upgrader

	mu                   sync.Mutex
	closed               bool
	sessions             map[string]*session
	conns                map[*conn]struct{}
	nextConnID           uint64
	identifyAt           map[int]time.Time // last IDENTIFY per rate-limit key
	startsUsed           int
	startsSince          time.Time // start of the session start window; zero: none open
	revoked              map[string]bool
	reconnectBeforeHello int

	logMu sync.Mutex
	log   []Record

	wg sync.WaitGroup // one per HTTP handler; each waits for its writer
}

// session is a gateway session; it outlives its connections (contract A.34). Guarded by s.mu.
type session struct {
	id             string
	token          string
	shard          [2]int
	intents        uint64
	largeThreshold int
	payloadZlib    bool
	seq            int        // last sequence number assigned
	buf            []buffered // dispatches kept for RESUME, in seq order
	conn           *conn      // live connection, or nil
	detachedAt     time.Time
	starting       bool    // READY not emitted yet: dispatches wait in pending
	pending        []Event // dispatches that arrived while starting
	compression    string  // of the current or last connection
	viaResume      bool
}

type buffered struct {
	seq     int
	typ     string
	payload []byte
}

// SessionInfo describes a session for inspection.
type SessionInfo struct {
	// ID is the session_id.
	ID string
	// Shard is [shard_id, num_shards].
	Shard [2]int
	// Intents are the identified intents.
	Intents uint64
	// LargeThreshold is the identified large_threshold.
	LargeThreshold int
	// Connected is true while a connection serves the session.
	Connected bool
	// Seq is the last sequence number assigned to a dispatch of the session.
	Seq int
	// Compression is that of the current or last connection: CompressionNone,
	// CompressionZlibStream, CompressionZstdStream or CompressionZlibPayload.
	Compression string
	// ViaResumeURL is true if the current or last connection came through Handler(true).
	ViaResumeURL bool
}

// New returns a Server serving b's data. It panics if b is nil.
func New(cfg Config, b Backend) *Server {
	if b == nil {
		panic("gateway: New with a nil Backend")
	}
	return &Server{
		cfg:        cfg.withDefaults(),
		backend:    b,
		upgrader:   websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		sessions:   map[string]*session{},
		conns:      map[*conn]struct{}{},
		identifyAt: map[int]time.Time{},
		revoked:    map[string]bool{},
	}
}

// Handler returns the websocket endpoint. resume=true is the endpoint served at
// Config.ResumeURL; both accept IDENTIFY and RESUME, and Record.ViaResumeURL tells them apart.
func (s *Server) Handler(resume bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serveHTTP(w, r, resume) })
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request, resume bool) {
	q := r.URL.Query()
	switch enc := q.Get("encoding"); enc {
	case "", "json":
	case "etf":
		http.Error(w, "discordtest gateway: encoding=etf is not emulated; connect with encoding=json", http.StatusBadRequest)
		return
	default:
		http.Error(w, "discordtest gateway: unknown encoding "+strconv.Quote(enc)+"; use json", http.StatusBadRequest)
		return
	}
	compression := q.Get("compress")
	switch compression {
	case "", CompressionZlibStream, CompressionZstdStream:
	default:
		http.Error(w, "discordtest gateway: unknown compress "+strconv.Quote(compression)+"; use zlib-stream or zstd-stream", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "discordtest gateway: closed", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	s.nextConnID++
	id := s.nextConnID
	s.mu.Unlock()
	defer s.wg.Done()

	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered with an HTTP error
	}
	c := &conn{
		s: s, id: id, ws: ws, viaResume: resume, compression: compression,
		notify: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	s.serveConn(c, q.Get("v") == "10") // contract A.30: v=10 only, else 4012
}

// Close closes every connection with 1001 and waits for every goroutine of the server.
// Afterwards the handlers answer 503.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		c.closing = true
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "discordtest gateway closed")
		_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(100*time.Millisecond))
		_ = c.ws.Close()
	}
	s.wg.Wait()
}

// Dispatch sends ev to every live or resumable session of the event's shard that has one of
// ev.Intents, giving it the session's next sequence number, and keeps it for replay. It never
// blocks on a client. It returns an error if ev.Type is empty or ev.Data (or ev.Redacted) is
// not valid JSON.
func (s *Server) Dispatch(ev Event) error {
	if ev.Type == "" {
		return errors.New("gateway: dispatch without a type")
	}
	if !json.Valid(ev.Data) {
		return fmt.Errorf("gateway: dispatch %s: data is not valid JSON", ev.Type)
	}
	if ev.Redacted != nil && !json.Valid(ev.Redacted) {
		return fmt.Errorf("gateway: dispatch %s: redacted data is not valid JSON", ev.Type)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	for _, sess := range s.sessions {
		if s.expiredLocked(sess, now) {
			delete(s.sessions, sess.id)
			continue
		}
		if !sess.receives(ev) {
			continue
		}
		if sess.starting {
			sess.pending = append(sess.pending, ev)
			continue
		}
		s.deliverLocked(sess, ev)
	}
	return nil
}

// receives reports whether ev is routed to the session (contract A.44) and passes its intents.
func (sess *session) receives(ev Event) bool {
	if ev.GuildID == 0 {
		if sess.shard[0] != 0 {
			return false
		}
	} else if shardOf(ev.GuildID, sess.shard[1]) != sess.shard[0] {
		return false
	}
	return ev.Intents == 0 || sess.intents&ev.Intents != 0
}

func (s *Server) deliverLocked(sess *session, ev Event) {
	d := ev.Data
	if ev.Redacted != nil && sess.intents&IntentMessageContent == 0 {
		d = ev.Redacted
	}
	s.emitLocked(sess, ev.Type, d)
}

// emitLocked gives a dispatch the session's next sequence number, keeps it for replay and
// queues it on the live connection, if any.
func (s *Server) emitLocked(sess *session, typ string, d json.RawMessage) {
	sess.seq++
	b := buffered{seq: sess.seq, typ: typ, payload: dispatchPayload(typ, sess.seq, d)}
	sess.buf = append(sess.buf, b)
	if len(sess.buf) > maxReplay+maxReplay/4 {
		n := copy(sess.buf, sess.buf[len(sess.buf)-maxReplay:])
		clear(sess.buf[n:])
		sess.buf = sess.buf[:n]
	}
	s.sendLocked(sess, b)
}

func (s *Server) sendLocked(sess *session, b buffered) {
	c := sess.conn
	if c == nil {
		return
	}
	c.enqueue(outgoing{
		payload: b.payload, op: opDispatch, typ: b.typ, seq: b.seq,
		payloadZlib: sess.payloadZlib && c.compression == "",
		sessionID:   sess.id, shard: sess.shard,
	})
}

func (s *Server) attachLocked(sess *session, c *conn) {
	sess.conn = c
	sess.detachedAt = time.Time{}
	sess.compression = c.compressionName(sess)
	sess.viaResume = c.viaResume
	c.sess = sess
}

// detachLocked separates a session from its connection; it stays resumable for ResumeWindow.
func (s *Server) detachLocked(sess *session) {
	if c := sess.conn; c != nil {
		c.sess = nil
	}
	sess.conn = nil
	sess.detachedAt = s.cfg.Now()
}

// endLocked forgets a session: it can no longer be resumed and gets no more dispatches.
func (s *Server) endLocked(sess *session) {
	s.detachLocked(sess)
	delete(s.sessions, sess.id)
}

func (s *Server) expiredLocked(sess *session, now time.Time) bool {
	return sess.conn == nil && now.Sub(sess.detachedAt) > s.cfg.ResumeWindow
}

// identify handles op 2 on a connection without a session.
func (s *Server) identify(c *conn, d json.RawMessage) {
	id, f := parseIdentify(d)
	if f != nil {
		s.fail(c, f)
		return
	}
	ident, ok := s.backend.Authenticate(id.token)
	if !ok || s.isRevoked(id.token) {
		s.fail(c, failf(CloseAuthenticationFailed, "Authentication failed"))
		return
	}
	if f := id.check(s.cfg); f != nil {
		s.fail(c, f)
		return
	}
	if c.compression != "" {
		id.compress = false // GW: payload compression is disabled with transport compression
	}
	var guilds []uint64
	for _, g := range s.backend.GuildIDs() {
		if shardOf(g, id.shard[1]) == id.shard[0] {
			guilds = append(guilds, g)
		}
	}
	if len(guilds) > s.cfg.MaxGuildsPerShard { // contract A.44
		s.fail(c, failf(CloseShardingRequired, "Sharding required: shard %d of %d would hold %d guilds (max %d)",
			id.shard[0], id.shard[1], len(guilds), s.cfg.MaxGuildsPerShard))
		return
	}

	s.mu.Lock()
	if c.closing {
		s.mu.Unlock()
		return
	}
	if s.revoked[id.token] {
		s.closeConnLocked(c, CloseAuthenticationFailed, "Authentication failed: token was reset", false)
		s.mu.Unlock()
		return
	}
	now := s.cfg.Now()
	key := id.shard[0] % s.cfg.MaxConcurrency // contract A.43
	if last, ok := s.identifyAt[key]; ok && now.Sub(last) < s.cfg.IdentifyWindow {
		c.enqueue(s.controlLocked(c, opInvalidSession, "false"))
		s.mu.Unlock()
		return
	}
	s.rollStartsLocked(now)
	if s.startsUsed >= s.cfg.SessionStartTotal { // contract A.35, D.10
		s.resetTokenLocked(id.token)
		s.mu.Unlock()
		if s.cfg.OnTokenReset != nil {
			s.cfg.OnTokenReset(id.token)
		}
		return
	}
	if s.startsSince.IsZero() {
		s.startsSince = now
	}
	s.startsUsed++
	s.identifyAt[key] = now
	sess := &session{
		id: newSessionID(), token: id.token, shard: id.shard, intents: id.intents,
		largeThreshold: id.largeThreshold, payloadZlib: id.compress, starting: true,
	}
	s.sessions[sess.id] = sess
	s.attachLocked(sess, c)
	s.mu.Unlock()

	// The backend is called without the lock; dispatches meanwhile wait in sess.pending.
	ready, err := s.readyData(sess, ident, guilds)
	var creates []json.RawMessage
	if err == nil && id.intents&IntentGuilds != 0 {
		for _, g := range guilds {
			d, ok := s.backend.GuildCreate(g, id.intents, id.largeThreshold)
			if ok && !json.Valid(d) {
				err = fmt.Errorf("GUILD_CREATE of guild %d is not valid JSON", g)
				break
			}
			if ok {
				creates = append(creates, d)
			}
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil { // a bug in the Backend: fail loudly on this connection
		s.endLocked(sess)
		s.closeConnLocked(c, CloseUnknownError, "discordtest: Backend: "+err.Error(), false)
		return
	}
	s.emitLocked(sess, "READY", ready)
	for _, d := range creates {
		s.emitLocked(sess, "GUILD_CREATE", d)
	}
	for _, ev := range sess.pending {
		s.deliverLocked(sess, ev)
	}
	sess.pending = nil
	sess.starting = false
}

func (s *Server) readyData(sess *session, ident Identity, guilds []uint64) (json.RawMessage, error) {
	type unavailableGuild struct {
		ID          string `json:"id"`
		Unavailable bool   `json:"unavailable"`
	}
	type application struct {
		ID    string `json:"id"`
		Flags int    `json:"flags"`
	}
	ready := struct {
		V                    int                `json:"v"`
		User                 json.RawMessage    `json:"user"`
		Guilds               []unavailableGuild `json:"guilds"`
		SessionID            string             `json:"session_id"`
		SessionType          string             `json:"session_type"`
		ResumeGatewayURL     string             `json:"resume_gateway_url"`
		Shard                [2]int             `json:"shard"`
		Application          application        `json:"application"`
		PrivateChannels      []struct{}         `json:"private_channels"`
		Relationships        []struct{}         `json:"relationships"`
		UserSettings         struct{}           `json:"user_settings"`
		GuildJoinRequests    []struct{}         `json:"guild_join_requests"`
		GeoOrderedRTCRegions []string           `json:"geo_ordered_rtc_regions"`
		Trace                []string           `json:"_trace"`
	}{
		V: 10, User: ident.User, Guilds: []unavailableGuild{}, SessionID: sess.id, SessionType: "normal",
		ResumeGatewayURL: s.cfg.ResumeURL, Shard: sess.shard,
		Application:     application{ID: ident.ApplicationID, Flags: ident.ApplicationFlags},
		PrivateChannels: []struct{}{}, Relationships: []struct{}{}, GuildJoinRequests: []struct{}{},
		GeoOrderedRTCRegions: []string{}, Trace: []string{"discordtest-gateway"},
	}
	if ready.User == nil {
		ready.User = json.RawMessage("null")
	}
	for _, g := range guilds {
		ready.Guilds = append(ready.Guilds, unavailableGuild{ID: strconv.FormatUint(g, 10), Unavailable: true})
	}
	b, err := json.Marshal(ready)
	if err != nil {
		return nil, errors.New("identity user is not valid JSON")
	}
	return b, nil
}

// resume handles op 6 on a connection without a session (contract A.38, D.2, D.3).
func (s *Server) resume(c *conn, d json.RawMessage) {
	w, f := parseResume(d)
	if f != nil {
		s.fail(c, f)
		return
	}
	if _, ok := s.backend.Authenticate(*w.Token); !ok || s.isRevoked(*w.Token) {
		s.fail(c, failf(CloseAuthenticationFailed, "Authentication failed"))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.closing {
		return
	}
	if s.revoked[*w.Token] {
		s.closeConnLocked(c, CloseAuthenticationFailed, "Authentication failed: token was reset", false)
		return
	}
	sess := s.sessions[*w.SessionID]
	if sess != nil && s.expiredLocked(sess, s.cfg.Now()) {
		delete(s.sessions, sess.id)
		sess = nil
	}
	if sess == nil || sess.token != *w.Token {
		c.enqueue(s.controlLocked(c, opInvalidSession, "false"))
		return
	}
	seq := *w.Seq
	if seq < 0 || seq > sess.seq {
		s.endLocked(sess)
		s.closeConnLocked(c, CloseInvalidSeq, fmt.Sprintf("Invalid seq %d: last sent was %d", seq, sess.seq), false)
		return
	}
	if len(sess.buf) > 0 && seq < sess.buf[0].seq-1 {
		s.endLocked(sess) // the events after seq are no longer kept
		c.enqueue(s.controlLocked(c, opInvalidSession, "false"))
		return
	}
	if old := sess.conn; old != nil {
		s.detachLocked(sess)
		s.closeConnLocked(old, CloseUnknownError, "Session resumed on another connection", false)
	}
	s.attachLocked(sess, c)
	for _, b := range sess.buf {
		if b.seq > seq {
			s.sendLocked(sess, b)
		}
	}
	// RESUMED takes a sequence number but is not kept for a later replay.
	sess.seq++
	c.enqueue(outgoing{
		payload: dispatchPayload("RESUMED", sess.seq, json.RawMessage(`{"_trace":["discordtest-gateway"]}`)),
		op:      opDispatch, typ: "RESUMED", seq: sess.seq, payloadZlib: sess.payloadZlib && c.compression == "",
		sessionID: sess.id, shard: sess.shard,
	})
}

func (s *Server) isRevoked(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revoked[token]
}

func (s *Server) rollStartsLocked(now time.Time) {
	if !s.startsSince.IsZero() && now.Sub(s.startsSince) >= s.cfg.SessionStartWindow {
		s.startsSince = time.Time{}
		s.startsUsed = 0
	}
}

// resetTokenLocked is what exceeding the session start limit does (GW "Identifying"): every
// session is terminated, every connection closed with 4004, and the token no longer works.
func (s *Server) resetTokenLocked(token string) {
	s.revoked[token] = true
	for _, sess := range s.sessions {
		s.endLocked(sess)
	}
	for c := range s.conns {
		s.closeConnLocked(c, CloseAuthenticationFailed, "Authentication failed: session start limit exceeded, token reset", false)
	}
}

func (s *Server) takeReconnectBeforeHello() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reconnectBeforeHello > 0 {
		s.reconnectBeforeHello--
		return true
	}
	return false
}

// SessionStartLimit reports the session_start_limit object of GET /gateway/bot (contract A.29).
func (s *Server) SessionStartLimit() (total, remaining int, resetAfter time.Duration, maxConcurrency int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	s.rollStartsLocked(now)
	resetAfter = s.cfg.SessionStartWindow
	if !s.startsSince.IsZero() {
		resetAfter = s.startsSince.Add(s.cfg.SessionStartWindow).Sub(now)
	}
	return s.cfg.SessionStartTotal, max(s.cfg.SessionStartTotal-s.startsUsed, 0), resetAfter, s.cfg.MaxConcurrency
}

// Sessions lists the live and resumable sessions, ordered by shard then session ID.
func (s *Server) Sessions() []SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	var out []SessionInfo
	for _, sess := range s.sessions {
		if s.expiredLocked(sess, now) {
			delete(s.sessions, sess.id)
			continue
		}
		out = append(out, SessionInfo{
			ID: sess.id, Shard: sess.shard, Intents: sess.intents, LargeThreshold: sess.largeThreshold,
			Connected: sess.conn != nil, Seq: sess.seq, Compression: sess.compression, ViaResumeURL: sess.viaResume,
		})
	}
	slices.SortFunc(out, func(a, b SessionInfo) int {
		if a.Shard != b.Shard {
			if a.Shard[0] != b.Shard[0] {
				return a.Shard[0] - b.Shard[0]
			}
			return a.Shard[1] - b.Shard[1]
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out
}

// liveLocked returns the connections serving sessions of shard id, oldest first.
func (s *Server) liveLocked(shard int) []*conn {
	var out []*conn
	for _, sess := range s.sessions {
		if sess.shard[0] == shard && sess.conn != nil && !sess.conn.closing {
			out = append(out, sess.conn)
		}
	}
	slices.SortFunc(out, func(a, b *conn) int { return int(a.id) - int(b.id) })
	return out
}

// onShard runs f on every live connection of the shard, under the lock.
func (s *Server) onShard(shard int, f func(c *conn)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	conns := s.liveLocked(shard)
	if len(conns) == 0 {
		return fmt.Errorf("%w on shard %d", ErrNoConnection, shard)
	}
	for _, c := range conns {
		f(c)
	}
	return nil
}

// DropConnection closes the TCP connections of the shard without a close frame; their sessions
// stay resumable (contract A.34, D.2).
func (s *Server) DropConnection(shard int) error {
	var dropped []*conn
	var infos []Record
	err := s.onShard(shard, func(c *conn) {
		infos = append(infos, Record{Conn: c.id, SessionID: c.sess.id, Shard: c.sess.shard, ViaResumeURL: c.viaResume,
			Dir: Sent, Op: OpNone, CloseCode: CloseAbnormal, CloseReason: "dropped"})
		c.closing = true
		c.lastBeat.Store(0)
		c.graceAt.Store(0)
		s.detachLocked(c.sess)
		dropped = append(dropped, c)
	})
	for i, c := range dropped {
		_ = c.ws.Close()
		s.record(infos[i])
	}
	return err
}

// SendReconnect sends op 7 on the shard's connections; a connection the client has not closed
// ReconnectGrace later is closed with 4000. Sessions stay resumable (contract A.40, D.4).
func (s *Server) SendReconnect(shard int) error {
	return s.onShard(shard, func(c *conn) {
		c.enqueue(s.controlLocked(c, opReconnect, "null"))
		c.graceAt.Store(time.Now().Add(s.cfg.ReconnectGrace).UnixNano())
		c.poke()
	})
}

// InvalidateSession sends op 9 with d=resumable on the shard's connections (contract D.5, D.6).
// The connections stay open without a session, so the client may IDENTIFY or RESUME on them;
// d:true keeps the session resumable, d:false forgets it.
func (s *Server) InvalidateSession(shard int, resumable bool) error {
	return s.onShard(shard, func(c *conn) {
		c.enqueue(s.controlLocked(c, opInvalidSession, strconv.FormatBool(resumable)))
		if resumable {
			s.detachLocked(c.sess)
		} else {
			s.endLocked(c.sess)
		}
	})
}

// CloseWithCode closes the shard's connections with a close frame. The sessions end for 1000,
// 1001 and the codes after which Discord says not to resume (4004, 4007, 4009, 4010-4014);
// otherwise they stay resumable. code must be sendable in a close frame.
func (s *Server) CloseWithCode(shard int, code int, reason string) error {
	if !(code >= 1000 && code <= 1003 || code >= 1007 && code <= 1014 || code >= 3000 && code <= 4999) {
		return fmt.Errorf("gateway: %d cannot be sent in a close frame", code)
	}
	return s.onShard(shard, func(c *conn) {
		s.closeConnLocked(c, code, reason, endsSession(code))
	})
}

func endsSession(code int) bool {
	switch code {
	case websocket.CloseNormalClosure, websocket.CloseGoingAway, CloseAuthenticationFailed, CloseInvalidSeq,
		CloseSessionTimedOut, CloseInvalidShard, CloseShardingRequired, CloseInvalidAPIVersion,
		CloseInvalidIntents, CloseDisallowedIntents:
		return true
	}
	return false
}

// SetHeartbeatACKs stops (on=false) or resumes answering op 1 with op 11 on the shard's current
// connections (a zombie connection, contract D.7). New connections always answer.
func (s *Server) SetHeartbeatACKs(shard int, on bool) error {
	return s.onShard(shard, func(c *conn) { c.noACK = !on })
}

// RequestHeartbeat sends op 1 on the shard's connections (contract A.32, D.8).
func (s *Server) RequestHeartbeat(shard int) error {
	return s.onShard(shard, func(c *conn) { c.enqueue(s.controlLocked(c, opHeartbeat, "null")) })
}

// ReconnectBeforeHello makes the next n accepted connections get op 7 instead of Hello; they are
// closed with 4000 ReconnectGrace later if the client has not closed them (contract A.40, D.4).
func (s *Server) ReconnectBeforeHello(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reconnectBeforeHello = max(n, 0)
}

func newSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
