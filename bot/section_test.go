package bot_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bottest"
	"github.com/hearthbot/hearth/store"
)

type sectionSettings struct {
	LogChannel snowflake.ID   `json:"log_channel" kind:"channel" doc:"Where entries go."`
	DryRun     bool           `json:"dry_run" doc:"Record only."`
	Limit      int            `json:"limit" doc:"How many."`
	Window     time.Duration  `json:"window"`
	Words      []string       `json:"words"`
	Exempt     []snowflake.ID `json:"exempt_roles" kind:"role"`
	Spam       struct {
		Count int `json:"count"`
	} `json:"spam"`
}

func defaultSectionSettings() sectionSettings {
	s := sectionSettings{Limit: 5, Window: 10 * time.Second}
	s.Spam.Count = 3
	return s
}

type sectionModule struct {
	settings *bot.GuildSettings[sectionSettings]
	host     *bot.Host
}

func (m *sectionModule) ID() string { return "sect" }
func (m *sectionModule) Init(_ context.Context, h *bot.Host) error {
	m.host = h
	var err error
	m.settings, err = bot.NewGuildSettings(h, defaultSectionSettings, func(s *sectionSettings) error {
		if s.Limit < 1 || s.Limit > 10 {
			return fmt.Errorf("limit: want 1 to 10; got %d", s.Limit)
		}
		return nil
	})
	return err
}

func TestGuildSettingsAreEditedKeyByKeyWithErrorsThatSayWhatIsAllowed(t *testing.T) {
	m := &sectionModule{}
	h := bottest.New(t, []bot.Module{m})
	ctx := context.Background()
	guild := snowflake.ID(h.Guild().ID)
	secs := m.host.Sections()
	if len(secs) != 1 || secs[0].Module != "sect" {
		t.Fatalf("Sections: got %+v; want the one of module sect", secs)
	}
	sec := secs[0].Section
	var keys []string
	for _, k := range sec.Keys() {
		keys = append(keys, k.Key)
	}
	if got := strings.Join(keys, " "); got != "log_channel dry_run limit window words exempt_roles spam.count" {
		t.Fatalf("keys: got %s", got)
	}
	by := store.Actor{UserID: 42}
	sets := []struct{ key, value, want string }{
		{"log_channel", "<#123456789012345678>", "<#123456789012345678>"},
		{"dry_run", "on", "true"},
		{"limit", "7", "7"},
		{"window", "2m", "2m"},
		{"words", "foo, bar", "foo, bar"},
		{"words", "+baz", "foo, bar, baz"},
		{"words", "-foo", "bar, baz"},
		{"exempt_roles", "<@&111111111111111111>, 222222222222222222", "<@&111111111111111111>, <@&222222222222222222>"},
		{"spam.count", "9", "9"},
	}
	for _, s := range sets {
		ch, err := sec.Set(ctx, guild, s.key, s.value, by)
		if err != nil || ch.New != s.want || ch.ChangeID == 0 {
			t.Fatalf("Set %s %q: got %+v, %v; want new value %q and a recorded change", s.key, s.value, ch, err, s.want)
		}
	}
	got, err := m.settings.Get(ctx, guild)
	if err != nil || got.Limit != 7 || got.Window != 2*time.Minute || got.Spam.Count != 9 || len(got.Exempt) != 2 || !got.DryRun {
		t.Fatalf("Get: got %+v, %v", got, err)
	}
	refusals := []struct{ key, value, wantInError string }{
		{"limit", "11", "limit: want 1 to 10; got 11"},
		{"limit", "many", `"many" is not a whole number`},
		{"dry_run", "maybe", "want true, false"},
		{"window", "soon", "write a number and a unit"},
		{"log_channel", "#general", "want a mention or an ID"},
		{"words", "-nothere", "not in the list"},
		{"colour", "red", "Its settings are: log_channel, dry_run"},
	}
	for _, r := range refusals {
		_, err := sec.Set(ctx, guild, r.key, r.value, by)
		var ue *bot.UserError
		if !errors.As(err, &ue) || !strings.Contains(ue.Message, r.wantInError) {
			t.Fatalf("Set %s %q: got %v; want a UserError containing %q", r.key, r.value, err, r.wantInError)
		}
	}
	if after, _ := m.settings.Get(ctx, guild); after.Limit != 7 {
		t.Fatalf("a refused Set changed limit to %d", after.Limit)
	}
	if ch, err := sec.Reset(ctx, guild, "limit", by); err != nil || ch.New != "5" || ch.Old != "7" {
		t.Fatalf("Reset limit: got %+v, %v", ch, err)
	}
	vals, err := sec.Show(ctx, guild)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vals {
		if (v.Key == "limit") != v.Default {
			t.Fatalf("Show: %s default=%v value %s; want only limit at its default", v.Key, v.Default, v.Value)
		}
	}
	if _, err := sec.Reset(ctx, guild, "", by); err != nil {
		t.Fatal(err)
	}
	if after, _ := m.settings.Get(ctx, guild); after.Limit != 5 || after.DryRun || len(after.Words) != 0 {
		t.Fatalf("after a full reset: got %+v; want the defaults", after)
	}
	hist, err := h.Store.SettingsHistory(ctx, uint64(guild), "sect", 0, 100)
	if err != nil || len(hist) != len(sets)+2 || hist[0].Actor.UserID != 42 {
		t.Fatalf("history: got %d changes (%v); want %d, by user 42", len(hist), err, len(sets)+2)
	}
}
