package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"aggregator/dedupe"
	"aggregator/internal/storetest"
	"aggregator/story"
)

// TestKimStoriesAnyArrival: the stories do not depend on how the feeds
// arrive. The Kim fixture's five feeds, with their own 2023 dates, reach a
// daemon (one clusterer, settled after each burst of fetches) or a series of
// --once runs (each restoring its clusterer from the store) in many orders
// and batches; every time the stored stories are the fixture's 8.
func TestKimStoriesAnyArrival(t *testing.T) {
	data, err := os.ReadFile("../testdata/kim/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var gold struct{ Stories map[string][]string }
	if err := json.Unmarshal(data, &gold); err != nil {
		t.Fatal(err)
	}
	want := partition(slices.Collect(func(yield func([]string) bool) {
		for _, links := range gold.Stories {
			if !yield(links) {
				return
			}
		}
	}))

	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 16 {
		feeds := kimFeeds(t)
		rng.Shuffle(len(feeds), func(i, j int) { feeds[i], feeds[j] = feeds[j], feeds[i] })
		var batches [][]Feed
		for rest := feeds; len(rest) > 0; {
			k := 1 + rng.IntN(len(rest))
			batches = append(batches, rest[:k])
			rest = rest[k:]
		}
		daemon := n%2 == 0
		var names []string
		for _, b := range batches {
			var bn []string
			for _, f := range b {
				bn = append(bn, f.URL[strings.LastIndexByte(f.URL, '/')+1:])
			}
			names = append(names, strings.Join(bn, "+"))
		}
		t.Run(fmt.Sprintf("daemon=%v/%s", daemon, strings.Join(names, ",")), func(t *testing.T) {
			st := storetest.New(t)
			runner := func() *Runner {
				return &Runner{Store: st, Fetcher: testClient(), Log: quiet(), Stories: story.New(story.DefaultConfig())}
			}
			r := runner()
			if err := r.Restore(ctx); err != nil {
				t.Fatal(err)
			}
			for _, b := range batches {
				if daemon {
					// As the Scheduler does: fetches one by one, then a settle.
					for _, f := range b {
						if rep := r.RunFeed(ctx, f, true); rep.Err != nil {
							t.Fatal(rep.Err)
						}
					}
					if err := r.Settle(ctx); err != nil {
						t.Fatal(err)
					}
					continue
				}
				r = runner()
				r.RestoreLater()
				if err := Failed(r.RunAll(ctx, b, true)); err != nil {
					t.Fatal(err)
				}
			}
			stories, err := st.Stories(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			var got [][]string
			for _, s := range stories {
				var links []string
				for _, m := range s.Members {
					for _, src := range m.Sources {
						links = append(links, src.Link)
					}
				}
				got = append(got, links)
			}
			if g := partition(got); !slices.Equal(g, want) {
				t.Errorf("%d stories:\n%s\nwant the fixture's %d:\n%s", len(g), strings.Join(g, "\n"), len(want), strings.Join(want, "\n"))
			}
		})
	}
}

// partition is a comparable form of groups of links: each group's
// canonical links sorted and joined, the groups sorted.
func partition(groups [][]string) []string {
	var out []string
	for _, g := range groups {
		var links []string
		for _, l := range g {
			links = append(links, dedupe.CanonicalURL(l))
		}
		slices.Sort(links)
		out = append(out, strings.Join(slices.Compact(links), " "))
	}
	slices.Sort(out)
	return out
}
