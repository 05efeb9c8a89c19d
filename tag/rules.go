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

	"golang.org/x/text/unicode/norm"

	"aggregator"

	"aggregator/internal/text"
)

// RuleSpec is one tag rule of the config.
type RuleSpec struct {
	Name           string // the tag's slug (validated: lower-case letters, digits, hyphens)
	Label          string // the tag's label for people; "" for the default (see ruleLabel)
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
	Item   aggregator.Item
	Source string // the feed's display name, which entity tags leave out
	// Feed is the feed as the config knows it (see aggregator.Feed.Identity),
	// which rules that look in the source field see: never a name the
	// feed's own document gives, which could be another feed's.
	Feed     string
	FeedTags []string // tags the feed's config gives every item (slugs or labels; slugified)
}

// Tagger tags items. It is immutable once built and safe for concurrent use.
type Tagger struct {
	rules      []rule
	phrases    [][]string         // distinct phrases as token sequences
	index      map[string][]int32 // first token → phrases starting with it
	first      hashFilter         // the wordHash of the keys of index
	scanFields uint8              // fields any rule has phrases for
	aliases    map[string]string
	entities   bool
	labels     map[string]string // the rule tags' labels, by slug
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
	byName := map[string][]RuleSpec{}
	for _, spec := range o.Rules {
		name := strings.TrimSpace(spec.Name)
		byName[name] = append(byName[name], spec)
	}
	t.labels = make(map[string]string, len(byName))
	for name, specs := range byName {
		if t.labels[name], err = ruleLabel(name, specs); err != nil {
			return nil, err
		}
	}
	aliasLabels(o.Aliases, t.labels)
	t.first = newHashFilter(len(t.index))
	for w := range t.index {
		t.first.add(wordHash(w))
	}
	return t, nil
}

// Tags returns the item's tags, deduplicated by slug (first kind wins in the
// order Rule, Feed, Category, Entity), sorted by slug, each with its slug's
// label (see labels.go). Safe for concurrent use.
func (t *Tagger) Tags(in Input) []Tag {
	x := textPool.Get().(*itemText)
	x.reset(&in)
	defer func() { x.reset(nil); textPool.Put(x) }()

	all := x.tags[:0]
	add := func(g Tag) { all = append(all, g) }
	t.ruleTags(x, add)
	feedTags(in.FeedTags, add)
	categoryTags(in.Item.Categories, t.aliases, add)
	if t.entities {
		entityTags(x, add)
	}
	x.tags = all
	if len(all) == 0 {
		return nil
	}
	// Tags were added kind by kind: sorted by slug and then by the order
	// they were added, the first of each slug comes first. (Sorting their
	// indexes moves less than sorting the tags.)
	order := x.order[:0]
	for i := range all {
		order = append(order, int32(i))
	}
	x.order = order
	slices.SortFunc(order, func(a, b int32) int {
		if c := strings.Compare(all[a].Slug, all[b].Slug); c != 0 {
			return c
		}
		return int(a - b)
	})
	out := make([]Tag, 0, len(all))
	for _, i := range order {
		if g := all[i]; len(out) == 0 || g.Slug != out[len(out)-1].Slug {
			g.Label = t.label(g)
			out = append(out, g)
		}
	}
	return out
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
			if !t.first.mayHave(toks[i].hash) {
				continue
			}
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
			add(Tag{Slug: r.name, Kind: Rule}) // labelled by Tags
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
	for _, w := range tokenize(text.FromHTML(p, htmlText), nil) {
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
	tags    []Tag   // the tags of the item, before sorting
	order   []int32 // indexes into tags
	tz      tokenizer
	ent     entityScratch
}

var textPool = sync.Pool{New: func() any { return new(itemText) }}

func (x *itemText) reset(in *Input) {
	x.in = in
	for f := range numFields {
		x.done[f] = false
		x.text[f] = ""
		// The tokens are not cleared: the next item's overwrite them (and
		// clearing pointers costs write barriers while the GC runs).
		x.toks[f] = x.toks[f][:0]
	}
	clear(x.tags)
	x.tags = x.tags[:0]
	x.ent.reset()
}

// plain returns the plain text of a field.
func (x *itemText) plain(f int) string {
	if !x.done[f] {
		x.done[f] = true
		it := &x.in.Item
		switch f {
		case fieldTitle:
			x.text[f] = text.FromHTML(it.Title, htmlText)
		case fieldSummary:
			x.text[f] = text.FromHTML(it.Summary, htmlText)
		case fieldContent:
			x.text[f] = text.FromHTML(it.Content, htmlText)
		case fieldCategories:
			x.text[f] = strings.Join(it.Categories, paraSep)
		case fieldAuthor:
			x.text[f] = it.Author
		case fieldSource:
			x.text[f] = x.in.Feed
		case fieldLink:
			x.text[f] = it.Link
		}
		x.toks[f] = x.tz.tokenize(x.text[f], x.toks[f][:0])
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
	// capLex is lexBits of a capitalised token (tCap), looked up once by
	// tokenize; others are looked up when asked, as few are.
	capLex uint16
	hash   uint32 // wordHash(norm)
}

// lexBits returns the word lists the token's norm is in (lex*).
func (t *token) lexBits() uint16 {
	if t.flags&tCap != 0 {
		return t.capLex
	}
	return lexicon.lookup(t.norm, t.hash)
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
	tCamel                      // a lower-case first letter and a capital later ("iPhone", "eBay")
	tCut                        // followed by an ellipsis ("Foundati…", "Chair...", "Jong […]"): perhaps cut short
	tLast                       // the last word of the text, with no punctuation after it
)

// paraSep separates blocks (HTML block elements, categories) in plain text.
const paraSep = "\u2029"

// abbrevs are words whose following full stop does not end a sentence.
var abbrevs = setOf(`mr mrs ms mx dr st sen rep gov gen lt col capt maj sgt prof rev adm cmdr mt ft messrs hon jr sr`)

// tokenize splits plain text into tokens, appending to out.
func tokenize(s string, out []token) []token {
	var tz tokenizer
	return tz.tokenize(s, out)
}

// tokenizer holds the scratch space of tokenize, reused from one text to
// the next. The folded forms of a text's words that differ from the words
// as written ("Putin" → "putin") are collected end to end in one buffer and
// made into one string when the text is done, rather than one string each.
type tokenizer struct {
	folded []byte    // folded forms, end to end
	refs   []foldRef // the tokens whose norm is in folded
}

// foldRef says that out[tok].norm is folded[start:end].
type foldRef struct{ tok, start, end int }

// Classes of ASCII characters for tokenize.
const (
	cSep      uint8 = iota // punctuation: separates words (tSep)
	cWord                  // letter or digit
	cSpace                 // white space
	cHyphen                // '-': joins words or separates them
	cSentence              // . ! ? : ; | — may end a sentence
	cPara                  // paraSep (not ASCII)
)

// asciiClass classifies the ASCII characters as isWordRune, unicode.IsSpace
// and tokenize's switch do.
var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for c := range rune(utf8.RuneSelf) {
		t[c] = runeClass(c)
	}
	return t
}()

// classOf is runeClass, from tables for Latin-1 and General Punctuation
// (curly quotes, dashes).
func classOf(r rune) uint8 {
	switch {
	case r < 0x100:
		return latin1Class[r]
	case 0x2000 <= r && r < 0x2070:
		return punctClass[r-0x2000]
	}
	return runeClass(r)
}

var latin1Class, punctClass = func() (l [0x100]uint8, p [0x70]uint8) {
	for r := range rune(len(l)) {
		l[r] = runeClass(r)
	}
	for r := range rune(len(p)) {
		p[r] = runeClass(0x2000 + r)
	}
	return l, p
}()

// runeClass classifies a character that is not a letter, digit or mark
// for tokenize; for those it returns cWord.
func runeClass(r rune) uint8 {
	switch {
	case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
		return cWord
	case r == '\u2029':
		return cPara
	case r == '-' || unicode.Is(unicode.Pd, r):
		return cHyphen
	case unicode.IsSpace(r):
		return cSpace
	case r == '.' || r == '!' || r == '?' || r == '…' || r == ':' || r == ';' || r == '|':
		return cSentence
	}
	return cSep
}

// tokenize splits plain text into tokens, appending to out.
func (tz *tokenizer) tokenize(s string, out []token) []token {
	first := len(out)
	flags := tStop | tSep | tPara
	prevEnd := -1 // end of the last word
	for i := 0; i < len(s); {
		r, w := rune(s[i]), 1
		var class uint8
		if r < utf8.RuneSelf {
			class = asciiClass[r]
		} else {
			r, w = utf8.DecodeRuneInString(s[i:])
			class = classOf(r)
		}
		if class == cWord {
			if i+1 < len(s) && s[i+1] == '.' {
				if j, ab := dottedAbbrev(s, i); j > 0 {
					f := flags | tLetters | dottedFlags(ab)
					n := strings.ToLower(ab)
					out = append(out, token{norm: n, raw: s[i:j], flags: f, hash: wordHash(n)})
					flags, prevEnd, i = 0, j, j
					continue
				}
			}
			j, ok := tz.appendASCIIWord(&out, s, i, flags)
			if !ok {
				j = wordEnd(s, i+w)
				ok = tz.appendWord(&out, s[i:j], flags)
			}
			if ok {
				flags = 0
				if t := &out[len(out)-1]; j < len(s) && s[j] == '.' && t.flags&tCap != 0 && (len(t.raw) == 1 || tz.isAbbrev(*t)) {
					j++ // "Mr. Putin", "George W. Bush"
				}
			}
			prevEnd, i = j, j
			continue
		}
		switch class {
		case cPara:
			flags |= tStop | tSep | tPara
		case cHyphen:
			if prevEnd == i && i+w < len(s) && startsWord(s[i+w:]) {
				flags |= tHyph
			} else {
				flags |= tSep
			}
		case cSpace:
		case cSentence:
			if (r == '…' || r == '.' && strings.HasPrefix(s[i:], "...")) && len(out) > first && gapOnly(s[prevEnd:i]) {
				out[len(out)-1].flags |= tCut
			}
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
	if len(out) > first && endOnly(s[prevEnd:]) {
		out[len(out)-1].flags |= tLast
	}
	// Point the norms of the tokens that were folded into one string.
	if len(tz.refs) > 0 {
		folded := string(tz.folded)
		for _, ref := range tz.refs {
			out[ref.tok].norm = folded[ref.start:ref.end]
		}
		tz.folded, tz.refs = tz.folded[:0], tz.refs[:0]
	}
	for k := first; k < len(out); k++ {
		if out[k].flags&tCap != 0 {
			out[k].capLex = lexicon.lookup(out[k].norm, out[k].hash)
		}
	}
	return out
}

// gapOnly reports whether s, between a word and an ellipsis, is only
// spaces and opening brackets ("Jong […]").
func gapOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != ' ' && c != '[' && c != '(' {
			return false
		}
	}
	return true
}

// endOnly reports whether s, after the last word of a text, is only white
// space and block breaks: the text stops without punctuation.
func endOnly(s string) bool {
	for _, r := range s {
		if r != '\u2029' && !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// appendASCIIWord appends the token of the word at s[i:] if it is ASCII
// letters and digits only — the commonest word — and returns its end; else
// it returns ok false. It is appendWord in one pass over the word.
func (tz *tokenizer) appendASCIIWord(out *[]token, s string, i int, flags uint16) (end int, ok bool) {
	var kinds uint8 // asciiKind of the characters seen
	upper := 0
	h := uint32(hashSeed)
	j := i
	for ; j < len(s); j++ {
		c := s[j]
		k := asciiKind[c]
		if k == 0 {
			// The end of the word, unless it goes on (as wordEnd sees it)
			// with a letter that is not ASCII or with an apostrophe.
			r, w := rune(c), 1
			if c >= utf8.RuneSelf {
				r, w = utf8.DecodeRuneInString(s[j:])
			}
			if c >= utf8.RuneSelf && isWordRune(r) || text.IsApostrophe(r) && j+w < len(s) && startsWord(s[j+w:]) {
				return 0, false
			}
			break
		}
		kinds |= k
		upper += int(k>>1) & 1
		h = hashByte(h, c|0x20) // lower case for letters, the same for digits
	}
	if asciiKind[s[i]] == kUpper {
		flags |= tCap
	} else if upper > 0 && kinds&kDigit == 0 {
		flags |= tCamel
	}
	if kinds&kDigit == 0 {
		flags |= tLetters // there is at least one letter
	}
	if upper >= 2 && kinds&kLower == 0 {
		flags |= tUpper
	}
	raw := s[i:j]
	if upper == 0 {
		pushToken(out, raw, raw, flags, h)
		return j, true
	}
	start := len(tz.folded)
	for k := 0; k < len(raw); k++ {
		tz.folded = append(tz.folded, raw[k]|0x20)
	}
	tz.refs = append(tz.refs, foldRef{tok: len(*out), start: start, end: len(tz.folded)})
	pushToken(out, "", raw, flags, h) // norm: see tokenize
	return j, true
}

// Kinds of ASCII letters and digits for appendASCIIWord.
const (
	kLower uint8 = 1 << iota
	kUpper
	kDigit
)

var asciiKind = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = kLower
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = kUpper
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = kDigit
	}
	return t
}()

// pushToken appends a token to *out, writing every field: the tokens past
// the end of a reused slice are old ones.
func pushToken(out *[]token, norm, raw string, flags uint16, hash uint32) {
	o := *out
	if len(o) < cap(o) {
		o = o[:len(o)+1]
	} else {
		o = append(o, token{})
	}
	t := &o[len(o)-1]
	t.norm, t.raw, t.flags, t.capLex, t.hash = norm, raw, flags, 0, hash
	*out = o
}

// wordEnd returns the end of the word that continues at s[j:]: letters,
// digits and marks, and apostrophes between them.
func wordEnd(s string, j int) int {
	for j < len(s) {
		if c := s[j]; c < utf8.RuneSelf {
			if asciiClass[c] == cWord || c == '\'' && j+1 < len(s) && startsWord(s[j+1:]) {
				j++
				continue
			}
			return j
		}
		r, w := utf8.DecodeRuneInString(s[j:])
		if isWordRune(r) || text.IsApostrophe(r) && j+w < len(s) && startsWord(s[j+w:]) {
			j += w
			continue
		}
		return j
	}
	return j
}

// startsWord reports whether s starts with a letter, digit or mark.
func startsWord(s string) bool {
	if c := s[0]; c < utf8.RuneSelf {
		return asciiClass[c] == cWord
	}
	r, _ := utf8.DecodeRuneInString(s)
	return isWordRune(r)
}

// isAbbrev reports whether the token just made is in abbrevs.
func (tz *tokenizer) isAbbrev(t token) bool {
	if t.norm != "" || len(tz.refs) == 0 {
		return abbrevs[t.norm]
	}
	ref := tz.refs[len(tz.refs)-1] // its norm, not yet a string
	return abbrevs[string(tz.folded[ref.start:ref.end])]
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
		r, w := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, w = utf8.DecodeRuneInString(s[i:])
		}
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
	return classOf(r) == cWord
}

// appendWord appends the token of a word as written to *out, if it has one.
// Words of ASCII letters and digits, ' ‘ ’ apostrophes and Latin letters
// with accents (latinLetters) — most words — take a fast path; others go to
// makeTokenSlow.
func (tz *tokenizer) appendWord(out *[]token, raw string, flags uint16) bool {
	// possessive
	if n := len(raw); n > 2 && (raw[n-1] == 's' || raw[n-1] == 'S') {
		if r, w := utf8.DecodeLastRuneInString(raw[:n-1]); text.IsApostrophe(r) {
			raw = raw[:n-1-w]
			flags |= tPoss
		}
	}
	// One pass counts the letters as makeTokenSlow does, hashes the folded
	// word and sees whether folding changes the word.
	letters, upper, lower := 0, 0, 0
	digits, first, same := false, true, true
	h := uint32(hashSeed) // wordHash of the folded word
	for k := 0; k < len(raw); k++ {
		switch c := raw[k]; {
		case 'a' <= c && c <= 'z':
			letters++
			lower++
			first = false
			h = hashByte(h, c)
		case 'A' <= c && c <= 'Z':
			letters++
			upper++
			if first {
				flags |= tCap
			}
			first, same = false, false
			h = hashByte(h, c+'a'-'A')
		case '0' <= c && c <= '9':
			digits = true
			first = false
			h = hashByte(h, c)
		case c == '\'':
			same = false
		default:
			r, w := utf8.DecodeRuneInString(raw[k:])
			if r != '‘' && r != '’' { // no decomposition, deleted by fold
				e := latinFold(r)
				if e == nil {
					t, ok := makeTokenSlow(raw, flags)
					if ok {
						*out = append(*out, t)
					}
					return ok
				}
				letters++
				if e.upper {
					upper++
					if first {
						flags |= tCap
					}
				} else if e.lower {
					lower++
				}
				first = false
				for i := 0; i < len(e.fold); i++ {
					h = hashByte(h, e.fold[i])
				}
			}
			same = false
			k += w - 1
		}
	}
	if letters == 0 && !digits {
		return false // only apostrophes: fold gives ""
	}
	flags |= caseFlags(flags, letters, upper, lower, digits)
	if same {
		pushToken(out, raw, raw, flags, h)
		return true
	}
	// Fold into tz.folded: delete apostrophes, lower-case, remove accents.
	start := len(tz.folded)
	for k := 0; k < len(raw); k++ {
		switch c := raw[k]; {
		case 'A' <= c && c <= 'Z':
			tz.folded = append(tz.folded, c+'a'-'A')
		case c == '\'':
		case c < utf8.RuneSelf:
			tz.folded = append(tz.folded, c)
		default:
			r, w := utf8.DecodeRuneInString(raw[k:])
			if e := latinFold(r); e != nil {
				tz.folded = append(tz.folded, e.fold...)
			}
			k += w - 1
		}
	}
	tz.refs = append(tz.refs, foldRef{tok: len(*out), start: start, end: len(tz.folded)})
	pushToken(out, "", raw, flags, h) // norm: see tokenize
	return true
}

// A latinLetter is a letter of Latin-1 Supplement and Latin Extended-A and -B
// (À to ɏ) as fold and makeTokenSlow see it.
type latinLetter struct {
	fold  string // fold(string(r))
	upper bool   // unicode.IsUpper or IsTitle
	lower bool   // unicode.IsLower, and not upper
}

const latinFirst, latinEnd = 0xc0, 0x250

// latinLetters holds the letters from latinFirst to latinEnd whose
// compatibility decomposition starts with a starter (canonical combining
// class 0) and that fold to something. For a word of such letters, ASCII
// letters and digits and ‘ ’ ' apostrophes, the decomposition of the word is
// the decompositions of its letters one after another (no combining marks
// are reordered across letters), so fold of the word is the folds of its
// letters one after another.
var latinLetters = func() (t [latinEnd - latinFirst]*latinLetter) {
	for r := rune(latinFirst); r < latinEnd; r++ {
		if !unicode.IsLetter(r) {
			continue
		}
		d := norm.NFKD.String(string(r))
		if d == "" || norm.NFKD.PropertiesString(d).CCC() != 0 {
			continue
		}
		e := &latinLetter{fold: fold(string(r)), upper: unicode.IsUpper(r) || unicode.IsTitle(r)}
		e.lower = !e.upper && unicode.IsLower(r)
		if e.fold != "" {
			t[r-latinFirst] = e
		}
	}
	return t
}()

// latinFold returns the latinLetters entry of r, or nil.
func latinFold(r rune) *latinLetter {
	if r < latinFirst || r >= latinEnd {
		return nil
	}
	return latinLetters[r-latinFirst]
}

// makeTokenSlow builds a token from a word as written, after the possessive
// is dropped.
func makeTokenSlow(raw string, flags uint16) (token, bool) {
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
	flags |= caseFlags(flags, letters, upper, lower, digits)
	return token{norm: n, raw: raw, flags: flags, hash: wordHash(n)}, true
}

// fold lower-cases a word, removes accents and apostrophes, and spells out
// letters without a decomposition, as Slug does; letters of other scripts
// are kept (lower-cased).
func fold(w string) string {
	if text.IsASCII(w) {
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
		case text.IsApostrophe(r), unicode.IsMark(r):
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteRune(r)
		default:
			if sp, ok := text.Spell(r); ok {
				b.WriteString(sp)
			} else if unicode.IsLetter(r) || unicode.IsDigit(r) {
				b.WriteRune(unicode.ToLower(r))
			}
		}
	}
	return b.String()
}

func setOf(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// caseFlags are the flags a word's letter counts give it: letters only
// (tLetters, and tCamel when a capital stands inside a word that does not
// start with one), and all capitals (tUpper).
func caseFlags(flags uint16, letters, upper, lower int, digits bool) uint16 {
	if !digits && letters > 0 {
		flags |= tLetters
		if flags&tCap == 0 && upper > 0 {
			flags |= tCamel
		}
	}
	if upper >= 2 && lower == 0 {
		flags |= tUpper
	}
	return flags
}
