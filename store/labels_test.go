package store

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"aggregator"
)

// labelsOf returns the labels of slug in the stored stories' articles.
func labelsOf(t *testing.T, s *Store, slug string) []string {
	t.Helper()
	stories, err := s.Stories(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, st := range stories {
		for _, m := range st.Members {
			for _, g := range m.Item.Tags {
				if g.Slug == slug && !slices.Contains(out, g.Label) {
					out = append(out, g.Label)
				}
			}
		}
	}
	return out
}

// TestOneLabelPerSlug: articles that spell a tag differently read with the
// label of the first stored, until the store is tagged again.
func TestOneLabelPerSlug(t *testing.T) { eachEngine(t, testOneLabelPerSlug) }

func testOneLabelPerSlug(t *testing.T, eng engine) {
	ctx := context.Background()
	s := eng.open(t)
	f, _, err := s.Feed(ctx, feedA, "A")
	if err != nil {
		t.Fatal(err)
	}
	tagged := func(key, label string) Keyed {
		return Keyed{Key: key, Hash: key, Item: aggregator.Item{Title: key, Link: "https://a.example/" + key,
			Tags: []aggregator.Tag{{Slug: "antonio-guterres", Label: label, Entity: true}}}}
	}
	for _, k := range []Keyed{tagged("one", "António Guterres"), tagged("two", "Antonio Guterres"), tagged("three", "ANTONIO GUTERRES")} {
		if _, _, err := s.SaveFetch(ctx, f.ID, Fetched{Items: []Keyed{k}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := labelsOf(t, s, "antonio-guterres"); !slices.Equal(got, []string{"António Guterres"}) {
		t.Errorf("labels %q, want only the first stored", got)
	}

	// Tagged again (the rules changed): the labels are noted afresh, the
	// first article's first.
	n, err := s.Retag(ctx, func(it aggregator.Item, _ aggregator.Feed) []aggregator.Tag {
		return []aggregator.Tag{{Slug: "antonio-guterres", Label: "UN chief " + it.Title}}
	})
	if err != nil || n != 3 {
		t.Fatalf("Retag = %d, %v", n, err)
	}
	if got := labelsOf(t, s, "antonio-guterres"); !slices.Equal(got, []string{"UN chief one"}) {
		t.Errorf("labels after Retag %q, want only UN chief one", got)
	}
}

// TestMigrateTagLabels: a store from before tag_labels gets its slugs'
// labels from its articles, the first stored first. SQLite only (oldStore).
func TestMigrateTagLabels(t *testing.T) {
	ctx := context.Background()
	qs := []string{`INSERT INTO feeds (id, url, name, last_success) VALUES (1, 'https://old.example/feed', 'old', 1694500000)`}
	for i, label := range []string{"Jürgen Klopp", "Jurgen Klopp"} {
		qs = append(qs, fmt.Sprintf(`INSERT INTO items (id, key, entry_id, feed_id, guid, link, title, summary, content, author, categories,
			published, updated, first_seen, content_hash, story_id, story_score, tags)
		VALUES (%[1]d, 'k%[1]d', 'urn:%[1]d', 1, '', 'https://news.example/%[1]d', 'T', '', '', '', '[]',
			1600000000, 1600000000, 1600000000, 'h', 'urn:%[1]d', 1, '[{"Slug":"jurgen-klopp","Label":"%[2]s","Entity":true}]')`, i+1, label),
			fmt.Sprintf(`INSERT INTO stories (id, published, members, seq) VALUES ('urn:%[1]d', 1600000000, 1, %[1]d)`, i+1))
	}
	s, err := Open(ctx, oldStore(t, len(migrations)-1, qs...))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := labelsOf(t, s, "jurgen-klopp"); !slices.Equal(got, []string{"Jürgen Klopp"}) {
		t.Errorf("labels %q, want only Jürgen Klopp", got)
	}
}
