package aggregator

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestStoryEntry(t *testing.T) {
	t0 := time.Date(2023, 9, 12, 6, 0, 0, 0, time.UTC)
	wire := Feed{URL: "https://wire.example/feed", Name: "Wire"}
	ledger := Feed{URL: "https://ledger.example/feed", Title: "Ledger"}
	desk := Feed{URL: "https://desk.example/feed", Name: "Desk"}
	// The same words, so that only the rule, dates and length tell them apart.
	member := func(link string, published time.Duration, text string, feeds ...Feed) Member {
		m := Member{Item: Item{Link: link, Title: "Kim boards a train", Summary: text, Published: t0.Add(published), Updated: t0.Add(published)},
			FirstSeen: t0.Add(published + time.Minute)}
		for _, f := range feeds {
			m.Sources = append(m.Sources, Source{Feed: f, Link: link})
		}
		return m
	}
	s := Story{ID: "urn:uuid:story", Members: []Member{
		member("https://wire.example/kim", time.Hour, "Russia", wire, ledger),
		member("https://desk.example/kim", 0, "Russia", desk),
		member("https://desk.example/kim-2", 0, "Russia, Russia", desk),
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
		{"source priority by URL of a second feed", EntryRule{SourcePriority: []string{"Nobody", "https://ledger.example/feed"}}, "https://wire.example/kim", t0.Add(time.Hour), "Wire"},
		// Any feed could give itself a configured feed's name as its title.
		{"no source priority by a feed's own title", EntryRule{SourcePriority: []string{"Ledger"}}, "https://desk.example/kim-2", t0, "Desk"},
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

func TestEntryHeadline(t *testing.T) {
	t0 := time.Date(2023, 9, 12, 6, 0, 0, 0, time.UTC)
	type art struct {
		feed, link, title, summary string
		after                      time.Duration // published after t0
	}
	story := func(arts ...art) Story {
		s := Story{ID: "urn:uuid:story"}
		for _, a := range arts {
			f := Feed{URL: "https://" + a.feed + ".example/feed", Name: a.feed}
			s.Members = append(s.Members, Member{
				Item:      Item{Link: a.link, Title: a.title, Summary: a.summary, Published: t0.Add(a.after), Updated: t0.Add(a.after)},
				FirstSeen: t0.Add(a.after + time.Minute),
				Sources:   []Source{{Feed: f, Link: a.link}},
			})
		}
		return s
	}
	report := func(feed string, after time.Duration) art {
		return art{feed, "https://" + strings.ToLower(feed) + ".example/world/kim-train", "Kim Jong Un travels to Russia by armoured train to meet Putin",
			"North Korea's leader Kim Jong Un is travelling by armoured train to Russia for talks with Vladimir Putin on weapons.", after}
	}
	tests := []struct {
		name     string
		rule     EntryRule
		arts     []art
		wantLink string
	}{
		{"opinion by title, though earliest", EntryRule{}, []art{
			{"Ledger", "https://ledger.example/world/kim-view", "Opinion: Kim Jong Un travels to Russia by armoured train to meet Putin",
				"North Korea's leader Kim Jong Un is travelling by armoured train to Russia for talks with Vladimir Putin on weapons.", 0},
			report("Wire", time.Hour),
			report("Desk", 2*time.Hour),
		}, "https://wire.example/world/kim-train"},
		{"live blog by path", EntryRule{}, []art{
			{"Ledger", "https://ledger.example/news/live/kim-russia", "Kim Jong Un travels to Russia by train to meet Putin", "North Korea's Kim Jong Un travels to Russia by armoured train for talks with Putin on weapons.", 0},
			report("Wire", time.Hour),
		}, "https://wire.example/world/kim-train"},
		{"central rather than an aside", EntryRule{}, []art{
			{"Ledger", "https://ledger.example/world/kim-diet", "Inside the armoured train: lobster, wine and a slow ride", "Kim's train carries lobster and fine wine, and never goes faster than 50km/h.", 0},
			report("Wire", time.Hour),
			report("Desk", 2*time.Hour),
		}, "https://wire.example/world/kim-train"},
		{"source priority before the kind of piece", EntryRule{SourcePriority: []string{"Ledger"}}, []art{
			report("Wire", 0),
			{"Ledger", "https://ledger.example/opinion/kim", "Kim Jong Un travels to Russia by armoured train to meet Putin", "North Korea's leader Kim Jong Un is travelling by armoured train to Russia for talks with Vladimir Putin on weapons.", time.Hour},
		}, "https://ledger.example/opinion/kim"},
		{"all opinion: the most central", EntryRule{}, []art{
			{"Ledger", "https://ledger.example/opinion/a", "Opinion: a lonely dictator's holiday", "Nobody else goes anywhere by rail.", 0},
			{"Wire", "https://wire.example/opinion/b", "Opinion: Kim Jong Un's train to Russia", "Kim Jong Un goes to Russia to meet Putin.", time.Hour},
			{"Desk", "https://desk.example/opinion/c", "Opinion: Putin needs Kim Jong Un", "Russia wants shells from Kim Jong Un.", 2 * time.Hour},
		}, "https://wire.example/opinion/b"},
		{"equally central: the earliest", EntryRule{}, []art{
			report("Wire", time.Hour),
			report("Desk", 0),
		}, "https://desk.example/world/kim-train"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := story(tt.arts...)
			e := s.Entry(tt.rule)
			if e.Item.Link != tt.wantLink {
				t.Errorf("representative = %s (%q), want %s", e.Item.Link, e.Item.Title, tt.wantLink)
			}
			if e.ID != s.ID {
				t.Errorf("ID = %q, want the story's %q", e.ID, s.ID)
			}
			if again := s.Entry(tt.rule); !reflect.DeepEqual(e, again) {
				t.Errorf("the same members gave two entries:\n%+v\n%+v", e, again)
			}
		})
	}
}

func TestIsReport(t *testing.T) {
	tests := []struct {
		title, link string
		want        bool
	}{
		{"Kim Jong Un travels to Russia", "https://a.example/world/asia/kim", true},
		{"Opinion: Kim's train is a warning", "https://a.example/world/kim", false},
		{"Analysis | What Putin wants from Kim", "https://a.example/world/kim", false},
		{"ANALYSIS-Putin and Kim", "https://a.example/world/kim", false},
		{"Explainer: Why Kim takes the train", "https://a.example/world/kim", false},
		{"LIVE – Kim arrives in Russia", "https://a.example/world/kim", false},
		{"Watch: Kim's train leaves Pyongyang", "https://a.example/world/kim", false},
		{"Quiz: how well do you know North Korea?", "https://a.example/world/kim", false},
		{"What we know about Kim's trip to Russia", "https://a.example/world/kim", false},
		{"How to watch the Putin-Kim summit", "https://a.example/world/kim", false},
		{"Russia-Ukraine war: Putin meets Kim – live", "https://a.example/world/kim", false},
		{"Kim Jong Un travels to Russia", "https://a.example/commentisfree/2023/kim", false},
		{"Kim Jong Un travels to Russia", "https://a.example/news/live/world-123", false},
		{"Kim Jong Un travels to Russia", "https://a.example/video/world/kim", false},
		{"Kim Jong Un travels to Russia", "https://a.example/podcasts/today", false},
		{"Kim Jong Un travels to Russia", "https://a.example/newsletter/kim", false},
		// Cues are whole labels and whole path sections.
		{"Watchdog fines bank", "https://a.example/business/watchdog", true},
		{"Live music returns to Kyiv", "https://a.example/culture/livemusic", true},
		{"Analysts doubt the summit", "https://a.example/world/analysts-doubt", true},
		{"Kim Jong Un travels to Russia", "https://a.example/world/video-game-makers", true},
	}
	for _, tt := range tests {
		if got := IsReport(Item{Title: tt.title, Link: tt.link}); got != tt.want {
			t.Errorf("IsReport(%q, %s) = %v, want %v", tt.title, tt.link, got, tt.want)
		}
	}
}

// A story's headline settles once it is established: later articles, however
// central, are credited but do not head it; and as the story grows, its
// entry's updated time never goes back, and moves on when the headline
// changes.
func TestEntryHeadlineSettles(t *testing.T) {
	t0 := time.Date(2023, 9, 12, 6, 0, 0, 0, time.UTC)
	member := func(feed, title string, seen time.Duration) Member {
		link := "https://" + feed + ".example/" + strings.ReplaceAll(strings.ToLower(title), " ", "-")
		return Member{
			Item:      Item{Link: link, Title: title, Published: t0, Updated: t0},
			FirstSeen: t0.Add(seen),
			Sources:   []Source{{Feed: Feed{Name: feed}, Link: link}},
		}
	}
	members := []Member{
		member("Ledger", "Opinion: Kim heads for Russia", 0),                               // headed by an opinion piece at first
		member("Wire", "Kim Jong Un leaves Pyongyang by train for Russia", 30*time.Minute), // a report takes over
		member("Desk", "Kim train Russia Putin summit Vladivostok", time.Hour),             // third outlet, still young
		member("Post", "Kim Jong Un train Russia Putin", 3*time.Hour),                      // joins an established story
		member("Times", "Kim Jong Un train Russia Putin", 4*time.Hour),
	}
	want := []struct {
		head    string
		updated time.Time
	}{
		{"Opinion: Kim heads for Russia", t0},
		{"Kim Jong Un leaves Pyongyang by train for Russia", t0.Add(30 * time.Minute)},
		{"Kim Jong Un leaves Pyongyang by train for Russia", t0.Add(30 * time.Minute)},
		// Without the rule, the fourth member would head the story: it
		// shares the most words with the others.
		{"Kim Jong Un leaves Pyongyang by train for Russia", t0.Add(30 * time.Minute)},
		{"Kim Jong Un leaves Pyongyang by train for Russia", t0.Add(30 * time.Minute)},
	}
	var last Entry
	for n := 1; n <= len(members); n++ {
		s := Story{ID: "urn:uuid:story", Members: members[:n]}
		e := s.Entry(EntryRule{})
		if e.Item.Title != want[n-1].head || !e.Updated.Equal(want[n-1].updated) {
			t.Errorf("with %d members: headed by %q, updated %v; want %q, %v", n, e.Item.Title, e.Updated, want[n-1].head, want[n-1].updated)
		}
		if e.Updated.Before(last.Updated) {
			t.Errorf("with %d members: updated went back from %v to %v", n, last.Updated, e.Updated)
		}
		if last.ID != "" && e.Item.Link != last.Item.Link && !e.Updated.After(last.Updated) {
			t.Errorf("with %d members: the headline changed and updated stayed %v", n, e.Updated)
		}
		last = e
	}

	// The rule is what stops the fourth from heading the story.
	late := Story{ID: "urn:uuid:story", Members: slices.Clone(members[:4])}
	late.Members[3].FirstSeen = t0.Add(90 * time.Minute) // before the story is two hours old
	if e := late.Entry(EntryRule{}); e.Item.Link != late.Members[3].Item.Link {
		t.Errorf("a member joining a young story: headed by %q, want the most central, %q", e.Item.Title, late.Members[3].Item.Title)
	}
}

func TestStoryTags(t *testing.T) {
	tag := func(slug string) Tag { return Tag{Slug: slug, Label: slug} }
	entity := func(slug string) Tag { return Tag{Slug: slug, Label: slug, Entity: true} }
	t0 := time.Date(2023, 9, 12, 6, 0, 0, 0, time.UTC)
	member := func(title string, tags ...Tag) Member {
		return Member{Item: Item{Title: title, Published: t0, Tags: tags}, FirstSeen: t0,
			Sources: []Source{{Feed: Feed{Name: title}}}}
	}
	slugs := func(tags []Tag) string {
		var s []string
		for _, t := range tags {
			s = append(s, t.Slug)
		}
		return strings.Join(s, " ")
	}
	tests := []struct {
		name    string
		members []Member
		want    string
	}{
		{"one article: its own tags, rule tags first", []Member{
			member("Kim Jong Un goes to Russia", entity("kim-jong-un"), tag("north-korea"), entity("russia")),
		}, "north-korea kim-jong-un russia"},
		{"the headline's tags, and those a third of the articles carry", []Member{
			member("Kim Jong Un goes to Russia by train", tag("north-korea"), entity("kim-jong-un"), entity("russia")),
			member("Kim Jong Un goes to Russia by train", tag("north-korea"), entity("russia"), tag("arms")),
			member("Kim Jong Un goes to Russia by train", tag("north-korea"), tag("arms")),
			member("Kim Jong Un in Russia: what about Ukraine", tag("north-korea"), entity("ukraine")),
			member("Kim Jong Un goes to Russia by train", tag("north-korea"), entity("japan")),
			member("Kim Jong Un goes to Russia by train", tag("north-korea"), entity("china")),
		}, "north-korea russia kim-jong-un arms"},
		{"two articles: both must carry it", []Member{
			member("Kim Jong Un goes to Russia", tag("north-korea")),
			member("Kim Jong Un goes to Russia", tag("north-korea"), tag("sport"), tag("sport")),
		}, "north-korea"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Story{ID: "urn:uuid:story", Members: tt.members}
			if got := slugs(s.Entry(EntryRule{}).Tags); got != tt.want {
				t.Errorf("tags = %s, want %s", got, tt.want)
			}
		})
	}

	t.Run("at most eight, the best supported", func(t *testing.T) {
		var many []Tag
		for _, c := range "abcdefghijkl" {
			many = append(many, entity("place-"+string(c)))
		}
		s := Story{ID: "urn:uuid:story", Members: []Member{
			member("A report", many...),
			member("A report", entity("place-l"), entity("place-k")),
		}}
		got := s.Entry(EntryRule{}).Tags
		if want := "place-k place-l place-a place-b place-c place-d place-e place-f"; slugs(got) != want {
			t.Errorf("tags = %s, want %s", slugs(got), want)
		}
	})

	t.Run("the headline's label wins", func(t *testing.T) {
		s := Story{ID: "urn:uuid:story", Members: []Member{
			member("Opinion: Kim", Tag{Slug: "kim-jong-un", Label: "Kim Jong-un", Entity: true}),
			member("Kim Jong Un goes to Russia", Tag{Slug: "kim-jong-un", Label: "Kim Jong Un", Entity: true}),
		}}
		if got := s.Entry(EntryRule{}).Tags; len(got) != 1 || got[0].Label != "Kim Jong Un" {
			t.Errorf("tags = %+v, want the report's label", got)
		}
	})
}

// Articles first seen together joined together: a story that arrives whole
// was never seen with another headline, and keeps its representative's time.
func TestEntryArrivingTogether(t *testing.T) {
	t0 := time.Date(2023, 9, 12, 6, 0, 0, 0, time.UTC)
	seen := t0.Add(24 * time.Hour)
	member := func(feed, title string) Member {
		return Member{Item: Item{Link: "https://" + feed + ".example/kim", Title: title, Published: t0, Updated: t0},
			FirstSeen: seen, Sources: []Source{{Feed: Feed{Name: feed}}}}
	}
	s := Story{ID: "urn:uuid:story", Members: []Member{
		member("ledger", "Opinion: Kim's train"),
		member("wire", "Kim Jong Un takes the train to Russia"),
	}}
	e := s.Entry(EntryRule{})
	if e.Item.Title != "Kim Jong Un takes the train to Russia" || !e.Updated.Equal(t0) {
		t.Errorf("headed by %q, updated %v; want the report, updated %v", e.Item.Title, e.Updated, t0)
	}
	s.Members[1].FirstSeen = seen.Add(time.Second)
	if e := s.Entry(EntryRule{}); !e.Updated.Equal(s.Members[1].FirstSeen) {
		t.Errorf("a report that took over later: updated %v, want when it joined, %v", e.Updated, s.Members[1].FirstSeen)
	}
}

func TestFeedOwns(t *testing.T) {
	tests := []struct {
		feed Feed
		link string
		want Ownership
	}{
		{Feed{URL: "https://feeds.example.co.uk/world.xml"}, "https://www.example.co.uk/news/1", OwnerByURL},
		{Feed{URL: "https://feeds.example.co.uk/world.xml"}, "http://EXAMPLE.co.uk./news/1", OwnerByURL},
		{Feed{URL: "https://feeds.example.co.uk/world.xml"}, "https://other.co.uk/news/1", NotOwner},
		{Feed{URL: "https://cdn.example/feed", SiteURL: "https://www.example.org/"}, "https://example.org/a", OwnerBySite},
		{Feed{URL: "https://example.org/feed", SiteURL: "https://example.org/"}, "https://news.example.org/a", OwnerByURL},
		// A public suffix that anyone may register under: two blogs are two sites.
		{Feed{URL: "https://alice.github.io/feed.xml"}, "https://bob.github.io/post", NotOwner},
		{Feed{URL: "https://alice.github.io/feed.xml"}, "https://alice.github.io/post", OwnerByURL},
		// IP addresses and hosts without a registrable domain must be equal.
		{Feed{URL: "http://127.0.0.1:8080/feed"}, "http://127.0.0.1:9090/a", OwnerByURL},
		{Feed{URL: "http://127.0.0.1/feed"}, "http://10.0.0.1/a", NotOwner},
		{Feed{URL: "http://localhost/feed"}, "http://localhost/a", OwnerByURL},
		{Feed{URL: "http://localhost/feed"}, "http://otherhost/a", NotOwner},
		// Only http(s) has a site.
		{Feed{URL: "file:///srv/feed.xml", SiteURL: "https://example.org/"}, "https://example.org/a", OwnerBySite},
		{Feed{URL: "file:///srv/feed.xml"}, "file:///srv/a.html", NotOwner},
		{Feed{URL: "https://example.org/feed"}, "", NotOwner},
		{Feed{URL: "https://example.org/feed"}, "mailto:news@example.org", NotOwner},
	}
	for _, tt := range tests {
		if got := tt.feed.Owns(tt.link); got != tt.want {
			t.Errorf("%+v.Owns(%q) = %d, want %d", tt.feed, tt.link, got, tt.want)
		}
	}
}
