package automod

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bottest"
	"github.com/hearthbot/hearth/bot/bus"
	"github.com/hearthbot/hearth/discordtest"
	"github.com/hearthbot/hearth/store"
)

// Routes automod uses.
const (
	routeBulkDelete   = "POST /channels/{channel_id}/messages/bulk-delete"
	routeDelete       = "DELETE /channels/{channel_id}/messages/{message_id}"
	routeSend         = "POST /channels/{channel_id}/messages"
	routeGetMember    = "GET /guilds/{guild_id}/members/{user_id}"
	routeEditMember   = "PATCH /guilds/{guild_id}/members/{user_id}"
	routeKick         = "DELETE /guilds/{guild_id}/members/{user_id}"
	routeBan          = "PUT /guilds/{guild_id}/bans/{user_id}"
	routeDM           = "POST /users/@me/channels"
	routePutOverwrite = "PUT /channels/{channel_id}/permissions/{overwrite_id}"
	routeDelOverwrite = "DELETE /channels/{channel_id}/permissions/{overwrite_id}"
	routeEditGuild    = "PATCH /guilds/{guild_id}"
)

// recorder is a module that keeps every action recorded on the bus, as
// the audit module would.
type recorder struct {
	mu      sync.Mutex
	actions []bot.Action
}

func (r *recorder) ID() string { return "recorder" }

func (r *recorder) Init(_ context.Context, h *bot.Host) error {
	return bot.Subscribe(h, bot.TopicAction, "actions", bus.Backpressure, func(_ context.Context, a bot.Action) error {
		r.mu.Lock()
		r.actions = append(r.actions, a)
		r.mu.Unlock()
		return nil
	})
}

func (r *recorder) all() []bot.Action {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Action(nil), r.actions...)
}

// harness is the bot with automod (and the recorder) against the
// emulator.
type harness struct {
	*bottest.Harness
	t   *testing.T
	m   *Module
	rec *recorder
	g   discordtest.GuildView
}

type setup struct {
	emulator []discordtest.Option
	module   []Option
}

// roomyLimits lift the per-channel limits of the routes the tests use
// most, so that a test's many small actions do not wait for one another
// (BenchmarkSpamWave keeps Discord's).
var roomyLimits = []discordtest.Option{
	discordtest.WithRouteLimit(routeBulkDelete, discordtest.RouteLimit{Bucket: "bulk-delete", Limit: 50, Period: time.Second, Sliding: true}),
	discordtest.WithRouteLimit(routeSend, discordtest.RouteLimit{Bucket: "message-create", Limit: 50, Period: time.Second, Sliding: true}),
}

func start(t *testing.T, s setup) *harness {
	t.Helper()
	m := New(append([]Option{WithFlushWindow(30 * time.Millisecond)}, s.module...)...)
	rec := &recorder{}
	h := bottest.New(t, []bot.Module{m, rec}, bottest.WithEmulator(append(slices.Clone(roomyLimits), s.emulator...)...))
	return &harness{Harness: h, t: t, m: m, rec: rec, g: h.Guild()}
}

// set changes the guild's settings as /settings set would.
func (h *harness) set(change func(*Settings)) {
	h.t.Helper()
	_, _, err := h.m.settings.Update(context.Background(), snowflake.ID(h.g.ID), store.Actor{UserID: 1}, func(s *Settings) error {
		change(s)
		return nil
	})
	if err != nil {
		h.t.Fatalf("set: %v", err)
	}
}

func (h *harness) channel(name string) discordtest.Snowflake {
	h.t.Helper()
	c := h.g.Channel(name)
	if c.ID == 0 {
		h.t.Fatalf("no channel #%s", name)
	}
	return c.ID
}

func (h *harness) seeded(username string) discordtest.Snowflake {
	h.t.Helper()
	id := h.g.Member(username).User.ID
	if id == 0 {
		h.t.Fatalf("no seeded member %q", username)
	}
	return id
}

// join makes a new person join and waits until automod knows their
// roles (from the join event), so no request is needed to read them.
func (h *harness) join(username string) discordtest.Snowflake {
	h.t.Helper()
	mv, err := h.Emulator.MemberJoin(h.g.ID, username)
	if err != nil {
		h.t.Fatal(err)
	}
	k := memberKey{snowflake.ID(h.g.ID), snowflake.ID(mv.User.ID)}
	h.eventually("automod learns the roles of "+username, func() bool {
		_, ok := h.m.members.roles(k, time.Time{})
		return ok
	})
	return mv.User.ID
}

// send posts messages as a person in a channel and waits until automod
// has handled them all (deletions done, actions taken); it returns them.
func (h *harness) send(channel string, user discordtest.Snowflake, texts ...string) []discordtest.Message {
	h.t.Helper()
	var out []discordtest.Message
	for _, text := range texts {
		msg, err := h.Emulator.SendMessage(h.g.ID, h.channel(channel), user, text)
		if err != nil {
			h.t.Fatal(err)
		}
		out = append(out, msg)
	}
	if len(out) > 0 {
		h.settle(out[len(out)-1].ID)
	}
	return out
}

// settle waits until automod has seen the message and done all it does
// about what it has seen.
func (h *harness) settle(last discordtest.Snowflake) {
	h.t.Helper()
	h.eventually("automod settles", func() bool {
		return h.m.lastSeen.Load() >= uint64(last) && h.m.pending.Load() == 0 && h.m.deletes.idle()
	})
}

// eventually polls cond for up to 10 s.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: not within 10 s", what)
		}
	}
}

// exists reports whether a message is still there.
func (h *harness) exists(id discordtest.Snowflake) bool {
	_, ok := h.Emulator.Message(id)
	return ok
}

// actionsOf returns the actions recorded about a user, once the
// recorder has caught up with automod.
func (h *harness) actionsOf(user discordtest.Snowflake) []bot.Action {
	var out []bot.Action
	for _, a := range h.rec.all() {
		if a.TargetID == snowflake.ID(user) {
			out = append(out, a)
		}
	}
	return out
}

// waitActions waits until n actions about user are recorded.
func (h *harness) waitActions(user discordtest.Snowflake, n int) []bot.Action {
	h.t.Helper()
	h.eventually(fmt.Sprintf("%d actions recorded", n), func() bool { return len(h.actionsOf(user)) >= n })
	return h.actionsOf(user)
}

// alerts returns the text of the messages in #mod-log, the alert
// channel of these tests.
func (h *harness) alerts() string {
	var b strings.Builder
	for _, msg := range h.Emulator.Messages(h.channel("mod-log")) {
		b.WriteString(msg.Content + "\n")
	}
	return b.String()
}

// waitAlert waits until #mod-log has a message containing want.
func (h *harness) waitAlert(want string) string {
	h.t.Helper()
	if !h.Emulator.WaitFor(10*time.Second, func() bool { return strings.Contains(h.alerts(), want) }) {
		h.t.Fatalf("#mod-log shows %q; want it to contain %q", h.alerts(), want)
	}
	return h.alerts()
}

// requestsSince returns the REST requests made after the first n.
func (h *harness) requestsSince(n int) []discordtest.Request {
	all := h.Emulator.Requests()
	if n > len(all) {
		return nil
	}
	return all[n:]
}

// wantNoForbidden fails when Discord answered 403 (other than a refused
// DM, 50007, which nobody can check beforehand) or 429.
func wantNoForbidden(t *testing.T, srv *discordtest.Server) {
	t.Helper()
	for _, r := range srv.Requests() {
		if r.Status == 403 && r.Code != 50007 {
			t.Errorf("%s %s answered 403 (code %d); want every refusal caught before the request", r.Method, r.Path, r.Code)
		}
		if r.Status == 429 {
			t.Errorf("%s %s answered 429; want none", r.Method, r.Path)
		}
	}
}

// runBot runs the bot on a store file, for tests that stop the bot and
// start it again; stop shuts it down and closes the store.
func runBot(t *testing.T, srv *discordtest.Server, dbPath string, mods ...bot.Module) (stop func()) {
	t.Helper()
	_, stop = bottest.Start(t, srv, dbPath, mods)
	return stop
}

// storeActor is who changes settings in tests.
var storeActor = store.Actor{UserID: 1}
