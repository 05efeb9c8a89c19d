package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"aggregator"
	"aggregator/dedupe"
	"aggregator/fetch"
	"aggregator/store"
)

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
	// HeldUntil is when the lease of another instance that is fetching the
	// feed runs out, when that is why the feed was skipped.
	HeldUntil time.Time
}

// turn is one feed's fetch in progress.
type turn struct {
	feed  Feed
	id    int64
	state aggregator.FeedState
	rep   Report
	order int // the feed's place among those of RunAll; 0 for RunFeed
	// leased: the turn holds the feed's lease (see claim).
	leased bool
}

// RunFeed gives one feed its turn: it is fetched unless it is retired or
// asked to wait (force fetches it anyway), and what it brings is stored. Its
// new articles wait for Settle to be placed in stories.
func (r *Runner) RunFeed(ctx context.Context, f Feed, force bool) Report {
	return r.runFeed(ctx, f, force, 0)
}

// runFeed is RunFeed that also skips a feed attempted within minGap, for
// the Scheduler, which never fetches a feed twice within half its interval.
func (r *Runner) runFeed(ctx context.Context, f Feed, force bool, minGap time.Duration) Report {
	t := r.loadTurn(ctx, f, force, minGap)
	if !r.claim(ctx, t, force, minGap) {
		if r.OnReport != nil {
			r.OnReport(t.rep)
		}
		return t.rep
	}
	res, err := r.fetch(ctx, t)
	rep := r.storeFetch(ctx, t, res, err)
	if r.OnReport != nil {
		r.OnReport(rep)
	}
	return rep
}

// loadTurn looks the feed up in the store, adding it if it is new, and
// starts its turn (see newTurn).
func (r *Runner) loadTurn(ctx context.Context, f Feed, force bool, minGap time.Duration) *turn {
	sf, state, err := r.Store.Feed(ctx, f.URL, f.Name)
	if err != nil {
		return &turn{feed: f, rep: Report{Feed: f, Err: err}}
	}
	return r.newTurn(f, store.FeedStatus{Feed: sf, State: state}, force, minGap)
}

// newTurn starts the turn of a feed whose stored status is sf, skipped when
// the feed may not be fetched now: within minGap of its last attempt, or,
// unless force, when it is retired or asked to wait.
// It is loadTurn without the lookup, for RunAll, which looks up all its
// feeds in one transaction.
func (r *Runner) newTurn(f Feed, sf store.FeedStatus, force bool, minGap time.Duration) *turn {
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

// fetch runs the fetch of a turn that is not skipped.
func (r *Runner) fetch(ctx context.Context, t *turn) (*fetch.Result, error) {
	start := time.Now()
	defer func() { t.rep.Took = time.Since(start) }()
	return r.Fetcher.Fetch(ctx, fetch.Request{
		URL: t.state.URL, State: t.state, Header: t.feed.Header,
		Username: t.feed.Username, Password: t.feed.Password, Timeout: t.feed.Timeout,
	})
}

// storeFetch makes the outcome of a fetch (see outcomeOf) and stores it in
// a transaction of its own, as RunFeed does; RunAll stores outcomes in
// batches (see storeBatch).
func (r *Runner) storeFetch(ctx context.Context, t *turn, res *fetch.Result, fetchErr error) Report {
	o := r.outcomeOf(ctx, t, res, fetchErr)
	if o.final {
		return o.rep
	}
	// A transaction that started finishes even if ctx is cancelled meanwhile
	// (a SIGTERM during a save): what was fetched is kept whole.
	added, changed, err := r.Store.SaveFetch(context.WithoutCancel(ctx), t.id, o.in)
	return r.finishTurn(o, store.Saved{Added: added, Changed: changed, Err: err})
}

// outcome is a feed's fetch outcome on its way to the store: the feed's
// report so far, and what is to be stored.
type outcome struct {
	t        *turn
	rep      Report
	in       store.Fetched
	articles []fresh // new articles, once stored
	final    bool    // rep is final: there is nothing to store
	started  bool    // RunAll started a fetch for it (one of its fetching)
}

// outcomeOf applies the politeness policy to a fetch outcome and makes what is
// to be stored of it: the feed's next state and, when the feed was parsed,
// its items, keyed, and those the store will write sanitised and tagged.
func (r *Runner) outcomeOf(ctx context.Context, t *turn, res *fetch.Result, fetchErr error) *outcome {
	o := &outcome{t: t, rep: t.rep}
	log := r.Log.With(t.feed.logAttrs()...)
	if ctx.Err() != nil {
		// Cancelled: not the feed's fault, and nothing to record.
		o.rep.Err = ctx.Err()
		o.final = true
		r.release(t)
		return o
	}
	now := r.now()
	fetchErr = r.Policy.CapRetryAfter(fetchErr)
	next := r.Policy.Apply(now, t.state, res, fetchErr)
	o.in = store.Fetched{State: next}
	if t.leased {
		o.in.By = r.Instance
	}
	if fetchErr != nil {
		o.rep.Err = fetchErr
		if next.Retired && !t.state.Retired {
			log.Warn("feed is gone (410); retired until its URL changes in the config", "err", fetchErr)
		} else {
			log.Warn("fetch failed", "err", fetchErr, "failures", next.Failures, "next_fetch", next.NextFetch)
		}
		return o
	}
	o.rep.Result, o.rep.Items = withoutItems(res), len(res.Items)
	if next.URL != t.state.URL {
		log.Warn("feed moved permanently; fetching it from its new URL from now on", "new_url", aggregator.PublicURL(next.URL))
	}
	if !res.NotModified && !res.Unchanged {
		o.in.Meta = &store.Meta{Title: xmlText(res.Title), SiteURL: res.SiteURL, AtomID: res.AtomID, Language: res.Language}
		rules := r.rules()
		feed := aggregator.Feed{Name: t.feed.Name, Title: res.Title, URL: t.feed.URL}
		tags := func(it *aggregator.Item) { it.Tags = r.tags(*it, feed, t.feed.Tags) }
		// The store keeps the feed's own HTML (what XML can carry of it):
		// the publisher sanitises the articles that reach an output, when
		// they do (see publish.Publisher). Tagging, clustering and filters
		// read its text, which drops scripts and styles.
		finish := func(it *aggregator.Item) {
			it.Summary, it.Content = xmlText(it.Summary), xmlText(it.Content)
			tags(it)
		}
		o.in.Items = make([]store.Keyed, 0, len(res.Items))
		for _, it := range res.Items {
			it.Link = rules.StripTracking(it.Link)
			// The hash is of the feed's own HTML: tagging waits until the
			// store finds the item new or revised.
			k := store.Keyed{Hash: rawHash + dedupe.ContentHash(it), Item: it, Prepare: finish}
			if it.Link == "" && it.GUID == "" {
				// Keyed by its content, which must be what is stored; the
				// same as older versions stored, sanitised, so that an
				// article stored by one is not stored again as new.
				res.Sanitize(&k.Item)
				k.Item.Summary, k.Item.Content = xmlText(k.Item.Summary), xmlText(k.Item.Content)
				k.Prepare = tags
			}
			k.Key = rules.Key(t.feed.URL, k.Item)
			o.in.Items = append(o.in.Items, k)
		}
		// Prepare the items the store will write now, on this goroutine,
		// rather than in its write transaction. Should the lookup fail, the
		// store prepares them itself.
		if unstored, err := r.Store.Unstored(ctx, t.id, o.in.Items); err == nil {
			for i, u := range unstored {
				if k := &o.in.Items[i]; u && k.Prepare != nil {
					k.Prepare(&k.Item)
					k.Prepare = nil
				}
			}
		}
		o.in.Assign = r.collect(&o.articles, t.feed.URL, t.order)
		o.in.Retold = r.retold(&o.articles, t.feed.URL, t.order)
	}
	return o
}

// rawHash is the scheme of the content hashes of items as feeds give them
// (unsanitised); hashes without a scheme were of sanitised items.
const rawHash = "raw:"

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

// withoutItems is a copy of res without its items.
func withoutItems(res *fetch.Result) *fetch.Result {
	r := *res
	r.Items = nil
	return &r
}

// finishTurn ends a feed's turn once its outcome was stored, or failed to
// be: it queues the new articles for Settle, logs, and returns the feed's
// report.
func (r *Runner) finishTurn(o *outcome, sv store.Saved) Report {
	rep := o.rep
	log := r.Log.With(o.t.feed.logAttrs()...)
	if sv.Err != nil {
		r.release(o.t)
		log.Error("store failed", "err", sv.Err)
		rep.Err = errors.Join(rep.Err, sv.Err)
		return rep
	}
	r.stored(o.t)
	rep.Added, rep.Changed = sv.Added, sv.Changed
	r.queue(o.articles)
	if res := rep.Result; rep.Err == nil && res != nil {
		log.Info("fetched", "status", res.StatusCode, "not_modified", res.NotModified, "unchanged", res.Unchanged,
			"items", rep.Items, "added", sv.Added, "changed", sv.Changed, "next_fetch", o.in.State.NextFetch)
	}
	return rep
}

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
