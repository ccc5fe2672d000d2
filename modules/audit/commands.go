package audit

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
)

// Limits of /audit.
const (
	// perPage is how many entries a page of /audit search lists.
	perPage = 10
	// maxAction bounds the action option, so a page button's custom ID
	// stays under Discord's 100 characters.
	maxAction = 32
	// pageComponent names the Previous and Next buttons.
	pageComponent = "page"
	// maxCustomID is Discord's limit on a custom ID.
	maxCustomID = 100
)

// permission is what a member needs to read the trail: the same as for
// Discord's own audit log.
const permission = discord.PermissionViewAuditLog

// userErr builds an error a person reads.
func userErr(format string, args ...any) error {
	return &bot.UserError{Message: fmt.Sprintf(format, args...)}
}

// command declares /audit search and /audit export, which take the same
// filters.
func (m *Module) command() bot.Command {
	filters := []bot.Option{
		{Name: "user", Description: "Only entries where this user acted or was acted on", Type: bot.OptionUser},
		{Name: "action", Description: "Only this action (ban, automod.delete, settings.set) or family (automod)",
			Type: bot.OptionString, MaxLength: maxAction, Autocomplete: true},
		{Name: "since", Description: "Only entries since: 7d, 12h, 2w, or a date such as 2024-05-01 (UTC)",
			Type: bot.OptionString, MaxLength: 32},
	}
	return bot.Command{
		Name:        "audit",
		Description: "The audit trail: moderation, automod, settings changes and module switches",
		Permissions: permission,
		Ephemeral:   true,
		Subcommands: []bot.Subcommand{
			{Name: "search", Description: "Lists the entries, newest first, ten to a page", Options: filters,
				Handler: m.search, Autocomplete: m.suggest},
			{Name: "export", Description: "Sends the entries as a JSON file (the newest 10,000 at most)", Options: filters,
				Handler: m.export, Autocomplete: m.suggest},
		},
	}
}

// filterOf reads the options of /audit search and /audit export.
func (m *Module) filterOf(r *bot.Request) (filter, error) {
	var f filter
	f.User, _ = r.Snowflake("user")
	if a, ok := r.String("action"); ok {
		f.Action = normalAction(a)
	}
	if s, ok := r.String("since"); ok {
		t, err := parseSince(s, m.clock.Now())
		if err != nil {
			return filter{}, err
		}
		f.Since = t
	}
	return f, nil
}

// normalAction is an action option as matched: lower-case, without a
// trailing ".*" (a family written as a pattern).
func normalAction(a string) string {
	a = strings.ToLower(strings.TrimSpace(a))
	a = strings.TrimSuffix(a, "*")
	return strings.TrimSuffix(a, ".")
}

// parseSince reads the since option: a duration back from now ("7d",
// "12h") or a date, YYYY-MM-DD, at midnight UTC.
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if t.After(now) {
			return time.Time{}, userErr("since: %s is in the future, and nothing is recorded there yet.", s)
		}
		return t, nil
	}
	if looksLikeDate(s) {
		return time.Time{}, userErr("since: %q is not a date: write it YYYY-MM-DD, such as 2024-05-01 (a day of the calendar, in UTC).", s)
	}
	d, err := bot.ParseDuration(s)
	if err != nil {
		return time.Time{}, userErr("since: %q is neither a duration (%s) nor a date (YYYY-MM-DD, such as 2024-05-01, in UTC).",
			s, bot.DurationHelp)
	}
	return now.Add(-d), nil
}

// looksLikeDate reports whether s is digits and dashes with a dash
// inside, as a mistyped date is.
func looksLikeDate(s string) bool {
	if !strings.Contains(strings.Trim(s, "-"), "-") {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// search answers /audit search with the first page.
func (m *Module) search(ctx context.Context, r *bot.Request) (bot.Response, error) {
	if m.trail == nil {
		return bot.Response{}, errNoStore
	}
	f, err := m.filterOf(r)
	if err != nil {
		return bot.Response{}, err
	}
	if err := m.flush(ctx); err != nil {
		return bot.Response{}, err
	}
	if f.Upto, err = m.trail.lastID(ctx); err != nil {
		return bot.Response{}, err
	}
	return m.render(ctx, r.GuildID, f, 0)
}

// page answers the Previous and Next buttons, whose custom IDs are
// "audit:page:<page>:<upto>:<user>:<since>:<action>" (numbers in base
// 36; since in Unix milliseconds). Anyone who sees a button can press
// it, so the permission is checked here.
func (m *Module) page(ctx context.Context, r *bot.ComponentRequest) (bot.Response, error) {
	if m.trail == nil {
		return bot.Response{}, errNoStore
	}
	if !r.MemberPermissions.Has(permission) && !r.MemberPermissions.Has(discord.PermissionAdministrator) {
		return bot.Response{}, userErr("You need the VIEW_AUDIT_LOG permission to read the audit trail.")
	}
	p, f, err := parsePage(r.Data)
	if err != nil {
		return bot.Response{}, fmt.Errorf("audit: page button %q: %w", r.Data, err)
	}
	resp, err := m.render(ctx, r.GuildID, f, p)
	resp.Update = true
	return resp, err
}

// pageData is the data of a page button's custom ID.
func pageData(p int, f filter) []string {
	since := int64(0)
	if !f.Since.IsZero() {
		since = f.Since.UnixMilli()
	}
	return []string{strconv.FormatInt(int64(p), 36), strconv.FormatInt(f.Upto, 36), strconv.FormatUint(uint64(f.User), 36),
		strconv.FormatInt(since, 36), f.Action}
}

// parsePage reads what pageData wrote.
func parsePage(data string) (int, filter, error) {
	parts := strings.SplitN(data, ":", 5)
	if len(parts) != 5 {
		return 0, filter{}, fmt.Errorf("want 5 fields; got %d", len(parts))
	}
	p, err := strconv.ParseInt(parts[0], 36, 32)
	if err != nil || p < 0 {
		return 0, filter{}, fmt.Errorf("bad page %q", parts[0])
	}
	var f filter
	if f.Upto, err = strconv.ParseInt(parts[1], 36, 64); err != nil || f.Upto < 0 {
		return 0, filter{}, fmt.Errorf("bad bound %q", parts[1])
	}
	user, err := strconv.ParseUint(parts[2], 36, 64)
	if err != nil {
		return 0, filter{}, fmt.Errorf("bad user %q", parts[2])
	}
	f.User = snowflake.ID(user)
	since, err := strconv.ParseInt(parts[3], 36, 64)
	if err != nil {
		return 0, filter{}, fmt.Errorf("bad time %q", parts[3])
	}
	if since != 0 {
		f.Since = time.UnixMilli(since)
	}
	if len(parts[4]) > maxAction {
		return 0, filter{}, fmt.Errorf("action longer than %d", maxAction)
	}
	f.Action = parts[4]
	return int(p), f, nil
}

// render lists page p of the guild's entries matching f, with Previous
// and Next buttons when there is more than one page.
func (m *Module) render(ctx context.Context, guild snowflake.ID, f filter, p int) (bot.Response, error) {
	total, err := m.trail.count(ctx, guild, f)
	if err != nil {
		return bot.Response{}, err
	}
	if total == 0 {
		return m.nothing(ctx, guild, f)
	}
	pages := (total + perPage - 1) / perPage
	p = min(p, pages-1)
	list, err := m.trail.list(ctx, guild, f, p*perPage, perPage)
	if err != nil {
		return bot.Response{}, err
	}
	var b strings.Builder
	b.WriteString("Showing: " + describe(f) + "\n\n")
	mention := m.mentioner(guild)
	for _, e := range list {
		b.WriteString(line(e, mention) + "\n")
	}
	e := discord.Embed{Title: fmt.Sprintf("Audit trail: %s", plural(total, "entry", "entries")),
		Description: clip(b.String(), 4096), Color: 0x5865f2,
		Footer: &discord.EmbedFooter{Text: fmt.Sprintf("Page %d of %d · newest first · /audit export sends them as a file", p+1, pages)}}
	resp := bot.Response{Embeds: []discord.Embed{e}}
	if pages > 1 {
		// Custom IDs differ on one message: Previous on page 0 points to 0.
		prevID := m.host.CustomID(pageComponent, pageData(max(p-1, 0), f)...)
		nextID := m.host.CustomID(pageComponent, pageData(p+1, f)...)
		if len(prevID) <= maxCustomID && len(nextID) <= maxCustomID {
			prev := discord.NewSecondaryButton("Previous", prevID).WithDisabled(p == 0)
			next := discord.NewSecondaryButton("Next", nextID).WithDisabled(p >= pages-1)
			resp.Components = []discord.LayoutComponent{discord.NewActionRow(prev, next)}
		}
	}
	return resp, nil
}

// nothing answers a search or an export that matched no entry; for an
// action the guild never saw, it lists those it did.
func (m *Module) nothing(ctx context.Context, guild snowflake.ID, f filter) (bot.Response, error) {
	msg := "No audit entries match: " + describe(f) + "."
	if f.Action != "" {
		kinds, err := m.trail.kinds(ctx, guild)
		if err != nil {
			return bot.Response{}, err
		}
		if !slices.ContainsFunc(kinds, func(k string) bool { return k == f.Action || strings.HasPrefix(k, f.Action+".") }) {
			if len(kinds) == 0 {
				msg += " Nothing is recorded in this server yet."
			} else {
				msg += fmt.Sprintf(" The actions recorded here are: %s.", clip(strings.Join(kinds, ", "), 1500))
			}
		}
	}
	return bot.Response{Content: msg}, nil
}

// describe says what a filter selects.
func describe(f filter) string {
	var parts []string
	if f.User != 0 {
		parts = append(parts, fmt.Sprintf("by or about <@%s>", f.User))
	}
	if f.Action != "" {
		parts = append(parts, fmt.Sprintf("action `%s`", strings.ReplaceAll(f.Action, "`", "")))
	}
	if !f.Since.IsZero() {
		parts = append(parts, fmt.Sprintf("since <t:%d:f>", f.Since.Unix()))
	}
	if len(parts) == 0 {
		return "every entry"
	}
	return strings.Join(parts, " · ")
}

// line is an entry in one line: when, who, what, to whom or what, case
// or dry run, why, and the reference.
func line(e entry, mention func(snowflake.ID) string) string {
	parts := []string{fmt.Sprintf("<t:%d:R> %s **%s**", e.At.Unix(), actor(e), e.Kind)}
	switch e.Kind {
	case kindSettingsSet:
		parts[0] += fmt.Sprintf(" %s `%s`: `%s` → `%s`", e.Module, e.Key, quoteValue(e.Old), quoteValue(e.New))
	case kindSettingsReset:
		parts[0] += fmt.Sprintf(" %s: every key back to its default", e.Module)
	case kindModuleEnable, kindModuleDisable:
		parts[0] += " " + e.Module
	default:
		switch {
		case e.TargetID != 0:
			parts[0] += " " + mention(e.TargetID)
		case e.Erased&erasedTarget != 0:
			parts[0] += " (erased user)"
		}
	}
	if e.Case != 0 {
		parts = append(parts, fmt.Sprintf("case #%d", e.Case))
	}
	if e.DryRun {
		parts = append(parts, "**dry run**")
	}
	if e.Reason != "" {
		parts = append(parts, "“"+clip(e.Reason, 100)+"”")
	}
	if len(e.Details) > 0 {
		keys := make([]string, 0, len(e.Details))
		for k := range e.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		kv := make([]string, len(keys))
		for i, k := range keys {
			kv[i] = k + ": " + e.Details[k]
		}
		parts = append(parts, "("+clip(strings.Join(kv, ", "), 80)+")")
	}
	if e.CorrelationID != "" {
		parts = append(parts, "ref `"+e.CorrelationID+"`")
	}
	return strings.Join(parts, " · ")
}

// quoteValue is a setting's value inside backticks.
func quoteValue(v string) string {
	if v == "" {
		return " "
	}
	return clip(strings.ReplaceAll(v, "`", "'"), 60)
}

// actor says who did it.
func actor(e entry) string {
	switch {
	case e.ActorID != 0:
		return fmt.Sprintf("<@%s>", e.ActorID)
	case e.Erased&erasedActor != 0:
		return "(erased user)"
	case e.setting():
		return "an operator"
	}
	return "automatic"
}

// mentioner returns how to write a target of the guild as Discord shows
// it: a role or a channel the cache knows, else a user.
func (m *Module) mentioner(guild snowflake.ID) func(snowflake.ID) string {
	roles := map[snowflake.ID]bool{}
	if g, ok := m.host.Guild(guild); ok {
		for _, r := range g.Roles {
			roles[r.ID] = true
		}
	}
	return func(id snowflake.ID) string {
		switch {
		case roles[id]:
			return fmt.Sprintf("<@&%s>", id)
		case m.isChannel(guild, id):
			return fmt.Sprintf("<#%s>", id)
		}
		return fmt.Sprintf("<@%s>", id)
	}
}

// isChannel reports whether the cache knows id as a channel of the
// guild: the bot's permissions there resolve only for one.
func (m *Module) isChannel(guild, id snowflake.ID) bool {
	_, err := m.host.BotPermissions(guild, id)
	return err == nil
}

// plural writes n with the noun's singular or plural.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// suggest offers the action option's values: the kinds recorded in the
// guild, and their families, that contain what was typed.
func (m *Module) suggest(ctx context.Context, r *bot.Request) ([]bot.Choice, error) {
	if r.Focused != "action" || m.trail == nil {
		return nil, nil
	}
	typed, _ := r.String("action")
	typed = normalAction(typed)
	kinds, err := m.trail.kinds(ctx, r.GuildID)
	if err != nil {
		return nil, err
	}
	var families []string
	for _, k := range kinds {
		if fam, _, ok := strings.Cut(k, "."); ok && len(fam) <= maxAction && !slices.Contains(families, fam) {
			families = append(families, fam)
		}
	}
	var out []bot.Choice
	for _, fam := range families {
		if strings.Contains(fam, typed) {
			out = append(out, bot.Choice{Name: fmt.Sprintf("%s (every %s.* action)", fam, fam), Value: fam})
		}
	}
	for _, k := range kinds {
		if strings.Contains(k, typed) && len(k) <= maxAction {
			out = append(out, bot.Choice{Name: k, Value: k})
		}
	}
	return out[:min(len(out), 25)], nil
}
