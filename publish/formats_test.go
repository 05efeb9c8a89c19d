package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"aggregator"
)

const (
	testRSSSelf  = "https://agg.example/feeds/all.rss"
	testJSONSelf = "https://agg.example/feeds/all.json"
)

// formatEntries are testEntries with tags on the first: one found in the text
// and one given by a rule. The others keep their article's categories (none).
func formatEntries() []aggregator.Entry {
	entries := testEntries()
	entries[0].Tags = []aggregator.Tag{
		{Slug: "kim-jong-un", Label: "Kim Jong Un", Entity: true},
		{Slug: "rail", Label: "Rail"},
	}
	return entries
}

// The decoded form of what RSS writes.
type (
	xRSS struct {
		XMLName xml.Name `xml:"rss"`
		Version string   `xml:"version,attr"`
		Channel struct {
			// atom:link comes before link: a field without a namespace
			// takes elements of any namespace, and the first field that
			// matches an element gets it.
			AtomLinks     []xLink    `xml:"http://www.w3.org/2005/Atom link"`
			Title         string     `xml:"title"`
			Link          string     `xml:"link"`
			Description   string     `xml:"description"`
			LastBuildDate string     `xml:"lastBuildDate"`
			Generator     string     `xml:"generator"`
			Items         []xRSSItem `xml:"item"`
		} `xml:"channel"`
	}
	xRSSItem struct {
		Title       string   `xml:"title"`
		LinkElem    []string `xml:"link"`
		Description string   `xml:"description"`
		Content     *string  `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
		GUID        struct {
			IsPermaLink string `xml:"isPermaLink,attr"`
			ID          string `xml:",chardata"`
		} `xml:"guid"`
		PubDate    string `xml:"pubDate"`
		Categories []struct {
			Domain string `xml:"domain,attr"`
			Name   string `xml:",chardata"`
		} `xml:"category"`
		Source *struct {
			URL  string `xml:"url,attr"`
			Name string `xml:",chardata"`
		} `xml:"source"`
		Creator string `xml:"http://purl.org/dc/elements/1.1/ creator"`
	}
)

func decodeRSS(t *testing.T, b []byte) xRSS {
	t.Helper()
	if !bytes.HasPrefix(b, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Errorf("output does not start with an XML declaration: %.60q", b)
	}
	var f xRSS
	if err := xml.Unmarshal(b, &f); err != nil {
		t.Fatalf("decode: %v\n%s", err, b)
	}
	return f
}

// The decoded form of what JSONFeed writes; raw keeps what the struct
// does not name.
type (
	xJSONFeed struct {
		Version     string       `json:"version"`
		Title       string       `json:"title"`
		HomePageURL string       `json:"home_page_url"`
		FeedURL     string       `json:"feed_url"`
		Authors     []xJSONName  `json:"authors"`
		Items       []xJSONItem  `json:"items"`
		Author      *xJSONName   `json:"author"` // 1.0's; must not be written
		Raw         []rawJSONMap `json:"-"`
	}
	xJSONName struct {
		Name string `json:"name"`
		URL  string `json:"url"`
	}
	xJSONItem struct {
		ID            string      `json:"id"`
		URL           string      `json:"url"`
		Title         string      `json:"title"`
		ContentHTML   *string     `json:"content_html"`
		Summary       string      `json:"summary"`
		DatePublished string      `json:"date_published"`
		DateModified  string      `json:"date_modified"`
		Authors       []xJSONName `json:"authors"`
		Author        *xJSONName  `json:"author"`
		Tags          []string    `json:"tags"`
		Aggregator    *struct {
			Sources []struct {
				Name    string `json:"name"`
				URL     string `json:"url"`
				FeedURL string `json:"feed_url"`
			} `json:"sources"`
		} `json:"_aggregator"`
	}
	rawJSONMap = map[string]json.RawMessage
)

func decodeJSONFeed(t *testing.T, b []byte) xJSONFeed {
	t.Helper()
	var f xJSONFeed
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("decode: %v\n%s", err, b)
	}
	var raw struct {
		Items []rawJSONMap `json:"items"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	f.Raw = raw.Items
	return f
}

// renderAll renders entries in the three formats, twice each, and fails if
// the two renderings of a format differ.
func renderAll(t *testing.T, entries []aggregator.Entry) (atomDoc, rssDoc, jsonDoc []byte) {
	t.Helper()
	render := func(name string, f func() ([]byte, error)) []byte {
		t.Helper()
		a, err := f()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := f()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two renderings differ:\n%s\n---\n%s", name, a, b)
		}
		return a
	}
	atomDoc = render("Atom", func() ([]byte, error) { return Atom(allOutput, entries, testSelf, testHome) })
	rssDoc = render("RSS", func() ([]byte, error) { return RSS(allOutput, entries, testRSSSelf, testHome) })
	jsonDoc = render("JSONFeed", func() ([]byte, error) { return JSONFeed(allOutput, entries, testJSONSelf, testHome) })
	return atomDoc, rssDoc, jsonDoc
}

// RSS and JSON Feed tell what Atom tells: the same entries in the same order,
// with the same ids, titles, links, dates, authors, tags and content.
func TestFormatsAgree(t *testing.T) {
	entries := formatEntries()
	atomDoc, rssDoc, jsonDoc := renderAll(t, entries)
	a, r, j := decodeAtom(t, atomDoc), decodeRSS(t, rssDoc), decodeJSONFeed(t, jsonDoc)
	if len(a.Entries) != len(entries) || len(r.Channel.Items) != len(entries) || len(j.Items) != len(entries) {
		t.Fatalf("entries: atom %d, rss %d, json %d; want %d", len(a.Entries), len(r.Channel.Items), len(j.Items), len(entries))
	}
	for i, e := range entries {
		ae, ri, ji := a.Entries[i], r.Channel.Items[i], j.Items[i]
		if ae.ID != e.ID || ri.GUID.ID != e.ID || ji.ID != e.ID {
			t.Errorf("entry %d: ids atom %q rss %q json %q, want %q", i, ae.ID, ri.GUID.ID, ji.ID, e.ID)
		}
		if ri.Title != ae.Title || ji.Title != ae.Title {
			t.Errorf("entry %d: titles atom %q rss %q json %q", i, ae.Title, ri.Title, ji.Title)
		}
		var atomLink string
		if alt := linksWithRel(ae.Links, "alternate"); len(alt) > 0 {
			atomLink = alt[0].Href
		}
		if atomLink != e.Item.Link || ji.URL != e.Item.Link || !slices.Equal(ri.LinkElem, nonEmpty(e.Item.Link)) {
			t.Errorf("entry %d: links atom %q rss %q json %q, want %q", i, atomLink, ri.LinkElem, ji.URL, e.Item.Link)
		}
		pub, err := time.Parse(time.RFC1123Z, ri.PubDate)
		if err != nil || !pub.Equal(e.Published) {
			t.Errorf("entry %d: rss pubDate %q (%v), want %v", i, ri.PubDate, err, e.Published)
		}
		if ji.DatePublished != ae.Published || ji.DateModified != ae.Updated {
			t.Errorf("entry %d: json dates %q %q, atom %q %q", i, ji.DatePublished, ji.DateModified, ae.Published, ae.Updated)
		}
		for _, d := range []string{ji.DatePublished, ji.DateModified} {
			if _, err := time.Parse(time.RFC3339, d); err != nil {
				t.Errorf("entry %d: json date: %v", i, err)
			}
		}
		if ri.Creator != ae.Author.Name || len(ji.Authors) != 1 || ji.Authors[0].Name != ae.Author.Name {
			t.Errorf("entry %d: authors atom %q rss %q json %+v", i, ae.Author.Name, ri.Creator, ji.Authors)
		}
		// One label per tag for people, in every format; Atom also
		// gives the term, for machines.
		var atomLabels, rssLabels []string
		for _, c := range ae.Categories {
			if c.Label == "" || c.Term == "" {
				t.Errorf("entry %d: atom category %+v lacks a term or a label", i, c)
			}
			atomLabels = append(atomLabels, c.Label)
		}
		for _, c := range ri.Categories {
			rssLabels = append(rssLabels, c.Name)
		}
		if !slices.Equal(rssLabels, atomLabels) || !slices.Equal(ji.Tags, atomLabels) {
			t.Errorf("entry %d: tags atom %q rss %q json %q", i, atomLabels, rssLabels, ji.Tags)
		}
		var atomContent string
		if ae.Content != nil {
			atomContent = ae.Content.Text
		}
		var rssContent string
		if ri.Content != nil {
			rssContent = *ri.Content
		}
		if rssContent != atomContent {
			t.Errorf("entry %d: content:encoded %q, atom content %q", i, rssContent, atomContent)
		}
		wantHTML := atomContent
		if wantHTML == "" {
			wantHTML = ae.Summary.Text
		}
		if ji.ContentHTML == nil || *ji.ContentHTML != wantHTML {
			t.Errorf("entry %d: content_html %v, want %q", i, ji.ContentHTML, wantHTML)
		}
		if ae.Summary == nil || ri.Description != ae.Summary.Text {
			t.Errorf("entry %d: description %q, atom summary %+v", i, ri.Description, ae.Summary)
		}
	}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func TestRSS(t *testing.T) {
	entries := formatEntries()
	_, doc, _ := renderAll(t, entries)
	f := decodeRSS(t, doc)
	ch := f.Channel
	if f.Version != "2.0" || ch.Title != "All news" || ch.Link != testHome || ch.Description == "" || ch.Generator == "" {
		t.Errorf("version %q title %q link %q description %q generator %q", f.Version, ch.Title, ch.Link, ch.Description, ch.Generator)
	}
	if want := "Wed, 13 Sep 2023 09:30:00 +0000"; ch.LastBuildDate != want {
		t.Errorf("lastBuildDate = %q, want the newest update %q", ch.LastBuildDate, want)
	}
	wantLinks := []xLink{
		{Rel: "self", Type: "application/rss+xml", Href: testRSSSelf},
		{Rel: "alternate", Type: "application/atom+xml", Href: testSelf},
		{Rel: "alternate", Type: "application/feed+json", Href: testJSONSelf},
	}
	if !slices.Equal(ch.AtomLinks, wantLinks) {
		t.Errorf("atom:links = %+v\nwant %+v", ch.AtomLinks, wantLinks)
	}
	for _, ns := range []string{
		`xmlns:content="http://purl.org/rss/1.0/modules/content/"`,
		`xmlns:dc="http://purl.org/dc/elements/1.1/"`,
		`xmlns:atom="http://www.w3.org/2005/Atom"`,
	} {
		if !bytes.Contains(doc, []byte(ns)) {
			t.Errorf("no %s", ns)
		}
	}
	for i, it := range ch.Items {
		if it.GUID.IsPermaLink != "false" {
			t.Errorf("item %d: isPermaLink = %q, want false", i, it.GUID.IsPermaLink)
		}
	}

	t.Run("full item", func(t *testing.T) {
		it, in := ch.Items[0], entries[0]
		if it.PubDate != "Tue, 12 Sep 2023 06:00:00 +0000" {
			t.Errorf("pubDate = %q", it.PubDate)
		}
		type cat struct{ Domain, Name string }
		var cats []cat
		for _, c := range it.Categories {
			cats = append(cats, cat{c.Domain, c.Name})
		}
		if want := []cat{{EntityScheme, "Kim Jong Un"}, {TagScheme, "Rail"}}; !slices.Equal(cats, want) {
			t.Errorf("categories = %+v, want %+v", cats, want)
		}
		if it.Description != in.Item.Summary {
			t.Errorf("description = %q, want the summary", it.Description)
		}
		want := in.Item.Content + `<p class="outlets">Reported by ` +
			`<a href="https://korea-desk.example/2023/09/12/kim-train">Korea Desk</a> and ` +
			`<a href="https://world-wire.example/kim?id=7">World Wire</a>.</p>`
		if it.Content == nil || *it.Content != want {
			t.Errorf("content:encoded = %v, want %s", it.Content, want)
		}
		if it.Source == nil || it.Source.URL != koreaDesk.URL || it.Source.Name != "Korea Desk" {
			t.Errorf("source = %+v, want the origin feed", it.Source)
		}
		if it.Creator != "Min-ji Park" {
			t.Errorf("dc:creator = %q", it.Creator)
		}
	})

	t.Run("item with one source", func(t *testing.T) {
		it := ch.Items[1]
		if it.Content != nil {
			t.Errorf("content:encoded = %q, want none, as in Atom", *it.Content)
		}
		if it.Source == nil || it.Source.URL != worldWire.URL || it.Source.Name != "World Wire" {
			t.Errorf("source = %+v", it.Source)
		}
		if len(it.Categories) != 0 {
			t.Errorf("categories = %+v, want none", it.Categories)
		}
	})

	t.Run("item from a file", func(t *testing.T) {
		it := ch.Items[2]
		if it.Source != nil {
			t.Errorf("source = %+v, want none for a file:// feed", it.Source)
		}
		if len(it.LinkElem) != 0 {
			t.Errorf("link = %q, want no element", it.LinkElem)
		}
		if it.PubDate != "Mon, 11 Sep 2023 13:00:00 +0000" {
			t.Errorf("pubDate = %q, want it in UTC", it.PubDate)
		}
	})

	t.Run("categories without tags", func(t *testing.T) {
		out, err := RSS(allOutput, testEntries()[:1], testRSSSelf, testHome)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range decodeRSS(t, out).Channel.Items[0].Categories {
			if c.Domain != "" {
				t.Errorf("category %q has domain %q, want none", c.Name, c.Domain)
			}
			names = append(names, c.Name)
		}
		if want := testEntries()[0].Item.Categories; !slices.Equal(names, want) {
			t.Errorf("categories = %q, want the article's %q", names, want)
		}
	})

	t.Run("no entries", func(t *testing.T) {
		out, err := RSS(allOutput, nil, testRSSSelf, testHome)
		if err != nil {
			t.Fatal(err)
		}
		f := decodeRSS(t, out)
		if len(f.Channel.Items) != 0 || f.Channel.LastBuildDate != "" {
			t.Errorf("%d items, lastBuildDate %q; want none", len(f.Channel.Items), f.Channel.LastBuildDate)
		}
	})
}

func TestJSONFeed(t *testing.T) {
	entries := formatEntries()
	_, _, out := renderAll(t, entries)
	f := decodeJSONFeed(t, out)
	if f.Version != "https://jsonfeed.org/version/1.1" {
		t.Errorf("version = %q", f.Version)
	}
	if f.Title != "All news" || f.HomePageURL != testHome || f.FeedURL != testJSONSelf {
		t.Errorf("title %q home_page_url %q feed_url %q", f.Title, f.HomePageURL, f.FeedURL)
	}
	if f.Author != nil || len(f.Authors) != 1 || f.Authors[0].Name != "All news" {
		t.Errorf("author %+v authors %+v; want only authors", f.Author, f.Authors)
	}
	for i, it := range f.Items {
		if it.Author != nil || len(it.Authors) != 1 {
			t.Errorf("item %d: author %+v authors %+v; want one in authors only", i, it.Author, it.Authors)
		}
		for key := range f.Raw[i] {
			if !knownItemKeys[key] {
				t.Errorf("item %d: unknown key %q (extensions start with _)", i, key)
			}
		}
	}
	if bytes.Contains(out, []byte(`\u003c`)) {
		t.Errorf("HTML is escaped as \\u003c:\n%s", out)
	}

	t.Run("full item", func(t *testing.T) {
		it := f.Items[0]
		if want := "North Korea’s leader is heading to Russia & a summit with Putin."; it.Summary != want {
			t.Errorf("summary = %q, want %q", it.Summary, want)
		}
		if it.DatePublished != "2023-09-12T06:00:00Z" || it.DateModified != "2023-09-12T07:00:00Z" {
			t.Errorf("dates %q %q", it.DatePublished, it.DateModified)
		}
		if !slices.Equal(it.Tags, []string{"Kim Jong Un", "Rail"}) {
			t.Errorf("tags = %q", it.Tags)
		}
		if it.ContentHTML == nil || !strings.Contains(*it.ContentHTML, `<p class="outlets">Reported by `) {
			t.Errorf("content_html = %v, want the outlets", it.ContentHTML)
		}
		type src struct{ Name, URL, FeedURL string }
		var got []src
		if it.Aggregator != nil {
			for _, s := range it.Aggregator.Sources {
				got = append(got, src{s.Name, s.URL, s.FeedURL})
			}
		}
		want := []src{
			{"Korea Desk", "https://korea-desk.example/2023/09/12/kim-train", koreaDesk.URL},
			{"World Wire", "https://world-wire.example/kim?id=7", worldWire.URL},
		}
		if !slices.Equal(got, want) {
			t.Errorf("_aggregator.sources = %+v\nwant %+v", got, want)
		}
	})

	t.Run("item from a file", func(t *testing.T) {
		it := f.Items[2]
		if it.URL != "" || it.DatePublished != "2023-09-11T13:00:00Z" {
			t.Errorf("url %q date_published %q", it.URL, it.DatePublished)
		}
		if it.Aggregator == nil || len(it.Aggregator.Sources) != 1 || it.Aggregator.Sources[0].FeedURL != "" {
			t.Errorf("_aggregator = %+v, want one source without a feed_url", it.Aggregator)
		}
	})

	t.Run("no entries", func(t *testing.T) {
		out, err := JSONFeed(allOutput, nil, testJSONSelf, testHome)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(out, []byte(`"items": []`)) {
			t.Errorf("items is not an empty array:\n%s", out)
		}
	})
}

var knownItemKeys = map[string]bool{
	"id": true, "url": true, "title": true, "content_html": true, "summary": true,
	"date_published": true, "date_modified": true, "authors": true, "tags": true, "_aggregator": true,
}

// The time zone the store gives the times in does not change the bytes.
func TestFormatsIgnoreZone(t *testing.T) {
	zoned := formatEntries()
	tokyo := time.FixedZone("JST", 9*3600)
	for i := range zoned {
		zoned[i].Published = zoned[i].Published.In(tokyo)
		zoned[i].Updated = zoned[i].Updated.In(tokyo)
	}
	a1, r1, j1 := renderAll(t, formatEntries())
	a2, r2, j2 := renderAll(t, zoned)
	if !bytes.Equal(a1, a2) || !bytes.Equal(r1, r2) || !bytes.Equal(j1, j2) {
		t.Error("the zone of the entries' times changes the output")
	}
}

func TestBuildFormats(t *testing.T) {
	entries := formatEntries()
	p := &Publisher{Outputs: []Output{allOutput}, BaseURL: mustURL(testHome), FeedDir: "feeds/"}
	site, err := p.Build(context.Background(), fakeSource{entries: entries})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path, contentType string
		render            func(Output, []aggregator.Entry, string, string) ([]byte, error)
		self              string
	}{
		{"feeds/all.atom", "application/atom+xml; charset=utf-8", Atom, testSelf},
		{"feeds/all.rss", "application/rss+xml; charset=utf-8", RSS, testRSSSelf},
		{"feeds/all.json", "application/feed+json; charset=utf-8", JSONFeed, testJSONSelf},
	} {
		f := site.Files[tt.path]
		if f == nil {
			t.Errorf("no %s", tt.path)
			continue
		}
		// Build renders the entries with their HTML sanitised; the
		// renderers take it as given.
		want, err := tt.render(allOutput, new(sanitizer).sanitize(entries, false), tt.self, testHome)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f.Body, want) {
			t.Errorf("%s is not the rendering of the entries with self %s", tt.path, tt.self)
		}
		if f.ContentType != tt.contentType || f.ETag != etagOf(f.Body) {
			t.Errorf("%s: content type %q etag %s", tt.path, f.ContentType, f.ETag)
		}
		if want := date("2023-09-13T09:30:00Z"); !f.ModTime.Equal(want) {
			t.Errorf("%s: modtime = %v, want %v", tt.path, f.ModTime, want)
		}
	}
}

// feedparserScript parses each file named on its command line as a feed,
// and prints what it made of them as JSON.
const feedparserScript = `
import json, sys, feedparser
out = []
for path in sys.argv[1:]:
    d = feedparser.parse(path)
    out.append({
        "bozo": bool(d.bozo),
        "error": str(d.get("bozo_exception", "")),
        "version": d.get("version", ""),
        "ids": [e.get("id", "") for e in d.entries],
        "links": [e.get("link", "") for e in d.entries],
        "published": [e.get("published_parsed") is not None for e in d.entries],
    })
print(json.dumps(out))
`

// Python's feedparser, which many readers build on, reads the feeds without
// complaint and finds the entries' ids.
func TestFeedparser(t *testing.T) {
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import feedparser").Run(); err != nil {
		t.Skipf("no feedparser: %v", err)
	}
	// feedparser reads JSON Feed from 6.1 on; 6.0 takes it for broken XML.
	jsonOK := exec.Command(python, "-c", "import feedparser.parsers.json").Run() == nil

	entries := buildEntries()
	var wantIDs []string
	for _, e := range entries {
		wantIDs = append(wantIDs, e.ID)
	}
	rssDoc, err := RSS(allOutput, entries, testRSSSelf, testHome)
	if err != nil {
		t.Fatal(err)
	}
	jsonDoc, err := JSONFeed(allOutput, entries, testJSONSelf, testHome)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := []struct {
		name        string
		body        []byte
		wantVersion string
	}{{"all.rss", rssDoc, "rss20"}}
	if jsonOK {
		files = append(files, struct {
			name        string
			body        []byte
			wantVersion string
		}{"all.json", jsonDoc, "json11"})
	} else {
		t.Log("this feedparser cannot read JSON Feed; checking RSS only")
	}
	args := []string{"-c", feedparserScript}
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		if err := os.WriteFile(path, f.body, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, path)
	}
	out, err := exec.Command(python, args...).Output()
	if err != nil {
		t.Fatalf("feedparser: %v", err)
	}
	var results []struct {
		Bozo      bool     `json:"bozo"`
		Error     string   `json:"error"`
		Version   string   `json:"version"`
		IDs       []string `json:"ids"`
		Links     []string `json:"links"`
		Published []bool   `json:"published"`
	}
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(results) != len(files) {
		t.Fatalf("%d results for %d files", len(results), len(files))
	}
	for i, r := range results {
		name := files[i].name
		if r.Bozo {
			t.Errorf("%s: feedparser: bozo: %s", name, r.Error)
		}
		if r.Version != files[i].wantVersion {
			t.Errorf("%s: feedparser version %q, want %q", name, r.Version, files[i].wantVersion)
		}
		if !slices.Equal(r.IDs, wantIDs) {
			t.Errorf("%s: feedparser ids = %q\nwant %q", name, r.IDs, wantIDs)
		}
		if r.Links[0] != entries[0].Item.Link || r.Links[1] != entries[1].Item.Link {
			t.Errorf("%s: feedparser links = %q", name, r.Links)
		}
		if slices.Contains(r.Published, false) {
			t.Errorf("%s: feedparser finds no date in some entries: %v", name, r.Published)
		}
	}
}
