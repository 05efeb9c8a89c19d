package filter

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// words returns the words of s, folded and joined by single spaces:
// "Kim Jong-un's visit" -> "kim jong un s visit". Phrase predicates compare
// these forms, so that a phrase matches whole words only. Folding
// compatibility-decomposes (NFKD), drops combining marks, lower-cases and
// spells out a few letters that have no decomposition (ø, ł, ß, æ, ...);
// every run of other characters is one word break.
func words(s string) string {
	if !isASCII(s) {
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
			if sp, ok := spelled[r]; ok {
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

// spelled spells letters that NFKD does not decompose.
var spelled = map[rune]string{
	'ø': "o", 'Ø': "o", 'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d",
	'ħ': "h", 'Ħ': "h", 'ı': "i", 'ß': "ss", 'ẞ': "ss",
	'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe", 'þ': "th", 'Þ': "th",
	'ð': "d", 'Ð': "d",
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
