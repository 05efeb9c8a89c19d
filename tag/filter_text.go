package tag

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text normalisation for the filter language. Both helpers fold text the
// same way: compatibility-decompose (NFKD), drop combining marks, lower-case,
// spell out a few letters that have no decomposition (ø, ł, ß, æ, ...), and
// treat every run of other characters as one word break.

// filterWords returns the words of s, folded and joined by single spaces:
// "Kim Jong-un's visit" -> "kim jong un s visit". Phrase predicates compare
// these forms, so that a phrase matches whole words only.
func filterWords(s string) string {
	if !filterIsASCII(s) {
		// Invalid bytes would break words anyway; replaced first, they
		// cannot stop the marks after them from being dropped.
		s = norm.NFKD.String(strings.ToValidUTF8(s, " "))
	}
	var b strings.Builder
	b.Grow(len(s))
	gap := false
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			switch {
			case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			case 'A' <= r && r <= 'Z':
				r += 'a' - 'A'
			default:
				gap = true
				continue
			}
			if gap && b.Len() > 0 {
				b.WriteByte(' ')
			}
			gap = false
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r):
			// A combining mark: the accent of the letter before it.
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if gap && b.Len() > 0 {
				b.WriteByte(' ')
			}
			gap = false
			if sp, ok := filterSpelled[r]; ok {
				b.WriteString(sp)
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
		default:
			gap = true
		}
	}
	return b.String()
}

// filterSpelled spells letters that NFKD does not decompose.
var filterSpelled = map[rune]string{
	'ø': "o", 'Ø': "o", 'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d",
	'ħ': "h", 'Ħ': "h", 'ı': "i", 'ß': "ss", 'ẞ': "ss",
	'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe", 'þ': "th", 'Þ': "th",
	'ð': "d", 'Ð': "d",
}

func filterIsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
