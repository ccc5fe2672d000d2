package automod

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
	"github.com/hearthbot/hearth/store"
)

// maxReason is the longest reason /lockdown takes.
const maxReason = 400

// lockdownCommand declares /lockdown start and /lockdown end. Both need
// MANAGE_GUILD: a lockdown changes the server's verification level and
// who may talk where.
func (m *Module) lockdownCommand() bot.Command {
	reason := bot.Option{Name: "reason", Description: "Why (shown in Discord's audit log and the alert)", Type: bot.OptionString,
		MaxLength: maxReason}
	return bot.Command{Name: "lockdown", Description: "Closes channels to @everyone during a raid, and opens them again",
		Permissions: discord.PermissionManageGuild, Ephemeral: true,
		Subcommands: []bot.Subcommand{
			{Name: "start", Description: "Locks the channels of raid.lock_channels and raises the verification level",
				Options: []bot.Option{reason}, Handler: m.lockdownStart},
			{Name: "end", Description: "Restores the channels and the verification level the lockdown changed",
				Options: []bot.Option{reason}, Handler: m.lockdownEnd},
		}}
}

var errNoStore = &bot.UserError{Message: "Lockdowns need the bot's database, and this bot runs without one."}

func (m *Module) lockdownStart(ctx context.Context, r *bot.Request) (bot.Response, error) {
	s, err := m.settingsOf(ctx, r.GuildID)
	if err != nil {
		return bot.Response{}, err
	}
	rep, err := m.startLockdown(ctx, r.GuildID, r.User.ID, commandReason(r, "/lockdown start"), s)
	if err != nil {
		return bot.Response{}, err
	}
	if rep.started {
		m.alert(ctx, r.GuildID, s.AlertChannel, fmt.Sprintf("**lockdown** · started by <@%s>: %s", r.User.ID, rep))
	}
	return bot.Response{Content: rep.String()}, nil
}

func (m *Module) lockdownEnd(ctx context.Context, r *bot.Request) (bot.Response, error) {
	s, err := m.settingsOf(ctx, r.GuildID)
	if err != nil {
		return bot.Response{}, err
	}
	rep, err := m.endLockdown(ctx, r.GuildID, r.User.ID, commandReason(r, "/lockdown end"))
	if err != nil {
		return bot.Response{}, err
	}
	m.alert(ctx, r.GuildID, s.AlertChannel, fmt.Sprintf("**lockdown** · <@%s> ran /lockdown end: %s", r.User.ID, rep))
	return bot.Response{Content: rep.String()}, nil
}

// commandReason is the audit log reason of a command: who, and why.
func commandReason(r *bot.Request, what string) string {
	why, _ := r.String("reason")
	if why = strings.TrimSpace(why); why == "" {
		why = "no reason given"
	}
	return r.User.Username + " (" + what + "): " + why
}

// lockReport says what a lockdown start did.
type lockReport struct {
	already   bool // a lockdown was on already: nothing done
	since     time.Time
	started   bool
	locked    []snowflake.ID
	wasLocked []snowflake.ID // @everyone could not send there already
	levelFrom int
	levelTo   int // 0: the level was not changed
	notDone   []string
}

func (r lockReport) String() string {
	if r.already {
		return fmt.Sprintf("A lockdown is on already (since <t:%d:R>): nothing changed. End it with /lockdown end.", r.since.Unix())
	}
	var parts []string
	if len(r.locked) > 0 {
		parts = append(parts, "locked "+channelList(r.locked))
	}
	if r.levelTo > 0 {
		parts = append(parts, fmt.Sprintf("raised the verification level from %s to %s", levelName(r.levelFrom), levelName(r.levelTo)))
	}
	var b strings.Builder
	if r.started {
		b.WriteString("Lockdown started: " + strings.Join(parts, "; ") + ".")
	} else {
		b.WriteString("No lockdown: nothing was changed.")
	}
	if len(r.wasLocked) > 0 {
		fmt.Fprintf(&b, " Already closed to @everyone, left as they were: %s.", channelList(r.wasLocked))
	}
	if len(r.notDone) > 0 {
		b.WriteString(" " + capitalise(strings.Join(r.notDone, "; ")) + ".")
	}
	if r.started {
		b.WriteString(" End it with /lockdown end.")
	}
	return b.String()
}

// unlockReport says what a lockdown end did.
type unlockReport struct {
	restored []snowflake.ID
	levelTo  int // the level restored; -1: none
	ended    bool
	notDone  []string
}

func (r unlockReport) String() string {
	var parts []string
	if len(r.restored) > 0 {
		parts = append(parts, "restored "+channelList(r.restored))
	}
	if r.levelTo >= 0 {
		parts = append(parts, "set the verification level back to "+levelName(r.levelTo))
	}
	var b strings.Builder
	if r.ended {
		b.WriteString("Lockdown ended")
	} else {
		b.WriteString("The lockdown is not over yet")
	}
	if len(parts) > 0 {
		b.WriteString(": " + strings.Join(parts, "; "))
	}
	b.WriteString(".")
	if len(r.notDone) > 0 {
		b.WriteString(" " + capitalise(strings.Join(r.notDone, "; ")) + ".")
	}
	if !r.ended {
		b.WriteString(" Fix that and run /lockdown end again for the rest.")
	}
	return b.String()
}

func channelList(ids []snowflake.ID) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = "<#" + id.String() + ">"
	}
	return strings.Join(parts, ", ")
}

var levelNames = []string{"none", "low", "medium", "high", "highest"}

func levelName(l int) string {
	if l < 0 || l >= len(levelNames) {
		return fmt.Sprint(l)
	}
	return levelNames[l]
}

// lockNeeds is what the bot needs in a channel to change its
// overwrites: to see it and manage its permissions. Discord also lets it
// allow or deny only what it has itself server-wide: SEND_MESSAGES
// (lockable).
const lockNeeds = discord.PermissionViewChannel | discord.PermissionManageRoles

// mayLock says why the bot may not change @everyone's SEND_MESSAGES in a
// channel, or "" when it may.
func (m *Module) mayLock(g bot.GuildInfo, ch snowflake.ID) string {
	perms, err := m.host.BotPermissions(g.ID, ch)
	if err != nil {
		return "it is not a channel of this server I know"
	}
	missing := lockNeeds &^ perms
	if !g.Permissions(m.host.BotID(), g.BotRoles).Has(discord.PermissionSendMessages) {
		missing |= discord.PermissionSendMessages
	}
	if missing != 0 {
		return "I need the " + bot.PermissionNames(missing) + " permission there"
	}
	return ""
}

// startLockdown closes the settings' lock_channels to @everyone and
// raises the verification level to raise_verification, storing what each
// replaced before changing it. What the bot may not do is skipped and
// said; nothing is asked of Discord that would answer 403. by is 0 for a
// raid.
func (m *Module) startLockdown(ctx context.Context, guild, by snowflake.ID, reason string, s Settings) (lockReport, error) {
	var rep lockReport
	if m.lockdowns == nil {
		return rep, errNoStore
	}
	channels, level := s.Raid.LockChannels, s.Raid.RaiseVerification
	if len(channels) == 0 && level == 0 {
		return rep, &bot.UserError{Message: "Nothing to lock: set the channels a lockdown closes with " +
			"`/settings set automod raid.lock_channels #general, #off-topic`, or a verification level with " +
			"`/settings set automod raid.raise_verification 3`."}
	}
	g, ok := m.host.Guild(guild)
	if !ok {
		return rep, &bot.UserError{Message: "I don't know this server's channels yet; try again in a moment."}
	}
	m.lockMu.Lock()
	defer m.lockMu.Unlock()
	cur, on, err := m.lockdowns.active(ctx, guild)
	if err != nil {
		return rep, err
	}
	if on {
		rep.already, rep.since = true, cur.startedAt
		return rep, nil
	}
	if err := m.lockdowns.begin(ctx, guild, m.clock.Now(), by, reason); err != nil {
		return rep, err
	}
	for _, ch := range channels {
		if why := m.mayLock(g, ch); why != "" {
			rep.notDone = append(rep.notDone, fmt.Sprintf("could not lock <#%s>: %s", ch, why))
			continue
		}
		c, err := m.host.REST().Channels.Get(ctx, ch)
		gc, isGuild := c.(discord.GuildChannel)
		if err != nil || !isGuild {
			rep.notDone = append(rep.notDone, fmt.Sprintf("could not lock <#%s>: %s", ch, refusal(err)))
			continue
		}
		old, had := gc.PermissionOverwrites().Role(guild)
		if old.Deny.Has(discord.PermissionSendMessages) {
			rep.wasLocked = append(rep.wasLocked, ch)
			continue
		}
		if err := m.lockdowns.addChannel(ctx, guild, ch, had, old.Allow, old.Deny); err != nil {
			return rep, err
		}
		locked := discord.RolePermissionOverwrite{RoleID: guild, Allow: old.Allow &^ discord.PermissionSendMessages,
			Deny: old.Deny | discord.PermissionSendMessages}
		if err := m.host.REST().Channels.SetOverwrite(ctx, ch, locked, reason); err != nil {
			rep.notDone = append(rep.notDone, fmt.Sprintf("could not lock <#%s>: %s", ch, refusal(err)))
			if err := m.lockdowns.removeChannel(ctx, guild, ch); err != nil {
				return rep, err
			}
			continue
		}
		rep.locked = append(rep.locked, ch)
	}
	if level > 0 {
		if err := m.raiseLevel(ctx, g, level, reason, &rep); err != nil {
			return rep, err
		}
	}
	rep.started = len(rep.locked) > 0 || rep.levelTo > 0
	if !rep.started {
		return rep, m.lockdowns.end(ctx, guild)
	}
	d := map[string]string{"channels": idList(rep.locked)}
	if rep.levelTo > 0 {
		d["verification"] = fmt.Sprintf("%s → %s", levelName(rep.levelFrom), levelName(rep.levelTo))
	}
	if len(rep.notDone) > 0 {
		d["not_done"] = strings.Join(rep.notDone, "; ")
	}
	m.recordLockdown(ctx, bot.Action{GuildID: guild, Kind: "lockdown.start", ActorID: by, Reason: reason, Details: d})
	return rep, nil
}

// raiseLevel raises the guild's verification level to level, storing the
// one it replaces first.
func (m *Module) raiseLevel(ctx context.Context, g bot.GuildInfo, level int, reason string, rep *lockReport) error {
	if !g.Permissions(m.host.BotID(), g.BotRoles).Has(discord.PermissionManageGuild) {
		rep.notDone = append(rep.notDone, "could not raise the verification level: I need the MANAGE_GUILD permission")
		return nil
	}
	rg, err := m.host.REST().Guilds.Get(ctx, g.ID)
	if err != nil {
		rep.notDone = append(rep.notDone, "could not raise the verification level: "+refusal(err))
		return nil
	}
	from := int(rg.VerificationLevel)
	if from >= level {
		rep.notDone = append(rep.notDone, fmt.Sprintf("the verification level is %s already, so I left it", levelName(from)))
		return nil
	}
	if err := m.lockdowns.setLevels(ctx, g.ID, &from, &level); err != nil {
		return err
	}
	if err := m.host.REST().Guilds.SetVerificationLevel(ctx, g.ID, discord.VerificationLevel(level), reason); err != nil {
		rep.notDone = append(rep.notDone, "could not raise the verification level: "+refusal(err))
		return m.lockdowns.setLevels(ctx, g.ID, nil, nil)
	}
	rep.levelFrom, rep.levelTo = from, level
	return nil
}

// endLockdown restores what the guild's lockdown changed, exactly: each
// channel's @everyone overwrite as it was (deleted where there was none)
// and the verification level. What cannot be restored yet stays stored
// for the next /lockdown end.
func (m *Module) endLockdown(ctx context.Context, guild, by snowflake.ID, reason string) (unlockReport, error) {
	rep := unlockReport{levelTo: -1}
	if m.lockdowns == nil {
		return rep, errNoStore
	}
	g, ok := m.host.Guild(guild)
	if !ok {
		return rep, &bot.UserError{Message: "I don't know this server's channels yet; try again in a moment."}
	}
	m.lockMu.Lock()
	defer m.lockMu.Unlock()
	cur, on, err := m.lockdowns.active(ctx, guild)
	if err != nil {
		return rep, err
	}
	if !on {
		return rep, &bot.UserError{Message: "There is no lockdown in this server."}
	}
	chans, err := m.lockdowns.channels(ctx, guild)
	if err != nil {
		return rep, err
	}
	for _, c := range chans {
		_, err := m.host.BotPermissions(guild, c.channel)
		if err == nil {
			if why := m.mayLock(g, c.channel); why != "" {
				rep.notDone = append(rep.notDone, fmt.Sprintf("could not restore <#%s>: %s", c.channel, why))
				continue
			}
			if c.had {
				err = m.host.REST().Channels.SetOverwrite(ctx, c.channel,
					discord.RolePermissionOverwrite{RoleID: guild, Allow: c.allow, Deny: c.deny}, reason)
			} else {
				err = m.host.REST().Channels.DeleteOverwrite(ctx, c.channel, guild, reason)
				if rest.IsJSONErrorCode(err, rest.JSONErrorCodeUnknownPermissionOverwrite) {
					err = nil // removed by someone else meanwhile
				}
			}
			if err != nil && !rest.IsJSONErrorCode(err, rest.JSONErrorCodeUnknownChannel) {
				rep.notDone = append(rep.notDone, fmt.Sprintf("could not restore <#%s>: %s", c.channel, refusal(err)))
				continue
			}
			rep.restored = append(rep.restored, c.channel)
		}
		// A channel not in the cache of a known guild was deleted: there
		// is nothing left to restore.
		if err := m.lockdowns.removeChannel(ctx, guild, c.channel); err != nil {
			return rep, err
		}
	}
	if cur.oldLevel.Valid {
		old := int(cur.oldLevel.V)
		switch {
		case !g.Permissions(m.host.BotID(), g.BotRoles).Has(discord.PermissionManageGuild):
			rep.notDone = append(rep.notDone, "could not set the verification level back to "+levelName(old)+": I need the MANAGE_GUILD permission")
		default:
			if err := m.host.REST().Guilds.SetVerificationLevel(ctx, guild, discord.VerificationLevel(old), reason); err != nil {
				rep.notDone = append(rep.notDone, "could not set the verification level back to "+levelName(old)+": "+refusal(err))
				break
			}
			rep.levelTo = old
			if err := m.lockdowns.setLevels(ctx, guild, nil, nil); err != nil {
				return rep, err
			}
		}
	}
	if len(rep.notDone) > 0 {
		return rep, nil
	}
	rep.ended = true
	if err := m.lockdowns.end(ctx, guild); err != nil {
		return rep, err
	}
	d := map[string]string{"channels": idList(rep.restored), "started_at": cur.startedAt.UTC().Format(time.RFC3339)}
	if rep.levelTo >= 0 {
		d["verification"] = levelName(rep.levelTo)
	}
	m.recordLockdown(ctx, bot.Action{GuildID: guild, Kind: "lockdown.end", ActorID: by, Reason: reason, Details: d})
	return rep, nil
}

func (m *Module) recordLockdown(ctx context.Context, a bot.Action) {
	if err := m.host.Record(ctx, a); err != nil && ctx.Err() == nil {
		m.host.Log().Warn("automod: the audit trail did not get a lockdown", zap.String("kind", a.Kind), zap.Error(err))
	}
}

func idList(ids []snowflake.ID) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id.String()
	}
	return strings.Join(parts, ",")
}

// refusal says why a request failed, for a person.
func refusal(err error) string {
	if err == nil {
		return "it is not a server channel"
	}
	return "Discord refused: " + restMessage(err)
}

// lockdowns is the module's tables.
type lockdowns struct{ st *store.Store }

// lockdown is a guild's lockdown in progress.
type lockdown struct {
	startedAt time.Time
	by        snowflake.ID
	reason    string
	oldLevel  sql.Null[int64]
}

// lockedChannel is a channel a lockdown closed, with its @everyone
// overwrite from before.
type lockedChannel struct {
	channel     snowflake.ID
	had         bool
	allow, deny discord.Permissions
}

func (l *lockdowns) active(ctx context.Context, guild snowflake.ID) (lockdown, bool, error) {
	var (
		x       lockdown
		started int64
		by      store.Snowflake
	)
	err := l.st.DB().QueryRowContext(ctx, `SELECT started_at, started_by, reason, old_verification FROM automod_lockdowns WHERE guild_id = ?`,
		store.Snowflake(guild)).Scan(&started, &by, &x.reason, &x.oldLevel)
	if errors.Is(err, sql.ErrNoRows) {
		return x, false, nil
	}
	if err != nil {
		return x, false, fmt.Errorf("automod: read lockdown: %w", err)
	}
	x.startedAt, x.by = time.UnixMilli(started), snowflake.ID(by)
	return x, true, nil
}

func (l *lockdowns) exec(ctx context.Context, what, q string, args ...any) error {
	err := l.st.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("automod: %s: %w", what, err)
	}
	return nil
}

func (l *lockdowns) begin(ctx context.Context, guild snowflake.ID, at time.Time, by snowflake.ID, reason string) error {
	return l.exec(ctx, "begin lockdown", `INSERT INTO automod_lockdowns (guild_id, started_at, started_by, reason) VALUES (?, ?, ?, ?)`,
		store.Snowflake(guild), at.UnixMilli(), store.Snowflake(by), reason)
}

func (l *lockdowns) addChannel(ctx context.Context, guild, channel snowflake.ID, had bool, allow, deny discord.Permissions) error {
	return l.exec(ctx, "store a channel's overwrite", `INSERT OR REPLACE INTO automod_locked_channels (guild_id, channel_id, had_overwrite, allow, deny) VALUES (?, ?, ?, ?, ?)`,
		store.Snowflake(guild), store.Snowflake(channel), had, int64(allow), int64(deny))
}

func (l *lockdowns) removeChannel(ctx context.Context, guild, channel snowflake.ID) error {
	return l.exec(ctx, "forget a locked channel", `DELETE FROM automod_locked_channels WHERE guild_id = ? AND channel_id = ?`,
		store.Snowflake(guild), store.Snowflake(channel))
}

// setLevels stores the verification level a lockdown replaced and the
// one it set; nil for both: none (restored, or never changed).
func (l *lockdowns) setLevels(ctx context.Context, guild snowflake.ID, old, set *int) error {
	return l.exec(ctx, "store the verification level", `UPDATE automod_lockdowns SET old_verification = ?, new_verification = ? WHERE guild_id = ?`,
		old, set, store.Snowflake(guild))
}

func (l *lockdowns) channels(ctx context.Context, guild snowflake.ID) ([]lockedChannel, error) {
	rows, err := l.st.DB().QueryContext(ctx, `SELECT channel_id, had_overwrite, allow, deny FROM automod_locked_channels WHERE guild_id = ? ORDER BY rowid`,
		store.Snowflake(guild))
	if err != nil {
		return nil, fmt.Errorf("automod: read locked channels: %w", err)
	}
	defer rows.Close()
	var out []lockedChannel
	for rows.Next() {
		var (
			c           lockedChannel
			ch          store.Snowflake
			allow, deny int64
		)
		if err := rows.Scan(&ch, &c.had, &allow, &deny); err != nil {
			return nil, fmt.Errorf("automod: read locked channels: %w", err)
		}
		c.channel, c.allow, c.deny = snowflake.ID(ch), discord.Permissions(allow), discord.Permissions(deny)
		out = append(out, c)
	}
	return out, rows.Err()
}

// end forgets the guild's lockdown.
func (l *lockdowns) end(ctx context.Context, guild snowflake.ID) error {
	return l.st.Write(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM automod_locked_channels WHERE guild_id = ?`, `DELETE FROM automod_lockdowns WHERE guild_id = ?`} {
			if _, err := tx.ExecContext(ctx, q, store.Snowflake(guild)); err != nil {
				return fmt.Errorf("automod: end lockdown: %w", err)
			}
		}
		return nil
	})
}
