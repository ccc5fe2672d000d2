package moderation

import (
	"context"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot"
)

// report publishes a new case on the audit trail (bot.TopicAction), with
// the correlation ID ctx carries (a command's). A case that came from
// automod's own action is not reported again: automod reported it. A
// failure is logged; the case stands.
func (m *Module) report(ctx context.Context, c Case) {
	if c.Source == sourceAutomod {
		return
	}
	a := bot.Action{GuildID: c.GuildID, Kind: string(c.Action), ActorID: c.ModeratorID, TargetID: c.TargetID,
		Reason: c.Reason, Case: c.Number, At: c.CreatedAt, Details: map[string]string{"source": c.Source}}
	switch c.Source {
	case sourceEscalation, sourceExpiry:
		a.ActorID = 0 // the bot, on its own
	}
	if a.TargetID == 0 && c.channel != 0 {
		a.TargetID = c.channel // a purge of everyone's messages
	}
	if c.channel != 0 {
		a.Details["channel"] = c.channel.String()
	}
	if c.Details != "" {
		a.Details["details"] = c.Details
	}
	if !c.EndsAt.IsZero() {
		a.Details["ends_at"] = c.EndsAt.UTC().Format(time.RFC3339)
	}
	if c.RefCase != 0 {
		a.Details["ref_case"] = strconv.FormatInt(c.RefCase, 10)
	}
	if c.AuditEntry != 0 {
		a.Details["audit_entry"] = c.AuditEntry.String()
	}
	if err := m.host.Record(ctx, a); err != nil {
		m.host.Log().Warn("audit trail: case not reported", zap.Uint64("guild_id", uint64(c.GuildID)),
			zap.Int64("case", c.Number), zap.Error(err))
	}
}

// automodKinds maps the automod actions that become cases to their
// action.
var automodKinds = map[string]Action{
	"automod.warn":    ActionWarn,
	"automod.timeout": ActionTimeout,
	"automod.kick":    ActionKick,
	"automod.ban":     ActionBan,
}

// automodAction turns what automod did (not what a dry run would have
// done) into a case: a warning, timeout, kick or ban by the bot, with the
// rule in its reason, posted to the modlog. A warning counts toward the
// warning ladder, which is applied. The case is not reported on the
// audit trail again, and the module's own actions are ignored, so no
// action goes round in a loop.
func (m *Module) automodAction(ctx context.Context, a bot.Action) error {
	if m.cases == nil || a.Module != "automod" || a.DryRun || a.TargetID == 0 || a.GuildID == 0 {
		return nil
	}
	act, ok := automodKinds[a.Kind]
	if !ok {
		return nil
	}
	rule := a.Details["rule"]
	// Automod's reason names the rule ("Automod: spam (6 messages in
	// 5s)"); without one, the rule is the reason.
	reason := strings.TrimSpace(a.Reason)
	if reason == "" {
		reason = strings.TrimSpace("Automod: " + rule)
	}
	c := Case{GuildID: a.GuildID, Action: act, TargetID: a.TargetID, ModeratorID: m.host.BotID(), Reason: clip(reason, maxReason),
		Source: sourceAutomod, CreatedAt: a.At}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = m.clock.Now()
	}
	var details []string
	if rule != "" {
		details = append(details, "rule "+rule)
	}
	if act == ActionTimeout {
		if d, err := bot.ParseDuration(a.Details["duration"]); err == nil && d > 0 {
			c.EndsAt = c.CreatedAt.Add(d)
			details = append(details, "for "+bot.FormatDuration(d))
		}
	}
	c.Details = strings.Join(details, "; ")
	// What the escalation does is reported with automod's reference.
	ctx = bot.WithCorrelation(ctx, a.CorrelationID)
	log := m.host.Log().With(zap.Uint64("guild_id", uint64(a.GuildID)), zap.String("automod", a.Kind),
		zap.String("correlation_id", a.CorrelationID))
	w, err := m.record(ctx, c, nil)
	if err != nil {
		return err
	}
	if act == ActionWarn {
		if note := m.escalate(ctx, log, nil, w); note != "" {
			log.Info("escalation after an automod warning", zap.Int64("case", w.Number), zap.String("outcome", note))
		}
	}
	return nil
}

// guildJoined resumes a guild's jobs when the bot is back in it (or
// comes back up): overdue unbans and pending posts are caught up.
func (m *Module) guildJoined(ctx context.Context, e bot.GuildJoined) error {
	if m.cases != nil {
		back, err := m.cases.markBack(ctx, e.GuildID)
		if err != nil {
			return err
		}
		if back {
			m.host.Log().Info("back in a guild: its temporary bans and modlog resume", zap.Uint64("guild_id", uint64(e.GuildID)))
		}
	}
	m.wake()
	return nil
}

// guildLeft stops a guild's jobs: its temporary bans and pending modlog
// posts wait until the bot is back, or until DeleteGuild erases them.
func (m *Module) guildLeft(ctx context.Context, e bot.GuildLeft) error {
	if m.cases == nil {
		return nil
	}
	if err := m.cases.markDeparted(ctx, e.GuildID, m.clock.Now()); err != nil {
		return err
	}
	m.host.Log().Info("removed from a guild: its temporary bans and modlog wait", zap.Uint64("guild_id", uint64(e.GuildID)))
	return nil
}

// guildOutage changes nothing but waking the loops when the guild is
// back: during the outage they wait for it, as for a guild not known yet.
func (m *Module) guildOutage(_ context.Context, e bot.GuildOutage) error {
	if !e.Down {
		m.wake()
	}
	return nil
}

// wake wakes both loops.
func (m *Module) wake() {
	poke(m.wakeUnbans)
	poke(m.wakeModlog)
}
