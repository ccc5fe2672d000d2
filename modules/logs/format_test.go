package logs

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuoteKeepsContentInsideOneCodeBlock(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hello", "```\nhello\n```"},
		{"", "*(no text)*"},
		{"   ", "*(no text)*"},
		{"a ``` b", "```\na `\u200b`` b\n```"},
		{"ends with `", "```\nends with `\u200b\n```"},
	}
	for _, tt := range tests {
		if got := quote(tt.in, 100); got != tt.want {
			t.Errorf("quote(%q): got %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestClipCutsAtCharacters(t *testing.T) {
	if got := clip("héllo wörld", 5); got != "héll…" {
		t.Errorf("clip: got %q; want %q", got, "héll…")
	}
	if got := clip("short", 5); got != "short" {
		t.Errorf("clip: got %q; want it whole", got)
	}
}

func TestEscapeShowsNamesAsTyped(t *testing.T) {
	if got, want := escape("**@everyone** <@&1>\nx_y"), `\*\*\@everyone\*\* \<\@&1\> x\_y`; got != want {
		t.Errorf("escape: got %q; want %q", got, want)
	}
}

// FuzzQuote checks that no content, however written, ends the code
// block it is shown in, and that a quote stays within its bounds.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "```", "````", "a`", "``x``", "```js\nalert(1)\n```", "\u200b`"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		q := quote(s, 50)
		if strings.TrimSpace(s) == "" {
			return
		}
		inner := strings.TrimSuffix(strings.TrimPrefix(q, "```\n"), "\n```")
		if strings.Contains(inner, "```") || strings.HasSuffix(inner, "`") {
			t.Errorf("quote(%q) = %q: the content can close the code block", s, q)
		}
		if n := utf8.RuneCountInString(inner); n > 50+1 {
			t.Errorf("quote(%q) is %d characters inside; want at most %d", s, n, 50+1)
		}
		if line := oneLine(s, 50); strings.Contains(line, "```") || strings.Contains(line, "\n") || utf8.RuneCountInString(line) > 51 {
			t.Errorf("oneLine(%q) = %q: want one line of at most 51 characters without a fence", s, line)
		}
	})
}
