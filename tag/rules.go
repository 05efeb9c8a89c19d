// Package tag gives items tags for topic feeds. Tags come from four places:
// config rules (phrase lists and regular expressions), the feed's own config,
// the item's upstream categories (slugified and aliased), and entities —
// people, places and organisations — found in the text without any rule.
//
// Phrase matching works on a normalised token stream: text is stripped of
// HTML, split into words at anything that is not a letter or a digit
// (apostrophes inside a word are kept and then deleted, a possessive 's is
// dropped), and each word is folded (accents removed, lower-cased). So the
// phrase "Kim Jong Un" matches "Kim Jong-un", "KIM JONG UN" and
// "Kim Jong-Un's", but "Kim" does not match "Kimchi". A phrase does not match
// across a sentence end (". " "? " "! " ": " "; ") or a paragraph boundary;
// other punctuation is ignored.
package tag

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/text/unicode/norm"

	"aggregator"
)

// RuleSpec is one tag rule of the config.
type RuleSpec struct {
	Name           string // the tag's slug (validated: lower-case letters, digits, hyphens)
	Any, All, None []string
	Regex          []string
	Fields         []string // subset of: title summary content categories author source link; empty = title summary content categories
}

// Options configure a Tagger.
type Options struct {
	Rules []RuleSpec
	// Aliases map a category slug to another slug, or to "" to drop the
	// category. Keys and values are slugified, so "North Korea" works as a
	// key. Aliases apply once (the target is not looked up again) and only
	// to upstream categories.
	Aliases map[string]string
	// Entities turns on entity tags. The config's default is on; the zero
	// Options has it off.
	Entities bool
}

// Input is what a tagger sees of an item.
type Input struct {
	Item     aggregator.Item
	Source   string   // the feed's display name
	FeedTags []string // tags the feed's config gives every item (slugs or labels; slugified)
}

// Tagger tags items. It is immutable once built and safe for concurrent use.
type Tagger struct {
	rules      []rule
	phrases    [][]string         // distinct phrases as token sequences
	index      map[string][]int32 // first token → phrases starting with it
	scanFields uint8              // fields any rule has phrases for
	aliases    map[string]string
	entities   bool
}

type rule struct {
	name           string
	fields         uint8 // bit set of field*
	any, all, none []int32
	regex          []*regexp.Regexp
}

// The fields of an item a rule can look in.
const (
	fieldTitle = iota
	fieldSummary
	fieldContent
	fieldCategories
	fieldAuthor
	fieldSource
	fieldLink
	numFields
)

var fieldNames = [numFields]string{"title", "summary", "content", "categories", "author", "source", "link"}

const defaultFields = 1<<fieldTitle | 1<<fieldSummary | 1<<fieldContent | 1<<fieldCategories

// New compiles the rules; errors name the rule and the bad phrase/regex/field.
// Regular expressions are Go regexps, case-insensitive unless they turn it
// off themselves with (?-i); they see the plain text of each field (HTML
// stripped, entities decoded; categories one per line). Several rules may
// share a name: the tag is given when any of them matches.
func New(o Options) (*Tagger, error) {
	t := &Tagger{index: map[string][]int32{}, entities: o.Entities}
	var err error
	if t.aliases, err = compileAliases(o.Aliases); err != nil {
		return nil, err
	}
	ids := map[string]int32{}
	phrase := func(name, list, p string) (int32, error) {
		toks := phraseTokens(p)
		if len(toks) == 0 {
			return 0, fmt.Errorf("tag: rule %q: %s phrase %q has no letters or digits", name, list, p)
		}
		key := strings.Join(toks, " ")
		if id, ok := ids[key]; ok {
			return id, nil
		}
		id := int32(len(t.phrases))
		ids[key] = id
		t.phrases = append(t.phrases, toks)
		t.index[toks[0]] = append(t.index[toks[0]], id)
		return id, nil
	}
	for i, spec := range o.Rules {
		name := strings.TrimSpace(spec.Name)
		if !validSlug(name) {
			if name == "" {
				return nil, fmt.Errorf("tag: rule %d has no name", i+1)
			}
			return nil, fmt.Errorf("tag: rule %q: the name must be lower-case letters, digits and single hyphens (like %q)", spec.Name, Slug(spec.Name))
		}
		r := rule{name: name}
		for _, f := range spec.Fields {
			j := slices.Index(fieldNames[:], strings.ToLower(strings.TrimSpace(f)))
			if j < 0 {
				return nil, fmt.Errorf("tag: rule %q: unknown field %q (want %s)", name, f, strings.Join(fieldNames[:], ", "))
			}
			r.fields |= 1 << j
		}
		if r.fields == 0 {
			r.fields = defaultFields
		}
		for _, l := range []struct {
			name string
			in   []string
			out  *[]int32
		}{{"any", spec.Any, &r.any}, {"all", spec.All, &r.all}, {"none", spec.None, &r.none}} {
			for _, p := range l.in {
				id, err := phrase(name, l.name, p)
				if err != nil {
					return nil, err
				}
				if !slices.Contains(*l.out, id) {
					*l.out = append(*l.out, id)
				}
			}
		}
		for _, src := range spec.Regex {
			re, err := regexp.Compile("(?i)" + src)
			if err != nil {
				return nil, fmt.Errorf("tag: rule %q: regex %q: %v", name, src, err)
			}
			r.regex = append(r.regex, re)
		}
		if len(r.any) == 0 && len(r.all) == 0 && len(r.regex) == 0 {
			return nil, fmt.Errorf("tag: rule %q: needs at least one any, all or regex entry", name)
		}
		if len(r.any)+len(r.all)+len(r.none) > 0 {
			t.scanFields |= r.fields
		}
		t.rules = append(t.rules, r)
	}
	return t, nil
}

// Tags returns the item's tags, deduplicated by slug (first kind wins in the
// order Rule, Feed, Category, Entity), sorted by slug. Safe for concurrent use.
func (t *Tagger) Tags(in Input) []Tag {
	x := textPool.Get().(*itemText)
	x.reset(&in)
	defer func() { x.reset(nil); textPool.Put(x) }()

	var out []Tag
	add := func(g Tag) { out = append(out, g) }
	t.ruleTags(x, add)
	feedTags(in.FeedTags, add)
	categoryTags(in.Item.Categories, t.aliases, add)
	if t.entities {
		entityTags(x, add)
	}
	// Tags were added kind by kind: a stable sort keeps the first of each
	// slug first.
	slices.SortStableFunc(out, func(a, b Tag) int { return strings.Compare(a.Slug, b.Slug) })
	return slices.CompactFunc(out, func(a, b Tag) bool { return a.Slug == b.Slug })
}

// ruleTags adds a tag for every rule that matches.
func (t *Tagger) ruleTags(x *itemText, add func(Tag)) {
	if len(t.rules) == 0 {
		return
	}
	// One pass over each field's tokens marks, per phrase, the fields it
	// occurs in.
	if len(x.hits) < len(t.phrases) {
		x.hits = make([]uint8, len(t.phrases))
	}
	hits := x.hits
	for f := range numFields {
		if t.scanFields&(1<<f) == 0 {
			continue
		}
		toks := x.tokens(f)
		for i := range toks {
			cands, ok := t.index[toks[i].norm]
			if !ok {
				continue
			}
		next:
			for _, id := range cands {
				if hits[id]&(1<<f) != 0 {
					continue
				}
				p := t.phrases[id]
				if i+len(p) > len(toks) {
					continue
				}
				for k := 1; k < len(p); k++ {
					if w := toks[i+k]; w.norm != p[k] || w.flags&tStop != 0 {
						continue next
					}
				}
				hits[id] |= 1 << f
				x.touched = append(x.touched, id)
			}
		}
	}
	for i := range t.rules {
		r := &t.rules[i]
		if r.matches(x, hits) {
			add(Tag{Slug: r.name, Label: r.name, Kind: Rule})
		}
	}
	for _, id := range x.touched {
		hits[id] = 0
	}
	x.touched = x.touched[:0]
}

func (r *rule) matches(x *itemText, hits []uint8) bool {
	in := func(id int32) bool { return hits[id]&r.fields != 0 }
	if len(r.any) > 0 && !slices.ContainsFunc(r.any, in) {
		return false
	}
	for _, id := range r.all {
		if !in(id) {
			return false
		}
	}
	if slices.ContainsFunc(r.none, in) {
		return false
	}
	if len(r.regex) == 0 {
		return true
	}
	for f := range numFields {
		if r.fields&(1<<f) == 0 {
			continue
		}
		s := x.plain(f)
		if s == "" {
			continue
		}
		s = strings.ReplaceAll(s, paraSep, "\n")
		for _, re := range r.regex {
			if re.MatchString(s) {
				return true
			}
		}
	}
	return false
}

// phraseTokens normalises a rule phrase into its token sequence.
func phraseTokens(p string) []string {
	var out []string
	for _, w := range tokenize(stripHTML(p), nil) {
		out = append(out, w.norm)
	}
	return out
}

// itemText holds the plain text and tokens of one item's fields, computed on
// first use. Pooled: one per concurrent Tags call.
type itemText struct {
	in      *Input
	done    [numFields]bool
	text    [numFields]string
	toks    [numFields][]token
	hits    []uint8 // per phrase: bit set of fields it occurs in
	touched []int32 // phrases with hits to clear
	ent     entityScratch
}

var textPool = sync.Pool{New: func() any { return new(itemText) }}

func (x *itemText) reset(in *Input) {
	x.in = in
	for f := range numFields {
		x.done[f] = false
		x.text[f] = ""
		clear(x.toks[f])
		x.toks[f] = x.toks[f][:0]
	}
	x.ent.reset()
}

// plain returns the plain text of a field.
func (x *itemText) plain(f int) string {
	if !x.done[f] {
		x.done[f] = true
		it := &x.in.Item
		switch f {
		case fieldTitle:
			x.text[f] = stripHTML(it.Title)
		case fieldSummary:
			x.text[f] = stripHTML(it.Summary)
		case fieldContent:
			x.text[f] = stripHTML(it.Content)
		case fieldCategories:
			x.text[f] = strings.Join(it.Categories, paraSep)
		case fieldAuthor:
			x.text[f] = it.Author
		case fieldSource:
			x.text[f] = x.in.Source
		case fieldLink:
			x.text[f] = it.Link
		}
		x.toks[f] = tokenize(x.text[f], x.toks[f][:0])
	}
	return x.text[f]
}

// tokens returns the tokens of a field.
func (x *itemText) tokens(f int) []token {
	x.plain(f)
	return x.toks[f]
}

// token is one word of a text.
type token struct {
	norm  string // folded: lower case, accents and apostrophes removed, possessive 's dropped
	raw   string // as written, possessive dropped
	flags uint16
}

const (
	tCap     uint16 = 1 << iota // the first letter is upper case
	tUpper                      // all of at least two letters are upper case, or a dotted abbreviation ("U.S.")
	tLetters                    // letters only, no digits
	tSep                        // punctuation other than a joining hyphen precedes it
	tStop                       // first word of the text, of a block or of a sentence
	tHyph                       // joined by a hyphen to the word before ("Jong-un")
	tPoss                       // written with a possessive 's ("Putin's")
	tPara                       // first word of a block (paragraph, title, category)
)

// paraSep separates blocks (HTML block elements, categories) in plain text.
const paraSep = "\u2029"

// abbrevs are words whose following full stop does not end a sentence.
var abbrevs = setOf(`mr mrs ms mx dr st sen rep gov gen lt col capt maj sgt prof rev adm cmdr mt ft messrs hon jr sr`)

// tokenize splits plain text into tokens, appending to out.
func tokenize(s string, out []token) []token {
	flags := tStop | tSep | tPara
	prevEnd := -1 // end of the last word
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if isWordRune(r) {
			if j, ab := dottedAbbrev(s, i); j > 0 {
				f := flags | tLetters | dottedFlags(ab)
				out = append(out, token{norm: strings.ToLower(ab), raw: s[i:j], flags: f})
				flags, prevEnd, i = 0, j, j
				continue
			}
			j := i + w
			for j < len(s) {
				r2, w2 := utf8.DecodeRuneInString(s[j:])
				if isWordRune(r2) {
					j += w2
					continue
				}
				if isApostrophe(r2) && j+w2 < len(s) {
					if r3, _ := utf8.DecodeRuneInString(s[j+w2:]); isWordRune(r3) {
						j += w2
						continue
					}
				}
				break
			}
			if t, ok := makeToken(s[i:j], flags); ok {
				out = append(out, t)
				flags = 0
				if j < len(s) && s[j] == '.' && t.flags&tCap != 0 && (abbrevs[t.norm] || len(t.raw) == 1) {
					j++ // "Mr. Putin", "George W. Bush"
				}
			}
			prevEnd, i = j, j
			continue
		}
		switch {
		case r == '\u2029':
			flags |= tStop | tSep | tPara
		case r == '-' || unicode.Is(unicode.Pd, r):
			joined := false
			if prevEnd == i && i+w < len(s) {
				r2, _ := utf8.DecodeRuneInString(s[i+w:])
				joined = isWordRune(r2)
			}
			if joined {
				flags |= tHyph
			} else {
				flags |= tSep
			}
		case unicode.IsSpace(r):
		case r == '.' || r == '!' || r == '?' || r == '…' || r == ':' || r == ';' || r == '|':
			if sentenceEnd(s, i+w) {
				flags |= tStop | tSep
			} else {
				flags |= tSep
			}
		default:
			flags |= tSep
		}
		if flags&tSep != 0 {
			flags &^= tHyph
		}
		i += w
	}
	return out
}

func dottedFlags(ab string) uint16 {
	if strings.ToUpper(ab) == ab {
		return tUpper | tCap
	}
	return 0
}

// dottedAbbrev recognises "U.S.", "U.K.", "D.P.R.K." at s[i:]: single ASCII
// letters each followed by a full stop, at least two, not followed by a
// letter or digit. It returns the end and the letters, or 0.
func dottedAbbrev(s string, i int) (int, string) {
	j := i
	n := 0
	for j+1 < len(s) && isASCIILetter(s[j]) && s[j+1] == '.' {
		j += 2
		n++
	}
	if n < 2 {
		return 0, ""
	}
	if j < len(s) {
		if r, _ := utf8.DecodeRuneInString(s[j:]); isWordRune(r) {
			return 0, ""
		}
	}
	b := make([]byte, 0, n)
	for k := i; k < j; k += 2 {
		b = append(b, s[k])
	}
	return j, string(b)
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// sentenceEnd reports whether sentence punctuation ending at s[:i] ends a
// sentence: it is followed (after closing quotes and brackets) by a space,
// a block boundary or the end of the text.
func sentenceEnd(s string, i int) bool {
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"' || r == '”' || r == '’' || r == '\'' || r == ')' || r == ']' || r == '»' || r == '.' || r == '!' || r == '?':
			i += w
		case unicode.IsSpace(r) || r == '\u2029':
			return true
		default:
			return false
		}
	}
	return true
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// makeToken builds a token from a word as written.
func makeToken(raw string, flags uint16) (token, bool) {
	// possessive
	if n := len(raw); n > 2 && (raw[n-1] == 's' || raw[n-1] == 'S') {
		if r, w := utf8.DecodeLastRuneInString(raw[:n-1]); isApostrophe(r) {
			raw = raw[:n-1-w]
			flags |= tPoss
		}
	}
	n := fold(raw)
	if n == "" {
		return token{}, false
	}
	letters, upper, lower := 0, 0, 0
	digits := false
	first := true
	for _, r := range raw {
		switch {
		case unicode.IsLetter(r):
			letters++
			if unicode.IsUpper(r) || unicode.IsTitle(r) {
				upper++
				if first {
					flags |= tCap
				}
			} else if unicode.IsLower(r) {
				lower++
			}
			first = false
		case unicode.IsDigit(r):
			digits = true
			first = false
		}
	}
	if !digits && letters > 0 {
		flags |= tLetters
	}
	if upper >= 2 && lower == 0 {
		flags |= tUpper
	}
	return token{norm: n, raw: raw, flags: flags}, true
}

// fold lower-cases a word, removes accents and apostrophes, and spells out
// letters without a decomposition, as Slug does; letters of other scripts
// are kept (lower-cased).
func fold(w string) string {
	if isASCII(w) {
		lower := true
		for i := 0; i < len(w); i++ {
			if c := w[i]; 'A' <= c && c <= 'Z' || c == '\'' {
				lower = false
				break
			}
		}
		if lower {
			return w
		}
		b := make([]byte, 0, len(w))
		for i := 0; i < len(w); i++ {
			c := w[i]
			switch {
			case c == '\'':
			case 'A' <= c && c <= 'Z':
				b = append(b, c+'a'-'A')
			default:
				b = append(b, c)
			}
		}
		return string(b)
	}
	var b strings.Builder
	for _, r := range norm.NFKD.String(w) {
		switch {
		case isApostrophe(r), unicode.IsMark(r):
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteRune(r)
		default:
			if sp, ok := spelled[r]; ok {
				b.WriteString(sp)
			} else if unicode.IsLetter(r) || unicode.IsDigit(r) {
				b.WriteRune(unicode.ToLower(r))
			}
		}
	}
	return b.String()
}

// inlineTags do not break words or sentences; other tags are block
// boundaries.
var inlineTags = setOf(`a abbr b bdi bdo cite code data dfn em font i kbd mark q s samp small span strong sub sup time u var wbr`)

// stripHTML returns the text of an HTML fragment: tags removed, entities
// decoded, script and style bodies dropped, block elements separated by
// paraSep. Text without '<' or '&' is returned unchanged.
func stripHTML(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	if !strings.Contains(s, "<") {
		return html.UnescapeString(s)
	}
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			n := string(name)
			switch n {
			case "script", "style", "noscript", "template", "iframe", "object":
				if tt == html.EndTagToken {
					if skip > 0 {
						skip--
					}
				} else if tt == html.StartTagToken {
					skip++
				}
				b.WriteString(paraSep)
			default:
				if !inlineTags[n] {
					b.WriteString(paraSep)
				}
			}
		}
	}
}

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}
