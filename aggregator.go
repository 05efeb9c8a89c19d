// Package aggregator holds the domain types shared by the packages of the feed
// aggregator: the items a feed yields, the feeds themselves, their fetch state,
// and the entries an output publishes. The types do no I/O.
package aggregator

import (
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Item is one entry of an upstream feed, normalised from RSS, Atom or JSON Feed.
// Text fields are plain text; Summary and Content are sanitised HTML.
type Item struct {
	GUID       string // upstream guid / atom:id / JSON Feed id, as given
	Link       string // absolute link to the article, as given (tracking parameters kept)
	Title      string
	Summary    string
	Content    string
	Author     string
	Categories []string
	Published  time.Time // zero when the feed gives no date
	Updated    time.Time // zero when the feed gives no date
	Tags       []Tag     // set by the aggregator, not by the feed
}

// Tag labels an article, and the stories it belongs to.
type Tag struct {
	Slug   string // what filters match: lower-case letters, digits and hyphens
	Label  string // as people write it: "North Korea", "Vladimir Putin"
	Entity bool   // found in the text (a person, place or organisation), not given by a rule, a feed or the article's own categories
}

// Feed is a subscribed feed as the store knows it.
type Feed struct {
	ID       int64
	URL      string // the URL fetched: http(s) or file://
	Name     string // the name given in the config; empty to use Title
	Title    string // the title the feed gives itself
	SiteURL  string // the feed's home page
	AtomID   string // the feed's own atom:id, if it has one
	Language string // the language the feed declares ("en-gb"), if any
}

// DisplayName is the configured name, else the feed's own title, else its URL.
func (f Feed) DisplayName() string {
	switch {
	case f.Name != "":
		return f.Name
	case f.Title != "":
		return f.Title
	}
	return f.URL
}

// FeedState is what is remembered between two fetches of one feed: the
// validators for a conditional GET, what the publisher asked for, and the
// feed's health.
type FeedState struct {
	URL          string // where the feed is fetched now: the configured URL, or where a permanent redirect moved it
	ETag         string
	LastModified string
	BodyHash     string // digest of the last body, for servers that send no validators

	// What the feed itself asks for; kept across fetches that do not parse it.
	TTL       time.Duration  // RSS <ttl>, or sy:updatePeriod / sy:updateFrequency; 0 if none
	SkipHours []int          // RSS <skipHours>: hours (0–23, UTC) not to fetch in
	SkipDays  []time.Weekday // RSS <skipDays>: days (UTC) not to fetch on

	LastAttempt time.Time
	LastSuccess time.Time
	LastStatus  int       // HTTP status of the last attempt; 0 for files and network errors
	Error       string    // last error, empty after a success
	Failures    int       // consecutive failed attempts
	NextFetch   time.Time // the feed is not fetched before this time (unless forced)
	Retired     bool      // the server said 410 Gone: not fetched until the config changes the URL

	FailingSince time.Time // the first failure of the current outage; zero while the feed works
	OutageFrom   time.Time // when the last outage that ended began
	RecoveredAt  time.Time // when it ended
}

// Source credits one feed that carried an entry.
type Source struct {
	Feed Feed
	Link string // the link this feed gave for the entry
}

// Entry is one published entry: a stored item and the feeds that carried it.
type Entry struct {
	ID        string    // stable, absolute IRI; never changes once assigned
	Item      Item      // the representative item
	Published time.Time // when the entry was first published (never zero, never in the future of FirstSeen)
	Updated   time.Time // changes only when the entry's content changes
	Sources   []Source  // the first is the origin; never empty
	Tags      []Tag     // the union of its articles' tags, by slug
	// Earlier are the earlier developments of the entry's storyline, the
	// latest first: the story it follows, the one that one follows, ...
	Earlier []Development
}

// Development is an earlier entry of a storyline, as a later entry links it.
type Development struct {
	ID        string    // the earlier entry's id
	Title     string    // its headline
	Link      string    // its representative article
	Published time.Time // when it was first published
}

// EntryID derives the published id of an entry from the dedup key of its first
// item. It is a name-based (SHA-1, version 5) UUID URN, so the same key always
// yields the same id, on any machine, after any rebuild.
func EntryID(key string) string {
	return uuid.NewSHA1(entryNamespace, []byte(key)).URN()
}

// entryNamespace scopes EntryID; changing it would change every published id.
var entryNamespace = uuid.MustParse("6f1c6f0e-4d0a-5b8e-9a43-2f1d7c0b9e55")

// Member is one article of a story, with the feeds that carried it.
type Member struct {
	Item      Item      // Published and Updated are the article's entry times
	EntryID   string    // the article's own id, from its dedup key
	FirstSeen time.Time // when it was first stored
	Sources   []Source  // the feeds that carried this article; its origin first
}

// Story is one news event told by one or more articles.
type Story struct {
	ID      string   // the EntryID of its first article; never changes
	Seq     int64    // the order in which stories were created; never changes
	Members []Member // in the order they joined; never empty
	// Follows is the id of the story this one is a later development of
	// (the same storyline: "Kim arrives" follows "Kim leaves"), "" if none.
	Follows string
}

// EntryRule says how a story becomes a published entry.
type EntryRule struct {
	// SourcePriority names feeds (by configured name, title or URL), most
	// preferred first, whose article represents a story they carried.
	SourcePriority []string
	// UpdateOnJoin moves an entry's updated time forward when another outlet
	// joins its story, so readers see it again; by default only a change of
	// the representative article's content does.
	UpdateOnJoin bool
}

// Entry makes the published entry of a story. Its representative article is
// the one from the most preferred source (SourcePriority), then the earliest
// published, then the one with the most text, then the first to join. The
// entry credits the representative's feeds first, then every other outlet.
func (s Story) Entry(r EntryRule) Entry {
	rep := 0
	for i := 1; i < len(s.Members); i++ {
		if s.better(i, rep, r.SourcePriority) {
			rep = i
		}
	}
	m := s.Members[rep]
	e := Entry{ID: s.ID, Item: m.Item, Published: m.Item.Published, Updated: m.Item.Updated}
	e.Sources = append(e.Sources, m.Sources...)
	for i, o := range s.Members {
		if o.Item.Published.Before(e.Published) {
			e.Published = o.Item.Published
		}
		if i == rep {
			continue
		}
		e.Sources = append(e.Sources, o.Sources...)
		if r.UpdateOnJoin && o.FirstSeen.After(e.Updated) {
			e.Updated = o.FirstSeen
		}
	}
	if e.Updated.Before(e.Published) {
		e.Updated = e.Published
	}
	e.Tags = s.Tags()
	return e
}

// Tags is the union of the story's articles' tags, sorted by slug; where
// articles disagree on a tag's label or kind, the first article to have it
// decides.
func (s Story) Tags() []Tag {
	var tags []Tag
	seen := map[string]bool{}
	for _, m := range s.Members {
		for _, t := range m.Item.Tags {
			if !seen[t.Slug] {
				seen[t.Slug] = true
				tags = append(tags, t)
			}
		}
	}
	slices.SortFunc(tags, func(a, b Tag) int { return strings.Compare(a.Slug, b.Slug) })
	return tags
}

// better reports whether member i represents the story better than member j.
func (s Story) better(i, j int, priority []string) bool {
	a, b := s.Members[i], s.Members[j]
	if pa, pb := rank(a, priority), rank(b, priority); pa != pb {
		return pa < pb
	}
	if !a.Item.Published.Equal(b.Item.Published) {
		return a.Item.Published.Before(b.Item.Published)
	}
	return len(a.Item.Content)+len(a.Item.Summary) > len(b.Item.Content)+len(b.Item.Summary)
}

// rank is the position in priority of the best-ranked feed that carried m,
// or len(priority) when none is listed.
func rank(m Member, priority []string) int {
	best := len(priority)
	for _, src := range m.Sources {
		for i, p := range priority[:best] {
			if p == src.Feed.Name || p == src.Feed.Title || p == src.Feed.URL {
				best = i
				break
			}
		}
	}
	return best
}
