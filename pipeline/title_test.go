package pipeline

import (
	"context"
	"maps"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"aggregator/fetch"
	"aggregator/internal/storetest"
	"aggregator/publish"
)

// invisibleIn finds the bidirectional controls and zero-width characters,
// as they are or escaped for XML, HTML or JSON.
var invisibleIn = regexp.MustCompile(`[\x{202A}-\x{202E}\x{2066}-\x{2069}\x{200B}-\x{200D}\x{2060}\x{FEFF}]` +
	`|(?i)&#x0*(202[a-e]|206[6-9]|200[b-d]|2060|feff);|&#(823[4-8]|827[0-3]|820[3-5]|8288|65279);|\\u(202[a-e]|206[6-9]|200[b-d]|2060|feff)`)

// Titles and names reach every output without bidirectional controls or
// zero-width characters, and no longer than fetch.MaxTitle characters: the
// feed gives them through RunAll to the store, and every file the
// publisher renders from it, archives included, is checked.
func TestTitlesPublishable(t *testing.T) {
	ctx := context.Background()
	long := strings.Repeat("word ", 3*fetch.MaxTitle/5) // 3 × MaxTitle characters
	feed := `<?xml version="1.0" encoding="UTF-8"?>` +
		`<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>` +
		"<title>Evil\u202E deef&#x2066; Desk\uFEFF</title><link>https://evil.example/</link>" +
		"<item><title>Invoice\u202Efdp.exe plus\u200B hidden &#x200D;&#8238;text\u2069</title>" +
		`<link>https://evil.example/1</link><guid>1</guid><pubDate>Mon, 11 Sep 2023 06:00:00 GMT</pubDate>` +
		"<dc:creator>Ann\u2067 Author\u2060</dc:creator><description>One.</description></item>" +
		"<item><title>" + long + "</title>" +
		`<link>https://evil.example/2</link><guid>2</guid><pubDate>Tue, 12 Sep 2023 06:00:00 GMT</pubDate>` +
		`<description>Two.</description></item>` +
		`</channel></rss>`
	srv := httptest.NewServer(serveString("application/rss+xml", feed))
	defer srv.Close()
	st := storetest.New(t)
	r := &Runner{Store: st, Fetcher: testClient(), Log: quiet()}
	feeds := []Feed{{URL: srv.URL + "/feed"}} // no name: outputs show the feed's own title
	if err := Failed(r.RunAll(ctx, feeds, false)); err != nil {
		t.Fatal(err)
	}

	base, _ := url.Parse("https://feeds.example/")
	pub := &publish.Publisher{
		// A limit of one: the older entry is on an archive page.
		Outputs: []publish.Output{{Name: "all", Title: "All"}, {Name: "one", Title: "One", Limit: 1}},
		BaseURL: base, FeedDir: "feeds/",
		Health:        Health{Store: st, Feeds: feeds},
		Subscriptions: []publish.Subscription{{XMLURL: feeds[0].URL}},
	}
	site, err := pub.Build(ctx, StoryEntries{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for name, f := range site.Files {
		files[name] = string(f.Body)
	}
	for name, render := range site.Lazy {
		f, err := render(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		files[name] = string(f.Body)
	}
	names := slices.Sorted(maps.Keys(files))
	cut := strings.TrimSpace(long[:fetch.MaxTitle-1])
	const short = "Invoicefdp.exe plus hidden text"
	for name, titles := range map[string][]string{
		"feeds/all.atom": {short, cut + "…"}, "feeds/all.rss": {short, cut + "…"}, "feeds/all.json": {short, cut + "…"},
		"index.html": {short, cut + "…"}, "feeds/one/archive/1.atom": {short},
		publish.StatusPath: nil, publish.OPMLPath: nil,
	} {
		body, ok := files[name]
		if !ok {
			t.Errorf("no %s among the outputs %v", name, names)
			continue
		}
		if !strings.Contains(body, "Evil deef Desk") {
			t.Errorf("%s does not name the feed Evil deef Desk", name)
		}
		for _, title := range titles {
			if !strings.Contains(body, title) {
				t.Errorf("%s lacks the title %.40q…", name, title)
			}
		}
	}
	for _, name := range names {
		if m := invisibleIn.FindString(files[name]); m != "" {
			t.Errorf("%s carries %+q", name, m)
		}
		if strings.Contains(files[name], long[:fetch.MaxTitle+5]) {
			t.Errorf("%s carries a title of more than %d characters", name, fetch.MaxTitle)
		}
	}
}
