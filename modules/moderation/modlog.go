package moderation

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"
)

// Modlog pacing. Discord allows about 5 messages per 5 s in a channel;
// one message a second, with up to 10 cases in it, stays under that
// without reading headers the host's REST interface does not show.
const (
	modlogSpacing  = time.Second
	embedsPerPost  = 10 // Discord's limit per message
	modlogNeeds    = discord.PermissionViewChannel | discord.PermissionSendMessages | discord.PermissionEmbedLinks
	maxRetryAfter  = 30 * time.Second
	modlogBatchMax = 50
)

// modlogLoop posts the cases marked pending, oldest first, until ctx
// ends. Pending cases survive a restart: the loop catches up at start.
func (m *Module) modlogLoop(ctx context.Context) {
	defer m.loops.Done()
	log := m.host.Log().With(zap.String("loop", "modlog"))
	var last time.Time // when the last message went out
	for {
		wait, err := m.postPending(ctx, &last)
		if err != nil && ctx.Err() == nil {
			log.Warn("modlog", zap.Error(err))
		}
		if !sleep(ctx, wait, m.wakeModlog) {
			return
		}
	}
}

// postPending posts what is pending and says how long to wait before
// looking again: a tick when done or when a guild is not known yet, less
// when Discord asked to wait.
func (m *Module) postPending(ctx context.Context, last *time.Time) (time.Duration, error) {
	var later []snowflake.ID // guilds not in the cache yet
	for ctx.Err() == nil {
		pending, err := m.cases.pendingModlog(ctx, modlogBatchMax, later)
		if err != nil {
			return m.tick, err
		}
		if len(pending) == 0 {
			return m.tick, nil
		}
		for len(pending) > 0 {
			guild := pending[0].GuildID
			n := 1
			for n < len(pending) && n < embedsPerPost && pending[n].GuildID == guild {
				n++
			}
			batch := pending[:n]
			for n < len(pending) && pending[n].GuildID == guild {
				n++ // the rest of this guild waits for the next round
			}
			pending = pending[n:]
			state, wait, err := m.postBatch(ctx, guild, batch, last)
			if err != nil {
				return wait, err
			}
			if state == modlogPending {
				later = append(later, guild)
				continue
			}
			numbers := make([]int64, len(batch))
			for i, c := range batch {
				numbers[i] = c.Number
			}
			// What was posted is recorded even when shutdown began
			// meanwhile, or it would be posted again at the next start.
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			err = m.cases.setModlog(wctx, guild, numbers, state)
			cancel()
			if err != nil {
				return m.tick, err
			}
		}
	}
	return 0, ctx.Err()
}

// postBatch posts up to 10 cases of one guild in one message and returns
// their new state; modlogPending when the guild is not known yet (the
// bot is starting, or the guild is down).
func (m *Module) postBatch(ctx context.Context, guild snowflake.ID, batch []Case, last *time.Time) (string, time.Duration, error) {
	channel := snowflake.ID(m.cfg.LogChannel)
	if channel == 0 {
		return modlogNone, 0, nil
	}
	if _, ok := m.host.Guild(guild); !ok {
		return modlogPending, 0, nil
	}
	perms, err := m.host.BotPermissions(guild, channel)
	if err != nil {
		return modlogNone, 0, nil // the log channel belongs to another guild
	}
	if missing := modlogNeeds &^ perms; missing != 0 {
		m.host.Log().Warn("modlog: the bot may not post in the log channel; cases are not posted",
			zap.Uint64("guild_id", uint64(guild)), zap.Uint64("channel_id", uint64(channel)),
			zap.String("missing", permissionNames(missing)))
		return modlogSkipped, 0, nil
	}
	if wait := time.Until(last.Add(modlogSpacing)); wait > 0 {
		if !sleep(ctx, wait, nil) {
			return modlogPending, 0, ctx.Err()
		}
	}
	now := m.clock.Now()
	embeds := make([]discord.Embed, len(batch))
	for i, c := range batch {
		embeds[i] = caseEmbed(c, now)
	}
	// Once begun, a post finishes even if shutdown begins: Stop waits.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	_, err = m.host.REST().Messages.Send(sctx, channel, discord.MessageCreate{Embeds: embeds})
	cancel()
	*last = time.Now()
	if err == nil {
		return modlogPosted, 0, nil
	}
	if wait, limited := retryAfter(err); limited {
		return modlogPending, wait, err
	}
	var re *rest.Error
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 400 && re.Response.StatusCode < 500 {
		m.host.Log().Warn("modlog: Discord refused the post", zap.Uint64("guild_id", uint64(guild)), zap.Error(err))
		return modlogFailed, 0, nil
	}
	return modlogPending, m.tick, err // a network error or a 5xx: later
}

// retryAfter reads how long a 429 asks to wait.
func retryAfter(err error) (time.Duration, bool) {
	var re *rest.Error
	if !errors.As(err, &re) || re.Response == nil || re.Response.StatusCode != 429 {
		return 0, false
	}
	secs, perr := strconv.ParseFloat(re.Response.Header.Get("Retry-After"), 64)
	if perr != nil || secs <= 0 {
		secs = 1
	}
	return min(time.Duration(secs*float64(time.Second)), maxRetryAfter), true
}
