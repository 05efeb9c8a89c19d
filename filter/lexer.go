package filter

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"aggregator/tag"
)

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokLParen
	tokRParen
	tokAnd
	tokOr
	tokNot
	tokPred  // a predicate; tok.node holds it
	tokOther // anything else: a syntax error where it stands
)

type token struct {
	kind tokKind
	off  int    // byte offset in the source
	text string // as written; "" at the end
	node node
}

// lexer reads tokens, and reads each predicate whole, value and all.
type lexer struct {
	src string
	pos int
}

const expectPredicate = `a predicate (tag:, source:, title:, text:, /regex/, lang:, age, sources) or "("`

// fail reports a syntax error at byte offset off.
func (l *lexer) fail(off int, expected, found string) {
	panic(&SyntaxError{
		Column:   utf8.RuneCountInString(l.src[:off]) + 1,
		Expected: expected,
		Found:    found,
	})
}

func isSpace(r rune) bool { return unicode.IsSpace(r) }

// bareEnd returns the end of the bare run starting at off.
func (l *lexer) bareEnd(off int) int {
	for off < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[off:])
		if isSpace(r) || r == '(' || r == ')' || r == '"' {
			break
		}
		off += size
	}
	return off
}

// foundAt returns the text at off to quote in an error message.
func (l *lexer) foundAt(off int) string {
	if off >= len(l.src) {
		return ""
	}
	if end := l.bareEnd(off); end > off {
		return l.src[off:end]
	}
	_, size := utf8.DecodeRuneInString(l.src[off:])
	return l.src[off : off+size]
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.pos:])
		if !isSpace(r) {
			return
		}
		l.pos += size
	}
}

// quoted reads a quoted string whose opening quote is at l.pos, and returns
// it unescaped.
func (l *lexer) quoted() string {
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

func (l *lexer) next() token {
	l.skipSpace()
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tokEOF, off: start}
	}
	tok := func(kind tokKind, n node) token {
		return token{kind: kind, off: start, text: l.src[start:l.pos], node: n}
	}
	switch l.src[start] {
	case '(':
		l.pos++
		return tok(tokLParen, nil)
	case ')':
		l.pos++
		return tok(tokRParen, nil)
	case '/':
		return tok(tokPred, l.regex())
	case '"':
		l.quoted()
		return tok(tokOther, nil)
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
		return tok(tokPred, l.comparison(name))
	}
	if nameEnd > start && nameEnd < len(l.src) && l.src[nameEnd] == ':' {
		l.pos = nameEnd + 1
		return tok(tokPred, l.valuePredicate(name, start))
	}
	l.pos = l.bareEnd(start)
	switch strings.ToLower(l.src[start:l.pos]) {
	case "and":
		return tok(tokAnd, nil)
	case "or":
		return tok(tokOr, nil)
	case "not":
		return tok(tokNot, nil)
	}
	return tok(tokOther, nil)
}

// valuePredicate reads the value of the predicate name, which starts at
// start and whose colon is just before l.pos.
func (l *lexer) valuePredicate(name string, start int) node {
	switch name {
	case "tag", "source", "title", "text", "lang":
	default:
		l.fail(start, expectPredicate, l.src[start:l.bareEnd(start)])
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
		slug := tag.Slug(v) // as tags are made, so that tag:"R&D" finds them
		if slug == "" {
			l.fail(off, "a tag name with letters or digits", raw)
		}
		return &tagNode{slug: slug}
	case "source":
		v = strings.TrimSpace(v)
		if v == "" {
			l.fail(off, "an outlet's name", raw)
		}
		return &sourceNode{name: v}
	case "title", "text":
		v = strings.TrimSpace(v)
		w := words(v)
		if w == "" {
			l.fail(off, "a phrase with letters or digits", raw)
		}
		return &phraseNode{inText: name == "text", raw: v, words: w}
	default: // lang
		p := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(v)), "_", "-")
		if !validLang(p) {
			l.fail(off, "a language tag like en or en-GB", raw)
		}
		return &langNode{prefix: p}
	}
}

// validLang reports whether p, lower-cased, looks like a BCP 47 tag or
// prefix: letters, then hyphenated subtags of 1 to 8 letters or digits.
func validLang(p string) bool {
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
func (l *lexer) comparison(name string) node {
	l.skipSpace()
	opOff := l.pos
	var o op
	rest := l.src[opOff:]
	switch {
	case strings.HasPrefix(rest, "<="):
		o, l.pos = opLE, l.pos+2
	case strings.HasPrefix(rest, ">="):
		o, l.pos = opGE, l.pos+2
	case strings.HasPrefix(rest, "<"):
		o, l.pos = opLT, l.pos+1
	case strings.HasPrefix(rest, ">"):
		o, l.pos = opGT, l.pos+1
	case strings.HasPrefix(rest, "=") && name == "sources":
		o, l.pos = opEQ, l.pos+1
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
		d, ok := parseDuration(v)
		if !ok {
			l.fail(off, "a duration like 90m, 48h, 2d or 1w", l.foundAt(off))
		}
		return &ageNode{op: o, d: d}
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1_000_000 || strings.TrimLeft(v, "0123456789") != "" {
		l.fail(off, "a number of outlets like 3", l.foundAt(off))
	}
	return &countNode{op: o, n: n}
}

// regex reads a /regex/ whose opening slash is at l.pos.
func (l *lexer) regex() node {
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
	if !setsFlags(src) {
		expr = "(?i)" + src
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
		l.fail(start, "a regular expression in Go's syntax ("+msg+")", l.src[start:l.pos])
	}
	return &regexNode{src: src, re: re}
}

// setsFlags reports whether a regular expression starts by setting flags,
// (?i), (?-i), (?s:...), in which case it is not made case-insensitive.
func setsFlags(src string) bool {
	if !strings.HasPrefix(src, "(?") {
		return false
	}
	i := 2
	for i < len(src) && strings.IndexByte("imsU-", src[i]) >= 0 {
		i++
	}
	return i > 2 && i < len(src) && (src[i] == ')' || src[i] == ':')
}
