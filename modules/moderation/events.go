package moderation

import (
	"context"
	"errors"

	"github.com/disgoorg/disgo/discord"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bus"
)

// subscribe listens to audit log entries (cases for actions done in
// Discord's interface), automod's actions on the audit trail (cases for
// them), and guilds coming, going and coming back (the loops stop and
// resume).
func (m *Module) subscribe(h *bot.Host) error {
	return errors.Join(
		bot.Subscribe(h, bot.TopicAuditLogEntry, "audit-log", bus.Backpressure, m.auditEntry),
		// A spam wave is many automod actions at once: room for them.
		bot.SubscribeWith(h, bot.TopicAction, bus.Options{Name: "automod-actions", Policy: bus.Backpressure, Queue: 1024},
			m.automodAction),
		bot.Subscribe(h, bot.TopicGuildJoined, "guild-joined", bus.Backpressure, m.guildJoined),
		bot.Subscribe(h, bot.TopicGuildLeft, "guild-left", bus.Backpressure, m.guildLeft),
		bot.Subscribe(h, bot.TopicGuildOutage, "guild-outage", bus.DropOldest, m.guildOutage),
	)
}

// auditEntry turns a kick, ban or unban done in Discord's own interface
// into a case. The bot's own actions are cases already; an entry seen
// twice (a replay after a RESUME) is recorded once.
func (m *Module) auditEntry(ctx context.Context, e bot.AuditLogEntry) error {
	if m.cases == nil || e.UserID == m.host.BotID() || e.TargetID == m.host.BotID() || e.TargetID == 0 {
		return nil
	}
	var a Action
	switch discord.AuditLogEvent(e.ActionType) {
	case discord.AuditLogEventMemberKick:
		a = ActionKick
	case discord.AuditLogEventMemberBanAdd:
		a = ActionBan
	case discord.AuditLogEventMemberBanRemove:
		a = ActionUnban
	default:
		return nil
	}
	now := m.clock.Now()
	_, err := m.record(ctx, Case{GuildID: e.GuildID, Action: a, TargetID: e.TargetID, ModeratorID: e.UserID, Reason: e.Reason,
		Source: sourceDiscord, AuditEntry: e.ID, CreatedAt: now}, func(tx txCases, c Case) error {
		if a != ActionUnban {
			return nil
		}
		// Unbanned by hand: the temporary ban, if any, is over.
		if err := tx.cancelUnban(ctx, e.GuildID, e.TargetID); err != nil {
			return err
		}
		return tx.endEarly(ctx, e.GuildID, e.TargetID, ActionBan, now)
	})
	if errors.Is(err, errDuplicate) {
		return nil
	}
	return err
}
