package pipeline

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"aggregator"
	"aggregator/dedupe"
	"aggregator/fetch"
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

	// Instance names this instance among those sharing the store: it holds
	// the leases of the feeds it fetches (see fleet.go), and the store notes
	// it as their fetcher.
	Instance string
	// Lease is how long a feed's lease lasts unless renewed; 0:
	// DefaultLease.
	Lease time.Duration
	// Leader, if set, says whether this instance leads the instances
	// sharing the store, and its term: only the leader places articles in
	// stories (see Settle). nil: this Runner places the articles it stores.
	Leader interface{ Leading() (bool, int64) }

	held leases // the feeds whose leases this Runner holds
	// term is the leader's term in which Settle last placed articles (see
	// settleTerm), -1 when it did not lead.
	term int64
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

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}
