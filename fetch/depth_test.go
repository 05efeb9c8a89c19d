package fetch

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/net/html/charset"

	"aggregator"
)

func TestCheckDepth(t *testing.T) {
	paragraphs := strings.Repeat("<p>one"+strings.Repeat("<br>line", 10)+"</p>", 5)
	tests := []struct {
		name  string
		doc   string
		limit int
		ok    bool
	}{
		{"flat", "<a><b>x</b><c/></a>", 2, true},
		{"one too deep", "<a><b><c/></b></a>", 2, false},
		{"empty elements do not nest", "<a><b/><b />" + strings.Repeat(`<c x="1"/>`, 10) + "</a>", 2, true},
		{"markup in quotes", `<a x='>' y="</a><b><b>" z='/'><b/></a>`, 2, true},
		{"comment, CDATA, processing instruction", "<?xml version='1.0'?><!-- <b><b> --><a><![CDATA[<b><b>]]><?pi <b> ?></a>", 1, true},
		{"doctype with an internal subset", `<!DOCTYPE a [<!ENTITY e "<b>"> <!-- > --> <!ATTLIST a x CDATA "<">]><a>&e;</a>`, 1, true},
		{"unclosed tags closed by their parent's end tag", "<r>" + paragraphs + "</r>", 12, true},
		{"unclosed tags count while open", "<r>" + paragraphs + "</r>", 11, false},
		// encoding/xml stops at </x>, having closed a and b: nothing
		// after it is parsed, however deep.
		{"an end tag matching nothing ends the scan", "<a><b></x><c><d><e>", 2, true},
		{"prefixed names", "<e:a><e:b></e:b><e:b></e:b></e:a>", 2, true},
		{"text that is not markup", "<a>1 < 2, 3 <= 4</a>", 1, true},
		{"json", `{"items": [{"content_html": "<b><b><b>"}]}`, 1, true},
		{"unterminated comment", "<a><!-- <b><b>", 1, true}, // left to the parser
		{"whitespace before the root", "\n\t <a><b/></a>", 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkDepth([]byte(tt.doc), tt.limit)
			if tt.ok && err != nil {
				t.Errorf("checkDepth(%q, %d) = %v, want nil", tt.doc, tt.limit, err)
			}
			if !tt.ok && !errors.Is(err, ErrTooDeep) {
				t.Errorf("checkDepth(%q, %d) = %v, want ErrTooDeep", tt.doc, tt.limit, err)
			}
		})
	}
}

// nestedRSS is an RSS document with an item holding n nested <div>s.
func nestedRSS(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Deep</title>` +
		`<link>https://deep.example/</link><item><title>Deep</title><link>https://deep.example/1</link><description>`)
	b.WriteString(strings.Repeat("<div>", n))
	b.WriteString("x")
	b.WriteString(strings.Repeat("</div>", n))
	b.WriteString(`</description></item></channel></rss>`)
	return b.Bytes()
}

// TestParseDepthLimit: an item may nest elements up to MaxDepth in all
// (rss, channel and item included), not one more.
func TestParseDepthLimit(t *testing.T) {
	const outside = 4 // rss, channel, item, description
	if _, err := parse(nestedRSS(MaxDepth-outside), "", "", 0); err != nil {
		t.Errorf("%d levels: %v", MaxDepth, err)
	}
	_, err := parse(nestedRSS(MaxDepth-outside+1), "", "", 0)
	if !errors.Is(err, ErrTooDeep) {
		t.Fatalf("%d levels: err = %v, want ErrTooDeep", MaxDepth+1, err)
	}
	want := fmt.Sprintf("parse feed: feed document nests elements too deeply: the element at byte %d is nested %d deep, over the limit of %d",
		bytes.Index(nestedRSS(MaxDepth), []byte("<description>"))+len("<description>")+5*(MaxDepth-outside), MaxDepth+1, MaxDepth)
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

// TestFetchTooDeep: a 9.9 MB document of 900,000 nested elements, which
// gofeed parses with some 280 MB, is refused with ErrTooDeep having
// allocated little more than its body.
func TestFetchTooDeep(t *testing.T) {
	body := nestedRSS(900_000)
	if len(body) < 9_900_000 || len(body) > DefaultMaxBodySize {
		t.Fatalf("document of %d bytes", len(body))
	}
	feedURL := serveFeed(t, "application/rss+xml", body)
	c := newTestClient()

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := fetchURL(t, c, feedURL, aggregator.FeedState{})
	runtime.ReadMemStats(&after)

	if !errors.Is(err, ErrTooDeep) || !strings.Contains(err.Error(), fmt.Sprintf("over the limit of %d", MaxDepth)) {
		t.Errorf("err = %v, want ErrTooDeep", err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("the fetch of %d bytes allocated %d KiB", len(body), alloc>>10)
	if alloc > 64<<20 {
		t.Errorf("the fetch allocated %d MiB, want at most 64 MiB", alloc>>20)
	}

	// The scan itself allocates next to nothing.
	runtime.ReadMemStats(&before)
	_, err = parse(body, "application/rss+xml", feedURL, 0)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooDeep) {
		t.Errorf("parse: err = %v, want ErrTooDeep", err)
	}
	alloc = after.TotalAlloc - before.TotalAlloc
	t.Logf("the parse allocated %d KiB", alloc>>10)
	if alloc > 1<<20 {
		t.Errorf("the parse allocated %d KiB, want at most 1 MiB", alloc>>10)
	}
}

// bigFeed is an RSS document of about 500 KB: the items of a fixture,
// repeated with distinct GUIDs and links.
func bigFeed(b *testing.B) []byte {
	doc := readFixture(b, "world-wire.rss")
	start, end := bytes.Index(doc, []byte("<item>")), bytes.LastIndex(doc, []byte("</item>"))+len("</item>")
	items := doc[start:end]
	var out bytes.Buffer
	out.Write(doc[:start])
	for i := 0; out.Len() < 500_000; i++ {
		n := fmt.Sprintf("-%d", i)
		s := bytes.ReplaceAll(items, []byte("</guid>"), []byte(n+"</guid>"))
		s = bytes.ReplaceAll(s, []byte("</link>"), []byte(n+"</link>"))
		out.Write(s)
	}
	out.Write(doc[end:])
	return out.Bytes()
}

// BenchmarkCheckDepth compares the depth scan of a 500 KB feed with its
// parse.
func BenchmarkCheckDepth(b *testing.B) {
	doc := bigFeed(b)
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			if err := checkDepth(doc, MaxDepth); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			if _, err := parse(doc, "", "https://worldwire.example/rss/top.xml", 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// xmlDepth is the deepest encoding/xml, set up as gofeed sets it up, nests
// the elements of doc before the end or its first error.
func xmlDepth(doc []byte) int {
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = false
	d.CharsetReader = charset.NewReaderLabel
	depth, deepest := 0, 0
	for {
		tok, err := d.Token()
		if err != nil {
			return deepest
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
			deepest = max(deepest, depth)
		case xml.EndElement:
			depth--
		}
	}
}

// FuzzCheckDepth: checkDepth never counts fewer levels than the parser
// reaches.
func FuzzCheckDepth(f *testing.F) {
	for _, s := range []string{
		"<a><b>x</b><c/></a>",
		`<a x='>' y="</a><b><b>" z='/'><b/></a>`,
		"<?xml version='1.0'?><!-- <b><b> --><a><![CDATA[<b><b>]]><?pi <b> ?></a>",
		`<!DOCTYPE a [<!ENTITY e "<b>"> <!-- > --> <!ATTLIST a x CDATA "<">]><a>&e;</a>`,
		"<r><p>one<br>line<br>line</p><p>two<br></p></r>",
		"<a><b></x><c>",
		"<e:a xmlns:e='urn:e'><e:b></e:b><f:b></e:b></e:a>",
		"<a href=x/><b href=y/ ><c/></b></a>",
		"<a>1 < 2, 3 <= 4<b></b></a>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		doc = toUTF8(doc, "")
		if isJSON(doc) {
			return // gofeed parses it as JSON, whatever XML follows
		}
		want := xmlDepth(doc)
		if want == 0 {
			return
		}
		if err := checkDepth(doc, want-1); !errors.Is(err, ErrTooDeep) {
			t.Errorf("encoding/xml nests %d deep, checkDepth with limit %d says %v", want, want-1, err)
		}
	})
}
