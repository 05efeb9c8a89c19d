package fetch

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"aggregator"
)

const kimDir = "../testdata/kim"

// readFixture reads a file of the kim fixtures, or one of this package's
// own when name starts with "testdata/".
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	path := filepath.Join(kimDir, name)
	if strings.HasPrefix(name, "testdata/") {
		path = name
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseFixture(t *testing.T, name string) *Result {
	t.Helper()
	res, err := parseClean(bytes.NewReader(readFixture(t, name)), "https://feeds.example/"+name)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return res
}

// parseClean is Parse with every item sanitised, as they are stored.
func parseClean(r io.Reader, base string) (*Result, error) {
	res, err := Parse(r, base)
	if err != nil {
		return nil, err
	}
	for i := range res.Items {
		res.Sanitize(&res.Items[i])
	}
	return res, nil
}

// TestParseLeavesHTML: Parse leaves items' HTML as the feed gave it, for
// Sanitize to clean, once, if the item is stored.
func TestParseLeavesHTML(t *testing.T) {
	const doc = `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://t.example/</link>
<item><title>One</title><link>https://t.example/1</link>
<description><![CDATA[ <p onclick="x()">Hi <img src="a.png"><script>alert(1)</script></p> ]]></description></item></channel></rss>`
	res, err := Parse(strings.NewReader(doc), "https://feeds.example/t.xml")
	if err != nil {
		t.Fatal(err)
	}
	it := res.Items[0]
	if want := `<p onclick="x()">Hi <img src="a.png"><script>alert(1)</script></p>`; it.Summary != want {
		t.Errorf("Summary = %q, want the feed's HTML trimmed: %q", it.Summary, want)
	}
	res.Sanitize(&it)
	if want := `<p>Hi <img src="https://t.example/a.png"></p>`; it.Summary != want {
		t.Errorf("sanitised Summary = %q, want %q", it.Summary, want)
	}
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file    string
		title   string
		siteURL string
		atomID  string
		titles  []string
		links   []string
		// Optional: nil means every item has a GUID, and a publication
		// date. A zero time is an undated item.
		guids     []string
		published []time.Time
	}{
		{
			file:    "korea-desk.atom",
			title:   "Korea Desk",
			siteURL: "https://korea-desk.example/",
			atomID:  "tag:korea-desk.example,2023:feed",
			titles: []string{
				"Kim Jong Un and Putin hold talks at Russian space centre",
				"Kim Jong Un heads to Russia aboard armoured train for Putin summit",
				"South Korea detects fresh balloon launches near the border",
			},
			links: []string{
				"https://korea-desk.example/2023/09/13/kim-putin-vostochny-talks",
				"https://korea-desk.example/2023/09/12/kim-train-russia",
				"https://korea-desk.example/2023/09/11/balloons-border",
			},
		},
		{
			file:    "world-wire.rss",
			title:   "World Wire – Top stories",
			siteURL: "https://worldwire.example/",
			titles: []string{
				"North Korea's Kim travels to Russia by train for arms talks with Putin",
				"Death toll from Libya floods rises sharply after dams burst",
				"Apple unveils iPhone 15 with USB-C charging port",
			},
			links: []string{
				"https://worldwire.example/asia/kim-jong-un-train-russia-putin-20230912?utm_source=rss&utm_medium=feed",
				"https://worldwire.example/africa/libya-derna-floods-20230912?utm_source=rss&utm_medium=feed",
				"https://worldwire.example/tech/apple-iphone-15-usb-c-20230912",
			},
		},
		{
			file:    "daily-ledger.rss",
			title:   "The Daily Ledger: World",
			siteURL: "https://dailyledger.example/world",
			titles: []string{
				"North Korea's Kim travels to Russia by train for arms talks with Putin",
				"Putin welcomes Kim at cosmodrome as leaders open summit",
				"Council approves new cycle lanes for city centre",
			},
			links: []string{
				"https://worldwire.example/asia/kim-jong-un-train-russia-putin-20230912?utm_source=partner&utm_campaign=ledger&fbclid=IwAR0abc",
				"https://dailyledger.example/world/2023/09/13/putin-kim-cosmodrome-summit",
				"https://dailyledger.example/local/2023/09/12/cycle-lanes",
			},
		},
		{
			file:    "newsroom.json",
			title:   "Newsroom Global",
			siteURL: "https://newsroom.example/",
			titles: []string{
				"Kremlin confirms Kim Jong-un visit as Putin seeks ammunition for Ukraine war",
				"Thousands feared dead as floods sweep Libyan city of Derna",
				"G20 summit in Delhi ends with joint declaration",
			},
			links: []string{
				"https://newsroom.example/2023/09/12/kremlin-confirms-kim-visit",
				"https://newsroom.example/2023/09/12/libya-floods-derna",
				"https://newsroom.example/2023/09/10/g20-delhi-closes",
			},
		},
		{
			file:    "pacific-observer.rss",
			title:   "Pacific Observer",
			siteURL: "https://pacific-observer.example/",
			titles: []string{
				"Kim\u2019s armoured train rolls toward Russia\u2019s far east for Putin meeting",
				"Yen slips past 147 per dollar as traders eye Bank of Japan",
			},
			links: []string{
				"https://pacific-observer.example/2023/09/12/kim-train-far-east",
				"https://pacific-observer.example/2023/09/12/yen-147",
			},
		},
		{
			// Netscape RSS 0.91 in ISO-8859-1, with its DOCTYPE: items have
			// neither a GUID nor a date.
			file:      "testdata/rss091.xml",
			title:     "Harbour Gazette",
			siteURL:   "http://harbour-gazette.example/",
			titles:    []string{"Ferry timetable changes for the winter", "Café on the quay wins food award"},
			links:     []string{"http://harbour-gazette.example/news/2003/09/15/ferry.html", "http://harbour-gazette.example/news/2003/09/14/cafe.html"},
			guids:     []string{"", ""},
			published: []time.Time{{}, {}},
		},
		{
			// UserLand RSS 0.92: entity-encoded HTML, every item element
			// optional (the second has no title).
			file:      "testdata/rss092.xml",
			title:     "Orchard Notes",
			siteURL:   "http://orchard-notes.example/",
			titles:    []string{"Pressing day", ""},
			links:     []string{"http://orchard-notes.example/2003/09/16#pressing", "http://orchard-notes.example/2003/09/15#frost"},
			guids:     []string{"", ""},
			published: []time.Time{{}, {}},
		},
		{
			// RSS 1.0 (RDF) with Dublin Core dates and content:encoded.
			file:    "testdata/rss10.rdf",
			title:   "River Survey Bulletin",
			siteURL: "https://river-survey.example/",
			titles:  []string{"Flood gauge at Mill Weir passes 2.1 m", "Otters seen below the footbridge"},
			links: []string{
				"https://river-survey.example/reports/2024/03/14/flood-gauge",
				"https://river-survey.example/reports/2024/03/13/otters",
			},
			guids: []string{"", ""},
			published: []time.Time{
				time.Date(2024, 3, 14, 16, 20, 0, 0, time.UTC),
				time.Date(2024, 3, 13, 9, 45, 0, 0, time.UTC),
			},
		},
		{
			// Atom 0.3: issued, modified, escaped and inline XML content.
			file:    "testdata/atom03.xml",
			title:   "Night & Day Sky",
			siteURL: "http://nightsky.example/",
			atomID:  "tag:nightsky.example,2005:feed",
			titles:  []string{"Perseids peak tonight", "New filter for the solar scope"},
			links: []string{
				"http://nightsky.example/archives/2005/08/perseids.html",
				"http://nightsky.example/archives/2005/08/solar-filter.html",
			},
			guids: []string{"tag:nightsky.example,2005:entry.412", "tag:nightsky.example,2005:entry.409"},
			published: []time.Time{
				time.Date(2005, 8, 13, 1, 30, 0, 0, time.UTC),
				time.Date(2005, 8, 9, 10, 0, 0, 0, time.UTC),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := parseFixture(t, tt.file)
			if res.Title != tt.title {
				t.Errorf("Title = %q, want %q", res.Title, tt.title)
			}
			if res.SiteURL != tt.siteURL {
				t.Errorf("SiteURL = %q, want %q", res.SiteURL, tt.siteURL)
			}
			if res.AtomID != tt.atomID {
				t.Errorf("AtomID = %q, want %q", res.AtomID, tt.atomID)
			}
			if res.NotModified || res.ETag != "" || res.LastModified != "" {
				t.Errorf("Parse set fetch fields: %+v", res)
			}
			if len(res.Items) != len(tt.titles) {
				t.Fatalf("got %d items, want %d", len(res.Items), len(tt.titles))
			}
			for i, it := range res.Items {
				if it.Title != tt.titles[i] {
					t.Errorf("item %d Title = %q, want %q", i, it.Title, tt.titles[i])
				}
				if it.Link != tt.links[i] {
					t.Errorf("item %d Link = %q, want %q", i, it.Link, tt.links[i])
				}
				switch {
				case tt.guids == nil && it.GUID == "":
					t.Errorf("item %d has no GUID", i)
				case tt.guids != nil && it.GUID != tt.guids[i]:
					t.Errorf("item %d GUID = %q, want %q", i, it.GUID, tt.guids[i])
				}
				switch {
				case tt.published == nil && (it.Published.IsZero() || it.Published.Location() != time.UTC):
					t.Errorf("item %d Published = %v, want a UTC time", i, it.Published)
				case tt.published != nil && it.Published != tt.published[i]:
					t.Errorf("item %d Published = %v, want %v", i, it.Published, tt.published[i])
				}
			}
		})
	}
}

func TestParseFixtureDetails(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		index int
		check func(t *testing.T, it aggregator.Item)
	}{
		{"atom html summary, categories, tag id", "korea-desk.atom", 1, func(t *testing.T, it aggregator.Item) {
			if it.GUID != "tag:korea-desk.example,2023:kim-train-russia" {
				t.Errorf("GUID = %q", it.GUID)
			}
			if !strings.HasPrefix(it.Summary, "<p>North Korean leader <b>Kim Jong Un</b> left Pyongyang") {
				t.Errorf("Summary = %q, want decoded HTML", it.Summary)
			}
			if want := []string{"North Korea", "Russia"}; !reflect.DeepEqual(it.Categories, want) {
				t.Errorf("Categories = %q, want %q", it.Categories, want)
			}
			if it.Author != "Korea Desk staff" {
				t.Errorf("Author = %q, want the feed's author", it.Author)
			}
			wantPub := time.Date(2023, 9, 12, 5, 20, 0, 0, time.UTC)
			wantUpd := time.Date(2023, 9, 12, 7, 45, 0, 0, time.UTC)
			if !it.Published.Equal(wantPub) || !it.Updated.Equal(wantUpd) {
				t.Errorf("Published, Updated = %v, %v; want %v, %v", it.Published, it.Updated, wantPub, wantUpd)
			}
		}},
		{"hostile content:encoded", "world-wire.rss", 0, func(t *testing.T, it aggregator.Item) {
			for _, bad := range []string{"<script", "document.write", "onerror", "alert(", "tracking pixel"} {
				if strings.Contains(it.Content, bad) {
					t.Errorf("Content contains %q:\n%s", bad, it.Content)
				}
			}
			for _, good := range []string{
				"<p>Kim Jong-un is on his way to Russia on his armoured train",
				"<p>Mr Kim, who prefers trains to planes",
				`<img src="https://worldwire.example/img/kim-train.jpg"`,
			} {
				if !strings.Contains(it.Content, good) {
					t.Errorf("Content lacks %q:\n%s", good, it.Content)
				}
			}
			if !strings.HasPrefix(it.Summary, "Pyongyang says its leader set off") {
				t.Errorf("Summary = %q", it.Summary)
			}
			if it.Author != "World Wire Asia desk" {
				t.Errorf("Author = %q (dc:creator)", it.Author)
			}
			if want := []string{"Asia"}; !reflect.DeepEqual(it.Categories, want) {
				t.Errorf("Categories = %q, want %q", it.Categories, want)
			}
			if want := time.Date(2023, 9, 12, 6, 31, 0, 0, time.UTC); !it.Published.Equal(want) {
				t.Errorf("Published = %v, want %v", it.Published, want)
			}
			if !it.Updated.IsZero() {
				t.Errorf("Updated = %v, want zero", it.Updated)
			}
		}},
		{"offset date to UTC, permalink guid", "daily-ledger.rss", 0, func(t *testing.T, it aggregator.Item) {
			want := time.Date(2023, 9, 12, 6, 2, 0, 0, time.UTC)
			if !it.Published.Equal(want) || it.Published.Location() != time.UTC {
				t.Errorf("Published = %v, want %v", it.Published, want)
			}
			if it.GUID != it.Link {
				t.Errorf("GUID = %q, want the permalink %q", it.GUID, it.Link)
			}
		}},
		{"json feed", "newsroom.json", 0, func(t *testing.T, it aggregator.Item) {
			if it.Author != "Newsroom Global" {
				t.Errorf("Author = %q", it.Author)
			}
			if want := []string{"Russia", "North Korea", "Ukraine war"}; !reflect.DeepEqual(it.Categories, want) {
				t.Errorf("Categories = %q, want %q", it.Categories, want)
			}
			if !strings.HasPrefix(it.Content, "<p>Russia confirmed") || !strings.HasSuffix(it.Content, "technology.</p>") {
				t.Errorf("Content = %q", it.Content)
			}
		}},
		{"windows-1252 description", "pacific-observer.rss", 0, func(t *testing.T, it aggregator.Item) {
			for _, want := range []string{"North Korea\u2019s leader", "confirmed \u2013 a trip", "\u201cbegging\u201d"} {
				if !strings.Contains(it.Summary, want) {
					t.Errorf("Summary lacks %q: %q", want, it.Summary)
				}
			}
		}},
		{"windows-1252 pound and euro", "pacific-observer.rss", 1, func(t *testing.T, it aggregator.Item) {
			if !strings.Contains(it.Summary, "the \u00a3 and \u20ac were little changed") {
				t.Errorf("Summary = %q", it.Summary)
			}
			if strings.ContainsRune(it.Summary, '\uFFFD') {
				t.Errorf("Summary has replacement characters: %q", it.Summary)
			}
		}},
		{"rss 0.91 latin-1 text", "testdata/rss091.xml", 1, func(t *testing.T, it aggregator.Item) {
			if want := "The Quayside Café took the regional prize for its fish soup"; !strings.HasPrefix(it.Summary, want) {
				t.Errorf("Summary = %q, want it to start %q", it.Summary, want)
			}
			if it.Author != "Ann Editor" {
				t.Errorf("Author = %q, want the managing editor", it.Author)
			}
		}},
		{"rss 0.92 entity-encoded html, category", "testdata/rss092.xml", 0, func(t *testing.T, it aggregator.Item) {
			want := `<p>Forty gallons of juice from the <a href="http://orchard-notes.example/trees/kingston-black" rel="nofollow">Kingston Black</a> tree this year, &amp; more to come.</p>`
			if it.Summary != want {
				t.Errorf("Summary = %q, want %q", it.Summary, want)
			}
			if want := []string{"Cider"}; !reflect.DeepEqual(it.Categories, want) {
				t.Errorf("Categories = %q, want %q", it.Categories, want)
			}
		}},
		{"rss 0.92 untitled item", "testdata/rss092.xml", 1, func(t *testing.T, it aggregator.Item) {
			if want := "<p>Frost forecast tonight: the late pears are wrapped in fleece.</p>"; it.Summary != want {
				t.Errorf("Summary = %q, want %q", it.Summary, want)
			}
		}},
		{"rss 1.0 content:encoded and dublin core", "testdata/rss10.rdf", 0, func(t *testing.T, it aggregator.Item) {
			if want := "The gauge at Mill Weir read 2.14 m at 17:00, the highest since January."; it.Summary != want {
				t.Errorf("Summary = %q, want %q", it.Summary, want)
			}
			for _, want := range []string{"<p>The gauge at <b>Mill Weir</b> read 2.14", `<img src="https://river-survey.example/img/weir.jpg" alt="Mill Weir">`} {
				if !strings.Contains(it.Content, want) {
					t.Errorf("Content lacks %q: %q", want, it.Content)
				}
			}
			if it.Author != "J. Fisher" {
				t.Errorf("Author = %q, want dc:creator", it.Author)
			}
			if want := []string{"Water levels"}; !reflect.DeepEqual(it.Categories, want) {
				t.Errorf("Categories = %q, want dc:subject %q", it.Categories, want)
			}
		}},
		{"atom 0.3 escaped content, issued and modified", "testdata/atom03.xml", 0, func(t *testing.T, it aggregator.Item) {
			if want := "Up to sixty meteors an hour expected after midnight."; it.Summary != want {
				t.Errorf("Summary = %q, want %q", it.Summary, want)
			}
			want := `<p>Up to <em>sixty</em> meteors an hour are expected after midnight. <a href="http://nightsky.example/archives/2005/08/radiant.html" rel="nofollow">Where to look</a>.</p>`
			if it.Content != want {
				t.Errorf("Content = %q, want %q", it.Content, want)
			}
			if want := time.Date(2005, 8, 12, 22, 40, 11, 0, time.UTC); !it.Updated.Equal(want) {
				t.Errorf("Updated = %v, want %v", it.Updated, want)
			}
			if it.Author != "Ruth Observer" {
				t.Errorf("Author = %q, want the feed's author", it.Author)
			}
		}},
		{"atom 0.3 inline xhtml content, entry author", "testdata/atom03.xml", 1, func(t *testing.T, it aggregator.Item) {
			if want := "<p>The hydrogen-alpha filter arrived; first light on Saturday.</p>"; it.Content != want {
				t.Errorf("Content = %q, want %q", it.Content, want)
			}
			if it.Author != "Tom Lens" {
				t.Errorf("Author = %q, want the entry's author", it.Author)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parseFixture(t, tt.file)
			if tt.index >= len(res.Items) {
				t.Fatalf("only %d items", len(res.Items))
			}
			tt.check(t, res.Items[tt.index])
		})
	}
}

// TestParseFixtureHints: what the older formats say about polling them
// and their language comes through.
func TestParseFixtureHints(t *testing.T) {
	tests := []struct {
		file      string
		language  string
		ttl       time.Duration
		skipHours []int
	}{
		{"testdata/rss091.xml", "en-gb", 0, []int{1, 2, 3}},
		{"testdata/rss092.xml", "en-us", 0, nil},
		{"testdata/rss10.rdf", "en", 30 * time.Minute, nil}, // sy: twice hourly
		{"testdata/atom03.xml", "en", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res := parseFixture(t, tt.file)
			if res.Language != tt.language || res.TTL != tt.ttl || !slices.Equal(res.SkipHours, tt.skipHours) {
				t.Errorf("Language, TTL, SkipHours = %q, %v, %v; want %q, %v, %v",
					res.Language, res.TTL, res.SkipHours, tt.language, tt.ttl, tt.skipHours)
			}
		})
	}
}

func TestParseRelativeLinks(t *testing.T) {
	tests := []struct {
		name        string
		doc         string
		base        string
		wantSite    string
		wantLink    string
		wantContent []string
	}{
		{
			name: "against the feed's link",
			doc: `<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>
<link>https://blog.example/journal/</link>
<item><title>One</title><link>posts/1</link>
<description><![CDATA[<p><a href="/about">about</a> <img src="img/a.png"> <a href="https://other.example/x?utm_source=y">abs</a> <a href="#fn1">note</a></p>]]></description>
</item></channel></rss>`,
			base:     "https://feeds.example/blog.xml",
			wantSite: "https://blog.example/journal/",
			wantLink: "https://blog.example/journal/posts/1",
			wantContent: []string{
				`href="https://blog.example/about"`,
				`src="https://blog.example/journal/posts/img/a.png"`,
				`href="https://other.example/x?utm_source=y"`,
				`href="https://blog.example/journal/posts/1#fn1"`,
			},
		},
		{
			name: "relative feed link against base",
			doc: `<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>
<link>/site/</link>
<item><title>One</title><link>p/1</link><description><![CDATA[<img src="i.png">]]></description></item></channel></rss>`,
			base:        "https://feeds.example/x/blog.xml",
			wantSite:    "https://feeds.example/site/",
			wantLink:    "https://feeds.example/site/p/1",
			wantContent: []string{`src="https://feeds.example/site/p/i.png"`},
		},
		{
			name: "no feed link: against base",
			doc: `<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>
<item><title>One</title><link> ../p/1 </link></item></channel></rss>`,
			base:     "https://feeds.example/x/blog.xml",
			wantSite: "",
			wantLink: "https://feeds.example/p/1",
		},
		{
			name: "atom entry without alternate link uses its first link",
			doc: `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id>
<link href="https://atom.example/blog/"/>
<entry><title>E</title><id>urn:e</id><link rel="self" href="entries/e"/><updated>2023-09-12T00:00:00Z</updated></entry></feed>`,
			base:     "https://feeds.example/a.atom",
			wantSite: "https://atom.example/blog/",
			wantLink: "https://atom.example/blog/entries/e",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := parseClean(strings.NewReader(tt.doc), tt.base)
			if err != nil {
				t.Fatal(err)
			}
			if res.SiteURL != tt.wantSite {
				t.Errorf("SiteURL = %q, want %q", res.SiteURL, tt.wantSite)
			}
			if len(res.Items) != 1 {
				t.Fatalf("got %d items, want 1", len(res.Items))
			}
			it := res.Items[0]
			if it.Link != tt.wantLink {
				t.Errorf("Link = %q, want %q", it.Link, tt.wantLink)
			}
			for _, want := range tt.wantContent {
				if !strings.Contains(it.Summary, want) {
					t.Errorf("Summary lacks %s:\n%s", want, it.Summary)
				}
			}
		})
	}
}

func TestParseItemFields(t *testing.T) {
	const doc = `<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title><![CDATA[Kim&#039;s <i>Blog</i>]]></title><link>https://k.example/</link>
<item>
  <title><![CDATA[Kim&#039;s   train]]></title>
  <guid>  g-1  </guid>
  <link>https://k.example/1</link>
  <description>Fish &amp; chips &lt; 3 for two</description>
  <category>Asia</category><category> asia </category><category>  </category><category>Europe</category><category>ASIA</category>
</item>
<item>
  <title><![CDATA[Tom &amp;amp; <b>Jerry</b>]]></title>
  <link>https://k.example/2</link>
  <description><![CDATA[<p onclick="x()">Hi<iframe src="https://evil.example/"></iframe><object data="x.swf"></object>
<a href="javascript:alert(1)">js</a><img src="data:image/png;base64,AAAA"><a href="https://ok.example/">ok</a></p>]]></description>
  <content:encoded><![CDATA[<p onclick="x()">Hi<iframe src="https://evil.example/"></iframe><object data="x.swf"></object>
<a href="javascript:alert(1)">js</a><img src="data:image/png;base64,AAAA"><a href="https://ok.example/">ok</a></p>]]></content:encoded>
  <author>jane@k.example (Jane Doe)</author>
  <dc:creator>Someone Else</dc:creator>
</item>
<item>
  <title></title>
  <link>https://k.example/3</link>
  <dc:creator>  Dee   Cee </dc:creator>
</item>
</channel></rss>`
	res, err := parseClean(strings.NewReader(doc), "https://feeds.example/k.xml")
	if err != nil {
		t.Fatal(err)
	}
	if res.Title != "Kim's Blog" {
		t.Errorf("feed Title = %q", res.Title)
	}
	if len(res.Items) != 3 {
		t.Fatalf("got %d items", len(res.Items))
	}
	first, second, third := res.Items[0], res.Items[1], res.Items[2]

	t.Run("title decoded once", func(t *testing.T) {
		if first.Title != "Kim's train" {
			t.Errorf("Title = %q, want %q", first.Title, "Kim's train")
		}
		// CDATA hands "Tom &amp;amp; <b>Jerry</b>" through; one decode leaves "&amp;".
		if second.Title != "Tom &amp; Jerry" {
			t.Errorf("Title = %q, want %q", second.Title, "Tom &amp; Jerry")
		}
		if third.Title != "" {
			t.Errorf("Title = %q, want empty", third.Title)
		}
	})
	t.Run("guid trimmed", func(t *testing.T) {
		if first.GUID != "g-1" {
			t.Errorf("GUID = %q", first.GUID)
		}
	})
	t.Run("plain text summary escaped", func(t *testing.T) {
		if first.Summary != "Fish &amp; chips &lt; 3 for two" {
			t.Errorf("Summary = %q", first.Summary)
		}
	})
	t.Run("categories", func(t *testing.T) {
		if want := []string{"Asia", "Europe"}; !reflect.DeepEqual(first.Categories, want) {
			t.Errorf("Categories = %q, want %q", first.Categories, want)
		}
	})
	t.Run("sanitised", func(t *testing.T) {
		for name, s := range map[string]string{"Summary": second.Summary, "Content": second.Content} {
			for _, bad := range []string{"onclick", "<iframe", "evil.example", "<object", "x.swf", "javascript:", "data:"} {
				if strings.Contains(s, bad) {
					t.Errorf("%s contains %q: %s", name, bad, s)
				}
			}
			if !strings.Contains(s, `<a href="https://ok.example/" rel="nofollow">ok</a>`) || !strings.HasPrefix(s, "<p>Hi") {
				t.Errorf("%s lost safe markup: %s", name, s)
			}
		}
		if second.Summary != second.Content {
			t.Errorf("identical inputs sanitised differently:\n%s\n%s", second.Summary, second.Content)
		}
	})
	t.Run("author", func(t *testing.T) {
		if second.Author != "Jane Doe" {
			t.Errorf("Author = %q, want Jane Doe", second.Author)
		}
		if third.Author != "Dee Cee" {
			t.Errorf("Author = %q, want dc:creator Dee Cee", third.Author)
		}
		if first.Author != "" {
			t.Errorf("Author = %q, want empty", first.Author)
		}
	})
	t.Run("no dates", func(t *testing.T) {
		if !first.Published.IsZero() || !first.Updated.IsZero() {
			t.Errorf("Published, Updated = %v, %v; want zero", first.Published, first.Updated)
		}
	})
}

func TestParseDatesUTC(t *testing.T) {
	want := time.Date(2023, 9, 12, 5, 20, 0, 0, time.UTC)
	tests := []struct{ name, doc string }{
		{"atom", `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id>
<entry><title>E</title><id>urn:e</id><published>2023-09-12T14:20:00+09:00</published><updated>2023-09-12T14:20:00+09:00</updated></entry></feed>`},
		{"rss", `<rss version="2.0"><channel><title>R</title><item><title>E</title><pubDate>Tue, 12 Sep 2023 14:20:00 +0900</pubDate></item></channel></rss>`},
		{"json", `{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","title":"E","date_published":"2023-09-12T14:20:00+09:00","date_modified":"2023-09-12T14:20:00+09:00"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Parse(strings.NewReader(tt.doc), "https://feeds.example/")
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Items) != 1 {
				t.Fatalf("got %d items", len(res.Items))
			}
			it := res.Items[0]
			if it.Published != want {
				t.Errorf("Published = %v (%v), want %v in UTC", it.Published, it.Published.Location(), want)
			}
			if !it.Updated.IsZero() && it.Updated != want {
				t.Errorf("Updated = %v (%v), want %v in UTC", it.Updated, it.Updated.Location(), want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
	}{
		{"garbage", "this is not a feed at all"},
		{"html page", "<!doctype html><html><body><p>hello</p></body></html>"},
		{"empty", ""},
		{"broken json", `{"version": "https://jsonfeed.org/version/1.1", "items": [`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Parse(strings.NewReader(tt.doc), "https://feeds.example/x")
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", res)
			}
			if !strings.HasPrefix(err.Error(), "parse feed: ") {
				t.Errorf("error %q lacks the parse feed context", err)
			}
		})
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Kim&#039;s train", "Kim's train"},
		{"&amp;amp;", "&amp;"},
		{"  a\n\t b\u00a0 c  ", "a b c"},
		{"a <b>bold</b> move", "a bold move"},
		{"<p>one</p><p>two</p>", "one two"},
		{"line<br>break", "line break"},
		{"Tom &amp; <script>alert(1)</script>Jerry<style>p{}</style>", "Tom & Jerry"},
		{"a < b", "a < b"},
		{"x <y", "x <y"},
		{"AT&T", "AT&T"},
		{"", ""},
		{"Invoice\u202Efdp.exe", "Invoicefdp.exe"},
		{"a\u202A\u202B\u202C\u202D b\u2066\u2067\u2068\u2069", "a b"},
		{"hid\u200Bden \u200C\u200D\u2060\uFEFF text", "hidden text"},
		{"<b>x</b>&#x202E;y &#8203; z", "xy z"},
		{"\u200E\u200F marks stay", "\u200E\u200F marks stay"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := plainText(tt.in); got != tt.want {
				t.Errorf("plainText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestShorten(t *testing.T) {
	const max = 20
	tests := []struct{ name, in, want string }{
		{"short", "a short title", "a short title"},
		{"exactly max", strings.Repeat("x", max), strings.Repeat("x", max)},
		{"at the end of a word", "one two three four five six", "one two three four…"},
		{"a word ends at the cut", "one two three fours x", "one two three fours…"},
		{"one long word", "a " + strings.Repeat("y", 30), "a " + strings.Repeat("y", max-3) + "…"},
		{"no spaces", strings.Repeat("北", 30), strings.Repeat("北", max-1) + "…"},
		{"runes, not bytes", "é" + strings.Repeat("ü", 19), "é" + strings.Repeat("ü", 19)},
		{"emoji", strings.Repeat("😀", 25), strings.Repeat("😀", max-1) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := shorten(tt.in, max)
			if got != tt.want {
				t.Errorf("shorten(%q, %d) = %q, want %q", tt.in, max, got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > max || !utf8.ValidString(got) {
				t.Errorf("shorten(%q, %d) = %q: %d characters, valid UTF-8 %v", tt.in, max, got, n, utf8.ValidString(got))
			}
		})
	}
}

// Titles and names are plain text without invisible characters, at most
// MaxTitle characters long.
func TestParseTitles(t *testing.T) {
	long := strings.Repeat("word ", MaxTitle)
	doc := `<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>` +
		"<title>Evil\u202E deef\uFEFF " + long + "</title><link>https://k.example/</link>" +
		"<item><title>Invoice\u202Efdp.exe &#x2066;x</title><link>https://k.example/1</link>" +
		"<author>a@k.example (Ann\u200B Author)</author></item>" +
		"<item><title>" + long + "</title><link>https://k.example/2</link><dc:creator>" + long + "</dc:creator></item>" +
		`</channel></rss>`
	res, err := Parse(strings.NewReader(doc), "https://k.example/feed")
	if err != nil {
		t.Fatal(err)
	}
	cut := strings.TrimSpace(long[:MaxTitle-1]) + "…"
	if want := shorten("Evil deef "+strings.TrimSpace(long), MaxTitle); res.Title != want {
		t.Errorf("feed Title = %.60q…, want %.60q…", res.Title, want)
	}
	if len(res.Items) != 2 {
		t.Fatalf("%d items, want 2", len(res.Items))
	}
	for _, c := range []struct{ field, got, want string }{
		{"Title", res.Items[0].Title, "Invoicefdp.exe x"},
		{"Author", res.Items[0].Author, "Ann Author"},
		{"long Title", res.Items[1].Title, cut},
		{"long Author", res.Items[1].Author, cut},
	} {
		if c.got != c.want {
			t.Errorf("%s = %.60q…, want %.60q…", c.field, c.got, c.want)
		}
	}
}

// TestParseConcurrent parses and sanitises from many goroutines; with -race it checks
// that the shared sanitising policy and gofeed are safe to use concurrently.
func TestParseConcurrent(t *testing.T) {
	data := readFixture(t, "world-wire.rss")
	want := parseFixture(t, "world-wire.rss")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			res, err := parseClean(bytes.NewReader(data), "https://feeds.example/world-wire.rss")
			if err != nil {
				errs <- err
				return
			}
			if !reflect.DeepEqual(res, want) {
				t.Error("concurrent Parse gave a different result")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func BenchmarkParse(b *testing.B) {
	data := readFixture(b, "world-wire.rss")
	items := 0
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		res, err := Parse(bytes.NewReader(data), "https://worldwire.example/rss/top.xml")
		if err != nil {
			b.Fatal(err)
		}
		items += len(res.Items)
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
}

func TestParseLanguage(t *testing.T) {
	f, err := os.Open("../testdata/kim/world-wire.rss")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := Parse(f, "https://worldwire.example/rss/top.xml")
	if err != nil {
		t.Fatal(err)
	}
	if res.Language != "en-gb" {
		t.Errorf("Language = %q, want en-gb", res.Language)
	}
}
