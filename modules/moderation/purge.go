package moderation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot"
)

const (
	// maxPurge is the most messages one /purge deletes.
	maxPurge = 1000
	// bulkMax is the most IDs a bulk delete takes (contract A.1.21).
	bulkMax = 100
	// bulkAge is the age past which Discord refuses to bulk delete a
	// message (50034), less a margin for clocks that differ.
	bulkAge = 14*24*time.Hour - 5*time.Minute
)

// Purge pacing. Until the host's REST client has a rate limiter, /purge
// keeps its requests under Discord's limits for a channel itself: one
// bulk delete a second (the strictest bucket seen), single deletes four
// a second. A 429 all the same is waited out and the request sent again.
var (
	bulkSpacing   = 1100 * time.Millisecond
	singleSpacing = 250 * time.Millisecond
)

// progressAfter is how long after the interaction /purge waits before
// reporting progress in followups: Discord wants a first answer within
// 3 s, so by then the host has deferred the reply, and a followup can
// follow it.
const progressAfter = 3500 * time.Millisecond

// progressEvery spaces the progress reports.
const progressEvery = 5 * time.Second

func (m *Module) purge(ctx context.Context, r *bot.Request) (bot.Response, error) {
	if m.cases == nil {
		return bot.Response{}, errNoStore
	}
	count, _ := r.Int("count")
	contains, hasContains := r.String("contains")
	contains = strings.ToLower(strings.TrimSpace(contains))
	if hasContains && contains != "" && !m.cfg.ContentMatching {
		return bot.Response{}, userErr("Content matching is unavailable: the bot runs without the MESSAGE_CONTENT intent, so it can't read " +
			"what messages say. Nothing was deleted. Purge by count or user, or ask the bot's admin to set " +
			"modules.moderation.content_matching (and turn on MESSAGE CONTENT in the Developer Portal).")
	}
	who, _, hasUser := r.UserOption("user")
	perms, err := m.host.BotPermissions(r.GuildID, r.ChannelID)
	if err != nil {
		return bot.Response{}, userErr("I don't know my permissions in this channel yet; try again in a moment.")
	}
	if missing := (discord.PermissionViewChannel | discord.PermissionManageMessages) &^ perms; missing != 0 {
		return bot.Response{}, userErr("I need the %s permission in this channel to delete messages: ask an admin to give it to my role.",
			permissionNames(missing))
	}
	if !m.claim(r.ChannelID) {
		return bot.Response{}, userErr("A purge is already running in this channel; wait for it to finish.")
	}
	defer m.release(r.ChannelID)

	picked := m.index.pick(r.ChannelID, r.InteractionID, int(count), func(x indexed) bool {
		return (!hasUser || x.author == who.ID) && (contains == "" || strings.Contains(x.content, contains))
	})
	filter := describeFilter(who, hasUser, contains)
	if len(picked) == 0 {
		return bot.Response{Content: fmt.Sprintf("Nothing to remove: none of the messages I remember here is%s. "+
			"I remember the last %d messages of each channel sent since I started.", filter, m.cfg.PurgeMemory)}, nil
	}
	now := m.clock.Now()
	var young, old []snowflake.ID
	for _, x := range picked {
		if now.Sub(x.id.Time()) < bulkAge {
			young = append(young, x.id)
		} else {
			old = append(old, x.id)
		}
	}
	p := &purger{m: m, r: r, total: len(picked), reason: auditReason(r.User, "/purge")}
	err = p.run(ctx, young, old)
	if p.removed() == 0 && err != nil {
		return bot.Response{}, err
	}
	details := fmt.Sprintf("%s in <#%s>%s", plural(p.removed(), "message"), r.ChannelID, filter)
	c := Case{GuildID: r.GuildID, Action: ActionPurge, ModeratorID: r.User.ID, Details: details}
	if hasUser {
		c.TargetID, c.TargetName = who.ID, who.Username
	}
	c, recErr := m.record(ctx, c, nil)
	if recErr != nil {
		r.Log.Error("purge done but not recorded", zap.Error(recErr))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Removed %s%s", plural(p.removed(), "message"), filter)
	if p.bulk > 0 && p.single > 0 {
		fmt.Fprintf(&b, " (%d in bulk, %d one by one", p.bulk, p.single)
		if len(old) > 0 {
			b.WriteString(": older than 14 days, Discord deletes those one at a time")
		}
		b.WriteString(")")
	}
	if recErr == nil {
		fmt.Fprintf(&b, " (case #%d)", c.Number)
	}
	b.WriteString(".")
	if p.gone > 0 {
		fmt.Fprintf(&b, " %s deleted by someone else meanwhile.", plural(p.gone, "was", "were"))
	}
	if err != nil {
		fmt.Fprintf(&b, " I stopped after that: %s", stopReason(err))
	}
	return bot.Response{Content: b.String()}, nil
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

// errOutOfTime stops a purge before the host's handler timeout would.
var errOutOfTime = errors.New("moderation: purge out of time")

func stopReason(err error) string {
	if errors.Is(err, errOutOfTime) {
		return "one command may only run so long; run /purge again for the rest."
	}
	var ue *bot.UserError
	if errors.As(err, &ue) {
		return ue.Message
	}
	return "Discord refused: " + restMessage(err)
}

// purger deletes the messages of one /purge and reports its progress.
type purger struct {
	m                  *Module
	r                  *bot.Request
	total              int
	reason             string
	bulk, single, gone int
	lastSend           time.Time
	lastReport         time.Time
}

func (p *purger) removed() int { return p.bulk + p.single }

// run deletes the young messages in bulk, 100 at a time, and the old
// ones one by one, pacing the requests, until done, out of time, or
// refused.
func (p *purger) run(ctx context.Context, young, old []snowflake.ID) error {
	for len(young) > 0 {
		n := min(len(young), bulkMax)
		chunk := young[:n]
		young = young[n:]
		if len(chunk) == 1 {
			old = append([]snowflake.ID{chunk[0]}, old...)
			continue
		}
		err := p.send(ctx, bulkSpacing, func() error {
			return p.m.host.REST().Messages.BulkDelete(ctx, p.r.ChannelID, chunk, p.reason)
		})
		if rest.IsJSONErrorCode(err, rest.JSONErrorCodeMessageTooOldToBulkDelete) {
			old = append(chunk, old...) // the clocks disagree: one by one
			continue
		}
		if err != nil {
			return err
		}
		p.bulk += len(chunk)
		p.m.index.remove(p.r.ChannelID, chunk...)
		p.report(ctx)
	}
	for _, id := range old {
		err := p.send(ctx, singleSpacing, func() error {
			return p.m.host.REST().Messages.Delete(ctx, p.r.ChannelID, id, p.reason)
		})
		switch {
		case rest.IsJSONErrorCode(err, rest.JSONErrorCodeUnknownMessage):
			p.gone++
		case err != nil:
			return err
		default:
			p.single++
		}
		p.m.index.remove(p.r.ChannelID, id)
		p.report(ctx)
	}
	return nil
}

// send waits for the spacing since the last request, then sends; a 429
// is waited out and sent again, three times at most. It gives up with
// errOutOfTime when the handler's time is nearly over.
func (p *purger) send(ctx context.Context, spacing time.Duration, do func() error) error {
	for attempt := 0; ; attempt++ {
		wait := time.Until(p.lastSend.Add(spacing))
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait+2*time.Second {
			return errOutOfTime
		}
		if !sleep(ctx, wait, nil) {
			return ctx.Err()
		}
		err := do()
		p.lastSend = time.Now()
		after, limited := retryAfter(err)
		if !limited || attempt == 2 {
			return err
		}
		p.lastSend = time.Now().Add(after - spacing)
	}
}

// report sends a progress followup once the reply is surely deferred,
// every few seconds.
func (p *purger) report(ctx context.Context) {
	if time.Since(p.r.CreatedAt) < progressAfter || time.Since(p.lastReport) < progressEvery || p.removed() >= p.total {
		return
	}
	p.lastReport = time.Now()
	err := p.r.Followup(ctx, bot.Response{Content: fmt.Sprintf("Removed %d of %s so far…", p.removed(), plural(p.total, "message")),
		Ephemeral: true})
	if err != nil {
		p.r.Log.Debug("purge progress", zap.Error(err))
	}
}
