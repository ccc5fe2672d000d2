package cmdline

import (
	"reflect"
	"strings"
	"testing"
)

// opts builds an option list from name, value pairs.
func opts(nv ...string) []Option {
	var o []Option
	for i := 0; i+1 < len(nv); i += 2 {
		o = append(o, Option{Name: nv[i], Value: nv[i+1]})
	}
	return o
}

var validTests = []struct {
	name string
	in   string
	want Line
}{
	{"bare command", "/ping", Line{Path: []string{"ping"}}},
	{"surrounding whitespace", " \t/ping \n", Line{Path: []string{"ping"}}},
	{"subcommand", "/admin purge", Line{Path: []string{"admin", "purge"}}},
	{"subcommand group", "/admin roles add", Line{Path: []string{"admin", "roles", "add"}}},
	{"runs of whitespace between words", "/admin  \t roles\nadd", Line{Path: []string{"admin", "roles", "add"}}},
	{"digits hyphen underscore", "/8ball set-role_x", Line{Path: []string{"8ball", "set-role_x"}}},
	{"unquoted options", "/warn user:@member2 reason:spam",
		Line{Path: []string{"warn"}, Options: opts("user", "@member2", "reason", "spam")}},
	{"options after subcommand group", "/admin roles add role:<@&42> user:<@123>",
		Line{Path: []string{"admin", "roles", "add"}, Options: opts("role", "<@&42>", "user", "<@123>")}},
	{"mentions", "/move user:<@!123> channel:<#456>",
		Line{Path: []string{"move"}, Options: opts("user", "<@!123>", "channel", "<#456>")}},
	{"value with colons", "/link url:https://x.y/z?a=b:c",
		Line{Path: []string{"link"}, Options: opts("url", "https://x.y/z?a=b:c")}},
	{"value that is only a colon", "/x a::", Line{Path: []string{"x"}, Options: opts("a", ":")}},
	{"unquoted value keeps quotes and backslashes inside", `/x a:it"s b:c:\d`,
		Line{Path: []string{"x"}, Options: opts("a", `it"s`, "b", `c:\d`)}},
	{"quoted value with spaces", `/warn user:@member2 reason:"spam links"`,
		Line{Path: []string{"warn"}, Options: opts("user", "@member2", "reason", "spam links")}},
	{"quoted empty value", `/say text:""`, Line{Path: []string{"say"}, Options: opts("text", "")}},
	{"quoted value with escapes", `/say text:"she said \"hi\" C:\\tmp"`,
		Line{Path: []string{"say"}, Options: opts("text", `she said "hi" C:\tmp`)}},
	{"quoted value of only escapes", `/say text:"\\\""`, Line{Path: []string{"say"}, Options: opts("text", `\"`)}},
	{"quoted value with newline and tab", "/say text:\"line one\nline\ttwo\"",
		Line{Path: []string{"say"}, Options: opts("text", "line one\nline\ttwo")}},
	{"quoted value with colon and unicode", `/say text:"a: ☃ b"`,
		Line{Path: []string{"say"}, Options: opts("text", "a: ☃ b")}},
	{"tabs and newlines separate options", "/warn\tuser:<@1>\nreason:x\r\nlevel:3",
		Line{Path: []string{"warn"}, Options: opts("user", "<@1>", "reason", "x", "level", "3")}},
	{"no space after quoted value before end", `/x a:"b"`, Line{Path: []string{"x"}, Options: opts("a", "b")}},
	{"unicode whitespace separates", "/x\u00a0a:b\u2003c:d", Line{Path: []string{"x"}, Options: opts("a", "b", "c", "d")}},
	{"japanese names", "/投票 選択肢:はい", Line{Path: []string{"投票"}, Options: opts("選択肢", "はい")}},
	{"devanagari names with combining marks", "/नमस्ते विकल्प:हाँ",
		Line{Path: []string{"नमस्ते"}, Options: opts("विकल्प", "हाँ")}},
	{"thai names with combining marks", "/สวัสดี ตัวเลือก:ใช่",
		Line{Path: []string{"สวัสดี"}, Options: opts("ตัวเลือก", "ใช่")}},
	{"lower-case greek and accents", "/αβγ école:été", Line{Path: []string{"αβγ"}, Options: opts("école", "été")}},
	{"letters without case", "/ß ς:x", Line{Path: []string{"ß"}, Options: opts("ς", "x")}},
	{"32-character name", "/" + strings.Repeat("a", 32), Line{Path: []string{strings.Repeat("a", 32)}}},
	{"32 two-byte characters", "/" + strings.Repeat("é", 32), Line{Path: []string{strings.Repeat("é", 32)}}},
	{"value with emoji", "/react emoji:<:blob:123> e:🎉",
		Line{Path: []string{"react"}, Options: opts("emoji", "<:blob:123>", "e", "🎉")}},
}

var invalidTests = []struct {
	name string
	in   string
	want string
}{
	{"empty", "", "cmdline: empty command line"},
	{"only whitespace", " \n\t", "cmdline: empty command line"},
	{"no slash", "warn user:x", `cmdline: missing leading "/"`},
	{"slash alone", "/", `cmdline: missing command name after "/" at byte 0`},
	{"space after slash", "  / warn", `cmdline: missing command name after "/" at byte 2`},
	{"colon after slash", "/:x", `cmdline: missing command name after "/" at byte 0`},
	{"option instead of command", "/user:x", `cmdline: missing command name before option "user" at byte 1`},
	{"upper-case command", "/Warn", `cmdline: "Warn" is not a valid command name: must be lower-case`},
	{"upper-case subcommand", "/admin Purge", `cmdline: "Purge" is not a valid subcommand name: must be lower-case`},
	{"upper-case option", "/warn User:x", `cmdline: "User" is not a valid option name: must be lower-case`},
	{"upper-case non-latin", "/ÉCOLE", `cmdline: "ÉCOLE" is not a valid command name: must be lower-case`},
	{"title-case digraph", "/ǅ", `cmdline: "ǅ" is not a valid command name: must be lower-case`},
	{"punctuation in command", "/wa!rn", `cmdline: "wa!rn" is not a valid command name: '!' is not allowed`},
	{"emoji in command", "/🎉", `cmdline: "🎉" is not a valid command name: '🎉' is not allowed`},
	{"quote in option name", `/x "a":b`, `cmdline: "\"a\"" is not a valid option name: '"' is not allowed`},
	{"33-character name", "/" + strings.Repeat("a", 33),
		`cmdline: "` + strings.Repeat("a", 33) + `" is not a valid command name: longer than 32 characters`},
	{"four command words", "/a b c d", "cmdline: more than 3 command words before the first option"},
	{"word after option", "/warn user:x spam", `cmdline: unexpected word "spam" at byte 13: want name:value after the first option`},
	{"option with no value at end", "/warn x:", `cmdline: option "x" has no value`},
	{"option with no value before space", "/warn x: y:1", `cmdline: option "x" has no value`},
	{"option with no name", "/warn :x", "cmdline: option at byte 6 has no name"},
	{"duplicate option", "/warn user:a user:b", `cmdline: duplicate option "user"`},
	{"unterminated quoted value", `/warn reason:"spam links`, `cmdline: option "reason" at byte 13: unterminated quoted value`},
	{"backslash at end", `/warn reason:"spam\`, `cmdline: option "reason" at byte 13: unterminated quoted value`},
	{"escaped closing quote", `/warn reason:"spam\"`, `cmdline: option "reason" at byte 13: unterminated quoted value`},
	{"invalid escape", `/say text:"a\nb"`, `cmdline: option "text" at byte 12: invalid escape "\\n" in quoted value (want \" or \\)`},
	{"text after closing quote", `/say text:"a"b`, `cmdline: option "text" at byte 13: unexpected 'b' after closing quote`},
	{"quote after closing quote", `/say text:"a""b"`, `cmdline: option "text" at byte 13: unexpected '"' after closing quote`},
	{"invalid UTF-8", "/say text:a\xffb", "cmdline: invalid UTF-8 at byte 11"},
}

func TestParseValid(t *testing.T) {
	for _, tt := range validTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): got error %v; want %#v", tt.in, err, tt.want)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q): got %#v; want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tt := range invalidTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q): got %#v, nil; want error %q", tt.in, got, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%q): got error %q; want %q", tt.in, err, tt.want)
			}
			if !reflect.DeepEqual(got, Line{}) {
				t.Errorf("Parse(%q): got Line %#v with the error; want the zero Line", tt.in, got)
			}
		})
	}
}

func TestStringRoundTrips(t *testing.T) {
	for _, tt := range validTests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.want.String()
			got, err := Parse(s)
			if err != nil {
				t.Fatalf("Parse(%q): got error %v; want %#v", s, err, tt.want)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q): got %#v; want %#v", s, got, tt.want)
			}
		})
	}
}

func TestStringIsCanonical(t *testing.T) {
	tests := []struct {
		name string
		in   Line
		want string
	}{
		{"command only", Line{Path: []string{"ping"}}, "/ping"},
		{"path and plain options", Line{Path: []string{"admin", "purge"}, Options: opts("count", "10", "url", "https://x.y/z")},
			"/admin purge count:10 url:https://x.y/z"},
		{"empty value quoted", Line{Path: []string{"x"}, Options: opts("a", "")}, `/x a:""`},
		{"value with space quoted", Line{Path: []string{"x"}, Options: opts("a", "b c")}, `/x a:"b c"`},
		{"value with newline quoted", Line{Path: []string{"x"}, Options: opts("a", "b\nc")}, "/x a:\"b\nc\""},
		{"value with unicode space quoted", Line{Path: []string{"x"}, Options: opts("a", "b\u00a0c")}, "/x a:\"b\u00a0c\""},
		{"leading quote quoted and escaped", Line{Path: []string{"x"}, Options: opts("a", `"hi"`)}, `/x a:"\"hi\""`},
		{"escapes inside quotes", Line{Path: []string{"x"}, Options: opts("a", `C:\ "x"`)}, `/x a:"C:\\ \"x\""`},
		{"inner quote and backslash left bare", Line{Path: []string{"x"}, Options: opts("a", `it"s\`)}, `/x a:it"s\`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("%#v.String(): got %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, tt := range validTests {
		f.Add(tt.in)
	}
	for _, tt := range invalidTests {
		f.Add(tt.in)
	}
	f.Add(`/a b c x:"\\" y:"" z:"\"" w:a"b`)
	f.Add("/x a:\"\u00a0\" b:\u2028")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := Parse(s)
		if err != nil {
			return
		}
		if n := len(l.Path); n < 1 || n > MaxPath {
			t.Fatalf("Parse(%q): got %d path words; want 1 to %d", s, n, MaxPath)
		}
		if l.Options != nil && len(l.Options) == 0 {
			t.Fatalf("Parse(%q): got empty non-nil Options; want nil", s)
		}
		canon := l.String()
		back, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) = %#v, whose String %q does not parse: %v", s, l, canon, err)
		}
		if !reflect.DeepEqual(back, l) {
			t.Fatalf("Parse(%q) = %#v; Parse(%q) = %#v; want equal", s, l, canon, back)
		}
		if again := back.String(); again != canon {
			t.Fatalf("String of %#v: got %q, then %q; want the same canonical text", l, canon, again)
		}
	})
}
