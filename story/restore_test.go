package story

import (
	"os"
	"slices"
	"testing"
)

// A Clusterer rebuilt by replaying the assignments of the window decides
// the following items exactly as the one that made the assignments.
func TestRestoreContinuesAsBefore(t *testing.T) {
	f, err := os.Open("../../shared/fixtures/realweek/items.jsonl")
	if err != nil {
		t.Skip("realweek fixture not available:", err)
	}
	items, err := ReadItems(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(items, func(a, b Item) int { return a.Published.Compare(b.Published) })
	cfg := DefaultConfig()
	doc := func(it Item) Doc {
		return Doc{Key: it.ID, Title: it.Title, Summary: it.Summary, Published: it.Published, Source: it.Source}
	}

	half := len(items) / 2
	orig := New(cfg)
	type placed struct {
		doc   Doc
		story string
	}
	var history []placed
	for _, it := range items[:half] {
		id := orig.Add(doc(it)).Story
		history = append(history, placed{doc(it), id})
	}
	// Replay only what the window still holds, as the daemon does.
	since := items[half-1].Published.Add(-cfg.Window)
	restored := New(cfg)
	for _, p := range history {
		if !p.doc.Published.Before(since) {
			restored.Restore(p.doc, p.story, p.story)
		}
	}
	differ := 0
	for _, it := range items[half:] {
		a := orig.Add(doc(it)).Story
		b := restored.Add(doc(it)).Story
		if a != b {
			differ++
		}
	}
	t.Logf("%d of %d later items placed differently", differ, len(items)-half)
	// IDF counts from before the window are gone, so a few borderline
	// decisions may differ; the stories must not.
	if max := (len(items) - half) / 100; differ > max {
		t.Errorf("%d of %d later items placed differently after a restore (at most %d allowed)", differ, len(items)-half, max)
	}
}
