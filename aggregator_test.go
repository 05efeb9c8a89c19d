package aggregator

import (
	"testing"
	"time"
)

func TestStoryEntry(t *testing.T) {
	t0 := time.Date(2023, 9, 12, 6, 0, 0, 0, time.UTC)
	wire := Feed{URL: "https://wire.example/feed", Name: "Wire"}
	ledger := Feed{URL: "https://ledger.example/feed", Title: "Ledger"}
	desk := Feed{URL: "https://desk.example/feed", Name: "Desk"}
	member := func(link string, published time.Duration, text string, feeds ...Feed) Member {
		m := Member{Item: Item{Link: link, Title: link, Summary: text, Published: t0.Add(published), Updated: t0.Add(published)},
			FirstSeen: t0.Add(published + time.Minute)}
		for _, f := range feeds {
			m.Sources = append(m.Sources, Source{Feed: f, Link: link})
		}
		return m
	}
	s := Story{ID: "urn:uuid:story", Members: []Member{
		member("https://wire.example/kim", time.Hour, "short", wire, ledger),
		member("https://desk.example/kim", 0, "the earliest", desk),
		member("https://desk.example/kim-2", 0, "as early, and longer", desk),
	}}

	tests := []struct {
		name        string
		rule        EntryRule
		wantLink    string
		wantUpdated time.Time
		wantFirst   string // the first credited feed
	}{
		{"earliest, then richest", EntryRule{}, "https://desk.example/kim-2", t0, "Desk"},
		{"source priority by name", EntryRule{SourcePriority: []string{"Wire"}}, "https://wire.example/kim", t0.Add(time.Hour), "Wire"},
		{"source priority by title of a second feed", EntryRule{SourcePriority: []string{"Nobody", "Ledger"}}, "https://wire.example/kim", t0.Add(time.Hour), "Wire"},
		{"source priority by URL", EntryRule{SourcePriority: []string{"https://desk.example/feed"}}, "https://desk.example/kim-2", t0, "Desk"},
		{"update on join", EntryRule{UpdateOnJoin: true}, "https://desk.example/kim-2", t0.Add(time.Hour + time.Minute), "Desk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := s.Entry(tt.rule)
			if e.ID != s.ID {
				t.Errorf("ID = %q, want the story's", e.ID)
			}
			if e.Item.Link != tt.wantLink {
				t.Errorf("representative = %s, want %s", e.Item.Link, tt.wantLink)
			}
			if !e.Published.Equal(t0) {
				t.Errorf("Published = %v, want the earliest member's %v", e.Published, t0)
			}
			if !e.Updated.Equal(tt.wantUpdated) {
				t.Errorf("Updated = %v, want %v", e.Updated, tt.wantUpdated)
			}
			if len(e.Sources) != 4 || e.Sources[0].Feed.DisplayName() != tt.wantFirst {
				t.Errorf("sources = %+v, want 4 with %s first", e.Sources, tt.wantFirst)
			}
		})
	}
}

// Published ids are forever: this pins the derivation.
func TestEntryIDStable(t *testing.T) {
	const key = "url:https://korea-desk.example/2023/09/12/kim-train-russia"
	if got, want := EntryID(key), "urn:uuid:ad743734-6995-5696-b0d3-baedd9cb9430"; got != want {
		t.Errorf("EntryID(%q) = %s, want %s: changing it changes every published id", key, got, want)
	}
	if EntryID(key) == EntryID(key+"x") {
		t.Error("different keys, same id")
	}
}
