package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"aggregator/dedupe"
	"aggregator/fetch"
	"aggregator/store"
	"aggregator/story"
)

// Evaluate places labelled items in stories with the daemon's own code, as a
// series of --once runs would: the items of each Day (all of them, when
// they have none) are one run, whose feeds (each item's Feed, else its
// Source) give their items as Atom documents, newest first, and are fetched,
// parsed, keyed, sanitised, stored and settled by a Runner on a store of its
// own in a temporary folder, with a clusterer restored from that store as
// --once restores one. It returns an assignment per item, in the order given.
func Evaluate(ctx context.Context, items []story.Item, cfg story.Config) ([]story.Assignment, error) {
	dir, err := os.MkdirTemp("", "aggregator-eval-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, filepath.Join(dir, "eval.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()

	// Runs in the order of their days, each with its feeds in the order of
	// their names, as a config lists them.
	runs := map[string]map[string][]story.Item{}
	for _, it := range items {
		feeds := runs[it.Day]
		if feeds == nil {
			feeds = map[string][]story.Item{}
			runs[it.Day] = feeds
		}
		src := evalFeedURL(it.FeedSource())
		feeds[src] = append(feeds[src], it)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, day := range slices.Sorted(maps.Keys(runs)) {
		docs := map[string][]byte{}
		var feeds []Feed
		for _, u := range slices.Sorted(maps.Keys(runs[day])) {
			items := runs[day][u]
			if len(items) > fetch.DefaultMaxItems {
				return nil, fmt.Errorf("%d items of one feed in one run (%s %s): a document keeps at most %d; give the items days",
					len(items), u, day, fetch.DefaultMaxItems)
			}
			// Newest first, as feeds list them; items published together
			// stay in the order given.
			slices.SortStableFunc(items, func(a, b story.Item) int { return b.Published.Compare(a.Published) })
			doc, err := evalDocument(u, items)
			if err != nil {
				return nil, err
			}
			docs[u] = doc
			feeds = append(feeds, Feed{URL: u})
		}
		r := &Runner{Store: st, Fetcher: documents(docs), Stories: story.New(cfg), Log: log}
		r.RestoreLater()
		if err := Failed(r.RunAll(ctx, feeds, true)); err != nil {
			return nil, fmt.Errorf("run of %s: %w", cmp.Or(day, "the items"), err)
		}
	}

	// Back from the stored articles to the items, by link.
	placed := map[string]story.Assignment{}
	err = st.Replay(ctx, time.Time{}, func(s store.Stored) error {
		placed[dedupe.CanonicalURL(s.Item.Link)] = story.Assignment{Story: s.StoryID, Joined: s.StoryID != s.EntryID}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]story.Assignment, len(items))
	for i, it := range items {
		a, ok := placed[dedupe.CanonicalURL(evalLink(it))]
		if !ok {
			return nil, fmt.Errorf("item %s (%s) was not stored", it.ID, evalLink(it))
		}
		a.ID, a.Gold = it.ID, it.Story
		if a.Gold == "" {
			a.Gold = "\x00" + it.ID
		}
		out[i] = a
	}
	return out, nil
}

// evalFeedURL is the URL of the feed of an evaluation source.
func evalFeedURL(source string) string {
	return "http://eval.invalid/" + url.PathEscape(source)
}

// evalLink is an item's link, or one made of its id when it has none: the
// store tells items apart by link.
func evalLink(it story.Item) string {
	if it.Link != "" {
		return it.Link
	}
	return evalFeedURL("item") + "/" + url.PathEscape(it.ID)
}

// evalDocument is an Atom document of items, in their order.
func evalDocument(feedURL string, items []story.Item) ([]byte, error) {
	type text struct {
		Type string `xml:"type,attr"`
		Text string `xml:",chardata"`
	}
	type link struct {
		Href string `xml:"href,attr"`
	}
	type entry struct {
		ID        string `xml:"id"`
		Title     text   `xml:"title"`
		Link      link   `xml:"link"`
		Published string `xml:"published"`
		Updated   string `xml:"updated"`
		Summary   *text  `xml:"summary"`
	}
	type feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Title   string   `xml:"title"`
		Updated string   `xml:"updated"`
		Entries []entry  `xml:"entry"`
	}
	f := feed{ID: feedURL, Title: feedURL, Updated: time.Unix(0, 0).UTC().Format(time.RFC3339)}
	for _, it := range items {
		e := entry{ID: evalLink(it), Title: text{"html", it.Title}, Link: link{evalLink(it)},
			Published: it.Published.UTC().Format(time.RFC3339), Updated: it.Published.UTC().Format(time.RFC3339)}
		if it.Summary != "" {
			e.Summary = &text{"html", it.Summary}
		}
		f.Entries = append(f.Entries, e)
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	if err := xml.NewEncoder(&b).Encode(f); err != nil {
		return nil, fmt.Errorf("feed %s: %w", feedURL, err)
	}
	return b.Bytes(), nil
}

// documents is a Fetcher of documents held in memory, by URL.
type documents map[string][]byte

func (d documents) Fetch(_ context.Context, req fetch.Request) (*fetch.Result, error) {
	doc, ok := d[req.URL]
	if !ok {
		return nil, errors.New("no such feed")
	}
	return fetch.Parse(bytes.NewReader(doc), req.URL)
}
