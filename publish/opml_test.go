package publish

import (
	"bytes"
	"context"
	"encoding/xml"
	"reflect"
	"strings"
	"testing"
)

// decodedOPML mirrors an OPML document for the tests, independently of the
// structs OPML marshals.
type decodedOPML struct {
	XMLName xml.Name `xml:"opml"`
	Version string   `xml:"version,attr"`
	Head    struct {
		Title       string  `xml:"title"`
		DateCreated *string `xml:"dateCreated"`
	} `xml:"head"`
	Body struct {
		Outlines []decodedOutline `xml:"outline"`
	} `xml:"body"`
}

type decodedOutline struct {
	Type     string           `xml:"type,attr"`
	Text     string           `xml:"text,attr"`
	Title    string           `xml:"title,attr"`
	XMLURL   string           `xml:"xmlUrl,attr"`
	HTMLURL  string           `xml:"htmlUrl,attr"`
	Category string           `xml:"category,attr"`
	Outlines []decodedOutline `xml:"outline"`
}

var opmlSubs = []Subscription{
	{Title: "World News", XMLURL: "https://example.com/world.xml", HTMLURL: "https://example.com/", Tags: []string{"world", "Asia"}},
	{Title: "Local", XMLURL: "file:///srv/feeds/local.xml", Tags: []string{"local"}},
	{Title: "Tom & Jerry's \"Cartoons\" <daily>", XMLURL: "http://example.org/feed?a=1&b=2", HTMLURL: "http://example.org/?x=\"y\"&z"},
	{Title: "", XMLURL: "HTTPS://example.net/rss", Tags: []string{"R&D", "", "r-and-d", "Côte d'Ivoire"}},
	{Title: "relative", XMLURL: "feeds/relative.xml"},
	{Title: "no host", XMLURL: "https:///feed.xml"},
}

func decodeOPML(t *testing.T, b []byte) decodedOPML {
	t.Helper()
	var doc decodedOPML
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("output is not XML: %v\n%s", err, b)
	}
	return doc
}

func TestOPMLStructure(t *testing.T) {
	b, err := OPML("My feeds & more", opmlSubs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Errorf("no XML declaration:\n%s", b)
	}
	doc := decodeOPML(t, b)
	if doc.Version != "2.0" {
		t.Errorf("version = %q, want 2.0", doc.Version)
	}
	if doc.Head.Title != "My feeds & more" {
		t.Errorf("head title = %q", doc.Head.Title)
	}
	if doc.Head.DateCreated != nil {
		t.Errorf("head has a dateCreated %q; the output must be deterministic", *doc.Head.DateCreated)
	}
	want := []decodedOutline{
		{Type: "rss", Text: "World News", Title: "World News", XMLURL: "https://example.com/world.xml", HTMLURL: "https://example.com/", Category: "/world,/asia"},
		{Type: "rss", Text: `Tom & Jerry's "Cartoons" <daily>`, Title: `Tom & Jerry's "Cartoons" <daily>`, XMLURL: "http://example.org/feed?a=1&b=2", HTMLURL: `http://example.org/?x="y"&z`},
		{Type: "rss", Text: "HTTPS://example.net/rss", Title: "HTTPS://example.net/rss", XMLURL: "HTTPS://example.net/rss", Category: "/r-and-d,/cote-divoire"},
	}
	if !reflect.DeepEqual(doc.Body.Outlines, want) {
		t.Errorf("outlines:\n got %+v\nwant %+v\n%s", doc.Body.Outlines, want, b)
	}
}

func TestOPMLEscaping(t *testing.T) {
	b, err := OPML(`a "quoted" <title> & co`, opmlSubs[2:3])
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, raw := range []string{"a=1&b=2", `x="y"`, "& Jerry", `"Cartoons"`, "<daily>", `"quoted"`, "<title> &"} {
		if strings.Contains(s, raw) {
			t.Errorf("output holds %q unescaped:\n%s", raw, s)
		}
	}
	for _, esc := range []string{"a=1&amp;b=2", "Tom &amp; Jerry", "&#34;Cartoons&#34;", "&lt;daily&gt;", "&lt;title&gt; &amp; co"} {
		if !strings.Contains(s, esc) {
			t.Errorf("output lacks %q:\n%s", esc, s)
		}
	}
}

func TestOPMLDeterministic(t *testing.T) {
	first, err := OPML("feeds", opmlSubs)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		again, err := OPML("feeds", opmlSubs)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatalf("output changed between calls:\n%s\n---\n%s", first, again)
		}
	}
	if !bytes.HasSuffix(first, []byte("</opml>\n")) {
		t.Errorf("output does not end with </opml> and a newline:\n%s", first)
	}
}

func TestOPMLEmpty(t *testing.T) {
	b, err := OPML("none", nil)
	if err != nil {
		t.Fatal(err)
	}
	doc := decodeOPML(t, b)
	if doc.Head.Title != "none" || len(doc.Body.Outlines) != 0 {
		t.Errorf("empty list = %+v", doc)
	}
}

func TestOPMLContentType(t *testing.T) {
	if OPMLContentType != "text/x-opml; charset=utf-8" {
		t.Errorf("OPMLContentType = %q", OPMLContentType)
	}
}

// TestBuildOPMLFeedDetails: the site's subscription list takes from the
// feeds' health what the config leaves out: the feed's own title when the
// config gives no name, and the site the feed belongs to (an http or https
// one only). What the config gives stays.
func TestBuildOPMLFeedDetails(t *testing.T) {
	p := &Publisher{
		Outputs: []Output{{Name: "all", Title: "All"}}, BaseURL: mustURL("https://agg.example/"), FeedDir: "feeds/",
		Subscriptions: []Subscription{
			{Title: "Wire", XMLURL: "https://wire.example/feed.xml"},
			{XMLURL: "https://desk.example/atom"},
			{XMLURL: "https://new.example/rss"},
			{Title: "Ledger", XMLURL: "https://ledger.example/rss", HTMLURL: "https://ledger.example/world/"},
			{XMLURL: "https://bad.example/rss"},
		},
		Health: healthSource{
			{Name: "Wire", URL: "https://wire.example/feed.xml", SiteURL: "https://wire.example/", Health: "ok"},
			{Name: "Korea Desk", URL: "https://desk.example/atom", SiteURL: "https://desk.example/", Health: "ok"},
			{Name: "https://new.example/rss", URL: "https://new.example/rss", Health: "new"},
			{Name: "Ledger", URL: "https://ledger.example/rss", SiteURL: "https://ledger.example/", Health: "ok"},
			{Name: "Bad", URL: "https://bad.example/rss", SiteURL: "javascript:alert(1)", Health: "ok"},
		},
	}
	site, err := p.Build(context.Background(), fakeSource{entries: testEntries()})
	if err != nil {
		t.Fatal(err)
	}
	doc := decodeOPML(t, site.Files[OPMLPath].Body)
	type row struct{ Text, XMLURL, HTMLURL string }
	var got []row
	for _, o := range doc.Body.Outlines {
		if o.Title != o.Text {
			t.Errorf("outline %s: title %q, text %q", o.XMLURL, o.Title, o.Text)
		}
		got = append(got, row{o.Text, o.XMLURL, o.HTMLURL})
	}
	want := []row{
		{"Wire", "https://wire.example/feed.xml", "https://wire.example/"},
		{"Korea Desk", "https://desk.example/atom", "https://desk.example/"},
		{"https://new.example/rss", "https://new.example/rss", ""},
		{"Ledger", "https://ledger.example/rss", "https://ledger.example/world/"},
		{"Bad", "https://bad.example/rss", ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("outlines:\n got %+v\nwant %+v", got, want)
	}
}

// TestBuildOPMLMovedAndRetired: the list names a feed a permanent redirect
// moved by its new URL, and leaves out a retired (410 Gone) one, so that a
// reader importing it subscribes to what is fetched now.
func TestBuildOPMLMovedAndRetired(t *testing.T) {
	p := &Publisher{
		Outputs: []Output{{Name: "all", Title: "All"}}, BaseURL: mustURL("https://agg.example/"),
		Subscriptions: []Subscription{
			{Title: "Moved", XMLURL: "https://old.example/rss", Tags: []string{"world"}},
			{Title: "Gone", XMLURL: "https://gone.example/rss"},
			{Title: "Wire", XMLURL: "https://wire.example/rss"},
			{Title: "New", XMLURL: "https://new.example/feed"},
		},
		Health: healthSource{
			{Name: "Moved", URL: "https://old.example/rss", CurrentURL: "https://new.example/feed", Health: "ok"},
			{Name: "Gone", URL: "https://gone.example/rss", Health: "retired"},
			{Name: "Wire", URL: "https://wire.example/rss", Health: "failing"},
		},
	}
	site, err := p.Build(context.Background(), fakeSource{entries: testEntries()})
	if err != nil {
		t.Fatal(err)
	}
	doc := decodeOPML(t, site.Files[OPMLPath].Body)
	var got []string
	for _, o := range doc.Body.Outlines {
		got = append(got, o.Text+" "+o.XMLURL)
	}
	want := []string{"Moved https://new.example/feed", "Wire https://wire.example/rss"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("outlines = %q, want %q", got, want)
	}
}
