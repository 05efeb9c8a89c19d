// Package pipeline runs the aggregator's cycle: fetch each feed, key its
// items, store them, and republish the outputs, either once for every feed or
// on each feed's cron schedule.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"golang.org/x/sync/errgroup"

	"aggregator"
	"aggregator/dedupe"
	"aggregator/fetch"
	"aggregator/store"
)

// DefaultConcurrency is how many feeds are fetched at once when unset.
const DefaultConcurrency = 8

// Feed is one subscription.
type Feed struct {
	URL      string
	Name     string
	Schedule string // robfig/cron spec
}

// Fetcher gets and parses one feed.
type Fetcher interface {
	Fetch(ctx context.Context, feedURL string, state aggregator.FeedState) (*fetch.Result, error)
}

// Runner runs fetches and stores what they bring.
type Runner struct {
	Store       *store.Store
	Fetcher     Fetcher
	Log         *slog.Logger
	Concurrency int // feeds fetched at once; 0 means DefaultConcurrency
}

// Report says what one feed's fetch did.
type Report struct {
	Feed        Feed
	NotModified bool
	Items       int   // items in the feed
	Added       int   // items stored for the first time
	Changed     int   // stored items whose content changed
	Err         error // why the fetch failed, nil on success
}

// fetched is a fetch whose result is not stored yet.
type fetched struct {
	feed   aggregator.Feed
	result *fetch.Result
	err    error
}

func (r *Runner) fetch(ctx context.Context, f Feed) fetched {
	sf, state, err := r.Store.Feed(ctx, f.URL, f.Name)
	if err != nil {
		return fetched{err: err}
	}
	res, err := r.Fetcher.Fetch(ctx, f.URL, state)
	return fetched{feed: sf, result: res, err: err}
}

func (r *Runner) save(ctx context.Context, f Feed, x fetched) Report {
	rep := Report{Feed: f}
	log := r.Log.With("feed", f.URL)
	if x.err != nil {
		rep.Err = x.err
		if x.feed.ID != 0 && ctx.Err() == nil {
			if err := r.Store.SaveError(ctx, x.feed.ID, x.err); err != nil {
				rep.Err = errors.Join(x.err, err)
			}
		}
		log.Warn("fetch failed", "err", rep.Err)
		return rep
	}
	res := x.result
	in := store.Fetched{
		NotModified: res.NotModified,
		ETag:        res.ETag, LastModified: res.LastModified,
		Title: res.Title, SiteURL: res.SiteURL, AtomID: res.AtomID,
	}
	for _, it := range res.Items {
		it.Link = dedupe.StripTracking(it.Link)
		in.Items = append(in.Items, store.Keyed{Key: dedupe.Key(f.URL, it), Hash: dedupe.ContentHash(it), Item: it})
	}
	rep.NotModified, rep.Items = res.NotModified, len(res.Items)
	rep.Added, rep.Changed, rep.Err = r.Store.SaveFetch(ctx, x.feed.ID, in)
	if rep.Err != nil {
		log.Error("store failed", "err", rep.Err)
		return rep
	}
	log.Info("fetched", "not_modified", rep.NotModified, "items", rep.Items, "added", rep.Added, "changed", rep.Changed)
	return rep
}

// RunFeed fetches one feed and stores its items.
func (r *Runner) RunFeed(ctx context.Context, f Feed) Report {
	return r.save(ctx, f, r.fetch(ctx, f))
}

// RunAll fetches every feed, several at once, and stores the results in the
// order of feeds, so that the same feeds always give the same store. One
// feed's failure does not stop the others; its report carries the error.
func (r *Runner) RunAll(ctx context.Context, feeds []Feed) []Report {
	results := make([]fetched, len(feeds))
	done := make([]chan struct{}, len(feeds))
	for i := range done {
		done[i] = make(chan struct{})
	}
	var g errgroup.Group
	n := r.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	g.SetLimit(n)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, f := range feeds {
			g.Go(func() error {
				results[i] = r.fetch(ctx, f)
				close(done[i])
				return nil
			})
		}
	}()
	reports := make([]Report, len(feeds))
	for i, f := range feeds {
		<-done[i]
		reports[i] = r.save(ctx, f, results[i])
	}
	wg.Wait()
	g.Wait()
	return reports
}

// Failed returns the reports of feeds that failed, as one error, or nil.
func Failed(reports []Report) error {
	var errs []error
	for _, rep := range reports {
		if rep.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", rep.Feed.URL, rep.Err))
		}
	}
	return errors.Join(errs...)
}
