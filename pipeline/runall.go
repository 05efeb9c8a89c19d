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
// hangs delays no other. Outcomes that are ready together are stored
// together, up to saveBatch feeds in one transaction. One feed's failure
// does not stop the others; its report carries the error.
func (r *Runner) RunAll(ctx context.Context, feeds []Feed, force bool) []Report {
	turns, err := r.loadTurns(ctx, feeds, force)
	if err != nil {
		reports := make([]Report, len(feeds))
		for i, f := range feeds {
			reports[i] = Report{Feed: f, Err: err}
			if r.OnReport != nil {
				r.OnReport(reports[i])
			}
		}
		return reports
	}

	renewing, stopRenewing := context.WithCancel(ctx)
	defer stopRenewing()
	go r.RenewLeases(renewing)

	ahead := cmp.Or(r.ahead, fetchAhead)
	// At most ahead fetches are started and not yet stored, so that their
	// outcomes never wait to be sent.
	results := make(chan *outcome, ahead)
	s := newOrderedSaver(r, len(turns))
	next := 0 // the next feed to start
	hold := time.NewTimer(holdBack)
	defer hold.Stop()
	for s.head < len(turns) {
		for ; next < len(turns); next++ {
			t := turns[next]
			if t.rep.Skipped != "" || t.rep.Err != nil {
				s.put(&outcome{t: t, rep: t.rep, final: true})
				continue
			}
			if s.fetching == ahead {
				break
			}
			s.fetching++
			go func() {
				var o *outcome
				if r.claim(ctx, t, force, 0) {
					res, err := r.fetch(ctx, t)
					o = r.outcomeOf(ctx, t, res, err)
				} else {
					o = &outcome{t: t, rep: t.rep, final: true}
				}
				o.started = true
				results <- o
			}()
		}
		s.putArrived(results)
		s.saveFromHead(ctx)
		if s.head == len(turns) {
			break
		}
		if s.head == next {
			// Every feed started is stored, and none is in flight to
			// wait for: start the next ones.
			continue
		}
		// The head feed is still being fetched. Those ready after it wait
		// for it, unless they have waited holdBack, or too many fetched
		// feeds wait: they would keep others from being fetched.
		waiting, fetched, oldest := s.waiting(next)
		wait := holdBack - time.Since(oldest)
		if fetched > 0 && (wait <= 0 || fetched >= ahead/2) {
			s.save(ctx, waiting)
			continue
		}
		var expired <-chan time.Time
		if fetched > 0 {
			hold.Reset(wait)
			expired = hold.C
		}
		select {
		case o := <-results:
			s.put(o)
		case <-expired:
		}
		hold.Stop()
	}
	if err := r.Settle(ctx); err != nil {
		r.Log.Error("placing new articles in stories failed; they are published on their own", "err", err)
	}
	return s.reports
}

// loadTurns looks the feeds up in the store, in one transaction, and starts
// their turns (see newTurn).
func (r *Runner) loadTurns(ctx context.Context, feeds []Feed, force bool) ([]*turn, error) {
	refs := make([]store.FeedRef, len(feeds))
	for i, f := range feeds {
		refs[i] = store.FeedRef{URL: f.URL, Name: f.Name}
	}
	stored, err := r.Store.FeedsFor(ctx, refs)
	if err != nil {
		return nil, err
	}
	turns := make([]*turn, len(feeds))
	for i, f := range feeds {
		turns[i] = r.newTurn(f, stored[i], force, 0)
		turns[i].order = i
	}
	return turns, nil
}

// orderedSaver holds RunAll's outcomes until they are stored: in the order
// of the feeds, but for those it stores ahead of a slow one, and those
// ready together in one transaction.
type orderedSaver struct {
	r        *Runner
	slots    []slot   // by feed
	reports  []Report // by feed, as each is stored
	head     int      // the first feed not yet stored
	fetching int      // fetches started and not yet stored
}

// slot is where a feed's outcome waits to be stored.
type slot struct {
	ready   *outcome  // the outcome, until it is stored
	readyAt time.Time // when it was put
	done    bool      // stored (or reported, when skipped)
}

func newOrderedSaver(r *Runner, feeds int) *orderedSaver {
	return &orderedSaver{r: r, slots: make([]slot, feeds), reports: make([]Report, feeds)}
}

// put holds the outcome of a feed until it is stored.
func (s *orderedSaver) put(o *outcome) {
	s.slots[o.t.order].ready = o
	s.slots[o.t.order].readyAt = time.Now()
}

// putArrived puts the outcomes that have arrived on results, without
// waiting for more.
func (s *orderedSaver) putArrived(results <-chan *outcome) {
	for {
		select {
		case o := <-results:
			s.put(o)
		default:
			return
		}
	}
}

// saveFromHead stores, in the order of the feeds, the outcomes ready from
// head on, and moves head past them.
func (s *orderedSaver) saveFromHead(ctx context.Context) {
	var run []int
	for ; s.head < len(s.slots) && (s.slots[s.head].done || s.slots[s.head].ready != nil); s.head++ {
		if !s.slots[s.head].done {
			run = append(run, s.head)
		}
	}
	s.save(ctx, run)
}

// waiting returns the feeds after head and before next whose outcomes are
// ready, how many of those were fetched, and when the first of these was
// ready. A skipped feed stores nothing: only fetched ones wait their
// holdBack.
func (s *orderedSaver) waiting(next int) (idx []int, fetched int, oldest time.Time) {
	for i := s.head + 1; i < next; i++ {
		sl := &s.slots[i]
		if sl.ready == nil {
			continue
		}
		idx = append(idx, i)
		if sl.ready.t.rep.Skipped == "" {
			fetched++
			if oldest.IsZero() || sl.readyAt.Before(oldest) {
				oldest = sl.readyAt
			}
		}
	}
	return idx, fetched, oldest
}

// save stores the outcomes of the feeds idx, in transactions of up to
// saveBatch feeds.
func (s *orderedSaver) save(ctx context.Context, idx []int) {
	for len(idx) > 0 {
		batch := make([]*outcome, 0, min(len(idx), saveBatch))
		for _, i := range idx[:cap(batch)] {
			sl := &s.slots[i]
			batch = append(batch, sl.ready)
			if sl.ready.started {
				s.fetching--
			}
			sl.ready, sl.done = nil, true
		}
		idx = idx[len(batch):]
		s.r.storeBatch(ctx, batch, s.reports)
	}
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
