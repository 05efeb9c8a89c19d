package fetch

import (
	"bytes"
	"errors"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"

	"aggregator/internal/text"
)

// xmlEncoding finds the encoding an XML declaration names; submatch 1 is
// the name.
var xmlEncoding = regexp.MustCompile(`^<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)

// Byte-order marks, and the start of an XML declaration in UTF-16 without
// one (XML 1.0 appendix F).
var (
	bomUTF8     = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16BE  = []byte{0xFE, 0xFF}
	bomUTF16LE  = []byte{0xFF, 0xFE}
	declUTF16BE = []byte{0x00, '<', 0x00, '?'}
	declUTF16LE = []byte{'<', 0x00, '?', 0x00}
)

var (
	utf16BE = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	utf16LE = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
)

// toUTF8 returns doc in UTF-8 without a byte-order mark, the one form the
// parsers are given. contentType is the HTTP Content-Type, "" if none. The
// encoding is found as RFC 7303 section 3 says:
//
//  1. a byte-order mark (UTF-8, UTF-16BE, UTF-16LE);
//  2. the charset parameter of contentType, if it is an XML media type
//     (application/xml, text/xml, any +xml) and the charset is one known;
//  3. the encoding the XML declaration names;
//  4. UTF-8.
//
// Servers often label every response with one default charset, so a header
// that the bytes contradict gives way to the document's own encoding: one
// that says UTF-8 over bytes that are not UTF-8, when the declaration names
// another encoding; and one that names another encoding over bytes that
// are valid UTF-8 and not all ASCII, when the declaration says UTF-8 or
// nothing (UTF-8 being the default then).
//
// A declaration that names an encoding is rewritten to name UTF-8, so that
// the XML decoder does not decode the text twice. Invalid UTF-8 left in a
// document read as UTF-8 is replaced by U+FFFD: encoding/xml refuses a
// whole document over one bad byte, and a feed that says it is UTF-8 but
// slips in windows-1252 quotes is common. An encoding declared but unknown
// is read as UTF-8.
func toUTF8(doc []byte, contentType string) []byte {
	var enc encoding.Encoding // nil: UTF-8
	switch {
	case bytes.HasPrefix(doc, bomUTF8):
		doc = doc[len(bomUTF8):]
	case bytes.HasPrefix(doc, bomUTF16BE):
		doc, enc = doc[len(bomUTF16BE):], utf16BE
	case bytes.HasPrefix(doc, bomUTF16LE):
		doc, enc = doc[len(bomUTF16LE):], utf16LE
	case bytes.HasPrefix(doc, declUTF16BE):
		enc = utf16BE
	case bytes.HasPrefix(doc, declUTF16LE):
		enc = utf16LE
	default:
		enc = asciiCompatibleEncoding(doc, contentType)
	}
	if enc != nil {
		// The decoders of x/text replace what they cannot decode with
		// U+FFFD; they do not fail on bad input.
		if out, err := enc.NewDecoder().Bytes(doc); err == nil {
			doc = out
		}
	}
	if !utf8.Valid(doc) {
		doc = bytes.ToValidUTF8(doc, []byte("\uFFFD"))
	}
	return declareUTF8(doc)
}

// asciiCompatibleEncoding is the encoding of doc, which has no byte-order
// mark, from contentType and its XML declaration (see toUTF8); nil for
// UTF-8.
func asciiCompatibleEncoding(doc []byte, contentType string) encoding.Encoding {
	declared, declName := asciiCompatible(lookupCharset(declaredEncoding(doc)))
	header, headerName := asciiCompatible(lookupCharset(xmlCharset(contentType)))
	switch {
	case header == nil:
		// No usable charset in the header: the declaration, else UTF-8.
	case headerName == "utf-8":
		if declared != nil && declName != "utf-8" && !utf8.Valid(doc) {
			return declared
		}
		return nil
	default:
		if (declared == nil || declName == "utf-8") && !text.IsASCII(doc) && utf8.Valid(doc) {
			return nil
		}
		return header
	}
	if declName == "utf-8" {
		return nil
	}
	return declared
}

// asciiCompatible drops a UTF-16 label: a document without a byte-order
// mark whose first bytes read "<?xml" in one byte each is not UTF-16,
// whatever the header or the declaration say (WHATWG reads such a label
// as UTF-8, too).
func asciiCompatible(enc encoding.Encoding, name string) (encoding.Encoding, string) {
	if strings.HasPrefix(name, "utf-16") {
		return nil, ""
	}
	return enc, name
}

// lookupCharset is the encoding a charset label names, and its canonical
// (WHATWG) name: nil and "" for an empty or unknown label.
func lookupCharset(label string) (encoding.Encoding, string) {
	if label == "" {
		return nil, ""
	}
	enc, name := charset.Lookup(label)
	if enc == nil {
		return nil, ""
	}
	return enc, name
}

// declaredEncoding is the encoding named by the XML declaration that doc
// starts with (after white space), "" if none.
func declaredEncoding(doc []byte) string {
	if loc := declarationEncoding(doc); loc != nil {
		return string(doc[loc[0]:loc[1]])
	}
	return ""
}

// declarationEncoding is where in doc the encoding named by its XML
// declaration is, as a [start, end) pair; nil if there is none.
func declarationEncoding(doc []byte) []int {
	head := bytes.TrimLeft(doc, " \t\r\n")
	skipped := len(doc) - len(head)
	if len(head) > 1024 {
		head = head[:1024]
	}
	m := xmlEncoding.FindSubmatchIndex(head)
	if m == nil {
		return nil
	}
	return []int{skipped + m[2], skipped + m[3]}
}

// declareUTF8 makes the XML declaration of doc, if it names an encoding
// other than UTF-8, name UTF-8. doc is then copied.
func declareUTF8(doc []byte) []byte {
	loc := declarationEncoding(doc)
	if loc == nil || strings.EqualFold(string(doc[loc[0]:loc[1]]), "utf-8") {
		return doc
	}
	out := make([]byte, 0, len(doc)-(loc[1]-loc[0])+len("UTF-8"))
	out = append(out, doc[:loc[0]]...)
	out = append(out, "UTF-8"...)
	return append(out, doc[loc[1]:]...)
}

// xmlCharset is the charset parameter of contentType if it is an XML media
// type (RFC 7303: application/xml, text/xml and any +xml type), else "".
func xmlCharset(contentType string) string {
	if contentType == "" {
		return ""
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
		return ""
	}
	if mt != "application/xml" && mt != "text/xml" && !strings.HasSuffix(mt, "+xml") {
		return ""
	}
	return strings.TrimSpace(params["charset"])
}
