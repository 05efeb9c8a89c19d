package publish

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"flag"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"aggregator"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Errorf("%s differs from the output (go test -update rewrites it); first at line %d:\n got: %s\nwant: %s", path, i+1, gl, wl)
			return
		}
	}
}

var (
	koreaDesk = aggregator.Feed{ID: 1, URL: "https://korea-desk.example/atom.xml", Name: "Korea Desk", Title: "KD",
		SiteURL: "https://korea-desk.example/", AtomID: "tag:korea-desk.example,2023:feed"}
	worldWire = aggregator.Feed{ID: 2, URL: "https://world-wire.example/rss", Title: "World Wire",
		SiteURL: "https://world-wire.example/"}
	notes = aggregator.Feed{ID: 3, URL: "file:///srv/feeds/notes.xml"}
)

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// testEntries are entries as the store returns them: newest published first.
// The newest update is not the first entry's.
func testEntries() []aggregator.Entry {
	return []aggregator.Entry{{
		ID: aggregator.EntryID("url:korea-desk.example/2023/09/12/kim-train"),
		Item: aggregator.Item{
			GUID:       "tag:korea-desk.example,2023:kim-train",
			Link:       "https://korea-desk.example/2023/09/12/kim-train",
			Title:      "Kim Jong Un leaves for Russia by armoured train",
			Summary:    `<p>North Korea’s leader is <b>heading</b> to Russia &amp; a summit with <a href="https://example.org/putin">Putin</a>.</p>`,
			Content:    "<p>Full text of the report.</p>",
			Author:     "Min-ji Park",
			Categories: []string{"North Korea", "Russia", "Diplomacy"},
		},
		Published: date("2023-09-12T06:00:00Z"),
		Updated:   date("2023-09-12T07:00:00Z"),
		Sources: []aggregator.Source{
			{Feed: koreaDesk, Link: "https://korea-desk.example/2023/09/12/kim-train"},
			{Feed: worldWire, Link: "https://world-wire.example/kim?id=7"},
		},
	}, {
		ID: aggregator.EntryID("url:world-wire.example/vostochny"),
		Item: aggregator.Item{
			Link:    "https://world-wire.example/vostochny",
			Summary: "<p>Putin &amp; Kim <em>meet</em>\n  at the Vostochny cosmodrome</p>",
		},
		Published: date("2023-09-12T05:00:00Z"),
		Updated:   date("2023-09-13T09:30:00Z"),
		Sources:   []aggregator.Source{{Feed: worldWire, Link: "https://world-wire.example/vostochny"}},
	}, {
		ID: aggregator.EntryID("guid:file:///srv/feeds/notes.xml note-1"),
		Item: aggregator.Item{
			GUID:    "note-1",
			Title:   "Note without a link",
			Summary: "<p>Trains, not planes.</p>",
		},
		Published: date("2023-09-11T22:00:00+09:00"),
		Updated:   date("2023-09-11T22:00:00+09:00"),
		Sources:   []aggregator.Source{{Feed: notes}},
	}}
}

const (
	testSelf = "https://agg.example/feeds/all.atom"
	testHome = "https://agg.example/"
)

var allOutput = Output{Name: "all", Title: "All news"}

func TestAtomGolden(t *testing.T) {
	got, err := Atom(allOutput, testEntries(), testSelf, testHome)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "all.atom", got)
}

// The decoded form of what Atom writes.
type (
	xFeed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Title   string   `xml:"title"`
		Updated string   `xml:"updated"`
		Author  xPerson  `xml:"author"`
		Links   []xLink  `xml:"link"`
		Entries []xEntry `xml:"entry"`
	}
	xLink struct {
		Href  string `xml:"href,attr"`
		Rel   string `xml:"rel,attr"`
		Type  string `xml:"type,attr"`
		Title string `xml:"title,attr"`
	}
	xPerson struct {
		Name string `xml:"name"`
		URI  string `xml:"uri"`
	}
	xText struct {
		Type string `xml:"type,attr"`
		Text string `xml:",chardata"`
	}
	xEntry struct {
		ID         string  `xml:"id"`
		Title      string  `xml:"title"`
		Updated    string  `xml:"updated"`
		Published  string  `xml:"published"`
		Author     xPerson `xml:"author"`
		Links      []xLink `xml:"link"`
		Summary    *xText  `xml:"summary"`
		Content    *xText  `xml:"content"`
		Categories []struct {
			Term  string `xml:"term,attr"`
			Label string `xml:"label,attr"`
		} `xml:"category"`
		Source struct {
			ID    string  `xml:"id"`
			Title string  `xml:"title"`
			Links []xLink `xml:"link"`
		} `xml:"source"`
	}
)

func decodeAtom(t *testing.T, b []byte) xFeed {
	t.Helper()
	if !bytes.HasPrefix(b, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Errorf("output does not start with an XML declaration: %.60q", b)
	}
	var f xFeed
	if err := xml.Unmarshal(b, &f); err != nil {
		t.Fatalf("decode: %v\n%s", err, b)
	}
	return f
}

func linksWithRel(links []xLink, rel string) []xLink {
	var out []xLink
	for _, l := range links {
		if l.Rel == rel {
			out = append(out, l)
		}
	}
	return out
}

func TestAtomFeed(t *testing.T) {
	tests := []struct {
		name        string
		entries     []aggregator.Entry
		wantUpdated string
	}{
		{"entries", testEntries(), "2023-09-13T09:30:00Z"},
		{"one entry", testEntries()[:1], "2023-09-12T07:00:00Z"},
		{"zoned", testEntries()[2:], "2023-09-11T13:00:00Z"},
		{"no entries", nil, "1970-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Atom(allOutput, tt.entries, testSelf, testHome)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Atom(allOutput, tt.entries, testSelf, testHome)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, again) {
				t.Errorf("two renderings differ:\n%s\n---\n%s", out, again)
			}
			f := decodeAtom(t, out)
			if f.Updated != tt.wantUpdated {
				t.Errorf("updated = %q, want %q", f.Updated, tt.wantUpdated)
			}
			if _, err := time.Parse(time.RFC3339, f.Updated); err != nil {
				t.Errorf("updated: %v", err)
			}
			if self := linksWithRel(f.Links, "self"); len(self) != 1 || self[0].Href != testSelf || self[0].Type != "application/atom+xml" {
				t.Errorf("self links = %+v, want one to %s", self, testSelf)
			}
			base := strings.TrimSuffix(testSelf, ".atom")
			wantAlt := []xLink{
				{Rel: "alternate", Type: "text/html", Href: testHome},
				{Rel: "alternate", Type: "application/rss+xml", Href: base + ".rss"},
				{Rel: "alternate", Type: "application/feed+json", Href: base + ".json"},
			}
			if alt := linksWithRel(f.Links, "alternate"); !slices.Equal(alt, wantAlt) {
				t.Errorf("alternate links = %+v\nwant %+v", alt, wantAlt)
			}
			if want := aggregator.EntryID("output " + testSelf); f.ID != want {
				t.Errorf("id = %q, want %q", f.ID, want)
			}
			if f.Title != "All news" || f.Author.Name != "All news" || f.Author.URI != testHome {
				t.Errorf("title %q author %+v", f.Title, f.Author)
			}
			if len(f.Entries) != len(tt.entries) {
				t.Fatalf("%d entries, want %d", len(f.Entries), len(tt.entries))
			}
			for i, e := range f.Entries {
				if e.ID != tt.entries[i].ID {
					t.Errorf("entry %d: id %q, want %q", i, e.ID, tt.entries[i].ID)
				}
			}
		})
	}
}

func TestAtomEntries(t *testing.T) {
	out, err := Atom(allOutput, testEntries(), testSelf, testHome)
	if err != nil {
		t.Fatal(err)
	}
	f := decodeAtom(t, out)
	if len(f.Entries) != 3 {
		t.Fatalf("%d entries, want 3", len(f.Entries))
	}

	t.Run("full entry", func(t *testing.T) {
		e, in := f.Entries[0], testEntries()[0]
		if e.Title != in.Item.Title || e.Published != "2023-09-12T06:00:00Z" || e.Updated != "2023-09-12T07:00:00Z" {
			t.Errorf("title %q published %q updated %q", e.Title, e.Published, e.Updated)
		}
		if e.Author.Name != "Min-ji Park" {
			t.Errorf("author = %q", e.Author.Name)
		}
		var terms []string
		for _, c := range e.Categories {
			terms = append(terms, c.Term)
		}
		if !slices.Equal(terms, in.Item.Categories) {
			t.Errorf("categories = %q, want %q", terms, in.Item.Categories)
		}
		wantLinks := []xLink{
			{Rel: "alternate", Type: "text/html", Href: in.Item.Link},
			{Rel: "related", Href: "https://world-wire.example/kim?id=7", Title: "World Wire"},
		}
		if !slices.Equal(e.Links, wantLinks) {
			t.Errorf("links = %+v\nwant    %+v", e.Links, wantLinks)
		}
		if e.Summary == nil || e.Summary.Type != "html" || e.Summary.Text != in.Item.Summary {
			t.Errorf("summary = %+v, want the HTML as type=html text", e.Summary)
		}
		wantContent := in.Item.Content + `<p class="outlets">Reported by ` +
			`<a href="https://korea-desk.example/2023/09/12/kim-train">Korea Desk</a> and ` +
			`<a href="https://world-wire.example/kim?id=7">World Wire</a>.</p>`
		if e.Content == nil || e.Content.Type != "html" || e.Content.Text != wantContent {
			t.Errorf("content = %+v\nwant text %s", e.Content, wantContent)
		}
		src := e.Source
		wantSrc := []xLink{
			{Rel: "alternate", Type: "text/html", Href: "https://korea-desk.example/"},
			{Rel: "self", Href: "https://korea-desk.example/atom.xml"},
		}
		if src.ID != koreaDesk.AtomID || src.Title != "Korea Desk" || !slices.Equal(src.Links, wantSrc) {
			t.Errorf("source = %+v", src)
		}
	})

	t.Run("entry without a title", func(t *testing.T) {
		e := f.Entries[1]
		if want := "Putin & Kim meet at the Vostochny cosmodrome"; e.Title != want {
			t.Errorf("title = %q, want %q", e.Title, want)
		}
		if e.Content != nil {
			t.Errorf("content = %+v, want none for an entry with a link and no content", e.Content)
		}
		if e.Author.Name != "World Wire" {
			t.Errorf("author = %q, want the feed's name", e.Author.Name)
		}
		if len(e.Categories) != 0 {
			t.Errorf("categories = %+v, want none", e.Categories)
		}
	})

	t.Run("entry without a link", func(t *testing.T) {
		e := f.Entries[2]
		if len(e.Links) != 0 {
			t.Errorf("links = %+v, want none", e.Links)
		}
		if e.Content == nil || e.Content.Type != "html" || e.Content.Text != "<p>Trains, not planes.</p>" {
			t.Errorf("content = %+v, want the summary", e.Content)
		}
		if e.Published != "2023-09-11T13:00:00Z" {
			t.Errorf("published = %q, want it in UTC", e.Published)
		}
		if src := e.Source; src.ID != "file:notes.xml" || src.Title != "file:notes.xml" || len(src.Links) != 0 {
			t.Errorf("source = %+v, want the file's name as id and title (not its path), and no links", src)
		}
	})
}

func TestEntryTitle(t *testing.T) {
	long := "The talks at the Vostochny cosmodrome lasted four hours and were followed by a dinner, state media said"
	tests := []struct {
		name string
		item aggregator.Item
		want string
	}{
		{"title", aggregator.Item{Title: "Given", Summary: "Not this"}, "Given"},
		{"from summary and content", aggregator.Item{Summary: "<p>One &lt;two&gt;</p>", Content: "<div>three\n\tfour</div>"}, "One <two> three four"},
		{"nothing", aggregator.Item{Summary: "<img src=x>"}, "Untitled"},
		{"long text cut at a word", aggregator.Item{Summary: long},
			"The talks at the Vostochny cosmodrome lasted four hours and were followed by a…"},
		{"long word cut", aggregator.Item{Summary: strings.Repeat("x", 100)}, strings.Repeat("x", 80) + "…"},
		{"exactly the limit", aggregator.Item{Summary: strings.Repeat("é", 80)}, strings.Repeat("é", 80)},
		{"wide runes are counted as runes", aggregator.Item{Summary: strings.Repeat("김", 20) + " " + strings.Repeat("정", 100)},
			strings.Repeat("김", 20) + " " + strings.Repeat("정", 59) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := entryTitle(tt.item); got != tt.want {
				t.Errorf("entryTitle = %q, want %q", got, tt.want)
			}
		})
	}
}

// fakeSource gives fixed entries, and records the limits it is asked for.
type fakeSource struct {
	entries []aggregator.Entry
	err     error
	limits  *[]int
}

var _ EntrySource = fakeSource{}

func (f fakeSource) Entries(_ context.Context, limit int, keep func(aggregator.Entry) bool) ([]aggregator.Entry, error) {
	if f.limits != nil {
		*f.limits = append(*f.limits, limit)
	}
	if f.err != nil {
		return nil, f.err
	}
	var out []aggregator.Entry
	for _, e := range f.entries {
		if len(out) < limit && (keep == nil || keep(e)) {
			out = append(out, e)
		}
	}
	return out, nil
}

const scriptTitle = `<script>alert(1)</script>`

// buildEntries are testEntries and a hostile one.
func buildEntries() []aggregator.Entry {
	return append(testEntries(), aggregator.Entry{
		ID:        aggregator.EntryID("hostile"),
		Item:      aggregator.Item{Title: scriptTitle, Link: "javascript:alert(2)"},
		Published: date("2023-09-01T00:00:00Z"),
		Updated:   date("2023-09-01T00:00:00Z"),
		Sources:   []aggregator.Source{{Feed: worldWire, Link: "javascript:alert(3)"}},
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// indexFacts is what a reader of the index page sees.
type indexFacts struct {
	feedLinks []string // href of each <link rel=alternate type=application/atom+xml>
	titles    []string // text of each entry title
}

func parseIndex(t *testing.T, body []byte) indexFacts {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var facts indexFacts
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		attr := map[string]string{}
		for _, a := range n.Attr {
			attr[a.Key] = a.Val
		}
		switch {
		case n.Data == "link" && attr["rel"] == "alternate" && attr["type"] == "application/atom+xml":
			facts.feedLinks = append(facts.feedLinks, attr["href"])
		case attr["class"] == "title":
			var text strings.Builder
			for c := range n.Descendants() {
				if c.Type == html.TextNode {
					text.WriteString(c.Data)
				}
			}
			facts.titles = append(facts.titles, text.String())
		}
	}
	return facts
}

func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

func TestBuild(t *testing.T) {
	ctx := context.Background()
	entries := buildEntries()
	allTitles := []string{"Kim Jong Un leaves for Russia by armoured train", "Putin & Kim meet at the Vostochny cosmodrome",
		"Note without a link", scriptTitle}
	outputs := []Output{allOutput, {Name: "top", Title: "Top <stories>", Limit: 1}}

	tests := []struct {
		name      string
		base      string
		feedDir   string
		wantFiles map[string]string // path: self link of the feed, or "" for the index
	}{
		{"daemon", "https://agg.example/news/", "feeds/", map[string]string{
			"feeds/all.atom": "https://agg.example/news/feeds/all.atom",
			"feeds/top.atom": "https://agg.example/news/feeds/top.atom",
			"feeds/all.rss":  "", "feeds/all.json": "", "feeds/top.rss": "", "feeds/top.json": "",
			"index.html": "",
		}},
		{"files", "https://static.example/", "", map[string]string{
			"all.atom": "https://static.example/all.atom",
			"top.atom": "https://static.example/top.atom",
			"all.rss":  "", "all.json": "", "top.rss": "", "top.json": "",
			"index.html": "",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var limits []int
			p := &Publisher{Outputs: outputs, BaseURL: mustURL(tt.base), FeedDir: tt.feedDir}
			site, err := p.Build(ctx, fakeSource{entries: entries, limits: &limits})
			if err != nil {
				t.Fatal(err)
			}
			// The newest entry of all dates an output with none.
			if !slices.Equal(limits, []int{1, DefaultLimit, 1}) {
				t.Errorf("limits asked = %v, want [1 %d 1]", limits, DefaultLimit)
			}
			var names []string
			for name := range site.Files {
				names = append(names, name)
			}
			slices.Sort(names)
			var wantNames []string
			for name := range tt.wantFiles {
				wantNames = append(wantNames, name)
			}
			slices.Sort(wantNames)
			if !slices.Equal(names, wantNames) {
				t.Fatalf("files = %q, want %q", names, wantNames)
			}
			for name, f := range site.Files {
				if f.ETag != etagOf(f.Body) {
					t.Errorf("%s: etag %s, want %s", name, f.ETag, etagOf(f.Body))
				}
			}

			all := site.Files[tt.feedDir+"all.atom"]
			want, err := Atom(allOutput, new(sanitizer).sanitize(entries, false), tt.wantFiles[tt.feedDir+"all.atom"], tt.base)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(all.Body, want) {
				t.Errorf("all.atom is not Atom() of the entries with self %s", tt.wantFiles[tt.feedDir+"all.atom"])
			}
			if all.ContentType != "application/atom+xml; charset=utf-8" {
				t.Errorf("all.atom content type = %q", all.ContentType)
			}
			if want := date("2023-09-13T09:30:00Z"); !all.ModTime.Equal(want) {
				t.Errorf("all.atom modtime = %v, want %v", all.ModTime, want)
			}
			top := site.Files[tt.feedDir+"top.atom"]
			if f := decodeAtom(t, top.Body); len(f.Entries) != 1 || f.Title != "Top <stories>" {
				t.Errorf("top.atom: %d entries, title %q; want 1 and %q", len(f.Entries), f.Title, "Top <stories>")
			}
			if want := date("2023-09-12T07:00:00Z"); !top.ModTime.Equal(want) {
				t.Errorf("top.atom modtime = %v, want %v", top.ModTime, want)
			}

			index := site.Files["index.html"]
			if index.ContentType != "text/html; charset=utf-8" {
				t.Errorf("index content type = %q", index.ContentType)
			}
			if want := date("2023-09-13T09:30:00Z"); !index.ModTime.Equal(want) {
				t.Errorf("index modtime = %v, want %v", index.ModTime, want)
			}
			facts := parseIndex(t, index.Body)
			if want := []string{tt.feedDir + "all.atom", tt.feedDir + "top.atom"}; !slices.Equal(facts.feedLinks, want) {
				t.Errorf("feed links = %q, want %q", facts.feedLinks, want)
			}
			if want := append(slices.Clone(allTitles), allTitles[0]); !slices.Equal(facts.titles, want) {
				t.Errorf("titles = %q, want %q", facts.titles, want)
			}
			body := string(index.Body)
			if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") || strings.Contains(body, "<script>") {
				t.Errorf("the hostile title is not escaped:\n%s", body)
			}
			if strings.Contains(body, "javascript:") {
				t.Errorf("a javascript: link made it into the index:\n%s", body)
			}
		})
	}

	t.Run("source error", func(t *testing.T) {
		boom := errors.New("boom")
		p := &Publisher{Outputs: outputs, BaseURL: mustURL("https://agg.example/")}
		site, err := p.Build(ctx, fakeSource{err: boom})
		if !errors.Is(err, boom) || site != nil {
			t.Errorf("Build = %v, %v; want nil and an error wrapping %v", site, err, boom)
		}
	})

	t.Run("empty output", func(t *testing.T) {
		// An output whose filter keeps nothing is dated by the newest
		// stored entry: the same on every rendering of the same store.
		none := Output{Name: "none", Title: "None", Keep: func(aggregator.Entry) bool { return false }}
		p := &Publisher{Outputs: []Output{none}, BaseURL: mustURL("https://agg.example/"),
			Now: func() time.Time { t.Error("the build's time used although entries are stored"); return time.Time{} }}
		site, err := p.Build(ctx, fakeSource{entries: entries})
		if err != nil {
			t.Fatal(err)
		}
		f := decodeAtom(t, site.Files["none.atom"].Body)
		if want := atomTime(entries[0].Updated); len(f.Entries) != 0 || f.Updated != want {
			t.Errorf("empty output: %d entries, updated %q, want the newest entry's %q", len(f.Entries), f.Updated, want)
		}
	})

	t.Run("empty", func(t *testing.T) {
		// Nothing stored and nothing fetched: the feed is dated by the
		// build, not by the Unix epoch, which validators flag.
		built := time.Date(2024, 5, 6, 7, 8, 9, 500, time.UTC)
		p := &Publisher{Outputs: outputs[:1], BaseURL: mustURL("https://agg.example/"), FeedDir: "feeds/",
			Now: func() time.Time { return built }}
		site, err := p.Build(ctx, fakeSource{})
		if err != nil {
			t.Fatal(err)
		}
		f := decodeAtom(t, site.Files["feeds/all.atom"].Body)
		if len(f.Entries) != 0 || f.Updated != "2024-05-06T07:08:09Z" {
			t.Errorf("empty feed: %d entries, updated %q, want the build's time 2024-05-06T07:08:09Z", len(f.Entries), f.Updated)
		}
		if !strings.Contains(string(site.Files["index.html"].Body), "Nothing yet.") {
			t.Errorf("empty index does not say so")
		}
	})
}

// leftovers lists the temporary files under dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var tmp []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(d.Name(), ".tmp") {
			tmp = append(tmp, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tmp
}

func site(files map[string]string) *Site {
	s := &Site{Files: map[string]*File{}}
	for name, body := range files {
		s.Files[name] = newFile([]byte(body), "text/plain", time.Time{})
	}
	return s
}

func TestWriteDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "public")
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	mtime := func(name string) time.Time {
		t.Helper()
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		return fi.ModTime()
	}

	v1 := site(map[string]string{"index.html": "<p>one</p>", "feeds/all.atom": "<feed>1</feed>", "feeds/top.atom": "<feed>top</feed>"})
	if err := v1.WriteDir(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	for name, f := range v1.Files {
		if got := read(name); got != string(f.Body) {
			t.Errorf("%s = %q, want %q", name, got, f.Body)
		}
		fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("%s mode = %v, want 0644", name, fi.Mode().Perm())
		}
	}
	if tmp := leftovers(t, dir); len(tmp) != 0 {
		t.Errorf("temporary files left: %q", tmp)
	}

	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for name := range v1.Files {
		if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(name)), old, old); err != nil {
			t.Fatal(err)
		}
	}
	v2 := site(map[string]string{"index.html": "<p>one</p>", "feeds/all.atom": "<feed>2</feed>", "feeds/top.atom": "<feed>top</feed>"})
	if err := v2.WriteDir(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"index.html", "feeds/top.atom"} {
		if got := mtime(name); !got.Equal(old) {
			t.Errorf("unchanged %s: mtime %v, want it left at %v", name, got, old)
		}
	}
	if got := read("feeds/all.atom"); got != "<feed>2</feed>" {
		t.Errorf("changed feeds/all.atom = %q, want the new bytes", got)
	}
	if got := mtime("feeds/all.atom"); !got.After(old) {
		t.Errorf("changed feeds/all.atom: mtime %v, want later than %v", got, old)
	}
	if tmp := leftovers(t, dir); len(tmp) != 0 {
		t.Errorf("temporary files left: %q", tmp)
	}

	t.Run("failure leaves no temporary file", func(t *testing.T) {
		dir := t.TempDir()
		// A folder where the file should go: the rename fails.
		if err := os.Mkdir(filepath.Join(dir, "index.html"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := site(map[string]string{"index.html": "x"}).WriteDir(context.Background(), dir); err == nil {
			t.Error("WriteDir over a folder succeeded, want an error")
		}
		if tmp := leftovers(t, dir); len(tmp) != 0 {
			t.Errorf("temporary files left: %q", tmp)
		}
	})
}

// WriteDir removes the temporary files it left, and no file it did not make:
// an operator's own .NAME.<digits>.tmp stays.
func TestWriteDirRemovesOnlyItsTempFiles(t *testing.T) {
	dir := t.TempDir()
	stale := []string{
		".aggregator-index.html.123.tmp",
		".aggregator-gone.atom.4294967295.tmp", // of a file no longer published
		"feeds/.aggregator-all.atom.7.tmp",
		".index.html.42.tmp",       // the older name, of a file of the site
		"feeds/.all.atom.1234.tmp", // the same, in a folder of the site
	}
	kept := []string{
		".report.docx.20240101.tmp",
		"feeds/.notes.txt.20240101.tmp",
		".all.atom.1234.tmp", // all.atom is the site's in feeds/, not here
		".aggregator-.12.tmp",
		".aggregator-index.html.tmp",
		".aggregator-index.html.1a.tmp",
		"aggregator-index.html.12.tmp",
	}
	for _, name := range append(slices.Clone(stale), kept...) {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := site(map[string]string{"index.html": "<p>one</p>", "feeds/all.atom": "<feed>1</feed>"})
	if err := s.WriteDir(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range stale {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name))); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("stale temporary file %s still there (%v)", name, err)
		}
	}
	for _, name := range kept {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			t.Errorf("%s, not a temporary file of ours, was removed: %v", name, err)
		}
	}
}

// A feed that carried the same article is credited as "via"; another outlet's
// own article on the story as "related"; both are named in the content.
func TestAtomCreditsOutlets(t *testing.T) {
	article := "https://wire.example/kim"
	wire := aggregator.Feed{URL: "https://wire.example/feed", Name: "Wire"}
	ledger := aggregator.Feed{URL: "https://ledger.example/feed", Name: "Ledger"}
	desk := aggregator.Feed{URL: "https://desk.example/feed", Name: "Desk & Co"}
	at := time.Date(2023, 9, 12, 6, 0, 0, 0, time.UTC)
	e := aggregator.Entry{
		ID: "urn:uuid:00000000-0000-5000-8000-000000000001", Published: at, Updated: at,
		Item: aggregator.Item{Title: "Kim heads to Russia", Link: article, Summary: "By train."},
		Sources: []aggregator.Source{
			{Feed: wire, Link: article}, {Feed: ledger, Link: article}, {Feed: desk, Link: "https://desk.example/a?x=1&y=2"},
		},
	}
	out, err := Atom(Output{Name: "all", Title: "All"}, []aggregator.Entry{e}, "http://x.example/all.atom", "http://x.example/")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(out)
	for _, want := range []string{
		`<link href="https://wire.example/kim" rel="via" title="Ledger"></link>`,
		`<link href="https://desk.example/a?x=1&amp;y=2" rel="related" title="Desk &amp; Co"></link>`,
		`Reported by &lt;a href=&#34;https://wire.example/kim&#34;&gt;Wire&lt;/a&gt;, ` +
			`&lt;a href=&#34;https://wire.example/kim&#34;&gt;Ledger&lt;/a&gt; and ` +
			`&lt;a href=&#34;https://desk.example/a?x=1&amp;amp;y=2&#34;&gt;Desk &amp;amp; Co&lt;/a&gt;.`,
		`<content type="html">By train.&lt;p class=`,
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("output lacks %s\n%s", want, doc)
		}
	}
}

// Each outlet is credited once, with its number of articles, in every format
// and on the index page; the links stay one per article.
func TestCreditsGroupOutlets(t *testing.T) {
	feed := func(name string) aggregator.Feed {
		return aggregator.Feed{URL: "https://" + strings.ToLower(name) + ".example/feed", Name: name}
	}
	desk, wire, bbc := feed("Korea Desk"), feed("World Wire"), feed("BBC")
	bbcAsia := aggregator.Feed{URL: "https://bbc.example/asia", Title: "BBC"} // another feed, the same outlet
	at := time.Date(2023, 9, 12, 6, 0, 0, 0, time.UTC)
	e := aggregator.Entry{
		ID: "urn:uuid:00000000-0000-5000-8000-000000000001", Published: at, Updated: at,
		Item: aggregator.Item{Title: "Kim heads to Russia", Link: "https://desk.example/kim", Summary: "By train."},
		Sources: []aggregator.Source{
			{Feed: desk, Link: "https://desk.example/kim"},
			{Feed: wire, Link: "https://wire.example/kim"},
			{Feed: bbc, Link: "https://bbc.example/kim-1"},
			{Feed: wire, Link: "https://wire.example/kim-2"},
			{Feed: bbcAsia, Link: "https://bbc.example/kim-1"}, // the same article in both BBC feeds
			{Feed: bbc, Link: "https://bbc.example/kim-2"},
			{Feed: bbc, Link: "https://bbc.example/kim-3"},
		},
	}
	const credits = `<p class="outlets">Reported by <a href="https://desk.example/kim">Korea Desk</a>, ` +
		`<a href="https://wire.example/kim">World Wire</a> (2) and <a href="https://bbc.example/kim-1">BBC</a> (3).</p>`
	if got := outletList(e.Sources); got != credits {
		t.Errorf("credits:\n got %s\nwant %s", got, credits)
	}

	o := Output{Name: "all", Title: "All"}
	for _, format := range []struct {
		name   string
		render func(Output, []aggregator.Entry, string, string) ([]byte, error)
		escape func(string) string
	}{
		{"atom", Atom, xmlEscape},
		{"rss", RSS, func(s string) string { return s }}, // in CDATA
		{"json", JSONFeed, func(s string) string { return strings.ReplaceAll(s, `"`, `\"`) }},
	} {
		out, err := format.render(o, []aggregator.Entry{e}, "http://x.example/all."+format.name, "http://x.example/")
		if err != nil {
			t.Fatal(err)
		}
		if want := format.escape(credits); !strings.Contains(string(out), want) {
			t.Errorf("%s lacks the credits %s\n%s", format.name, want, out)
		}
	}

	atom, err := Atom(o, []aggregator.Entry{e}, "http://x.example/all.atom", "http://x.example/")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(atom), `rel="related"`); n != 6 {
		t.Errorf("%d related links, want one for each other source (6)", n)
	}

	page, err := renderIndex(indexPage{Title: "t", Outputs: []indexSection{newIndexSection(o, "all.atom", []aggregator.Entry{e})}})
	if err != nil {
		t.Fatal(err)
	}
	const meta = `<a href="https://desk.example/kim">Korea Desk</a>, <a href="https://wire.example/kim">World Wire</a> (2), ` +
		`<a href="https://bbc.example/kim-1">BBC</a> (3)</div>`
	if !strings.Contains(string(page), meta) {
		t.Errorf("index page lacks %s\n%s", meta, page)
	}
}

// An entry that follows earlier ones links them: in Atom as related links,
// in the content of every format after the credits, and on the index page.
func TestStoryline(t *testing.T) {
	e := testEntries()[0]
	e.ID = aggregator.EntryID("url:korea-desk.example/2023/09/13/kim-arrives")
	e.Item.Title, e.Item.Link = "Kim arrives in Vladivostok", "https://korea-desk.example/2023/09/13/kim-arrives"
	e.Sources[0].Link = e.Item.Link
	e.Earlier = []aggregator.Development{
		{ID: aggregator.EntryID("url:korea-desk.example/2023/09/12/kim-train"), Title: "Kim leaves for Russia by armoured train",
			Link: "https://korea-desk.example/2023/09/12/kim-train", Published: date("2023-09-12T06:00:00Z")},
		{ID: aggregator.EntryID("url:notes"), Title: "Putin invites Kim <again> & again", Published: date("2023-09-10T06:00:00Z")}, // no link
	}
	atom, err := Atom(allOutput, []aggregator.Entry{e}, testSelf, testHome)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "storyline.atom", atom)

	var f xFeed
	if err := xml.Unmarshal(atom, &f); err != nil {
		t.Fatal(err)
	}
	x := f.Entries[0]
	wantLinks := []xLink{
		{Rel: "alternate", Type: "text/html", Href: e.Item.Link},
		{Rel: "related", Href: "https://world-wire.example/kim?id=7", Title: "World Wire"},
		{Rel: "related", Href: "https://korea-desk.example/2023/09/12/kim-train", Title: "Earlier: Kim leaves for Russia by armoured train"},
	}
	if !slices.Equal(x.Links, wantLinks) {
		t.Errorf("links = %+v\nwant    %+v", x.Links, wantLinks)
	}
	const earlier = `<p class="earlier">Earlier in this story: ` +
		`<a href="https://korea-desk.example/2023/09/12/kim-train">Kim leaves for Russia by armoured train</a>; ` +
		`Putin invites Kim &lt;again&gt; &amp; again</p>`
	if x.Content == nil || !strings.HasSuffix(x.Content.Text, `</p>`+earlier) ||
		strings.Index(x.Content.Text, `class="outlets"`) > strings.Index(x.Content.Text, `class="earlier"`) {
		t.Errorf("content = %+v\nwant it to end with the credits, then %s", x.Content, earlier)
	}

	rss, err := RSS(allOutput, []aggregator.Entry{e}, "https://agg.example/feeds/all.rss", testHome)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rss), earlier+"]]></content:encoded>") {
		t.Errorf("RSS lacks %s\n%s", earlier, rss)
	}
	jf, err := JSONFeed(allOutput, []aggregator.Entry{e}, "https://agg.example/feeds/all.json", testHome)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.ReplaceAll(earlier, `"`, `\"`); !strings.Contains(string(jf), want) {
		t.Errorf("JSON Feed lacks %s\n%s", want, jf)
	}

	// An entry with earlier developments and no content of its own still
	// has a place for them.
	bare := e
	bare.Item.Content, bare.Sources = "", bare.Sources[:1]
	if c := atomEntryOf(bare).Content; c == nil || c.Content != bare.Item.Summary+earlier {
		t.Errorf("content without content of its own = %+v, want the summary and the storyline", c)
	}

	page, err := renderIndex(indexPage{Title: "t", Outputs: []indexSection{newIndexSection(allOutput, "all.atom", []aggregator.Entry{e})}})
	if err != nil {
		t.Fatal(err)
	}
	const line = `<div class="earlier">Earlier: <a href="https://korea-desk.example/2023/09/12/kim-train">Kim leaves for Russia by armoured train</a> · ` +
		`Putin invites Kim &lt;again&gt; &amp; again</div>`
	if !strings.Contains(string(page), line) {
		t.Errorf("index page lacks %s\n%s", line, page)
	}
}

// xmlEscape is s as encoding/xml writes it in character data.
func xmlEscape(s string) string {
	var b bytes.Buffer
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		panic(err)
	}
	return b.String()
}

// An output with a filter carries only what it keeps; tags become categories,
// entity tags with their own scheme.
func TestBuildFilteredOutput(t *testing.T) {
	entries := testEntries()
	entries[0].Tags = []aggregator.Tag{
		{Slug: "kim-jong-un", Label: "Kim Jong Un", Entity: true},
		{Slug: "north-korea", Label: "North Korea"},
	}
	p := &Publisher{
		Outputs: []Output{
			{Name: "all", Title: "All"},
			{Name: "korea", Title: "Korea", Keep: func(e aggregator.Entry) bool {
				for _, t := range e.Tags {
					if t.Slug == "north-korea" {
						return true
					}
				}
				return false
			}},
		},
		BaseURL: mustURL("http://x.example/"),
	}
	site, err := p.Build(context.Background(), fakeSource{entries: entries})
	if err != nil {
		t.Fatal(err)
	}
	all, korea := string(site.Files["all.atom"].Body), string(site.Files["korea.atom"].Body)
	if n := strings.Count(all, "<entry>"); n != len(entries) {
		t.Errorf("all.atom has %d entries, want %d", n, len(entries))
	}
	if n := strings.Count(korea, "<entry>"); n != 1 {
		t.Errorf("korea.atom has %d entries, want 1", n)
	}
	for _, want := range []string{
		`<category term="kim-jong-un" scheme="urn:aggregator:tag:entity" label="Kim Jong Un"></category>`,
		`<category term="north-korea" scheme="urn:aggregator:tag" label="North Korea"></category>`,
	} {
		if !strings.Contains(korea, want) {
			t.Errorf("korea.atom lacks %s", want)
		}
	}
}

// The index page shows the developments of a storyline together: an entry
// that a later one on the page follows is listed under it, not on its own.
func TestIndexGroupsStoryline(t *testing.T) {
	dev := func(title string, earlier ...aggregator.Entry) aggregator.Entry {
		e := testEntries()[0]
		e.ID = aggregator.EntryID(title)
		e.Item.Title, e.Item.Link = title, "https://news.example/"+strings.ReplaceAll(title, " ", "-")
		e.Earlier = nil
		for _, x := range earlier {
			e.Earlier = append(e.Earlier, aggregator.Development{ID: x.ID, Title: x.Item.Title, Link: x.Item.Link})
		}
		return e
	}
	older := aggregator.Development{ID: aggregator.EntryID("gone"), Title: "Kim plans a trip", Link: "https://news.example/plans"}
	leaves := dev("Kim leaves")
	leaves.Earlier = []aggregator.Development{older}
	arrives := dev("Kim arrives", leaves)
	arrives.Earlier = append(arrives.Earlier, older)
	meet := dev("Kim and Putin meet", arrives, leaves)
	other := dev("Floods in Libya")
	s := newIndexSection(allOutput, "all.atom", []aggregator.Entry{meet, other, arrives, leaves})
	var top []string
	for _, e := range s.Entries {
		top = append(top, e.Title)
	}
	if want := []string{"Kim and Putin meet", "Floods in Libya"}; !slices.Equal(top, want) {
		t.Fatalf("top-level entries %q, want %q", top, want)
	}
	var line []string
	for _, e := range s.Entries[0].Storyline {
		line = append(line, e.Title)
	}
	if want := []string{"Kim arrives", "Kim leaves"}; !slices.Equal(line, want) {
		t.Errorf("storyline under the latest development %q, want %q", line, want)
	}
	page, err := renderIndex(indexPage{Title: "t", Outputs: []indexSection{s}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), `<ol class="storyline"><li><a class="title" href="https://news.example/Kim-arrives">Kim arrives</a>`) {
		t.Errorf("index page does not group the storyline:\n%s", page)
	}
	if strings.Count(string(page), "Kim plans a trip") != 0 {
		t.Errorf("a development the group shows links its storyline again:\n%s", page)
	}
}
