package publish

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"aggregator"
)

// archiveSource is an EntrySource with archives over a growing list of
// entries, in the order they were added.
type archiveSource struct {
	fakeSource
	gone map[int64]bool // stories no longer stored, by seq
}

func (s archiveSource) EntriesAfter(_ context.Context, seq int64, limit int) ([]Archived, error) {
	var out []Archived
	for i := int(seq); i < len(s.entries) && len(out) < limit; i++ {
		if !s.gone[int64(i+1)] {
			out = append(out, Archived{Seq: int64(i + 1), Entry: s.entries[i]})
		}
	}
	return out, nil
}

func numbered(n int) []aggregator.Entry {
	var out []aggregator.Entry
	t0 := time.Date(2023, 9, 12, 0, 0, 0, 0, time.UTC)
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Hour)
		out = append(out, aggregator.Entry{
			ID: aggregator.EntryID(fmt.Sprint("n", i)), Published: at, Updated: at,
			Item:    aggregator.Item{Title: fmt.Sprint("Story ", i), Link: fmt.Sprintf("https://x.example/%d", i)},
			Sources: []aggregator.Source{{Feed: aggregator.Feed{URL: "https://x.example/feed", Name: "X"}}},
		})
	}
	return out
}

func TestArchives(t *testing.T) {
	p := &Publisher{Outputs: []Output{{Name: "all", Title: "All", Limit: 3}}, BaseURL: mustURL("https://agg.example/"), FeedDir: "feeds/"}
	build := func(n int) *Site {
		t.Helper()
		site, err := p.Build(context.Background(), archiveSource{fakeSource: fakeSource{entries: numbered(n)}})
		if err != nil {
			t.Fatal(err)
		}
		return site
	}
	link := func(body []byte, rel string) string {
		s := string(body)
		i := strings.Index(s, `rel="`+rel+`"`)
		if i < 0 {
			return ""
		}
		start := strings.LastIndex(s[:i], `href="`) + len(`href="`)
		return s[start : start+strings.Index(s[start:], `"`)]
	}

	site := build(7) // two full pages of 3, one story pending
	page1, page2 := lazyFile(t, site, "feeds/all/archive/1.atom"), lazyFile(t, site, "feeds/all/archive/2.atom")
	if len(site.Lazy) != 2 {
		t.Fatalf("archive pages: %v", keys(site))
	}
	cur := site.Files["feeds/all.atom"].Body
	if got := link(cur, "prev-archive"); got != "https://agg.example/feeds/all/archive/2.atom" {
		t.Errorf("current feed's prev-archive = %q", got)
	}
	if got := link(page2.Body, "prev-archive"); got != "https://agg.example/feeds/all/archive/1.atom" {
		t.Errorf("page 2's prev-archive = %q", got)
	}
	if got := link(page1.Body, "next-archive"); got != "https://agg.example/feeds/all/archive/2.atom" {
		t.Errorf("page 1's next-archive = %q", got)
	}
	if got := link(page2.Body, "next-archive"); got != "" {
		t.Errorf("the newest page links a next page %q", got)
	}
	for _, f := range []*File{page1, page2} {
		if link(f.Body, "current") != "https://agg.example/feeds/all.atom" || !strings.Contains(string(f.Body), `<archive xmlns="http://purl.org/syndication/history/1.0">`) {
			t.Errorf("an archive page lacks its current link or fh:archive:\n%s", f.Body)
		}
		if n := strings.Count(string(f.Body), "<entry>"); n != 3 {
			t.Errorf("an archive page has %d entries, want 3", n)
		}
	}
	if !strings.Contains(string(page1.Body), "Story 0") || strings.Contains(string(page1.Body), "Story 3") {
		t.Errorf("page 1 does not hold the three oldest stories")
	}

	// Two more stories complete page 3: page 1 stays byte for byte, page 2
	// gains its next-archive link, and the current feed points at page 3.
	later := build(9)
	if string(lazyFile(t, later, "feeds/all/archive/1.atom").Body) != string(page1.Body) {
		t.Error("page 1 changed when later stories arrived")
	}
	if got := link(lazyFile(t, later, "feeds/all/archive/2.atom").Body, "next-archive"); got != "https://agg.example/feeds/all/archive/3.atom" {
		t.Errorf("page 2's next-archive = %q after page 3 completed", got)
	}
	if got := link(later.Files["feeds/all.atom"].Body, "prev-archive"); got != "https://agg.example/feeds/all/archive/3.atom" {
		t.Errorf("current feed's prev-archive = %q", got)
	}
}

// briefSource is an archiveSource whose entries for archive pages carry a
// summary where the others carry the full text.
type briefSource struct{ archiveSource }

func (s briefSource) PageEntries(ctx context.Context, seqs []int64) ([]aggregator.Entry, error) {
	out, err := archiveEntries(ctx, s, seqs)
	for i := range out {
		out[i].Item.Summary, out[i].Item.Content = "<p>In short.</p>", ""
	}
	return out, err
}

// Archive pages are rendered from a PageSource's entries; the current feed
// and what a filtered output keeps, from whole entries.
func TestArchivePagesFromPageSource(t *testing.T) {
	entries := numbered(5)
	for i := range entries {
		entries[i].Item.Content = fmt.Sprintf("<p>Story %d in full.</p>", i)
	}
	src := briefSource{archiveSource{fakeSource: fakeSource{entries: entries}}}
	full := func(e aggregator.Entry) bool { return strings.Contains(e.Item.Content, "in full") }
	p := &Publisher{Outputs: []Output{{Name: "all", Title: "All", Limit: 2}, {Name: "full", Title: "Full", Limit: 2, Keep: full, Filter: "full"}},
		BaseURL: mustURL("https://agg.example/"), FeedDir: "feeds/"}
	site, err := p.Build(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"all", "full"} {
		for k := 1; k <= 2; k++ {
			page := string(lazyFile(t, site, fmt.Sprintf("feeds/%s/archive/%d.atom", name, k)).Body)
			if strings.Contains(page, "in full") || strings.Count(page, "In short.") != 2 {
				t.Errorf("%s page %d does not carry the summaries alone:\n%s", name, k, page)
			}
		}
		if cur := string(site.Files["feeds/"+name+".atom"].Body); !strings.Contains(cur, "Story 4 in full.") {
			t.Errorf("the current feed of %s lacks the full text:\n%s", name, cur)
		}
	}
}

func keys(s *Site) []string {
	var out []string
	for k := range s.Files {
		out = append(out, k)
	}
	for k := range s.Lazy {
		out = append(out, k+" (lazy)")
	}
	return out
}

// lazyFile renders the lazy file name of site.
func lazyFile(t *testing.T, site *Site, name string) *File {
	t.Helper()
	render, ok := site.Lazy[name]
	if !ok {
		t.Fatalf("no lazy file %s: %v", name, keys(site))
	}
	f, err := render(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestArchiveFiltered: a filtered output's archive pages hold the stories
// the filter kept when they were archived, in order; a story gone from the
// store is left out of its page.
func TestArchiveFiltered(t *testing.T) {
	entries := numbered(20)
	even := func(e aggregator.Entry) bool {
		var n int
		fmt.Sscanf(e.Item.Title, "Story %d", &n)
		return n%2 == 0
	}
	p := &Publisher{Outputs: []Output{{Name: "even", Title: "Even", Limit: 4, Keep: even}}, BaseURL: mustURL("https://agg.example/"), FeedDir: "feeds/"}
	src := &archiveSource{fakeSource: fakeSource{entries: entries}}
	site, err := p.Build(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if len(site.Lazy) != 2 { // 10 even stories: two pages of 4
		t.Fatalf("archive pages: %v", keys(site))
	}
	body := string(lazyFile(t, site, "feeds/even/archive/2.atom").Body)
	for n := range 20 {
		want := n%2 == 0 && n >= 8 && n < 16
		if got := strings.Contains(body, fmt.Sprintf("<title>Story %d</title>", n)); got != want {
			t.Errorf("page 2 holds Story %d: %v, want %v", n, got, want)
		}
	}
	// Story 10 leaves the store (retention): page 2 goes on without it.
	src.entries[10].Item.Title = "gone"
	src.gone = map[int64]bool{11: true}
	body = string(lazyFile(t, site, "feeds/even/archive/2.atom").Body)
	if strings.Contains(body, "gone") || strings.Count(body, "<entry>") != 3 {
		t.Errorf("page 2 after a story left the store:\n%s", body)
	}
}

// memSource is an archiveSource that keeps archive state, as the store does,
// and records the stories read.
type memSource struct {
	*archiveSource
	state map[string][]byte
	read  int // stories EntriesAfter returned
}

func (m *memSource) EntriesAfter(ctx context.Context, seq int64, limit int) ([]Archived, error) {
	out, err := m.archiveSource.EntriesAfter(ctx, seq, limit)
	m.read += len(out)
	return out, err
}

func (m *memSource) LoadArchive(_ context.Context, name string) ([]byte, error) {
	return m.state[name], nil
}

func (m *memSource) SaveArchive(_ context.Context, name string, state []byte) error {
	m.state[name] = state
	return nil
}

// TestArchiveMemory: a new Publisher (the next --once run) takes the
// archive's state from its ArchiveMemory: it reads only the stories created
// since, and marks changed only the new page and the one before it, which
// gains its next-archive link; a new filter builds the archive again.
func TestArchiveMemory(t *testing.T) {
	src := &memSource{archiveSource: &archiveSource{fakeSource: fakeSource{entries: numbered(7)}}, state: map[string][]byte{}}
	out := Output{Name: "all", Title: "All", Limit: 3}
	publisher := func() *Publisher {
		return &Publisher{Outputs: []Output{out}, BaseURL: mustURL("https://agg.example/"), FeedDir: ""}
	}
	dir := t.TempDir()
	build := func() *Site {
		t.Helper()
		site, err := publisher().Build(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		if err := site.WriteDir(context.Background(), dir); err != nil {
			t.Fatal(err)
		}
		return site
	}
	first := build()
	if len(first.Lazy) != 2 || !first.Changed["all/archive/1.atom"] || !first.Changed["all/archive/2.atom"] {
		t.Fatalf("first build: lazy %v, changed %v", keys(first), first.Changed)
	}
	if src.state["all"] == nil {
		t.Fatal("no archive state saved")
	}

	src.entries = numbered(10) // a third page completes
	src.read = 0
	second := build()
	if src.read > 3+1+3+3 { // the new stories, the pending one the current feed carries, pages 2 and 3
		t.Errorf("second build read %d stories, want only the new ones and the pages it renders", src.read)
	}
	if len(second.Lazy) != 3 || second.Changed["all/archive/1.atom"] || !second.Changed["all/archive/2.atom"] || !second.Changed["all/archive/3.atom"] {
		t.Errorf("second build: lazy %v, changed %v; want pages 2 (next link) and 3 changed", keys(second), second.Changed)
	}
	page2, err := os.ReadFile(filepath.Join(dir, "all/archive/2.atom"))
	if err != nil || !strings.Contains(string(page2), "all/archive/3.atom") {
		t.Errorf("page 2 on disk lacks its next-archive link (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "all/archive/3.atom")); err != nil {
		t.Errorf("page 3 not written: %v", err)
	}
	// A page missing from the folder is written again, changed or not.
	os.Remove(filepath.Join(dir, "all/archive/1.atom"))
	build()
	if _, err := os.Stat(filepath.Join(dir, "all/archive/1.atom")); err != nil {
		t.Errorf("missing page 1 not written again: %v", err)
	}

	// Another filter: the archive is chosen again from every story.
	out.Filter = "tag:x"
	out.Keep = func(e aggregator.Entry) bool {
		return strings.HasSuffix(e.Item.Title, "0") || strings.HasSuffix(e.Item.Title, "5")
	}
	src.read = 0
	third := build()
	if src.read < 10 || len(third.Lazy) != 0 {
		t.Errorf("after a filter change: read %d stories, %d pages; want all 10 read and no complete page (2 kept)", src.read, len(third.Lazy))
	}
}

// datedSource is a memSource whose Entries are the newest by publication
// date, as the store gives them, while its archives go by creation order.
type datedSource struct{ *memSource }

func (d datedSource) Entries(ctx context.Context, limit int, keep func(aggregator.Entry) bool) ([]aggregator.Entry, error) {
	byDate := slices.Clone(d.entries)
	slices.SortStableFunc(byDate, func(a, b aggregator.Entry) int { return b.Published.Compare(a.Published) })
	return fakeSource{entries: byDate}.Entries(ctx, limit, keep)
}

// TestArchiveReachesEveryStory: when stories are created in an order other
// than that of their dates (a feed added late brings old stories), every
// story an output keeps is in its current feed or in exactly one archive
// page, after every build, for the daemon (one Publisher) and for --once
// runs (a new Publisher each time, the files read back from the folder).
// Only the Atom documents link archives; the RSS and JSON ones hold the
// same stories as the current Atom feed.
func TestArchiveReachesEveryStory(t *testing.T) {
	const n = 11
	var created []aggregator.Entry
	t0 := time.Date(2023, 9, 12, 0, 0, 0, 0, time.UTC)
	for i := range n {
		// Creation order i, date order 7i mod 11: the last stories created
		// are among the oldest.
		at := t0.Add(time.Duration(7*i%n) * time.Hour)
		created = append(created, aggregator.Entry{
			ID: aggregator.EntryID(fmt.Sprint("c", i)), Published: at, Updated: at,
			Item:    aggregator.Item{Title: fmt.Sprint("Story ", i), Link: fmt.Sprintf("https://x.example/%d", i)},
			Sources: []aggregator.Source{{Feed: aggregator.Feed{URL: "https://x.example/feed", Name: "X"}}},
		})
	}
	even := func(e aggregator.Entry) bool {
		var i int
		fmt.Sscanf(e.Item.Title, "Story %d", &i)
		return i%2 == 0
	}
	outputs := []Output{
		{Name: "all", Title: "All", Limit: 3},
		{Name: "even", Title: "Even", Limit: 2, Keep: even, Filter: "even"},
	}
	for _, once := range []bool{false, true} {
		t.Run(map[bool]string{false: "daemon", true: "once"}[once], func(t *testing.T) {
			src := datedSource{&memSource{archiveSource: &archiveSource{}, state: map[string][]byte{}}}
			dir := t.TempDir()
			var p *Publisher
			for built := 1; built <= n; built++ {
				src.entries = created[:built]
				if p == nil || once {
					p = &Publisher{Outputs: outputs, BaseURL: mustURL("https://agg.example/")}
				}
				site, err := p.Build(context.Background(), src)
				if err != nil {
					t.Fatal(err)
				}
				if err := site.WriteDir(context.Background(), dir); err != nil {
					t.Fatal(err)
				}
				for _, o := range outputs {
					read := func(name string) string {
						t.Helper()
						if once {
							b, err := os.ReadFile(filepath.Join(dir, name))
							if err != nil {
								t.Fatal(err)
							}
							return string(b)
						}
						if f, ok := site.Files[name]; ok {
							return string(f.Body)
						}
						return string(lazyFile(t, site, name).Body)
					}
					current := read(o.Name + ".atom")
					rss, json := read(o.Name+".rss"), read(o.Name+".json")
					for _, body := range []string{rss, json} {
						if strings.Contains(body, "archive") {
							t.Fatalf("%s: an RSS or JSON document links archives; this test checks only Atom's:\n%s", o.Name, body)
						}
					}
					var pages []string
					for k := 1; k <= built/o.Limit; k++ {
						name := fmt.Sprintf("%s/archive/%d.atom", o.Name, k)
						if _, ok := site.Lazy[name]; ok {
							pages = append(pages, read(name))
						}
					}
					if len(pages) > 0 && !strings.Contains(current, fmt.Sprintf(`<link href="https://agg.example/%s/archive/%d.atom" rel="prev-archive"`, o.Name, len(pages))) {
						t.Errorf("after %d stories, %s.atom does not link its newest archive page %d", built, o.Name, len(pages))
					}
					for i, e := range created[:built] {
						if o.Keep != nil && !o.Keep(e) {
							continue
						}
						title := fmt.Sprintf("<title>Story %d</title>", i)
						inPages := 0
						for _, page := range pages {
							inPages += strings.Count(page, title)
						}
						inCurrent := strings.Contains(current, title)
						if inPages > 1 || inPages == 0 && !inCurrent {
							t.Errorf("after %d stories, Story %d of %s is in %d archive pages and current feed %v", built, i, o.Name, inPages, inCurrent)
						}
						if strings.Contains(rss, title) != inCurrent || strings.Contains(json, fmt.Sprintf(`"title": "Story %d"`, i)) != inCurrent {
							t.Errorf("after %d stories, Story %d of %s: in the Atom feed %v, and not so in the RSS or JSON one", built, i, o.Name, inCurrent)
						}
					}
				}
			}
		})
	}
}

// TestArchivesOfAnother: a Publisher that serves what another renders
// (another instance on a shared store) has the archive pages that one's
// last Build saved, the same bytes, however many stories were created
// since; and it saves nothing.
func TestArchivesOfAnother(t *testing.T) {
	src := &memSource{archiveSource: &archiveSource{fakeSource: fakeSource{entries: numbered(7)}}, state: map[string][]byte{}}
	out := Output{Name: "all", Title: "All", Limit: 3}
	publisher := func() *Publisher {
		return &Publisher{Outputs: []Output{out}, BaseURL: mustURL("https://agg.example/"), FeedDir: "feeds/"}
	}
	ctx := context.Background()
	if lazy, err := publisher().Archives(ctx, src); err != nil || len(lazy) != 0 {
		t.Fatalf("before any Build: %d pages, %v; want none", len(lazy), err)
	}
	site, err := publisher().Build(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	saved := string(src.state["feeds/all"])
	src.entries = numbered(10) // a third page completes, unseen by the builder
	lazy, err := publisher().Archives(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(lazy) != len(site.Lazy) || len(lazy) != 2 {
		t.Fatalf("Archives: %d pages, Build %d; want the 2 Build saved", len(lazy), len(site.Lazy))
	}
	for name, render := range lazy {
		got, err := render(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := lazyFile(t, site, name)
		if string(got.Body) != string(want.Body) || got.ETag != want.ETag {
			t.Errorf("%s differs from the builder's", name)
		}
	}
	if string(src.state["feeds/all"]) != saved {
		t.Error("Archives saved archive state")
	}
	// Without the source's archives, a Build has none and saves none.
	src.state = map[string][]byte{}
	plain, err := publisher().Build(ctx, Entries(src))
	if err != nil || len(plain.Lazy) != 0 || len(src.state) != 0 {
		t.Errorf("Build of Entries(src): %d pages, state %v, %v; want none", len(plain.Lazy), src.state, err)
	}
}
