package tag

import (
	"math/rand/v2"
	"strings"
	"testing"

	"aggregator/internal/text"
)

// The fast paths of tokenize must give exactly what the general code
// gives: makeTokenSlow for words, the word lists for lexicon bits.

// wordPieces make random text of words with apostrophes, accents, marks,
// capitals and other scripts.
var wordPieces = func() []string {
	var p []string
	for r := rune(0x20); r < 0x300; r++ {
		p = append(p, string(r))
	}
	return append(p, "’", "‘", "ʼ", "\u0301", "\u0308", "'s", "’s", "’S", "ß", "ẞ", "ﬁ", "İ", "ǅ", "\u2029", "–", "—", "“", "”",
		"\xff", "Ω", "ж", "中", "a", "e", "S", "s", "U.S.", "Mr.", " ", " ", ".", "-", "Putin", "the", "of", "bin", "President")
}()

// variantFirst holds the first words of the keys of nameAliases.
var variantFirst = func() map[string]bool {
	m := map[string]bool{}
	for k := range nameAliases {
		first, _, _ := strings.Cut(k, " ")
		m[first] = true
	}
	return m
}()

// checkTokens checks the tokens of s against makeTokenSlow, wordHash and the
// word lists.
func checkTokens(t *testing.T, s string) {
	t.Helper()
	const computed = tCap | tUpper | tLetters | tCamel
	for i, tk := range tokenize(s, nil) {
		if !strings.Contains(tk.raw, ".") { // not a dotted abbreviation
			want, ok := makeTokenSlow(tk.raw, tk.flags&^computed)
			if !ok || tk.norm != want.norm || tk.flags != want.flags {
				t.Fatalf("tokenize(%q) token %d = %+v, want %+v", s, i, tk, want)
			}
		}
		if tk.hash != wordHash(tk.norm) {
			t.Fatalf("tokenize(%q) token %d = %+v: hash is not wordHash %d", s, i, tk, wordHash(tk.norm))
		}
		var lex uint16
		for _, l := range []struct {
			set map[string]bool
			bit uint16
		}{{stopWords, lexStop}, {entityStop, lexEntityStop}, {honorifics, lexHonorific}, {commonStart, lexCommonStart}, {particles, lexParticle},
			{commonWords, lexCommon}, {modifiers, lexCommon | lexModifier}, {roles, lexRole}} {
			if l.set[tk.norm] {
				lex |= l.bit
			}
		}
		if _, ok := gazIndex[tk.norm]; ok {
			lex |= lexGaz
		}
		if variantFirst[tk.norm] {
			lex |= lexVariant
		}
		if tk.lexBits() != lex {
			t.Fatalf("tokenize(%q) token %d = %+v: lexBits %b, want %b", s, i, tk, tk.lexBits(), lex)
		}
	}
}

func TestTokenFastPaths(t *testing.T) {
	n := 200000
	if testing.Short() {
		n = 20000
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range n {
		var sb strings.Builder
		for range 1 + rng.IntN(10) {
			sb.WriteString(wordPieces[rng.IntN(len(wordPieces))])
		}
		checkTokens(t, sb.String())
	}
	for _, in := range articleItems(20, 3) {
		checkTokens(t, text.FromHTML(in.Item.Title+"\n"+in.Item.Summary+"\n"+in.Item.Content, htmlText))
	}
}

func FuzzTokenize(f *testing.F) {
	f.Add("Kim Jong-Un’s U.S. trip: Mr. Putin & Co. in São Paulo, café — “Zelenskyy”")
	f.Add("ÉTATS-UNIS Côte d’Ivoire Straße ŉ ǅemal O'Neill’S 2023's")
	f.Fuzz(checkTokens)
}

// caseStyleByCount is caseStyle as first written: every word counted.
func caseStyleByCount(seg []token) (tc, allCaps bool) {
	content, caps, upper := 0, 0, 0
	for _, t := range seg {
		if t.flags&tLetters == 0 || t.flags&tHyph != 0 || t.flags&tCamel != 0 || stopWords[t.norm] {
			continue
		}
		content++
		if t.flags&tCap != 0 {
			caps++
		}
		if t.flags&tUpper != 0 || (t.flags&tCap != 0 && len(t.norm) == 1) {
			upper++
		}
	}
	lower := content - caps
	return content >= 2 && lower*8 < content, content >= 2 && upper == content
}

func TestCaseStyle(t *testing.T) {
	words := []string{"the", "The", "THE", "a", "A", "Putin", "PUTIN", "putin", "U.S.", "x", "X", "ǂAB", "ǂab", "1", "Jong-un",
		"of", "Of", "OF", "Kim", "KIM", "b2", "ΑΒ", "ab", "AB", "Ab", "Mr", "mr", "MR", "in", "In", "IN", "iPhone", "eBAY"}
	rng := rand.New(rand.NewPCG(9, 9))
	for range 100000 {
		var sb strings.Builder
		for range rng.IntN(14) {
			sb.WriteString(words[rng.IntN(len(words))])
			sb.WriteByte(' ')
		}
		seg := tokenize(sb.String(), nil)
		tc, allCaps := caseStyle(seg)
		if wantTC, wantAll := caseStyleByCount(seg); tc != wantTC || allCaps != wantAll {
			t.Fatalf("caseStyle(%q) = %v %v, want %v %v", sb.String(), tc, allCaps, wantTC, wantAll)
		}
	}
}
