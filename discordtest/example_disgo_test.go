//go:build !race

package discordtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/disgoorg/disgo"
	disgobot "github.com/disgoorg/disgo/bot"
	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/handler"
	"github.com/disgoorg/disgo/rest"

	"github.com/hearthbot/hearth/discordtest"
)

// The example of docs/discordtest.md: a bot's /ping, tested end to end
// through the real disgo client as a person would use it.
func TestDisgoExamplePingAnswersPong(t *testing.T) {
	srv := discordtest.New(t)
	g := srv.Guilds()[0]
	mux := handler.New()
	mux.SlashCommand("/ping", func(_ discord.SlashCommandInteractionData, e *handler.CommandEvent) error {
		return e.CreateMessage(discord.MessageCreate{Content: "pong"})
	})
	startBot(t, srv, mux, discord.SlashCommandCreate{Name: "ping", Description: "Answers pong"})

	reply, err := srv.RunCommand(g.ID, g.Channel("general").ID, g.Member("member1").User.ID, "/ping")
	if err != nil || reply.Content != "pong" || reply.Ephemeral {
		t.Fatalf("got %+v, %v; want a public pong", reply, err)
	}
}

// startBot connects a disgo client that knows nothing of the emulator but
// its REST URL and token, registers the commands, and closes it (shards
// first, then the client, with a deadline) when the test ends.
func startBot(t *testing.T, srv *discordtest.Server, mux *handler.Mux, cmds ...discord.ApplicationCommandCreate) *disgobot.Client {
	t.Helper()
	client, err := disgo.New(srv.Token(),
		disgobot.WithRestClientConfigOpts(rest.WithURL(srv.RESTURL()), rest.WithRateLimiter(rest.NewNoopRateLimiter())),
		disgobot.WithDefaultGateway(), disgobot.WithEventListeners(mux))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := handler.SyncCommands(client, cmds, nil); err != nil {
		t.Fatalf("register commands: %v", err)
	}
	if err := client.OpenGateway(ctx); err != nil {
		t.Fatalf("open gateway: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		client.Gateway.Close(ctx)
		client.Close(ctx)
	})
	return client
}
