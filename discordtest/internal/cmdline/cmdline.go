// Package cmdline parses the text a person types into the Discord client to
// run a slash command, such as
//
//	/warn user:<@123> reason:"spam links"
//
// into a [Line]: the command path and the options in the order typed.
//
// It checks only the syntax and the shape of names. Whether the command
// exists, which options it takes, and whether each value fits its option's
// type and range is for the caller to check against the registered command
// schema; every value is returned as the text typed.
//
// # Grammar
//
// A line is optional whitespace, a "/" immediately followed by 1 to 3 path
// words (the command name, then an optional subcommand group and
// subcommand), then zero or more name:value options, then optional
// whitespace. Words and options are separated by whitespace (anything
// [unicode.IsSpace] reports, so tabs and newlines too). Once the first option
// appears no more path words may follow.
//
// Path words and option names follow Discord's rule for chat input command
// and option names: 1 to 32 characters, each a letter, a number, "-", "_", or
// a character of the Devanagari or Thai scripts, and lower-case wherever the
// letter has a lower-case form.
//
// An option's name runs to its first ":". Its value is either unquoted,
// running to the next whitespace and never empty (it may contain ":", "@",
// "<#123>" and so on), or double-quoted, possibly empty, possibly holding
// whitespace and newlines, with \" standing for " and \\ for \. No other
// escapes exist, and a closing quote must be followed by whitespace or the
// end of the line. An option name may appear only once.
//
// The input must be valid UTF-8. Byte positions in errors count from 0 at
// the start of the string given to [Parse].
package cmdline

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxPath is the most path words a line may have: command, subcommand group
// and subcommand.
const MaxPath = 3

// MaxNameLen is the most characters (not bytes) a command or option name may
// have.
const MaxNameLen = 32

// Line is one parsed command invocation.
type Line struct {
	// Path is the command name, then the optional subcommand group and
	// subcommand, as in ["admin", "purge"]. It holds 1 to MaxPath words.
	Path []string
	// Options holds the options in the order typed; nil if there are none.
	Options []Option
}

// Option is one name:value pair as typed, with the quotes and escapes of a
// quoted value removed.
type Option struct {
	Name, Value string
}

// String returns the canonical text of l: "/", the path words separated by
// single spaces, then each option as " name:value". A value is quoted, with
// " and \ escaped, only when it must be: when it is empty, starts with a
// quote, or contains whitespace. For any Line that [Parse] returned,
// Parse(l.String()) returns an equal Line.
func (l Line) String() string {
	var b strings.Builder
	b.WriteByte('/')
	for i, w := range l.Path {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	for _, o := range l.Options {
		b.WriteByte(' ')
		b.WriteString(o.Name)
		b.WriteByte(':')
		if !needsQuotes(o.Value) {
			b.WriteString(o.Value)
			continue
		}
		b.WriteByte('"')
		for i := 0; i < len(o.Value); i++ {
			// '"' and '\\' are ASCII, so they never occur inside a
			// multi-byte UTF-8 sequence and a byte loop is safe.
			if c := o.Value[i]; c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(o.Value[i])
		}
		b.WriteByte('"')
	}
	return b.String()
}

// needsQuotes reports whether v would not read back as itself unquoted.
func needsQuotes(v string) bool {
	return v == "" || v[0] == '"' || strings.ContainsFunc(v, unicode.IsSpace)
}

// Parse parses one typed command line. See the package documentation for the
// grammar. Errors say what is wrong and, where a name does not already
// locate it, at which byte.
func Parse(s string) (Line, error) {
	if !utf8.ValidString(s) {
		return Line{}, fmt.Errorf("cmdline: invalid UTF-8 at byte %d", firstInvalid(s))
	}
	p := parser{s: s}
	p.skipSpace()
	if p.done() {
		return Line{}, errors.New("cmdline: empty command line")
	}
	if s[p.pos] != '/' {
		return Line{}, errors.New(`cmdline: missing leading "/"`)
	}
	p.pos++
	if p.done() || p.atSpace() || s[p.pos] == ':' {
		return Line{}, fmt.Errorf(`cmdline: missing command name after "/" at byte %d`, p.pos-1)
	}

	var l Line
	var seen map[string]bool
	for p.skipSpace(); !p.done(); p.skipSpace() {
		start := p.pos
		word, isOption := p.scanWord()
		if !isOption {
			if len(l.Options) > 0 {
				return Line{}, fmt.Errorf("cmdline: unexpected word %q at byte %d: want name:value after the first option", word, start)
			}
			if len(l.Path) == MaxPath {
				return Line{}, fmt.Errorf("cmdline: more than %d command words before the first option", MaxPath)
			}
			kind := "command name"
			if len(l.Path) > 0 {
				kind = "subcommand name"
			}
			if err := checkName(word, kind); err != nil {
				return Line{}, err
			}
			l.Path = append(l.Path, word)
			continue
		}
		if len(l.Path) == 0 {
			return Line{}, fmt.Errorf("cmdline: missing command name before option %q at byte %d", word, start)
		}
		if word == "" {
			return Line{}, fmt.Errorf("cmdline: option at byte %d has no name", start)
		}
		if err := checkName(word, "option name"); err != nil {
			return Line{}, err
		}
		p.pos++ // the ':'
		value, err := p.scanValue(word)
		if err != nil {
			return Line{}, err
		}
		if seen[word] {
			return Line{}, fmt.Errorf("cmdline: duplicate option %q", word)
		}
		if seen == nil {
			seen = make(map[string]bool)
		}
		seen[word] = true
		l.Options = append(l.Options, Option{Name: word, Value: value})
	}
	return l, nil
}

// parser scans s from pos. s is valid UTF-8.
type parser struct {
	s   string
	pos int
}

func (p *parser) done() bool { return p.pos >= len(p.s) }

// atSpace reports whether the rune at pos is whitespace; pos must be in s.
func (p *parser) atSpace() bool {
	r, _ := utf8.DecodeRuneInString(p.s[p.pos:])
	return unicode.IsSpace(r)
}

func (p *parser) skipSpace() {
	for !p.done() {
		r, n := utf8.DecodeRuneInString(p.s[p.pos:])
		if !unicode.IsSpace(r) {
			return
		}
		p.pos += n
	}
}

// scanWord scans up to the next whitespace or ':', and reports whether it
// stopped at a ':' (which it leaves unconsumed), making the word an option
// name.
func (p *parser) scanWord() (word string, isOption bool) {
	start := p.pos
	for !p.done() {
		if p.s[p.pos] == ':' {
			return p.s[start:p.pos], true
		}
		r, n := utf8.DecodeRuneInString(p.s[p.pos:])
		if unicode.IsSpace(r) {
			break
		}
		p.pos += n
	}
	return p.s[start:p.pos], false
}

// scanValue scans the value of option name, starting just after its ':'.
func (p *parser) scanValue(name string) (string, error) {
	if p.done() || p.atSpace() {
		return "", fmt.Errorf("cmdline: option %q has no value", name)
	}
	if p.s[p.pos] != '"' {
		start := p.pos
		for !p.done() && !p.atSpace() {
			_, n := utf8.DecodeRuneInString(p.s[p.pos:])
			p.pos += n
		}
		return p.s[start:p.pos], nil
	}

	open := p.pos
	p.pos++
	start := p.pos
	var b strings.Builder // used only once an escape is seen
	escaped := false
	for {
		if p.done() {
			return "", fmt.Errorf("cmdline: option %q at byte %d: unterminated quoted value", name, open)
		}
		switch c := p.s[p.pos]; c {
		case '"':
			var v string
			if escaped {
				b.WriteString(p.s[start:p.pos])
				v = b.String()
			} else {
				v = p.s[start:p.pos]
			}
			p.pos++
			if !p.done() && !p.atSpace() {
				r, _ := utf8.DecodeRuneInString(p.s[p.pos:])
				return "", fmt.Errorf("cmdline: option %q at byte %d: unexpected %q after closing quote", name, p.pos, r)
			}
			return v, nil
		case '\\':
			if p.pos+1 >= len(p.s) {
				return "", fmt.Errorf("cmdline: option %q at byte %d: unterminated quoted value", name, open)
			}
			if e := p.s[p.pos+1]; e != '"' && e != '\\' {
				r, _ := utf8.DecodeRuneInString(p.s[p.pos+1:])
				return "", fmt.Errorf(`cmdline: option %q at byte %d: invalid escape %q in quoted value (want \" or \\)`, name, p.pos, `\`+string(r))
			}
			escaped = true
			b.WriteString(p.s[start:p.pos])
			b.WriteByte(p.s[p.pos+1])
			p.pos += 2
			start = p.pos
		default:
			p.pos++
		}
	}
}

// checkName reports whether name is a valid Discord command or option name;
// kind names what it is for the error message.
func checkName(name, kind string) error {
	if name == "" {
		return fmt.Errorf("cmdline: empty %s", kind)
	}
	n := 0
	for _, r := range name {
		n++
		if !nameRune(r) {
			return fmt.Errorf("cmdline: %q is not a valid %s: %q is not allowed", name, kind, r)
		}
		if unicode.ToLower(r) != r {
			return fmt.Errorf("cmdline: %q is not a valid %s: must be lower-case", name, kind)
		}
	}
	if n > MaxNameLen {
		return fmt.Errorf("cmdline: %q is not a valid %s: longer than %d characters", name, kind, MaxNameLen)
	}
	return nil
}

// nameRune reports whether r may appear in a name: Discord's
// [-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}].
func nameRune(r rune) bool {
	return r == '-' || r == '_' ||
		unicode.IsLetter(r) || unicode.IsNumber(r) ||
		unicode.Is(unicode.Devanagari, r) || unicode.Is(unicode.Thai, r)
}

// firstInvalid returns the offset of the first byte of s that does not start
// a valid UTF-8 sequence, or len(s).
func firstInvalid(s string) int {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(s)
}
