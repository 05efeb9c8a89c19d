package text

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Options are the rules in which the readers of HTML differ: which markup
// separates the words around it and with what, whose content is dropped,
// and what becomes of white space.
type Options struct {
	// Sep is written wherever markup separates text: at each tag Break
	// reports and, with Comments, at each comment.
	Sep string
	// Break reports whether a tag separates the text around it ("<p>",
	// "<br>") or not ("<b>"). end is true for an end tag, false for a start
	// tag or a self-closing one. nil: every tag does.
	Break func(name string, end bool) bool
	// Comments makes comments, doctypes and processing instructions
	// separate text as tags do.
	Comments bool
	// Drop reports the elements whose content is dropped ("<script>"); their
	// tags still separate text as Break says. nil: none.
	Drop func(name string) bool
	// Collapse turns every run of white space into one space and trims
	// the ends.
	Collapse bool
}

// FromHTML returns the text of the HTML fragment s under the rules o: tags
// removed, entities decoded once, the content of dropped elements left out
// and o.Sep written where markup separates text. The text of a fragment
// with a '<' is what html.Tokenizer's tokens give ("\r\n" and "\r" made
// "\n"), found by a faster scanner where it can; a fragment without one
// only has its entities decoded.
func FromHTML(s string, o Options) string {
	// Two IndexByte scans are several times faster than one ContainsAny.
	var t string
	switch {
	case strings.IndexByte(s, '<') >= 0:
		var ok bool
		if t, ok = fromHTMLFast(s, &o); !ok {
			t = fromHTMLTokenizer(s, &o)
		}
	case strings.IndexByte(s, '&') >= 0:
		t = html.UnescapeString(s)
	default:
		t = s
	}
	if o.Collapse {
		t = strings.Join(strings.Fields(t), " ")
	}
	return t
}

// fromHTMLTokenizer is FromHTML by html.Tokenizer, for a fragment with a
// '<'. It is the definition of FromHTML's output; fromHTMLFast gives the
// same output faster where it can.
func fromHTMLTokenizer(s string, o *Options) string {
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
		case html.CommentToken, html.DoctypeToken:
			if o.Comments {
				b.WriteString(o.Sep)
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			n := atom.String(name)
			end := tt == html.EndTagToken
			if o.Drop != nil && o.Drop(n) {
				switch {
				case end && skip > 0:
					skip--
				case tt == html.StartTagToken:
					skip++
				}
			}
			if o.Break == nil || o.Break(n, end) {
				b.WriteString(o.Sep)
			}
		}
	}
}

// Inline reports the elements that do not break words or sentences: a, b,
// em, span, wbr and the other phrasing elements of text.
func Inline(name string) bool {
	switch name {
	case "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font", "i", "kbd", "mark", "q", "s",
		"samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr":
		return true
	}
	return false
}

// ScriptOrStyle reports script and style, the elements whose content is
// code rather than text.
func ScriptOrStyle(name string) bool {
	return name == "script" || name == "style"
}
