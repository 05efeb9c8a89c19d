package fetch

import (
	"html"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	xhtml "golang.org/x/net/html"

	"aggregator/internal/text"
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
	if base != nil && strings.IndexByte(s, '<') >= 0 && mayResolve(s, base) {
		s = absolutizeHTML(s, base)
	}
	return strings.TrimSpace(ugcPolicy().Sanitize(s))
}

// SanitizeHTML makes the HTML of an article safe to publish: relative links
// resolve against base (the article's link, else its feed's; nil for none),
// and then the sanitiser drops scripts, event handlers, unsafe URLs and the
// like. It is idempotent: HTML it gave comes back as it is, so that what
// older versions stored sanitised can go through it again.
func SanitizeHTML(s string, base *url.URL) string { return sanitizeHTML(s, base) }

// ArticleBase is the URL relative links in an article's HTML resolve
// against: its link, else its feed's site, else the feed's own URL; nil when
// none is an absolute URL. Result.Sanitize resolves against the same.
func ArticleBase(link, siteURL, feedURL string) *url.URL {
	for _, s := range []string{link, siteURL, feedURL} {
		if u := parseAbsURL(s); u != nil {
			return u
		}
	}
	return nil
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

// mayResolve reports whether absolutizeHTML could change s: whether some
// href, src, cite or poster value in it is not already what resolving it
// against base gives. Most feeds link absolutely, and this byte scan costs
// a fraction of tokenising. It errs towards true: at every "=" it reads the
// attribute name back to the nearest delimiter (a superset of the
// tokeniser's) and the value forward as the tokeniser does, and any value
// holding an entity, a NUL or a carriage return, or left unterminated,
// counts as one that may change. So do a value over 2 KB and a 257th URL
// attribute, which keeps the scan linear in len(s).
func mayResolve(s string, base *url.URL) bool {
	const maxValue, maxAttrs = 2048, 256
	attrs := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			continue
		}
		// The name before "=" (and any space).
		j := i
		for j > 0 && isHTMLSpace(s[j-1]) {
			j--
		}
		k := j
		for k > 0 && !isNameStop(s[k-1]) {
			k--
		}
		if j-k > len("poster") || !isURLAttr(strings.ToLower(s[k:j])) {
			continue
		}
		if attrs++; attrs > maxAttrs {
			return true
		}
		// The value after it.
		v := i + 1
		for v < len(s) && isHTMLSpace(s[v]) {
			v++
		}
		var val string
		if v < len(s) && (s[v] == '"' || s[v] == '\'') {
			end := strings.IndexByte(s[v+1:min(len(s), v+1+maxValue+1)], s[v])
			if end < 0 {
				return true // unterminated, or too long
			}
			val = s[v+1 : v+1+end]
		} else {
			end := v
			for end < len(s) && !isHTMLSpace(s[end]) && s[end] != '>' {
				if end++; end-v > maxValue {
					return true
				}
			}
			val = s[v:end]
		}
		if strings.ContainsAny(val, "&\x00\r") || resolveURL(base, val) != val {
			return true
		}
	}
	return false
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// isNameStop: the bytes that end an attribute name read backwards.
func isNameStop(c byte) bool {
	switch c {
	case '/', '"', '\'', '<', '>', '=':
		return true
	}
	return isHTMLSpace(c)
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
// decoded exactly once, invisible characters are dropped (see invisible),
// runs of white space become one space, and the ends are trimmed.
func plainText(s string) string {
	if strings.IndexByte(s, '<') < 0 || strings.IndexByte(s, '>') < 0 {
		// No tag possible: an HTML tokenizer would swallow a stray "<b" at
		// the end, so only decode entities. The standard library's decoder
		// leaves a one-digit character reference without its ';' ("&#1")
		// as it is, which the tokenizer's does not.
		return collapseSpace(html.UnescapeString(s))
	}
	return collapseSpace(text.FromHTML(s, plainRules))
}

// plainRules are plainText's rules for markup: only the elements that
// start a line or a paragraph separate words.
var plainRules = text.Options{Sep: " ", Break: lineBreak, Drop: text.ScriptOrStyle}

// lineBreak reports the tags that start a line or a paragraph (an end tag
// of br does not).
func lineBreak(name string, end bool) bool {
	switch name {
	case "br":
		return !end
	case "p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote":
		return true
	}
	return false
}

// collapseSpace drops invisible characters, replaces runs of white space
// (including no-break spaces) with one space and trims both ends.
func collapseSpace(s string) string {
	if strings.IndexFunc(s, invisible) >= 0 {
		s = strings.Map(func(r rune) rune {
			if invisible(r) {
				return -1
			}
			return r
		}, s)
	}
	return strings.Join(strings.Fields(s), " ")
}

// invisible reports whether r is a character that a title or a name has no
// use for and that can make it read as what it is not: the bidirectional
// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which
// reorder the text after them, even beyond the title, and the zero-width
// characters (U+200B–U+200D, U+2060, U+FEFF), which hide text in plain
// sight.
func invisible(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 ||
		r >= 0x200B && r <= 0x200D || r == 0x2060 || r == 0xFEFF
}

// MaxTitle is the most characters a title or a name keeps: the title of an
// item or of a feed, an author's name. A longer one is cut (see shorten).
const MaxTitle = 1000

// shorten returns s if it has at most max characters, else its first
// max-1 characters, cut back to the end of a word if one ends among the
// last tenth of them, and an ellipsis.
func shorten(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	end := 0
	for range max - 1 {
		_, n := utf8.DecodeRuneInString(s[end:])
		end += n
	}
	if !strings.HasPrefix(s[end:], " ") {
		if sp := strings.LastIndexByte(s[:end], ' '); sp >= 0 && utf8.RuneCountInString(s[sp:end]) <= max/10 {
			end = sp
		}
	}
	return strings.TrimRight(s[:end], " ") + "…"
}

// titleText is the plain text of a title or a name, at most MaxTitle
// characters long.
func titleText(s string) string { return shorten(plainText(s), MaxTitle) }
