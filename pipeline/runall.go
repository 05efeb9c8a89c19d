package pipeline

import (
	"cmp"
	"context"
	"time"

	"aggregator/store"
)

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
		turns[i] = r.newTurn(f, stored[i], force, 0)
		turns[i].order = i
	}

	ahead := cmp.Or(r.ahead, fetchAhead)
	var (
		// Fetches started and not yet stored: at most ahead, so that
		// their outcomes never wait to be sent.
		out     int
		results = make(chan *outcome, ahead)
		next    int                             // the next feed to start
		head    int                             // the first feed not yet stored
		ready   = make([]*outcome, len(feeds))  // outcomes not yet stored
		readyAt = make([]time.Time, len(feeds)) // when each was ready
		done    = make([]bool, len(feeds))      // stored (or reported, when skipped)
	)
	put := func(o *outcome) {
		ready[o.t.order] = o
		readyAt[o.t.order] = time.Now()
	}
	save := func(idx []int) {
		for len(idx) > 0 {
			batch := make([]*outcome, 0, min(len(idx), saveBatch))
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
				put(&outcome{t: t, rep: t.rep, final: true})
				continue
			}
			if out == ahead {
				break
			}
			out++
			go func() {
				res, err := r.fetch(ctx, t)
				results <- r.outcomeOf(ctx, t, res, err)
			}()
		}
	collect:
		for {
			select {
			case o := <-results:
				put(o)
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
		case o := <-results:
			put(o)
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
func (r *Runner) storeBatch(ctx context.Context, batch []*outcome, reports []Report) {
	saves := make([]store.Save, 0, len(batch))
	for _, o := range batch {
		if !o.final {
			saves = append(saves, store.Save{FeedID: o.t.id, Fetched: o.in})
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
	for _, o := range batch {
		rep := &reports[o.t.order]
		switch {
		case o.final:
			*rep = o.rep
		case err != nil:
			*rep = r.finishTurn(o, store.Saved{Err: err})
		default:
			*rep = r.finishTurn(o, results[0])
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
