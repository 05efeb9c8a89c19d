// Package pipeline runs the aggregator's cycle: fetch each feed, key its
// items, store them, and republish the outputs, either once for every feed or
// on each feed's cron schedule.
package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"aggregator"
	"aggregator/dedupe"
	"aggregator/fetch"
	"aggregator/filter"
	"aggregator/publish"
	"aggregator/store"
	"aggregator/story"
	"aggregator/tag"
)

// Feed is one subscription and how to fetch it.
type Feed struct {
	URL      string // as configured
	Name     string
	Schedule string      // robfig/cron spec
	Header   http.Header // extra request headers
	Username string      // HTTP basic auth when set
	Password string
	Timeout  time.Duration // 0: the fetcher's default
	Tags     []string      // tags every article of the feed gets
}

// logAttrs name the feed in log lines: feed is its name as configured,
// else its URL, and url its URL when feed is a name; URLs as
// aggregator.PublicURL shows them.
func (f Feed) logAttrs() []any {
	u := aggregator.PublicURL(f.URL)
	if f.Name == "" {
		return []any{"feed", u}
	}
	return []any{"feed", f.Name, "url", u}
}

// Fetcher gets and parses one feed.
type Fetcher interface {
	Fetch(ctx context.Context, req fetch.Request) (*fetch.Result, error)
}

var _ Fetcher = (*fetch.Client)(nil)

// Runner fetches feeds when they may be fetched and stores what they bring.
type Runner struct {
	Store   *store.Store
	Fetcher Fetcher // limits how many fetches run at once, overall and per host
	Policy  fetch.Policy
	Rules   *dedupe.Rules // tracking parameters; nil: dedupe.Default
	// Stories groups new articles into stories; nil: every article is a
	// story of its own. Restore it from the store before the first run.
	Stories *story.Clusterer
	// Tagger tags new articles; nil: articles have no tags.
	Tagger *tag.Tagger
	Log    *slog.Logger
	Now    func() time.Time // nil: time.Now
	// OnReport, if set, is called with each feed's report as the feed's turn
	// ends (by RunAll as each is stored: in the order of the feeds, but for
	// those it stores ahead of a slow one).
	OnReport func(Report)

	mu      sync.Mutex // guards Stories, pending and restoring
	pending []fresh    // stored, not yet placed in a story
	// restoring is set by RestoreLater until Settle restores.
	restoring bool
	// ahead is RunAll's fetchAhead; 0: fetchAhead.
	ahead int
}

func (r *Runner) rules() *dedupe.Rules {
	if r.Rules != nil {
		return r.Rules
	}
	return dedupe.Default
}

// tags returns the tags of an article of feed.
func (r *Runner) tags(it aggregator.Item, feed aggregator.Feed, feedTags []string) []aggregator.Tag {
	if r.Tagger == nil {
		return nil
	}
	found := r.Tagger.Tags(tag.Input{Item: it, Source: feed.DisplayName(), Feed: feed.Identity(), FeedTags: feedTags})
	tags := make([]aggregator.Tag, len(found))
	for i, t := range found {
		tags[i] = aggregator.Tag{Slug: t.Slug, Label: t.Label, Entity: t.Kind == tag.Entity}
	}
	return tags
}

// Retag tags every stored article again when the tagging rules changed
// since the store was last tagged (fingerprint names the rules), so that a
// new rule applies to what is already stored. It reports whether it did.
// changes, if set, says what changed since the fingerprint old, in the
// operator's words, for the log. A store never tagged before (a first
// start) only takes note of the fingerprint, and says nothing unless it
// holds articles.
func (r *Runner) Retag(ctx context.Context, feeds []Feed, fingerprint string, changes func(old string) []string) (bool, error) {
	const key = "tagging"
	if r.Tagger == nil {
		return false, nil
	}
	old, err := r.Store.Setting(ctx, key)
	if err != nil || old == fingerprint {
		return false, err
	}
	byURL := make(map[string]Feed, len(feeds))
	for _, f := range feeds {
		byURL[f.URL] = f
	}
	n, err := r.Store.Retag(ctx, func(it aggregator.Item, origin aggregator.Feed) []aggregator.Tag {
		return r.tags(it, origin, byURL[origin.URL].Tags)
	})
	if err != nil {
		return false, err
	}
	switch {
	case old == "" && n == 0:
	case old == "":
		r.Log.Info("stored articles tagged with the config's rules", "articles", n)
	default:
		what := "the tagging rules"
		if changes != nil {
			if c := changes(old); len(c) > 0 {
				what = strings.Join(c, "; ")
			}
		}
		r.Log.Info("tagging changed; stored articles tagged again", "changes", what, "articles", n)
	}
	return true, r.Store.SetSetting(ctx, key, fingerprint)
}

// fresh is a new article waiting to be placed in a story: what the
// clusterer will see of it.
type fresh struct {
	entryID string
	doc     story.Doc
	order   int // its feed's place in RunAll (turn.order)
}

// collect returns a store.Fetched.Assign that leaves every new article a
// story of its own for now and notes it in *out; once the fetch is stored,
// queue hands them to Settle.
func (r *Runner) collect(out *[]fresh, source string, order int) func(string, aggregator.Item) (string, float64) {
	if r.Stories == nil {
		return nil
	}
	return func(entryID string, it aggregator.Item) (string, float64) {
		*out = append(*out, fresh{entryID, storyDoc(entryID, it, source), order})
		return "", 0
	}
}

// retold returns a store.Fetched.Retold that notes in *out, as collect
// does, the articles the feed took over before they were placed: they wait
// for Settle with the text they now have, in place of the one they had.
func (r *Runner) retold(out *[]fresh, source string, order int) func(string, aggregator.Item) {
	if r.Stories == nil {
		return nil
	}
	return func(entryID string, it aggregator.Item) {
		*out = append(*out, fresh{entryID, storyDoc(entryID, it, source), order})
	}
}

// queue adds stored articles to those waiting for Settle.
func (r *Runner) queue(articles []fresh) {
	r.mu.Lock()
	r.pending = append(r.pending, articles...)
	r.mu.Unlock()
}

// Settle places the new articles stored since the last call in stories, in
// published order (the order in which feeds happened to be fetched says
// nothing about the news), articles published at the same time in the order
// of their feeds in RunAll (which may store a slow feed after later ones),
// and records the placements: articles that joined a story move into it,
// and the store keeps the order, for Restore.
// RunAll settles before it returns; the Scheduler after each burst of fetches.
func (r *Runner) Settle(ctx context.Context) error {
	if r.Stories == nil {
		return nil
	}
	r.mu.Lock()
	if r.restoring && len(r.pending) > 0 {
		r.restoring = false
		if err := r.replay(ctx); err != nil {
			r.mu.Unlock()
			return err
		}
	}
	articles := latest(r.pending)
	r.pending = nil
	slices.SortStableFunc(articles, func(a, b fresh) int {
		if c := a.doc.Published.Compare(b.doc.Published); c != 0 {
			return c
		}
		return cmp.Compare(a.order, b.order)
	})
	placed := make([]store.Placed, len(articles))
	for i, a := range articles {
		pl := r.Stories.Add(a.doc)
		placed[i] = store.Placed{EntryID: a.entryID, StoryID: pl.Story, Cluster: pl.Cluster, Score: pl.Score,
			Follows: pl.Follows, Merges: pl.Merges}
	}
	r.mu.Unlock()
	return r.Store.Place(context.WithoutCancel(ctx), placed)
}

// latest drops the articles that wait twice (taken over by another feed
// after they were stored, see retold) but for their last turn, in place.
func latest(articles []fresh) []fresh {
	last := make(map[string]int, len(articles))
	for i, a := range articles {
		last[a.entryID] = i
	}
	if len(last) == len(articles) {
		return articles
	}
	out := articles[:0]
	for i, a := range articles {
		if last[a.entryID] == i {
			out = append(out, a)
		}
	}
	return out
}

// storyDoc is what the clusterer sees of an article.
func storyDoc(entryID string, it aggregator.Item, source string) story.Doc {
	text := it.Summary
	if text == "" {
		text = it.Content
	}
	return story.Doc{Key: entryID, Title: it.Title, Summary: story.Lead(text), Published: it.Published, Source: source}
}

// Restore brings Stories back to where it was: it replays the articles
// placed within the clusterer's Horizon (its window) of the newest one, in
// the order they were placed, into the stories they were placed in. The horizon is
// measured from the articles' own times, not the clock, so that a replay of
// past days gives the stories a clusterer running through them gave.
func (r *Runner) Restore(ctx context.Context) error {
	if r.Stories == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.replay(ctx)
}

// replay is Restore with r.mu held. The articles of the horizon that were
// stored but never placed (a run stopped in between) wait with the new
// ones for Settle.
func (r *Runner) replay(ctx context.Context) error {
	last, err := r.Store.LastPlaced(ctx)
	if err != nil || last.IsZero() {
		return err
	}
	since := last.Add(-r.Stories.Horizon())
	err = r.Store.ReplayPlaced(ctx, since, func(st store.Stored) error {
		r.Stories.Restore(storyDoc(st.EntryID, st.Item, st.Source), st.Cluster, st.StoryID)
		return nil
	})
	if err != nil {
		return err
	}
	waiting := map[string]bool{}
	for _, a := range r.pending {
		waiting[a.entryID] = true
	}
	return r.Store.Unplaced(ctx, since, func(st store.Stored) error {
		if !waiting[st.EntryID] {
			// Stored before this run's articles: first among equals.
			r.pending = append(r.pending, fresh{st.EntryID, storyDoc(st.EntryID, st.Item, st.Source), -1})
		}
		return nil
	})
}

// RestoreLater is Restore, put off until the first Settle that has
// articles to place: the same state (articles stored meanwhile are not
// placed yet, so not replayed), and a run that finds nothing new never
// pays for it. Stories must not be handed to another Runner before then.
func (r *Runner) RestoreLater() {
	if r.Stories == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.restoring = true
}

// StoryEntries publishes the stored stories as entries, by Rule.
type StoryEntries struct {
	Store *store.Store
	Rule  aggregator.EntryRule
}

// storyPage is how many stories StoryEntries reads at a time while it looks
// for those an output keeps.
const storyPage = 200

// Entries returns the entries of the newest limit stories that keep accepts
// (all when keep is nil), newest first.
func (s StoryEntries) Entries(ctx context.Context, limit int, keep func(aggregator.Entry) bool) ([]aggregator.Entry, error) {
	var (
		entries []aggregator.Entry
		follows []string
	)
	for offset := 0; len(entries) < limit; offset += storyPage {
		page := storyPage
		if keep == nil {
			page = limit - len(entries)
		}
		stories, err := s.Store.StoriesPage(ctx, offset, page)
		if err != nil {
			return nil, err
		}
		for _, st := range stories {
			e := st.Entry(s.Rule)
			if keep == nil || keep(e) {
				entries = append(entries, e)
				follows = append(follows, st.Follows)
				if len(entries) == limit {
					break
				}
			}
		}
		if len(stories) < page {
			break
		}
	}
	return entries, s.storylines(ctx, entries, follows)
}

// Entry is the entry of one story, with its storyline.
func (s StoryEntries) Entry(ctx context.Context, st aggregator.Story) (aggregator.Entry, error) {
	entries := []aggregator.Entry{st.Entry(s.Rule)}
	err := s.storylines(ctx, entries, []string{st.Follows})
	return entries[0], err
}

// maxEarlier is how many earlier developments of its storyline an entry
// links: enough to follow a story back over a few days, few enough that a
// long saga does not bury the news under its history.
const maxEarlier = 3

// storylines fills each entry's Earlier: the story its story follows, the
// one that one follows, and so on, up to maxEarlier, with each headed as
// it is published. A story deleted by retention ends the line.
// follows[i] is the story entries[i]'s story follows. Developments among
// the entries are taken from them; only the others are read.
func (s StoryEntries) storylines(ctx context.Context, entries []aggregator.Entry, follows []string) error {
	heads := map[string]aggregator.Development{} // by story id
	next := map[string]string{}                  // the story each follows
	want := map[string]bool{}                    // the stories to read
	note := func(e aggregator.Entry, follows string) {
		heads[e.ID] = aggregator.Development{ID: e.ID, Title: e.Item.Title, Link: e.Item.Link, Published: e.Published}
		next[e.ID] = follows
		delete(want, e.ID)
	}
	wanted := func(f string) {
		if _, ok := heads[f]; f != "" && !ok {
			want[f] = true
		}
	}
	for i, e := range entries {
		note(e, follows[i])
	}
	for _, f := range follows {
		wanted(f)
	}
	for range maxEarlier {
		if len(want) == 0 {
			break
		}
		stories, err := s.Store.StoriesByID(ctx, slices.Sorted(maps.Keys(want)))
		if err != nil {
			return err
		}
		clear(want)
		for _, st := range stories {
			note(st.Entry(s.Rule), st.Follows)
		}
		for _, st := range stories {
			wanted(st.Follows)
		}
	}
	for i := range entries {
		seen := map[string]bool{entries[i].ID: true}
		for id := follows[i]; id != "" && !seen[id] && len(entries[i].Earlier) < maxEarlier; id = next[id] {
			d, ok := heads[id]
			if !ok {
				break
			}
			seen[id] = true
			entries[i].Earlier = append(entries[i].Earlier, d)
		}
	}
	return nil
}

// EntriesAfter returns the entries of up to limit stories created after the
// story with sequence number seq, oldest first, for archives.
func (s StoryEntries) EntriesAfter(ctx context.Context, seq int64, limit int) ([]publish.Archived, error) {
	stories, err := s.Store.StoriesAfter(ctx, seq, limit)
	if err != nil {
		return nil, err
	}
	entries := make([]aggregator.Entry, len(stories))
	follows := make([]string, len(stories))
	for i, st := range stories {
		entries[i], follows[i] = st.Entry(s.Rule), st.Follows
	}
	if err := s.storylines(ctx, entries, follows); err != nil {
		return nil, err
	}
	out := make([]publish.Archived, len(stories))
	for i, st := range stories {
		out[i] = publish.Archived{Seq: st.Seq, Entry: entries[i]}
	}
	return out, nil
}

var _ publish.ArchiveSource = StoryEntries{}

// SeqsAfter is EntriesAfter without the entries.
func (s StoryEntries) SeqsAfter(ctx context.Context, seq int64, limit int) ([]int64, error) {
	return s.Store.StorySeqsAfter(ctx, seq, limit)
}

// LoadArchive and SaveArchive keep the archives' state in the store's
// settings, so that each run need not read every story again.
func (s StoryEntries) LoadArchive(ctx context.Context, name string) ([]byte, error) {
	v, err := s.Store.Setting(ctx, archiveSetting+name)
	if err != nil || v == "" {
		return nil, err
	}
	return []byte(v), nil
}

func (s StoryEntries) SaveArchive(ctx context.Context, name string, state []byte) error {
	return s.Store.SetSetting(ctx, archiveSetting+name, string(state))
}

const archiveSetting = "archive:"

var _ publish.ArchiveMemory = StoryEntries{}

// Subject is what an output's filter sees of an entry.
func Subject(e aggregator.Entry) filter.Subject {
	sub := filter.Subject{
		Title:     e.Item.Title,
		TextOf:    func() string { return story.StripHTML(e.Item.Summary + " " + e.Item.Content) },
		Lang:      e.Sources[0].Feed.Language,
		Published: e.Published,
	}
	for _, t := range e.Tags {
		sub.Tags = append(sub.Tags, t.Slug)
	}
	seen, known := map[string]bool{}, map[string]bool{}
	for _, src := range e.Sources {
		if name := src.Feed.DisplayName(); !seen[name] {
			seen[name] = true
			sub.Sources = append(sub.Sources, name)
		}
		if id := src.Feed.Identity(); !known[id] {
			known[id] = true
			sub.Feeds = append(sub.Feeds, id)
		}
	}
	return sub
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Report says what one feed's turn did.
type Report struct {
	Feed    Feed
	Skipped string // why the feed was not fetched ("retired", "not before …"); empty when it was
	// Result is what the fetch found, without its items (a cycle keeps
	// every feed's report, and should not keep every feed's articles).
	Result  *fetch.Result
	Items   int   // the items the feed gave, when it was parsed
	Added   int   // items stored for the first time
	Changed int   // stored items whose content changed
	Err     error // why the fetch or the store failed, nil on success
	// Took is how long the fetch took (waiting for a slot included); 0
	// when the feed was not fetched.
	Took time.Duration
}

// turn is one feed's fetch in progress.
type turn struct {
	feed  Feed
	id    int64
	state aggregator.FeedState
	rep   Report
	order int // the feed's place among those of RunAll; 0 for RunFeed
}

// prepare loads the feed's state and decides whether it may be fetched now:
// not when it is retired or asked to wait (unless forced), nor within minGap
// of its last attempt.
func (r *Runner) prepare(ctx context.Context, f Feed, force bool, minGap time.Duration) *turn {
	sf, state, err := r.Store.Feed(ctx, f.URL, f.Name)
	if err != nil {
		return &turn{feed: f, rep: Report{Feed: f, Err: err}}
	}
	return r.decide(f, store.FeedStatus{Feed: sf, State: state}, force, minGap)
}

// decide is prepare of a feed already looked up in the store.
func (r *Runner) decide(f Feed, sf store.FeedStatus, force bool, minGap time.Duration) *turn {
	t := &turn{feed: f, rep: Report{Feed: f}, id: sf.Feed.ID, state: sf.State}
	state := sf.State
	now := r.now()
	if minGap > 0 && !state.LastAttempt.IsZero() && now.Sub(state.LastAttempt) < minGap {
		t.rep.Skipped = "fetched " + now.Sub(state.LastAttempt).Round(time.Second).String() + " ago"
		return t
	}
	if force {
		return t
	}
	switch {
	case state.Retired:
		t.rep.Skipped = "retired: the server said 410 Gone; change the feed's URL in the config"
	case now.Before(state.NextFetch):
		t.rep.Skipped = "not before " + state.NextFetch.UTC().Format(time.RFC3339)
	}
	return t
}

// fetch runs the fetch of a prepared turn.
func (r *Runner) fetch(ctx context.Context, t *turn) (*fetch.Result, error) {
	start := time.Now()
	defer func() { t.rep.Took = time.Since(start) }()
	return r.Fetcher.Fetch(ctx, fetch.Request{
		URL: t.state.URL, State: t.state, Header: t.feed.Header,
		Username: t.feed.Username, Password: t.feed.Password, Timeout: t.feed.Timeout,
	})
}

// save applies the politeness policy to the outcome and stores it.
func (r *Runner) save(ctx context.Context, t *turn, res *fetch.Result, fetchErr error) Report {
	p := r.build(ctx, t, res, fetchErr)
	if p.done {
		return p.rep
	}
	// A transaction that started finishes even if ctx is cancelled meanwhile
	// (a SIGTERM during a save): what was fetched is kept whole.
	added, changed, err := r.Store.SaveFetch(context.WithoutCancel(ctx), t.id, p.in)
	return r.saved(p, store.Saved{Added: added, Changed: changed, Err: err})
}

// withoutItems is a copy of res without its items.
func withoutItems(res *fetch.Result) *fetch.Result {
	r := *res
	r.Items = nil
	return &r
}

// saving is a fetch outcome on its way to the store.
type saving struct {
	t        *turn
	rep      Report
	in       store.Fetched
	articles []fresh // new articles, once stored
	done     bool    // nothing to store: rep is final
}

// build applies the politeness policy to a fetch outcome and makes what is
// to be stored of it: the feed's next state and, when the feed was parsed,
// its items, keyed, and those the store will write sanitised and tagged.
func (r *Runner) build(ctx context.Context, t *turn, res *fetch.Result, fetchErr error) *saving {
	p := &saving{t: t, rep: t.rep}
	log := r.Log.With(t.feed.logAttrs()...)
	if ctx.Err() != nil {
		// Cancelled: not the feed's fault, and nothing to record.
		p.rep.Err = ctx.Err()
		p.done = true
		return p
	}
	now := r.now()
	fetchErr = r.Policy.CapRetryAfter(fetchErr)
	next := r.Policy.Apply(now, t.state, res, fetchErr)
	p.in = store.Fetched{State: next}
	if fetchErr != nil {
		p.rep.Err = fetchErr
		if next.Retired && !t.state.Retired {
			log.Warn("feed is gone (410); retired until its URL changes in the config", "err", fetchErr)
		} else {
			log.Warn("fetch failed", "err", fetchErr, "failures", next.Failures, "next_fetch", next.NextFetch)
		}
		return p
	}
	p.rep.Result, p.rep.Items = withoutItems(res), len(res.Items)
	if next.URL != t.state.URL {
		log.Warn("feed moved permanently; fetching it from its new URL from now on", "new_url", aggregator.PublicURL(next.URL))
	}
	if !res.NotModified && !res.Unchanged {
		p.in.Meta = &store.Meta{Title: xmlText(res.Title), SiteURL: res.SiteURL, AtomID: res.AtomID, Language: res.Language}
		rules := r.rules()
		feed := aggregator.Feed{Name: t.feed.Name, Title: res.Title, URL: t.feed.URL}
		tags := func(it *aggregator.Item) { it.Tags = r.tags(*it, feed, t.feed.Tags) }
		sanitize := func(it *aggregator.Item) {
			res.Sanitize(it)
			it.Summary, it.Content = xmlText(it.Summary), xmlText(it.Content)
		}
		finish := func(it *aggregator.Item) { sanitize(it); tags(it) }
		p.in.Items = make([]store.Keyed, 0, len(res.Items))
		for _, it := range res.Items {
			it.Link = rules.StripTracking(it.Link)
			// The hash is of the feed's own HTML: sanitising and tagging
			// wait until the store finds the item new or revised.
			k := store.Keyed{Hash: rawHash + dedupe.ContentHash(it), Item: it, Prepare: finish}
			if it.Link == "" && it.GUID == "" {
				// Keyed by its content, which must be what is stored.
				sanitize(&k.Item)
				k.Prepare = tags
			}
			k.Key = rules.Key(t.feed.URL, k.Item)
			p.in.Items = append(p.in.Items, k)
		}
		// Prepare the items the store will write now, on this goroutine,
		// rather than in its write transaction. Should the lookup fail, the
		// store prepares them itself.
		if unstored, err := r.Store.Unstored(ctx, t.id, p.in.Items); err == nil {
			for i, u := range unstored {
				if k := &p.in.Items[i]; u && k.Prepare != nil {
					k.Prepare(&k.Item)
					k.Prepare = nil
				}
			}
		}
		p.in.Assign = r.collect(&p.articles, t.feed.URL, t.order)
		p.in.Retold = r.retold(&p.articles, t.feed.URL, t.order)
	}
	return p
}

// xmlText replaces the characters that XML cannot carry (the C0 controls
// but tab, newline and carriage return; U+FFFE and U+FFFF) with U+FFFD, as
// an XML encoder escaping text does: RSS carries an entry's HTML as CDATA,
// which escapes nothing, and a JSON Feed may hold any character.
func xmlText(s string) string {
	notXML := func(r rune) bool {
		return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF
	}
	if strings.IndexFunc(s, notXML) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if notXML(r) {
			return utf8.RuneError
		}
		return r
	}, s)
}

// rawHash is the scheme of the content hashes of items as feeds give them
// (unsanitised); hashes without a scheme were of sanitised items.
const rawHash = "raw:"

// saved finishes a stored outcome: it queues the new articles for Settle,
// logs, and returns the feed's report.
func (r *Runner) saved(p *saving, sv store.Saved) Report {
	rep := p.rep
	log := r.Log.With(p.t.feed.logAttrs()...)
	if sv.Err != nil {
		log.Error("store failed", "err", sv.Err)
		rep.Err = errors.Join(rep.Err, sv.Err)
		return rep
	}
	rep.Added, rep.Changed = sv.Added, sv.Changed
	r.queue(p.articles)
	if res := rep.Result; rep.Err == nil && res != nil {
		log.Info("fetched", "status", res.StatusCode, "not_modified", res.NotModified, "unchanged", res.Unchanged,
			"items", rep.Items, "added", sv.Added, "changed", sv.Changed, "next_fetch", p.in.State.NextFetch)
	}
	return rep
}

// RunFeed gives one feed its turn: it is fetched unless it is retired or
// asked to wait (force fetches it anyway), and what it brings is stored. Its
// new articles wait for Settle to be placed in stories.
func (r *Runner) RunFeed(ctx context.Context, f Feed, force bool) Report {
	return r.runFeed(ctx, f, force, 0)
}

func (r *Runner) runFeed(ctx context.Context, f Feed, force bool, minGap time.Duration) Report {
	t := r.prepare(ctx, f, force, minGap)
	rep := t.rep
	if rep.Err == nil && rep.Skipped == "" {
		res, err := r.fetch(ctx, t)
		rep = r.save(ctx, t, res, err)
	}
	if r.OnReport != nil {
		r.OnReport(rep)
	}
	return rep
}

// RunAll gives every feed its turn: the fetches run at once (the Fetcher
// limits them, and at most fetchAhead are fetching or fetched and not yet
// stored), and the results are stored in the order of feeds, so that the same
// feeds give the same store, unless a feed is slow: the results ready after
// it wait for it at most holdBack, and only while fewer than half of the
// fetchAhead do, so that the other half keep being fetched. So one feed that
// hangs delays no other. Outcomes that are ready
// together are stored together, up to saveBatch feeds in one transaction. One
// feed's failure does not stop the others; its report carries the error.
func (r *Runner) RunAll(ctx context.Context, feeds []Feed, force bool) []Report {
	reports := make([]Report, len(feeds))
	refs := make([]store.FeedRef, len(feeds))
	for i, f := range feeds {
		refs[i] = store.FeedRef{URL: f.URL, Name: f.Name}
	}
	stored, err := r.Store.FeedsFor(ctx, refs)
	if err != nil {
		for i, f := range feeds {
			reports[i] = Report{Feed: f, Err: err}
			if r.OnReport != nil {
				r.OnReport(reports[i])
			}
		}
		return reports
	}
	turns := make([]*turn, len(feeds))
	for i, f := range feeds {
		turns[i] = r.decide(f, stored[i], force, 0)
		turns[i].order = i
	}

	ahead := cmp.Or(r.ahead, fetchAhead)
	var (
		// Fetches started and not yet stored: at most ahead, so that
		// their outcomes never wait to be sent.
		out     int
		results = make(chan *saving, ahead)
		next    int                             // the next feed to start
		head    int                             // the first feed not yet stored
		ready   = make([]*saving, len(feeds))   // outcomes not yet stored
		readyAt = make([]time.Time, len(feeds)) // when each was ready
		done    = make([]bool, len(feeds))      // stored (or reported, when skipped)
	)
	put := func(p *saving) {
		ready[p.t.order] = p
		readyAt[p.t.order] = time.Now()
	}
	save := func(idx []int) {
		for len(idx) > 0 {
			batch := make([]*saving, 0, min(len(idx), saveBatch))
			for _, i := range idx[:cap(batch)] {
				batch = append(batch, ready[i])
				ready[i], done[i] = nil, true
				if turns[i].rep.Skipped == "" {
					out--
				}
			}
			idx = idx[len(batch):]
			r.storeBatch(ctx, batch, reports)
		}
	}
	hold := time.NewTimer(holdBack)
	defer hold.Stop()
	for head < len(feeds) {
		for ; next < len(feeds); next++ {
			t := turns[next]
			if t.rep.Skipped != "" {
				put(&saving{t: t, rep: t.rep, done: true})
				continue
			}
			if out == ahead {
				break
			}
			out++
			go func() {
				res, err := r.fetch(ctx, t)
				results <- r.build(ctx, t, res, err)
			}()
		}
	collect:
		for {
			select {
			case p := <-results:
				put(p)
			default:
				break collect
			}
		}
		// Store, in the order of feeds, those ready from head on.
		var run []int
		for ; head < len(feeds) && (done[head] || ready[head] != nil); head++ {
			if !done[head] {
				run = append(run, head)
			}
		}
		save(run)
		if head == len(feeds) {
			break
		}
		if head == next {
			// Every feed started is stored, and none is in flight to
			// wait for: start the next ones.
			continue
		}
		// The head feed is still being fetched. Those ready after it wait
		// for it, unless they have waited holdBack, or too many fetched
		// feeds wait: they would keep others from being fetched.
		var waiting []int
		var oldest time.Time
		fetched := 0
		for i := head + 1; i < next; i++ {
			if ready[i] != nil {
				waiting = append(waiting, i)
				// A skipped feed stores nothing: only fetched ones
				// wait their holdBack.
				if turns[i].rep.Skipped == "" {
					fetched++
					if oldest.IsZero() || readyAt[i].Before(oldest) {
						oldest = readyAt[i]
					}
				}
			}
		}
		wait := holdBack - time.Since(oldest)
		if fetched > 0 && (wait <= 0 || fetched >= ahead/2) {
			save(waiting)
			continue
		}
		var expired <-chan time.Time
		if fetched > 0 {
			hold.Reset(wait)
			expired = hold.C
		}
		select {
		case p := <-results:
			put(p)
		case <-expired:
		}
		hold.Stop()
	}
	if err := r.Settle(ctx); err != nil {
		r.Log.Error("placing new articles in stories failed; they are published on their own", "err", err)
	}
	return reports
}

// storeBatch stores outcomes in one transaction and reports each.
func (r *Runner) storeBatch(ctx context.Context, batch []*saving, reports []Report) {
	saves := make([]store.Save, 0, len(batch))
	for _, p := range batch {
		if !p.done {
			saves = append(saves, store.Save{FeedID: p.t.id, Fetched: p.in})
		}
	}
	var results []store.Saved
	var err error
	if len(saves) > 0 {
		// A transaction that started finishes even if ctx is cancelled
		// meanwhile (a SIGTERM during a save): what was fetched is kept
		// whole.
		results, err = r.Store.SaveFetches(context.WithoutCancel(ctx), saves)
	}
	for _, p := range batch {
		rep := &reports[p.t.order]
		switch {
		case p.done:
			*rep = p.rep
		case err != nil:
			*rep = r.saved(p, store.Saved{Err: err})
		default:
			*rep = r.saved(p, results[0])
			results = results[1:]
		}
		if r.OnReport != nil {
			r.OnReport(*rep)
		}
	}
}

// saveBatch is the most feeds RunAll stores in one transaction: enough to
// share the cost of a commit, few enough that a reader of the store never
// waits long for a writer.
const saveBatch = 64

// fetchAhead is the most feeds RunAll has fetching or fetched and not yet
// stored.
const fetchAhead = 64

// holdBack is the longest RunAll keeps a fetched feed from being stored
// while an earlier feed is still being fetched: long enough that feeds that
// answer promptly are stored in their order, short enough that a feed
// waiting for its timeout holds no other back.
const holdBack = time.Second

// Failed returns the errors of the reports, as one error, or nil.
func Failed(reports []Report) error {
	var errs []error
	for _, rep := range reports {
		if rep.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", aggregator.PublicURL(rep.Feed.URL), rep.Err))
		}
	}
	return errors.Join(errs...)
}
