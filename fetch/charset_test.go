package fetch

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/text/encoding/unicode"

	"aggregator"
)

// cafe is `Café “quoted” – £5` in windows-1252.
const (
	cafe     = "Café “quoted” – £5"
	cafe1252 = "Caf\xe9 \x93quoted\x94 \x96 \xa35"
)

// serveFeed serves body as contentType (no Content-Type header when "").
func serveFeed(t *testing.T, contentType string, body []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil // no sniffing
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/feed.xml"
}

// oneItemRSS is an RSS document whose feed and only item are titled title,
// after an XML declaration decl ("" for none).
func oneItemRSS(decl, title string) string {
	return decl + `<rss version="2.0"><channel><title>` + title + `</title><link>https://site.example/</link>` +
		`<item><title>` + title + `</title><guid>g1</guid><link>https://site.example/1</link></item></channel></rss>`
}

// TestFetchCharsetFromHeader: the charset of an XML Content-Type decodes a
// document whose declaration names no encoding (RFC 7303).
func TestFetchCharsetFromHeader(t *testing.T) {
	for _, ct := range []string{
		"application/rss+xml; charset=windows-1252",
		"text/xml; charset=\"Windows-1252\"",
		"application/xml;charset=cp1252",
	} {
		t.Run(ct, func(t *testing.T) {
			feedURL := serveFeed(t, ct, []byte(oneItemRSS(`<?xml version="1.0"?>`, cafe1252)))
			res, err := fetchURL(t, newTestClient(), feedURL, aggregator.FeedState{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Title != cafe {
				t.Errorf("feed Title = %q, want %q", res.Title, cafe)
			}
			if len(res.Items) != 1 || res.Items[0].Title != cafe {
				t.Fatalf("items = %+v, want one titled %q", res.Items, cafe)
			}
		})
	}
}

// TestFetchCharsetPrecedence: a byte-order mark, then the header's charset
// (for XML media types), then the declaration, then UTF-8; a header the
// bytes contradict gives way to the declaration.
func TestFetchCharsetPrecedence(t *testing.T) {
	const latin1Decl = `<?xml version="1.0" encoding="ISO-8859-1"?>`
	const utf8Decl = `<?xml version="1.0" encoding="utf-8"?>`
	tests := []struct {
		name        string
		contentType string
		body        string
	}{
		{"declaration only", "application/rss+xml", oneItemRSS(`<?xml version="1.0" encoding="windows-1252"?>`, cafe1252)},
		{"header beats the declaration", "application/rss+xml; charset=windows-1252", oneItemRSS(`<?xml version="1.0" encoding="koi8-r"?>`, cafe1252)},
		{"non-xml media type: header ignored", "text/html; charset=koi8-r", oneItemRSS(latin1Decl, cafe1252)},
		{"unknown charset: header ignored", "application/xml; charset=x-nonesuch", oneItemRSS(latin1Decl, cafe1252)},
		{"utf-8 header over a latin-1 document", "text/xml; charset=utf-8", oneItemRSS(latin1Decl, cafe1252)},
		{"latin-1 header over a utf-8 document", "text/xml; charset=iso-8859-1", oneItemRSS(utf8Decl, cafe)},
		{"latin-1 header over an undeclared utf-8 document", "text/xml; charset=iso-8859-1", oneItemRSS("", cafe)},
		{"utf-8 bom beats the header", "text/xml; charset=windows-1252", "\xEF\xBB\xBF" + oneItemRSS(utf8Decl, cafe)},
		{"no header, no declaration", "", oneItemRSS("", cafe)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			feedURL := serveFeed(t, tt.contentType, []byte(tt.body))
			res, err := fetchURL(t, newTestClient(), feedURL, aggregator.FeedState{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Items) != 1 || res.Items[0].Title != cafe || res.Title != cafe {
				t.Errorf("feed %q, items %+v; want both titled %q", res.Title, res.Items, cafe)
			}
		})
	}
}

// utf16Doc is doc in UTF-16 with a byte-order mark.
func utf16Doc(t *testing.T, e unicode.Endianness, doc string) []byte {
	t.Helper()
	b, err := unicode.UTF16(e, unicode.UseBOM).NewEncoder().Bytes([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFetchUTF16: UTF-16 documents with a byte-order mark are decoded
// before the feed type is detected, whatever the header says.
func TestFetchUTF16(t *testing.T) {
	const title = "Кофе ☕ “quoted” – £5"
	doc := oneItemRSS(`<?xml version="1.0" encoding="UTF-16"?>`, title)
	tests := []struct {
		name        string
		endian      unicode.Endianness
		contentType string
	}{
		{"le", unicode.LittleEndian, "application/rss+xml"},
		{"be", unicode.BigEndian, "application/rss+xml; charset=utf-16"},
		{"le, header says utf-8", unicode.LittleEndian, "text/xml; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := utf16Doc(t, tt.endian, doc)
			if tt.endian == unicode.LittleEndian && string(body[:4]) != "\xFF\xFE<\x00" {
				t.Fatalf("not UTF-16LE with a BOM: % x", body[:4])
			}
			res, err := fetchURL(t, newTestClient(), serveFeed(t, tt.contentType, body), aggregator.FeedState{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Title != title || len(res.Items) != 1 || res.Items[0].Title != title {
				t.Errorf("feed %q, items %+v; want both titled %q", res.Title, res.Items, title)
			}
		})
	}

	// And through Parse, an Atom document without a BOM (XML 1.0 appendix F).
	atom := `<?xml version="1.0" encoding="UTF-16"?><feed xmlns="http://www.w3.org/2005/Atom"><title>` + title +
		`</title><id>urn:f</id><entry><title>` + title + `</title><id>urn:e</id><link href="https://site.example/e"/>` +
		`<updated>2024-03-15T10:00:00Z</updated></entry></feed>`
	body := utf16Doc(t, unicode.BigEndian, atom)[2:]
	res, err := Parse(strings.NewReader(string(body)), "https://feeds.example/a.atom")
	if err != nil {
		t.Fatal(err)
	}
	if res.Title != title || len(res.Items) != 1 || res.Items[0].Title != title {
		t.Errorf("Atom without BOM: feed %q, items %+v", res.Title, res.Items)
	}
}

func TestToUTF8(t *testing.T) {
	tests := []struct{ in, contentType, want string }{
		{"<rss>ok</rss>", "", "<rss>ok</rss>"},
		{"<rss>\xff</rss>", "", "<rss>\uFFFD</rss>"},
		{"<?xml version='1.0' encoding='utf8'?><rss>\xff</rss>", "", "<?xml version='1.0' encoding='UTF-8'?><rss>\uFFFD</rss>"},
		{"\xEF\xBB\xBF<rss>é</rss>", "", "<rss>é</rss>"},
		{"\xEF\xBB\xBF <?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss>\xff</rss>", "",
			" <?xml version=\"1.0\" encoding=\"UTF-8\"?><rss>\uFFFD</rss>"},
		{"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss>\xe9</rss>", "", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss>é</rss>"},
		{"<?xml version=\"1.0\" encoding=\"x-unknown\"?><rss>é</rss>", "", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss>é</rss>"},
		{"<rss>\xe9</rss>", "application/atom+xml; charset=iso-8859-1", "<rss>é</rss>"},
		{"<rss>\xe9</rss>", "application/atom+xml; charset=iso-8859-1; x=\"", "<rss>\uFFFD</rss>"}, // unparsable parameters
		{"\xFF\xFE<\x00r\x00>\x00", "", "<r>"},
		{"\xFE\xFF\x00<\x00r\x00>", "", "<r>"},
		{"\xFF\xFE<\x00r\x00>", "", "<r\uFFFD"}, // odd length
		// A UTF-16 label over a document that is plainly not UTF-16.
		{"<rss>é</rss>", "application/rss+xml; charset=utf-16", "<rss>é</rss>"},
		{"<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss>é</rss>", "", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss>é</rss>"},
	}
	for _, tt := range tests {
		if got := string(toUTF8([]byte(tt.in), tt.contentType)); got != tt.want {
			t.Errorf("toUTF8(%q, %q) = %q, want %q", tt.in, tt.contentType, got, tt.want)
		}
	}
}
