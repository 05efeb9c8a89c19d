package publish

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// indexLinks lists the hrefs of the index page's <a> elements, and the
// text of its health banner ("" for none).
func indexLinks(t *testing.T, body []byte) (links []string, banner string) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		for _, a := range n.Attr {
			if n.Data == "a" && a.Key == "href" {
				links = append(links, a.Val)
			}
			if a.Key == "class" && a.Val == "banner" {
				banner = nodeText(n)
			}
		}
	}
	return links, banner
}

func nodeText(n *html.Node) string {
	var s string
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			s += c.Data
		}
	}
	return s
}

// The index says when feeds fail and links the status page, the OPML and
// every output's formats and archive, in the daemon's layout and in the
// files of --once; with every feed failing and nothing stored, too.
func TestIndexShowsTrouble(t *testing.T) {
	health := healthSource{
		{Name: "A", URL: "https://a.example/feed", Health: "failing", Failures: 3, Error: "503"},
		{Name: "B", URL: "https://b.example/feed", Health: "failing", Failures: 1, Error: "timeout"},
		{Name: "C", URL: "https://c.example/feed", Health: "retired"},
		{Name: "D", URL: "https://d.example/feed", Health: "ok"},
	}
	subs := []Subscription{{Title: "A", XMLURL: "https://a.example/feed"}}
	for _, feedDir := range []string{"feeds/", ""} {
		t.Run("dir "+feedDir, func(t *testing.T) {
			p := &Publisher{Outputs: []Output{{Name: "all", Title: "All", Limit: 3}}, BaseURL: mustURL("https://agg.example/"),
				FeedDir: feedDir, Health: health, Subscriptions: subs}
			for _, n := range []int{0, 7} {
				site, err := p.Build(context.Background(), archiveSource{fakeSource: fakeSource{entries: numbered(n)}})
				if err != nil {
					t.Fatal(err)
				}
				links, banner := indexLinks(t, site.Files["index.html"].Body)
				if want := "2 of 4 feeds failing, 1 gone — status"; banner != want {
					t.Errorf("%d stories: banner %q, want %q", n, banner, want)
				}
				want := []string{StatusPath, OPMLPath, feedDir + "all.atom", feedDir + "all.rss", feedDir + "all.json"}
				if n == 7 {
					want = append(want, feedDir+"all/archive/2.atom")
				}
				for _, w := range want {
					if !slices.Contains(links, w) {
						t.Errorf("%d stories: the index does not link %s; links %q", n, w, links)
					}
					if _, ok := site.Files[w]; !ok && site.Lazy[w] == nil {
						t.Errorf("the index links %s, which the site lacks", w)
					}
				}
			}
		})
	}
	t.Run("all well", func(t *testing.T) {
		p := &Publisher{Outputs: []Output{{Name: "all", Title: "All"}}, BaseURL: mustURL("https://agg.example/"),
			Health: health[3:]}
		site, err := p.Build(context.Background(), fakeSource{entries: numbered(2)})
		if err != nil {
			t.Fatal(err)
		}
		links, banner := indexLinks(t, site.Files["index.html"].Body)
		if banner != "" || !slices.Contains(links, StatusPath) {
			t.Errorf("with every feed ok: banner %q, links %q; want no banner and a link to the status page", banner, links)
		}
	})
}

// A story that several outputs carry is shown in full once, under the
// first, which names the others; under those it is one line pointing back.
func TestIndexStoryOnce(t *testing.T) {
	entries := numbered(3)
	p := &Publisher{Outputs: []Output{{Name: "all", Title: "All"}, {Name: "top", Title: "Top", Limit: 1}},
		BaseURL: mustURL("https://agg.example/")}
	site, err := p.Build(context.Background(), fakeSource{entries: entries})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(site.Files["index.html"].Body))
	if err != nil {
		t.Fatal(err)
	}
	// Each section's lines, as text.
	lines := map[string][]string{}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || n.Data != "section" {
			continue
		}
		var id string
		for _, a := range n.Attr {
			if a.Key == "id" {
				id = a.Val
			}
		}
		for li := range n.Descendants() {
			if li.Type == html.ElementNode && li.Data == "li" {
				lines[id] = append(lines[id], strings.Join(strings.Fields(nodeText(li)), " "))
			}
		}
	}
	first := entries[0].Item.Title // the first the source gives, so the one Top lists
	if len(lines["all"]) != 3 || !strings.HasPrefix(lines["all"][0], first) || !strings.HasSuffix(lines["all"][0], "Also in Top") {
		t.Errorf("under All, %s does not say that Top lists it too: %q", first, lines["all"])
	}
	if strings.Contains(lines["all"][1], "Also in") {
		t.Errorf("a story only All lists says it is also elsewhere: %q", lines["all"][1])
	}
	if len(lines["top"]) != 1 || lines["top"][0] != first+"Listed above under All" {
		t.Errorf("under Top: %q, want %s as one line pointing back at All", lines["top"], first)
	}
}
