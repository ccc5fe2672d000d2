package automod

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
)

func TestDefaultsTurnEveryRuleOffAndValidate(t *testing.T) {
	s := defaultSettings()
	if err := validate(&s); err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
	r := compile(s, true)
	if r.any || s.Raid.Enabled {
		t.Errorf("a rule is on by default; want every rule off until a moderator turns it on")
	}
}

func TestValidationNamesTheKeyAndWhatIsAllowed(t *testing.T) {
	cases := []struct {
		change func(*Settings)
		want   string
	}{
		{func(s *Settings) { s.Spam.Count = 80 }, "spam.count: want 2 to 30; got 80"},
		{func(s *Settings) { s.Spam.Window = 10 * time.Minute }, "spam.window: want 1s to 5m; got 10m"},
		{func(s *Settings) { s.Duplicates.Action = "mute" }, `duplicates.action: want delete, warn, timeout, kick, ban or alert; got "mute"`},
		{func(s *Settings) { s.Caps.Action, s.Caps.Timeout = "timeout", 30*24*time.Hour }, "caps.timeout: want 1m to 28d; got 30d"},
		{func(s *Settings) { s.Mentions.Count = 1 }, "mentions.count: want 2 to 50; got 1"},
		{func(s *Settings) { s.Caps.Percent = 100 }, "caps.percent: want 1 to 99; got 100"},
		{func(s *Settings) { s.Links.Deny = []string{"not a domain"} }, `links.deny: "not a domain" is not a domain`},
		{func(s *Settings) { s.Invites.Allowed = []string{"a b"} }, `invites.allowed: "a b" is not an invite code`},
		{func(s *Settings) { s.Words.Patterns = []string{"fo(o"} }, "words.patterns: \"fo(o\" is not a valid RE2 pattern: missing closing ): `fo(o`"},
		{func(s *Settings) { s.Words.Patterns = []string{`(?<=x)y`} }, `words.patterns: "(?<=x)y" is not a valid RE2 pattern: invalid named capture`},
		{func(s *Settings) { s.Words.Patterns = []string{strings.Repeat("a", 201)} }, "is 201 characters long; want 1 to 200"},
		{func(s *Settings) { s.Words.Patterns = slices.Repeat([]string{"a"}, 21) }, "words.patterns: want at most 20 patterns; got 21"},
		{func(s *Settings) { s.Words.List = []string{strings.Repeat("x", 101)} }, "words.list: \""},
		{func(s *Settings) { s.Raid.RaiseVerification = 5 }, "raid.raise_verification: want 0 (leave it), 1 (low), 2 (medium), 3 (high) or 4 (highest); got 5"},
		{func(s *Settings) { s.Raid.Count = 1 }, "raid.count: want 2 to 100; got 1"},
	}
	for _, c := range cases {
		s := defaultSettings()
		c.change(&s)
		err := validate(&s)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v; want an error containing %q", err, c.want)
		}
	}
}

func TestValidationNormalisesLists(t *testing.T) {
	s := defaultSettings()
	s.Links.Allow = []string{"https://Example.COM/path", "*.cdn.example.org", "example.com"}
	s.Invites.Allowed = []string{"https://discord.gg/OurPlace", "ourplace"}
	s.Words.List = []string{"  Free   NITRO ", "darn"}
	if err := validate(&s); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Links.Allow, " "); got != "example.com cdn.example.org" {
		t.Errorf("links.allow: got %q", got)
	}
	if got := strings.Join(s.Invites.Allowed, " "); got != "OurPlace ourplace" {
		t.Errorf("invites.allowed: got %q", got)
	}
	if got := strings.Join(s.Words.List, "|"); got != "free nitro|darn" {
		t.Errorf("words.list: got %q", got)
	}
}

func TestSettingsRefusedThroughSettingsSetSayWhy(t *testing.T) {
	h := start(t, setup{})
	var sec bot.Section
	for _, ms := range h.m.host.Sections() {
		if ms.Module == ID {
			sec = ms.Section
		}
	}
	if sec == nil {
		t.Fatal("automod registered no settings")
	}
	keys := map[string]bool{}
	for _, k := range sec.Keys() {
		keys[k.Key] = true
	}
	for _, want := range []string{"alert_channel", "exempt_roles", "exempt_channels", "spam.enabled", "spam.count", "spam.window",
		"spam.action", "spam.timeout", "spam.dry_run", "duplicates.count", "mentions.count", "invites.allowed", "links.allow",
		"links.deny", "words.list", "words.patterns", "caps.min_letters", "caps.percent", "raid.count", "raid.window",
		"raid.raise_verification", "raid.lock_channels", "raid.dry_run"} {
		if !keys[want] {
			t.Errorf("no setting %s", want)
		}
	}
	ctx := context.Background()
	guild := snowflake.ID(h.g.ID)
	_, err := sec.Set(ctx, guild, "words.patterns", "+(unclosed", storeActor)
	var ue *bot.UserError
	if !errors.As(err, &ue) || !strings.Contains(ue.Message, `"(unclosed" is not a valid RE2 pattern: missing closing )`) {
		t.Errorf("set an invalid pattern: got %v; want a message naming the pattern and the RE2 error", err)
	}
	if _, err := sec.Set(ctx, guild, "words.patterns", "+fr[e3]{2}", storeActor); err != nil {
		t.Errorf("set a valid pattern: %v", err)
	}
	if _, err := sec.Set(ctx, guild, "spam.action", "explode", storeActor); !errors.As(err, &ue) || !strings.Contains(ue.Message, "spam.action: want delete, warn") {
		t.Errorf("set a wrong action: got %v", err)
	}
}

func TestRulesAreCompiledOncePerSettingsVersion(t *testing.T) {
	var c compiled
	s := defaultSettings()
	s.Words.Enabled, s.Words.Patterns = true, []string{"a+b"}
	first := c.get(1, &s, true)
	same := s // what the settings cache hands out again: the same slices
	if c.get(1, &same, true) != first {
		t.Error("the same settings compiled again; want the cached rules")
	}
	changed := s
	changed.Words.Patterns = []string{"c+d"}
	if r := c.get(1, &changed, true); r == first || r.patternSrc[0] != "c+d" {
		t.Error("changed settings kept the old rules; want them compiled again")
	}
	if r := c.get(1, &changed, false); r.act[ruleWords].on {
		t.Error("without MESSAGE_CONTENT the words rule is on; want it off")
	}
}

func TestTheTrackerKeepsItsBound(t *testing.T) {
	tr := newTracker(1000)
	s := defaultSettings()
	s.Spam.Enabled = true
	r := compile(s, true)
	at := time.Now()
	for i := range 20_000 {
		ev := bot.MessageCreated{ID: snowflake.ID(i + 1), GuildID: snowflake.ID(i%3 + 1), ChannelID: 5, Author: bot.User{ID: snowflake.ID(i + 100)}}
		tr.evaluate(r, &ev, at)
	}
	if all, _ := tr.count(0); all > 1000 {
		t.Errorf("%d members tracked; want at most 1000", all)
	}
	if err := (fileConfig{MaxTrackedMembers: 10}).validate(); err == nil || !strings.Contains(err.Error(), "max_tracked_members: want 1000 to 1000000; got 10") {
		t.Errorf("validate: got %v", err)
	}
}

func TestPersonalAndGuildDataAreExportedAndErased(t *testing.T) {
	h := start(t, setup{emulator: nil})
	ctx := context.Background()
	h.set(func(s *Settings) { s.Raid.LockChannels = []snowflake.ID{snowflake.ID(h.channel("general"))} })
	admin := h.seeded("admin")
	r, err := h.Emulator.RunCommand(h.g.ID, h.channel("general"), admin, "/lockdown start reason:because")
	if err != nil || !strings.Contains(r.Content, "Lockdown started") {
		t.Fatalf("/lockdown start: %q, %v", r.Content, err)
	}
	h.banWord("delete")
	user := h.join("someone")
	h.send("off-topic", user, "hello") // #general is locked

	exp, err := h.m.ExportUser(ctx, snowflake.ID(admin))
	if e := exp.(Export); err != nil || len(e.Lockdowns) != 1 || !strings.Contains(e.Lockdowns[0].Reason, "because") {
		t.Errorf("ExportUser(admin): %+v, %v; want their lockdown", exp, err)
	}
	exp, _ = h.m.ExportUser(ctx, snowflake.ID(user))
	if e := exp.(Export); e.TrackedIn != 1 {
		t.Errorf("ExportUser(someone): %+v; want tracked in 1 server", e)
	}
	if err := h.m.DeleteUser(ctx, snowflake.ID(user)); err != nil {
		t.Fatal(err)
	}
	if err := h.m.DeleteUser(ctx, snowflake.ID(admin)); err != nil {
		t.Fatal(err)
	}
	exp, _ = h.m.ExportUser(ctx, snowflake.ID(user))
	if e := exp.(Export); e.TrackedIn != 0 {
		t.Errorf("after DeleteUser: %+v; want nothing in memory", e)
	}
	exp, _ = h.m.ExportUser(ctx, snowflake.ID(admin))
	if e := exp.(Export); len(e.Lockdowns) != 0 {
		t.Errorf("after DeleteUser(admin): %+v; want their ID gone from the lockdown", e)
	}
	if _, on, _ := h.m.lockdowns.active(ctx, snowflake.ID(h.g.ID)); !on {
		t.Error("DeleteUser ended the lockdown; want it kept (its end needs what it stored)")
	}
	if err := h.m.DeleteGuild(ctx, snowflake.ID(h.g.ID)); err != nil {
		t.Fatal(err)
	}
	if _, on, _ := h.m.lockdowns.active(ctx, snowflake.ID(h.g.ID)); on {
		t.Error("DeleteGuild kept the lockdown rows")
	}
	if chans, _ := h.m.lockdowns.channels(ctx, snowflake.ID(h.g.ID)); len(chans) != 0 {
		t.Errorf("DeleteGuild kept %d locked channels", len(chans))
	}
}
