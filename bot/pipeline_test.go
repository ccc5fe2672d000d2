package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bottest"
	"github.com/hearthbot/hearth/bot/config"
	"github.com/hearthbot/hearth/discordtest"
)

// testModule is a module built from its parts, for pipeline tests.
type testModule struct {
	id       string
	commands []bot.Command
	init     func(h *bot.Host) error
}

func (m *testModule) ID() string { return m.id }

func (m *testModule) Init(_ context.Context, h *bot.Host) error {
	for _, c := range m.commands {
		if err := h.Command(c); err != nil {
			return err
		}
	}
	if m.init != nil {
		return m.init(h)
	}
	return nil
}

func reply(text string) bot.Handler {
	return func(context.Context, *bot.Request) (bot.Response, error) { return bot.Response{Content: text}, nil }
}

// person runs a command as a seeded member of the first guild, in #general.
func person(t *testing.T, h *bottest.Harness, username, line string) discordtest.Reply {
	t.Helper()
	g := h.Guild()
	r, err := h.Emulator.RunCommand(g.ID, g.Channel("general").ID, g.Member(username).User.ID, line)
	if err != nil {
		t.Fatalf("%s runs %q: %v", username, line, err)
	}
	return r
}

func TestCommandAnswers(t *testing.T) {
	h := bottest.New(t, []bot.Module{&testModule{id: "demo", commands: []bot.Command{
		{Name: "hello", Description: "Says hello", Handler: func(_ context.Context, r *bot.Request) (bot.Response, error) {
			return bot.Response{Content: "hello " + r.User.Username}, nil
		}},
	}}})
	r := person(t, h, "member1", "/hello")
	if r.Content != "hello member1" || r.Ephemeral || r.Expired {
		t.Fatalf("got %+v; want a public 'hello member1'", r)
	}
}

func TestPanickingCommandAnswersWithAReferenceAndTheNextWorks(t *testing.T) {
	h := bottest.New(t, []bot.Module{&testModule{id: "demo", commands: []bot.Command{
		{Name: "boom", Description: "Panics", Handler: func(context.Context, *bot.Request) (bot.Response, error) { panic("kaboom") }},
		{Name: "fine", Description: "Works", Handler: reply("still here")},
	}}})
	r := person(t, h, "member1", "/boom")
	if !strings.HasPrefix(r.Content, "Something went wrong (ref ") || !r.Ephemeral {
		t.Fatalf("got %+v; want an ephemeral 'Something went wrong (ref …)'", r)
	}
	if r := person(t, h, "member1", "/fine"); r.Content != "still here" {
		t.Fatalf("after the panic got %+v; want the next command answered", r)
	}
}

func TestACommandNeedingAPermissionIsHiddenFromMembersWithout(t *testing.T) {
	h := bottest.New(t, []bot.Module{&testModule{id: "demo", commands: []bot.Command{
		{Name: "purge", Description: "Deletes", Permissions: discord.PermissionManageMessages, Handler: reply("purged")},
	}}})
	if r := person(t, h, "mod", "/purge"); r.Content != "purged" {
		t.Fatalf("a moderator: got %+v; want 'purged'", r)
	}
	// Discord itself hides the command from member1 (default_member_permissions);
	// the emulator refuses to run it, as the client would not show it.
	g := h.Guild()
	if _, err := h.Emulator.RunCommand(g.ID, g.Channel("general").ID, g.Member("member1").User.ID, "/purge"); err == nil {
		t.Fatal("member1 ran /purge; want it hidden by default_member_permissions")
	}
}

func TestCooldownSaysWhenToTryAgain(t *testing.T) {
	h := bottest.New(t, []bot.Module{&testModule{id: "demo", commands: []bot.Command{
		{Name: "slowpoke", Description: "Once a minute", Cooldown: bot.Cooldown{Per: bot.PerUser, Every: time.Minute}, Handler: reply("ok")},
	}}})
	if r := person(t, h, "member1", "/slowpoke"); r.Content != "ok" {
		t.Fatalf("first use: got %+v", r)
	}
	r := person(t, h, "member1", "/slowpoke")
	if !strings.Contains(r.Content, "try /slowpoke again in 60 s") || !r.Ephemeral {
		t.Fatalf("second use: got %q; want an ephemeral 'try /slowpoke again in 60 s'", r.Content)
	}
	if r := person(t, h, "member2", "/slowpoke"); r.Content != "ok" {
		t.Fatalf("another member: got %+v; want ok (per user)", r)
	}
}

func TestSlowHandlerIsDeferredAndAnswersAsAnEdit(t *testing.T) {
	h := bottest.New(t, []bot.Module{&testModule{id: "demo", commands: []bot.Command{
		{Name: "slow", Description: "Takes a while", Ephemeral: true, Handler: func(ctx context.Context, _ *bot.Request) (bot.Response, error) {
			time.Sleep(2500 * time.Millisecond)
			return bot.Response{Content: "done"}, nil
		}},
	}}}, bottest.WithEmulator(discordtest.WithReplyWait(10*time.Second)),
		bottest.WithConfig(func(c *config.Config) { c.Pipeline.AutoDeferAfter = 500 * time.Millisecond }))
	r := person(t, h, "member1", "/slow")
	if !r.Deferred || r.Content != "done" || !r.Ephemeral || r.Expired {
		t.Fatalf("got %+v; want a deferred ephemeral reply edited to 'done'", r)
	}
	if r.RespondedAfter > 3*time.Second {
		t.Fatalf("first response after %v; want within 3 s", r.RespondedAfter)
	}
}
