package fetch

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"
)

// MaxDepth is how deeply the elements of an XML feed document may nest.
// Real feeds nest fewer than 20 deep, unescaped HTML in them included.
// Without a limit, a 9.9 MB document of 900,000 nested elements costs
// gofeed some 280 MB and over a second, and sanitising the item as much
// again.
const MaxDepth = 512

// ErrTooDeep is returned (wrapped) for an XML document whose elements nest
// deeper than MaxDepth. It is refused before it is parsed.
var ErrTooDeep = errors.New("feed document nests elements too deeply")

// checkDepth reports, as an error wrapping ErrTooDeep, whether the elements
// of the XML document doc nest deeper than limit (the root element is at
// depth 1); JSON documents pass. It is a byte scan, far cheaper than the
// parse. It skips comments, CDATA sections, processing instructions, the
// DOCTYPE and quoted attribute values, and it closes elements as
// encoding/xml does when not strict, as gofeed uses it: an end tag closes
// the innermost open element of its name and every element left unclosed
// inside it (an unescaped HTML <br>, say). At an end tag that matches no
// open element encoding/xml closes them all and stops with an error, so
// the scan stops there too, and a malformed document is left for the
// parser to refuse.
func checkDepth(doc []byte, limit int) error {
	if isJSON(doc) {
		return nil
	}
	var open [][]byte // names of the open elements, innermost last
	for i := 0; ; {
		j := bytes.IndexByte(doc[i:], '<')
		if j < 0 || i+j+1 >= len(doc) {
			return nil
		}
		tag := i + j // the '<'
		i = tag + 1
		switch c := doc[i]; {
		case c == '/':
			name, end := tagName(doc, i+1)
			k := len(open) - 1
			for k >= 0 && !bytes.Equal(open[k], name) {
				k--
			}
			if k < 0 {
				return nil // the parser stops here
			}
			open = open[:k]
			i = skipPastByte(doc, end, '>')
		case c == '?':
			i = skipPast(doc, i+1, "?>")
		case bytes.HasPrefix(doc[i:], []byte("!--")):
			i = skipPast(doc, i+3, "-->")
		case bytes.HasPrefix(doc[i:], []byte("![CDATA[")):
			i = skipPast(doc, i+8, "]]>")
		case c == '!':
			i = skipDirective(doc, i+2)
		case isNameStart(c):
			if len(open) == limit {
				return fmt.Errorf("%w: the element at byte %d is nested %d deep, over the limit of %d",
					ErrTooDeep, tag, limit+1, limit)
			}
			name, end := tagName(doc, i)
			var empty bool
			if i, empty = skipTag(doc, end); !empty {
				open = append(open, name)
			}
		}
		// Anything else is not markup: encoding/xml refuses it.
	}
}

// isJSON reports whether gofeed takes doc for JSON: its first byte is '{'
// once white space and the bytes of byte-order marks are skipped.
func isJSON(doc []byte) bool {
	for _, c := range doc {
		switch c {
		case ' ', '\t', '\r', '\n', 0x00, 0xEF, 0xBB, 0xBF, 0xFE, 0xFF:
			continue
		}
		return c == '{'
	}
	return false
}

// isNameStart reports whether c may start an XML name (any non-ASCII byte
// is let through).
func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || c >= utf8.RuneSelf
}

// tagName is the name that starts at doc[i], and where it ends.
func tagName(doc []byte, i int) ([]byte, int) {
	j := i
	for j < len(doc) {
		switch doc[j] {
		case ' ', '\t', '\r', '\n', '/', '>':
			return doc[i:j], j
		}
		j++
	}
	return doc[i:j], j
}

// skipTag skips the attributes of a start tag from doc[i] and returns
// the index after its '>' (len(doc) if none), and whether it is an
// empty-element tag (<x/>).
func skipTag(doc []byte, i int) (next int, empty bool) {
	slash := false // the last byte outside a quoted value was '/'
	for i < len(doc) {
		switch c := doc[i]; c {
		case '>':
			return i + 1, slash
		case '"', '\'':
			i = skipPastByte(doc, i+1, c)
			slash = false
			continue
		case '/':
			slash = true
		case ' ', '\t', '\r', '\n':
		default:
			slash = false
		}
		i++
	}
	return len(doc), false
}

// skipDirective skips a directive (<!DOCTYPE …>) from doc[i], past its
// "<!" and the byte after, as encoding/xml reads one: to the '>' that
// balances its '<'s, outside quotes and comments. It returns the index
// after that '>'.
func skipDirective(doc []byte, i int) int {
	depth := 0
	for i < len(doc) {
		switch c := doc[i]; c {
		case '"', '\'':
			i = skipPastByte(doc, i+1, c)
			continue
		case '<':
			if bytes.HasPrefix(doc[i:], []byte("<!--")) {
				i = skipPast(doc, i+4, "-->")
				continue
			}
			depth++
		case '>':
			if depth == 0 {
				return i + 1
			}
			depth--
		}
		i++
	}
	return len(doc)
}

// skipPast returns the index after the first end in doc from i, or
// len(doc) if there is none.
func skipPast(doc []byte, i int, end string) int {
	if i >= len(doc) {
		return len(doc)
	}
	j := bytes.Index(doc[i:], []byte(end))
	if j < 0 {
		return len(doc)
	}
	return i + j + len(end)
}

// skipPastByte returns the index after the first c in doc from i, or
// len(doc) if there is none.
func skipPastByte(doc []byte, i int, c byte) int {
	if i >= len(doc) {
		return len(doc)
	}
	j := bytes.IndexByte(doc[i:], c)
	if j < 0 {
		return len(doc)
	}
	return i + j + 1
}
