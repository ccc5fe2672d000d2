package automod

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bottest"
	"github.com/hearthbot/hearth/discordtest"
	"github.com/hearthbot/hearth/store"
)

// benchSettings turns every message rule on, with lists the size a busy
// server keeps.
func benchSettings() Settings {
	s := defaultSettings()
	s.Spam.Enabled = true
	s.Duplicates.Enabled = true
	s.Mentions.Enabled = true
	s.Invites.Enabled, s.Invites.Allowed = true, []string{"ourplace", "partner1", "partner2"}
	s.Links.Enabled = true
	for i := range 50 {
		s.Links.Deny = append(s.Links.Deny, fmt.Sprintf("scam%d.example", i))
	}
	for i := range 100 {
		s.Words.List = append(s.Words.List, fmt.Sprintf("badword%d", i))
	}
	s.Words.List = append(s.Words.List, "free nitro", "gift card")
	s.Words.Enabled, s.Words.Patterns = true, []string{`fr[e3]{2}\s*n[i1]tr[o0]`, `st[e3]am\s*g[i1]ft`, `\bcrypto\s*giveaway\b`,
		`(?:https?://)?bit\.ly/\w+`, `\d{4}-\d{4}-\d{4}-\d{4}`}
	s.Caps.Enabled = true
	if err := validate(&s); err != nil {
		panic(err)
	}
	return s
}

// chatLines are what people write, most of it harmless.
var chatLines = []string{
	"hey everyone, how's it going?",
	"lol",
	"did anyone watch the game last night? that last minute goal was unreal",
	"I think the new patch broke something, my inventory keeps resetting after every match and support hasn't answered yet",
	"check this out https://youtube.com/watch?v=dQw4w9WgXcQ",
	"ok",
	"good morning :)",
	"Can someone help me with the setup? I followed the guide at https://docs.example.org/setup but step 3 fails",
	"WHY DOES THIS ALWAYS HAPPEN TO ME",
	"join my server discord.gg/randomcode",
	"free nitro here https://scam7.example/claim",
	"that's a badword42 thing to say",
	"<@123456789012345678> <@223456789012345678> <@323456789012345678> <@423456789012345678> <@523456789012345678> look",
	"brb",
	"here's the invite to ours: discord.gg/ourplace",
	"Anyone up for a round later tonight? I'll be on around 9",
	"hahaha yes",
	"😂😂😂",
	"Das ist wirklich nicht schlecht, ich probiere es morgen aus.",
	"Je pense que c'est une bonne idée, mais il faut demander à l'équipe d'abord.",
}

// brokenLines are the chatLines that break a rule of benchSettings.
var brokenLines = []int{8, 9, 10, 11, 12}

// benchTraffic is n messages from members of guilds, one every
// millisecond: mostly chat, with a quarter breaking a rule, or none when
// clean.
func benchTraffic(n, guilds, members int, seed uint64, clean bool) []bot.MessageCreated {
	rng := rand.New(rand.NewPCG(seed, 1))
	start := time.Unix(1_700_000_000, 0)
	out := make([]bot.MessageCreated, n)
	for i := range out {
		line := rng.IntN(len(chatLines))
		for clean && slices.Contains(brokenLines, line) {
			line = rng.IntN(len(chatLines))
		}
		text := chatLines[line]
		ev := bot.MessageCreated{ID: snowflake.ID(i + 1), GuildID: snowflake.ID(rng.IntN(guilds) + 1),
			ChannelID: snowflake.ID(rng.IntN(5) + 10), Author: bot.User{ID: snowflake.ID(rng.IntN(members) + 1000)},
			Content: text, At: start.Add(time.Duration(i) * time.Millisecond)}
		if strings.HasPrefix(text, "<@") {
			ev.Mentions = []snowflake.ID{1, 2, 3, 4, 5}
		}
		out[i] = ev
	}
	return out
}

// passTime is when the traffic's message is sent on its i-th use: each
// pass over the traffic comes after the one before.
func passTime(ev *bot.MessageCreated, i int) time.Time {
	return ev.At.Add(time.Duration(i>>16) * (1 << 16) * time.Millisecond)
}

// BenchmarkEvaluate measures what automod does for each message on the
// bus: find the guild's compiled rules (checking the settings have not
// changed) and evaluate every rule against the member's state, with
// every rule on, over mixed traffic from 5,000 members in 10 guilds
// (serial, parallel), and over traffic that breaks no content rule
// (clean: what allocates then is the odd repeated message).
func BenchmarkEvaluate(b *testing.B) {
	s := benchSettings()
	traffic := benchTraffic(1<<16, 10, 5000, 1, false)
	serial := func(traffic []bot.MessageCreated) func(b *testing.B) {
		return func(b *testing.B) {
			var c compiled
			tr := newTracker(100_000)
			for i := range traffic { // every member known: the steady state
				tr.evaluate(c.get(traffic[i].GuildID, &s, true), &traffic[i], traffic[i].At)
			}
			b.ReportAllocs()
			i := len(traffic)
			for b.Loop() {
				ev := &traffic[i&(len(traffic)-1)]
				r := c.get(ev.GuildID, &s, true)
				tr.evaluate(r, ev, passTime(ev, i))
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		}
	}
	b.Run("serial", serial(traffic))
	b.Run("clean", serial(benchTraffic(1<<16, 10, 5000, 1, true)))
	b.Run("parallel", func(b *testing.B) {
		var c compiled
		tr := newTracker(100_000)
		for i := range traffic {
			tr.evaluate(c.get(traffic[i].GuildID, &s, true), &traffic[i], traffic[i].At)
		}
		var next atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := len(traffic) + int(next.Add(1)<<12)
			for pb.Next() {
				ev := &traffic[i&(len(traffic)-1)]
				r := c.get(ev.GuildID, &s, true)
				tr.evaluate(r, ev, passTime(ev, i))
				i++
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
}

// BenchmarkSpamWave sends, through the emulator and the real bot, 1,000
// messages from 50 members in 10 s of real time (one every 10 ms, each
// member every 500 ms) to one channel, with the spam rule (5 messages in
// 5 s) deleting. Every message is spam from the member's fifth on, and
// the burst before it goes too. It fails unless every message is gone
// and Discord answered no 429. The members are seeded ones, whose roles
// automod reads from Discord once each (GET member, 5 a second), which
// is what makes the last of them wait. Real time throughout: the
// module's windows follow message timestamps and the bot's rate limiter
// the real clock. It runs once, whatever b.N.
func BenchmarkSpamWave(b *testing.B) {
	if b.N > 1 {
		b.Skip("BenchmarkSpamWave runs once; its one run takes about 15 s")
	}
	const members, perMember, every = 50, 20, 10 * time.Millisecond
	m := New()
	h := bottest.New(b, []bot.Module{m}, bottest.WithEmulator(discordtest.WithMembers(3+members)))
	g := h.Guild()
	general := g.Channel("general").ID
	_, _, err := m.settings.Update(context.Background(), snowflake.ID(g.ID), store.Actor{}, func(s *Settings) error {
		s.AlertChannel = snowflake.ID(g.Channel("mod-log").ID)
		s.Spam.Enabled, s.Spam.Count, s.Spam.Window, s.Spam.Action = true, 5, 5*time.Second, "delete"
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var senders []discordtest.Snowflake
	for i := range members {
		senders = append(senders, g.Member(fmt.Sprintf("member%d", i+1)).User.ID)
	}
	b.ResetTimer()
	began := time.Now()
	tick := time.NewTicker(every)
	var sent []discordtest.Snowflake
	for i := range members * perMember {
		<-tick.C
		msg, err := h.Emulator.SendMessage(g.ID, general, senders[i%members], fmt.Sprintf("buy cheap gold %d", i))
		if err != nil {
			b.Fatal(err)
		}
		sent = append(sent, msg.ID)
	}
	tick.Stop()
	sentIn := time.Since(began)
	gone := func() int {
		n := 0
		for _, id := range sent {
			if _, ok := h.Emulator.Message(id); !ok {
				n++
			}
		}
		return n
	}
	h.Emulator.WaitFor(40*time.Second, func() bool { return gone() == len(sent) })
	cleanIn := time.Since(began)
	b.StopTimer()
	st := m.deletes.Stats()
	b.ReportMetric(float64(gone()), "deleted")
	b.ReportMetric(float64(len(h.Emulator.RequestsTo(routeBulkDelete))), "bulk-requests")
	b.ReportMetric(float64(len(h.Emulator.RequestsTo(routeDelete))), "single-deletes")
	b.ReportMetric(float64(h.Emulator.RateLimited("")), "429s")
	b.ReportMetric(sentIn.Seconds(), "s-sending")
	b.ReportMetric(cleanIn.Seconds(), "s-until-clean")
	if n := gone(); n != len(sent) {
		b.Fatalf("%d of %d spam messages deleted (the queue says %+v); want all", n, len(sent), st)
	}
	if n := h.Emulator.RateLimited(""); n != 0 {
		b.Fatalf("Discord answered 429 %d times; want none", n)
	}
}
