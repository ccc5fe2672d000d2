package moderation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/ratelimit"
)

const (
	// maxPurge is the most messages one /purge deletes.
	maxPurge = 1000
	// maxScan bounds how many messages one /purge reads, newest first,
	// looking for those that match: the channel's last 1,000.
	maxScan = 1000
	// pageSize is how many messages one history request returns (at most
	// 100, Discord's limit).
	pageSize = 100
	// youngChunk and oldChunk are how many messages one ratelimit.Purge
	// call deletes between two progress reports: a bulk delete's worth of
	// messages under 14 days, fewer of the older ones, which go one by one.
	youngChunk = 100
	oldChunk   = 20
	// bulkAge is the age past which ratelimit.Purge deletes a message on
	// its own (14 days less an hour), for saying so in the reply.
	bulkAge = 14*24*time.Hour - time.Hour
	// purgeMargin is kept from the handler's time limit to answer in.
	purgeMargin = 3 * time.Second
	// progressEvery spaces the progress reports.
	progressEvery = 2 * time.Second
)

// purgeNeeds are the bot's permissions in the channel a purge needs:
// reading the history and deleting others' messages.
const purgeNeeds = discord.PermissionViewChannel | discord.PermissionReadMessageHistory | discord.PermissionManageMessages

func (m *Module) purge(ctx context.Context, r *bot.Request) (bot.Response, error) {
	if m.cases == nil {
		return bot.Response{}, errNoStore
	}
	count, _ := r.Int("count")
	contains, _ := r.String("contains")
	contains = strings.ToLower(strings.TrimSpace(contains))
	if contains != "" && !m.contentMatching() {
		return bot.Response{}, m.noContentMatching()
	}
	who, _, hasUser := r.UserOption("user")
	perms, err := m.host.BotPermissions(r.GuildID, r.ChannelID)
	if err != nil {
		return bot.Response{}, userErr("I don't know my permissions in this channel yet; try again in a moment.")
	}
	if missing := purgeNeeds &^ perms; missing != 0 {
		return bot.Response{}, userErr("I need the %s permission in this channel to delete messages: ask an admin to give it to my role.",
			bot.PermissionNames(missing))
	}
	if !m.claim(r.ChannelID) {
		return bot.Response{}, userErr("A purge is already running in this channel; wait for it to finish.")
	}
	defer m.release(r.ChannelID)

	// Stop early enough to answer before the host's time limit.
	pctx := ctx
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		pctx, cancel = context.WithDeadline(ctx, deadline.Add(-purgeMargin))
		defer cancel()
	}
	match := func(msg discord.Message) bool {
		return (!hasUser || msg.Author.ID == who.ID) && (contains == "" || strings.Contains(strings.ToLower(msg.Content), contains))
	}
	found, err := m.scan(pctx, r.ChannelID, r.InteractionID, int(count), match)
	filter := describeFilter(who, hasUser, contains)
	if len(found.ids) == 0 {
		if err != nil {
			return bot.Response{}, purgeFailed(ctx, err, "reading this channel's messages")
		}
		if found.scanned == 0 {
			return bot.Response{Content: "Nothing to remove: I see no messages in this channel."}, nil
		}
		return bot.Response{Content: fmt.Sprintf("Nothing to remove: no message%s among the last %s here.",
			filter, plural(found.scanned, "message"))}, nil
	}
	now := m.clock.Now()
	p := &purger{m: m, r: r, channel: r.ChannelID, total: len(found.ids), reason: auditReason(r.User, "/purge")}
	res, delErr := p.run(pctx, found.ids, now)
	if res.Deleted == 0 && res.Missing == 0 && delErr != nil {
		return bot.Response{}, purgeFailed(ctx, delErr, "deleting messages")
	}

	details := fmt.Sprintf("%s in <#%s>%s", plural(res.Deleted, "message"), r.ChannelID, filter)
	c := Case{GuildID: r.GuildID, Action: ActionPurge, ModeratorID: r.User.ID, Details: details, channel: r.ChannelID}
	if hasUser {
		c.TargetID, c.TargetName = who.ID, who.Username
	}
	c, recErr := m.record(ctx, c, nil)
	if recErr != nil {
		r.Log.Error("purge done but not recorded", zap.Error(recErr))
	}

	var b strings.Builder
	fmt.Fprintf(&b, "Removed %s%s", plural(res.Deleted, "message"), filter)
	if recErr == nil {
		fmt.Fprintf(&b, " (case #%d)", c.Number)
	}
	b.WriteString(".")
	var reqs []string
	if res.Bulk > 0 {
		reqs = append(reqs, plural(res.Bulk, "bulk delete"))
	}
	if res.Single > 0 {
		reqs = append(reqs, plural(res.Single, "single delete"))
	}
	if len(reqs) > 0 {
		fmt.Fprintf(&b, " It took %s", strings.Join(reqs, " and "))
		if old := countOld(found.ids, now); old > 0 {
			b.WriteString(" (Discord deletes messages older than 14 days one at a time)")
		}
		b.WriteString(".")
	}
	if res.Missing > 0 {
		fmt.Fprintf(&b, " %s already gone.", plural(res.Missing, "was", "were"))
	}
	if len(found.ids) < int(count) && found.bounded && err == nil {
		fmt.Fprintf(&b, " I looked through the last %d messages here, the most one purge reads.", maxScan)
	}
	if err = errors.Join(err, delErr); err != nil {
		fmt.Fprintf(&b, " I stopped there: %s", stopReason(ctx, err))
	}
	return bot.Response{Content: b.String()}, nil
}

// noContentMatching says why /purge contains is unavailable.
func (m *Module) noContentMatching() error {
	why := "the bot runs without the MESSAGE_CONTENT intent, so it can't read what messages say. Nothing was deleted. " +
		"Purge by count or user, or ask the bot's admin to set modules.moderation.content_matching " +
		"(and turn on MESSAGE CONTENT INTENT in the Developer Portal)."
	if m.cfg.ContentMatching {
		why = "Discord has not granted this bot the MESSAGE_CONTENT intent, so it can't read what messages say. " +
			"Nothing was deleted. Purge by count or user, or ask the bot's admin to turn on MESSAGE CONTENT INTENT " +
			"in the Developer Portal (Bot → Privileged Gateway Intents) and restart the bot."
	}
	return userErr("Content matching is unavailable: %s", why)
}

// scanned is what scan found.
type scanned struct {
	ids     []snowflake.ID // newest first
	scanned int            // messages read
	bounded bool           // stopped at maxScan, not at the channel's start
}

// scan reads the channel's history older than before, newest first, a
// page at a time, until count messages match, maxScan were read, or the
// channel has no more. On an error it returns what it found so far.
func (m *Module) scan(ctx context.Context, channel, before snowflake.ID, count int, match func(discord.Message) bool) (scanned, error) {
	var s scanned
	for s.scanned < maxScan && len(s.ids) < count {
		limit := min(pageSize, maxScan-s.scanned)
		page, err := m.host.REST().Messages.List(ctx, channel, before, limit)
		if err != nil {
			return s, err
		}
		for _, msg := range page {
			s.scanned++
			if match(msg) {
				if s.ids = append(s.ids, msg.ID); len(s.ids) == count {
					return s, nil
				}
			}
		}
		if len(page) < limit {
			return s, nil // the channel's first message
		}
		before = page[len(page)-1].ID
	}
	s.bounded = len(s.ids) < count
	return s, nil
}

// countOld counts the messages too old for a bulk delete.
func countOld(ids []snowflake.ID, now time.Time) int {
	n := 0
	for _, id := range ids {
		if now.Sub(id.Time()) >= bulkAge {
			n++
		}
	}
	return n
}

// claim marks a channel as being purged; false when it already is.
func (m *Module) claim(channel snowflake.ID) bool {
	m.purgesMu.Lock()
	defer m.purgesMu.Unlock()
	if m.purges[channel] {
		return false
	}
	m.purges[channel] = true
	return true
}

func (m *Module) release(channel snowflake.ID) {
	m.purgesMu.Lock()
	delete(m.purges, channel)
	m.purgesMu.Unlock()
}

// plural writes n with the word, singular or plural ("1 message",
// "2 messages"); a third argument is the plural when not word+"s", and
// then the number is left out ("was", "were").
func plural(n int, word string, pl ...string) string {
	if len(pl) > 0 {
		if n == 1 {
			return "1 " + word
		}
		return fmt.Sprintf("%d %s", n, pl[0])
	}
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func describeFilter(who bot.User, hasUser bool, contains string) string {
	var s string
	if hasUser {
		s += " from " + displayName(who, nil)
	}
	if contains != "" {
		s += fmt.Sprintf(" containing %q", contains)
	}
	return s
}

// outOfTime reports whether err means the purge's own deadline came (or
// the limiter knew a request would wait past it) while the command still
// had time to answer.
func outOfTime(ctx context.Context, err error) bool {
	return ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ratelimit.ErrWaitTooLong))
}

// stopReason says in a sentence why a purge stopped early.
func stopReason(ctx context.Context, err error) string {
	switch {
	case outOfTime(ctx, err):
		return "one command may only run so long; run /purge again for the rest."
	case errors.Is(err, ratelimit.ErrShed), errors.Is(err, ratelimit.ErrBanned):
		return "Discord's rate limits hold the bot back right now; try again in a few minutes."
	}
	return "Discord refused: " + restMessage(err)
}

// purgeFailed is the error of a purge that did nothing: a message when
// the reason is one a person can act on, the error itself otherwise.
func purgeFailed(ctx context.Context, err error, doing string) error {
	if outOfTime(ctx, err) || errors.Is(err, ratelimit.ErrShed) || errors.Is(err, ratelimit.ErrBanned) {
		return userErr("Nothing was deleted: %s", stopReason(ctx, err))
	}
	return fmt.Errorf("moderation: purge: %s: %w", doing, err)
}

// purger deletes the messages of one /purge and reports its progress.
type purger struct {
	m          *Module
	r          *bot.Request
	channel    snowflake.ID
	total      int
	reason     string
	lastReport time.Time
}

// run deletes ids (newest first) through ratelimit.Purge, a chunk at a
// time so that progress can be reported between chunks: bulk deletes of
// up to 100 for messages under 14 days, then the older ones, which go
// one by one. The host's limiter paces the requests. It stops at the
// first error and returns what was done.
func (p *purger) run(ctx context.Context, ids []snowflake.ID, now time.Time) (ratelimit.PurgeResult, error) {
	var young, old []snowflake.ID
	for _, id := range ids {
		if now.Sub(id.Time()) < bulkAge {
			young = append(young, id)
		} else {
			old = append(old, id)
		}
	}
	var chunks [][]snowflake.ID
	for len(young) > 0 {
		n := min(len(young), youngChunk)
		chunks, young = append(chunks, young[:n]), young[n:]
	}
	for len(old) > 0 {
		n := min(len(old), oldChunk)
		chunks, old = append(chunks, old[:n]), old[n:]
	}
	d := p.m.host.Deleter(p.reason)
	var total ratelimit.PurgeResult
	for _, chunk := range chunks {
		res, err := ratelimit.Purge(ctx, d, p.channel, chunk, now)
		total.Deleted += res.Deleted
		total.Missing += res.Missing
		total.Bulk += res.Bulk
		total.Single += res.Single
		if err != nil {
			return total, err
		}
		p.report(ctx, total.Deleted+total.Missing)
	}
	return total, nil
}

// report sends a progress followup once the host has deferred the reply
// (the purge is slow), then every few seconds. It is cosmetic: the
// limiter may shed it.
func (p *purger) report(ctx context.Context, done int) {
	if done >= p.total || !p.r.Deferred() || time.Since(p.lastReport) < progressEvery {
		return
	}
	p.lastReport = time.Now()
	err := p.r.Followup(ratelimit.NonEssential(ctx), bot.Response{
		Content: fmt.Sprintf("Removed %d of %s so far…", done, plural(p.total, "message")), Ephemeral: true})
	if err != nil {
		p.r.Log.Debug("purge progress", zap.Error(err))
	}
}
