package automod

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/discordtest"
)

// ruleCase is one rule with messages that break it and messages that
// do not.
type ruleCase struct {
	rule   string
	enable func(*Settings)
	// trigger is sent by one member, in order: every message of it is
	// deleted.
	trigger []string
	// benign is sent by another member: none is.
	benign []string
}

func ruleCases(mentions func(n int) string) []ruleCase {
	return []ruleCase{
		{rule: "spam", enable: func(s *Settings) { s.Spam.Enabled, s.Spam.Count, s.Spam.Window = true, 3, time.Minute },
			trigger: []string{"one", "two", "three"}, benign: []string{"hello", "how are you"}},
		{rule: "duplicates", enable: func(s *Settings) { s.Duplicates.Enabled, s.Duplicates.Count = true, 3 },
			trigger: []string{"buy gold", "Buy  GOLD", "buy gold "}, benign: []string{"hello", "hello there", "hello again"}},
		{rule: "mentions", enable: func(s *Settings) { s.Mentions.Enabled, s.Mentions.Count = true, 3 },
			trigger: []string{"hey " + mentions(3)}, benign: []string{"hey " + mentions(2)}},
		{rule: "invites", enable: func(s *Settings) { s.Invites.Enabled, s.Invites.Allowed = true, []string{"ourPlace"} },
			trigger: []string{"join discord.gg/evil123 now", "https://discord.com/invite/other"},
			benign:  []string{"our invite: https://discord.gg/ourplace", "discord is nice"}},
		{rule: "links", enable: func(s *Settings) { s.Links.Enabled, s.Links.Deny = true, []string{"bad.example"} },
			trigger: []string{"see https://cdn.bad.example/x", "<https://BAD.example>"},
			benign:  []string{"see https://good.example/x", "bad.example is not a link"}},
		{rule: "words", enable: func(s *Settings) {
			s.Words.Enabled, s.Words.List, s.Words.Patterns = true, []string{"darn", "free nitro"}, []string{`g[i1]ft ?card`}
		},
			trigger: []string{"well DARN it", "Free   Nitro here", "a G1FTCARD for you"},
			benign:  []string{"darning socks", "free time", "a gift for you"}},
		{rule: "caps", enable: func(s *Settings) { s.Caps.Enabled, s.Caps.MinLetters, s.Caps.Percent = true, 10, 70 },
			trigger: []string{"WHY IS EVERYONE SO LOUD"}, benign: []string{"Hello there, NASA is cool", "OK", "<:KEKWLOLOMG:123456789012345678> ok"}},
	}
}

func TestEveryRuleCatchesWhatBreaksItAndSparesTheRest(t *testing.T) {
	h := start(t, setup{emulator: []discordtest.Option{discordtest.WithMembers(8)}})
	guild := snowflake.ID(h.g.ID)
	mentions := func(n int) string {
		s := ""
		for i := range n {
			s += fmt.Sprintf("<@%s> ", h.seeded(fmt.Sprintf("member%d", i+1)))
		}
		return s
	}
	trusted, err := h.Emulator.CreateRole(h.g.ID, "Trusted", 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	modlog := snowflake.ID(h.channel("mod-log"))
	for i, c := range ruleCases(mentions) {
		h.t = t
		h.set(func(s *Settings) {
			*s = defaultSettings()
			s.AlertChannel = modlog
			s.ExemptRoles = []snowflake.ID{snowflake.ID(trusted.ID)}
			s.ExemptChannels = []snowflake.ID{snowflake.ID(h.channel("off-topic"))}
			c.enable(s)
		})
		t.Run(c.rule+"/triggers", func(t *testing.T) {
			h.t = t
			user := h.join(fmt.Sprintf("bad%d", i))
			msgs := h.send("general", user, c.trigger...)
			for _, msg := range msgs {
				if h.exists(msg.ID) {
					t.Errorf("%q is still there; want it deleted by %s", msg.Content, c.rule)
				}
			}
			acts := h.waitActions(user, 1)
			if acts[0].Kind != "automod.delete" || acts[0].Details["rule"] != c.rule || acts[0].GuildID != guild || acts[0].DryRun {
				t.Errorf("recorded %+v; want automod.delete by rule %s", acts[0], c.rule)
			}
			h.waitAlert("**" + c.rule + "** · <@" + user.String() + ">")
		})
		t.Run(c.rule+"/does not trigger", func(t *testing.T) {
			h.t = t
			user := h.join(fmt.Sprintf("good%d", i))
			for _, msg := range h.send("general", user, c.benign...) {
				if !h.exists(msg.ID) {
					t.Errorf("%q was deleted; want it kept", msg.Content)
				}
			}
			if acts := h.actionsOf(user); len(acts) > 0 {
				t.Errorf("recorded %+v; want nothing", acts)
			}
		})
		t.Run(c.rule+"/exempt role", func(t *testing.T) {
			h.t = t
			user := h.join(fmt.Sprintf("trusted%d", i))
			if err := h.Emulator.UpdateMember(h.g.ID, user, "", []discordtest.Snowflake{trusted.ID}); err != nil {
				t.Fatal(err)
			}
			h.eventually("automod sees the Trusted role", func() bool {
				roles, _ := h.m.members.roles(memberKey{guild, snowflake.ID(user)}, time.Time{})
				return slices.Contains(roles, snowflake.ID(trusted.ID))
			})
			for _, msg := range h.send("general", user, c.trigger...) {
				if !h.exists(msg.ID) {
					t.Errorf("%q by a member with an exempt role was deleted; want it kept", msg.Content)
				}
			}
		})
		t.Run(c.rule+"/exempt channel", func(t *testing.T) {
			h.t = t
			user := h.join(fmt.Sprintf("offtopic%d", i))
			for _, msg := range h.send("off-topic", user, c.trigger...) {
				if !h.exists(msg.ID) {
					t.Errorf("%q in an exempt channel was deleted; want it kept", msg.Content)
				}
			}
		})
	}
	h.t = t
	wantNoForbidden(t, h.Emulator)
}
