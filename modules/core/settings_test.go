package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bottest"
	"github.com/hearthbot/hearth/bot/bus"
	"github.com/hearthbot/hearth/discordtest"
	"github.com/hearthbot/hearth/modules/core"
)

// gadgetSettings are the per-guild settings of the gadget test module.
type gadgetSettings struct {
	Limit      int          `json:"limit" doc:"How many things at most."`
	LogChannel snowflake.ID `json:"log_channel" kind:"channel" doc:"Where to post."`
	DryRun     bool         `json:"dry_run" doc:"Record only."`
	Spam       struct {
		Count int `json:"count" doc:"Messages that count as spam."`
	} `json:"spam"`
}

func defaultGadgetSettings() gadgetSettings {
	s := gadgetSettings{Limit: 5}
	s.Spam.Count = 3
	return s
}

// gadgetNote is what gadget says it turned off.
const gadgetNote = "Content rules are off: Discord has not granted MESSAGE_CONTENT."

// gadget is a test module with settings, a reduced mode, a command and a
// message subscription that reports the IDs of the messages it sees.
type gadget struct {
	settings *bot.GuildSettings[gadgetSettings]
	seen     chan snowflake.ID
}

func newGadget() *gadget { return &gadget{seen: make(chan snowflake.ID, 64)} }

func (g *gadget) ID() string { return "gadget" }

func (g *gadget) Init(_ context.Context, h *bot.Host) error {
	var err error
	g.settings, err = bot.NewGuildSettings(h, defaultGadgetSettings, func(s *gadgetSettings) error {
		if s.Limit < 1 || s.Limit > 10 {
			return fmt.Errorf("limit: want 1 to 10; got %d", s.Limit)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := h.Command(bot.Command{Name: "gadget", Description: "Answers", Handler: func(context.Context, *bot.Request) (bot.Response, error) {
		return bot.Response{Content: "gadget here"}, nil
	}}); err != nil {
		return err
	}
	return bot.Subscribe(h, bot.TopicMessageCreated, "messages", bus.Backpressure, func(_ context.Context, ev bot.MessageCreated) error {
		g.seen <- ev.ID
		return nil
	})
}

func (g *gadget) Degraded() []string { return []string{gadgetNote} }

func (g *gadget) Needs() bot.Needs { return bot.Needs{Intents: gateway.IntentGuildMessages} }

// watch records every settings change published for the audit trail. It
// has no settings of its own and is never turned off in the tests, so it
// sees the changes of every guild.
type watch struct{ changes chan bot.SettingChanged }

func newWatch() *watch { return &watch{changes: make(chan bot.SettingChanged, 64)} }

func (w *watch) ID() string { return "watch" }

func (w *watch) Init(_ context.Context, h *bot.Host) error {
	return bot.Subscribe(h, bot.TopicSettingChanged, "changes", bus.Backpressure, func(_ context.Context, c bot.SettingChanged) error {
		w.changes <- c
		return nil
	})
}

// Interface guards
var (
	_ bot.Module   = (*gadget)(nil)
	_ bot.Degraded = (*gadget)(nil)
	_ bot.Needer   = (*gadget)(nil)
	_ bot.Module   = (*watch)(nil)
)

// admin is the test's harness with core, gadget and watch, and the
// seeded admin (who has MANAGE_GUILD through administrator).
type admin struct {
	*bottest.Harness
	t      *testing.T
	gadget *gadget
	watch  *watch
	g      discordtest.GuildView
}

func startAdmin(t *testing.T, extra []bot.Module, opts ...bottest.Option) *admin {
	t.Helper()
	gd, w := newGadget(), newWatch()
	h := bottest.New(t, append([]bot.Module{core.New(), gd, w}, extra...), opts...)
	return &admin{Harness: h, t: t, gadget: gd, watch: w, g: h.Guild()}
}

// run runs a line as admin in #general and wants an ephemeral answer.
func (a *admin) run(line string) discordtest.Reply {
	a.t.Helper()
	r := run(a.t, a.Harness, "admin", line)
	if !r.Ephemeral {
		a.t.Errorf("%s: got a public reply; want an ephemeral one", line)
	}
	return r
}

// say runs a line as admin and wants exactly this content.
func (a *admin) say(line, want string) {
	a.t.Helper()
	if got := a.run(line).Content; got != want {
		a.t.Errorf("%s:\n got %q\nwant %q", line, got, want)
	}
}

// nextChange waits for the next settings change published on the bus.
func (a *admin) nextChange() bot.SettingChanged {
	a.t.Helper()
	select {
	case c := <-a.watch.changes:
		return c
	case <-time.After(5 * time.Second):
		a.t.Fatalf("no settings change published within 5 s")
		return bot.SettingChanged{}
	}
}

// wantChanges checks the next changes published, in order: module, key,
// old and new value, by admin in this guild, each with its own
// correlation ID and a stored change ID.
func (a *admin) wantChanges(want ...[4]string) {
	a.t.Helper()
	refs := map[string]bool{}
	for _, w := range want {
		c := a.nextChange()
		if got := [4]string{c.Module, c.Key, c.Old, c.New}; got != w {
			a.t.Errorf("change: got %q; want %q", got, w)
		}
		if c.GuildID != snowflake.ID(a.g.ID) || c.ActorID != snowflake.ID(a.g.Member("admin").User.ID) {
			a.t.Errorf("change %v: got guild %d, actor %d; want guild %d, actor admin %d",
				w, c.GuildID, c.ActorID, a.g.ID, a.g.Member("admin").User.ID)
		}
		if !correlation.MatchString(c.CorrelationID) || refs[c.CorrelationID] {
			a.t.Errorf("change %v: got correlation ID %q; want the command's own (8 hex digits)", w, c.CorrelationID)
		}
		refs[c.CorrelationID] = true
		if c.ChangeID <= 0 || c.At.IsZero() {
			a.t.Errorf("change %v: got change ID %d at %v; want a stored change and its time", w, c.ChangeID, c.At)
		}
	}
}

var correlation = regexp.MustCompile(`^[0-9a-f]{8}$`)

// embed is the part of an embed the tests read.
type embed struct {
	Title, Description string
	Fields             []struct{ Name, Value string }
	Footer             struct{ Text string }
}

func embedOf(t *testing.T, r discordtest.Reply) embed {
	t.Helper()
	if len(r.Embeds) != 1 {
		t.Fatalf("got %d embeds (content %q); want 1", len(r.Embeds), r.Content)
	}
	var e embed
	if err := json.Unmarshal(r.Embeds[0], &e); err != nil {
		t.Fatalf("decode the embed: %v", err)
	}
	return e
}

// buttons are the custom IDs of a reply's buttons, with whether each is
// disabled.
func buttons(t *testing.T, r discordtest.Reply) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, row := range r.Components {
		var ar struct {
			Components []struct {
				CustomID string `json:"custom_id"`
				Disabled bool
			}
		}
		if err := json.Unmarshal(row, &ar); err != nil {
			t.Fatalf("decode the components: %v", err)
		}
		for _, c := range ar.Components {
			out[c.CustomID] = c.Disabled
		}
	}
	return out
}

func TestSettingsShowSummarizesEveryModule(t *testing.T) {
	a := startAdmin(t, nil)
	e := embedOf(t, a.run("/settings show"))
	want := "**core** — on · no settings\n**gadget** — on · 4 settings · reduced mode\n**watch** — on · no settings\n"
	if e.Title != "Modules in this server" || !strings.HasPrefix(e.Description, want) {
		t.Errorf("got %q / %q; want the title and a description starting %q", e.Title, e.Description, want)
	}
	if err := a.Store.SetModuleEnabled(context.Background(), uint64(a.g.ID), "gadget", false); err != nil {
		t.Fatal(err)
	}
	if e := embedOf(t, a.run("/module list")); !strings.Contains(e.Description, "**gadget** — off · 4 settings · reduced mode\n") {
		t.Errorf("/module list: got %q; want gadget off", e.Description)
	}
}

func TestSettingsShowModuleGivesValuesDefaultsDocsAndReducedMode(t *testing.T) {
	a := startAdmin(t, nil)
	a.say("/settings set module:gadget key:limit value:7", "gadget.limit: 5 → 7")
	e := embedOf(t, a.run("/settings show module:gadget"))
	if e.Title != "gadget settings" {
		t.Errorf("title: got %q; want %q", e.Title, "gadget settings")
	}
	if want := "On in this server.\nReduced mode: " + gadgetNote; e.Description != want {
		t.Errorf("description: got %q; want %q", e.Description, want)
	}
	want := [][2]string{
		{"limit", "7\nHow many things at most.\nAllowed: a whole number"},
		{"log_channel", "none (default)\nWhere to post.\nAllowed: a channel (mention or ID), or none"},
		{"dry_run", "false (default)\nRecord only.\nAllowed: true or false (on/off, yes/no)"},
		{"spam.count", "3 (default)\nMessages that count as spam.\nAllowed: a whole number"},
	}
	var got [][2]string
	for _, f := range e.Fields {
		got = append(got, [2]string{f.Name, f.Value})
	}
	if !slices.Equal(got, want) {
		t.Errorf("fields:\n got %q\nwant %q", got, want)
	}
	if want := "Change one with /settings set; /settings reset puts it back."; e.Footer.Text != want {
		t.Errorf("footer: got %q; want %q", e.Footer.Text, want)
	}

	// A module without settings says so, and still shows its state.
	core := embedOf(t, a.run("/settings show module:Core"))
	if core.Description != "On in this server.\ncore has no settings." || len(core.Fields) != 0 {
		t.Errorf("core: got %q with %d fields; want it on, without settings", core.Description, len(core.Fields))
	}
	a.say("/settings show module:nope", `There is no module "nope". Modules: core, gadget, watch.`)
}

// bulkySettings has 30 keys with long docs: more than an embed's 25
// fields, and more than one page's characters.
type bulkySettings struct {
	A, B, C ten
}

type ten struct {
	K0 int `json:"k0" doc:"A setting with a long description, long enough that thirty of them do not fit in one embed of six thousand characters: it goes on and on to fill the page, and then some more, so that the pages break by size."`
	K1 int `json:"k1" doc:"A setting with a long description, long enough that thirty of them do not fit in one embed of six thousand characters: it goes on and on to fill the page, and then some more, so that the pages break by size."`
	K2 int `json:"k2" doc:"A setting with a long description, long enough that thirty of them do not fit in one embed of six thousand characters: it goes on and on to fill the page, and then some more, so that the pages break by size."`
	K3 int `json:"k3" doc:"A setting with a long description, long enough that thirty of them do not fit in one embed of six thousand characters: it goes on and on to fill the page, and then some more, so that the pages break by size."`
	K4 int `json:"k4" doc:"A setting with a long description, long enough that thirty of them do not fit in one embed of six thousand characters: it goes on and on to fill the page, and then some more, so that the pages break by size."`
	K5 int `json:"k5" doc:"A setting with a long description, long enough that thirty of them do not fit in one embed of six thousand characters: it goes on and on to fill the page, and then some more, so that the pages break by size."`
	K6 int `json:"k6" doc:"A setting with a long description, long enough that thirty of them do not fit in one embed of six thousand characters: it goes on and on to fill the page, and then some more, so that the pages break by size."`
	K7 int `json:"k7" doc:"A setting with a long description, long enough that thirty of them do not fit in one embed of six thousand characters: it goes on and on to fill the page, and then some more, so that the pages break by size."`
	K8 int `json:"k8" doc:"A setting with a long description, long enough that thirty of them do not fit in one embed of six thousand characters: it goes on and on to fill the page, and then some more, so that the pages break by size."`
	K9 int `json:"k9" doc:"A setting with a long description, long enough that thirty of them do not fit in one embed of six thousand characters: it goes on and on to fill the page, and then some more, so that the pages break by size."`
}

type bulky struct{}

func (bulky) ID() string { return "bulky" }

func (bulky) Init(_ context.Context, h *bot.Host) error {
	_, err := bot.NewGuildSettings(h, func() bulkySettings { return bulkySettings{} }, nil)
	return err
}

func TestSettingsShowPagesAModuleTooBigForOneEmbed(t *testing.T) {
	a := startAdmin(t, []bot.Module{bulky{}})
	var keys []string
	for _, outer := range []string{"a", "b", "c"} {
		for i := range 10 {
			keys = append(keys, fmt.Sprintf("%s.k%d", outer, i))
		}
	}
	r := a.run("/settings show module:bulky")
	var got []string
	for page := 0; ; page++ {
		e := embedOf(t, r)
		if len(e.Fields) == 0 || len(e.Fields) > 25 {
			t.Fatalf("page %d: got %d fields; want 1 to 25", page+1, len(e.Fields))
		}
		for _, f := range e.Fields {
			got = append(got, f.Name)
		}
		b := buttons(t, r)
		prev, next := fmt.Sprintf("core:settings:bulky:%d", max(page-1, 0)), fmt.Sprintf("core:settings:bulky:%d", page+1)
		prevOff, hasPrev := b[prev]
		nextOff, hasNext := b[next]
		if !hasPrev || !hasNext || prevOff != (page == 0) {
			t.Fatalf("page %d: got buttons %v; want %s (disabled on the first page) and %s", page+1, b, prev, next)
		}
		if !strings.HasPrefix(e.Footer.Text, fmt.Sprintf("Page %d of ", page+1)) {
			t.Errorf("page %d: got footer %q; want the page number", page+1, e.Footer.Text)
		}
		if nextOff {
			break
		}
		if page > 5 {
			t.Fatalf("more than 6 pages for 30 keys")
		}
		var err error
		r, err = a.Emulator.ClickButton(a.g.ID, a.g.Channel("general").ID, a.g.Member("admin").User.ID, r.MessageID, next)
		if err != nil {
			t.Fatalf("page %d: click Next: %v", page+1, err)
		}
	}
	if !slices.Equal(got, keys) {
		t.Errorf("keys over the pages:\n got %v\nwant %v", got, keys)
	}

	// A button works for whoever sees it: one who lost MANAGE_GUILD since
	// is refused.
	if err := a.Emulator.UpdateMember(a.g.ID, a.g.Member("admin").User.ID, "", []discordtest.Snowflake{}); err != nil {
		t.Fatal(err)
	}
	r, err := a.Emulator.ClickButton(a.g.ID, a.g.Channel("general").ID, a.g.Member("admin").User.ID, r.MessageID, "core:settings:bulky:0")
	if err != nil {
		t.Fatal(err)
	}
	if want := "You need the MANAGE_GUILD permission to read the settings."; r.Content != want || !r.Ephemeral {
		t.Errorf("a click without MANAGE_GUILD: got %q (ephemeral %v); want an ephemeral %q", r.Content, r.Ephemeral, want)
	}
}

func TestSettingsSetAndResetAnswerOldAndNewAndSayWhatIsAllowed(t *testing.T) {
	a := startAdmin(t, nil)
	modLog := a.g.Channel("mod-log").ID
	for _, tt := range []struct{ line, want string }{
		{"/settings set module:gadget key:limit value:7", "gadget.limit: 5 → 7"},
		{"/settings set module:gadget key:limit value:11", "gadget.limit: 11 was not saved: limit: want 1 to 10; got 11"},
		{"/settings set module:gadget key:limit value:many", `limit: "many" is not a whole number.`},
		{"/settings set module:gadget key:dry_run value:maybe", `dry_run: "maybe" is not true or false; want true, false, on, off, yes or no.`},
		{"/settings set module:gadget key:colour value:red", `gadget has no setting "colour". Its settings are: limit, log_channel, dry_run, spam.count.`},
		{"/settings set module:nope key:limit value:1", `There is no module "nope". Modules with settings: gadget.`},
		{"/settings set module:core key:limit value:1", "core has no settings. Modules with settings: gadget."},
		{"/settings set module:gadget key:limit value:7", "gadget.limit is already 7."},
		{"/settings set module:GADGET key:Spam.Count value:9", "gadget.spam.count: 3 → 9"},
		{fmt.Sprintf("/settings set module:gadget key:log_channel value:<#%d>", modLog), fmt.Sprintf("gadget.log_channel: none → <#%d>", modLog)},
		{"/settings reset module:gadget key:limit", "gadget.limit: 7 → 5 (default)"},
		{"/settings reset module:gadget key:limit", "gadget.limit is already at its default, 5."},
		{"/settings reset module:gadget key:nope", `gadget has no setting "nope". Its settings are: limit, log_channel, dry_run, spam.count.`},
		{"/settings reset module:gadget", "gadget: every setting is back to its default."},
		{"/settings reset module:gadget", "gadget's settings are already the defaults."},
	} {
		a.say(tt.line, tt.want)
	}
	got, err := a.gadget.settings.Get(context.Background(), snowflake.ID(a.g.ID))
	if err != nil || got.Limit != 5 || got.Spam.Count != 3 || got.LogChannel != 0 {
		t.Errorf("after the reset: got %+v, %v; want the defaults", got, err)
	}
	// Refused and idempotent commands publish nothing: the changes come
	// in order, then the next one is the module switch that follows.
	a.say("/module disable name:gadget", "gadget is now off in this server: its commands are refused and its events are not delivered to it here. /module enable name:gadget turns it back on.")
	a.wantChanges(
		[4]string{"gadget", "limit", "5", "7"},
		[4]string{"gadget", "spam.count", "3", "9"},
		[4]string{"gadget", "log_channel", "none", fmt.Sprintf("<#%d>", modLog)},
		[4]string{"gadget", "limit", "7", "5"},
		[4]string{"gadget", "", "(saved settings)", "(defaults)"},
		[4]string{"gadget", "enabled", "on", "off"},
	)
	hist, err := a.Store.SettingsHistory(context.Background(), uint64(a.g.ID), "gadget", 0, 100)
	if err != nil || len(hist) != 6 || hist[0].Actor.UserID != uint64(a.g.Member("admin").User.ID) || hist[0].Actor.Reason != "/module disable" {
		t.Errorf("gadget's history: got %d changes (%v); want 6 (five settings, one switch), the last by admin with /module disable", len(hist), err)
	}
}

func TestSettingsAutocompleteSuggestsModulesAndKeysWithWhatTheyAllow(t *testing.T) {
	a := startAdmin(t, nil)
	for _, tt := range []struct {
		line, focused string
		want          []discordtest.Choice
	}{
		{"/settings set", "module", []discordtest.Choice{{Name: "gadget (4 settings)", Value: "gadget"}}},
		{"/settings show", "module", []discordtest.Choice{
			{Name: "core (no settings)", Value: "core"}, {Name: "gadget (4 settings)", Value: "gadget"}, {Name: "watch (no settings)", Value: "watch"}}},
		{"/settings set module:gadget", "key", []discordtest.Choice{
			{Name: "limit — a whole number", Value: "limit"},
			{Name: "log_channel — a channel (mention or ID), or none", Value: "log_channel"},
			{Name: "dry_run — true or false (on/off, yes/no)", Value: "dry_run"},
			{Name: "spam.count — a whole number", Value: "spam.count"}}},
		{"/settings reset module:gadget key:SP", "key", []discordtest.Choice{{Name: "spam.count — a whole number", Value: "spam.count"}}},
		{"/settings set module:nope", "key", nil},
		{"/module disable", "name", []discordtest.Choice{{Name: "gadget (on here)", Value: "gadget"}, {Name: "watch (on here)", Value: "watch"}}},
		{"/module enable name:co", "name", []discordtest.Choice{{Name: "core (on here)", Value: "core"}}},
	} {
		t.Run(tt.line+" "+tt.focused, func(t *testing.T) {
			r, err := a.Emulator.Autocomplete(a.g.ID, a.g.Channel("general").ID, a.g.Member("admin").User.ID, tt.line, tt.focused)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.Choices, tt.want) {
				t.Errorf("got %+v; want %+v", r.Choices, tt.want)
			}
			for _, c := range r.Choices {
				if n := utf8.RuneCountInString(c.Name); n > 100 {
					t.Errorf("choice %q: %d characters; want at most 100", c.Name, n)
				}
			}
		})
	}
}

func TestModuleDisableHoldsBackCommandsAndEventsUntilEnabledAgain(t *testing.T) {
	a := startAdmin(t, nil, bottest.WithEmulator(discordtest.WithGuilds(2)))
	other := a.Emulator.Guilds()[1]
	general := a.g.Channel("general").ID
	member := a.g.Member("member1").User.ID
	send := func(g discordtest.GuildView, text string) snowflake.ID {
		t.Helper()
		msg, err := a.Emulator.SendMessage(g.ID, g.Channel("general").ID, g.Member("member1").User.ID, text)
		if err != nil {
			t.Fatal(err)
		}
		return snowflake.ID(msg.ID)
	}
	// seenUntil returns the messages gadget sees up to and including last.
	seenUntil := func(last snowflake.ID) []snowflake.ID {
		t.Helper()
		var seen []snowflake.ID
		for {
			select {
			case id := <-a.gadget.seen:
				seen = append(seen, id)
				if id == last {
					return seen
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("gadget did not see message %d within 5 s (saw %v)", last, seen)
			}
		}
	}

	a.say("/module disable name:gadget", "gadget is now off in this server: its commands are refused and its events are not delivered to it here. /module enable name:gadget turns it back on.")
	a.say("/module disable name:gadget", "gadget is already off in this server.")
	r, err := a.Emulator.RunCommand(a.g.ID, general, member, "/gadget")
	if err != nil || r.Content != "The gadget module is turned off in this server." {
		t.Errorf("/gadget where it is off: got %q, %v; want it refused", r.Content, err)
	}
	// Events are delivered in order: once gadget has seen the message of
	// the other guild, where it is on, it has passed over this guild's.
	held := send(a.g, "while off")
	marker := send(other, "in the other guild")
	if seen := seenUntil(marker); slices.Contains(seen, held) {
		t.Errorf("gadget saw message %d of a guild where it is off", held)
	}

	a.say("/module enable name:gadget", "gadget is now on in this server.")
	a.say("/module enable name:gadget", "gadget is already on in this server.")
	if r, err := a.Emulator.RunCommand(a.g.ID, general, member, "/gadget"); err != nil || r.Content != "gadget here" {
		t.Errorf("/gadget where it is on again: got %q, %v; want gadget's answer", r.Content, err)
	}
	back := send(a.g, "on again")
	seenUntil(back)

	a.say("/module disable name:core", "core can't be turned off: /settings and /module live in it, and without them nobody could turn a module back on.")
	a.say("/module enable name:nope", `There is no module "nope". Modules: core, gadget, watch.`)
	a.wantChanges(
		[4]string{"gadget", "enabled", "on", "off"},
		[4]string{"gadget", "enabled", "off", "on"},
	)
	if on, err := a.Store.ModuleEnabled(context.Background(), uint64(a.g.ID), "core"); err != nil || !on {
		t.Errorf("core: got on=%v, %v; want it on", on, err)
	}
}

func TestSettingsAndModuleAreRefusedWithoutManageGuild(t *testing.T) {
	a := startAdmin(t, nil)
	for _, who := range []string{"member1", "mod"} { // mod: a Moderator, without MANAGE_GUILD
		for _, line := range []string{"/settings show", "/settings set module:gadget key:limit value:7",
			"/settings reset module:gadget", "/module list", "/module disable name:gadget"} {
			_, err := a.Emulator.RunCommand(a.g.ID, a.g.Channel("general").ID, a.g.Member(who).User.ID, line)
			if !errors.Is(err, discordtest.ErrNotPermitted) {
				t.Errorf("%s runs %s: got %v; want %v", who, line, err, discordtest.ErrNotPermitted)
			}
		}
		_, err := a.Emulator.Autocomplete(a.g.ID, a.g.Channel("general").ID, a.g.Member(who).User.ID, "/settings set", "module")
		if !errors.Is(err, discordtest.ErrNotPermitted) {
			t.Errorf("%s autocompletes /settings set: got %v; want %v", who, err, discordtest.ErrNotPermitted)
		}
	}
	// The owner may, without any role.
	if r := run(t, a.Harness, "owner", "/settings set module:gadget key:limit value:8"); r.Content != "gadget.limit: 5 → 8" {
		t.Errorf("owner: got %q; want the change made", r.Content)
	}
}
