package automod

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
)

// rule names a rule; its string is the settings key and the "rule" of
// every recorded action.
type rule uint8

// The message rules, in the order they are evaluated.
const (
	ruleSpam rule = iota
	ruleDuplicates
	ruleMentions
	ruleInvites
	ruleLinks
	ruleWords
	ruleCaps
	numRules
)

var ruleNames = [numRules]string{"spam", "duplicates", "mentions", "invites", "links", "words", "caps"}

func (r rule) String() string { return ruleNames[r] }

// content reports whether the rule reads what messages say (and so needs
// the MESSAGE_CONTENT intent).
func (r rule) content() bool { return r != ruleSpam && r != ruleMentions }

// actionKind is what a rule does to a message and its author.
type actionKind uint8

// Actions, from the mildest; a message caught by several rules gets the
// most severe.
const (
	actAlert actionKind = iota
	actDelete
	actWarn
	actTimeout
	actKick
	actBan
)

var actionNames = []string{"alert", "delete", "warn", "timeout", "kick", "ban"}

func (a actionKind) String() string { return actionNames[a] }

// deletes reports whether the action removes the message: every action
// but alert does.
func (a actionKind) deletes() bool { return a != actAlert }

// punishes reports whether the action does something to the member.
func (a actionKind) punishes() bool { return a >= actWarn }

func parseAction(s string) (actionKind, bool) {
	i := slices.Index(actionNames, s)
	return actionKind(max(i, 0)), i >= 0
}

// ruleAction is a rule's action as settings say it.
type ruleAction struct {
	on      bool
	kind    actionKind
	timeout time.Duration
	dryRun  bool
}

// rules are a guild's settings compiled for evaluation: lists lower-cased
// as bytes, patterns compiled. They are immutable once built.
type rules struct {
	src Settings // what they were compiled from

	alert          snowflake.ID
	exemptChannels []snowflake.ID
	exemptRoles    []snowflake.ID
	act            [numRules]ruleAction

	spamCount      int
	spamWindow     time.Duration
	dupCount       int
	dupWindow      time.Duration
	mentionCount   int
	inviteAllowed  [][]byte
	linkAllow      [][]byte
	linkDeny       [][]byte
	words          [][]byte
	patterns       []*regexp.Regexp
	patternSrc     []string
	anyPattern     *regexp.Regexp // every pattern at once: one scan per message
	capsMinLetters int
	capsPercent    int

	ring        int  // how many recent messages to keep per member
	any         bool // some message rule is on
	content     bool // some rule that reads content is on
	withContent bool // compiled knowing messages carry their text
}

// compile builds the rules of settings s, which validate has checked;
// content says whether messages carry their text (the MESSAGE_CONTENT
// intent): without it the rules that read it stay off.
func compile(s Settings, content bool) *rules {
	r := &rules{src: s, withContent: content, alert: s.AlertChannel, exemptChannels: s.ExemptChannels, exemptRoles: s.ExemptRoles,
		spamCount: s.Spam.Count, spamWindow: s.Spam.Window, dupCount: s.Duplicates.Count, dupWindow: s.Duplicates.Window,
		mentionCount: s.Mentions.Count, capsMinLetters: s.Caps.MinLetters, capsPercent: s.Caps.Percent}
	set := func(ru rule, on bool, resp Response) {
		kind, _ := parseAction(resp.Action)
		r.act[ru] = ruleAction{on: on && (content || !ru.content()), kind: kind, timeout: resp.Timeout, dryRun: resp.DryRun}
	}
	set(ruleSpam, s.Spam.Enabled, s.Spam.Response)
	set(ruleDuplicates, s.Duplicates.Enabled, s.Duplicates.Response)
	set(ruleMentions, s.Mentions.Enabled, s.Mentions.Response)
	set(ruleInvites, s.Invites.Enabled, s.Invites.Response)
	set(ruleLinks, s.Links.Enabled, s.Links.Response)
	set(ruleWords, s.Words.Enabled && (len(s.Words.List) > 0 || len(s.Words.Patterns) > 0), s.Words.Response)
	set(ruleCaps, s.Caps.Enabled, s.Caps.Response)

	r.inviteAllowed = lowerAll(s.Invites.Allowed)
	r.linkAllow, r.linkDeny = lowerAll(s.Links.Allow), lowerAll(s.Links.Deny)
	r.words = lowerAll(s.Words.List)
	for _, p := range s.Words.Patterns {
		if re, err := compilePattern(p); err == nil {
			r.patterns = append(r.patterns, re)
			r.patternSrc = append(r.patternSrc, p)
		}
	}
	if len(r.patterns) > 0 {
		parts := make([]string, len(r.patterns))
		for i, p := range r.patternSrc {
			parts[i] = "(?:" + p + ")"
		}
		r.anyPattern, _ = regexp.Compile("(?i)" + strings.Join(parts, "|")) // nil: try them one by one
	}
	for ru := range numRules {
		if r.act[ru].on {
			r.any = true
			r.content = r.content || ru.content()
		}
	}
	if r.act[ruleSpam].on {
		r.ring = s.Spam.Count
	}
	if r.act[ruleDuplicates].on {
		r.ring = max(r.ring, s.Duplicates.Count)
	}
	return r
}

func lowerAll(list []string) [][]byte {
	out := make([][]byte, len(list))
	for i, s := range list {
		out[i] = lowerInto(nil, s)
	}
	return out
}

// cooldown is how long a rule's action is not repeated for one member: the
// rule's own window, at least cooldownMin. Messages caught meanwhile are
// still deleted.
func (r *rules) cooldown(ru rule) time.Duration {
	switch ru {
	case ruleSpam:
		return max(r.spamWindow, cooldownMin)
	case ruleDuplicates:
		return max(r.dupWindow, cooldownMin)
	}
	return cooldownMin
}

// cooldownMin is the shortest time between two actions of one rule on
// one member.
const cooldownMin = 30 * time.Second

// describe says what a rule caught, for alerts and the audit trail.
func (r *rules) describe(ru rule, n int, match string) string {
	switch ru {
	case ruleSpam:
		return fmt.Sprintf("%d messages within %s", n, bot.FormatDuration(r.spamWindow))
	case ruleDuplicates:
		return fmt.Sprintf("the same message %d times within %s", n, bot.FormatDuration(r.dupWindow))
	case ruleMentions:
		return fmt.Sprintf("%d mentions in one message", n)
	case ruleInvites:
		return "an invite link (" + match + ")"
	case ruleLinks:
		return "a link to " + match
	case ruleWords:
		return "a banned word or pattern (" + match + ")"
	case ruleCaps:
		return fmt.Sprintf("%d%% capitals", n)
	}
	return ru.String()
}

// compiled caches the rules of each guild, rebuilt when the settings
// change (compared with what they were compiled from) or the intents
// are known. Readers take no lock: the map is replaced, never changed.
type compiled struct {
	mu      sync.Mutex // one writer at a time
	byGuild atomic.Pointer[map[snowflake.ID]*rules]
}

// get returns the guild's rules for settings s, compiling them when s
// differs from what the cached ones were built from.
func (c *compiled) get(guild snowflake.ID, s *Settings, content bool) *rules {
	if m := c.byGuild.Load(); m != nil {
		if r := (*m)[guild]; r != nil && r.withContent == content && sameSettings(&r.src, s) {
			return r
		}
	}
	r := compile(*s, content)
	c.update(func(m map[snowflake.ID]*rules) { m[guild] = r })
	return r
}

// forget drops a guild's rules.
func (c *compiled) forget(guild snowflake.ID) {
	c.update(func(m map[snowflake.ID]*rules) { delete(m, guild) })
}

// update replaces the map with a changed copy.
func (c *compiled) update(change func(map[snowflake.ID]*rules)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := map[snowflake.ID]*rules{}
	if m := c.byGuild.Load(); m != nil {
		maps.Copy(next, *m)
	}
	change(next)
	c.byGuild.Store(&next)
}

// sameSettings compares two settings values. It is called for every
// message, so it is cheap: the settings cache hands out the same slices
// until the settings change, and comparing a string with itself stops at
// the shared pointer.
func sameSettings(a, b *Settings) bool {
	return a.AlertChannel == b.AlertChannel && slices.Equal(a.ExemptRoles, b.ExemptRoles) &&
		slices.Equal(a.ExemptChannels, b.ExemptChannels) && a.Spam == b.Spam && a.Duplicates == b.Duplicates &&
		a.Mentions == b.Mentions && a.Caps == b.Caps &&
		a.Invites.Enabled == b.Invites.Enabled && a.Invites.Response == b.Invites.Response && slices.Equal(a.Invites.Allowed, b.Invites.Allowed) &&
		a.Links.Enabled == b.Links.Enabled && a.Links.Response == b.Links.Response && slices.Equal(a.Links.Allow, b.Links.Allow) && slices.Equal(a.Links.Deny, b.Links.Deny) &&
		a.Words.Enabled == b.Words.Enabled && a.Words.Response == b.Words.Response && slices.Equal(a.Words.List, b.Words.List) && slices.Equal(a.Words.Patterns, b.Words.Patterns) &&
		a.Raid.Enabled == b.Raid.Enabled && a.Raid.Count == b.Raid.Count && a.Raid.Window == b.Raid.Window &&
		a.Raid.RaiseVerification == b.Raid.RaiseVerification && a.Raid.DryRun == b.Raid.DryRun &&
		slices.Equal(a.Raid.LockChannels, b.Raid.LockChannels)
}
