package moderation

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"
)

// unbanLoop lifts temporary bans when they end, until ctx ends. The
// schedule is in the store, so bans that ended while the bot was down
// are lifted as soon as it is back and knows their guild.
func (m *Module) unbanLoop(ctx context.Context) {
	defer m.loops.Done()
	log := m.host.Log().With(zap.String("loop", "unbans"))
	for {
		wait, err := m.liftDue(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("temporary bans", zap.Error(err))
		}
		if !sleep(ctx, wait, m.wakeUnbans) {
			return
		}
	}
}

// liftDue lifts the temporary bans due now and says how long to wait
// before looking again: until the next one is due, at most a tick. The
// bans of guilds the bot left wait until it is back (the query leaves
// them out); those of guilds not in the cache yet wait a tick.
func (m *Module) liftDue(ctx context.Context) (time.Duration, error) {
	var later []snowflake.ID // guilds not in the cache yet
	failed := false
	for {
		due, err := m.cases.dueUnbans(ctx, m.clock.Now(), unbanBatch, later)
		if err != nil {
			return m.tick, err
		}
		for _, b := range due {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			if slices.Contains(later, b.GuildID) {
				continue
			}
			wait, err := m.lift(ctx, b)
			if err != nil {
				failed = true
				m.host.Log().Warn("lift a temporary ban", zap.Uint64("guild_id", uint64(b.GuildID)),
					zap.Uint64("user_id", uint64(b.UserID)), zap.Int64("case", b.Case), zap.Error(err))
			}
			if wait {
				later = append(later, b.GuildID)
			}
		}
		if len(due) < unbanBatch || failed {
			break // a failure waits a tick, whatever it was
		}
	}
	if len(later) > 0 || failed {
		return m.tick, nil
	}
	next, ok, err := m.cases.nextUnban(ctx)
	if err != nil || !ok {
		return m.tick, err
	}
	return max(min(next.Sub(m.clock.Now()), m.tick), 0), nil
}

// unbanBatch is how many due bans liftDue reads at once.
const unbanBatch = 50

// lift ends one temporary ban. later is true when its guild is not
// known yet (the bot is starting, or the guild is in an outage): the ban
// is tried again soon, without counting an attempt. A failure postpones
// the ban (see retry), so the same ban is not tried again at once.
func (m *Module) lift(ctx context.Context, b tempBan) (later bool, err error) {
	g, ok := m.knownGuild(b.GuildID)
	if !ok {
		return true, nil
	}
	reason := fmt.Sprintf("Temporary ban ended (case #%d)", b.Case)
	if err := m.botMay(g, discord.PermissionBanMembers, "lift bans"); err != nil {
		return false, m.retry(ctx, b, err)
	}
	err = m.host.REST().Members.Unban(ctx, b.GuildID, b.UserID, reason)
	switch {
	case rest.IsJSONErrorCode(err, rest.JSONErrorCodeUnknownBan):
		// Lifted already, by someone else.
		return false, m.cases.forgetUnban(ctx, b)
	case err != nil:
		return false, m.retry(ctx, b, err)
	}
	name := ""
	if ban, err := m.cases.get(ctx, b.GuildID, b.Case); err == nil {
		name = ban.TargetName
	}
	_, err = m.record(ctx, Case{GuildID: b.GuildID, Action: ActionUnban, TargetID: b.UserID, TargetName: name,
		ModeratorID: m.host.BotID(), Reason: reason, Source: sourceExpiry, RefCase: b.Case}, func(tx txCases, c Case) error {
		return tx.forget(ctx, b)
	})
	if err != nil {
		// The ban is lifted: forget it even if the case could not be
		// recorded, so it is not lifted twice.
		return false, fmt.Errorf("%w (and forgetting it: %v)", err, m.cases.forgetUnban(ctx, b))
	}
	return false, nil
}

// retry postpones a ban that could not be lifted, waiting longer after
// each failure (1 minute, doubling, at most an hour), and reports why.
func (m *Module) retry(ctx context.Context, b tempBan, cause error) error {
	wait := min(time.Minute<<min(b.Attempts, 6), time.Hour)
	if err := m.cases.postpone(ctx, b, m.clock.Now().Add(wait)); err != nil {
		return fmt.Errorf("%w; postpone: %v", cause, err)
	}
	return fmt.Errorf("%w; next attempt in %s", cause, wait)
}
