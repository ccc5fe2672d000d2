package bot_test

import (
	"context"
	"slices"
	"testing"

	"github.com/disgoorg/disgo/gateway"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/discordtest"
)

// reducedModule asks for intents and records, at Start, which the bot
// connected with.
type reducedModule struct {
	needs   gateway.Intents
	host    *bot.Host
	granted chan gateway.Intents
}

func (m *reducedModule) ID() string                                { return "reduced" }
func (m *reducedModule) Init(_ context.Context, h *bot.Host) error { m.host = h; return nil }
func (m *reducedModule) Needs() bot.Needs                          { return bot.Needs{Intents: m.needs} }
func (m *reducedModule) Start(context.Context) error               { m.granted <- m.host.Intents(); return nil }
func (m *reducedModule) Degraded() []string {
	if m.host.Intents().Has(gateway.IntentMessageContent) {
		return nil
	}
	return []string{"content rules are off"}
}

func TestAnUngrantedPrivilegedIntentIsLeftOutAndTheBotStillConnects(t *testing.T) {
	srv := discordtest.New(t, discordtest.WithPrivilegedIntents(discordtest.IntentGuildMembers))
	m := &reducedModule{needs: gateway.IntentGuildMessages | gateway.IntentMessageContent | gateway.IntentGuildMembers,
		granted: make(chan gateway.Intents, 1)}
	stop, rt := runRuntime(t, srv, []bot.Module{m}, nil)
	defer stop()
	waitReady(t, rt)
	granted := <-m.granted
	if granted.Has(gateway.IntentMessageContent) || !granted.Has(gateway.IntentGuildMembers) || !granted.Has(gateway.IntentGuildMessages) {
		t.Fatalf("Host.Intents: got %b; want GUILD_MEMBERS and GUILD_MESSAGES without MESSAGE_CONTENT", granted)
	}
	sessions := srv.GatewaySessions()
	if len(sessions) != 1 || gateway.Intents(sessions[0].Intents).Has(gateway.IntentMessageContent) {
		t.Fatalf("sessions: got %+v; want one, identified without MESSAGE_CONTENT", sessions)
	}
	if got := m.host.ModuleDegraded("reduced"); !slices.Equal(got, []string{"content rules are off"}) {
		t.Fatalf("ModuleDegraded: got %q", got)
	}
}
