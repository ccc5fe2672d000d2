package core_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/disgoorg/disgo/discord"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bottest"
	"github.com/hearthbot/hearth/discordtest"
	"github.com/hearthbot/hearth/modules/core"
)

// demo is a second module for the tests: /hi for everyone, /purge for
// members who may manage messages, and /tickets with subcommands.
type demo struct{}

func (demo) ID() string { return "demo" }

func (demo) Init(_ context.Context, h *bot.Host) error {
	ok := func(context.Context, *bot.Request) (bot.Response, error) { return bot.Response{Content: "ok"}, nil }
	for _, c := range []bot.Command{
		{Name: "hi", Description: "Says hi", Handler: ok},
		{Name: "purge", Description: "Deletes messages", Permissions: discord.PermissionManageMessages, Handler: ok},
		{Name: "tickets", Description: "Support tickets", Subcommands: []bot.Subcommand{
			{Name: "open", Description: "Opens a ticket", Handler: ok},
			{Name: "close", Description: "Closes a ticket", Handler: ok},
		}},
	} {
		if err := h.Command(c); err != nil {
			return err
		}
	}
	return nil
}

// run runs a command line as a seeded member of the first guild, in #general.
func run(t *testing.T, h *bottest.Harness, username, line string) discordtest.Reply {
	t.Helper()
	g := h.Guild()
	r, err := h.Emulator.RunCommand(g.ID, g.Channel("general").ID, g.Member(username).User.ID, line)
	if err != nil {
		t.Fatalf("%s runs %s: %v", username, line, err)
	}
	if r.Expired {
		t.Fatalf("%s runs %s: the interaction expired unanswered", username, line)
	}
	return r
}

// helpOf is the text of a /help reply's embed.
func helpOf(t *testing.T, r discordtest.Reply) string {
	t.Helper()
	if len(r.Embeds) != 1 {
		t.Fatalf("/help: got %d embeds; want 1 (content %q)", len(r.Embeds), r.Content)
	}
	var e struct{ Title, Description string }
	if err := json.Unmarshal(r.Embeds[0], &e); err != nil {
		t.Fatalf("/help: decode the embed: %v", err)
	}
	return e.Title + "\n" + e.Description
}

func TestPingAnswersWithGatewayRESTAndHandlerTimes(t *testing.T) {
	h := bottest.New(t, []bot.Module{core.New()})
	r := run(t, h, "member1", "/ping")
	// bottest's gateway feed never measures a heartbeat; accept both.
	want := regexp.MustCompile(`^Pong! Gateway: shard 0 (\d+ ms|<1 ms|not measured yet) · REST (\d+ ms|<1 ms) · handler (\d+ ms|<1 ms)$`)
	if !want.MatchString(r.Content) {
		t.Errorf("got %q; want it to match %s", r.Content, want)
	}
	if r.Ephemeral {
		t.Errorf("got an ephemeral reply; want a public one")
	}
}

func TestHelpListsWhatTheMemberMayUse(t *testing.T) {
	h := bottest.New(t, []bot.Module{core.New(), demo{}})
	for _, tt := range []struct {
		member    string
		wantPurge bool
	}{
		{"member1", false},
		{"mod", true},   // Moderator: MANAGE_MESSAGES
		{"admin", true}, // Admin: administrator sees everything
	} {
		t.Run(tt.member, func(t *testing.T) {
			r := run(t, h, tt.member, "/help")
			if !r.Ephemeral {
				t.Errorf("got a public reply; want an ephemeral one")
			}
			text := helpOf(t, r)
			for _, want := range []string{"**core**", "/ping — ", "/help — ", "/about — ", "**demo**",
				"/hi — Says hi", "/tickets open · /tickets close — Support tickets"} {
				if !strings.Contains(text, want) {
					t.Errorf("got %q; want it to contain %q", text, want)
				}
			}
			if got := strings.Contains(text, "/purge — Deletes messages"); got != tt.wantPurge {
				t.Errorf("lists /purge: got %v; want %v in %q", got, tt.wantPurge, text)
			}
			if strings.Index(text, "**core**") > strings.Index(text, "**demo**") {
				t.Errorf("got %q; want the modules in list order, core first", text)
			}
		})
	}
}

func TestHelpHidesAModuleTurnedOffInTheGuild(t *testing.T) {
	h := bottest.New(t, []bot.Module{core.New(), demo{}})
	g := h.Guild()
	if err := h.Store.SetModuleEnabled(context.Background(), uint64(g.ID), "demo", false); err != nil {
		t.Fatal(err)
	}
	text := helpOf(t, run(t, h, "mod", "/help"))
	for _, gone := range []string{"**demo**", "/hi", "/purge", "/tickets"} {
		if strings.Contains(text, gone) {
			t.Errorf("got %q; want no %q: demo is off here", text, gone)
		}
	}
	if !strings.Contains(text, "/ping — ") {
		t.Errorf("got %q; want core's commands still listed", text)
	}
}

func TestAboutShowsVersionShardsModulesAndMemory(t *testing.T) {
	h := bottest.New(t, []bot.Module{core.New(), demo{}})
	r := run(t, h, "member1", "/about")
	if r.Ephemeral {
		t.Errorf("got an ephemeral reply; want a public one")
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`^\*\*Hearth\*\* test\n`),
		regexp.MustCompile(`\nUptime: \d+s\n`),
		regexp.MustCompile(`\nGuilds: \d+\n`),
		regexp.MustCompile(`\nShards: 1/1 ready\n`),
		regexp.MustCompile(`\nModules: core, demo\n`),
		regexp.MustCompile(`\nMemory: \d+\.\d MiB heap in use$`),
	} {
		if !want.MatchString(r.Content) {
			t.Errorf("got %q; want it to match %s", r.Content, want)
		}
	}
}
