package filter

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"aggregator/internal/text"
)

// words returns the words of s, folded and joined by single spaces:
// "Kim Jong-un's visit" -> "kim jong un s visit". Phrase predicates compare
// these forms, so that a phrase matches whole words only. Folding
// compatibility-decomposes (NFKD), drops combining marks, lower-cases and
// spells out a few letters that have no decomposition (ø, ł, ß, æ, ...);
// every run of other characters is one word break.
func words(s string) string {
	if !text.IsASCII(s) {
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
			if sp, ok := text.Spell(r); ok {
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
