package text

import (
	"strings"

	"golang.org/x/net/html"
)

// fromHTMLFast is fromHTMLTokenizer for the common fragment, several times
// faster: it finds the tags as html.Tokenizer does (the scanning below
// follows Next, readTag, readTagName, readTagAttrKey, readTagAttrVal and
// readUntilCloseAngle in golang.org/x/net/html's token.go, v0.62.0) but
// builds no tokens and keeps no attributes. It gives up (ok false) where the
// tokenizer's states are not followed: "<!" (comments, doctypes, CDATA) and
// start tags after which the tokenizer reads raw text (script, style,
// textarea, title, iframe, noembed, noframes, noscript, plaintext, xmp) or
// whose content o drops.
func fromHTMLFast(s string, o *Options) (out string, ok bool) {
	var b strings.Builder
	b.Grow(len(s))
	text := 0 // start of the text not yet written: the end of the last tag
	for i := 0; ; {
		k := strings.IndexByte(s[i:], '<')
		if k < 0 || i+k+1 >= len(s) {
			break // no more tags; a '<' at the very end is text
		}
		lt := i + k
		c := s[lt+1]
		switch {
		case isASCIILetter(c) || c == '/' || c == '?':
		case c == '!':
			return "", false
		default:
			// Not a tag: '<' is text.
			i = lt + 1
			continue
		}
		// A tag, a comment or "</" at the very end: the text before it is
		// one text token.
		writeText(&b, s[text:lt])
		switch {
		case c == '?':
			// A bogus comment, up to the next '>'.
			text = closeAngle(s, lt+2)
			o.comment(&b)
		case c == '/' && lt+2 >= len(s):
			// "</" at the end is text.
			b.WriteString(s[lt:])
			return b.String(), true
		case c == '/' && s[lt+2] == '>':
			// "</>" is an empty comment.
			text = lt + 3
			o.comment(&b)
		case c == '/' && !isASCIILetter(s[lt+2]):
			// A bogus comment, up to the next '>'.
			text = closeAngle(s, lt+2)
			o.comment(&b)
		default:
			end := c == '/'
			nameStart := lt + 1
			if end {
				nameStart++
			}
			nameEnd, next := scanTag(s, nameStart+1)
			if next < 0 {
				// The tag runs into the end of the input: the tokenizer
				// stops with an error.
				return b.String(), true
			}
			name := lowerASCII(s[nameStart:nameEnd])
			if !end && (rawText(name) || o.Drop != nil && o.Drop(name)) {
				return "", false
			}
			// An end tag of a dropped element ends nothing, as the start
			// tags give up: it only separates text, if it does.
			if o.Break == nil || o.Break(name, end) {
				b.WriteString(o.Sep)
			}
			text = next
		}
		if text > len(s) {
			// A comment runs into the end of the input.
			return b.String(), true
		}
		i = text
	}
	writeText(&b, s[text:])
	return b.String(), true
}

// comment writes what a comment gives: Sep, if comments separate text.
func (o *Options) comment(b *strings.Builder) {
	if o.Comments {
		b.WriteString(o.Sep)
	}
}

// rawText reports the elements after whose start tag html.Tokenizer reads
// raw text up to their end tag.
func rawText(name string) bool {
	switch name {
	case "script", "style", "textarea", "title", "iframe", "noembed", "noframes", "noscript", "plaintext", "xmp":
		return true
	}
	return false
}

// writeText writes the text of a text token as html.Tokenizer.Text
// returns it: "\r\n" and "\r" become "\n", then entities are decoded.
func writeText(b *strings.Builder, t string) {
	if strings.IndexByte(t, '\r') >= 0 {
		t = strings.ReplaceAll(t, "\r\n", "\n")
		t = strings.ReplaceAll(t, "\r", "\n")
	}
	if strings.IndexByte(t, '&') >= 0 {
		t = html.UnescapeString(t)
	}
	b.WriteString(t)
}

// closeAngle returns the position after the first '>' at or after s[i:], or
// len(s)+1 if there is none.
func closeAngle(s string, i int) int {
	if k := strings.IndexByte(s[i:], '>'); k >= 0 {
		return i + k + 1
	}
	return len(s) + 1
}

// isHTMLSpace reports the bytes html.Tokenizer skips as white space in tags.
func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f'
}

// scanTag scans a start or end tag whose name starts at s[p-1]: the name
// and the attributes, up to and including the closing '>'. It returns the
// end of the name and the position after the '>', or next < 0 if the tag is
// not closed before the end of the input.
func scanTag(s string, p int) (nameEnd, next int) {
	// readTagName: up to white space, '/' or '>'.
	nameEnd = p
	for nameEnd < len(s) && !isHTMLSpace(s[nameEnd]) && s[nameEnd] != '/' && s[nameEnd] != '>' {
		nameEnd++
	}
	if nameEnd == len(s) {
		return 0, -1
	}
	p = nameEnd
	if isHTMLSpace(s[p]) {
		p++
	}
	// readTag: attributes until '>'.
	if p = skipHTMLSpace(s, p); p == len(s) {
		return 0, -1
	}
	for {
		if p == len(s) {
			return 0, -1
		}
		if s[p] == '>' {
			return nameEnd, p + 1
		}
		// readTagAttrKey: up to white space, '/', '>' or a '=' that is not
		// the key's first byte.
		for k := p; ; p++ {
			if p == len(s) {
				return 0, -1
			}
			if c := s[p]; isHTMLSpace(c) || c == '/' || c == '>' || c == '=' && p > k {
				break
			}
		}
		// readTagAttrVal.
		if p = skipHTMLSpace(s, p); p == len(s) {
			return 0, -1
		}
		switch c := s[p]; {
		case c == '/':
			p++
		case c != '=':
		default:
			if p = skipHTMLSpace(s, p+1); p == len(s) {
				return 0, -1
			}
			switch q := s[p]; q {
			case '>':
			case '\'', '"':
				k := strings.IndexByte(s[p+1:], q)
				if k < 0 {
					return 0, -1
				}
				p += 1 + k + 1
			default:
				for p++; ; p++ {
					if p == len(s) {
						return 0, -1
					}
					if c := s[p]; isHTMLSpace(c) {
						p++
						break
					} else if c == '>' {
						break
					}
				}
			}
		}
		if p = skipHTMLSpace(s, p); p == len(s) {
			return 0, -1
		}
	}
}

// skipHTMLSpace returns the position of the first byte at or after s[p:]
// that is not white space, or len(s).
func skipHTMLSpace(s string, p int) int {
	for p < len(s) && isHTMLSpace(s[p]) {
		p++
	}
	return p
}

// lowerASCII lower-cases the ASCII letters of s, as html.Tokenizer does tag
// names.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
