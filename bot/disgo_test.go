//go:build !race

// These tests run the bot through disgo's real gateway, which has data
// races of its own (docs/known-issues.md): they run in make test's
// second pass, without -race, and their names start with TestDisgo.

package bot_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/disgo/gateway"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bus"
	"github.com/hearthbot/hearth/bot/config"
	"github.com/hearthbot/hearth/bot/logging"
	"github.com/hearthbot/hearth/discordtest"
	"github.com/hearthbot/hearth/store"
)

// syncBuffer is a bytes.Buffer safe for the logger's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runWithDisgo runs the bot with disgo's own gateway against srv, at
// debug level into logs; stop shuts it down and returns Run's error.
func runWithDisgo(t *testing.T, srv *discordtest.Server, mods []bot.Module, logs *syncBuffer) (stop func() error, rt *bot.Runtime, done <-chan struct{}) {
	t.Helper()
	cfg := config.Default()
	cfg.Discord.RESTURL = srv.RESTURL()
	cfg.Discord.Compression = config.CompressionZstdStream
	cfg.Admin.Addr = config.AdminOff
	cfg.Store.Path = filepath.Join(t.TempDir(), "hearth.db")
	log, err := logging.New("debug", "json", logs, srv.Token())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Store.Path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	rt, err = bot.New(bot.Options{Token: srv.Token(), Config: cfg, Log: log, Store: st, Modules: mods, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	var result error
	go func() {
		result = rt.Run(ctx)
		close(finished)
	}()
	stop = func() error {
		cancel()
		select {
		case <-finished:
			return result
		case <-time.After(30 * time.Second):
			return fmt.Errorf("Run did not return within 30 s")
		}
	}
	t.Cleanup(func() { _ = stop() })
	return stop, rt, finished
}

func TestDisgoBotResumesAfterADroppedSocketAndHandlesEachEventOnce(t *testing.T) {
	// Hearth's end-to-end promise: after the websocket drops and disgo
	// RESUMEs, every event is handled exactly once and no interaction is
	// lost; and a whole debug-level session never shows the token.
	srv := discordtest.New(t, discordtest.WithReplyWait(15*time.Second))
	listener := &busModule{policy: bus.Backpressure, got: make(chan bot.MessageCreated, 100)}
	logs := &syncBuffer{}
	stop, rt, _ := runWithDisgo(t, srv, []bot.Module{listener, &testModule{id: "demo", commands: []bot.Command{
		{Name: "hello", Description: "Hi", Handler: reply("hi")},
	}}}, logs)
	waitReady(t, rt)
	g := srv.Guilds()[0]
	general, member := g.Channel("general").ID, g.Member("member1").User.ID
	send := func(text string) {
		if _, err := srv.SendMessage(g.ID, general, member, text); err != nil {
			t.Fatal(err)
		}
	}
	send("before")
	if err := srv.DropConnection(0); err != nil {
		t.Fatal(err)
	}
	send("during 1")
	send("during 2")
	// A command run while the socket is down reaches the bot in the
	// replay; by then it may be old, and the host must still answer it.
	r, err := srv.RunCommand(g.ID, general, member, "/hello")
	if err != nil || r.Content != "hi" || r.Expired {
		t.Fatalf("a command during the outage: got %+v, %v; want it answered after the resume", r, err)
	}
	send("after")
	want := []string{"before", "during 1", "during 2", "hi", "after"}
	var got []string
	timeout := time.After(15 * time.Second)
	for len(got) < len(want) {
		select {
		case e := <-listener.got:
			got = append(got, e.Content)
		case <-timeout:
			t.Fatalf("got messages %q; want %q", got, want)
		}
	}
	select {
	case e := <-listener.got:
		t.Fatalf("got %q again; want each message once", e.Content)
	case <-time.After(200 * time.Millisecond):
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got messages %q; want %q in order", got, want)
		}
	}
	resumes := 0
	for _, p := range srv.GatewayPayloads() {
		if p.Dir == discordtest.GatewayReceived && p.Op == 6 {
			resumes++
		}
	}
	if resumes != 1 {
		t.Fatalf("got %d RESUMEs; want 1", resumes)
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	out := logs.String()
	if strings.Contains(out, srv.Token()) {
		t.Fatal("the token appears in the debug log")
	}
	if !strings.Contains(out, logging.Redacted) {
		t.Fatal("the debug log shows no redaction: want disgo's IDENTIFY payload logged with the token redacted")
	}
}

// contentModule needs the MESSAGE_CONTENT privileged intent.
type contentModule struct{ testModule }

func (m *contentModule) Needs() bot.Needs {
	return bot.Needs{Intents: gateway.IntentGuildMessages | gateway.IntentMessageContent}
}

func TestDisgoUngrantedPrivilegedIntentIsLeftOutWithAWarning(t *testing.T) {
	srv := discordtest.New(t, discordtest.WithPrivilegedIntents(0))
	logs := &syncBuffer{}
	stop, rt, _ := runWithDisgo(t, srv, []bot.Module{&contentModule{testModule{id: "automod"}}}, logs)
	waitReady(t, rt)
	sessions := srv.GatewaySessions()
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(sessions) == 0 || gateway.Intents(sessions[0].Intents).Has(gateway.IntentMessageContent) {
		t.Fatalf("sessions %+v; want one identified without MESSAGE_CONTENT", sessions)
	}
	for _, want := range []string{"MESSAGE CONTENT INTENT", "Privileged Gateway Intents", `"logger":"automod"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log does not mention %q", want)
		}
	}
}

// When Discord cannot say which intents the application has, the bot
// asks for them all and a 4014 is explained.
func TestDisgoRefusedPrivilegedIntentIsReportedClearly(t *testing.T) {
	srv := discordtest.New(t, discordtest.WithPrivilegedIntents(0))
	srv.Inject429("GET /applications/@me", 1000, "global", time.Millisecond)
	logs := &syncBuffer{}
	stop, _, done := runWithDisgo(t, srv, []bot.Module{&contentModule{testModule{id: "automod"}}}, logs)
	defer func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	}()
	select {
	case <-done:
		err := stop()
		if err == nil {
			t.Fatal("Run returned nil; want the refusal")
		}
		for _, want := range []string{"4014", "MESSAGE CONTENT INTENT", "Privileged Gateway Intents", "module automod"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("got %q; want it to mention %q", err, want)
			}
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not report the refusal within 20 s")
	}
}
