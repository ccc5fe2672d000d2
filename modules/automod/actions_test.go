package automod

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/discordtest"
)

// banWord turns on the words rule for "zork" with action, alerting in
// #mod-log.
func (h *harness) banWord(action string, change ...func(*Settings)) {
	h.t.Helper()
	h.set(func(s *Settings) {
		*s = defaultSettings()
		s.AlertChannel = snowflake.ID(h.channel("mod-log"))
		s.Words.Enabled, s.Words.List, s.Words.Action = true, []string{"zork"}, action
		for _, c := range change {
			c(s)
		}
	})
}

func TestEveryActionDoesWhatItSaysAndIsRecorded(t *testing.T) {
	clock := discordtest.NewFakeClock(time.Now())
	h := start(t, setup{emulator: []discordtest.Option{discordtest.WithClock(clock)}, module: []Option{WithClock(clock)}})
	cases := []struct {
		action string
		check  func(t *testing.T, user discordtest.Snowflake, msg discordtest.Message)
		alert  string
	}{
		{"delete", func(t *testing.T, _ discordtest.Snowflake, msg discordtest.Message) {
			if h.exists(msg.ID) {
				t.Error("the message is still there; want it deleted")
			}
		}, "Deleted 1 message."},
		{"warn", func(t *testing.T, user discordtest.Snowflake, msg discordtest.Message) {
			dm, ok := h.Emulator.DMChannel(user)
			if !ok {
				t.Fatal("no DM channel opened; want the member warned by DM")
			}
			if got := h.Emulator.Messages(dm); len(got) != 1 || !strings.Contains(got[0].Content, "broke a rule") {
				t.Errorf("DMs %+v; want one warning", got)
			}
			if h.exists(msg.ID) {
				t.Error("the message is still there; want it deleted")
			}
		}, "Deleted 1 message, warned them by DM."},
		{"timeout", func(t *testing.T, user discordtest.Snowflake, _ discordtest.Message) {
			mv, _ := h.Emulator.Member(h.g.ID, user)
			if want := clock.Now().Add(10 * time.Minute); !mv.CommunicationDisabledUntil.Equal(want.Truncate(time.Millisecond)) &&
				!mv.CommunicationDisabledUntil.Equal(want) {
				t.Errorf("timed out until %v; want %v (10m, the default)", mv.CommunicationDisabledUntil, want)
			}
		}, "timed them out for 10m"},
		{"kick", func(t *testing.T, user discordtest.Snowflake, _ discordtest.Message) {
			if _, ok := h.Emulator.Member(h.g.ID, user); ok {
				t.Error("still a member; want them kicked")
			}
		}, "kicked them"},
		{"ban", func(t *testing.T, user discordtest.Snowflake, _ discordtest.Message) {
			g, _ := h.Emulator.Guild(h.g.ID)
			banned := false
			for _, b := range g.Bans {
				banned = banned || b.User.ID == user
			}
			if !banned {
				t.Error("not banned; want them banned")
			}
		}, "banned them"},
		{"alert", func(t *testing.T, _ discordtest.Snowflake, msg discordtest.Message) {
			if !h.exists(msg.ID) {
				t.Error("the message was deleted; want it kept (alert only)")
			}
		}, "Nothing done (alert only)."},
	}
	for _, c := range cases {
		h.t = t
		h.banWord(c.action)
		t.Run(c.action, func(t *testing.T) {
			h.t = t
			user := h.join("zorker-" + c.action)
			msg := h.send("general", user, "what a zork")[0]
			acts := h.waitActions(user, 1)
			c.check(t, user, msg)
			if a := acts[0]; a.Kind != "automod."+c.action || a.Details["rule"] != "words" || a.DryRun || a.ActorID != 0 ||
				!strings.Contains(a.Reason, "Automod: words") {
				t.Errorf("recorded %+v; want automod.%s by rule words, with a reason", a, c.action)
			}
			h.waitAlert(c.alert)
		})
	}
	h.t = t
	for _, r := range h.Emulator.Requests() {
		if r.Route == routeEditMember || r.Route == routeKick || r.Route == routeBan || r.Route == routeBulkDelete || r.Route == routeDelete {
			if !strings.HasPrefix(r.Reason, "Automod") {
				t.Errorf("%s %s carries the audit log reason %q; want one starting with Automod", r.Method, r.Path, r.Reason)
			}
		}
	}
	wantNoForbidden(t, h.Emulator)
}

func TestAWarningToSomeoneWhoRefusesDMsStillCounts(t *testing.T) {
	h := start(t, setup{})
	h.banWord("warn")
	user := h.join("closeddms")
	h.Emulator.SetRefusesDMs(user, true)
	h.send("general", user, "zork")
	a := h.waitActions(user, 1)[0]
	if a.Kind != "automod.warn" || a.Details["dm"] != "refused" {
		t.Errorf("recorded %+v; want automod.warn with dm refused", a)
	}
	h.waitAlert("they do not accept DMs")
	wantNoForbidden(t, h.Emulator)
}

func TestASpammerGetsOneActionPerWindowAndEveryMessageDeleted(t *testing.T) {
	h := start(t, setup{})
	h.set(func(s *Settings) {
		s.AlertChannel = snowflake.ID(h.channel("mod-log"))
		s.Spam.Enabled, s.Spam.Count, s.Spam.Window, s.Spam.Action = true, 3, time.Minute, "warn"
	})
	user := h.join("spammer")
	var texts []string
	for i := range 12 {
		texts = append(texts, fmt.Sprintf("spam %d", i))
	}
	msgs := h.send("general", user, texts...)
	for _, msg := range msgs {
		if h.exists(msg.ID) {
			t.Errorf("%q is still there; want every message of the wave deleted", msg.Content)
		}
	}
	dm, _ := h.Emulator.DMChannel(user)
	if n := len(h.Emulator.Messages(dm)); n != 1 {
		t.Errorf("%d warnings by DM; want 1 for the whole wave", n)
	}
	h.waitActions(user, 1)
	if acts := h.actionsOf(user); len(acts) != 1 || acts[0].Kind != "automod.warn" {
		t.Errorf("recorded %+v; want one automod.warn", acts)
	}
	if n := strings.Count(h.waitAlert("**spam**"), "**spam**"); n != 1 {
		t.Errorf("%d spam alerts; want 1", n)
	}
	if bulk := len(h.Emulator.RequestsTo(routeBulkDelete)); bulk == 0 || bulk > 6 {
		t.Errorf("%d bulk deletes for 12 messages; want a few", bulk)
	}
}

func TestDryRunRecordsWhatItWouldDoAndSendsNothing(t *testing.T) {
	h := start(t, setup{})
	h.set(func(s *Settings) {
		s.AlertChannel = snowflake.ID(h.channel("mod-log"))
		s.Spam.Enabled, s.Spam.Count, s.Spam.Action, s.Spam.DryRun = true, 3, "ban", true
		s.Words.Enabled, s.Words.List, s.Words.Action, s.Words.DryRun = true, []string{"zork"}, "timeout", true
	})
	user := h.join("tester")
	before := len(h.Emulator.Requests())
	msgs := h.send("general", user, "zork", "two", "three", "four")
	acts := h.waitActions(user, 2)
	if reqs := h.requestsSince(before); len(reqs) > 0 {
		for _, r := range reqs {
			t.Errorf("dry run sent %s %s; want no request at all", r.Method, r.Path)
		}
	}
	for _, msg := range msgs {
		if !h.exists(msg.ID) {
			t.Errorf("%q was deleted in a dry run", msg.Content)
		}
	}
	kinds := map[string]bool{}
	for _, a := range acts {
		if !a.DryRun {
			t.Errorf("recorded %+v; want a dry run", a)
		}
		kinds[a.Kind+" "+a.Details["rule"]] = true
	}
	if !kinds["automod.ban spam"] || !kinds["automod.timeout words"] || len(acts) != 2 {
		t.Errorf("recorded %v; want one automod.ban by spam and one automod.timeout by words", kinds)
	}
}

func TestBotsWebhooksOwnMessagesAndTheAlertChannelAreIgnored(t *testing.T) {
	h := start(t, setup{})
	h.banWord("delete")
	ctx := context.Background()
	guild, general := snowflake.ID(h.g.ID), snowflake.ID(h.channel("general"))

	own, err := h.m.host.REST().Messages.Send(ctx, general, discord.MessageCreate{Content: "zork zork"})
	if err != nil {
		t.Fatal(err)
	}
	h.settle(discordtest.Snowflake(own.ID))
	if !h.exists(discordtest.Snowflake(own.ID)) {
		t.Error("the bot's own message was deleted")
	}

	for _, origin := range []bot.Origin{{FromBot: true}, {FromWebhook: true}, {FromSelf: true}} {
		ev := bot.MessageCreated{ID: 1, GuildID: guild, ChannelID: general, Author: bot.User{ID: 42, Bot: origin.FromBot},
			Origin: origin, Content: "zork", At: time.Now()}
		if err := h.m.onMessage(ctx, ev); err != nil {
			t.Fatal(err)
		}
		if _, of := h.m.members.count(42); of != 0 || h.m.pending.Load() != 0 {
			t.Errorf("a message from %+v was evaluated; want it ignored", origin)
		}
	}

	h.set(func(s *Settings) { s.AlertChannel = general })
	user := h.join("inalerts")
	if msg := h.send("general", user, "zork")[0]; !h.exists(msg.ID) {
		t.Error("a message in the alert channel was deleted; want the alert channel left alone")
	}
	if acts := h.rec.all(); len(acts) != 0 {
		t.Errorf("recorded %+v; want nothing", acts)
	}
}

func TestModeratorsAndTheOwnerAreExempt(t *testing.T) {
	h := start(t, setup{})
	h.banWord("ban")
	for _, who := range []string{"owner", "admin", "mod"} {
		if msg := h.send("general", h.seeded(who), "zork")[0]; !h.exists(msg.ID) {
			t.Errorf("%s's message was deleted; want the owner and members with MANAGE_MESSAGES or ADMINISTRATOR exempt", who)
		}
	}
	if acts := h.rec.all(); len(acts) != 0 {
		t.Errorf("recorded %+v; want nothing", acts)
	}
	if n := len(h.Emulator.RequestsTo(routeBan)); n != 0 {
		t.Errorf("%d ban requests; want none", n)
	}
}

func TestAMissingPermissionIsReportedAndNoRequestIsRefused(t *testing.T) {
	t.Run("no MANAGE_MESSAGES", func(t *testing.T) {
		h := start(t, setup{emulator: []discordtest.Option{
			discordtest.WithBotPermissions(discordtest.DefaultBotPermissions &^ discordtest.PermManageMessages)}})
		h.banWord("delete")
		user := h.join("linkposter")
		msg := h.send("general", user, "zork")[0]
		if !h.exists(msg.ID) {
			t.Error("the message was deleted without MANAGE_MESSAGES?")
		}
		h.waitAlert("Could not delete 1 message in <#" + h.channel("general").String() + ">: I need the MANAGE_MESSAGES permission there")
		if a := h.waitActions(user, 1)[0]; a.Kind != "automod.alert" || !strings.Contains(a.Details["not_done"], "MANAGE_MESSAGES") {
			t.Errorf("recorded %+v; want automod.alert saying what was not done", a)
		}
		if n := len(h.Emulator.RequestsTo(routeDelete)) + len(h.Emulator.RequestsTo(routeBulkDelete)); n != 0 {
			t.Errorf("%d delete requests; want none", n)
		}
		wantNoForbidden(t, h.Emulator)
	})
	t.Run("no MODERATE_MEMBERS", func(t *testing.T) {
		h := start(t, setup{emulator: []discordtest.Option{
			discordtest.WithBotPermissions(discordtest.DefaultBotPermissions &^ discordtest.PermModerateMembers)}})
		h.banWord("timeout")
		user := h.join("shouter")
		msg := h.send("general", user, "zork")[0]
		if h.exists(msg.ID) {
			t.Error("the message is still there; want it deleted even when the timeout cannot be")
		}
		h.waitAlert("Could not time them out: I need the MODERATE_MEMBERS permission to time members out")
		if a := h.waitActions(user, 1)[0]; a.Kind != "automod.delete" {
			t.Errorf("recorded %+v; want automod.delete (the timeout was not done)", a)
		}
		if n := len(h.Emulator.RequestsTo(routeEditMember)); n != 0 {
			t.Errorf("%d member edits; want none", n)
		}
		wantNoForbidden(t, h.Emulator)
	})
	t.Run("a member above the bot", func(t *testing.T) {
		h := start(t, setup{})
		vip, err := h.Emulator.CreateRole(h.g.ID, "VIP", 0, 4) // above the bot's role
		if err != nil {
			t.Fatal(err)
		}
		h.banWord("kick")
		user := h.join("vip")
		if err := h.Emulator.UpdateMember(h.g.ID, user, "", []discordtest.Snowflake{vip.ID}); err != nil {
			t.Fatal(err)
		}
		h.eventually("automod sees the VIP role", func() bool {
			roles, _ := h.m.members.roles(memberKey{snowflake.ID(h.g.ID), snowflake.ID(user)}, time.Time{})
			return len(roles) == 1
		})
		h.send("general", user, "zork")
		h.waitAlert("Could not kick them: their top role, VIP, is not below mine, Hearth")
		if n := len(h.Emulator.RequestsTo(routeKick)); n != 0 {
			t.Errorf("%d kick requests; want none", n)
		}
		if _, ok := h.Emulator.Member(h.g.ID, user); !ok {
			t.Error("the VIP was kicked")
		}
		wantNoForbidden(t, h.Emulator)
	})
}

func TestWithoutMessageContentOnlySpamAndMentionsRun(t *testing.T) {
	h := start(t, setup{emulator: []discordtest.Option{discordtest.WithPrivilegedIntents(discordtest.IntentGuildMembers)}})
	if d := strings.Join(h.m.Degraded(), " "); !strings.Contains(d, "MESSAGE_CONTENT") || !strings.Contains(d, "duplicates, invites, links, words and caps are off") ||
		strings.Contains(d, "GUILD_MEMBERS") {
		t.Errorf("Degraded: %q; want the content rules said to be off, and nothing about GUILD_MEMBERS", d)
	}
	h.set(func(s *Settings) {
		s.AlertChannel = snowflake.ID(h.channel("mod-log"))
		s.Words.Enabled, s.Words.List = true, []string{"zork"}
		s.Caps.Enabled = true
		s.Spam.Enabled, s.Spam.Count = true, 3
		s.Mentions.Enabled, s.Mentions.Count = true, 2
	})
	talker := h.join("talker")
	for _, msg := range h.send("general", talker, "zork", "ZORK ZORK ZORK ZORK") {
		if !h.exists(msg.ID) {
			t.Errorf("%q was deleted without MESSAGE_CONTENT", msg.Content)
		}
	}
	spammer := h.join("spammer")
	for _, msg := range h.send("general", spammer, "a", "b", "c") {
		if h.exists(msg.ID) {
			t.Errorf("%q is still there; want spam caught without MESSAGE_CONTENT", msg.Content)
		}
	}
	pinger := h.join("pinger")
	msg := h.send("general", pinger, fmt.Sprintf("<@%s> <@%s>", h.seeded("member1"), h.seeded("member2")))[0]
	if h.exists(msg.ID) {
		t.Error("the mass mention is still there; want it caught without MESSAGE_CONTENT")
	}
}

func TestWithoutGuildMembersRaidDetectionIsOff(t *testing.T) {
	h := start(t, setup{emulator: []discordtest.Option{discordtest.WithPrivilegedIntents(discordtest.IntentMessageContent)}})
	d := strings.Join(h.m.Degraded(), " ")
	if !strings.Contains(d, "GUILD_MEMBERS") || !strings.Contains(d, "raid detection is off") || strings.Contains(d, "MESSAGE_CONTENT") {
		t.Errorf("Degraded: %q; want raid detection said to be off, and nothing about MESSAGE_CONTENT", d)
	}
	h.set(func(s *Settings) { s.Raid.Enabled, s.Raid.Count = true, 2 })
	for i := range 3 { // as if a join arrived all the same
		err := h.m.onJoin(context.Background(), bot.MemberJoined{GuildID: snowflake.ID(h.g.ID),
			Member: bot.Member{User: bot.User{ID: snowflake.ID(900 + i)}, JoinedAt: time.Now()}})
		if err != nil {
			t.Fatal(err)
		}
	}
	h.m.raids.mu.Lock()
	counted := len(h.m.raids.byGuild)
	h.m.raids.mu.Unlock()
	if counted != 0 || h.m.pending.Load() != 0 {
		t.Error("joins were counted without GUILD_MEMBERS; want raid detection off")
	}
	// Content rules still work, with the author's roles from the message
	// itself: nothing to read from Discord.
	h.banWord("delete")
	if msg := h.send("general", h.seeded("member4"), "zork")[0]; h.exists(msg.ID) {
		t.Error("the message is still there; want it deleted")
	}
	if n := len(h.Emulator.RequestsTo(routeGetMember)); n != 0 {
		t.Errorf("%d member reads; want 0 (the message carries the author's roles)", n)
	}
}
