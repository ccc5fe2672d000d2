package automod

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot"
)

// raidQuiet is how long after a raid is caught another one in the same
// guild is not: a raid goes on for a while, and one alert and lockdown
// answer it.
const raidQuiet = 5 * time.Minute

// raids counts joins per guild.
type raids struct {
	mu      sync.Mutex
	byGuild map[snowflake.ID]*joins
}

// joins are a guild's recent join times, a ring.
type joins struct {
	at         []int64
	next       int
	quietUntil int64
}

// join counts a join at time at and reports whether it makes count joins
// within window, outside the quiet time after the last raid; it returns
// how many joins the window holds.
func (r *raids) join(guild snowflake.ID, at time.Time, count int, window time.Duration) (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byGuild == nil {
		r.byGuild = map[snowflake.ID]*joins{}
	}
	j := r.byGuild[guild]
	if j == nil || len(j.at) != count {
		j = &joins{at: make([]int64, count)}
		r.byGuild[guild] = j
	}
	now := at.UnixNano()
	j.at[j.next] = now
	j.next = (j.next + 1) % count
	if now < j.quietUntil {
		return 0, false
	}
	n := 0
	for _, t := range j.at {
		if t != 0 && t > now-int64(window) && t <= now {
			n++
		}
	}
	if n < count {
		return n, false
	}
	j.quietUntil = now + int64(raidQuiet)
	clear(j.at)
	return n, true
}

func (r *raids) forget(guild snowflake.ID) {
	r.mu.Lock()
	delete(r.byGuild, guild)
	r.mu.Unlock()
}

// onJoin remembers the new member's roles and counts the join for raid
// detection.
func (m *Module) onJoin(ctx context.Context, e bot.MemberJoined) error {
	m.members.setRoles(memberKey{e.GuildID, e.Member.User.ID}, e.Member.Roles, m.clock.Now())
	if !m.joins.Load() || e.Member.User.Bot {
		return nil
	}
	s, err := m.settingsOf(ctx, e.GuildID)
	if err != nil || !s.Raid.Enabled {
		return err
	}
	at := e.Member.JoinedAt
	if at.IsZero() {
		at = m.clock.Now()
	}
	n, raid := m.raids.join(e.GuildID, at, s.Raid.Count, s.Raid.Window)
	if !raid {
		return nil
	}
	desc := fmt.Sprintf("%d joins within %s", n, bot.FormatDuration(s.Raid.Window))
	if s.Raid.DryRun {
		m.recordRaid(ctx, e.GuildID, desc, s, true)
		return nil
	}
	m.enqueue(ctx, func(ctx context.Context) { m.answerRaid(ctx, e.GuildID, desc, s) })
	return nil
}

// recordRaid reports a raid on the audit trail, with what the rule does
// (or would do) about it.
func (m *Module) recordRaid(ctx context.Context, guild snowflake.ID, desc string, s Settings, dry bool) {
	d := map[string]string{"rule": "raid", "match": desc}
	if len(s.Raid.LockChannels) > 0 {
		ids := make([]string, len(s.Raid.LockChannels))
		for i, c := range s.Raid.LockChannels {
			ids[i] = c.String()
		}
		d["lock_channels"] = strings.Join(ids, ",")
	}
	if s.Raid.RaiseVerification > 0 {
		d["raise_verification"] = strconv.Itoa(s.Raid.RaiseVerification)
	}
	a := bot.Action{GuildID: guild, Kind: "automod.raid", Reason: "Automod: join raid (" + desc + ")", DryRun: dry, Details: d}
	if err := m.host.Record(ctx, a); err != nil && ctx.Err() == nil {
		m.host.Log().Warn("automod: the audit trail did not get a raid", zap.Error(err))
	}
}

// answerRaid records the raid, starts a lockdown when the rule asks for
// one, and alerts.
func (m *Module) answerRaid(ctx context.Context, guild snowflake.ID, desc string, s Settings) {
	m.recordRaid(ctx, guild, desc, s, false)
	line := fmt.Sprintf("**raid** · %s.", desc)
	if len(s.Raid.LockChannels) > 0 || s.Raid.RaiseVerification > 0 {
		rep, err := m.startLockdown(ctx, guild, 0, "Automod: join raid ("+desc+")", s)
		if err != nil {
			line += " I could not start a lockdown: " + err.Error()
		} else {
			line += " " + rep.String()
		}
	} else {
		line += " No lockdown is configured (raid.lock_channels, raid.raise_verification); use /lockdown start if needed."
	}
	m.alert(ctx, guild, s.AlertChannel, line)
}
