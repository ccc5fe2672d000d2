package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/disgoorg/disgo/discord"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bottest"
)

// panelModule replies with a button in its own custom-id namespace and
// opens a modal; both come back through the pipeline.
type panelModule struct{}

func (panelModule) ID() string { return "panel" }

func (panelModule) Init(_ context.Context, h *bot.Host) error {
	err := h.Command(bot.Command{Name: "panel", Description: "A button", Handler: func(context.Context, *bot.Request) (bot.Response, error) {
		return bot.Response{Content: "press it", Components: []discord.LayoutComponent{
			discord.NewActionRow(discord.NewPrimaryButton("Count", h.CustomID("count", "7"))),
		}}, nil
	}})
	if err != nil {
		return err
	}
	if err := h.Command(bot.Command{Name: "report", Description: "A form", Handler: func(context.Context, *bot.Request) (bot.Response, error) {
		m := discord.NewModalCreate(h.CustomID("report"), "Report", discord.NewLabel("What happened?", discord.NewParagraphTextInput("what")))
		return bot.Response{Modal: &m}, nil
	}}); err != nil {
		return err
	}
	if err := h.Component("count", func(_ context.Context, r *bot.ComponentRequest) (bot.Response, error) {
		return bot.Response{Content: "pressed by " + r.User.Username + " with data " + r.Data, Update: true}, nil
	}); err != nil {
		return err
	}
	return h.Component("report", func(_ context.Context, r *bot.ComponentRequest) (bot.Response, error) {
		return bot.Response{Content: "thanks: " + r.Fields["what"], Ephemeral: true}, nil
	})
}

func TestComponentsAndModalsAreRoutedByTheModulesNamespace(t *testing.T) {
	h := bottest.New(t, []bot.Module{panelModule{}})
	g := h.Guild()
	general, member := g.Channel("general").ID, g.Member("member1").User.ID
	r := person(t, h, "member1", "/panel")
	if r.Content != "press it" || r.MessageID == 0 {
		t.Fatalf("got %+v; want the panel message", r)
	}
	clicked, err := h.Emulator.ClickButton(g.ID, general, member, r.MessageID, "panel:count:7")
	if err != nil {
		t.Fatal(err)
	}
	if clicked.Content != "pressed by member1 with data 7" {
		t.Fatalf("got %+v; want the message updated by the button's handler", clicked)
	}
	if msg, _ := h.Emulator.Message(r.MessageID); msg.Content != "pressed by member1 with data 7" {
		t.Fatalf("the channel shows %q; want the updated message", msg.Content)
	}
	form := person(t, h, "member1", "/report")
	if form.Modal == nil || !strings.HasPrefix(form.Modal.CustomID, "panel:report") {
		t.Fatalf("got %+v; want the modal opened", form)
	}
	sent, err := h.Emulator.SubmitModal(g.ID, general, member, form, map[string]string{"what": "spam in #general"})
	if err != nil {
		t.Fatal(err)
	}
	if sent.Content != "thanks: spam in #general" || !sent.Ephemeral {
		t.Fatalf("got %+v; want the modal's answer, ephemeral", sent)
	}
}
