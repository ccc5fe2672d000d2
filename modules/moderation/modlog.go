package moderation

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/ratelimit"
)

// The modlog is posted by one loop from the cases marked pending in the
// store, up to ten embeds a message. It does not pace itself: the host's
// REST limiter holds each post until Discord's headers allow it, and a
// post the limiter sheds or Discord answers with a 5xx stays pending and
// goes at the next round. Woken by a new case, it waits modlogGather for
// the cases that come with it (a burst of actions, an automod wave), so
// that they share messages; while the limiter holds a post, the cases
// recorded meanwhile pile up and go together next.
//
// Why not ratelimit.Coalescer: it merges entries well, but says nothing
// about which ones reached Discord (Add returns once an entry is queued,
// and an entry it fails to send is dropped with a log line). A case's
// pending mark may only be cleared once its message went out, or a crash
// between the two loses the post; so the loop posts and marks itself.
const (
	embedsPerPost  = 10 // Discord's limit per message
	modlogNeeds    = discord.PermissionViewChannel | discord.PermissionSendMessages | discord.PermissionEmbedLinks
	modlogBatchMax = 50
	modlogGather   = 500 * time.Millisecond
)

// modlogLoop posts the cases marked pending, oldest first, until ctx
// ends. Pending cases survive a restart: the loop catches up at start.
func (m *Module) modlogLoop(ctx context.Context) {
	defer m.loops.Done()
	log := m.host.Log().With(zap.String("loop", "modlog"))
	for {
		wait, err := m.postPending(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("modlog", zap.Error(err))
		}
		if !sleep(ctx, wait, m.wakeModlog) || !sleep(ctx, modlogGather, nil) {
			return
		}
	}
}

// postPending posts what is pending and says how long to wait before
// looking again: a tick when done, or when a guild is not known yet or a
// post must be tried again later. The cases of guilds the bot left are
// left out by the query: they wait until it is back.
func (m *Module) postPending(ctx context.Context) (time.Duration, error) {
	var later []snowflake.ID // guilds not in the cache yet, or whose post failed for now
	var failure error
	for ctx.Err() == nil {
		pending, err := m.cases.pendingModlog(ctx, modlogBatchMax, later)
		if err != nil {
			return m.tick, err
		}
		if len(pending) == 0 {
			return m.tick, failure
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
			state, err := m.postBatch(ctx, guild, batch)
			if err != nil {
				failure = err
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
// their new state: modlogPending when the guild is not known yet (the
// bot is starting, or the guild is in an outage) or the post should be
// tried again later (with the error that says why).
func (m *Module) postBatch(ctx context.Context, guild snowflake.ID, batch []Case) (string, error) {
	channel := m.settingsOf(ctx, guild).LogChannel
	if channel == 0 {
		return modlogNone, nil
	}
	if _, ok := m.knownGuild(guild); !ok {
		return modlogPending, nil
	}
	perms, err := m.host.BotPermissions(guild, channel)
	if err != nil {
		// Not a channel of this guild: the config file's log_channel is
		// every guild's default, and serves only its own.
		return modlogNone, nil
	}
	if missing := modlogNeeds &^ perms; missing != 0 {
		m.host.Log().Warn("modlog: the bot may not post in the log channel; cases are not posted",
			zap.Uint64("guild_id", uint64(guild)), zap.Uint64("channel_id", uint64(channel)),
			zap.String("missing", bot.PermissionNames(missing)))
		return modlogSkipped, nil
	}
	now := m.clock.Now()
	embeds := make([]discord.Embed, len(batch))
	for i, c := range batch {
		embeds[i] = caseEmbed(c, now)
	}
	// Once begun, a post finishes even if shutdown begins: Stop waits. It
	// is cosmetic for the limiter (it may shed it): the case stays
	// pending and is posted later.
	sctx, cancel := context.WithTimeout(ratelimit.NonEssential(context.WithoutCancel(ctx)), 30*time.Second)
	_, err = m.host.REST().Messages.Send(sctx, channel, discord.MessageCreate{Embeds: embeds})
	cancel()
	if err == nil {
		return modlogPosted, nil
	}
	var re *rest.Error
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 400 && re.Response.StatusCode < 500 &&
		re.Response.StatusCode != http.StatusTooManyRequests {
		m.host.Log().Warn("modlog: Discord refused the post", zap.Uint64("guild_id", uint64(guild)), zap.Error(err))
		return modlogFailed, nil
	}
	// Shed, held too long by the limiter, a 5xx or the network: later.
	return modlogPending, err
}
