package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	// files captures the files the bot attaches to interaction replies.
	files bool
	// tweak changes the module before it starts.
	tweak func(*Module)
}

// harness is the bot with the audit and probe modules against the
// emulator.
type harness struct {
	*bottest.Harness
	t     *testing.T
	m     *Module
	p     *probe
	g     discordtest.GuildView
	files *fileTap
}

// loadConfig writes the module's section to a file and loads it as
// hearth run would.
func loadConfig(t testing.TB, section string) config.Config {
	t.Helper()
	body := ""
	if strings.TrimSpace(section) != "" {
		body = "modules:\n  audit:\n"
		for _, line := range strings.Split(strings.TrimSpace(section), "\n") {
			body += "    " + line + "\n"
		}
	}
	path := filepath.Join(t.TempDir(), "hearth.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func start(t *testing.T, s setup) *harness {
	t.Helper()
	m := New(s.module...)
	if s.tweak != nil {
		s.tweak(m)
	}
	p := &probe{}
	loaded := loadConfig(t, s.config)
	var tap *fileTap
	h := bottest.New(t, []bot.Module{m, p}, bottest.WithConfig(func(c *config.Config) {
		keep := *c
		*c = loaded
		c.Discord.RESTURL, c.Store.Path, c.Admin.Addr = keep.Discord.RESTURL, keep.Store.Path, keep.Admin.Addr
		if s.files {
			tap = newFileTap(t, c.Discord.RESTURL)
			c.Discord.RESTURL = tap.url
		}
	}))
	return &harness{Harness: h, t: t, m: m, p: p, g: h.Guild(), files: tap}
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

// fileTap is a reverse proxy in front of the emulator that keeps the
// files of multipart interaction replies: discordtest.Reply does not
// show @original's attachments (an ephemeral reply lives only in its
// interaction, which the emulator does not expose with its files).
type fileTap struct {
	url   string
	mu    sync.Mutex
	files []tappedFile
}

// tappedFile is one attachment the bot sent.
type tappedFile struct {
	Name string
	Data []byte
}

func newFileTap(t testing.TB, target string) *fileTap {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	tap := &fileTap{}
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" &&
			(strings.HasSuffix(r.URL.Path, "/callback") || strings.Contains(r.URL.Path, "/webhooks/")) {
			body, err := io.ReadAll(r.Body)
			if err == nil {
				tap.keep(body, params["boundary"])
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	tap.url = srv.URL + u.Path
	return tap
}

func (f *fileTap) keep(body []byte, boundary string) {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		p, err := mr.NextPart()
		if err != nil {
			return
		}
		if strings.HasPrefix(p.FormName(), "files[") {
			data, _ := io.ReadAll(p)
			f.mu.Lock()
			f.files = append(f.files, tappedFile{Name: p.FileName(), Data: data})
			f.mu.Unlock()
		}
	}
}

// last returns the last file sent.
func (f *fileTap) last(t *testing.T) tappedFile {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.files) == 0 {
		t.Fatal("the bot sent no file")
	}
	return f.files[len(f.files)-1]
}

// count returns how many files were sent.
func (f *fileTap) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.files)
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
