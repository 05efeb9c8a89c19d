package tag

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"aggregator"
	"aggregator/internal/shared"
)

// realweekPath is the shared fixture of 9,277 real news items of four days
// of September 2023 (title, summary, source), when it is there, for the
// benchmarks (tests find it through shared.Path).
var realweekPath = filepath.Join(shared.Dir(), "fixtures", "realweek", "items.jsonl")

// readRealweek returns the fixture's items as a tagger sees them.
func readRealweek(path string) ([]Input, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var items []Input
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct{ Title, Summary, Source, Link string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		items = append(items, Input{Item: aggregator.Item{Title: r.Title, Summary: r.Summary, Link: r.Link}, Source: r.Source})
	}
	return items, sc.Err()
}

// TestRealweekEntities tags a week of real items and looks for the junk
// that boilerplate, labels, headline capitals and cut summaries made.
func TestRealweekEntities(t *testing.T) {
	items, err := readRealweek(shared.Path(t, "fixtures", "realweek", "items.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	tg := mustNew(t, Options{Entities: true})
	counts := map[string]int{}
	for _, in := range items {
		for _, g := range tg.Tags(in) {
			if g.Kind == Entity {
				counts[g.Slug]++
			}
		}
	}
	t.Logf("%d items, %d distinct entity tags", len(items), len(counts))
	for _, junk := range []string{"comments-url", "article-url", "show-hn", "ask-hn", "tell-hn", "new-yor", "new-del",
		"new-ai", "new-camera", "new-exploit", "volodymyr-zelenskiy", "volodymyr-zelenskyy", "popular-science"} {
		if n := counts[junk]; n > 0 {
			t.Errorf("junk entity tag %s on %d items", junk, n)
		}
	}
	// "New" starts a tag only as the start of a gazetteer name ("new-york",
	// "new-york-times", "new-zealand").
	var places []string
	for _, e := range gazEntries {
		if e.toks[0] == "new" {
			places = append(places, strings.Join(e.toks, "-"))
		}
	}
	for slug, n := range counts {
		if !strings.HasPrefix(slug, "new-") {
			continue
		}
		if !slices.ContainsFunc(places, func(p string) bool {
			return strings.HasPrefix(slug, p) && (len(slug) == len(p) || slug[len(p)] == '-')
		}) {
			t.Errorf("entity tag %s on %d items does not start with a gazetteer place", slug, n)
		}
	}
	for _, want := range []string{"volodymyr-zelensky", "new-york", "new-zealand", "joe-biden", "united-nations"} {
		if counts[want] == 0 {
			t.Errorf("no entity tag %s", want)
		}
	}
}

// The kim fixture's gold entity tags are still found in its reports.
func TestKimExpectedEntityTags(t *testing.T) {
	b, err := os.ReadFile("../testdata/kim/expected.json")
	if err != nil {
		t.Skip("kim fixture absent:", err)
	}
	var gold struct {
		Tags struct {
			Entities []string `json:"entity_tags_at_least"`
		} `json:"tags_for_kim_train_story"`
	}
	if err := json.Unmarshal(b, &gold); err != nil {
		t.Fatal(err)
	}
	if len(gold.Tags.Entities) == 0 {
		t.Fatal("expected.json lists no entity tags")
	}
	tg := mustNew(t, Options{Entities: true})
	union := map[string]bool{}
	for _, it := range kimTrain {
		it.Categories = nil
		for _, s := range slugs(tg.Tags(Input{Item: it}), Entity) {
			union[s] = true
		}
	}
	for _, want := range append(gold.Tags.Entities, "north-korea", "russia") {
		if !union[want] {
			t.Errorf("the kim-train story lacks entity tag %s: %v", want, union)
		}
	}
}

// BenchmarkTagging100k tags 100,000 distinct items per op with five rules
// and entities on, as a large set of feeds' first cycle does: realweek's
// titles, each paired with the summaries of several other items, or
// generated items of the same size when the fixture is absent. One op takes
// seconds: run it with -benchtime 1x.
func BenchmarkTagging100k(b *testing.B) {
	const n = 100_000
	items := manyItems(n)
	tg := mustNew(b, Options{Entities: true, Rules: articleRules})
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		for i := range items {
			tg.Tags(items[i])
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
	// CPU time per item (all threads, GC included) is steadier than wall
	// time on a busy machine.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(n*b.N), "cpu-ns/item")
}

// manyItems returns n distinct items: from realweek when it is there (item
// i has the title of item i%len and the summary of the item 1+i/len after
// it, so no pair repeats), else generated.
func manyItems(n int) []Input {
	base, err := readRealweek(realweekPath)
	if err != nil || len(base) < 1000 || n/len(base)+1 >= len(base) {
		rng := rand.New(rand.NewPCG(7, 100_000))
		items := make([]Input, n)
		for i := range items {
			title := articleText(rng, 70)
			title = strings.TrimSuffix(title[:strings.LastIndexByte(title[:min(len(title), 80)], ' ')], ",")
			items[i] = Input{
				Item:   aggregator.Item{Title: title, Summary: "<p>" + articleText(rng, 300) + "</p>", Link: fmt.Sprintf("https://site.example/%d", i)},
				Source: "Site Example",
			}
		}
		return items
	}
	items := make([]Input, n)
	for i := range items {
		t, q := base[i%len(base)], i/len(base)
		s := base[(i%len(base)+1+q)%len(base)]
		items[i] = Input{
			Item:   aggregator.Item{Title: t.Item.Title, Summary: s.Item.Summary, Link: fmt.Sprintf("%s#%d", t.Item.Link, q)},
			Source: s.Source,
		}
	}
	return items
}
