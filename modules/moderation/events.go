package moderation

import (
	"context"
	"errors"

	"github.com/disgoorg/disgo/discord"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/bot/bus"
)

// subscribe listens to messages (the /purge index), audit log entries
// (cases for actions done in Discord's interface) and guilds coming
// back (the loops retry what waited for them).
func (m *Module) subscribe(h *bot.Host) error {
	err := errors.Join(
		bot.Subscribe(h, bot.TopicMessageCreated, "purge-index", bus.DropOldest, func(_ context.Context, e bot.MessageCreated) error {
			m.index.add(e)
			return nil
		}),
		bot.Subscribe(h, bot.TopicMessageDeleted, "purge-index-deleted", bus.DropOldest, func(_ context.Context, e bot.MessageDeleted) error {
			m.index.remove(e.ChannelID, e.ID)
			return nil
		}),
		bot.Subscribe(h, bot.TopicMessagesBulkDeleted, "purge-index-bulk-deleted", bus.DropOldest,
			func(_ context.Context, e bot.MessagesBulkDeleted) error {
				m.index.remove(e.ChannelID, e.IDs...)
				return nil
			}),
		bot.Subscribe(h, bot.TopicAuditLogEntry, "audit-log", bus.Backpressure, m.auditEntry),
		bot.Subscribe(h, bot.TopicGuildJoined, "guilds", bus.DropOldest, func(context.Context, bot.GuildJoined) error {
			poke(m.wakeUnbans)
			poke(m.wakeModlog)
			return nil
		}),
	)
	if err != nil {
		return err
	}
	if m.cfg.ContentMatching {
		return bot.Subscribe(h, bot.TopicMessageEdited, "purge-index-edited", bus.DropOldest, func(_ context.Context, e bot.MessageEdited) error {
			m.index.edit(e)
			return nil
		})
	}
	return nil
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
