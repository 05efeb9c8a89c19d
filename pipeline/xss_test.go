package pipeline

import (
	"context"
	"fmt"
	"html"
	"maps"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"aggregator"
	"aggregator/internal/storetest"
	"aggregator/internal/xsstest"
	"aggregator/publish"
	"aggregator/story"
	"aggregator/tag"
)

// xssLinks are links that run script when followed.
var xssLinks = []string{
	`javascript:alert(1)`,
	`JaVaScRiPt:alert(1)`,
	` javascript:alert(1)`,
	"jav\tascript:alert(1)",
	`vbscript:msgbox(1)`,
	`data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==`,
}

// xssFeed is an RSS feed carrying every vector in every field of an item,
// and the links as items' and the channel's links.
func xssFeed() string {
	esc := html.EscapeString
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` +
		`<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>` +
		`<title>` + esc(`Hostile <script>alert(1)</script> feed`) + `</title><link>javascript:alert(document.domain)</link>`)
	date := time.Date(2023, 9, 12, 6, 0, 0, 0, time.UTC)
	for i, v := range xsstest.Vectors {
		fmt.Fprintf(&b, `<item><title>%s</title><link>%s</link><guid isPermaLink="false">xss-%d</guid>`+
			`<pubDate>%s</pubDate><dc:creator>%s</dc:creator><category>%s</category>`+
			`<description>%s</description><content:encoded><![CDATA[<p>Story %d</p>%s]]></content:encoded></item>`,
			esc(v+" story "+fmt.Sprint(i)), esc(v), i, date.Add(time.Duration(i)*time.Minute).Format(time.RFC1123Z),
			esc(v), esc(v), esc(v+" summary "+fmt.Sprint(i)), i, v)
	}
	for i, l := range xssLinks {
		fmt.Fprintf(&b, `<item><title>Link %d</title><link>%s</link><guid isPermaLink="false">xss-link-%d</guid>`+
			`<description>%s</description></item>`, i, esc(l), i, esc(`<a href="`+l+`">follow</a>`))
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// The classic XSS vectors, served in every field of a feed, leave no active
// content in any output: they go through RunAll into the store, and every
// file the publisher renders from it is checked.
func TestXSSEndToEnd(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(serveString("application/rss+xml", xssFeed()))
	defer srv.Close()
	st := storetest.New(t)
	tagger, err := tag.New(tag.Options{Entities: true, Rules: []tag.RuleSpec{{Name: "alerts", Any: []string{"alert"}}}})
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Store: st, Fetcher: testClient(), Log: quiet(), Stories: story.New(story.DefaultConfig()), Tagger: tagger}
	feeds := []Feed{
		{URL: srv.URL + "/feed", Tags: []string{`<script>alert(1)</script>`}},
		// The same feed again under a hostile name: every article has two
		// sources, and the entries list their outlets.
		{URL: srv.URL + "/feed?again", Name: `<img src=x onerror=alert(1)>`},
	}
	reps := r.RunAll(ctx, feeds, false)
	if err := Failed(reps); err != nil {
		t.Fatal(err)
	}
	if want := len(xsstest.Vectors) + len(xssLinks); reps[0].Items != want || reps[0].Added != want {
		t.Errorf("%d items parsed, %d stored; want %d", reps[0].Items, reps[0].Added, want)
	}

	base, _ := url.Parse("https://feeds.example/")
	pub := &publish.Publisher{
		Outputs: []publish.Output{{Name: "all", Title: "All"}, {Name: "small", Title: "Small", Limit: 5}},
		BaseURL: base, FeedDir: "feeds/",
		Health: Health{Store: st, Feeds: feeds},
	}
	for _, f := range feeds {
		pub.Subscriptions = append(pub.Subscriptions, publish.Subscription{Title: f.Name, XMLURL: f.URL, Tags: f.Tags})
	}
	files := publishedFiles(t, pub, StoryEntries{Store: st})
	names := slices.Sorted(maps.Keys(files))
	// The store keeps the feeds' own HTML: every output, the archive pages
	// too, sanitises what it publishes.
	for _, want := range []string{"feeds/all.atom", "feeds/all.rss", "feeds/all.json", "index.html", publish.StatusPath,
		"feeds/small/archive/1.atom", "feeds/small.json", archivesPrefix + "feeds/small/archive/1.atom"} {
		if files[want] == nil {
			t.Errorf("no %s among the outputs %v", want, names)
		}
	}
	// Some articles read alike once their markup is gone, and share a story.
	if n := strings.Count(string(files["feeds/all.atom"]), "<entry>"); n < len(xsstest.Vectors)/2 {
		t.Errorf("all.atom has %d entries, want about one per article", n)
	}
	for _, name := range names {
		found, err := activeIn(name, files[name])
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		for _, a := range found {
			t.Errorf("%s: active content %s", name, a)
		}
	}
	t.Logf("checked %d outputs: %v", len(names), names)
}

// archivesPrefix starts the names publishedFiles gives the archive pages
// that Publisher.Archives renders.
const archivesPrefix = "archives/"

// publishedFiles builds the site of pub from src and returns every file it
// publishes, by path: those of Build, its archive pages rendered, and the
// archive pages another Publisher with pub's outputs renders with Archives
// (an instance serving what another built), under archivesPrefix.
func publishedFiles(t *testing.T, pub *publish.Publisher, src publish.EntrySource) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	site, err := pub.Build(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for name, f := range site.Files {
		files[name] = f.Body
	}
	render := func(prefix string, lazy map[string]publish.LazyFile) {
		for name, render := range lazy {
			f, err := render(ctx)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			files[prefix+name] = f.Body
		}
	}
	render("", site.Lazy)
	other := &publish.Publisher{Outputs: pub.Outputs, BaseURL: pub.BaseURL, FeedDir: pub.FeedDir}
	lazy, err := other.Archives(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	render(archivesPrefix, lazy)
	return files
}

// The store keeps the feeds' own HTML, scripts and styles included; the
// text that tagging and clustering read leaves out their bodies, as it did
// when the store kept sanitised HTML.
func TestScriptTextNotTagged(t *testing.T) {
	ctx := context.Background()
	const feed = `<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title><link>https://desk.example/</link>
<item><title>Quiet day in the capital</title><link>https://desk.example/quiet</link><guid>quiet</guid>
<description><![CDATA[<p>Nothing happened today.</p><script>var volcano = "eruption";</script><style>.volcano { color: red }</style>]]></description>
<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/"><![CDATA[<p>Still nothing.</p><SCRIPT>volcano()</SCRIPT>]]></content:encoded></item>
<item><title>Eruption in the south</title><link>https://desk.example/eruption</link><guid>eruption</guid>
<description><![CDATA[<p>A volcano erupted.</p>]]></description></item>
</channel></rss>`
	srv := httptest.NewServer(serveString("application/rss+xml", feed))
	defer srv.Close()
	st := storetest.New(t)
	tagger, err := tag.New(tag.Options{Rules: []tag.RuleSpec{{Name: "volcanoes", Any: []string{"volcano"}}}})
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Store: st, Fetcher: testClient(), Log: quiet(), Tagger: tagger}
	if err := Failed(r.RunAll(ctx, []Feed{{URL: srv.URL + "/feed"}}, false)); err != nil {
		t.Fatal(err)
	}
	entries, err := StoryEntries{Store: st}.Entries(ctx, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("%d stories, want 2", len(entries))
	}
	for _, it := range entries {
		tagged := slices.ContainsFunc(it.Tags, func(tg aggregator.Tag) bool { return tg.Slug == "volcanoes" })
		if want := it.Item.Title == "Eruption in the south"; tagged != want {
			t.Errorf("%q: tagged volcanoes %v, want %v (tags %v)", it.Item.Title, tagged, want, it.Tags)
		}
		if it.Item.Title == "Quiet day in the capital" {
			if !strings.Contains(it.Item.Summary, "<script>") {
				t.Errorf("stored %q, want the feed's HTML", it.Item.Summary)
			}
			if words := story.Tokens(it.Item.Summary + " " + it.Item.Content); slices.Contains(words, "volcano") {
				t.Errorf("the clusterer reads %v from %q", words, it.Item.Summary)
			}
		}
	}
}
