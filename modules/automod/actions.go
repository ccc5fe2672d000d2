package automod

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
	"go.uber.org/zap"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/ratelimit"
)

// onMessage evaluates a message: people's messages in guilds only, not
// in the alert channel nor an exempt one. A match becomes an incident
// for incidentLoop; the handler itself never waits for Discord.
func (m *Module) onMessage(ctx context.Context, ev bot.MessageCreated) error {
	defer m.lastSeen.Store(uint64(ev.ID))
	if !ev.Origin.Human() || ev.GuildID == 0 {
		return nil
	}
	s, err := m.settingsOf(ctx, ev.GuildID)
	if err != nil {
		return err
	}
	r := m.rules.get(ev.GuildID, &s, m.content.Load())
	if !r.any || ev.ChannelID == r.alert || slices.Contains(r.exemptChannels, ev.ChannelID) {
		return nil
	}
	at := ev.At
	if at.IsZero() {
		at = m.clock.Now()
	}
	v := m.members.evaluate(r, &ev, at)
	if v.matched == 0 {
		return nil
	}
	m.pending.Add(1)
	select {
	case m.incidents <- incident{ev: ev, r: r, v: v, at: at}:
	case <-ctx.Done():
		m.pending.Add(-1)
		return ctx.Err()
	}
	return nil
}

// incident is a message some rule caught.
type incident struct {
	ev bot.MessageCreated
	r  *rules
	v  verdict
	at time.Time
}

// rolesTTL is how long a member's roles read from Discord are trusted;
// member updates from the gateway refresh them sooner.
const rolesTTL = 10 * time.Minute

// errNotMember is a member who left the guild.
var errNotMember = errors.New("automod: not a member")

// memberRoles returns the member's roles: as last seen on the gateway
// or read from Discord within rolesTTL, or else read from Discord now.
func (m *Module) memberRoles(ctx context.Context, k memberKey) ([]snowflake.ID, error) {
	now := m.clock.Now()
	if roles, ok := m.members.roles(k, now.Add(-rolesTTL)); ok {
		return roles, nil
	}
	mem, err := m.host.REST().Members.Get(ctx, k.guild, k.user)
	if err != nil {
		var re *rest.Error
		if errors.As(err, &re) && (re.Code == rest.JSONErrorCodeUnknownMember || re.Response != nil && re.Response.StatusCode == http.StatusNotFound) {
			return nil, errNotMember
		}
		return nil, err
	}
	m.members.setRoles(k, mem.RoleIDs, now)
	return mem.RoleIDs, nil
}

// handle decides what an incident leads to, once the member's roles
// are known: when they are not, it parks the incident until fetchLoop
// has read them, so that one member's roles read from Discord hold up
// nobody else's incidents. It reports whether it is done with the
// incident (false: parked).
func (m *Module) handle(ctx context.Context, inc incident) bool {
	k := memberKey{inc.ev.GuildID, inc.ev.Author.ID}
	if inc.ev.AuthorRoles != nil { // Discord sends them with the message
		m.members.setRoles(k, inc.ev.AuthorRoles, m.clock.Now())
		m.decide(ctx, inc, inc.ev.AuthorRoles, false)
		return true
	}
	roles, ok := m.members.roles(k, m.clock.Now().Add(-rolesTTL))
	if ok {
		m.decide(ctx, inc, roles, false)
		return true
	}
	m.parkMu.Lock()
	waiting, fetching := m.parked[k]
	m.parked[k] = append(waiting, inc)
	m.parkMu.Unlock()
	if !fetching {
		select {
		case m.fetches <- k:
		case <-ctx.Done():
		}
	}
	return false
}

// fetchLoop reads the roles of members with parked incidents, one after
// another, and handles their incidents.
func (m *Module) fetchLoop(ctx context.Context) {
	defer m.workers.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case k := <-m.fetches:
			roles, err := m.memberRoles(ctx, k)
			m.parkMu.Lock()
			incs := m.parked[k]
			delete(m.parked, k)
			m.parkMu.Unlock()
			left := errors.Is(err, errNotMember)
			if err != nil && !left && ctx.Err() == nil {
				m.host.Log().Warn("automod: could not read a member's roles; nothing done about their messages",
					zap.Uint64("guild_id", uint64(k.guild)), zap.Uint64("user_id", uint64(k.user)), zap.Int("incidents", len(incs)), zap.Error(err))
			}
			for _, inc := range incs {
				if err == nil || left {
					m.decide(ctx, inc, roles, left)
				}
				m.pending.Add(-1)
			}
		}
	}
}

// decide acts on an incident: nothing for an exempt member; a record for
// each dry-run rule; for the rules that act, the deletions at once and,
// unless the rule acted on the member within its cooldown, the action,
// its record and an alert. left says the member is no longer in the
// guild.
func (m *Module) decide(ctx context.Context, inc incident, roles []snowflake.ID, left bool) {
	k := memberKey{inc.ev.GuildID, inc.ev.Author.ID}
	g, ok := m.host.Guild(k.guild)
	if !ok || m.exempt(g, inc.r, k.user, roles) {
		return
	}
	for ru := range numRules {
		if a := inc.r.act[ru]; inc.v.has(ru) && a.on && a.dryRun && m.members.claim(k, ru, inc.at, inc.r.cooldown(ru)) {
			m.record(ctx, inc, ru, a.kind, true, nil)
		}
	}
	primary, ok := pickPrimary(inc.r, &inc.v)
	if !ok {
		return
	}
	out := &outcome{}
	m.queueDeletes(inc, out)
	if !m.members.claim(k, primary, inc.at, inc.r.cooldown(primary)) {
		return // acted on them within the cooldown: deleting is enough
	}
	m.enqueue(ctx, func(ctx context.Context) { m.act(ctx, g, inc, primary, roles, left, out) })
}

// pickPrimary returns the rule, among those that matched and act (not
// dry runs), with the most severe action; the first such in rule order.
func pickPrimary(r *rules, v *verdict) (rule, bool) {
	best, found := rule(0), false
	for ru := range numRules {
		a := r.act[ru]
		if v.has(ru) && a.on && !a.dryRun && (!found || a.kind > r.act[best].kind) {
			best, found = ru, true
		}
	}
	return best, found
}

// exempt reports whether the member is out of automod's reach: the
// owner, a member with an exempt role, or with ADMINISTRATOR or
// MANAGE_MESSAGES (server-wide).
func (m *Module) exempt(g bot.GuildInfo, r *rules, user snowflake.ID, roles []snowflake.ID) bool {
	if user == g.OwnerID {
		return true
	}
	for _, x := range r.exemptRoles {
		if slices.Contains(roles, x) {
			return true
		}
	}
	p := g.Permissions(user, roles)
	return p.Has(discord.PermissionAdministrator) || p.Has(discord.PermissionManageMessages)
}

// outcome is what was done about an incident, in words for the alert.
type outcome struct {
	deleted   int
	notDone   []string // what could not be done, and why
	done      []string
	kind      actionKind // what was done in the end
	duration  time.Duration
	dmRefused bool
}

// queueDeletes queues the incident's messages for deletion, channel by
// channel, where the bot may delete them.
func (m *Module) queueDeletes(inc incident, out *outcome) {
	byChannel := map[snowflake.ID][]snowflake.ID{}
	var order []snowflake.ID
	for _, d := range inc.v.deletes {
		if _, ok := byChannel[d.channel]; !ok {
			order = append(order, d.channel)
		}
		byChannel[d.channel] = append(byChannel[d.channel], d.id)
	}
	need := discord.PermissionViewChannel | discord.PermissionManageMessages
	for _, ch := range order {
		ids := byChannel[ch]
		perms, err := m.host.BotPermissions(inc.ev.GuildID, ch)
		if err != nil {
			perms = 0
		}
		if missing := need &^ perms; missing != 0 {
			out.notDone = append(out.notDone, fmt.Sprintf("could not delete %s in <#%s>: I need the %s permission there",
				plural(len(ids), "message"), ch, bot.PermissionNames(missing)))
			continue
		}
		rule, _ := pickPrimary(inc.r, &inc.v)
		if m.deletes.add(ch, ids, rule.String()) {
			out.deleted += len(ids)
		}
	}
}

// act carries out a rule's action on the member, records it and posts
// the alert.
func (m *Module) act(ctx context.Context, g bot.GuildInfo, inc incident, ru rule, roles []snowflake.ID, left bool, out *outcome) {
	a := inc.r.act[ru]
	user := inc.ev.Author
	reason := auditReason(ru, inc.r.describe(ru, inc.v.count[ru], inc.v.match[ru]))
	out.kind = actAlert
	if out.deleted > 0 {
		out.kind = actDelete
		out.done = append(out.done, "deleted "+plural(out.deleted, "message"))
	}
	fail := func(what, why string) { out.notDone = append(out.notDone, "could not "+what+": "+why) }
	switch a.kind {
	case actWarn:
		msg := fmt.Sprintf("Your message in **%s** broke a rule (%s) and was removed. Please read the server's rules.",
			g.Name, inc.r.describe(ru, inc.v.count[ru], inc.v.match[ru]))
		_, err := m.host.REST().Messages.SendDM(ctx, user.ID, discord.MessageCreate{Content: msg})
		switch {
		case err == nil:
			out.done = append(out.done, "warned them by DM")
		case rest.IsJSONErrorCode(err, rest.JSONErrorCodeCannotSendMessagesToThisUser):
			out.dmRefused = true
			out.done = append(out.done, "warned them (they do not accept DMs, so they were not told)")
		default:
			m.host.Log().Warn("automod: warning DM", zap.Error(err))
			out.done = append(out.done, "warned them (the DM failed)")
		}
		out.kind = actWarn
	case actTimeout:
		if why := m.mayAct(g, user.ID, roles, left, discord.PermissionModerateMembers, "time members out", true); why != "" {
			fail("time them out", why)
			break
		}
		if err := m.host.REST().Members.Timeout(ctx, g.ID, user.ID, m.clock.Now().Add(a.timeout), reason); err != nil {
			fail("time them out", "Discord refused: "+restMessage(err))
			break
		}
		out.kind, out.duration = actTimeout, a.timeout
		out.done = append(out.done, "timed them out for "+bot.FormatDuration(a.timeout))
	case actKick:
		if why := m.mayAct(g, user.ID, roles, left, discord.PermissionKickMembers, "kick members", false); why != "" {
			fail("kick them", why)
			break
		}
		if err := m.host.REST().Members.Kick(ctx, g.ID, user.ID, reason); err != nil {
			fail("kick them", "Discord refused: "+restMessage(err))
			break
		}
		out.kind = actKick
		out.done = append(out.done, "kicked them")
	case actBan:
		if why := m.mayAct(g, user.ID, roles, false, discord.PermissionBanMembers, "ban members", false); why != "" {
			fail("ban them", why)
			break
		}
		if err := m.host.REST().Members.Ban(ctx, g.ID, user.ID, 0, reason); err != nil {
			fail("ban them", "Discord refused: "+restMessage(err))
			break
		}
		out.kind = actBan
		out.done = append(out.done, "banned them")
	}
	m.record(ctx, inc, ru, out.kind, false, out)
	m.alert(ctx, inc.ev.GuildID, inc.r.alert, alertLine(inc, ru, out))
}

// mayAct says why the bot may not act on the member, or "" when it may:
// a missing permission (what: "kick members"), the owner, a member whose
// top role is not below the bot's, or, for a timeout, an administrator.
func (m *Module) mayAct(g bot.GuildInfo, user snowflake.ID, roles []snowflake.ID, left bool, need discord.Permissions, what string, timeout bool) string {
	me := m.host.BotID()
	if missing := need &^ g.Permissions(me, g.BotRoles); missing != 0 {
		return fmt.Sprintf("I need the %s permission to %s", bot.PermissionNames(missing), what)
	}
	switch {
	case left:
		return "they left the server"
	case user == g.OwnerID:
		return "they own the server"
	case !g.Outranks(me, g.BotRoles, user, roles):
		return fmt.Sprintf("their top role, %s, is not below mine, %s", g.TopRoleName(roles), g.TopRoleName(g.BotRoles))
	case timeout && g.Permissions(user, roles).Has(discord.PermissionAdministrator):
		return "they are an administrator, and Discord does not let anyone time out an administrator"
	}
	return ""
}

// record reports an action, or a dry run's, on the audit trail.
func (m *Module) record(ctx context.Context, inc incident, ru rule, kind actionKind, dry bool, out *outcome) {
	desc := inc.r.describe(ru, inc.v.count[ru], inc.v.match[ru])
	d := map[string]string{"rule": ru.String(), "match": desc, "channel": inc.ev.ChannelID.String(),
		"message_id": inc.ev.ID.String()}
	a := bot.Action{GuildID: inc.ev.GuildID, Kind: "automod." + kind.String(), TargetID: inc.ev.Author.ID,
		Reason: auditReason(ru, desc), DryRun: dry, Details: d, CorrelationID: "automod-" + inc.ev.ID.String()}
	if dry {
		a.Kind = "automod." + inc.r.act[ru].kind.String()
		if inc.r.act[ru].kind == actTimeout {
			d["duration"] = bot.FormatDuration(inc.r.act[ru].timeout)
		}
	} else {
		if out.deleted > 0 {
			d["messages"] = strconv.Itoa(out.deleted)
		}
		if out.duration > 0 {
			d["duration"] = bot.FormatDuration(out.duration)
		}
		if len(out.notDone) > 0 {
			d["not_done"] = strings.Join(out.notDone, "; ")
		}
		if out.dmRefused {
			d["dm"] = "refused"
		}
	}
	if err := m.host.Record(ctx, a); err != nil && ctx.Err() == nil {
		m.host.Log().Warn("automod: the audit trail did not get an action", zap.String("kind", a.Kind), zap.Error(err))
	}
}

// auditReason is the reason Discord's audit log shows.
func auditReason(ru rule, desc string) string {
	s := "Automod: " + ru.String() + " (" + desc + ")"
	if r := []rune(s); len(r) > 500 {
		s = string(r[:500])
	}
	return s
}

// alertLine says in one line what automod did about an incident.
func alertLine(inc incident, ru rule, out *outcome) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** · <@%s> (%s) in <#%s>: %s.", ru, inc.ev.Author.ID, inc.ev.Author.Username, inc.ev.ChannelID,
		inc.r.describe(ru, inc.v.count[ru], inc.v.match[ru]))
	if len(out.done) > 0 {
		b.WriteString(" " + capitalise(strings.Join(out.done, ", ")) + ".")
	}
	if len(out.notDone) > 0 {
		b.WriteString(" " + capitalise(strings.Join(out.notDone, "; ")) + ".")
	}
	if len(out.done) == 0 && len(out.notDone) == 0 {
		b.WriteString(" Nothing done (alert only).")
	}
	return b.String()
}

func capitalise(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// alert posts a line to the alert channel, coalesced with the others,
// when there is one and the bot may post there.
func (m *Module) alert(ctx context.Context, guild, channel snowflake.ID, line string) {
	if channel == 0 {
		return
	}
	need := discord.PermissionViewChannel | discord.PermissionSendMessages
	perms, err := m.host.BotPermissions(guild, channel)
	if err != nil {
		perms = 0
	}
	if missing := need &^ perms; missing != 0 {
		m.host.Log().Warn("automod: the bot may not post in the alert channel; alert dropped",
			zap.Uint64("guild_id", uint64(guild)), zap.Uint64("channel_id", uint64(channel)),
			zap.String("missing", bot.PermissionNames(missing)), zap.String("alert", line))
		return
	}
	if err := m.alerts.Add(ctx, channel, ratelimit.Entry{Content: line}); err != nil && ctx.Err() == nil {
		m.host.Log().Warn("automod: alert dropped", zap.Error(err))
	}
}

// restMessage is what Discord said, for a person.
func restMessage(err error) string {
	var re *rest.Error
	if errors.As(err, &re) && re.Message != "" {
		return re.Message
	}
	return err.Error()
}

// plural writes n and the word, with an s when n is not 1.
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
