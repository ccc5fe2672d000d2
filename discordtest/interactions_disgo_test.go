//go:build !race

// disgo v0.19.6 itself answers interactions here; its gateway has data
// races of its own, so these tests run without -race (see disgo_test.go).

package discordtest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/gateway"
	disgohandler "github.com/disgoorg/disgo/handler"
	"github.com/disgoorg/snowflake/v2"
)

// contract A.2.23–A.2.27: a disgo bot registers its commands with
// disgohandler.SyncCommands and answers through disgohandler.Mux; RunCommand and
// the other person actions see its replies.
func TestDisgoInteractionsThroughHandlerMux(t *testing.T) {
	srv := New(t)
	g := srv.Guilds()[0]
	ch, member := g.Channel("general"), g.Member("member1").User.ID

	mux := disgohandler.New()
	// Each person action returns once the emulator has the bot's answer,
	// before disgo has read the HTTP response. disgo's Close deadlocks on
	// a request in flight (DISGO.md §9), so the test waits for the
	// handlers to finish before cleanup closes the client.
	var busy sync.WaitGroup
	mux.Use(func(next disgohandler.Handler) disgohandler.Handler {
		return func(e *disgohandler.InteractionEvent) error {
			busy.Add(1)
			defer busy.Done()
			return next(e)
		}
	})
	defer func() {
		idle := make(chan struct{})
		go func() { busy.Wait(); close(idle) }()
		select {
		case <-idle:
		case <-time.After(5 * time.Second):
			t.Errorf("disgo's handlers did not finish")
		}
	}()
	mux.SlashCommand("/ping", func(_ discord.SlashCommandInteractionData, e *disgohandler.CommandEvent) error {
		return e.CreateMessage(discord.MessageCreate{Content: "pong"})
	})
	mux.SlashCommand("/slow", func(_ discord.SlashCommandInteractionData, e *disgohandler.CommandEvent) error {
		if err := e.DeferCreateMessage(true); err != nil {
			return err
		}
		done := "done slowly"
		_, err := e.UpdateInteractionResponse(discord.MessageUpdate{Content: &done})
		return err
	})
	mux.SlashCommand("/panel", func(_ discord.SlashCommandInteractionData, e *disgohandler.CommandEvent) error {
		return e.CreateMessage(discord.MessageCreate{Content: "panel", Components: []discord.LayoutComponent{
			discord.NewActionRow(discord.NewPrimaryButton("Yes", "/yes")),
		}})
	})
	mux.ButtonComponent("/yes", func(_ discord.ButtonInteractionData, e *disgohandler.ComponentEvent) error {
		return e.UpdateMessage(discord.MessageUpdate{Content: ptrTo("said yes"), Components: &[]discord.LayoutComponent{}})
	})
	mux.SlashCommand("/report", func(_ discord.SlashCommandInteractionData, e *disgohandler.CommandEvent) error {
		return e.Modal(discord.NewModalCreate("/feedback", "Feedback", discord.NewLabel("What happened?", discord.NewParagraphTextInput("what"))))
	})
	mux.Modal("/feedback", func(e *disgohandler.ModalEvent) error {
		return e.CreateMessage(discord.MessageCreate{Content: "got: " + e.Data.Text("what"), Flags: discord.MessageFlagEphemeral})
	})
	mux.Autocomplete("/search", func(e *disgohandler.AutocompleteEvent) error {
		typed := e.Data.String("query")
		return e.AutocompleteResult([]discord.AutocompleteChoice{discord.AutocompleteChoiceString{Name: typed + "!", Value: typed}})
	})

	client := openDisgo(t, srv, gateway.IntentGuilds, mux)
	cmds := []discord.ApplicationCommandCreate{
		discord.SlashCommandCreate{Name: "ping", Description: "Ping"},
		discord.SlashCommandCreate{Name: "slow", Description: "Think first"},
		discord.SlashCommandCreate{Name: "panel", Description: "Buttons"},
		discord.SlashCommandCreate{Name: "report", Description: "Report"},
		discord.SlashCommandCreate{Name: "search", Description: "Search", Options: []discord.ApplicationCommandOption{
			discord.ApplicationCommandOptionString{Name: "query", Description: "What", Required: true, Autocomplete: true},
		}},
	}
	guilds := []snowflake.ID{snowflake.ID(g.ID)}
	if err := disgohandler.SyncCommands(client, cmds, guilds); err != nil {
		t.Fatalf("SyncCommands: %v", err)
	}
	before := srv.Commands(g.ID)
	if err := disgohandler.SyncCommands(client, cmds, guilds); err != nil {
		t.Fatalf("second SyncCommands: %v", err)
	}
	after := srv.Commands(g.ID)
	if len(after) != 5 || fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("a second sync changed the commands:\n%v\n%v", before, after)
	}

	r, err := srv.RunCommand(g.ID, ch.ID, member, "/ping")
	if err != nil || r.Content != "pong" || r.Expired {
		t.Fatalf("/ping: got %+v, %v; want pong", r, err)
	}
	r, err = srv.RunCommand(g.ID, ch.ID, member, "/slow")
	if err != nil || r.Content != "done slowly" || !r.Deferred || !r.Ephemeral || r.Edits != 1 {
		t.Fatalf("/slow: got %+v, %v", r, err)
	}
	r, err = srv.RunCommand(g.ID, ch.ID, member, "/panel")
	if err != nil || r.MessageID == 0 {
		t.Fatalf("/panel: got %+v, %v", r, err)
	}
	r, err = srv.ClickButton(g.ID, ch.ID, member, r.MessageID, "/yes")
	if err != nil || r.Content != "said yes" || r.Type != callbackUpdateMessage {
		t.Fatalf("click: got %+v, %v", r, err)
	}
	modal, err := srv.RunCommand(g.ID, ch.ID, member, "/report")
	if err != nil || modal.Modal == nil {
		t.Fatalf("/report: got %+v, %v", modal, err)
	}
	r, err = srv.SubmitModal(g.ID, ch.ID, member, modal, map[string]string{"what": "spam"})
	if err != nil || r.Content != "got: spam" || !r.Ephemeral {
		t.Fatalf("submit: got %+v, %v", r, err)
	}
	r, err = srv.Autocomplete(g.ID, ch.ID, member, "/search query:ca", "query")
	if err != nil || len(r.Choices) != 1 || r.Choices[0] != (Choice{Name: "ca!", Value: "ca"}) {
		t.Fatalf("autocomplete: got %+v, %v", r, err)
	}
}

func ptrTo[T any](v T) *T { return &v }
