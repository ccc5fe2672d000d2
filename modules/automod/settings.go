package automod

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
)

// Settings are the module's settings in one server, edited with
// /settings (keys "spam.count", "links.deny", ...). Every rule is off
// until a moderator turns it on, so installing the module changes nothing.
type Settings struct {
	AlertChannel   snowflake.ID   `json:"alert_channel" kind:"channel" doc:"Where automod posts what it did and what it could not do (none: nowhere)."`
	ExemptRoles    []snowflake.ID `json:"exempt_roles" kind:"role" doc:"Members with any of these roles are never checked."`
	ExemptChannels []snowflake.ID `json:"exempt_channels" kind:"channel" doc:"Messages in these channels are never checked."`

	Spam       SpamRule      `json:"spam"`
	Duplicates DuplicateRule `json:"duplicates"`
	Mentions   MentionRule   `json:"mentions"`
	Invites    InviteRule    `json:"invites"`
	Links      LinkRule      `json:"links"`
	Words      WordRule      `json:"words"`
	Caps       CapsRule      `json:"caps"`
	Raid       RaidRule      `json:"raid"`
}

// SpamRule catches a member sending Count messages within Window.
type SpamRule struct {
	Enabled bool          `json:"enabled" doc:"Catch a member sending many messages quickly."`
	Count   int           `json:"count" doc:"How many messages within window count as spam (2 to 30)."`
	Window  time.Duration `json:"window" doc:"The time the messages are counted over (1s to 5m)."`
	Response
}

// DuplicateRule catches a member sending the same text Count times within
// Window.
type DuplicateRule struct {
	Enabled bool          `json:"enabled" doc:"Catch a member repeating the same message."`
	Count   int           `json:"count" doc:"How many identical messages within window are too many (2 to 30)."`
	Window  time.Duration `json:"window" doc:"The time they are counted over (1s to 10m)."`
	Response
}

// Response is what a rule does when it catches a message; every message
// rule has one.
type Response struct {
	Action  string        `json:"action" doc:"What to do: delete, warn, timeout, kick, ban or alert."`
	Timeout time.Duration `json:"timeout" doc:"How long a timeout lasts (1m to 28d), for action timeout."`
	DryRun  bool          `json:"dry_run" doc:"Only record what the rule would have done."`
}

// MentionRule catches a message that mentions Count or more users and
// roles.
type MentionRule struct {
	Enabled bool `json:"enabled" doc:"Catch messages that mention many people or roles."`
	Count   int  `json:"count" doc:"How many user and role mentions in one message are too many (2 to 50)."`
	Response
}

// InviteRule catches Discord invite links to other servers.
type InviteRule struct {
	Enabled bool     `json:"enabled" doc:"Catch invite links (discord.gg/..., discord.com/invite/...)."`
	Allowed []string `json:"allowed" doc:"Invite codes that are allowed, such as this server's own (up to 50)."`
	Response
}

// LinkRule catches links by their domain.
type LinkRule struct {
	Enabled bool     `json:"enabled" doc:"Catch links (http:// and https://) by domain."`
	Allow   []string `json:"allow" doc:"When not empty, only links to these domains (and their subdomains) are allowed (up to 100)."`
	Deny    []string `json:"deny" doc:"Links to these domains (and their subdomains) are caught (up to 100); with both lists empty, every link is."`
	Response
}

// WordRule catches banned words and patterns.
type WordRule struct {
	Enabled  bool     `json:"enabled" doc:"Catch banned words and patterns."`
	List     []string `json:"list" doc:"Banned words or phrases, matched as whole words whatever their case (up to 200, 100 characters each)."`
	Patterns []string `json:"patterns" doc:"Banned patterns, Go RE2 regular expressions, case-insensitive (up to 20, 200 characters each)."`
	Response
}

// CapsRule catches messages written mostly in capital letters.
type CapsRule struct {
	Enabled    bool `json:"enabled" doc:"Catch messages written mostly in capitals."`
	MinLetters int  `json:"min_letters" doc:"Only messages with at least this many letters are checked (1 to 2000)."`
	Percent    int  `json:"percent" doc:"Caught above this share of capitals among the letters, in percent (1 to 99)."`
	Response
}

// RaidRule catches many members joining at once, and answers with an
// alert and, optionally, a lockdown.
type RaidRule struct {
	Enabled           bool           `json:"enabled" doc:"Catch join raids: many members joining at once."`
	Count             int            `json:"count" doc:"How many joins within window make a raid (2 to 100)."`
	Window            time.Duration  `json:"window" doc:"The time joins are counted over (1s to 10m)."`
	RaiseVerification int            `json:"raise_verification" doc:"On a raid, raise the verification level to this (1 low to 4 highest; 0: leave it)."`
	LockChannels      []snowflake.ID `json:"lock_channels" kind:"channel" doc:"Channels a lockdown closes to @everyone, on a raid or with /lockdown start (up to 50)."`
	DryRun            bool           `json:"dry_run" doc:"Only record what the rule would have done."`
}

// Defaults: every rule off, with the values most servers want once they
// turn one on.
func defaultSettings() Settings {
	r := Response{Action: "delete", Timeout: 10 * time.Minute}
	return Settings{
		Spam:       SpamRule{Count: 5, Window: 5 * time.Second, Response: r},
		Duplicates: DuplicateRule{Count: 3, Window: 30 * time.Second, Response: r},
		Mentions:   MentionRule{Count: 5, Response: r},
		Invites:    InviteRule{Response: r},
		Links:      LinkRule{Response: r},
		Words:      WordRule{Response: r},
		Caps:       CapsRule{MinLetters: 10, Percent: 70, Response: r},
		Raid:       RaidRule{Count: 10, Window: 10 * time.Second},
	}
}

// Limits of the settings.
const (
	maxRingCount     = 30 // spam.count and duplicates.count
	maxWords         = 200
	maxWordLen       = 100
	maxPatterns      = 20
	maxPatternLen    = 200
	maxDomains       = 100
	maxInviteCodes   = 50
	maxLockChannels  = 50
	maxTimeout       = 28 * 24 * time.Hour // Discord's limit
	minTimeout       = time.Minute
	actionsAllowed   = "delete, warn, timeout, kick, ban or alert"
	maxVerification  = 4
	maxMentionsCount = 50
)

// validate checks every key and normalises the lists (lower case, no
// duplicates, codes and domains without their URL around them). Each
// error names the key, what was wrong and what is allowed.
func validate(s *Settings) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	intIn := func(key string, v, lo, hi int) {
		if v < lo || v > hi {
			bad("%s: want %d to %d; got %d", key, lo, hi, v)
		}
	}
	durIn := func(key string, v, lo, hi time.Duration) {
		if v < lo || v > hi {
			bad("%s: want %s to %s; got %s", key, bot.FormatDuration(lo), bot.FormatDuration(hi), bot.FormatDuration(v))
		}
	}
	act := func(rule string, r Response) {
		if _, ok := parseAction(r.Action); !ok {
			bad("%s.action: want %s; got %q", rule, actionsAllowed, r.Action)
		}
		if r.Timeout != 0 || r.Action == "timeout" {
			durIn(rule+".timeout", r.Timeout, minTimeout, maxTimeout)
		}
	}

	if len(s.ExemptRoles) > 100 || len(s.ExemptChannels) > 100 {
		bad("exempt_roles and exempt_channels: want at most 100 each")
	}
	intIn("spam.count", s.Spam.Count, 2, maxRingCount)
	durIn("spam.window", s.Spam.Window, time.Second, 5*time.Minute)
	act("spam", s.Spam.Response)

	intIn("duplicates.count", s.Duplicates.Count, 2, maxRingCount)
	durIn("duplicates.window", s.Duplicates.Window, time.Second, 10*time.Minute)
	act("duplicates", s.Duplicates.Response)

	intIn("mentions.count", s.Mentions.Count, 2, maxMentionsCount)
	act("mentions", s.Mentions.Response)

	codes, err := normaliseList("invites.allowed", s.Invites.Allowed, maxInviteCodes, normaliseInvite)
	errs = append(errs, err)
	s.Invites.Allowed = codes
	act("invites", s.Invites.Response)

	allow, err := normaliseList("links.allow", s.Links.Allow, maxDomains, normaliseDomain)
	errs = append(errs, err)
	deny, err := normaliseList("links.deny", s.Links.Deny, maxDomains, normaliseDomain)
	errs = append(errs, err)
	s.Links.Allow, s.Links.Deny = allow, deny
	act("links", s.Links.Response)

	words, err := normaliseList("words.list", s.Words.List, maxWords, normaliseWord)
	errs = append(errs, err)
	s.Words.List = words
	if len(s.Words.Patterns) > maxPatterns {
		bad("words.patterns: want at most %d patterns; got %d", maxPatterns, len(s.Words.Patterns))
	}
	for _, p := range s.Words.Patterns {
		if _, err := compilePattern(p); err != nil {
			errs = append(errs, err)
		}
	}
	act("words", s.Words.Response)

	intIn("caps.min_letters", s.Caps.MinLetters, 1, 2000)
	intIn("caps.percent", s.Caps.Percent, 1, 99)
	act("caps", s.Caps.Response)

	intIn("raid.count", s.Raid.Count, 2, 100)
	durIn("raid.window", s.Raid.Window, time.Second, 10*time.Minute)
	if s.Raid.RaiseVerification < 0 || s.Raid.RaiseVerification > maxVerification {
		bad("raid.raise_verification: want 0 (leave it), 1 (low), 2 (medium), 3 (high) or 4 (highest); got %d", s.Raid.RaiseVerification)
	}
	if len(s.Raid.LockChannels) > maxLockChannels {
		bad("raid.lock_channels: want at most %d channels; got %d", maxLockChannels, len(s.Raid.LockChannels))
	}
	return joinErrors(errs)
}

// joinErrors joins the errors that are not nil with "; ", so that the
// message /settings shows stays on one line.
func joinErrors(errs []error) error {
	var msgs []string
	for _, e := range errs {
		if e != nil {
			msgs = append(msgs, e.Error())
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return errors.New(strings.Join(msgs, "; "))
}

// normaliseList normalises each item of a list with norm, drops
// duplicates and checks the list's length.
func normaliseList(key string, in []string, maxItems int, norm func(string) (string, error)) ([]string, error) {
	if len(in) > maxItems {
		return in, fmt.Errorf("%s: want at most %d entries; got %d", key, maxItems, len(in))
	}
	out := make([]string, 0, len(in))
	for _, item := range in {
		v, err := norm(item)
		if err != nil {
			return in, fmt.Errorf("%s: %w", key, err)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// normaliseWord lower-cases a banned word or phrase.
func normaliseWord(w string) (string, error) {
	w = strings.Join(strings.Fields(w), " ")
	switch n := utf8.RuneCountInString(w); {
	case n == 0:
		return "", errors.New("an empty word; want 1 to 100 characters")
	case n > maxWordLen:
		return "", fmt.Errorf("%q is %d characters long; want at most %d", w, n, maxWordLen)
	}
	return lowerString(w), nil
}

var domainPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)

// normaliseDomain reads "Example.com", "https://example.com/x" or
// "*.example.com" as "example.com".
func normaliseDomain(d string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(d))
	v = strings.TrimPrefix(strings.TrimPrefix(v, "https://"), "http://")
	if i := strings.IndexAny(v, "/?#"); i >= 0 {
		v = v[:i]
	}
	v = strings.TrimSuffix(strings.TrimPrefix(v, "*."), ".")
	if len(v) > 253 || !domainPattern.MatchString(v) {
		return "", fmt.Errorf("%q is not a domain; want a name like example.com", d)
	}
	return v, nil
}

var invitePattern = regexp.MustCompile(`^[A-Za-z0-9-]{2,32}$`)

// normaliseInvite reads an invite code, or a whole invite link, as the
// code.
func normaliseInvite(c string) (string, error) {
	v := strings.TrimSpace(c)
	if i := strings.LastIndexByte(v, '/'); i >= 0 {
		v = v[i+1:]
	}
	if !invitePattern.MatchString(v) {
		return "", fmt.Errorf("%q is not an invite code; want the part after discord.gg/, 2 to 32 letters, digits or -", c)
	}
	return v, nil
}

// compilePattern compiles a banned pattern, case-insensitive unless it
// says otherwise; the error names the pattern and says what is wrong.
func compilePattern(p string) (*regexp.Regexp, error) {
	if n := utf8.RuneCountInString(p); n == 0 || n > maxPatternLen {
		return nil, fmt.Errorf("words.patterns: %q is %d characters long; want 1 to %d", p, n, maxPatternLen)
	}
	re, err := regexp.Compile("(?i)" + p)
	if err != nil {
		msg := err.Error()
		var se *syntax.Error
		if errors.As(err, &se) {
			msg = se.Code.String()
			if expr := strings.TrimPrefix(se.Expr, "(?i)"); expr != "" {
				msg += ": `" + expr + "`"
			}
		}
		return nil, fmt.Errorf("words.patterns: %q is not a valid RE2 pattern: %s", p, msg)
	}
	return re, nil
}
