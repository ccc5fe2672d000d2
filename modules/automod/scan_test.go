package automod

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/disgoorg/snowflake/v2"

	"github.com/hearthbot/hearth/bot"
)

func bytesOf(list ...string) [][]byte { return lowerAll(list) }

func TestFindInvite(t *testing.T) {
	allowed := bytesOf("ourplace")
	cases := []struct {
		text, want string
	}{
		{"join discord.gg/abc123", "abc123"},
		{"https://DISCORD.com/invite/XyZ-9 now", "xyz-9"},
		{"discordapp.com/invite/old1", "old1"},
		{"ours: discord.gg/OurPlace, theirs: discord.gg/theirs", "theirs"},
		{"discord.gg/ourplace only", ""},
		{"notdiscord.gg/abc", ""},
		{"discord.gg/", ""},
		{"discord.gg/a", ""},
		{"talk about discord", ""},
	}
	for _, c := range cases {
		code, ok := findInvite(lowerInto(nil, c.text), allowed)
		if string(code) != c.want || ok != (c.want != "") {
			t.Errorf("findInvite(%q): got %q, %v; want %q", c.text, code, ok, c.want)
		}
	}
}

func TestFindLink(t *testing.T) {
	cases := []struct {
		text        string
		allow, deny []string
		want        string
	}{
		{"see https://bad.example/x", nil, []string{"bad.example"}, "bad.example"},
		{"see https://cdn.bad.example", nil, []string{"bad.example"}, "cdn.bad.example"},
		{"see https://notbad.example", nil, []string{"bad.example"}, ""},
		{"see http://user:pw@BAD.example:8080/x", nil, []string{"bad.example"}, "bad.example"},
		{"bad.example without a scheme", nil, []string{"bad.example"}, ""},
		{"https://docs.good.example ok", []string{"good.example"}, nil, ""},
		{"https://docs.good.example and https://other.example", []string{"good.example"}, nil, "other.example"},
		{"any https://link.example", nil, nil, "link.example"},
		{"no link at all", nil, nil, ""},
		{"https://", nil, nil, ""},
		{"https://good.example but https://bad.example", []string{"good.example", "bad.example"}, []string{"bad.example"}, "bad.example"},
	}
	for _, c := range cases {
		host, ok := findLink(lowerInto(nil, c.text), bytesOf(c.allow...), bytesOf(c.deny...))
		if string(host) != c.want || ok != (c.want != "") {
			t.Errorf("findLink(%q, allow %v, deny %v): got %q, %v; want %q", c.text, c.allow, c.deny, host, ok, c.want)
		}
	}
}

func TestFindWordMatchesWholeWordsInAnyCase(t *testing.T) {
	words := bytesOf("darn", "free nitro", "ñoño", "@here")
	cases := []struct {
		text string
		want string
	}{
		{"well DARN it", "darn"},
		{"darn.", "darn"},
		{"darning socks", ""},
		{"undarn", ""},
		{"get FREE\tNITRO", "free nitro"},
		{"freenitro", ""},
		{"ÑOÑO!", "ñoño"},
		{"ñoños", ""},
		{"ping @here", "@here"},
		{"x@here", "@here"},
	}
	for _, c := range cases {
		i, ok := findWord(lowerInto(nil, c.text), words)
		got := ""
		if ok {
			got = string(words[i])
		}
		if got != c.want {
			t.Errorf("findWord(%q): got %q; want %q", c.text, got, c.want)
		}
	}
}

func TestCapitalsLeaveOutMarkupAndLinks(t *testing.T) {
	cases := []struct {
		text          string
		letters, caps int
	}{
		{"HELLO there", 10, 5},
		{"<@123> <:KEKW:456> <a:PEPE:789> <t:1700000000:R> hi", 2, 0},
		{"HTTPS://EXAMPLE.COM/ABC ok", 2, 0},
		{"ÉCOLE", 5, 5},
		{"<not markup>", 9, 0},
	}
	for _, c := range cases {
		l, u := capitals(c.text)
		if l != c.letters || u != c.caps {
			t.Errorf("capitals(%q): got %d letters, %d capitals; want %d, %d", c.text, l, u, c.letters, c.caps)
		}
	}
}

func TestContentHashIgnoresCaseAndSpacing(t *testing.T) {
	h := func(s string) uint64 { return contentHash(lowerInto(nil, s)) }
	if h("Buy  Gold now ") != h("buy gold now") || h("buy gold") == h("buy gold now") {
		t.Error("contentHash: case and spacing change the hash, or different texts share one")
	}
	if h("") != 0 || h("   ") != 0 {
		t.Error("contentHash of no text: want 0")
	}
}

// fuzzRules are the content rules, all on.
func fuzzRules() *rules {
	s := defaultSettings()
	s.Spam.Enabled, s.Duplicates.Enabled, s.Mentions.Enabled = true, true, true
	s.Invites.Enabled, s.Invites.Allowed = true, []string{"ourplace"}
	s.Links.Enabled, s.Links.Allow, s.Links.Deny = true, []string{"good.example"}, []string{"bad.good.example"}
	s.Words.Enabled, s.Words.List, s.Words.Patterns = true, []string{"darn", "free nitro", "ñ"}, []string{`g[i1]ft ?card`, `^\s*$`}
	s.Caps.Enabled = true
	if err := validate(&s); err != nil {
		panic(err)
	}
	return compile(s, true)
}

// FuzzEvaluate runs every content rule on arbitrary text, as members
// may send anything: no panic, and what a rule reports is in the text.
func FuzzEvaluate(f *testing.F) {
	for _, seed := range []string{"", "hello", "discord.gg/x", "https://bad.good.example/a", "DARN", "free\u00a0nitro",
		"<@1> <#2> <:a:3>", "https://user@:80", "\xff\xfe", strings.Repeat("A", 300), "ÑOÑO discord.com/invite/ourplace"} {
		f.Add(seed)
	}
	r := fuzzRules()
	tr := newTracker(1000)
	at := time.Unix(1_700_000_000, 0)
	id := snowflake.ID(1)
	f.Fuzz(func(t *testing.T, text string) {
		id++
		ev := bot.MessageCreated{ID: id, GuildID: 1, ChannelID: 2, Author: bot.User{ID: 3}, Content: text}
		v := tr.evaluate(r, &ev, at)
		lowered := string(lowerInto(nil, text))
		if v.has(ruleInvites) && !strings.Contains(lowered, strings.TrimPrefix(v.match[ruleInvites], "discord.gg/")) {
			t.Errorf("invite %q is not in %q", v.match[ruleInvites], text)
		}
		if v.has(ruleLinks) && !strings.Contains(lowered, v.match[ruleLinks]) {
			t.Errorf("link host %q is not in %q", v.match[ruleLinks], text)
		}
		if v.has(ruleCaps) && (v.count[ruleCaps] <= 70 || v.count[ruleCaps] > 100) {
			t.Errorf("caps at %d%% caught; want above 70%%", v.count[ruleCaps])
		}
		if l, u := capitals(text); u > l || l > utf8.RuneCountInString(text) {
			t.Errorf("capitals(%q) = %d, %d", text, l, u)
		}
		for _, d := range v.deletes {
			if d.id == 0 || d.channel != 2 {
				t.Errorf("deletes %+v", d)
			}
		}
	})
}
