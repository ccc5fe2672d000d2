package logs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bottest"
	botconfig "github.com/hearthbot/hearth/bot/config"
	"github.com/hearthbot/hearth/discordtest"
	"github.com/hearthbot/hearth/store"
)

// routeSend is where log messages go.
const routeSend = "POST /channels/{channel_id}/messages"

// setup says how a test runs the bot.
type setup struct {
	// config is the modules.logs section, one key a line.
	config   string
	emulator []discordtest.Option
	module   []Option
	// guild changes the seeded guild's logs settings; by default the
	// log channel is #mod-log and everything is logged.
	guild func(s *Settings, g discordtest.GuildView)
	// observe keeps the bot's log, Info and above, in harness.logs.
	observe bool
}

// harness is the bot with the logs module against the emulator.
type harness struct {
	*bottest.Harness
	t    *testing.T
	m    *Module
	g    discordtest.GuildView
	logs *observer.ObservedLogs
}

// loadConfig writes the module's section to a file and loads it as
// hearth run would.
func loadConfig(t testing.TB, section string) botconfig.Config {
	t.Helper()
	return bottest.ModuleConfig(t, ID, section)
}

// fast coalesces over short windows, so tests do not wait a second for
// each log message.
var fast = WithCoalescing(20*time.Millisecond, 100*time.Millisecond)

func start(t *testing.T, s setup) *harness {
	t.Helper()
	m := New(append([]Option{fast}, s.module...)...)
	loaded := loadConfig(t, s.config)
	opts := []bottest.Option{bottest.WithEmulator(s.emulator...), bottest.WithConfig(func(c *botconfig.Config) {
		keep := *c
		*c = loaded
		c.Discord.RESTURL, c.Store.Path, c.Admin.Addr = keep.Discord.RESTURL, keep.Store.Path, keep.Admin.Addr
	})}
	var logs *observer.ObservedLogs
	if s.observe {
		var core zapcore.Core
		core, logs = observer.New(zapcore.InfoLevel)
		opts = append(opts, bottest.WithLogger(zap.New(zapcore.NewTee(core, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)).Core()))))
	}
	h := bottest.New(t, []bot.Module{m}, opts...)
	g := h.Guild()
	_, _, err := m.settings.Update(context.Background(), snowflake.ID(g.ID), store.Actor{Reason: "test"}, func(st *Settings) error {
		st.Channel = snowflake.ID(g.Channel("mod-log").ID)
		if s.guild != nil {
			s.guild(st, g)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{Harness: h, t: t, m: m, g: g, logs: logs}
}

func (h *harness) id(username string) discordtest.Snowflake {
	h.t.Helper()
	id := h.g.Member(username).User.ID
	if id == 0 {
		h.t.Fatalf("no seeded member %q", username)
	}
	return id
}

func (h *harness) channel(name string) discordtest.Snowflake {
	h.t.Helper()
	id := h.g.Channel(name).ID
	if id == 0 {
		h.t.Fatalf("no seeded channel %q", name)
	}
	return id
}

// say posts a message as a seeded member.
func (h *harness) say(username, channel, text string) discordtest.Message {
	h.t.Helper()
	msg, err := h.Emulator.SendMessage(h.g.ID, h.channel(channel), h.id(username), text)
	if err != nil {
		h.t.Fatalf("%s says %q in #%s: %v", username, text, channel, err)
	}
	return msg
}

func (h *harness) edit(msg discordtest.Message, text string) {
	h.t.Helper()
	if _, err := h.Emulator.EditMessage(msg.ID, text); err != nil {
		h.t.Fatalf("edit %s: %v", msg.ID, err)
	}
}

func (h *harness) delete(msg discordtest.Message) {
	h.t.Helper()
	if err := h.Emulator.DeleteMessage(msg.ID); err != nil {
		h.t.Fatalf("delete %s: %v", msg.ID, err)
	}
}

// publish puts an event on the bus, as the gateway intake would.
func publish[T any](h *harness, t interface{ Name() string }, ev T) {
	h.t.Helper()
	if err := h.m.host.Bus().Publish(context.Background(), t.Name(), ev); err != nil {
		h.t.Fatal(err)
	}
}

// logText is what #mod-log (or the channel named) shows: each message's
// content and its embeds' titles, descriptions and footers.
func (h *harness) logText(channel string) string {
	var b strings.Builder
	for _, msg := range h.Emulator.Messages(h.channel(channel)) {
		if msg.Content != "" {
			b.WriteString(msg.Content + "\n")
		}
		for _, raw := range msg.Embeds {
			var e struct {
				Title, Description string
				Footer             struct{ Text string }
			}
			if err := json.Unmarshal(raw, &e); err != nil {
				h.t.Fatalf("embed %s: %v", raw, err)
			}
			fmt.Fprintf(&b, "[%s]\n%s\n(%s)\n", e.Title, e.Description, e.Footer.Text)
		}
	}
	return b.String()
}

// waitLog waits until #mod-log shows every want, and returns its text.
func (h *harness) waitLog(wants ...string) string {
	h.t.Helper()
	var got string
	ok := h.Emulator.WaitFor(10*time.Second, func() bool {
		got = h.logText("mod-log")
		for _, w := range wants {
			if !strings.Contains(got, w) {
				return false
			}
		}
		return true
	})
	if !ok {
		h.t.Fatalf("#mod-log shows:\n%s\nwant it to contain %q", got, wants)
	}
	return got
}

// waitFor waits for a condition on the module, polling.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			h.t.Fatalf("waited 10 s for %s", what)
		}
	}
}

// waitCached waits until the cache holds n messages.
func (h *harness) waitCached(n int) {
	h.t.Helper()
	h.waitFor(fmt.Sprintf("%d cached messages", n), func() bool { return h.m.Stats().CachedMessages >= n })
}

// wantNoForbidden fails when the emulator answered 403 or 429 to anything.
func wantNoForbidden(t *testing.T, srv *discordtest.Server) {
	t.Helper()
	for _, r := range srv.Requests() {
		if r.Status == 403 || r.Status == 429 {
			t.Errorf("%s %s answered %d (code %d); want every refusal caught before the request", r.Method, r.Path, r.Status, r.Code)
		}
	}
}

// postsTo counts the messages the bot posted to a channel.
func (h *harness) postsTo(channel string) int {
	n := 0
	path := "/channels/" + h.channel(channel).String() + "/messages"
	for _, r := range h.Emulator.RequestsTo(routeSend) {
		if strings.HasSuffix(r.Path, path) {
			n++
		}
	}
	return n
}

func snowflakeOf(id discordtest.Snowflake) snowflake.ID { return snowflake.ID(id) }
