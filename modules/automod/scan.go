package automod

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// The scanners below read message text, which is outside input: they
// never index past what they checked, allocate nothing while scanning,
// and work on the text lower-cased once (lowerInto) where case does not
// matter.

// lowerInto appends s to dst[:0] lower-cased rune by rune, with every
// run of white space as one space, so that "Free   Nitro" reads as the
// phrase "free nitro".
func lowerInto(dst []byte, s string) []byte {
	dst = dst[:0]
	space := false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f':
				if !space {
					dst = append(dst, ' ')
				}
				space = true
				continue
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			space = false
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if unicode.IsSpace(r) {
			if !space {
				dst = append(dst, ' ')
			}
			space = true
			continue
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		space = false
	}
	return dst
}

// lowerString is lowerInto for a setting: the same mapping, so that
// settings and messages compare alike.
func lowerString(s string) string { return string(lowerInto(nil, s)) }

// contentHash hashes text as lowerInto leaves it, without white space at
// the ends (FNV-1a), so "Buy now" and "buy  now " are duplicates. It
// never returns 0, which means "no text".
func contentHash(lowered []byte) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	space, started := false, false
	for _, c := range lowered {
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' {
			space = started
			continue
		}
		if space {
			h = (h ^ ' ') * prime
			space = false
		}
		started = true
		h = (h ^ uint64(c)) * prime
	}
	if !started {
		return 0
	}
	if h == 0 {
		h = 1
	}
	return h
}

// isWordRune reports whether r is part of a word: a letter, a digit or
// a mark.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// findWord returns the first banned word found in lowered as a whole
// word: not preceded nor followed by a letter or digit (where the word
// itself begins or ends with one).
func findWord(lowered []byte, words [][]byte) (int, bool) {
	for wi, w := range words {
		if len(w) == 0 {
			continue
		}
		first, _ := utf8.DecodeRune(w)
		last, _ := utf8.DecodeLastRune(w)
		checkLeft, checkRight := isWordRune(first), isWordRune(last)
		for from := 0; from < len(lowered); {
			i := bytes.Index(lowered[from:], w)
			if i < 0 {
				break
			}
			i += from
			j := i + len(w)
			left := !checkLeft || i == 0
			if !left {
				r, _ := utf8.DecodeLastRune(lowered[:i])
				left = !isWordRune(r)
			}
			right := !checkRight || j == len(lowered)
			if !right {
				r, _ := utf8.DecodeRune(lowered[j:])
				right = !isWordRune(r)
			}
			if left && right {
				return wi, true
			}
			_, n := utf8.DecodeRune(lowered[i:])
			from = i + n
		}
	}
	return 0, false
}

// Invite links, as Discord recognises them with or without a scheme.
var invitePrefixes = [][]byte{[]byte("discord.gg/"), []byte("discord.com/invite/"), []byte("discordapp.com/invite/")}

// isHostByte reports whether c may be part of a host name.
func isHostByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c >= utf8.RuneSelf
}

// findInvite returns the code of the first invite link in lowered whose
// code is not allowed (allowed holds lower-cased codes).
func findInvite(lowered []byte, allowed [][]byte) ([]byte, bool) {
	for _, p := range invitePrefixes {
		for from := 0; from < len(lowered); {
			i := bytes.Index(lowered[from:], p)
			if i < 0 {
				break
			}
			i += from
			from = i + len(p)
			if i > 0 && isHostByte(lowered[i-1]) && lowered[i-1] != '.' {
				continue // "notdiscord.gg/": another domain
			}
			j := from
			for j < len(lowered) && isCodeByte(lowered[j]) {
				j++
			}
			code := lowered[from:j]
			if len(code) < 2 {
				continue
			}
			ok := false
			for _, a := range allowed {
				if bytes.Equal(code, a) {
					ok = true
					break
				}
			}
			if !ok {
				return code, true
			}
		}
	}
	return nil, false
}

func isCodeByte(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' }

var schemes = [][]byte{[]byte("https://"), []byte("http://")}

// findLink returns the host of the first link (http:// or https://) in
// lowered that the lists refuse: one on deny, or, when allow is not
// empty, one not on allow; with both empty, any link.
func findLink(lowered []byte, allow, deny [][]byte) ([]byte, bool) {
	for _, s := range schemes {
		for from := 0; from < len(lowered); {
			i := bytes.Index(lowered[from:], s)
			if i < 0 {
				break
			}
			from = i + from + len(s)
			host := hostAt(lowered[from:])
			if len(host) == 0 {
				continue
			}
			switch {
			case len(deny) > 0 && domainIn(host, deny):
				return host, true
			case len(allow) > 0 && !domainIn(host, allow):
				return host, true
			case len(allow) == 0 && len(deny) == 0:
				return host, true
			}
		}
	}
	return nil, false
}

// hostAt reads the host at the start of a URL's authority: without user
// information, port, or a trailing dot.
func hostAt(b []byte) []byte {
	end := 0
	for end < len(b) && (isHostByte(b[end]) || b[end] == '@' || b[end] == ':' || b[end] == '_' || b[end] == '~' || b[end] == '%') {
		end++
	}
	host := b[:end]
	if at := bytes.LastIndexByte(host, '@'); at >= 0 {
		host = host[at+1:]
	}
	if c := bytes.IndexByte(host, ':'); c >= 0 {
		host = host[:c]
	}
	for len(host) > 0 && host[len(host)-1] == '.' {
		host = host[:len(host)-1]
	}
	return host
}

// domainIn reports whether host is one of the domains or a subdomain of
// one.
func domainIn(host []byte, domains [][]byte) bool {
	for _, d := range domains {
		if len(host) == len(d) && bytes.Equal(host, d) {
			return true
		}
		if len(host) > len(d) && host[len(host)-len(d)-1] == '.' && bytes.Equal(host[len(host)-len(d):], d) {
			return true
		}
	}
	return false
}

// capitals counts the letters of s and the capitals among them, leaving
// out Discord's markup (mentions, channels, custom emojis, timestamps:
// "<...>") and links, whose case says nothing about shouting.
func capitals(s string) (letters, upper int) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '<' && i+1 < len(s) && (s[i+1] == '@' || s[i+1] == '#' || s[i+1] == ':' || s[i+1] == 'a' || s[i+1] == 't' || s[i+1] == '/'):
			if j := indexByteFrom(s, '>', i+1); j > 0 {
				i = j + 1
				continue
			}
		case (c == 'h' || c == 'H') && hasPrefixFold(s[i:], "http"):
			if hasPrefixFold(s[i:], "http://") || hasPrefixFold(s[i:], "https://") {
				for i < len(s) && s[i] != ' ' && s[i] != '\n' && s[i] != '\t' {
					i++
				}
				continue
			}
		}
		if c < utf8.RuneSelf {
			switch {
			case 'A' <= c && c <= 'Z':
				letters++
				upper++
			case 'a' <= c && c <= 'z':
				letters++
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
		i += n
	}
	return letters, upper
}

// indexByteFrom returns the index of c in s at or after from, or -1;
// markup longer than 100 bytes is not markup.
func indexByteFrom(s string, c byte, from int) int {
	for j := from; j < len(s) && j < from+100; j++ {
		if s[j] == c {
			return j
		}
		if s[j] == ' ' || s[j] == '\n' {
			return -1
		}
	}
	return -1
}

// hasPrefixFold is strings.HasPrefix, ignoring ASCII case; prefix is
// lower case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}
