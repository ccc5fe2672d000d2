package moderation

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
)

// perPage is how many cases a page of /cases or /warnings lists.
const perPage = 10

var colors = map[Action]int{
	ActionWarn: 0xf1c40f, ActionTimeout: 0xe67e22, ActionKick: 0xe74c3c, ActionBan: 0x992d22,
	ActionUnwarn: 0x2ecc71, ActionUntimeout: 0x2ecc71, ActionUnban: 0x2ecc71, ActionPurge: 0x3498db,
}

// caseEmbed shows a case in full: the modlog's message and /case.
func caseEmbed(c Case, now time.Time) discord.Embed {
	created := c.CreatedAt
	e := discord.Embed{
		Title:     fmt.Sprintf("Case #%d · %s", c.Number, c.Action.Title()),
		Color:     colors[c.Action],
		Timestamp: &created,
	}
	add := func(name, value string, inline bool) {
		if value != "" {
			e.Fields = append(e.Fields, discord.EmbedField{Name: name, Value: clip(value, 1024), Inline: &inline})
		}
	}
	if c.TargetID != 0 {
		add("Member", mentionOr(c.TargetID, c.TargetName), true)
	}
	add("Moderator", mentionOr(c.ModeratorID, ""), true)
	add("Reason", orNone(c.Reason), false)
	add("Details", c.Details, false)
	if !c.EndsAt.IsZero() {
		state := "Ends"
		if !c.EndsAt.After(now) {
			state = "Ended"
		}
		add(state, fmt.Sprintf("<t:%d:f> (<t:%d:R>)", c.EndsAt.Unix(), c.EndsAt.Unix()), false)
	}
	if c.RefCase != 0 {
		add("About", fmt.Sprintf("case #%d", c.RefCase), true)
	}
	if c.Revoked() {
		add("Removed", fmt.Sprintf("by %s in case #%d", mentionOr(c.RevokedBy, ""), c.RevokedCase), true)
	}
	switch c.Source {
	case sourceEscalation:
		e.Footer = &discord.EmbedFooter{Text: "Automatic: the warning ladder"}
	case sourceExpiry:
		e.Footer = &discord.EmbedFooter{Text: "Automatic: the temporary ban ended"}
	case sourceDiscord:
		e.Footer = &discord.EmbedFooter{Text: "Done in Discord's own interface"}
	case sourceAutomod:
		e.Footer = &discord.EmbedFooter{Text: "Automatic: automod"}
	}
	return e
}

// clip shortens s to at most n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func (m *Module) showCase(ctx context.Context, r *bot.Request) (bot.Response, error) {
	if m.cases == nil {
		return bot.Response{}, errNoStore
	}
	n, _ := r.Int("id")
	c, err := m.cases.get(ctx, r.GuildID, n)
	if errors.Is(err, errNoCase) {
		return bot.Response{}, userErr("There is no case #%d in this server.", n)
	}
	if err != nil {
		return bot.Response{}, err
	}
	return bot.Response{Embeds: []discord.Embed{caseEmbed(c, m.clock.Now())}}, nil
}

func (m *Module) warnings(ctx context.Context, r *bot.Request) (bot.Response, error) {
	return m.listOf(ctx, r, "warnings")
}

func (m *Module) listCases(ctx context.Context, r *bot.Request) (bot.Response, error) {
	return m.listOf(ctx, r, "cases")
}

func (m *Module) listOf(ctx context.Context, r *bot.Request, kind string) (bot.Response, error) {
	if m.cases == nil {
		return bot.Response{}, errNoStore
	}
	t, err := targetOf(r)
	if err != nil {
		return bot.Response{}, err
	}
	return m.render(ctx, r.GuildID, kind, t.user.ID, displayName(t.user, t.member), 0)
}

// page answers the Previous and Next buttons of /cases and /warnings,
// whose custom IDs are "moderation:<kind>:<user>:<page>". Anyone who
// sees a button can press it, so the permission is checked here.
func (m *Module) page(ctx context.Context, r *bot.ComponentRequest) (bot.Response, error) {
	if m.cases == nil {
		return bot.Response{}, errNoStore
	}
	if !r.MemberPermissions.Has(discord.PermissionModerateMembers) && !r.MemberPermissions.Has(discord.PermissionAdministrator) {
		return bot.Response{}, userErr("You need the MODERATE_MEMBERS permission to read cases.")
	}
	userPart, pagePart, _ := strings.Cut(r.Data, ":")
	user, err := snowflake.Parse(userPart)
	if err != nil {
		return bot.Response{}, fmt.Errorf("moderation: page button %q: %w", r.Data, err)
	}
	p, err := strconv.Atoi(pagePart)
	if err != nil || p < 0 {
		return bot.Response{}, fmt.Errorf("moderation: page button %q: bad page", r.Data)
	}
	resp, err := m.render(ctx, r.GuildID, r.Name, user, "", p)
	resp.Update = true
	return resp, err
}

// render lists a page of a user's cases or warnings, with Previous and
// Next buttons when there is more than one page.
func (m *Module) render(ctx context.Context, guild snowflake.ID, kind string, user snowflake.ID, name string, p int) (bot.Response, error) {
	all, err := m.cases.ofTarget(ctx, guild, user, kind == "warnings")
	if err != nil {
		return bot.Response{}, err
	}
	if name == "" && len(all) > 0 {
		name = all[0].TargetName
	}
	if name == "" {
		name = user.String()
	}
	if len(all) == 0 {
		what := "cases"
		if kind == "warnings" {
			what = "warnings"
		}
		return bot.Response{Content: fmt.Sprintf("%s has no %s here.", name, what)}, nil
	}
	pages := (len(all) + perPage - 1) / perPage
	p = min(p, pages-1)
	var b strings.Builder
	now := m.clock.Now()
	active := 0
	for _, c := range all {
		if c.Action == ActionWarn && !c.Revoked() {
			active++
		}
	}
	for _, c := range all[p*perPage : min(len(all), (p+1)*perPage)] {
		line := fmt.Sprintf("`#%d` **%s** <t:%d:d> by %s: %s", c.Number, c.Action.Title(), c.CreatedAt.Unix(),
			mentionOr(c.ModeratorID, ""), clip(orNone(c.Reason), 120))
		if !c.EndsAt.IsZero() {
			if c.EndsAt.After(now) {
				line += fmt.Sprintf(" (ends <t:%d:R>)", c.EndsAt.Unix())
			} else {
				line += " (ended)"
			}
		}
		if c.Revoked() {
			line = fmt.Sprintf("~~%s~~ removed in case #%d", line, c.RevokedCase)
		}
		b.WriteString(line + "\n")
	}
	title := fmt.Sprintf("Cases of %s (%d)", name, len(all))
	if kind == "warnings" {
		title = fmt.Sprintf("Warnings of %s: %d active of %d", name, active, len(all))
	}
	e := discord.Embed{Title: title, Description: b.String(), Color: colors[ActionWarn]}
	if pages > 1 {
		e.Footer = &discord.EmbedFooter{Text: fmt.Sprintf("Page %d of %d", p+1, pages)}
	}
	resp := bot.Response{Embeds: []discord.Embed{e}}
	if pages > 1 {
		// Custom IDs differ on one message: Previous on page 0 points to 0.
		prev := discord.NewSecondaryButton("Previous", m.host.CustomID(kind, user.String(), strconv.Itoa(max(p-1, 0)))).WithDisabled(p == 0)
		next := discord.NewSecondaryButton("Next", m.host.CustomID(kind, user.String(), strconv.Itoa(p+1))).WithDisabled(p >= pages-1)
		resp.Components = []discord.LayoutComponent{discord.NewActionRow(prev, next)}
	}
	return resp, nil
}
