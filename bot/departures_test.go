package bot_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bottest"
)

// guildDataModule records the guilds it was asked to erase, or panics
// while panics is set.
type guildDataModule struct {
	mu     sync.Mutex
	erased []snowflake.ID
	panics bool
}

func (m *guildDataModule) ID() string                            { return "keeper" }
func (m *guildDataModule) Init(context.Context, *bot.Host) error { return nil }
func (m *guildDataModule) DeleteGuild(_ context.Context, g snowflake.ID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.panics {
		panic("disk on fire")
	}
	m.erased = append(m.erased, g)
	return nil
}

func (m *guildDataModule) got() []snowflake.ID {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.erased)
}

func TestAGuildThatRemovedTheBotIsErasedAfterTheGracePeriodAndAnOutageIsNot(t *testing.T) {
	m := &guildDataModule{}
	h := bottest.New(t, []bot.Module{m})
	ctx := context.Background()
	gone := h.Guild().ID
	down, err := h.Emulator.AddBotToGuild("second guild")
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []uint64{uint64(gone), uint64(down.ID)} {
		if err := h.Store.SetModuleEnabled(ctx, g, "keeper", false); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Emulator.GuildOutage(down.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := h.Emulator.RemoveBotFromGuild(gone); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		left, err := h.Store.GuildsLeftBefore(ctx, time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(left, []uint64{uint64(gone)}) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("departures: got %v; want only the guild that removed the bot", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Within the grace period (30 days by default) nothing is erased.
	if erased, err := h.Runtime.EraseDepartedGuilds(ctx, time.Now().Add(29*24*time.Hour)); err != nil || len(erased) != 0 {
		t.Fatalf("within the grace period: erased %v, %v; want nothing", erased, err)
	}
	if on, _ := h.Store.ModuleEnabled(ctx, uint64(gone), "keeper"); on {
		t.Fatal("the switch was erased within the grace period")
	}
	// A module that panics while erasing keeps the guild for the next run
	// and ends nothing else.
	m.mu.Lock()
	m.panics = true
	m.mu.Unlock()
	if erased, err := h.Runtime.EraseDepartedGuilds(ctx, time.Now().Add(31*24*time.Hour)); err == nil ||
		!strings.Contains(err.Error(), "module keeper: DeleteGuild panicked: disk on fire") || len(erased) != 0 {
		t.Fatalf("with the module panicking: erased %v, %v; want nothing erased and the panic named", erased, err)
	}
	m.mu.Lock()
	m.panics = false
	m.mu.Unlock()
	erased, err := h.Runtime.EraseDepartedGuilds(ctx, time.Now().Add(31*24*time.Hour))
	if err != nil || !slices.Equal(erased, []snowflake.ID{snowflake.ID(gone)}) {
		t.Fatalf("after the grace period: erased %v, %v; want the guild that removed the bot", erased, err)
	}
	if got := m.got(); !slices.Equal(got, []snowflake.ID{snowflake.ID(gone)}) {
		t.Fatalf("module asked to erase %v; want only the guild that removed the bot", got)
	}
	if on, _ := h.Store.ModuleEnabled(ctx, uint64(gone), "keeper"); !on {
		t.Fatal("the module switch of the erased guild is still stored")
	}
	if on, _ := h.Store.ModuleEnabled(ctx, uint64(down.ID), "keeper"); on {
		t.Fatal("the guild in an outage lost its module switch")
	}
	if again, _ := h.Runtime.EraseDepartedGuilds(ctx, time.Now().Add(62*24*time.Hour)); len(again) != 0 {
		t.Fatalf("erased %v a second time", again)
	}
}
