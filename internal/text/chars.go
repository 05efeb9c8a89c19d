// Package text holds what several packages do to text alike: turning an
// HTML fragment into plain text (FromHTML), and telling ASCII text,
// apostrophes and the letters that Unicode decomposition leaves whole.
package text

import "unicode/utf8"

// IsASCII reports whether s is all ASCII, in which case it needs no Unicode
// normalisation.
func IsASCII[T ~string | ~[]byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// IsApostrophe reports the runes written as an apostrophe: ' ’ ‘ ʼ.
func IsApostrophe(r rune) bool {
	return r == '\'' || r == '\u2019' || r == '\u2018' || r == '\u02bc'
}

// Spell returns how a letter that compatibility decomposition (NFKD) leaves
// whole is spelled in lower-case ASCII, so that folding can treat it as an
// accented letter: ø → o, ł → l, ß → ss, æ → ae, þ → th, ... ok is false for
// every other rune.
func Spell(r rune) (s string, ok bool) {
	s, ok = spelled[r]
	return s, ok
}

var spelled = map[rune]string{
	'ø': "o", 'Ø': "o", 'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d",
	'ħ': "h", 'Ħ': "h", 'ı': "i", 'ß': "ss", 'ẞ': "ss",
	'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe", 'þ': "th", 'Þ': "th",
	'ð': "d", 'Ð': "d",
}
