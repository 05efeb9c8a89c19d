package fetch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func rssItems(items string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>` +
		`<link>https://example.com/</link>` + items + `</channel></rss>`
}

func TestParseInvalidUTF8(t *testing.T) {
	res, err := Parse(strings.NewReader(rssItems("<item><title>a\xffb \x93q\x94</title><guid>1</guid></item>")), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Items[0].Title; got != "a\uFFFDb \uFFFDq\uFFFD" {
		t.Errorf("title = %q", got)
	}
}

// A document that declares windows-1252 is decoded as such, not "repaired".
func TestParseDeclaredEncodingUntouched(t *testing.T) {
	doc := strings.Replace(rssItems("<item><title>\x93q\x94 caf\xe9</title><guid>1</guid></item>"), "UTF-8", "windows-1252", 1)
	res, err := Parse(strings.NewReader(doc), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Items[0].Title; got != "“q” café" {
		t.Errorf("title = %q", got)
	}
}

func TestParseDropsEmptyAndDuplicateItems(t *testing.T) {
	res, err := Parse(strings.NewReader(rssItems(
		`<item></item><item><pubDate>Mon, 02 Jan 2006 15:04:05 GMT</pubDate></item><item><title><![CDATA[<b></b>]]></title></item>`+
			`<item><title>A</title><guid>g</guid><link>https://example.com/a</link></item>`+
			`<item><title>B</title><guid>g</guid><link>https://example.com/b</link></item>`+
			`<item><description>only text</description></item>`)), "")
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, it := range res.Items {
		titles = append(titles, it.Title+"|"+it.Summary)
	}
	if got := strings.Join(titles, ","); got != "A|,|only text" {
		t.Errorf("items = %q, want A (first of its GUID) and the description-only item", got)
	}
}

func TestParseUnsafeLinks(t *testing.T) {
	res, err := Parse(strings.NewReader(`<rss version="2.0"><channel><title>T</title><link>javascript:alert(1)</link>`+
		`<item><title>1</title><link>javascript:alert(1)</link></item>`+
		`<item><title>2</title><link> JaVaScRiPt:alert(1)</link></item>`+
		`<item><title>3</title><link>data:text/html,x</link></item>`+
		`<item><title>4</title><link>vbscript:x</link></item>`+
		`<item><title>5</title><link>/relative</link></item>`+
		`<item><title>6</title><link>HTTPS://example.com/ok</link></item>`+
		`</channel></rss>`), "https://feeds.example/rss")
	if err != nil {
		t.Fatal(err)
	}
	if res.SiteURL != "" {
		t.Errorf("SiteURL = %q", res.SiteURL)
	}
	want := []string{"", "", "", "", "https://feeds.example/relative", "HTTPS://example.com/ok"}
	for i, it := range res.Items {
		if it.Link != want[i] {
			t.Errorf("item %s: link = %q, want %q", it.Title, it.Link, want[i])
		}
	}
}

func TestParseImplausibleDates(t *testing.T) {
	res, err := Parse(strings.NewReader(rssItems(
		`<item><title>a</title><pubDate>0044-03-15T00:00:00Z</pubDate><atom:updated xmlns:atom="http://www.w3.org/2005/Atom">0001-01-02T00:00:00Z</atom:updated></item>`+
			`<item><title>b</title><pubDate>Sun, 20 Jul 1969 20:17:00 GMT</pubDate></item>`+
			`<item><title>c</title><pubDate>Sat, 01 Jan 3000 00:00:00 GMT</pubDate></item>`)), "")
	if err != nil {
		t.Fatal(err)
	}
	if p := res.Items[0].Published; !p.IsZero() {
		t.Errorf("a: published %v, want none", p)
	}
	if p := res.Items[1].Published; p.Year() != 1969 {
		t.Errorf("b: published %v, want 1969", p)
	}
	if p := res.Items[2].Published; p.Year() != 3000 {
		t.Errorf("c: published %v, want 3000 (the store clamps it)", p)
	}
}

func TestKeepNewest(t *testing.T) {
	// Dated items: the newest max, in document order.
	var b strings.Builder
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, i := range []int{3, 9, 1, 7, 5} {
		fmt.Fprintf(&b, "<item><title>%d</title><pubDate>%s</pubDate></item>", i, start.AddDate(0, 0, i).Format(time.RFC1123Z))
	}
	b.WriteString("<item><title>undated</title></item>")
	res, err := parse([]byte(rssItems(b.String())), "", "", 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range res.Items {
		got = append(got, it.Title)
	}
	if s := strings.Join(got, " "); s != "9 7 undated" {
		t.Errorf("kept %q, want 9 7 undated (undated counts as newest)", s)
	}

	// Undated items: the first max.
	b.Reset()
	for i := range 10 {
		fmt.Fprintf(&b, "<item><title>%d</title></item>", i)
	}
	res, err = parse([]byte(rssItems(b.String())), "", "", 4)
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, it := range res.Items {
		got = append(got, it.Title)
	}
	if s := strings.Join(got, " "); s != "0 1 2 3" {
		t.Errorf("kept %q, want 0 1 2 3", s)
	}
}

// Client.MaxItems applies to a fetch; 0 means DefaultMaxItems.
func TestFetchMaxItems(t *testing.T) {
	var b strings.Builder
	for i := range DefaultMaxItems + 5 {
		fmt.Fprintf(&b, "<item><title>%d</title><guid>%d</guid></item>", i, i)
	}
	path := filepath.Join(t.TempDir(), "feed.xml")
	if err := os.WriteFile(path, []byte(rssItems(b.String())), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ max, want int }{{0, DefaultMaxItems}, {10, 10}} {
		c := NewClient("test")
		c.MaxItems = tc.max
		res, err := c.Fetch(context.Background(), Request{URL: "file://" + filepath.ToSlash(path)})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) != tc.want {
			t.Errorf("MaxItems %d: %d items, want %d", tc.max, len(res.Items), tc.want)
		}
		for _, it := range res.Items {
			if !utf8.ValidString(it.Title) {
				t.Fatal("invalid UTF-8")
			}
		}
	}
}
