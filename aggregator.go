// Package aggregator holds the domain types shared by the packages of the feed
// aggregator: the items a feed yields, the feeds themselves, their fetch state,
// and the entries an output publishes. The types do no I/O.
package aggregator

import (
	"html"
	"math"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/net/publicsuffix"
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

// DisplayName is the configured name, else the feed's own title, else its
// PublicURL.
func (f Feed) DisplayName() string {
	switch {
	case f.Name != "":
		return f.Name
	case f.Title != "":
		return f.Title
	}
	return f.PublicURL()
}

// Identity is the feed as the config knows it, by which filters, tag rules
// and stories.source_priority name it: its configured name, else its URL.
// Unlike DisplayName it never comes from the feed's own document, whose
// title could be another feed's name.
func (f Feed) Identity() string {
	if f.Name != "" {
		return f.Name
	}
	return f.URL
}

// Ownership is how firmly a feed speaks for the site of a link: an article's
// text comes from the feed that owns its link most firmly (see
// store.SaveFetch), and a feed that does not own a link only credits it.
type Ownership int

const (
	// NotOwner: the link is on another site than the feed's.
	NotOwner Ownership = iota
	// OwnerBySite: the link is on the site of the feed's home page, as the
	// feed's own document gives it.
	OwnerBySite
	// OwnerByURL: the link is on the site of the URL the feed is fetched
	// from, as the config gives it, which no feed's content can choose.
	OwnerByURL
)

// Owns reports how firmly the feed owns link: the link's host and the host
// of the feed's URL, else of its SiteURL, have the same registrable domain
// (public suffix plus one label: news.example.co.uk and example.co.uk are
// one site, two blogs on one hosting domain listed as a public suffix are
// not). Hosts that are IP addresses or have no registrable domain must be
// equal. Only http(s) URLs have a site; a file:// feed owns no link by its
// URL.
func (f Feed) Owns(link string) Ownership {
	site := registrableDomain(link)
	switch {
	case site == "":
		return NotOwner
	case registrableDomain(f.URL) == site:
		return OwnerByURL
	case registrableDomain(f.SiteURL) == site:
		return OwnerBySite
	}
	return NotOwner
}

// registrableDomain is the registrable domain of an http(s) URL's host,
// lower-cased; the host itself when it is an IP address or has none; ""
// for anything else.
func registrableDomain(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme != "http" && u.Scheme != "https" {
		return ""
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" || net.ParseIP(host) != nil {
		return host
	}
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
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
	Tags      []Tag     // the tags its coverage supports, best supported first (see Story.Entry)
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
	// SourcePriority names feeds (by configured name or URL, never by the
	// title a feed gives itself), most preferred first, whose article
	// represents a story they carried.
	SourcePriority []string
	// UpdateOnJoin moves an entry's updated time forward when another outlet
	// joins its story, so readers see it again; by default only a change of
	// the representative article's content does.
	UpdateOnJoin bool
}

// A story is young, and its headline may change, until it is established:
// until an article joins it at least HeadlineSettleAge after its first
// article was seen, when at least HeadlineSettleOutlets outlets carry it
// already. Articles that join an established story are credited but never
// head it. Both are needed: a story reported by a dozen outlets within
// minutes still gets the reports that follow the first flash, and a story
// one outlet has carried for a day can still be headed by the report of a
// second and a third.
const (
	HeadlineSettleOutlets = 3
	HeadlineSettleAge     = 2 * time.Hour
)

// Entry makes the published entry of a story. Its id is the story's, whatever
// heads it. Its representative article, whose title and text it shows, is
// chosen among the articles that joined while the story was young (see
// HeadlineSettleAge), by, in turn:
//
//  1. the most preferred source (SourcePriority);
//  2. a report rather than opinion, analysis, an explainer, a live blog, a
//     quiz, a video or podcast page or a newsletter (see IsReport);
//  3. the most central: the one whose words the other articles share most;
//  4. the earliest published, then the most text, then the first to join.
//
// The same members always give the same entry. The entry credits the
// representative's feeds first, then every other outlet. Its updated time is
// the representative's, or, when another article headed the story before,
// the time the representative took over if that is later: a change of
// headline is a change of content, and updated never goes back.
func (s Story) Entry(r EntryRule) Entry {
	rep, since := s.representative(r.SourcePriority)
	m := s.Members[rep]
	e := Entry{ID: s.ID, Item: m.Item, Published: m.Item.Published, Updated: m.Item.Updated}
	if since.After(e.Updated) {
		e.Updated = since
	}
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
	e.Tags = s.tags(rep)
	return e
}

// representative is the index of the member that heads the story, and the
// time it began to: the FirstSeen of the member whose joining made it the
// representative, or zero when it has headed the story since readers could
// first see it. Members first seen at the same time joined together: the
// story was never published without some of them.
func (s Story) representative(priority []string) (int, time.Time) {
	n := s.young()
	if n == 1 {
		return 0, time.Time{}
	}
	c := newRanking(s.Members[:n], priority)
	rep := c.best(n)
	// Walk back through the story as it was before each later member
	// joined, to find when rep took over.
	for k := n; ; {
		p := k - 1
		for p > 0 && !s.Members[p].FirstSeen.After(s.Members[p-1].FirstSeen) {
			p--
		}
		if p == 0 {
			return rep, time.Time{}
		}
		if p <= rep || c.best(p) != rep {
			return rep, s.Members[p].FirstSeen
		}
		k = p
	}
}

// young is how many of the members, in join order, joined the story while it
// was young (see HeadlineSettleAge).
func (s Story) young() int {
	start := s.Members[0].FirstSeen
	outlets := map[string]bool{}
	for i, m := range s.Members {
		if len(outlets) >= HeadlineSettleOutlets && m.FirstSeen.Sub(start) >= HeadlineSettleAge {
			return i
		}
		for _, src := range m.Sources {
			outlets[src.Feed.DisplayName()] = true
		}
	}
	return len(s.Members)
}

// ranking ranks the first members of a story as its representative.
type ranking struct {
	members  []Member
	priority []int  // rank of each member's best source in SourcePriority
	report   []bool // IsReport of each member
	words    [][]string
}

func newRanking(members []Member, priority []string) *ranking {
	c := &ranking{members: members}
	for _, m := range members {
		c.priority = append(c.priority, rank(m, priority))
		c.report = append(c.report, IsReport(m.Item))
		c.words = append(c.words, contentWords(m.Item.Title+" "+m.Item.Summary))
	}
	return c
}

// best is the representative of the story made of the first n members.
func (c *ranking) best(n int) int {
	central := centrality(c.words[:n])
	best := 0
	for i := 1; i < n; i++ {
		if c.better(i, best, central) {
			best = i
		}
	}
	return best
}

// better reports whether member i represents the story better than member j.
func (c *ranking) better(i, j int, central []float64) bool {
	if c.priority[i] != c.priority[j] {
		return c.priority[i] < c.priority[j]
	}
	if c.report[i] != c.report[j] {
		return c.report[i]
	}
	if central[i] != central[j] {
		return central[i] > central[j]
	}
	a, b := c.members[i].Item, c.members[j].Item
	if !a.Published.Equal(b.Published) {
		return a.Published.Before(b.Published)
	}
	return len(a.Content)+len(a.Summary) > len(b.Content)+len(b.Summary)
}

// centrality scores how well each text stands for the others: the cosine
// between its set of words and the average of the others' (how many of the
// others use each word). A text whose words the others share is central; an
// aside, a feature or a text about something else shares few.
func centrality(texts [][]string) []float64 {
	df := map[string]int{}
	for _, ws := range texts {
		for _, w := range ws {
			df[w]++
		}
	}
	var squares int // the squared norm of the sum of all the texts
	for _, n := range df {
		squares += n * n
	}
	out := make([]float64, len(texts))
	for i, ws := range texts {
		shared, others := 0, squares
		for _, w := range ws {
			shared += df[w] - 1
			others -= 2*df[w] - 1 // (df-1)² = df² - (2df-1)
		}
		if shared > 0 {
			out[i] = float64(shared) / math.Sqrt(float64(len(ws))*float64(others))
		}
	}
	return out
}

// contentWords are the distinct words of a text that say what it is about:
// lower-cased, markup and stop words dropped, a plural "s" folded.
func contentWords(text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(plain(text)), notWordRune) {
		w = strings.TrimSuffix(w, "'s")
		w = strings.TrimSuffix(w, "\u2019s")
		w = strings.Trim(w, "'\u2019")
		if len(w) > 4 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
			w = w[:len(w)-1]
		}
		if utf8.RuneCountInString(w) < 3 || stopWords[w] || seen[w] {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}

func notWordRune(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '\u2019'
}

// plain is the text of an HTML fragment: its markup dropped, its entities
// decoded.
func plain(fragment string) string {
	var b strings.Builder
	in := false
	for _, r := range fragment {
		switch {
		case r == '<':
			in = true
			b.WriteByte(' ')
		case r == '>' && in:
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return html.UnescapeString(b.String())
}

// stopWords carry no news: function words, and the words of the trade.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`about above after again against all also and any are because been before
	being below between both but can could did does doing down during each few for from further had has have
	having her here hers him his how into its itself just more most nor not now off once only other our ours out
	over own same she should some such than that the their theirs them then there these they this those through
	too under until very was were what when where which while who whom why will with would you your yours
	may might must shall say said says new via amid per cannot won't don't isn't aren't doesn't didn't get got
	one two first last year week day today yesterday news report latest update read more full story amp nbsp
	quot apos`) {
		m[w] = true
	}
	return m
}()

// IsReport reports whether an item reads as a news report rather than as
// another kind of piece, which a story's entry is better not headed by:
// opinion, analysis, an explainer, a live blog, a quiz, a video or podcast
// page, a newsletter, or a guide such as "what we know" or "how to watch".
// It goes by cues that outlets share: a label at the start of the title
// ("Opinion:", "Analysis |", "LIVE –"), a live blog's "– live" at its end,
// and a section of the link's path (/opinion/, /live/, /video/ ...).
func IsReport(it Item) bool {
	title := strings.ToLower(strings.TrimSpace(it.Title))
	for _, p := range kindLabels {
		rest, ok := strings.CutPrefix(title, p)
		if !ok {
			continue
		}
		rest = strings.TrimLeft(rest, " ")
		if rest == "" || strings.ContainsRune(":|-–—", []rune(rest)[0]) {
			return false
		}
	}
	for _, p := range kindPhrases {
		if strings.HasPrefix(title, p) {
			return false
		}
	}
	for _, sfx := range liveSuffixes {
		if strings.HasSuffix(title, sfx) {
			return false
		}
	}
	if u, err := url.Parse(it.Link); err == nil {
		for _, seg := range strings.Split(strings.ToLower(u.Path), "/") {
			if kindSections[seg] {
				return false
			}
		}
	}
	return true
}

// kindLabels start the titles of pieces other than reports, followed by a
// colon, a bar or a dash: "Opinion: ...", "Analysis | ...", "LIVE - ...".
var kindLabels = []string{
	"opinion", "analysis", "comment", "editorial", "explainer", "explained", "fact check",
	"live", "live updates", "watch", "video", "listen", "podcast", "quiz", "newsletter",
	"review", "letters", "in pictures", "photos",
}

// kindPhrases start the titles of guides and explainers.
var kindPhrases = []string{
	"what we know", "what to know", "how to watch", "how to stream", "everything you need to know",
}

// liveSuffixes end the titles of live blogs.
var liveSuffixes = []string{"- live", "– live", "— live", "as it happened", "live updates", "live blog"}

// kindSections are sections of a link's path that hold pieces other than
// reports.
var kindSections = map[string]bool{
	"opinion": true, "opinions": true, "commentisfree": true, "comment": true, "editorial": true,
	"editorials": true, "analysis": true, "explainer": true, "explainers": true, "live": true,
	"live-news": true, "live-updates": true, "live-blog": true, "liveblog": true, "video": true,
	"videos": true, "podcast": true, "podcasts": true, "newsletter": true, "newsletters": true,
	"quiz": true, "quizzes": true, "gallery": true, "in-pictures": true,
}

// MaxEntryTags is how many tags an entry carries at most: enough for the
// places, people and topics of one news event.
const MaxEntryTags = 8

// tags are the tags the story's coverage supports when member rep heads
// it: a tag of rep, or one that at least a third of the story's articles
// carry, and at least two. An article can name a country in passing; what
// the headline article or a good part of the coverage says is what the
// story is about. Rule, feed, category and entity tags all follow this
// rule. They are ranked by support: rep's first, then by how many articles
// carry them, then rule and feed tags before entity tags, then by slug; at
// most MaxEntryTags. Where articles disagree on a tag's label or kind, rep
// decides, else the first article to have it.
func (s Story) tags(rep int) []Tag {
	type support struct {
		tag   Tag
		n     int // how many members carry it
		inRep bool
	}
	var order []string
	by := map[string]*support{}
	count := func(t Tag, inRep bool) {
		sp := by[t.Slug]
		if sp == nil {
			sp = &support{tag: t}
			by[t.Slug] = sp
			order = append(order, t.Slug)
		}
		if inRep && !sp.inRep {
			sp.tag, sp.inRep = t, true
		}
	}
	for _, t := range s.Members[rep].Item.Tags {
		count(t, true)
	}
	for _, m := range s.Members {
		seen := map[string]bool{}
		for _, t := range m.Item.Tags {
			if !seen[t.Slug] {
				seen[t.Slug] = true
				count(t, false)
				by[t.Slug].n++
			}
		}
	}
	need := max(2, (len(s.Members)+2)/3)
	var kept []*support
	for _, slug := range order {
		if sp := by[slug]; sp.inRep || sp.n >= need {
			kept = append(kept, sp)
		}
	}
	slices.SortFunc(kept, func(a, b *support) int {
		switch {
		case a.inRep != b.inRep:
			return boolFirst(a.inRep)
		case a.n != b.n:
			return b.n - a.n
		case a.tag.Entity != b.tag.Entity:
			return boolFirst(b.tag.Entity)
		}
		return strings.Compare(a.tag.Slug, b.tag.Slug)
	})
	var tags []Tag
	for _, sp := range kept[:min(len(kept), MaxEntryTags)] {
		tags = append(tags, sp.tag)
	}
	return tags
}

// boolFirst orders a before b when first is true: -1, else 1.
func boolFirst(first bool) int {
	if first {
		return -1
	}
	return 1
}

// rank is the position in priority of the best-ranked feed that carried m,
// or len(priority) when none is listed.
func rank(m Member, priority []string) int {
	best := len(priority)
	for _, src := range m.Sources {
		for i, p := range priority[:best] {
			if p == src.Feed.Name || p == src.Feed.URL {
				best = i
				break
			}
		}
	}
	return best
}
