package pipeline

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"

	"aggregator"
	"aggregator/dedupe"
	"aggregator/fetch"
	"aggregator/publish"
)

// FuzzIngest feeds arbitrary bytes through the ingest path that matters for
// publishing: fetch.Parse, dedup keys, entries, publish.Atom. Whatever a feed
// holds, the Atom output must be well-formed XML and valid UTF-8.
//
//	go test -run '^$' -fuzz FuzzIngest -fuzztime 30s -fuzzminimizetime 2s ./pipeline
func FuzzIngest(f *testing.F) {
	var seeds []string
	for _, pat := range []string{"../testdata/kim/*.rss", "../testdata/kim/*.atom", "../testdata/kim/*.json"} {
		m, _ := filepath.Glob(pat)
		seeds = append(seeds, m...)
	}
	for _, name := range []string{
		// Small ones: the fuzzer minimises every new interesting input, and
		// large seeds make that slow.
		"seths-blog-feed.xml",
		"9to5linux-com-category-news-feed.xml",
		"desmog-com-feed.xml",
		"feeds-washingtonpost-com-rss-business-technology.xml",
		"codeproject-com-webservices-newsrss-aspx.xml",
	} {
		seeds = append(seeds, filepath.Join("/work/shared/fixtures/realweek/feeds/2023-09-18", name))
	}
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			continue // a missing fixture is not a failure
		}
		f.Add(data)
	}
	f.Add([]byte(`<rss version="2.0"><channel><title>t</title><item><title>a &amp; b</title><link>/x</link></item></channel></rss>`))
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="html">&lt;b&gt;x&lt;/b&gt;</title></entry></feed>`))
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","content_html":"<p>\u0001</p>"}]}`))

	const feedURL = "http://fuzz.example/feed.xml"
	feed := aggregator.Feed{ID: 1, URL: feedURL, Title: "Fuzz feed"}
	now := time.Date(2023, 9, 18, 12, 0, 0, 0, time.UTC)
	out := publish.Output{Name: "all", Title: "All"}

	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := fetch.Parse(bytes.NewReader(data), feedURL)
		if err != nil {
			return
		}
		feed := feed
		feed.Title, feed.SiteURL, feed.AtomID, feed.Language = res.Title, res.SiteURL, res.AtomID, res.Language
		entries := make([]aggregator.Entry, 0, len(res.Items))
		for _, it := range res.Items {
			published := it.Published
			if published.IsZero() || published.After(now) {
				published = now
			}
			updated := it.Updated
			if updated.Before(published) {
				updated = published
			}
			entries = append(entries, aggregator.Entry{
				ID:        aggregator.EntryID(dedupe.Key(feedURL, it)),
				Item:      it,
				Published: published,
				Updated:   updated,
				Sources:   []aggregator.Source{{Feed: feed, Link: it.Link}},
			})
		}
		doc, err := publish.Atom(out, entries, "http://feeds.example/feeds/all.atom", "http://feeds.example/")
		if err != nil {
			t.Fatalf("publish.Atom: %v", err)
		}
		if !utf8.Valid(doc) {
			t.Fatalf("Atom output is not valid UTF-8:\n%q", doc)
		}
		dec := xml.NewDecoder(bytes.NewReader(doc))
		for {
			_, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("Atom output is not well-formed XML: %v\n%s", err, doc)
			}
		}
	})
}
