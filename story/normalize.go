package story

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"aggregator/internal/text"
)

// normalizer turns raw titles and summaries into tokens. It holds
// transformers and is therefore not safe for concurrent use; every
// Clusterer owns one.
type normalizer struct {
	deaccent transform.Transformer
	fold     cases.Caser
}

func newNormalizer() *normalizer {
	return &normalizer{
		deaccent: transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC),
		fold:     cases.Fold(),
	}
}

// word is one word of a text, split on anything that is not a letter,
// a digit or an in-word apostrophe.
type word struct {
	norm       string // folded, de-accented, possessive removed, stemmed
	stop       bool   // norm (before stemming) is a stop word
	capital    bool   // first rune of the original word is upper case
	brk        bool   // punctuation (other than a hyphen) precedes it: a named run cannot span it
	sentStart  bool   // first word of the text or of a sentence
	hasLetters bool
	hyphen     bool // directly preceded by a hyphen ("Jong-un")
}

// stopWords is a small English stop-word list (plus news boilerplate
// that carries no event information).
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all also am an and any are as at be because
	been before being below between both but by can could did do does doing down during each few for from further
	had has have having he her here hers herself him himself his how i if in into is it its itself just me more
	most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so
	some such than that the their theirs them themselves then there these they this those through to too under
	until up very was we were what when where which while who whom why will with would you your yours yourself
	yourselves may might must shall says said say new via amid per vs cannot wont dont isnt arent doesnt didnt
	get gets got one two us`) {
		m[w] = true
	}
	return m
}()

// honorifics are dropped from the start of named runs, so that
// "President Vladimir Putin" and "Vladimir Putin" give the same phrase.
var honorifics = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "sir": true, "president": true,
	"prime": true, "minister": true, "leader": true, "king": true, "queen": true,
	"prince": true, "chancellor": true, "senator": true, "sen": true, "rep": true,
	"gov": true, "governor": true, "general": true, "gen": true, "pope": true,
}

// isApostrophe reports the runes the clusterer reads as apostrophes: those
// of text.IsApostrophe, and the backtick some feeds type for one ("Kim`s").
// NFKC leaves curly quotes alone.
func isApostrophe(r rune) bool {
	return text.IsApostrophe(r) || r == '`'
}

// Lead returns as much of a summary as Add can use, so that a caller holding
// many items for a while keeps their leads, not whole articles: s itself
// when it is short, else its plain text (see StripHTML) cut at a word
// boundary after leadBytes. Add reads at most Config.MaxSummaryWords words
// of a summary, far fewer than leadBytes holds.
func Lead(s string) string {
	if len(s) <= 2*leadBytes {
		return s
	}
	t := StripHTML(s)
	if len(t) <= leadBytes {
		return t
	}
	cut := leadBytes
	if i := strings.LastIndexAny(t[:cut], " \t\n"); i > leadBytes/2 {
		cut = i
	}
	for cut > 0 && !utf8.RuneStart(t[cut]) {
		cut--
	}
	return t[:cut]
}

// leadBytes is how much text Lead keeps.
const leadBytes = 2048

// StripHTML returns the text content of an HTML fragment as the clusterer
// reads it: tags removed, entities decoded, script/style bodies dropped,
// every tag turned into a space. Plain text without '<' or '&' is returned
// unchanged.
func StripHTML(s string) string {
	return text.FromHTML(s, htmlText)
}

// htmlText are the clusterer's rules for HTML: every tag separates words,
// and script and style bodies are dropped.
var htmlText = text.Options{Sep: " ", Drop: text.ScriptOrStyle}

// clean applies NFKC and accent removal (ASCII fast path).
func (n *normalizer) clean(s string) string {
	if text.IsASCII(s) {
		return s
	}
	s = norm.NFKC.String(s)
	if out, _, err := transform.String(n.deaccent, s); err == nil {
		s = out
	}
	return s
}

// foldWord lower-cases (Unicode case folding), removes a possessive 's and
// any remaining apostrophes.
func (n *normalizer) foldWord(w string) string {
	if text.IsASCII(w) {
		w = strings.ToLower(w)
	} else {
		w = n.fold.String(w)
		w = strings.Map(func(r rune) rune {
			if isApostrophe(r) {
				return '\''
			}
			return r
		}, w)
	}
	w = strings.TrimSuffix(w, "'s")
	if strings.IndexByte(w, '\'') >= 0 {
		w = strings.ReplaceAll(w, "'", "")
	}
	return w
}

// stem is a light English plural stemmer (Harman's "S" stemmer).
func stem(w string) string {
	n := len(w)
	if n <= 3 || w[n-1] != 's' {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && !strings.HasSuffix(w, "eies") && !strings.HasSuffix(w, "aies"):
		return w[:n-3] + "y"
	case strings.HasSuffix(w, "es") && !strings.HasSuffix(w, "aes") && !strings.HasSuffix(w, "ees") && !strings.HasSuffix(w, "oes"):
		return w[:n-1]
	case strings.HasSuffix(w, "us") || strings.HasSuffix(w, "ss"):
		return w
	}
	return w[:n-1]
}

// words splits already cleaned text into words, at most max of them (0 = all).
func (n *normalizer) words(s string, max int, out []word) []word {
	start := -1
	brk, sent, hyph := true, true, false
	flush := func(end int) {
		raw := s[start:end]
		// trim apostrophes at the ends
		raw = strings.TrimFunc(raw, isApostrophe)
		if raw == "" {
			return
		}
		first, _ := utf8.DecodeRuneInString(raw)
		f := n.foldWord(raw)
		if f == "" {
			return
		}
		hasLetters := false
		for _, r := range f {
			if unicode.IsLetter(r) {
				hasLetters = true
				break
			}
		}
		stop := stopWords[f]
		w := word{norm: f, stop: stop, capital: unicode.IsUpper(first) || unicode.IsTitle(first),
			brk: brk, sentStart: sent, hasLetters: hasLetters, hyphen: hyph}
		if !stop {
			w.norm = stem(f)
		}
		out = append(out, w)
		brk, sent, hyph = false, false, false
	}
	for i, r := range s {
		inWord := unicode.IsLetter(r) || unicode.IsDigit(r) || (start >= 0 && isApostrophe(r))
		if inWord {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			flush(i)
			start = -1
			if max > 0 && len(out) >= max {
				return out
			}
		}
		switch {
		case r == '-' || unicode.Is(unicode.Pd, r):
			hyph = true
		case unicode.IsSpace(r):
			hyph = false
			// hyphen/space variants: plain separators ("Kim Jong-un" = "Kim Jong Un")
		case r == '.' || r == '!' || r == '?' || r == ':' || r == ';' || r == '|':
			brk, sent = true, true
		default:
			brk = true
		}
	}
	if start >= 0 {
		flush(len(s))
	}
	return out
}

// Tokens returns the normalised content tokens of a text (stop words
// removed): the unigram features. Exposed for tests and debugging.
func Tokens(s string) []string {
	n := newNormalizer()
	var out []string
	for _, w := range n.words(n.clean(StripHTML(s)), 0, nil) {
		if keepUnigram(w) {
			out = append(out, w.norm)
		}
	}
	return out
}

// Phrases returns the named-looking phrases of a text. Exposed for tests.
func Phrases(s string) []string {
	n := newNormalizer()
	var out []string
	namedRuns(n.words(n.clean(StripHTML(s)), 0, nil), nil, func(p string) { out = append(out, p) })
	return out
}

func keepUnigram(w word) bool {
	if w.stop {
		return false
	}
	if len(w.norm) < 2 && w.hasLetters {
		return false
	}
	return true
}

// titleCased reports whether a text is written in Title Case or ALL CAPS,
// where capitals say nothing about names.
func titleCased(ws []word) bool {
	content, caps := 0, 0
	for _, w := range ws {
		if w.stop || !w.hasLetters {
			continue
		}
		content++
		if w.capital {
			caps++
		}
	}
	// Title Case headlines have (almost) no lower-case content words;
	// name-dense sentences still have some ("says", "met", "leader").
	lower := content - caps
	return content >= 3 && lower*8 < content
}

// namedRuns emits runs of capitalised words ("Kim Jong Un", "Vladimir
// Putin", "Vostochny"). A one-word run at the start of a sentence is
// ignored (its capital is grammatical). Leading honorifics are dropped.
//
// In Title Case or ALL CAPS text capitals carry no information, so instead
// the longest word n-grams that known reports as phrases already seen in
// ordinary text are emitted (so "Miley Cyrus Fan Arrested" still yields
// "miley cyrus" once a sentence-case headline has named her). known may be nil.
func namedRuns(ws []word, known func(string) bool, emit func(string)) {
	if titleCased(ws) {
		if known != nil {
			knownRuns(ws, known, emit)
		}
		return
	}
	var run []string
	runSent := false
	end := func() {
		for len(run) > 0 && honorifics[run[0]] {
			run = run[1:]
			runSent = false
		}
		if len(run) >= 2 || (len(run) == 1 && !runSent) {
			if len(run) > maxPhrase {
				run = run[len(run)-maxPhrase:]
			}
			emit(strings.Join(run, " "))
		}
		run = run[:0]
	}
	for _, w := range ws {
		named := w.capital && w.hasLetters && !w.stop
		if len(run) > 0 && w.hyphen && w.hasLetters {
			named = true // "Kim Jong-un", "Jong-il"
		}
		if !named || w.brk {
			if len(run) > 0 {
				end()
			}
		}
		if named {
			if len(run) == 0 {
				runSent = w.sentStart
			}
			run = append(run, w.norm)
		}
	}
	if len(run) > 0 {
		end()
	}
}

const maxPhrase = 4

func knownRuns(ws []word, known func(string) bool, emit func(string)) {
	var buf []byte
	for i := 0; i < len(ws); {
		if ws[i].stop || !ws[i].hasLetters {
			i++
			continue
		}
		// the run of content words starting at i
		j := i + 1
		for j < len(ws) && j-i < maxPhrase && !ws[j].stop && ws[j].hasLetters && !ws[j].brk {
			j++
		}
		matched := 1
		for n := j - i; n >= 1; n-- {
			buf = buf[:0]
			for k := i; k < i+n; k++ {
				if k > i {
					buf = append(buf, ' ')
				}
				buf = append(buf, ws[k].norm...)
			}
			if known(string(buf)) {
				emit(string(buf))
				matched = n
				break
			}
		}
		i += matched
	}
}
