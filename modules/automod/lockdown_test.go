package automod

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/discordtest"
)

// withManageGuild lets the bot change the verification level.
var withManageGuild = discordtest.WithBotPermissions(discordtest.DefaultBotPermissions | discordtest.PermManageGuild)

// everyone returns the @everyone overwrite of a channel, if any.
func everyone(srv *discordtest.Server, guild discordtest.Snowflake, channel string) (discordtest.Overwrite, bool) {
	g, _ := srv.Guild(guild)
	for _, o := range g.Channel(channel).Overwrites {
		if o.ID == guild {
			return o, true
		}
	}
	return discordtest.Overwrite{}, false
}

func level(srv *discordtest.Server, guild discordtest.Snowflake) int {
	g, _ := srv.Guild(guild)
	return g.VerificationLevel
}

func TestARaidLocksDownAndLockdownEndRestoresExactly(t *testing.T) {
	h := start(t, setup{emulator: []discordtest.Option{withManageGuild}})
	ctx := context.Background()
	// #off-topic has an @everyone overwrite of its own before the raid.
	prior := discord.RolePermissionOverwrite{RoleID: snowflake.ID(h.g.ID), Allow: discord.PermissionEmbedLinks, Deny: discord.PermissionAttachFiles}
	if err := h.m.host.REST().Channels.SetOverwrite(ctx, snowflake.ID(h.channel("off-topic")), prior, "test"); err != nil {
		t.Fatal(err)
	}
	annBefore, _ := everyone(h.Emulator, h.g.ID, "announcements")
	levelBefore := level(h.Emulator, h.g.ID)
	h.set(func(s *Settings) {
		s.AlertChannel = snowflake.ID(h.channel("mod-log"))
		s.Raid.Enabled, s.Raid.Count, s.Raid.Window, s.Raid.RaiseVerification = true, 3, time.Minute, 3
		s.Raid.LockChannels = []snowflake.ID{snowflake.ID(h.channel("general")), snowflake.ID(h.channel("off-topic")),
			snowflake.ID(h.channel("announcements"))}
	})
	for i := range 3 {
		h.join(fmt.Sprintf("raider%d", i))
	}
	alert := h.waitAlert("**raid** · 3 joins within 1m. Lockdown started")
	for _, want := range []string{"locked <#" + h.channel("general").String(), "raised the verification level from low to high",
		"Already closed to @everyone, left as they were: <#" + h.channel("announcements").String()} {
		if !strings.Contains(alert, want) {
			t.Errorf("alert %q; want it to say %q", alert, want)
		}
	}
	send := uint64(discordtest.PermSendMessages)
	if o, ok := everyone(h.Emulator, h.g.ID, "general"); !ok || o.Deny != send || o.Allow != 0 {
		t.Errorf("#general's @everyone overwrite: %+v (%v); want SEND_MESSAGES denied", o, ok)
	}
	if o, _ := everyone(h.Emulator, h.g.ID, "off-topic"); o.Deny != send|uint64(discord.PermissionAttachFiles) || o.Allow != uint64(discord.PermissionEmbedLinks) {
		t.Errorf("#off-topic's @everyone overwrite: %+v; want SEND_MESSAGES denied on top of what it had", o)
	}
	if got := level(h.Emulator, h.g.ID); got != 3 {
		t.Errorf("verification level %d; want 3", got)
	}
	// A second wave during the lockdown changes nothing.
	for i := range 3 {
		h.join(fmt.Sprintf("later%d", i))
	}

	r, err := h.Emulator.RunCommand(h.g.ID, h.channel("general"), h.seeded("admin"), `/lockdown end reason:"raid over"`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Content, "Lockdown ended") || !r.Ephemeral {
		t.Errorf("reply %q; want an ephemeral Lockdown ended", r.Content)
	}
	if o, ok := everyone(h.Emulator, h.g.ID, "general"); ok {
		t.Errorf("#general still has an @everyone overwrite %+v; want the one the lockdown added deleted", o)
	}
	if o, _ := everyone(h.Emulator, h.g.ID, "off-topic"); o.Allow != uint64(prior.Allow) || o.Deny != uint64(prior.Deny) {
		t.Errorf("#off-topic's @everyone overwrite: %+v; want exactly the one it had before (%+v)", o, prior)
	}
	if o, _ := everyone(h.Emulator, h.g.ID, "announcements"); o != annBefore {
		t.Errorf("#announcements' overwrite: %+v; want it untouched (%+v)", o, annBefore)
	}
	if got := level(h.Emulator, h.g.ID); got != levelBefore {
		t.Errorf("verification level %d; want %d back", got, levelBefore)
	}
	h.eventually("the lockdown's end is recorded", func() bool {
		var kinds []string
		for _, a := range h.rec.all() {
			kinds = append(kinds, a.Kind)
		}
		return slices.Contains(kinds, "automod.raid") && slices.Contains(kinds, "lockdown.start") && slices.Contains(kinds, "lockdown.end")
	})
	for _, r := range h.Emulator.Requests() {
		if (r.Route == routePutOverwrite || r.Route == routeDelOverwrite || r.Route == routeEditGuild) &&
			!strings.HasPrefix(r.Reason, "Automod: join raid") && !strings.Contains(r.Reason, "/lockdown end") && r.Reason != "test" {
			t.Errorf("%s %s carries the reason %q; want the raid's or the command's", r.Method, r.Path, r.Reason)
		}
	}
	if n := strings.Count(h.alerts(), "**raid**"); n != 1 {
		t.Errorf("%d raid alerts; want 1 (the second wave comes within the quiet time)", n)
	}
	wantNoForbidden(t, h.Emulator)
}

func TestARaidInDryRunIsOnlyRecorded(t *testing.T) {
	h := start(t, setup{emulator: []discordtest.Option{withManageGuild}})
	h.set(func(s *Settings) {
		s.AlertChannel = snowflake.ID(h.channel("mod-log"))
		s.Raid.Enabled, s.Raid.Count, s.Raid.DryRun, s.Raid.RaiseVerification = true, 2, true, 4
		s.Raid.LockChannels = []snowflake.ID{snowflake.ID(h.channel("general"))}
	})
	before := len(h.Emulator.Requests())
	h.join("r1")
	h.join("r2")
	h.eventually("the raid is recorded", func() bool { return len(h.rec.all()) == 1 })
	if a := h.rec.all()[0]; a.Kind != "automod.raid" || !a.DryRun || a.Details["raise_verification"] != "4" {
		t.Errorf("recorded %+v; want a dry-run automod.raid", a)
	}
	if reqs := h.requestsSince(before); len(reqs) != 0 {
		t.Errorf("dry run sent %d requests (%s %s first); want none", len(reqs), reqs[0].Method, reqs[0].Path)
	}
}

func TestALockdownSurvivesARestart(t *testing.T) {
	clock := discordtest.NewFakeClock(time.Now())
	srv := discordtest.New(t, withManageGuild, discordtest.WithClock(clock))
	g := srv.Guilds()[0]
	db := filepath.Join(t.TempDir(), "hearth.db")
	first := New()
	stop := runBot(t, srv, db, first)
	_, _, err := first.settings.Update(context.Background(), snowflake.ID(g.ID), storeActor, func(s *Settings) error {
		s.Raid.LockChannels = []snowflake.ID{snowflake.ID(g.Channel("general").ID)}
		s.Raid.RaiseVerification = 2
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := srv.RunCommand(g.ID, g.Channel("general").ID, g.Member("admin").User.ID, "/lockdown start reason:raid")
	if err != nil || !strings.Contains(r.Content, "Lockdown started") {
		t.Fatalf("/lockdown start: %q, %v", r.Content, err)
	}
	r, _ = srv.RunCommand(g.ID, g.Channel("general").ID, g.Member("admin").User.ID, "/lockdown start")
	if !strings.Contains(r.Content, "A lockdown is on already") {
		t.Errorf("a second /lockdown start answered %q; want that one is on already", r.Content)
	}
	stop()

	clock.Advance(time.Minute) // past the gateway's identify limit
	runBot(t, srv, db, New())
	if _, ok := everyone(srv, g.ID, "general"); !ok || level(srv, g.ID) != 2 {
		t.Fatal("the lockdown did not hold across the restart")
	}
	r, err = srv.RunCommand(g.ID, g.Channel("general").ID, g.Member("admin").User.ID, "/lockdown end")
	if err != nil || !strings.Contains(r.Content, "Lockdown ended: restored <#"+g.Channel("general").ID.String()+">; set the verification level back to low") {
		t.Fatalf("/lockdown end after a restart: %q, %v", r.Content, err)
	}
	if _, ok := everyone(srv, g.ID, "general"); ok || level(srv, g.ID) != g.VerificationLevel {
		t.Errorf("after /lockdown end: overwrite %v, level %d; want none and %d", ok, level(srv, g.ID), g.VerificationLevel)
	}
	r, _ = srv.RunCommand(g.ID, g.Channel("general").ID, g.Member("admin").User.ID, "/lockdown end")
	if !strings.Contains(r.Content, "There is no lockdown") {
		t.Errorf("a second /lockdown end answered %q", r.Content)
	}
	wantNoForbidden(t, srv)
}

func TestLockdownNeedsManageGuildAndSaysWhatTheBotLacks(t *testing.T) {
	h := start(t, setup{emulator: []discordtest.Option{
		discordtest.WithBotPermissions(discordtest.DefaultBotPermissions &^ discordtest.PermManageRoles)}})
	if _, err := h.Emulator.RunCommand(h.g.ID, h.channel("general"), h.seeded("mod"), "/lockdown start"); err == nil {
		t.Error("a moderator without MANAGE_GUILD ran /lockdown start")
	}
	r, _ := h.Emulator.RunCommand(h.g.ID, h.channel("general"), h.seeded("admin"), "/lockdown start")
	if !strings.Contains(r.Content, "Nothing to lock") {
		t.Errorf("/lockdown start with nothing configured answered %q", r.Content)
	}
	h.set(func(s *Settings) {
		s.Raid.LockChannels = []snowflake.ID{snowflake.ID(h.channel("general"))}
		s.Raid.RaiseVerification = 3
	})
	r, _ = h.Emulator.RunCommand(h.g.ID, h.channel("general"), h.seeded("admin"), "/lockdown start")
	for _, want := range []string{"No lockdown: nothing was changed", "I need the MANAGE_ROLES permission there", "I need the MANAGE_GUILD permission"} {
		if !strings.Contains(r.Content, want) {
			t.Errorf("reply %q; want it to say %q", r.Content, want)
		}
	}
	if n := len(h.Emulator.RequestsTo(routePutOverwrite)) + len(h.Emulator.RequestsTo(routeEditGuild)); n != 0 {
		t.Errorf("%d requests that would be refused; want none", n)
	}
	r, _ = h.Emulator.RunCommand(h.g.ID, h.channel("general"), h.seeded("admin"), "/lockdown end")
	if !strings.Contains(r.Content, "There is no lockdown") {
		t.Errorf("/lockdown end answered %q; want no lockdown (nothing was changed)", r.Content)
	}
	wantNoForbidden(t, h.Emulator)
}
