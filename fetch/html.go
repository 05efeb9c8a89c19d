package fetch

import (
	"html"
	"net/url"
	"strings"
	"sync"

	"github.com/microcosm-cc/bluemonday"
	xhtml "golang.org/x/net/html"
)

// ugcPolicy is the one sanitising policy, built on first use. A bluemonday
// Policy is safe for concurrent use once built, and building one is costly
// (it compiles regular expressions), so it is shared rather than rebuilt per
// item. UGCPolicy drops <script>, <style>, <iframe>, <object>, on*
// attributes, and URLs whose scheme is not http, https or mailto.
var ugcPolicy = sync.OnceValue(bluemonday.UGCPolicy)

// sanitizeHTML makes an HTML fragment safe to publish, after resolving its
// relative links against base (which may be nil). Text without markup is
// escaped so that the result is valid HTML ("a & b" → "a &amp; b").
func sanitizeHTML(s string, base *url.URL) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if base != nil && strings.IndexByte(s, '<') >= 0 {
		s = absolutizeHTML(s, base)
	}
	return strings.TrimSpace(ugcPolicy().Sanitize(s))
}

// isURLAttr reports whether an attribute's value is a URL that the
// sanitising policy may keep.
func isURLAttr(key string) bool {
	switch key {
	case "href", "src", "cite", "poster":
		return true
	}
	return false
}

// absolutizeHTML rewrites relative URLs in href, src, cite and poster
// attributes to absolute ones. Tags are re-serialised by x/net/html (which
// re-escapes attribute values); everything else is copied byte for byte.
// The sanitiser runs afterwards, so it sees, and vets, the final URLs.
func absolutizeHTML(s string, base *url.URL) string {
	z := xhtml.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			// io.EOF: a strings.Reader has no other error.
			return b.String()
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			// Token, not Raw: reading the attributes unescapes them in
			// place, which spoils Raw.
			t := z.Token()
			for i, a := range t.Attr {
				if a.Namespace == "" && isURLAttr(a.Key) {
					t.Attr[i].Val = resolveURL(base, a.Val)
				}
			}
			b.WriteString(t.String())
		default:
			b.Write(z.Raw())
		}
	}
}

// plainText turns a possibly marked-up string into plain text: tags are
// stripped (and <script>/<style> contents dropped), HTML entities are
// decoded exactly once, runs of white space become one space, and the ends
// are trimmed.
func plainText(s string) string {
	if strings.IndexByte(s, '<') < 0 || strings.IndexByte(s, '>') < 0 {
		// No tag possible: an HTML tokenizer would swallow a stray "<b" at
		// the end, so only decode entities.
		return collapseSpace(html.UnescapeString(s))
	}
	z := xhtml.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	b.Grow(len(s))
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			return collapseSpace(b.String())
		case xhtml.TextToken:
			if skip == 0 {
				b.Write(z.Text()) // Text unescapes once
			}
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				if tt == xhtml.StartTagToken {
					skip++
				}
			case "br", "p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote":
				b.WriteByte(' ')
			}
		case xhtml.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				if skip > 0 {
					skip--
				}
			case "p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote":
				b.WriteByte(' ')
			}
		}
	}
}

// collapseSpace replaces runs of white space (including no-break spaces)
// with one space and trims both ends.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
