package tag

// The output filter language: outputs[].filter in the config, e.g.
//
//	tag:north-korea AND NOT tag:sport
//	(source:Reuters OR source:"BBC News") AND sources>=3 AND age<2d
//
// Grammar (keywords and predicate names are case-insensitive; spaces
// separate tokens and are otherwise ignored):
//
//	filter  = [ or ]                       empty: every story
//	or      = and { "OR" and }
//	and     = unary { "AND" unary }
//	unary   = "NOT" unary | primary
//	primary = "(" or ")" | predicate
//	predicate =
//	    "tag:" value       the story has this tag; value is slugified
//	  | "source:" value    a feed that carried it is this one, by its name
//	                       in the config, else its URL or the URL's host
//	  | "title:" value     the phrase, as whole words, is in the title
//	  | "text:" value      ... in the title or the text
//	  | "lang:" value      language, BCP 47 prefix: en matches en-GB
//	  | "/" regex "/"      Go regexp on title + " " + text; \/ is a slash
//	  | "age" op duration  now - published; 90m, 48h, 2d, 1w, 1d12h
//	  | "sources" op count number of distinct outlets
//	value = '"' { char | '\' char } '"'  |  bare
//	bare  = a run of characters other than space, "(", ")" and '"'
//	op    = "<" | "<=" | ">" | ">=" | "=" ("=" for sources only)
//
// NOT binds tighter than AND, which binds tighter than OR. Two terms side by
// side without an operator are an error. The symbols &&, || and ! are not
// operators.

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Subject is what a filter looks at: one story.
type Subject struct {
	Tags    []string // slugs
	Sources []string // display names of the outlets, which sources counts
	// Feeds are the feeds that carried it, as the config knows them (see
	// aggregator.Feed.Identity), which source: matches: never a name a
	// feed's own document gives, which could be another feed's.
	Feeds []string
	Title string
	Text  string // plain text of summary/content
	// TextOf, when set, gives Text the first time a predicate needs it:
	// a filter on tags or outlets then never pays for the text.
	TextOf    func() string
	Lang      string    // e.g. "en-gb"; "" unknown (lang: never matches unknown)
	Published time.Time // zero if unknown (age never matches unknown)
}

// Filter is a parsed filter expression. It is immutable and safe for
// concurrent use. The zero Filter and a nil *Filter match every story.
type Filter struct {
	root filterNode // nil: every story
}

// FilterError is a syntax error in a filter expression.
type FilterError struct {
	Column   int    // 1-based, in runes
	Expected string // what the parser expected, e.g. `AND, OR or )`
	Found    string // the text found there; "" at the end of the input
}

func (e *FilterError) Error() string {
	found := "end of input"
	if e.Found != "" {
		found = strconv.Quote(e.Found)
	}
	return fmt.Sprintf("column %d: expected %s, found %s", e.Column, e.Expected, found)
}

// ParseFilter parses a filter expression. An empty or blank expression gives
// a filter matching every story. Syntax errors are *FilterError.
func ParseFilter(s string) (f *Filter, err error) {
	defer func() {
		if r := recover(); r != nil {
			fe, ok := r.(*FilterError)
			if !ok {
				panic(r)
			}
			f, err = nil, fe
		}
	}()
	p := &filterParser{lex: filterLexer{src: s}}
	p.advance()
	if p.tok.kind == filterEOF {
		return &Filter{}, nil
	}
	root := p.parseOr()
	if p.tok.kind != filterEOF {
		p.fail(p.tok, "AND, OR or end of input")
	}
	return &Filter{root: root}, nil
}

// Match reports whether the story s passes the filter at time now (used by
// age predicates).
func (f *Filter) Match(s Subject, now time.Time) bool {
	if f == nil || f.root == nil {
		return true
	}
	c := filterCtx{s: s, now: now}
	return filterEval(f.root, &c)
}

// String returns the filter in canonical form: keywords in capitals, tags as
// slugs, parentheses only where needed. ParseFilter(f.String()) gives an
// equivalent filter. The filter matching everything is "".
func (f *Filter) String() string {
	if f == nil || f.root == nil {
		return ""
	}
	var b strings.Builder
	filterWrite(&b, f.root, 0)
	return b.String()
}

// ---- syntax tree ----

type filterNode interface{ filterNode() }

type (
	filterOr  struct{ kids []filterNode }
	filterAnd struct{ kids []filterNode }
	filterNot struct{ kid filterNode }

	filterTag    struct{ slug string }
	filterSource struct{ name string } // trimmed
	filterPhrase struct {
		inText bool   // text: (title or text) rather than title:
		raw    string // as written, trimmed
		words  string // filterWords(raw)
	}
	filterRegex struct {
		src string // the pattern, with \/ unescaped
		re  *regexp.Regexp
	}
	filterLang struct{ prefix string } // lower-case, hyphens
	filterAge  struct {
		op filterOp
		d  time.Duration
	}
	filterCount struct {
		op filterOp
		n  int
	}
)

func (*filterOr) filterNode()     {}
func (*filterAnd) filterNode()    {}
func (*filterNot) filterNode()    {}
func (*filterTag) filterNode()    {}
func (*filterSource) filterNode() {}
func (*filterPhrase) filterNode() {}
func (*filterRegex) filterNode()  {}
func (*filterLang) filterNode()   {}
func (*filterAge) filterNode()    {}
func (*filterCount) filterNode()  {}

type filterOp uint8

const (
	filterLT filterOp = iota
	filterLE
	filterGT
	filterGE
	filterEQ
)

var filterOpText = [...]string{filterLT: "<", filterLE: "<=", filterGT: ">", filterGE: ">=", filterEQ: "="}

func filterCompare[T int | time.Duration](a T, op filterOp, b T) bool {
	switch op {
	case filterLT:
		return a < b
	case filterLE:
		return a <= b
	case filterGT:
		return a > b
	case filterGE:
		return a >= b
	default:
		return a == b
	}
}

// ---- evaluation ----

// filterCtx holds one Match call's subject and what has been derived from it,
// computed at most once per call.
type filterCtx struct {
	s     Subject
	now   time.Time
	done  uint8 // filterHave* bits
	title string
	text  string
	hay   string
	count int
}

const (
	filterHaveTitle uint8 = 1 << iota
	filterHaveText
	filterHaveHay
	filterHaveCount
)

func (c *filterCtx) titleWords() string {
	if c.done&filterHaveTitle == 0 {
		c.title, c.done = filterWords(c.s.Title), c.done|filterHaveTitle
	}
	return c.title
}

// plain returns the subject's text, getting it from TextOf if need be.
func (c *filterCtx) plain() string {
	if c.s.TextOf != nil {
		c.s.Text, c.s.TextOf = c.s.TextOf(), nil
	}
	return c.s.Text
}

func (c *filterCtx) textWords() string {
	if c.done&filterHaveText == 0 {
		c.text, c.done = filterWords(c.plain()), c.done|filterHaveText
	}
	return c.text
}

func (c *filterCtx) haystack() string {
	if c.done&filterHaveHay == 0 {
		c.hay, c.done = c.s.Title+" "+c.plain(), c.done|filterHaveHay
	}
	return c.hay
}

// sourceCount returns the number of distinct outlets: non-blank names,
// compared ignoring case and surrounding space.
func (c *filterCtx) sourceCount() int {
	if c.done&filterHaveCount == 0 {
		n := 0
		src := c.s.Sources
	outer:
		for i, a := range src {
			a = strings.TrimSpace(a)
			if a == "" {
				continue
			}
			for _, b := range src[:i] {
				if strings.EqualFold(a, strings.TrimSpace(b)) {
					continue outer
				}
			}
			n++
		}
		c.count, c.done = n, c.done|filterHaveCount
	}
	return c.count
}

func filterEval(n filterNode, c *filterCtx) bool {
	switch n := n.(type) {
	case *filterOr:
		for _, k := range n.kids {
			if filterEval(k, c) {
				return true
			}
		}
		return false
	case *filterAnd:
		for _, k := range n.kids {
			if !filterEval(k, c) {
				return false
			}
		}
		return true
	case *filterNot:
		return !filterEval(n.kid, c)
	case *filterTag:
		for _, t := range c.s.Tags {
			if strings.EqualFold(t, n.slug) {
				return true
			}
		}
		return false
	case *filterSource:
		for _, s := range c.s.Feeds {
			if strings.EqualFold(strings.TrimSpace(s), n.name) || strings.EqualFold(urlHost(s), n.name) {
				return true
			}
		}
		return false
	case *filterPhrase:
		return filterHasPhrase(c.titleWords(), n.words) ||
			n.inText && filterHasPhrase(c.textWords(), n.words)
	case *filterRegex:
		return n.re.MatchString(c.haystack())
	case *filterLang:
		l := strings.TrimSpace(c.s.Lang)
		p := n.prefix
		return len(l) >= len(p) && strings.EqualFold(l[:len(p)], p) &&
			(len(l) == len(p) || l[len(p)] == '-' || l[len(p)] == '_')
	case *filterAge:
		if c.s.Published.IsZero() {
			return false
		}
		return filterCompare(c.now.Sub(c.s.Published), n.op, n.d)
	case *filterCount:
		return filterCompare(c.sourceCount(), n.op, n.n)
	}
	panic(fmt.Sprintf("tag: unknown filter node %T", n))
}

// urlHost is the host of a feed known by its URL, "" for a feed known by
// its name.
func urlHost(feed string) string {
	u, err := url.Parse(strings.TrimSpace(feed))
	if err != nil || u.Scheme == "" {
		return ""
	}
	return u.Hostname()
}

// filterHasPhrase reports whether the words phrase occur in the words text
// as whole words; both are filterWords forms.
func filterHasPhrase(text, phrase string) bool {
	for from := 0; ; {
		i := strings.Index(text[from:], phrase)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(phrase)
		if (i == 0 || text[i-1] == ' ') && (end == len(text) || text[end] == ' ') {
			return true
		}
		from = i + 1
	}
}

// ---- canonical form ----

const (
	filterPrecOr = 1 + iota
	filterPrecAnd
	filterPrecNot
	filterPrecAtom
)

func filterPrec(n filterNode) int {
	switch n.(type) {
	case *filterOr:
		return filterPrecOr
	case *filterAnd:
		return filterPrecAnd
	case *filterNot:
		return filterPrecNot
	}
	return filterPrecAtom
}

// filterWrite writes n to b, in parentheses if it binds less tightly than
// its context, whose precedence is outer.
func filterWrite(b *strings.Builder, n filterNode, outer int) {
	if filterPrec(n) < outer {
		b.WriteByte('(')
		defer b.WriteByte(')')
	}
	switch n := n.(type) {
	case *filterOr:
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(" OR ")
			}
			filterWrite(b, k, filterPrecOr)
		}
	case *filterAnd:
		for i, k := range n.kids {
			if i > 0 {
				b.WriteString(" AND ")
			}
			filterWrite(b, k, filterPrecAnd)
		}
	case *filterNot:
		b.WriteString("NOT ")
		filterWrite(b, n.kid, filterPrecNot)
	case *filterTag:
		b.WriteString("tag:")
		b.WriteString(n.slug)
	case *filterSource:
		b.WriteString("source:")
		b.WriteString(filterQuote(n.name))
	case *filterPhrase:
		if n.inText {
			b.WriteString("text:")
		} else {
			b.WriteString("title:")
		}
		b.WriteString(filterQuote(n.raw))
	case *filterRegex:
		b.WriteByte('/')
		for i := 0; i < len(n.src); i++ {
			switch ch := n.src[i]; {
			case ch == '\\' && i+1 < len(n.src):
				b.WriteString(n.src[i : i+2])
				i++
			case ch == '/':
				b.WriteString(`\/`)
			default:
				b.WriteByte(ch)
			}
		}
		b.WriteByte('/')
	case *filterLang:
		b.WriteString("lang:")
		b.WriteString(n.prefix)
	case *filterAge:
		b.WriteString("age")
		b.WriteString(filterOpText[n.op])
		b.WriteString(filterFormatDuration(n.d))
	case *filterCount:
		b.WriteString("sources")
		b.WriteString(filterOpText[n.op])
		b.WriteString(strconv.Itoa(n.n))
	}
}

// filterQuote returns s bare if it is a run of letters, digits, '-', '_' and
// '.', else in double quotes with '"' and '\' escaped.
func filterQuote(s string) string {
	bare := s != ""
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != '.' {
			bare = false
			break
		}
	}
	if bare {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

const (
	filterDay  = 24 * time.Hour
	filterWeek = 7 * filterDay
)

func filterFormatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%filterWeek == 0:
		return strconv.FormatInt(int64(d/filterWeek), 10) + "w"
	case d%filterDay == 0:
		return strconv.FormatInt(int64(d/filterDay), 10) + "d"
	}
	s := d.String() // "36h0m0s", "1h30m0s", "1.5s"
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// filterParseDuration parses a non-negative Go duration that may also use the
// units d (24h) and w (7d), in any case: "48h", "2d", "1w2d", "1.5h", "0".
func filterParseDuration(s string) (time.Duration, bool) {
	s = strings.ToLower(s)
	if s == "0" {
		return 0, true
	}
	if s == "" {
		return 0, false
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && (s[i] == '.' || '0' <= s[i] && s[i] <= '9') {
			i++
		}
		j := i
		for j < len(s) && s[j] != '.' && (s[j] < '0' || s[j] > '9') {
			j++
		}
		num, unit := s[:i], s[i:j]
		s = s[j:]
		if num == "" {
			return 0, false
		}
		var d time.Duration
		var err error
		switch unit {
		case "d", "w":
			mult := time.Duration(24)
			if unit == "w" {
				mult = 24 * 7
			}
			d, err = time.ParseDuration(num + "h")
			if err == nil && d > math.MaxInt64/mult {
				return 0, false
			}
			d *= mult
		case "ns", "us", "µs", "μs", "ms", "s", "m", "h":
			d, err = time.ParseDuration(num + unit)
		default:
			return 0, false
		}
		if err != nil || d > math.MaxInt64-total {
			return 0, false
		}
		total += d
	}
	return total, true
}

// ---- lexer ----

type filterTokKind uint8

const (
	filterEOF filterTokKind = iota
	filterLParen
	filterRParen
	filterAndKw
	filterOrKw
	filterNotKw
	filterPred  // a predicate; tok.node holds it
	filterOther // anything else: a syntax error where it stands
)

type filterToken struct {
	kind filterTokKind
	off  int    // byte offset in the source
	text string // as written; "" at the end
	node filterNode
}

type filterLexer struct {
	src string
	pos int
}

const filterExpectPredicate = `a predicate (tag:, source:, title:, text:, /regex/, lang:, age, sources) or "("`

// fail reports a syntax error at byte offset off.
func (l *filterLexer) fail(off int, expected, found string) {
	panic(&FilterError{
		Column:   utf8.RuneCountInString(l.src[:off]) + 1,
		Expected: expected,
		Found:    found,
	})
}

func filterIsSpace(r rune) bool { return unicode.IsSpace(r) }

// bareEnd returns the end of the bare run starting at off.
func (l *filterLexer) bareEnd(off int) int {
	for off < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[off:])
		if filterIsSpace(r) || r == '(' || r == ')' || r == '"' {
			break
		}
		off += size
	}
	return off
}

// foundAt returns the text at off to quote in an error message.
func (l *filterLexer) foundAt(off int) string {
	if off >= len(l.src) {
		return ""
	}
	if end := l.bareEnd(off); end > off {
		return l.src[off:end]
	}
	_, size := utf8.DecodeRuneInString(l.src[off:])
	return l.src[off : off+size]
}

func (l *filterLexer) skipSpace() {
	for l.pos < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.pos:])
		if !filterIsSpace(r) {
			return
		}
		l.pos += size
	}
}

// quoted reads a quoted string whose opening quote is at l.pos, and returns
// it unescaped.
func (l *filterLexer) quoted() string {
	start := l.pos
	var b strings.Builder
	for i := start + 1; i < len(l.src); i++ {
		switch ch := l.src[i]; ch {
		case '"':
			l.pos = i + 1
			return b.String()
		case '\\':
			if i+1 < len(l.src) {
				i++
				b.WriteByte(l.src[i])
			}
		default:
			b.WriteByte(ch)
		}
	}
	l.fail(start, `a closing '"' for this one`, l.src[start:])
	return ""
}

func (l *filterLexer) next() filterToken {
	l.skipSpace()
	start := l.pos
	if start >= len(l.src) {
		return filterToken{kind: filterEOF, off: start}
	}
	tok := func(kind filterTokKind, n filterNode) filterToken {
		return filterToken{kind: kind, off: start, text: l.src[start:l.pos], node: n}
	}
	switch l.src[start] {
	case '(':
		l.pos++
		return tok(filterLParen, nil)
	case ')':
		l.pos++
		return tok(filterRParen, nil)
	case '/':
		return tok(filterPred, l.regex())
	case '"':
		l.quoted()
		return tok(filterOther, nil)
	}

	nameEnd := start
	for nameEnd < len(l.src) {
		ch := l.src[nameEnd]
		if ch != '_' && (ch|0x20 < 'a' || ch|0x20 > 'z') {
			break
		}
		nameEnd++
	}
	name := strings.ToLower(l.src[start:nameEnd])
	if name == "age" || name == "sources" {
		l.pos = nameEnd
		return tok(filterPred, l.comparison(name))
	}
	if nameEnd > start && nameEnd < len(l.src) && l.src[nameEnd] == ':' {
		l.pos = nameEnd + 1
		return tok(filterPred, l.valuePredicate(name, start))
	}
	l.pos = l.bareEnd(start)
	switch strings.ToLower(l.src[start:l.pos]) {
	case "and":
		return tok(filterAndKw, nil)
	case "or":
		return tok(filterOrKw, nil)
	case "not":
		return tok(filterNotKw, nil)
	}
	return tok(filterOther, nil)
}

// valuePredicate reads the value of the predicate name, which starts at
// start and whose colon is just before l.pos.
func (l *filterLexer) valuePredicate(name string, start int) filterNode {
	switch name {
	case "tag", "source", "title", "text", "lang":
	default:
		l.fail(start, filterExpectPredicate, l.src[start:l.bareEnd(start)])
	}
	off := l.pos
	var v string
	switch {
	case off < len(l.src) && l.src[off] == '"':
		v = l.quoted()
	default:
		l.pos = l.bareEnd(off)
		v = l.src[off:l.pos]
		if v == "" {
			l.fail(off, "a value right after "+strconv.Quote(name+":"), l.foundAt(off))
		}
	}
	raw := l.src[off:l.pos]
	switch name {
	case "tag":
		slug := Slug(v) // as tags are made, so that tag:"R&D" finds them
		if slug == "" {
			l.fail(off, "a tag name with letters or digits", raw)
		}
		return &filterTag{slug: slug}
	case "source":
		v = strings.TrimSpace(v)
		if v == "" {
			l.fail(off, "an outlet's name", raw)
		}
		return &filterSource{name: v}
	case "title", "text":
		v = strings.TrimSpace(v)
		words := filterWords(v)
		if words == "" {
			l.fail(off, "a phrase with letters or digits", raw)
		}
		return &filterPhrase{inText: name == "text", raw: v, words: words}
	default: // lang
		p := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(v)), "_", "-")
		if !filterValidLang(p) {
			l.fail(off, "a language tag like en or en-GB", raw)
		}
		return &filterLang{prefix: p}
	}
}

// filterValidLang reports whether p, lower-cased, looks like a BCP 47 tag
// or prefix: letters, then hyphenated subtags of 1 to 8 letters or digits.
func filterValidLang(p string) bool {
	for i, sub := range strings.Split(p, "-") {
		if len(sub) < 1 || len(sub) > 8 {
			return false
		}
		for j := 0; j < len(sub); j++ {
			ch := sub[j]
			if (ch < 'a' || ch > 'z') && (i == 0 || ch < '0' || ch > '9') {
				return false
			}
		}
	}
	return true
}

// comparison reads the operator and operand of an age or sources predicate;
// l.pos is just after the name.
func (l *filterLexer) comparison(name string) filterNode {
	l.skipSpace()
	opOff := l.pos
	var op filterOp
	rest := l.src[opOff:]
	switch {
	case strings.HasPrefix(rest, "<="):
		op, l.pos = filterLE, l.pos+2
	case strings.HasPrefix(rest, ">="):
		op, l.pos = filterGE, l.pos+2
	case strings.HasPrefix(rest, "<"):
		op, l.pos = filterLT, l.pos+1
	case strings.HasPrefix(rest, ">"):
		op, l.pos = filterGT, l.pos+1
	case strings.HasPrefix(rest, "=") && name == "sources":
		op, l.pos = filterEQ, l.pos+1
	default:
		expected := `<, <=, > or >= after "age"`
		if name == "sources" {
			expected = `<, <=, >, >= or = after "sources"`
		}
		l.fail(opOff, expected, l.foundAt(opOff))
	}
	l.skipSpace()
	off := l.pos
	l.pos = l.bareEnd(off)
	v := l.src[off:l.pos]
	if name == "age" {
		d, ok := filterParseDuration(v)
		if !ok {
			l.fail(off, "a duration like 90m, 48h, 2d or 1w", l.foundAt(off))
		}
		return &filterAge{op: op, d: d}
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1_000_000 || strings.TrimLeft(v, "0123456789") != "" {
		l.fail(off, "a number of outlets like 3", l.foundAt(off))
	}
	return &filterCount{op: op, n: n}
}

// regex reads a /regex/ whose opening slash is at l.pos.
func (l *filterLexer) regex() filterNode {
	start := l.pos
	var b strings.Builder
	end := -1
	for i := start + 1; i < len(l.src); i++ {
		ch := l.src[i]
		if ch == '/' {
			end = i
			break
		}
		if ch == '\\' && i+1 < len(l.src) {
			i++
			if l.src[i] != '/' {
				b.WriteByte('\\')
			}
			ch = l.src[i]
		}
		b.WriteByte(ch)
	}
	if end < 0 {
		l.fail(start, "a closing / for this regular expression", l.src[start:])
	}
	l.pos = end + 1
	src := b.String()
	if src == "" {
		l.fail(start, "a regular expression between the slashes", "//")
	}
	expr := src
	if !filterSetsFlags(src) {
		expr = "(?i)" + src
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
		l.fail(start, "a regular expression in Go's syntax ("+msg+")", l.src[start:l.pos])
	}
	return &filterRegex{src: src, re: re}
}

// filterSetsFlags reports whether a regular expression starts by setting
// flags, (?i), (?-i), (?s:...), in which case it is not made case-insensitive.
func filterSetsFlags(src string) bool {
	if !strings.HasPrefix(src, "(?") {
		return false
	}
	i := 2
	for i < len(src) && strings.IndexByte("imsU-", src[i]) >= 0 {
		i++
	}
	return i > 2 && i < len(src) && (src[i] == ')' || src[i] == ':')
}

// ---- parser ----

// filterMaxDepth bounds nested parentheses and NOTs.
const filterMaxDepth = 100

type filterParser struct {
	lex   filterLexer
	tok   filterToken
	depth int
}

func (p *filterParser) advance() { p.tok = p.lex.next() }

func (p *filterParser) fail(t filterToken, expected string) {
	p.lex.fail(t.off, expected, t.text)
}

func (p *filterParser) parseOr() filterNode {
	var kids []filterNode
	for {
		k := p.parseAnd()
		if or, ok := k.(*filterOr); ok {
			kids = append(kids, or.kids...)
		} else {
			kids = append(kids, k)
		}
		if p.tok.kind != filterOrKw {
			break
		}
		p.advance()
	}
	if len(kids) == 1 {
		return kids[0]
	}
	return &filterOr{kids: kids}
}

func (p *filterParser) parseAnd() filterNode {
	var kids []filterNode
	for {
		k := p.parseUnary()
		if and, ok := k.(*filterAnd); ok {
			kids = append(kids, and.kids...)
		} else {
			kids = append(kids, k)
		}
		if p.tok.kind != filterAndKw {
			break
		}
		p.advance()
	}
	if len(kids) == 1 {
		return kids[0]
	}
	return &filterAnd{kids: kids}
}

func (p *filterParser) parseUnary() filterNode {
	switch p.tok.kind {
	case filterNotKw, filterLParen:
		if p.depth >= filterMaxDepth {
			p.fail(p.tok, fmt.Sprintf("at most %d nested parentheses and NOTs", filterMaxDepth))
		}
		p.depth++
		defer func() { p.depth-- }()
	}
	switch p.tok.kind {
	case filterNotKw:
		p.advance()
		return &filterNot{kid: p.parseUnary()}
	case filterLParen:
		p.advance()
		n := p.parseOr()
		if p.tok.kind != filterRParen {
			p.fail(p.tok, "AND, OR or )")
		}
		p.advance()
		return n
	case filterPred:
		n := p.tok.node
		p.advance()
		return n
	}
	p.fail(p.tok, filterExpectPredicate)
	return nil
}
