package discordtest

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hearthbot/hearth/discordtest/internal/gateway"
	"github.com/hearthbot/hearth/discordtest/internal/quota"
)

// Tester is the part of *testing.T that New needs.
type Tester interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// Server is a running Discord API v10 emulator: REST under /api/v10 and a
// websocket gateway, on one loopback listener.
type Server struct {
	opts    options
	clock   Clock
	token   string
	ln      net.Listener
	http    *http.Server
	mux     *http.ServeMux
	gw      *gateway.Server
	journal journal
	limits  *limits
	invalid *quota.Tally

	randMu sync.Mutex
	rand   *rand.Rand

	// mu guards the world and the interactions.
	mu           sync.Mutex
	world        *world
	commands     commandStore
	interactions map[Snowflake]*pendingInteraction
	// interactionOrder lists interactions oldest first, for expiry.
	interactionOrder []Snowflake
	changed          *sync.Cond // broadcast by notify on every change a waiter may want
	gen              uint64     // counts notify calls
	outbox           []gateway.Event
	outboxReady      *sync.Cond
	closing          bool
	pumpDone         chan struct{}
}

// New starts a Server for a test and closes it when the test ends.
func New(t Tester, opts ...Option) *Server {
	t.Helper()
	s, err := Start(opts...)
	if err != nil {
		t.Fatalf("%v", err)
		return nil
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a Server; Close stops it.
func Start(opts ...Option) (*Server, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if err := errors.Join(o.errs...); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return nil, fmt.Errorf("discordtest: listen on %s: %w", o.addr, err)
	}
	s := &Server{
		opts:         o,
		clock:        o.clock,
		ln:           ln,
		mux:          http.NewServeMux(),
		limits:       newLimits(&o),
		invalid:      quota.NewTally(o.invalidSpan),
		rand:         rand.New(rand.NewPCG(o.seed, o.seed+1)),
		interactions: map[Snowflake]*pendingInteraction{},
	}
	s.changed = sync.NewCond(&s.mu)
	s.outboxReady = sync.NewCond(&s.mu)
	s.pumpDone = make(chan struct{})
	s.world = newWorld(&o, s.clock.Now)
	s.token = s.makeToken()
	s.commands = newCommandStore()
	s.gw = gateway.New(gateway.Config{
		HeartbeatInterval: o.heartbeat,
		ResumeWindow:      o.resumeWindow,
		ResumeURL:         s.resumeURL(),
		MaxConcurrency:    o.maxConcurrency,
		SessionStartTotal: o.sessionStarts,
		ApprovedIntents:   o.approvedIntents,
		Now:               s.clock.Now,
		// contract A.3.35, D.10: going over the session start limit
		// resets the token, for REST too.
		OnTokenReset: func(string) { s.RevokeToken() },
	}, gatewayBackend{s})
	s.mux.Handle("/gateway", s.gw.Handler(false))
	s.mux.Handle("/gateway-resume", s.gw.Handler(true))
	s.routes()
	s.http = &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	go s.pump()
	go func() { _ = s.http.Serve(ln) }()
	return s, nil
}

// Close stops the server: the gateway's connections first, then REST.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	s.closing = true
	s.outboxReady.Broadcast()
	s.mu.Unlock()
	<-s.pumpDone
	s.gw.Close()
	// Let answers in progress finish, briefly: a client's connection that
	// never sent a request counts as active for 5 s, and no test should
	// wait for that.
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if err := s.http.Shutdown(ctx); err != nil {
		_ = s.http.Close()
	}
	s.mu.Lock()
	s.notify()
	s.mu.Unlock()
}

func (s *Server) hostPort() string { return s.ln.Addr().String() }

// RESTURL is the REST base, "http://127.0.0.1:PORT/api/v10", for
// rest.WithURL.
func (s *Server) RESTURL() string { return "http://" + s.hostPort() + apiPrefix }

// GatewayURL is the gateway URL that GET /gateway answers.
func (s *Server) GatewayURL() string { return "ws://" + s.hostPort() + "/gateway" }

func (s *Server) resumeURL() string { return "ws://" + s.hostPort() + "/gateway-resume" }

// Token is the bot token, shaped as Discord's: base64(application ID),
// then two more dot-separated parts.
func (s *Server) Token() string { return s.token }

// ApplicationID is the application's (and the bot user's) ID.
func (s *Server) ApplicationID() Snowflake { return s.world.appID }

func (s *Server) makeToken() string {
	enc := base64.RawURLEncoding
	b1, b2 := make([]byte, 4), make([]byte, 27)
	for i := range b1 {
		b1[i] = byte(s.rand.Uint32())
	}
	for i := range b2 {
		b2[i] = byte(s.rand.Uint32())
	}
	return strings.Join([]string{base64.RawStdEncoding.EncodeToString([]byte(s.world.appID.String())), enc.EncodeToString(b1), enc.EncodeToString(b2)}, ".")
}

// randFloat draws from the seeded source, for injected faults.
func (s *Server) randFloat() float64 {
	s.randMu.Lock()
	defer s.randMu.Unlock()
	return s.rand.Float64()
}
