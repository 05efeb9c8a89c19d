package story

import (
	"os"
	"slices"
	"testing"
)

// A Clusterer rebuilt by replaying the assignments of the window decides
// the following items exactly as the one that made the assignments.
func TestRestoreContinuesAsBefore(t *testing.T) {
	f, err := os.Open(realweekPath(t))
	if err != nil {
		t.Fatal(err)
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
		doc            Doc
		cluster, story string
	}
	var history []placed
	into := map[string]string{}
	merged := 0
	for _, it := range items[:half] {
		pl := orig.Add(doc(it))
		history = append(history, placed{doc(it), pl.Cluster, pl.Story})
		for _, m := range pl.Merges {
			into[m] = pl.Story
		}
		merged += len(pl.Merges)
	}
	if merged == 0 {
		t.Error("no story merged: the replay of merged stories is not tested")
	}
	// The store replays each item with the story it is published in now.
	as := make([]Assignment, len(history))
	for i, p := range history {
		as[i].Story = p.story
	}
	relabel(as, into)
	// Replay only what the window still holds, as the daemon does.
	restored := New(cfg)
	since := items[half-1].Published.Add(-restored.Horizon())
	for i, p := range history {
		if !p.doc.Published.Before(since) {
			restored.Restore(p.doc, p.cluster, as[i].Story)
		}
	}
	differ, published, merges := 0, 0, 0
	for _, it := range items[half:] {
		a := orig.Add(doc(it))
		b := restored.Add(doc(it))
		merges += len(a.Merges)
		switch {
		case a.Cluster != b.Cluster:
			differ++
		case a.Story != b.Story || a.Follows != b.Follows || !slices.Equal(a.Merges, b.Merges):
			published++
		}
	}
	t.Logf("%d of %d later items placed differently, %d published differently; %d stories merged before, %d after",
		differ, len(items)-half, published, merged, merges)
	// IDF counts from before the window are gone, so a few borderline
	// decisions may differ; the stories must not.
	if max := (len(items) - half) / 100; differ > max {
		t.Errorf("%d of %d later items placed differently after a restore (at most %d allowed)", differ, len(items)-half, max)
	}
	// The merges the clusterer knew of come back with the replay.
	if published > 0 {
		t.Errorf("%d later items placed alike but published differently after a restore", published)
	}
}
