package logs

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
	"github.com/hearthbot/hearth/ratelimit"
)

// How entries look. Message edits and deletions are embeds, which have
// room for the old and new content; member events are one line each,
// so a wave of joins fills few messages. Everything a person wrote is
// shown inside a code block (which renders mentions, links and markdown
// as plain text) or escaped.

// Embed colours.
const (
	colorEdited  = 0xf1c40f // amber
	colorDeleted = 0xe74c3c // red
	colorBulk    = 0x992d22 // dark red
)

// Limits of what an entry shows.
const (
	maxQuoted      = 1800 // characters of one message's content in an embed
	maxBulkLine    = 150  // characters of one message in a bulk deletion's list
	maxDescription = 4000 // Discord allows 4096
	maxRolesShown  = 20
	newAccountAge  = 7 * 24 * time.Hour
)

const noContentNote = "*Content not available: Discord has not granted the bot the MESSAGE_CONTENT intent.*"

// displayName is how a person is named: their global display name, or
// their username.
func displayName(u bot.User) string {
	if u.GlobalName != "" {
		return u.GlobalName
	}
	return u.Username
}

// clip cuts s to at most n characters, ending with "…" when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, count := 0, 0
	for j := range s {
		if count == n-1 {
			i = j
			break
		}
		count++
	}
	return s[:i] + "…"
}

// markdownEscaper escapes what Discord's markdown would interpret in a
// name: emphasis, code, spoilers, quotes, masked links and mentions.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, `*`, `\*`, `_`, `\_`, `~`, `\~`, "`", "\\`", `|`, `\|`, `>`, `\>`, `<`, `\<`,
	`@`, `\@`, `#`, `\#`, `[`, `\[`, `]`, `\]`,
)

// escape makes a name safe to show in bold or plain text: one line,
// markdown and mentions shown as typed.
func escape(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "(no name)"
	}
	return markdownEscaper.Replace(clip(s, 64))
}

// fenceBreaker stops content from closing a code block: no run of three
// backticks survives (a zero-width space splits every pair).
var fenceBreaker = strings.NewReplacer("``", "`\u200b`")

// quote shows text as typed, inside a code block, in at most n+1
// characters.
func quote(s string, n int) string {
	if strings.TrimSpace(s) == "" {
		return "*(no text)*"
	}
	s = clip(fenceBreaker.Replace(s), n)
	if strings.HasSuffix(s, "`") {
		s += "\u200b" // so the content's last backtick does not join the fence
	}
	return "```\n" + s + "\n```"
}

// oneLine shows text on one line, for a list inside a code block.
func oneLine(s string, n int) string {
	s = clip(fenceBreaker.Replace(strings.Join(strings.Fields(s), " ")), n)
	if strings.HasSuffix(s, "`") {
		s += "\u200b"
	}
	return s
}

func userMention(id snowflake.ID) string    { return "<@" + id.String() + ">" }
func channelMention(id snowflake.ID) string { return "<#" + id.String() + ">" }
func roleMention(id snowflake.ID) string    { return "<@&" + id.String() + ">" }

// relative is a Discord timestamp shown as "3 days ago".
func relative(t time.Time) string { return "<t:" + strconv.FormatInt(t.Unix(), 10) + ":R>" }

func jumpURL(guild, channel, message snowflake.ID) string {
	return "https://discord.com/channels/" + guild.String() + "/" + channel.String() + "/" + message.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// editedEntry shows an edit: the content before (from the cache) and
// after.
type editedEntry struct {
	guild, channel, message, author snowflake.ID
	name                            string
	before, after                   string
	beforeKnown                     bool
	missReason                      string // why before is not known
	content                         bool   // whether the bot can read content at all
	at                              time.Time
}

func (e editedEntry) entry() ratelimit.Entry {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) edited a message in %s · [Jump to it](%s)\n", userMention(e.author), escape(e.name),
		channelMention(e.channel), jumpURL(e.guild, e.channel, e.message))
	switch {
	case !e.content:
		b.WriteString(noContentNote)
	default:
		b.WriteString("**Before**\n")
		if e.beforeKnown {
			b.WriteString(quote(e.before, maxQuoted))
		} else {
			b.WriteString("*Not in cache: " + e.missReason + ".*")
		}
		b.WriteString("\n**After**\n")
		b.WriteString(quote(e.after, maxQuoted))
	}
	at := e.at
	return ratelimit.Entry{Embeds: []discord.Embed{{
		Title:       "Message edited",
		Description: b.String(),
		Color:       colorEdited,
		Timestamp:   &at,
		Footer:      &discord.EmbedFooter{Text: "User ID " + e.author.String() + " · Message ID " + e.message.String()},
	}}}
}

// deletedEntry shows a deletion: the cached message, or why it is not
// known.
type deletedEntry struct {
	channel, message snowflake.ID
	cached           *cachedMessage // nil when not in cache
	missReason       string
	content          bool
	at               time.Time
}

func (e deletedEntry) entry() ratelimit.Entry {
	var b strings.Builder
	footer := "Message ID " + e.message.String()
	sent := e.message.Time()
	if m := e.cached; m != nil {
		fmt.Fprintf(&b, "A message by %s (%s) in %s was deleted. It was sent %s.\n", userMention(m.author), escape(m.name),
			channelMention(e.channel), relative(sent))
		switch {
		case !e.content:
			b.WriteString(noContentNote)
		default:
			b.WriteString(quote(m.content, maxQuoted))
		}
		if m.attachments > 0 {
			b.WriteString("\n📎 " + plural(m.attachments, "attachment", "attachments"))
		}
		if !m.edited.IsZero() {
			b.WriteString("\n*(edited before it was deleted; this is the last version)*")
		}
		footer = "User ID " + m.author.String() + " · " + footer
	} else {
		fmt.Fprintf(&b, "A message in %s, sent %s, was deleted.\n*Not in cache: %s, so its author and content are unknown.*",
			channelMention(e.channel), relative(sent), e.missReason)
	}
	at := e.at
	return ratelimit.Entry{Embeds: []discord.Embed{{
		Title:       "Message deleted",
		Description: b.String(),
		Color:       colorDeleted,
		Timestamp:   &at,
		Footer:      &discord.EmbedFooter{Text: footer},
	}}}
}

// bulkEntry summarises a bulk deletion: how many, the cached ones in a
// list, and how many were not known.
type bulkEntry struct {
	channel    snowflake.ID
	cached     []cachedMessage // oldest first
	missing    int
	missReason string
	content    bool
	at         time.Time
}

func (e bulkEntry) entry() ratelimit.Entry {
	total := len(e.cached) + e.missing
	var b strings.Builder
	fmt.Fprintf(&b, "%s deleted at once in %s.", plural(total, "message", "messages"), channelMention(e.channel))
	switch {
	case e.missing == 1:
		fmt.Fprintf(&b, " 1 was not in cache (%s).", e.missReason)
	case e.missing > 1:
		fmt.Fprintf(&b, " %d were not in cache (%s).", e.missing, e.missReason)
	}
	if len(e.cached) > 0 {
		authors := map[snowflake.ID]int{}
		for _, m := range e.cached {
			authors[m.author]++
		}
		fmt.Fprintf(&b, "\nFrom cache, oldest first (%s):\n", plural(len(authors), "author", "authors"))
		b.WriteString("```\n")
		room := maxDescription - utf8.RuneCountInString(b.String()) - 60
		shown := 0
		for _, m := range e.cached {
			text := "[" + plural(m.attachments, "attachment", "attachments") + "]"
			if e.content {
				text = oneLine(m.content, maxBulkLine)
				if m.attachments > 0 {
					text += " [+" + plural(m.attachments, "attachment", "attachments") + "]"
				}
			}
			line := oneLine(m.name, 32) + ": " + text + "\n"
			if n := utf8.RuneCountInString(line); n > room {
				break
			} else {
				room -= n
			}
			b.WriteString(line)
			shown++
		}
		if rest := len(e.cached) - shown; rest > 0 {
			fmt.Fprintf(&b, "… and %d more\n", rest)
		}
		b.WriteString("```")
		if !e.content {
			b.WriteString("\n" + noContentNote)
		}
	}
	at := e.at
	return ratelimit.Entry{Embeds: []discord.Embed{{
		Title:       "Messages deleted in bulk",
		Description: b.String(),
		Color:       colorBulk,
		Timestamp:   &at,
	}}}
}

// joinLine is a member joining.
func joinLine(m bot.Member, now time.Time) string {
	created := m.User.ID.Time()
	line := fmt.Sprintf("📥 **%s** joined · %s · `%s` · account created %s", escape(displayName(m.User)),
		userMention(m.User.ID), m.User.ID, relative(created))
	if now.Sub(created) < newAccountAge {
		line += " · ⚠️ new account"
	}
	return line
}

// leaveLine is a member leaving (or removed); known is what the member
// cache held of them, if anything.
func leaveLine(u bot.User, known *memberState) string {
	line := fmt.Sprintf("📤 **%s** left · %s · `%s`", escape(displayName(u)), userMention(u.ID), u.ID)
	if known == nil {
		return line
	}
	if !known.joined.IsZero() {
		line += " · joined " + relative(known.joined)
	}
	if len(known.roles) > 0 {
		line += " · roles: " + roleList(known.roles)
	}
	return line
}

// roleList mentions roles, at most maxRolesShown.
func roleList(ids []snowflake.ID) string {
	parts := make([]string, 0, min(len(ids), maxRolesShown)+1)
	for i, id := range ids {
		if i == maxRolesShown {
			parts = append(parts, fmt.Sprintf("and %d more", len(ids)-i))
			break
		}
		parts = append(parts, roleMention(id))
	}
	return strings.Join(parts, ", ")
}

// nickText shows a nickname, or that there is none.
func nickText(n string) string {
	if n == "" {
		return "*none*"
	}
	return "**" + escape(n) + "**"
}

// nickLine is a nickname change.
func nickLine(name string, user snowflake.ID, before, after string) string {
	return fmt.Sprintf("🏷️ **%s** (%s) nickname: %s → %s", escape(name), userMention(user), nickText(before), nickText(after))
}

// rolesLine is roles given and taken.
func rolesLine(name string, user snowflake.ID, added, removed []snowflake.ID) string {
	line := fmt.Sprintf("🎭 **%s** (%s) roles:", escape(name), userMention(user))
	if len(added) > 0 {
		line += " added " + roleList(added)
	}
	if len(removed) > 0 {
		if len(added) > 0 {
			line += ";"
		}
		line += " removed " + roleList(removed)
	}
	return line
}

// firstSeenLine is a member update when the member's previous state is
// not known: it says what they are now.
func firstSeenLine(s memberState, user snowflake.ID, nicks, roles bool) string {
	var parts []string
	if nicks {
		parts = append(parts, "nickname "+nickText(s.nick))
	}
	if roles {
		r := "no roles"
		if len(s.roles) > 0 {
			r = "roles " + roleList(s.roles)
		}
		parts = append(parts, r)
	}
	return fmt.Sprintf("👤 **%s** (%s) was updated and now has %s. *What changed is unknown: this is the first change to them the bot has seen since it started.*",
		escape(s.name), userMention(user), strings.Join(parts, ", "))
}
