package logs

import (
	"context"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/ratelimit"
)

// postNeeds is what the bot needs in the log channel.
const postNeeds = discord.PermissionViewChannel | discord.PermissionSendMessages | discord.PermissionEmbedLinks

// addWait is how long an entry waits for room in the coalescer's queue
// before it is dropped.
const addWait = time.Second

// post queues an entry for the guild's log channel, when the bot may
// post there: otherwise Discord would answer 403, so nothing is sent and
// a warning is logged once.
func (m *Module) post(ctx context.Context, guild, channel snowflake.ID, e ratelimit.Entry) {
	if !m.canPost(guild, channel) {
		m.skipped.Add(1)
		return
	}
	actx, cancel := context.WithTimeout(ctx, addWait)
	defer cancel()
	if err := m.out.Add(actx, channel, e); err != nil {
		m.dropped.Add(1)
		m.log.Debug("log entry dropped", zap.Uint64("guild_id", uint64(guild)), zap.Error(err))
		return
	}
	m.queued.Add(1)
}

// canPost checks the bot's permissions in the log channel, from the
// cache, and warns once per guild and problem when it may not post.
func (m *Module) canPost(guild, channel snowflake.ID) bool {
	perms, err := m.permissions(guild, channel)
	switch missing := postNeeds &^ perms; {
	case err != nil:
		m.warnOnce(guild, "the log channel "+channel.String()+" is not a channel of this server the bot can see; nothing is posted until the logs channel setting names one")
		return false
	case missing != 0:
		m.warnOnce(guild, "the bot lacks "+bot.PermissionNames(missing)+" in the log channel "+channel.String()+"; nothing is posted until it has them")
		return false
	}
	m.warnMu.Lock()
	delete(m.warned, guild) // a later problem warns again
	m.warnMu.Unlock()
	return true
}

// warnOnce logs a problem of a guild, unless it was the last one logged
// for that guild.
func (m *Module) warnOnce(guild snowflake.ID, problem string) {
	m.warnMu.Lock()
	seen := m.warned[guild] == problem
	m.warned[guild] = problem
	m.warnMu.Unlock()
	if !seen {
		m.log.Warn("logs: "+problem, zap.Uint64("guild_id", uint64(guild)))
	}
}
