package moderation

import (
	"context"
	"database/sql"
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

// errNoStore is what a command answers when the bot runs without its
// database.
var errNoStore = &bot.UserError{Message: "Moderation needs the bot's database, and this bot runs without one."}

// reasonOf returns the reason option, or "" when not given.
func reasonOf(r *bot.Request) string {
	s, _ := r.String("reason")
	return strings.TrimSpace(s)
}

// auditReason is what Discord's audit log shows: who asked, and why.
func auditReason(who bot.User, reason string) string {
	s := who.Username + ": " + reason
	if reason == "" {
		s = who.Username + ": no reason given"
	}
	if r := []rune(s); len(r) > 512 {
		s = string(r[:512])
	}
	return s
}

// record numbers and stores a case, reports it on the audit trail, then
// wakes the modlog poster. then, when not nil, writes more in the same
// transaction.
func (m *Module) record(ctx context.Context, c Case, then func(tx txCases, c Case) error) (Case, error) {
	c = m.prepare(ctx, c)
	var fn func(*sql.Tx, Case) error
	if then != nil {
		fn = func(tx *sql.Tx, c Case) error { return then(txCases{tx}, c) }
	}
	c, err := m.cases.open(ctx, c, fn)
	if err != nil {
		return Case{}, err
	}
	m.recorded(ctx, c)
	return c, nil
}

// recorded follows a new case: the audit trail hears of it, and the
// modlog poster wakes.
func (m *Module) recorded(ctx context.Context, c Case) {
	m.report(ctx, c)
	if c.Modlog == modlogPending {
		poke(m.wakeModlog)
	}
}

// prepare fills in what every new case needs: its time (now unless
// set), its source (a command unless set) and its modlog state, pending
// when the guild has a log channel.
func (m *Module) prepare(ctx context.Context, c Case) Case {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = m.clock.Now()
	}
	if c.Source == "" {
		c.Source = sourceCommand
	}
	c.Modlog = modlogNone
	if m.settingsOf(ctx, c.GuildID).LogChannel != 0 {
		c.Modlog = modlogPending
	}
	return c
}

// recordAfter records the case of an action Discord already carried out.
// Should the store fail, the person is told that the action stands
// unrecorded (and, for a temporary ban, will not be lifted by itself).
func (m *Module) recordAfter(ctx context.Context, r *bot.Request, c Case, then func(tx txCases, c Case) error) (Case, error) {
	done, err := m.record(ctx, c, then)
	if err != nil {
		r.Log.Error("action done but not recorded", zap.String("action", string(c.Action)), zap.Error(err))
		msg := fmt.Sprintf("The %s went through, but I could not record it as a case (ref %s).", c.Action, r.CorrelationID)
		if !c.EndsAt.IsZero() && c.Action == ActionBan {
			msg += " It will not be lifted by itself: use /unban when it should end."
		}
		return Case{}, &bot.UserError{Message: msg}
	}
	return done, nil
}

func (m *Module) warn(ctx context.Context, r *bot.Request) (bot.Response, error) {
	if m.cases == nil {
		return bot.Response{}, errNoStore
	}
	_, t, err := m.memberTarget(r, "warn")
	if err != nil {
		return bot.Response{}, err
	}
	c, err := m.record(ctx, Case{GuildID: r.GuildID, Action: ActionWarn, TargetID: t.user.ID, TargetName: t.user.Username,
		ModeratorID: r.User.ID, Reason: reasonOf(r)}, nil)
	if err != nil {
		return bot.Response{}, err
	}
	reply := fmt.Sprintf("Warned **%s** (case #%d): %s", t.name(), c.Number, c.Reason)
	if note := m.escalate(ctx, r.Log, &t, c); note != "" {
		reply += "\n" + note
	}
	return bot.Response{Content: reply}, nil
}

// escalate applies the guild's warning ladder after warning w and says
// what it did, or why it did nothing it should have. t is the warned
// member; nil when not known (a warning from automod), then looked up
// only when the ladder calls for an action.
func (m *Module) escalate(ctx context.Context, log *zap.Logger, t *target, w Case) string {
	e := m.settingsOf(ctx, w.GuildID).Escalation
	if e.TimeoutAfter == 0 && e.KickAfter == 0 {
		return ""
	}
	var since time.Time
	if e.Window > 0 {
		since = m.clock.Now().Add(-e.Window)
	}
	n, err := m.cases.activeWarnings(ctx, w.GuildID, w.TargetID, since)
	if err != nil {
		log.Error("escalation: count warnings", zap.Error(err))
		return "I could not count their warnings, so the escalation ladder was not applied."
	}
	count := plural(n, "warning")
	kick := e.KickAfter > 0 && n >= e.KickAfter
	if !kick && (e.TimeoutAfter == 0 || n < e.TimeoutAfter) {
		return ""
	}
	leads := "a timeout"
	if kick {
		leads = "a kick"
	}
	g, ok := m.knownGuild(w.GuildID)
	if !ok {
		return fmt.Sprintf("They have %s, which leads to %s, but I don't know this server's roles yet.", count, leads)
	}
	if t == nil {
		found, err := m.lookUp(ctx, w.GuildID, w.TargetID)
		if err != nil {
			log.Warn("escalation: look the member up", zap.Error(err))
			return fmt.Sprintf("They have %s, which leads to %s, but I could not look them up: %s", count, leads, restMessage(err))
		}
		t = &found
	}
	if t.member == nil {
		return fmt.Sprintf("They have %s, which leads to %s, but they are no longer in this server.", count, leads)
	}
	reason := fmt.Sprintf("%s (latest: case #%d)", count, w.Number)
	if kick {
		if err := m.checkBot(g, *t, "kick", discord.PermissionKickMembers, "kick members"); err != nil {
			return fmt.Sprintf("They have %s, which leads to a kick, but: %s", count, err)
		}
		note := m.dm(ctx, log, g, *t, fmt.Sprintf("You were kicked from **%s** after %s. Latest: %s", g.Name, count, w.Reason))
		if err := m.host.REST().Members.Kick(ctx, w.GuildID, t.user.ID, "Escalation: "+reason); err != nil {
			log.Warn("escalation: kick", zap.Error(err))
			return fmt.Sprintf("They have %s, which leads to a kick, but Discord refused it: %s", count, restMessage(err))
		}
		c, err := m.record(ctx, Case{GuildID: w.GuildID, Action: ActionKick, TargetID: t.user.ID, TargetName: t.user.Username,
			ModeratorID: m.host.BotID(), Reason: "Escalation: " + reason, Source: sourceEscalation, RefCase: w.Number}, nil)
		if err != nil {
			log.Error("escalation: kicked but not recorded", zap.Error(err))
			return fmt.Sprintf("They now have %s: kicked, but I could not record it as a case.", count)
		}
		return strings.TrimSpace(fmt.Sprintf("They now have %s: kicked (case #%d). %s", count, c.Number, note))
	}
	if err := m.checkTimeout(g, *t); err != nil {
		return fmt.Sprintf("They have %s, which leads to a timeout, but: %s", count, err)
	}
	now := m.clock.Now()
	until := now.Add(e.TimeoutFor)
	if err := m.host.REST().Members.Timeout(ctx, w.GuildID, t.user.ID, until, "Escalation: "+reason); err != nil {
		log.Warn("escalation: timeout", zap.Error(err))
		return fmt.Sprintf("They have %s, which leads to a timeout, but Discord refused it: %s", count, restMessage(err))
	}
	c, err := m.record(ctx, Case{GuildID: w.GuildID, Action: ActionTimeout, TargetID: t.user.ID, TargetName: t.user.Username,
		ModeratorID: m.host.BotID(), Reason: "Escalation: " + reason, Source: sourceEscalation, RefCase: w.Number,
		CreatedAt: now, EndsAt: until, Details: "for " + bot.FormatDuration(e.TimeoutFor)}, nil)
	if err != nil {
		log.Error("escalation: timed out but not recorded", zap.Error(err))
		return fmt.Sprintf("They now have %s: timed out for %s, but I could not record it as a case.", count, bot.FormatDuration(e.TimeoutFor))
	}
	return fmt.Sprintf("They now have %s: timed out for %s (case #%d).", count, bot.FormatDuration(e.TimeoutFor), c.Number)
}

// lookUp asks Discord for a guild member; a target without member when
// they are not in the guild.
func (m *Module) lookUp(ctx context.Context, guild, user snowflake.ID) (target, error) {
	mem, err := m.host.REST().Members.Get(ctx, guild, user)
	if rest.IsJSONErrorCode(err, rest.JSONErrorCodeUnknownMember) {
		return target{user: bot.User{ID: user}}, nil
	}
	if err != nil {
		return target{}, err
	}
	u := bot.User{ID: mem.User.ID, Username: mem.User.Username, Bot: mem.User.Bot}
	if mem.User.GlobalName != nil {
		u.GlobalName = *mem.User.GlobalName
	}
	bm := &bot.Member{User: u, Roles: mem.RoleIDs}
	if mem.JoinedAt != nil {
		bm.JoinedAt = *mem.JoinedAt
	}
	if mem.Nick != nil {
		bm.Nick = *mem.Nick
	}
	if mem.CommunicationDisabledUntil != nil {
		bm.TimedOutUntil = *mem.CommunicationDisabledUntil
	}
	return target{user: u, member: bm}, nil
}

// checkTimeout is checkBot for a timeout, which Discord also refuses on
// administrators.
func (m *Module) checkTimeout(g bot.GuildInfo, t target) error {
	if err := m.checkBot(g, t, "time out", discord.PermissionModerateMembers, "time members out"); err != nil {
		return err
	}
	if g.Permissions(t.user.ID, t.roles()).Has(discord.PermissionAdministrator) {
		return userErr("%s has the ADMINISTRATOR permission, and Discord does not let anyone time out an administrator.", t.name())
	}
	return nil
}

func (m *Module) unwarn(ctx context.Context, r *bot.Request) (bot.Response, error) {
	if m.cases == nil {
		return bot.Response{}, errNoStore
	}
	n, _ := r.Int("case")
	u := Case{GuildID: r.GuildID, Action: ActionUnwarn, ModeratorID: r.User.ID, Reason: reasonOf(r), RefCase: n}
	w, u, err := m.revokeWarning(ctx, r.GuildID, n, u)
	switch {
	case errors.Is(err, errNoCase):
		return bot.Response{}, userErr("There is no case #%d in this server.", n)
	case errors.Is(err, errNotAWarning):
		return bot.Response{}, userErr("Case #%d is not a warning; /unwarn removes warnings only.", n)
	case errors.Is(err, errAlreadyRevoked):
		return bot.Response{}, userErr("The warning of case #%d was removed already.", n)
	case err != nil:
		return bot.Response{}, err
	}
	return bot.Response{Content: fmt.Sprintf("Removed the warning of case #%d (%s) from %s (case #%d).", w.Number, w.Reason,
		mentionOr(w.TargetID, w.TargetName), u.Number)}, nil
}

// revokeWarning removes warning n and records the unwarn case u.
func (m *Module) revokeWarning(ctx context.Context, guild snowflake.ID, n int64, u Case) (Case, Case, error) {
	w, u, err := m.cases.revoke(ctx, guild, n, m.prepare(ctx, u))
	if err != nil {
		return Case{}, Case{}, err
	}
	m.recorded(ctx, u)
	return w, u, nil
}

func (m *Module) timeout(ctx context.Context, r *bot.Request) (bot.Response, error) {
	if m.cases == nil {
		return bot.Response{}, errNoStore
	}
	raw, _ := r.String("duration")
	d, err := bot.ParseDuration(raw)
	if err != nil {
		return bot.Response{}, err
	}
	switch {
	case d < time.Second:
		return bot.Response{}, userErr("A timeout must last at least 1s; got %q.", raw)
	case d > maxTimeout:
		return bot.Response{}, userErr("Discord allows timeouts of at most 28 days (28d); got %s.", bot.FormatDuration(d))
	}
	g, t, err := m.memberTarget(r, "time out")
	if err != nil {
		return bot.Response{}, err
	}
	if err := m.checkTimeout(g, t); err != nil {
		return bot.Response{}, err
	}
	reason := reasonOf(r)
	now := m.clock.Now()
	until := now.Add(d)
	if err := m.host.REST().Members.Timeout(ctx, r.GuildID, t.user.ID, until, auditReason(r.User, reason)); err != nil {
		return bot.Response{}, refused(err, "time out", t)
	}
	c, err := m.recordAfter(ctx, r, Case{GuildID: r.GuildID, Action: ActionTimeout, TargetID: t.user.ID, TargetName: t.user.Username,
		ModeratorID: r.User.ID, Reason: reason, CreatedAt: now, EndsAt: until, Details: "for " + bot.FormatDuration(d)}, nil)
	if err != nil {
		return bot.Response{}, err
	}
	return bot.Response{Content: fmt.Sprintf("Timed out **%s** for %s, until %s (case #%d).", t.name(), bot.FormatDuration(d),
		discordTime(until), c.Number)}, nil
}

// memberTarget reads the user option, which must be a member, and checks
// the moderator's place in the hierarchy.
func (m *Module) memberTarget(r *bot.Request, verb string) (bot.GuildInfo, target, error) {
	g, err := m.guild(r.GuildID)
	if err != nil {
		return g, target{}, err
	}
	t, err := targetOf(r)
	if err != nil {
		return g, t, err
	}
	if t.member == nil {
		return g, t, userErr("%s is not in this server.", t.name())
	}
	return g, t, m.checkActor(r, g, t, verb)
}

func (m *Module) untimeout(ctx context.Context, r *bot.Request) (bot.Response, error) {
	if m.cases == nil {
		return bot.Response{}, errNoStore
	}
	g, t, err := m.memberTarget(r, "lift the timeout of")
	if err != nil {
		return bot.Response{}, err
	}
	if err := m.checkBot(g, t, "lift the timeout of", discord.PermissionModerateMembers, "lift timeouts"); err != nil {
		return bot.Response{}, err
	}
	now := m.clock.Now()
	if !t.member.TimedOutUntil.After(now) {
		return bot.Response{}, userErr("%s is not timed out.", t.name())
	}
	reason := reasonOf(r)
	if err := m.host.REST().Members.Timeout(ctx, r.GuildID, t.user.ID, time.Time{}, auditReason(r.User, reason)); err != nil {
		return bot.Response{}, refused(err, "lift the timeout of", t)
	}
	c, err := m.recordAfter(ctx, r, Case{GuildID: r.GuildID, Action: ActionUntimeout, TargetID: t.user.ID, TargetName: t.user.Username,
		ModeratorID: r.User.ID, Reason: reason, CreatedAt: now}, func(tx txCases, c Case) error {
		return tx.endEarly(ctx, r.GuildID, t.user.ID, ActionTimeout, now)
	})
	if err != nil {
		return bot.Response{}, err
	}
	return bot.Response{Content: fmt.Sprintf("Lifted the timeout of **%s** (case #%d).", t.name(), c.Number)}, nil
}

func (m *Module) kick(ctx context.Context, r *bot.Request) (bot.Response, error) {
	if m.cases == nil {
		return bot.Response{}, errNoStore
	}
	g, t, err := m.memberTarget(r, "kick")
	if err != nil {
		return bot.Response{}, err
	}
	if err := m.checkBot(g, t, "kick", discord.PermissionKickMembers, "kick members"); err != nil {
		return bot.Response{}, err
	}
	reason := reasonOf(r)
	note := m.dm(ctx, r.Log, g, t, fmt.Sprintf("You were kicked from **%s**. Reason: %s", g.Name, orNone(reason)))
	if err := m.host.REST().Members.Kick(ctx, r.GuildID, t.user.ID, auditReason(r.User, reason)); err != nil {
		return bot.Response{}, refused(err, "kick", t)
	}
	c, err := m.recordAfter(ctx, r, Case{GuildID: r.GuildID, Action: ActionKick, TargetID: t.user.ID, TargetName: t.user.Username,
		ModeratorID: r.User.ID, Reason: reason}, nil)
	if err != nil {
		return bot.Response{}, err
	}
	return bot.Response{Content: strings.TrimSpace(fmt.Sprintf("Kicked **%s** (case #%d). %s", t.name(), c.Number, note))}, nil
}

func (m *Module) ban(ctx context.Context, r *bot.Request) (bot.Response, error) {
	if m.cases == nil {
		return bot.Response{}, errNoStore
	}
	var d time.Duration
	if raw, ok := r.String("duration"); ok && strings.TrimSpace(raw) != "" {
		var err error
		if d, err = bot.ParseDuration(raw); err != nil {
			return bot.Response{}, err
		}
		switch {
		case d < time.Minute:
			return bot.Response{}, userErr("A temporary ban must last at least 1m; got %q.", raw)
		case d > maxBanDuration:
			return bot.Response{}, userErr("A temporary ban lasts at most 365 days (365d); got %s. Leave out duration to ban for good.", bot.FormatDuration(d))
		}
	}
	days, _ := r.Int("delete_messages")
	g, err := m.guild(r.GuildID)
	if err != nil {
		return bot.Response{}, err
	}
	t, err := targetOf(r)
	if err != nil {
		return bot.Response{}, err
	}
	if err := m.checkActor(r, g, t, "ban"); err != nil {
		return bot.Response{}, err
	}
	if err := m.checkBot(g, t, "ban", discord.PermissionBanMembers, "ban members"); err != nil {
		return bot.Response{}, err
	}
	reason := reasonOf(r)
	now := m.clock.Now()
	var until time.Time
	how := "for good"
	if d > 0 {
		until = now.Add(d)
		how = "for " + bot.FormatDuration(d)
	}
	note := ""
	if t.member != nil {
		text := fmt.Sprintf("You were banned from **%s** %s. Reason: %s", g.Name, how, orNone(reason))
		note = m.dm(ctx, r.Log, g, t, text)
	}
	if err := m.host.REST().Members.Ban(ctx, r.GuildID, t.user.ID, time.Duration(days)*24*time.Hour, auditReason(r.User, reason)); err != nil {
		return bot.Response{}, refused(err, "ban", t)
	}
	details := how
	if days > 0 {
		details += fmt.Sprintf("; deleted their messages of the last %d days", days)
	}
	c, err := m.recordAfter(ctx, r, Case{GuildID: r.GuildID, Action: ActionBan, TargetID: t.user.ID, TargetName: t.user.Username,
		ModeratorID: r.User.ID, Reason: reason, CreatedAt: now, EndsAt: until, Details: details}, func(tx txCases, c Case) error {
		if until.IsZero() {
			return tx.cancelUnban(ctx, r.GuildID, t.user.ID) // a ban for good replaces a temporary one
		}
		return tx.scheduleUnban(ctx, tempBan{GuildID: r.GuildID, UserID: t.user.ID, Case: c.Number, EndsAt: until})
	})
	if err != nil {
		return bot.Response{}, err
	}
	if !until.IsZero() {
		poke(m.wakeUnbans)
		how = fmt.Sprintf("for %s, until %s", bot.FormatDuration(d), discordTime(until))
	}
	return bot.Response{Content: strings.TrimSpace(fmt.Sprintf("Banned **%s** %s (case #%d). %s", t.name(), how, c.Number, note))}, nil
}

func (m *Module) unban(ctx context.Context, r *bot.Request) (bot.Response, error) {
	if m.cases == nil {
		return bot.Response{}, errNoStore
	}
	g, err := m.guild(r.GuildID)
	if err != nil {
		return bot.Response{}, err
	}
	t, err := targetOf(r)
	if err != nil {
		return bot.Response{}, err
	}
	if t.member != nil {
		return bot.Response{}, userErr("%s is in this server, so not banned.", t.name())
	}
	if err := m.botMay(g, discord.PermissionBanMembers, "lift bans"); err != nil {
		return bot.Response{}, err
	}
	reason := reasonOf(r)
	if err := m.host.REST().Members.Unban(ctx, r.GuildID, t.user.ID, auditReason(r.User, reason)); err != nil {
		if rest.IsJSONErrorCode(err, rest.JSONErrorCodeUnknownBan) {
			return bot.Response{}, userErr("%s is not banned.", t.name())
		}
		return bot.Response{}, refused(err, "unban", t)
	}
	now := m.clock.Now()
	c, err := m.recordAfter(ctx, r, Case{GuildID: r.GuildID, Action: ActionUnban, TargetID: t.user.ID, TargetName: t.user.Username,
		ModeratorID: r.User.ID, Reason: reason, CreatedAt: now}, func(tx txCases, c Case) error {
		if err := tx.cancelUnban(ctx, r.GuildID, t.user.ID); err != nil {
			return err
		}
		return tx.endEarly(ctx, r.GuildID, t.user.ID, ActionBan, now)
	})
	if err != nil {
		return bot.Response{}, err
	}
	return bot.Response{Content: fmt.Sprintf("Unbanned **%s** (case #%d).", t.name(), c.Number)}, nil
}

// dm tells a member, before a kick or a ban, what happens and why, when
// the guild's dm_on_action is on. It returns a note for the moderator
// when the DM did not arrive; a person who refuses DMs (50007) is
// expected, not an error, and is not retried. The DM is essential, not
// cosmetic: it goes before the action or not at all.
func (m *Module) dm(ctx context.Context, log *zap.Logger, g bot.GuildInfo, t target, text string) string {
	if t.member == nil || t.user.Bot || !m.settingsOf(ctx, g.ID).DMOnAction {
		return ""
	}
	_, err := m.host.REST().Messages.SendDM(ctx, t.user.ID, discord.MessageCreate{Content: text})
	switch {
	case err == nil:
		return ""
	case rest.IsJSONErrorCode(err, rest.JSONErrorCodeCannotSendMessagesToThisUser):
		return "(They don't accept DMs from me, so they were not told.)"
	}
	log.Warn("DM before the action", zap.Uint64("target_id", uint64(t.user.ID)), zap.Error(err))
	return "(I could not DM them.)"
}

// refused turns Discord's refusal of an action into a message. The
// checks before the request should leave nothing but surprises here
// (roles changed a moment ago, a member who just left).
func refused(err error, verb string, t target) error {
	switch {
	case rest.IsJSONErrorCode(err, rest.JSONErrorCodeUnknownMember):
		return userErr("%s is no longer in this server.", t.name())
	case rest.IsJSONErrorCode(err, rest.JSONErrorCodeUnknownUser):
		return userErr("There is no such user.")
	case rest.IsJSONErrorCode(err, rest.JSONErrorCodeLackPermissionsToPerformAction):
		return userErr("Discord refused to let me %s %s: I lack a permission or a high enough role (it may have changed a moment ago).", verb, t.name())
	}
	var re *rest.Error
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 && re.Response.StatusCode != 429 {
		return userErr("Discord refused to let me %s %s: %s", verb, t.name(), restMessage(err))
	}
	return fmt.Errorf("moderation: %s: %w", verb, err)
}

// restMessage is Discord's own message for a REST error.
func restMessage(err error) string {
	var re *rest.Error
	if errors.As(err, &re) && re.Message != "" {
		return re.Message
	}
	return err.Error()
}

func orNone(reason string) string {
	if reason == "" {
		return "none given"
	}
	return reason
}

// discordTime is a timestamp every client shows in its own time zone.
func discordTime(t time.Time) string { return fmt.Sprintf("<t:%d:f>", t.Unix()) }

// mentionOr shows a user as a mention (which pings nobody: the host
// sends nothing with allowed mentions) with their name when known.
func mentionOr(id snowflake.ID, name string) string {
	if id == 0 {
		return "(erased)"
	}
	if name == "" {
		return "<@" + id.String() + ">"
	}
	return "<@" + id.String() + "> (" + name + ")"
}
