package store

import (
	"context"
	"testing"
	"time"

	"aggregator"
)

// An article's text comes from the feed whose site owns its link, whichever
// feed stored it first; a feed that lists another site's article only
// credits it.
func TestSaveFetchOwnerDecidesText(t *testing.T) { eachEngine(t, testSaveFetchOwnerDecidesText) }

func testSaveFetchOwnerDecidesText(t *testing.T, eng engine) {
	ctx := context.Background()
	const (
		link = "https://www.trusted.example/world/2023/09/12/kim-train"
		key  = "url:https://www.trusted.example/world/2023/09/12/kim-train"
	)
	type feed struct {
		url, site string
		title     string // of its version of the article
		published time.Time
	}
	var (
		// Fetched from another host, owning the site it names as its home.
		trusted = feed{"https://feeds.cdn.example/trusted/world.xml", "https://trusted.example/", "Kim leaves for Russia by train",
			t0.Add(-2 * time.Hour)}
		// Fetched from the site itself.
		trustedHere = feed{"https://trusted.example/world.xml", "https://trusted.example/", "Kim leaves for Russia by train",
			t0.Add(-2 * time.Hour)}
		hostile = feed{"https://hostile.example/feed.xml", "https://hostile.example/", "Trusted: Kim defects to the West",
			t0.Add(-30 * 24 * time.Hour)}
		// A feed that names the trusted site as its home page.
		impostor = feed{"https://hostile.example/feed.xml", "https://trusted.example/", "Trusted: Kim defects to the West",
			t0.Add(-30 * 24 * time.Hour)}
		// Two feeds of one site that owns the link no more than the other.
		sibling = feed{"https://www.trusted.example/uk.xml", "https://www.trusted.example/", "Kim's train heads north",
			t0.Add(-time.Hour)}
		// Aggregators owning neither.
		digest = feed{"https://digest.example/feed.xml", "https://digest.example/", "Digest: Kim travels",
			t0.Add(-time.Hour)}
		wire = feed{"https://wire.example/feed.xml", "https://wire.example/", "Wire: Kim travels",
			t0.Add(-3 * time.Hour)}
	)
	tests := []struct {
		name        string
		first, then feed
		want        feed // whose text and date the entry has, and credits first
	}{
		{"hostile first, then trusted", hostile, trusted, trusted},
		{"trusted first, then hostile", trusted, hostile, trusted},
		{"a copy dated later first, then trusted", digest, trusted, trusted},
		{"an impostor's home page first, then the site's own feed", impostor, trustedHere, trustedHere},
		{"the site's own feed first, then an impostor's home page", trustedHere, impostor, trustedHere},
		{"two feeds of the site: the first stays", trustedHere, sibling, trustedHere},
		{"two feeds of the site, the other way round", sibling, trustedHere, sibling},
		{"no owner: the first stays", digest, wire, digest},
		{"no owner, the other way round", wire, digest, wire},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := eng.open(t)
			feeds := map[string]aggregator.Feed{}
			var retold []string
			for _, f := range []feed{tt.first, tt.then} {
				sf, _, err := s.Feed(ctx, f.url, "")
				if err != nil {
					t.Fatal(err)
				}
				feeds[f.url] = sf
				// Known to the store from an earlier fetch, as Unstored
				// needs to know which links it owns.
				if _, _, err := s.SaveFetch(ctx, sf.ID, Fetched{Meta: &Meta{SiteURL: f.site}}); err != nil {
					t.Fatal(err)
				}
			}
			save := func(f feed, at time.Time) (added, changed int) {
				t.Helper()
				s.SetClock(func() time.Time { return at })
				sf := feeds[f.url]
				k := Keyed{Key: key, Hash: "raw:" + f.title, Item: aggregator.Item{
					GUID: f.url + "#kim", Link: link + "?utm_source=" + f.url, Title: f.title,
					Summary: "<p>" + f.title + "</p>", Published: f.published, Updated: f.published,
				}}
				in := Fetched{Meta: &Meta{Title: f.title, SiteURL: f.site}, Items: []Keyed{k},
					Retold: func(entryID string, it aggregator.Item) { retold = append(retold, it.Title) }}
				added, changed, err := s.SaveFetch(ctx, sf.ID, in)
				if err != nil {
					t.Fatal(err)
				}
				return added, changed
			}
			if added, _ := save(tt.first, t0); added != 1 {
				t.Fatalf("first feed added %d, want 1", added)
			}
			over := tt.want == tt.then
			if unstored, err := s.Unstored(ctx, feeds[tt.then.url].ID, []Keyed{{Key: key, Item: aggregator.Item{Link: link}}}); err != nil {
				t.Fatal(err)
			} else if unstored[0] != over {
				t.Errorf("Unstored = %v, want %v (the second feed takes the article over)", unstored[0], over)
			}
			at := t0.Add(time.Hour)
			if added, changed := save(tt.then, at); added != 0 || changed != map[bool]int{true: 1}[over] {
				t.Errorf("second feed: added %d, changed %d; want 0, %d", added, changed, map[bool]int{true: 1}[over])
			}
			// The feed that lost, or was never asked, repeats the article
			// with new text: it changes nothing.
			lost := tt.first
			if !over {
				lost = tt.then
			}
			lost.title += " (revised)"
			if _, changed := save(lost, at.Add(time.Hour)); changed != 0 {
				t.Errorf("%s revised an article it does not own: %d changed", lost.url, changed)
			}

			e := onlyEntry(t, s)
			if e.ID != aggregator.EntryID(key) {
				t.Errorf("id = %s, want %s whoever stored it", e.ID, aggregator.EntryID(key))
			}
			if e.Item.Title != tt.want.title || e.Item.Summary != "<p>"+tt.want.title+"</p>" {
				t.Errorf("title %q, summary %q; want %s's %q", e.Item.Title, e.Item.Summary, tt.want.url, tt.want.title)
			}
			if !e.Published.Equal(tt.want.published) {
				t.Errorf("published %v, want %s's %v", e.Published, tt.want.url, tt.want.published)
			}
			// Not yet placed in a story, so never published: the dates are
			// those the owner's feed storing it first gives.
			if !e.Updated.Equal(tt.want.published) {
				t.Errorf("updated %v, want %s's %v, whichever feed came first", e.Updated, tt.want.url, tt.want.published)
			}
			if len(e.Sources) != 2 || e.Sources[0].Feed.URL != tt.want.url {
				t.Errorf("sources %+v, want both feeds, %s first", e.Sources, tt.want.url)
			}
			if over != (len(retold) == 1) || over && retold[0] != tt.want.title {
				t.Errorf("Retold with %q; want the taken over article once when it is, else never", retold)
			}
		})
	}

	t.Run("placed before it is taken over: not retold, and updated", func(t *testing.T) {
		s := eng.open(t)
		h, _, _ := s.Feed(ctx, hostile.url, "")
		tr, _, _ := s.Feed(ctx, trusted.url, "")
		item := func(title string) []Keyed {
			return []Keyed{{Key: key, Hash: "raw:" + title, Item: aggregator.Item{Link: link, Title: title}}}
		}
		if _, _, err := s.SaveFetch(ctx, h.ID, Fetched{Meta: &Meta{SiteURL: hostile.site}, Items: item(hostile.title)}); err != nil {
			t.Fatal(err)
		}
		if err := s.Place(ctx, []Placed{{EntryID: aggregator.EntryID(key), StoryID: aggregator.EntryID(key)}}); err != nil {
			t.Fatal(err)
		}
		before := onlyEntry(t, s).Updated
		retold := 0
		_, changed, err := s.SaveFetch(ctx, tr.ID, Fetched{Meta: &Meta{SiteURL: trusted.site}, Items: item(trusted.title),
			Retold: func(string, aggregator.Item) { retold++ }})
		if err != nil || changed != 1 || retold != 0 {
			t.Errorf("changed %d, retold %d, err %v; want 1, 0, nil", changed, retold, err)
		}
		if after := onlyEntry(t, s).Updated; !after.After(before) {
			t.Errorf("updated %v, then %v: a published article whose text changed is updated", before, after)
		}
	})
}
