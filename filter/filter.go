// Package filter is the output filter language: outputs[].filter in the
// config, e.g.
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
//
// The lexer reads predicates whole (lexer.go), the parser builds the syntax
// tree (parser.go, node.go), Match evaluates it (eval.go) and String prints
// it back in canonical form (print.go).
package filter

import (
	"fmt"
	"strconv"
	"strings"
	"time"
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
	root node // nil: every story
}

// SyntaxError is a syntax error in a filter expression.
type SyntaxError struct {
	Column   int    // 1-based, in runes
	Expected string // what the parser expected, e.g. `AND, OR or )`
	Found    string // the text found there; "" at the end of the input
}

func (e *SyntaxError) Error() string {
	found := "end of input"
	if e.Found != "" {
		found = strconv.Quote(e.Found)
	}
	return fmt.Sprintf("column %d: expected %s, found %s", e.Column, e.Expected, found)
}

// Parse parses a filter expression. An empty or blank expression gives a
// filter matching every story. Syntax errors are *SyntaxError.
func Parse(s string) (f *Filter, err error) {
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*SyntaxError)
			if !ok {
				panic(r)
			}
			f, err = nil, se
		}
	}()
	p := &parser{lex: lexer{src: s}}
	p.advance()
	if p.tok.kind == tokEOF {
		return &Filter{}, nil
	}
	root := p.parseOr()
	if p.tok.kind != tokEOF {
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
	m := matcher{s: s, now: now}
	return m.eval(f.root)
}

// String returns the filter in canonical form: keywords in capitals, tags as
// slugs, parentheses only where needed. Parse(f.String()) gives an
// equivalent filter. The filter matching everything is "".
func (f *Filter) String() string {
	if f == nil || f.root == nil {
		return ""
	}
	var b strings.Builder
	write(&b, f.root, 0)
	return b.String()
}
