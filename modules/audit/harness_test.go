package audit

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bottest"
	"github.com/hearthbot/hearth/bot/config"
	"github.com/hearthbot/hearth/discordtest"
)

// probe is a module that reports actions and settings changes the way
// moderation, automod and core do, since tests cannot import them.
type probe struct {
	host *bot.Host
}

func (p *probe) ID() string { return "probe" }

// Init declares /probe kind target reason, which records an action with
// the command's correlation ID and answers it.
func (p *probe) Init(_ context.Context, h *bot.Host) error {
	p.host = h
	return h.Command(bot.Command{Name: "probe", Description: "Records an action", Ephemeral: true,
		Options: []bot.Option{
			{Name: "kind", Description: "What", Type: bot.OptionString, Required: true},
			{Name: "target", Description: "To whom", Type: bot.OptionUser},
			{Name: "reason", Description: "Why", Type: bot.OptionString},
		},
		Handler: func(ctx context.Context, r *bot.Request) (bot.Response, error) {
			kind, _ := r.String("kind")
			target, _ := r.Snowflake("target")
			reason, _ := r.String("reason")
			if err := p.host.Record(ctx, bot.Action{GuildID: r.GuildID, Kind: kind, ActorID: r.User.ID, TargetID: target,
				Reason: reason, Case: 7}); err != nil {
				return bot.Response{}, err
			}
			return bot.Response{Content: "recorded " + r.CorrelationID}, nil
		}})
}

// setup says how a test runs the bot.
type setup struct {
	// config is the modules.audit section, one key a line.
	config string
	module []Option
	// tweak changes the module before it starts.
	tweak func(*Module)
}

// harness is the bot with the audit and probe modules against the
// emulator.
type harness struct {
	*bottest.Harness
	t *testing.T
	m *Module
	p *probe
	g discordtest.GuildView
}

// loadConfig writes the module's section to a file and loads it as
// hearth run would.
func loadConfig(t testing.TB, section string) config.Config {
	t.Helper()
	return bottest.ModuleConfig(t, ID, section)
}

func start(t *testing.T, s setup) *harness {
	t.Helper()
	m := New(s.module...)
	if s.tweak != nil {
		s.tweak(m)
	}
	p := &probe{}
	loaded := loadConfig(t, s.config)
	h := bottest.New(t, []bot.Module{m, p}, bottest.WithConfig(func(c *config.Config) {
		keep := *c
		*c = loaded
		c.Discord.RESTURL, c.Store.Path, c.Admin.Addr = keep.Discord.RESTURL, keep.Store.Path, keep.Admin.Addr
	}))
	return &harness{Harness: h, t: t, m: m, p: p, g: h.Guild()}
}

func (h *harness) id(username string) snowflake.ID {
	h.t.Helper()
	id := h.g.Member(username).User.ID
	if id == 0 {
		h.t.Fatalf("no seeded member %q", username)
	}
	return snowflake.ID(id)
}

// run runs a command line as a seeded member in #general, and fails the
// test unless the bot answered.
func (h *harness) run(username, line string) discordtest.Reply {
	h.t.Helper()
	r, err := h.Emulator.RunCommand(h.g.ID, h.g.Channel("general").ID, discordtest.Snowflake(h.id(username)), line)
	if err != nil {
		h.t.Fatalf("%s runs %s: %v", username, line, err)
	}
	if r.Expired || r.Type == 0 {
		h.t.Fatalf("%s runs %s: no answer", username, line)
	}
	return r
}

// record reports an action as the probe module, with a correlation ID.
func (h *harness) record(a bot.Action, ref string) {
	h.t.Helper()
	if a.GuildID == 0 {
		a.GuildID = snowflake.ID(h.g.ID)
	}
	if err := h.p.host.Record(bot.WithCorrelation(context.Background(), ref), a); err != nil {
		h.t.Fatal(err)
	}
}

// setting reports a settings change as the core module would.
func (h *harness) setting(c bot.SettingChanged) {
	h.t.Helper()
	if c.GuildID == 0 {
		c.GuildID = snowflake.ID(h.g.ID)
	}
	if err := h.p.host.RecordSetting(context.Background(), c); err != nil {
		h.t.Fatal(err)
	}
}

// rows counts the stored entries, after writing those queued.
func (h *harness) rows(where string, args ...any) int {
	h.t.Helper()
	if err := h.m.flush(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	if where == "" {
		where = "1"
	}
	var n int
	if err := h.Store.DB().QueryRow(`SELECT count(*) FROM audit_entries WHERE `+where, args...).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// waitRows waits until n entries are stored: events reach the module
// through the bus, after Record returns.
func (h *harness) waitRows(n int) {
	h.t.Helper()
	got := 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if got = h.rows(""); got >= n {
			if got > n {
				h.t.Fatalf("got %d entries; want %d", got, n)
			}
			return
		}
	}
	h.t.Fatalf("got %d entries after 10 s; want %d", got, n)
}

// text is what a reply shows: its content, its embeds' text and its
// components, with JSON's escapes undone.
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

var unescape = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&", `\"`, `"`)

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

// button is a button of a reply.
type button struct {
	customID string
	disabled bool
}

// buttons returns a reply's buttons by label.
func buttons(t *testing.T, r discordtest.Reply) map[string]button {
	t.Helper()
	out := map[string]button{}
	for _, raw := range r.Components {
		var row struct {
			Components []struct {
				Label    string `json:"label"`
				CustomID string `json:"custom_id"`
				Disabled bool   `json:"disabled"`
			} `json:"components"`
		}
		if err := json.Unmarshal(raw, &row); err != nil {
			t.Fatal(err)
		}
		for _, c := range row.Components {
			out[c.Label] = button{c.CustomID, c.Disabled}
		}
	}
	return out
}

// click presses a reply's button as a seeded member.
func (h *harness) click(username string, r discordtest.Reply, label string) discordtest.Reply {
	h.t.Helper()
	b, ok := buttons(h.t, r)[label]
	if !ok || b.disabled {
		h.t.Fatalf("reply %q has no enabled %q button", text(r), label)
	}
	got, err := h.Emulator.ClickButton(h.g.ID, h.g.Channel("general").ID, discordtest.Snowflake(h.id(username)), r.MessageID, b.customID)
	if err != nil {
		h.t.Fatalf("%s clicks %s: %v", username, label, err)
	}
	return got
}

// t0 is the unit tests' fixed now.
var t0 = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

// recent is a fixed now for the tests that run the bot: recent enough
// that the host's retention job (90 days by default) keeps its entries.
func recent() time.Time { return time.Now().UTC().Truncate(time.Hour) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
