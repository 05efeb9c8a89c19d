package pipeline

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"aggregator"
	"aggregator/store"
	"aggregator/story"
)

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

// Settle places the articles stored since it last ran in stories, in order
// of publication, and has the store record where each went.
// Publication decides because the order in which feeds happened to be
// fetched says nothing about the news; the store keeps the placements so
// that Restore can rebuild the stories after a restart.
// Articles published at the same time go in the order of their feeds in
// RunAll. RunAll settles before it returns; the Scheduler after each burst
// of fetches.
//
// When a Leader is set, only the leader places articles, and when
// instances share the store it places those every instance stored, which
// it reads from the store; a new term rebuilds the stories from the store
// first, since another leader may have placed articles meanwhile.
func (r *Runner) Settle(ctx context.Context) error {
	if r.Stories == nil {
		return nil
	}
	r.mu.Lock()
	term, err := r.settleTerm(ctx)
	if err != nil || term < 0 {
		r.mu.Unlock()
		return err
	}
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
	err = r.Store.PlaceIn(context.WithoutCancel(ctx), term, placed)
	if errors.Is(err, store.ErrNotLeader) {
		// Another instance took the lead meanwhile: it places these
		// articles, and this one's stories are stale until its next term.
		r.Log.Info("another instance leads now; it places the new articles")
		return nil
	}
	return err
}

// settleTerm is the part of Settle that depends on the leader, with r.mu
// held: it returns the leader's term (0 without a Leader or on SQLite),
// or -1 when this instance does not lead and is to place nothing. Sharing
// the store, it makes the articles waiting for Settle those the store holds
// unplaced, whoever stored them.
func (r *Runner) settleTerm(ctx context.Context) (int64, error) {
	if r.Leader == nil {
		return 0, nil
	}
	lead, term := r.Leader.Leading()
	if !lead {
		// The leader places them; a later term of this instance restores
		// the stories first.
		r.pending, r.term = nil, -1
		return -1, nil
	}
	if !r.Store.Shared() {
		return term, nil
	}
	r.pending = nil
	if term != r.term {
		r.Stories.Reset()
		r.term = term
		if err := r.replay(ctx); err != nil {
			return 0, err
		}
		r.restoring = false
	}
	// Every article not placed yet, however old: so Settle places what
	// any instance stores, as it places what this one stores.
	return term, r.unplaced(ctx, time.Time{})
}

// latest keeps only the last turn of each article that waits twice (taken
// over by another feed after it was stored, see retold), so that Settle
// places it once, by the text it has now. It filters articles in place.
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
	return r.unplaced(ctx, since)
}

// unplaced adds to those waiting for Settle the articles stored since and
// not yet placed, with r.mu held.
func (r *Runner) unplaced(ctx context.Context, since time.Time) error {
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

// RestoreLater puts Restore off until the first Settle that has articles
// to place.
// A run that finds nothing new then never pays for the replay, and one that
// does gets the stories Restore would give now: the articles it stores
// meanwhile are not placed yet, so not replayed.
// Stories must not be handed to another Runner before then.
func (r *Runner) RestoreLater() {
	if r.Stories == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.restoring = true
}
