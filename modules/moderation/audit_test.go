package moderation

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bus"
	"github.com/hearthbot/hearth/discordtest"
)

// recorder is a module that keeps every action on the audit trail, as the
// audit module would.
type recorder struct {
	mu  sync.Mutex
	got []bot.Action
}

func (r *recorder) ID() string { return "recorder" }

func (r *recorder) Init(_ context.Context, h *bot.Host) error {
	return bot.Subscribe(h, bot.TopicAction, "actions", bus.Backpressure, func(_ context.Context, a bot.Action) error {
		r.mu.Lock()
		r.got = append(r.got, a)
		r.mu.Unlock()
		return nil
	})
}

// actions returns the actions of module seen so far.
func (r *recorder) actions(module string) []bot.Action {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []bot.Action
	for _, a := range r.got {
		if a.Module == module {
			out = append(out, a)
		}
	}
	return out
}

// wait waits until module has reported n actions, and returns them.
func (r *recorder) wait(t *testing.T, module string, n int) []bot.Action {
	t.Helper()
	var got []bot.Action
	waitFor(t, fmt.Sprintf("%d actions of %s", n, module), func() bool { got = r.actions(module); return len(got) >= n })
	return got
}

// automod stands for the automod module: a module with its ID that
// reports what it did on the audit trail.
type automod struct{ h *bot.Host }

func (a *automod) ID() string { return "automod" }

func (a *automod) Init(_ context.Context, h *bot.Host) error { a.h = h; return nil }

func (a *automod) act(t *testing.T, act bot.Action) {
	t.Helper()
	if err := a.h.Record(bot.WithCorrelation(context.Background(), "automod-ref"), act); err != nil {
		t.Fatal(err)
	}
}

func TestEveryCaseIsReportedOnTheAuditTrail(t *testing.T) {
	t.Parallel()
	clock := discordtest.NewFakeClock(time.Now())
	rec := &recorder{}
	h := start(t, setup{config: withLog, extra: []bot.Module{rec}, emulator: []discordtest.Option{discordtest.WithClock(clock)},
		module: []Option{WithClock(clock)}})
	mod := snowflake.ID(h.id("mod"))
	member := func(name string) snowflake.ID { return snowflake.ID(h.id(name)) }
	h.say("member5", "spam", "more spam")
	steps := []struct {
		line   string
		kind   string
		target snowflake.ID
		reason string
	}{
		{`/warn user:@member2 reason:"spam"`, "warn", member("member2"), "spam"},
		{`/unwarn case:1 reason:"mistake"`, "unwarn", member("member2"), "mistake"},
		{`/timeout user:@member2 duration:10m reason:"flood"`, "timeout", member("member2"), "flood"},
		{`/untimeout user:@member2`, "untimeout", member("member2"), ""},
		{`/kick user:@member3 reason:"rude"`, "kick", member("member3"), "rude"},
		{`/ban user:@member4 reason:"raid" duration:1h`, "ban", member("member4"), "raid"},
		{fmt.Sprintf(`/ban user:%s`, member("member6")), "ban", member("member6"), ""},
		{fmt.Sprintf(`/unban user:%s reason:"appeal"`, member("member6")), "unban", member("member6"), "appeal"},
		{`/purge count:2 user:@member5`, "purge", member("member5"), ""},
	}
	var refs []string
	for i, s := range steps {
		r := h.run("mod", s.line)
		got := rec.wait(t, ID, i+1)[i]
		if got.Kind != s.kind || got.Case != int64(i+1) || got.ActorID != mod || got.TargetID != s.target || got.Reason != s.reason ||
			got.GuildID != snowflake.ID(h.g.ID) || got.DryRun {
			t.Errorf("%s: got %+v; want a %s by mod on %s, case #%d, reason %q", s.line, got, s.kind, s.target, i+1, s.reason)
		}
		if got.CorrelationID == "" || slices.Contains(refs, got.CorrelationID) {
			t.Errorf("%s: got correlation ID %q; want the command's own", s.line, got.CorrelationID)
		}
		refs = append(refs, got.CorrelationID)
		h.wantReply(r, fmt.Sprintf("case #%d", i+1))
		if got.Details["source"] != sourceCommand {
			t.Errorf("%s: details %v; want source command", s.line, got.Details)
		}
	}
	if a := rec.actions(ID)[5]; a.Details["ends_at"] == "" || a.Details["details"] != "for 1h" {
		t.Errorf("the temporary ban: details %v; want its end and its length", a.Details)
	}
	if a := rec.actions(ID)[8]; a.Details["channel"] != h.g.Channel("general").ID.String() {
		t.Errorf("the purge: details %v; want its channel", a.Details)
	}

	// The bot's own cases: a temporary ban's end, and a ban done in
	// Discord's interface.
	clock.Advance(2 * time.Hour)
	poke(h.m.wakeUnbans)
	expiry := rec.wait(t, ID, 10)[9]
	if expiry.Kind != "unban" || expiry.ActorID != 0 || expiry.TargetID != member("member4") || expiry.Details["source"] != sourceExpiry ||
		expiry.Details["ref_case"] != "6" {
		t.Errorf("the expiry: got %+v; want an unban of member4 by the bot itself, about case #6", expiry)
	}
	entry := bot.AuditLogEntry{GuildID: snowflake.ID(h.g.ID), ID: 9001, ActionType: int(discord.AuditLogEventMemberBanAdd), UserID: member("owner"),
		TargetID: member("member7"), Reason: "by hand"}
	if err := h.m.host.Bus().Publish(context.Background(), bot.TopicAuditLogEntry.Name(), entry); err != nil {
		t.Fatal(err)
	}
	manual := rec.wait(t, ID, 11)[10]
	if manual.Kind != "ban" || manual.ActorID != member("owner") || manual.Case != 11 || manual.Details["source"] != sourceDiscord ||
		manual.Details["audit_entry"] != "9001" {
		t.Errorf("the ban in Discord: got %+v; want case #11 by the owner, from audit entry 9001", manual)
	}
	h.waitModlog(11)
	wantNoForbidden(t, h.Emulator)
}

func TestAutomodActionsBecomeCasesAndWarningsCountTowardTheLadder(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	am := &automod{}
	h := start(t, setup{config: withLog + "\nescalation:\n  timeout_after: 2\n  timeout_for: 30m", extra: []bot.Module{rec, am}})
	guild := snowflake.ID(h.g.ID)
	member2, member3 := snowflake.ID(h.id("member2")), snowflake.ID(h.id("member3"))
	spam := map[string]string{"rule": "spam"}
	am.act(t, bot.Action{GuildID: guild, Kind: "automod.warn", TargetID: member2, Reason: "Automod: spam (5 messages in 3s)", Details: spam})
	am.act(t, bot.Action{GuildID: guild, Kind: "automod.delete", TargetID: member2, Details: spam})             // not a case
	am.act(t, bot.Action{GuildID: guild, Kind: "automod.warn", TargetID: member2, DryRun: true, Details: spam}) // would have
	am.act(t, bot.Action{GuildID: guild, Kind: "automod.timeout", TargetID: member3, Details: map[string]string{"rule": "invites", "duration": "10m"}})
	if c2 := h.waitCase(h.g.ID, 2); c2.Reason != "Automod: invites" {
		t.Errorf("case #2: reason %q; want the rule when automod gives no reason", c2.Reason)
	}
	am.act(t, bot.Action{GuildID: guild, Kind: "automod.warn", TargetID: member2, Reason: "duplicates", Details: map[string]string{"rule": "duplicates"}})

	c1 := h.waitCase(h.g.ID, 1)
	if c1.Action != ActionWarn || c1.Source != sourceAutomod || c1.ModeratorID != h.m.host.BotID() || c1.TargetID != member2 ||
		c1.Reason != "Automod: spam (5 messages in 3s)" || c1.Details != "rule spam" {
		t.Errorf("case #1: got %+v; want member2's warning by the bot, with the rule", c1)
	}
	c2 := h.waitCase(h.g.ID, 2)
	if c2.Action != ActionTimeout || c2.TargetID != member3 || c2.EndsAt.Sub(c2.CreatedAt) != 10*time.Minute || c2.Details != "rule invites; for 10m" {
		t.Errorf("case #2: got %+v; want member3's 10-minute timeout by automod", c2)
	}
	// The second warning reaches the ladder: the bot times member2 out.
	c4 := h.waitCase(h.g.ID, 4)
	if c4.Action != ActionTimeout || c4.Source != sourceEscalation || c4.RefCase != 3 || c4.TargetID != member2 {
		t.Errorf("case #4: got %+v; want the escalation's timeout of member2 after case #3", c4)
	}
	if !h.Emulator.WaitFor(5*time.Second, func() bool {
		m, _ := h.member("member2")
		return m.CommunicationDisabledUntil.After(time.Now().Add(29 * time.Minute))
	}) {
		t.Error("member2 is not timed out for 30 minutes; want the ladder applied")
	}
	want := []string{"Case #1 · Warning", "Case #2 · Timeout", "Case #3 · Warning", "Case #4 · Timeout"}
	if got := h.waitModlog(4); !slices.Equal(got, want) {
		t.Errorf("#mod-log shows %q; want %q", got, want)
	}
	// Only the escalation is moderation's own action: automod's cases are
	// not reported again.
	got := rec.wait(t, ID, 1)
	time.Sleep(100 * time.Millisecond) // nothing more arrives
	if got = rec.actions(ID); len(got) != 1 || got[0].Kind != "timeout" || got[0].Case != 4 || got[0].ActorID != 0 ||
		got[0].CorrelationID != "automod-ref" {
		t.Errorf("moderation's actions: got %+v; want only the escalation's timeout, case #4, with automod's reference", got)
	}
	if n := len(rec.actions("automod")); n != 5 {
		t.Errorf("got %d automod actions; want the 5 it reported, each once", n)
	}
	if _, err := h.m.cases.get(context.Background(), guild, 5); err == nil {
		t.Error("case #5 exists; want no case for a deletion or a dry run")
	}
	wantNoForbidden(t, h.Emulator)
}
