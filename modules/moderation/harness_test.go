package moderation

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bottest"
	"github.com/hearthbot/hearth/bot/config"
	"github.com/hearthbot/hearth/discordtest"
)

// Routes the actions use.
const (
	routeEditMember = "PATCH /guilds/{guild_id}/members/{user_id}"
	routeKick       = "DELETE /guilds/{guild_id}/members/{user_id}"
	routeGetMember  = "GET /guilds/{guild_id}/members/{user_id}"
	routeBan        = "PUT /guilds/{guild_id}/bans/{user_id}"
	routeUnban      = "DELETE /guilds/{guild_id}/bans/{user_id}"
	routeBulkDelete = "POST /channels/{channel_id}/messages/bulk-delete"
	routeDelete     = "DELETE /channels/{channel_id}/messages/{message_id}"
	routeSend       = "POST /channels/{channel_id}/messages"
)

var actionRoutes = []string{routeEditMember, routeKick, routeGetMember, routeBan, routeUnban, routeBulkDelete, routeDelete}

// seeded is the emulator's seeded world, the same in every test (the
// seed fixes the IDs), read once to write configs that name channels.
var seeded = sync.OnceValue(func() discordtest.GuildView {
	srv, err := discordtest.Start()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	return srv.Guilds()[0]
})

// setup says how a test runs the bot.
type setup struct {
	// config is the modules.moderation section, one key a line; %d is
	// the seeded #mod-log's ID.
	config   string
	emulator []discordtest.Option
	module   []Option
	// extra modules run beside moderation (a recorder of the audit trail).
	extra []bot.Module
	// edit changes the bot's config after the section is loaded.
	edit func(*config.Config)
}

// harness is the bot with the moderation module against the emulator.
type harness struct {
	*bottest.Harness
	t *testing.T
	m *Module
	g discordtest.GuildView
}

// loadConfig writes the module's section to a file and loads it as
// hearth run would.
func loadConfig(t testing.TB, section string) config.Config {
	t.Helper()
	if strings.Contains(section, "%d") {
		section = fmt.Sprintf(section, seeded().Channel("mod-log").ID)
	}
	return bottest.ModuleConfig(t, ID, section)
}

func start(t *testing.T, s setup) *harness {
	t.Helper()
	m := New(append([]Option{WithTick(50 * time.Millisecond)}, s.module...)...)
	loaded := loadConfig(t, s.config)
	h := bottest.New(t, append([]bot.Module{m}, s.extra...), bottest.WithEmulator(s.emulator...), bottest.WithConfig(func(c *config.Config) {
		keep := *c
		*c = loaded
		c.Discord.RESTURL, c.Store.Path, c.Admin.Addr = keep.Discord.RESTURL, keep.Store.Path, keep.Admin.Addr
		if s.edit != nil {
			s.edit(c)
		}
	}))
	return &harness{Harness: h, t: t, m: m, g: h.Guild()}
}

// withLog is the config with the modlog in #mod-log.
const withLog = "log_channel: %d"

func (h *harness) id(username string) discordtest.Snowflake {
	h.t.Helper()
	id := h.g.Member(username).User.ID
	if id == 0 {
		h.t.Fatalf("no seeded member %q", username)
	}
	return id
}

// run runs a command line as a seeded member in #general, and fails the
// test unless the bot answered.
func (h *harness) run(username, line string) discordtest.Reply {
	h.t.Helper()
	return h.runIn("general", username, line)
}

func (h *harness) runIn(channel, username, line string) discordtest.Reply {
	h.t.Helper()
	r, err := h.Emulator.RunCommand(h.g.ID, h.g.Channel(channel).ID, h.id(username), line)
	if err != nil {
		h.t.Fatalf("%s runs %s: %v", username, line, err)
	}
	if r.Expired || r.Type == 0 {
		h.t.Fatalf("%s runs %s: no answer", username, line)
	}
	// A long /purge reports progress first ("… so far…"), which settles
	// the person's wait; its answer replaces it.
	for deadline := time.Now().Add(20 * time.Second); strings.HasSuffix(r.Content, "so far…"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			h.t.Fatalf("%s runs %s: still %q after 20 s", username, line, r.Content)
		}
		r, _ = h.Emulator.Interaction(r.InteractionID)
	}
	return r
}

// text is what a reply shows: its content and its embeds' text.
func text(r discordtest.Reply) string {
	s := r.Content
	for _, e := range r.Embeds {
		s += "\n" + string(e)
	}
	for _, c := range r.Components {
		s += "\n" + string(c)
	}
	return unescape.Replace(s)
}

var unescape = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")

// wantReply fails unless the reply is ephemeral and contains every want.
func (h *harness) wantReply(r discordtest.Reply, wants ...string) {
	h.t.Helper()
	got := text(r)
	for _, w := range wants {
		if !strings.Contains(got, w) {
			h.t.Errorf("got reply %q; want it to contain %q", got, w)
		}
	}
	if !r.Ephemeral {
		h.t.Errorf("reply %q is public; want ephemeral", got)
	}
}

// embedTitles are the titles of the embeds of the messages in a channel.
func (h *harness) embedTitles(channel string) []string {
	var titles []string
	for _, msg := range h.Emulator.Messages(h.g.Channel(channel).ID) {
		for _, raw := range msg.Embeds {
			var e struct {
				Title string `json:"title"`
			}
			_ = json.Unmarshal(raw, &e)
			titles = append(titles, e.Title)
		}
	}
	return titles
}

// waitModlog waits until #mod-log shows n case embeds and returns their
// titles.
func (h *harness) waitModlog(n int) []string {
	h.t.Helper()
	var titles []string
	if !h.Emulator.WaitFor(10*time.Second, func() bool { titles = h.embedTitles("mod-log"); return len(titles) >= n }) {
		h.t.Fatalf("#mod-log shows %d cases %q; want %d", len(titles), titles, n)
	}
	return titles
}

// requests counts the requests to routes since the test began.
func (h *harness) requests(routes ...string) int {
	n := 0
	for _, r := range routes {
		n += len(h.Emulator.RequestsTo(r))
	}
	return n
}

// wantNoForbidden fails when the emulator answered 403 to anything but a
// DM refused with 50007 (which nobody can check beforehand).
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

// member is the emulator's view of a member; ok is false when they are
// not in the guild.
func (h *harness) member(username string) (discordtest.MemberView, bool) {
	return h.Emulator.Member(h.g.ID, h.id(username))
}

func (h *harness) banned(username string) bool {
	g, _ := h.Emulator.Guild(h.g.ID)
	for _, b := range g.Bans {
		if b.User.ID == h.id(username) {
			return true
		}
	}
	return false
}

// runBot runs the bot on a store file, for tests that stop the bot and
// start it again; stop shuts it down and closes the store.
func runBot(t *testing.T, srv *discordtest.Server, cfg config.Config, dbPath string, m *Module) (stop func()) {
	t.Helper()
	_, stop = bottest.Start(t, srv, dbPath, []bot.Module{m}, bottest.WithConfig(func(c *config.Config) { *c = cfg }))
	return stop
}
