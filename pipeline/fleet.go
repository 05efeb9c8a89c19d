package pipeline

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// When instances share the store (store.Store.Shared: several daemons or
// --once runs on one PostgreSQL database), a Runner fetches a feed only
// while it holds the feed's lease (claim), renews the leases it holds while
// their fetches run (RenewLeases), and gives them back when the fetch is
// stored or not made. Placing articles in stories is the leader's alone
// (Runner.Leader, see Settle).

// DefaultLease is how long a feed's lease lasts when Runner.Lease is 0: a
// renewed lease outlives any fetch, and the feeds of an instance that died
// are fetched by the others after at most this long.
const DefaultLease = 2 * time.Minute

// leases are the feeds whose leases a Runner holds.
type leases struct {
	mu  sync.Mutex
	ids map[int64]int // feed id: turns holding its lease
}

func (l *leases) add(id int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ids == nil {
		l.ids = map[int64]int{}
	}
	l.ids[id]++
}

// remove reports whether no turn holds id's lease any more.
func (l *leases) remove(id int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ids[id]--; l.ids[id] <= 0 {
		delete(l.ids, id)
		return true
	}
	return false
}

func (l *leases) list() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := make([]int64, 0, len(l.ids))
	for id := range l.ids {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (r *Runner) lease() time.Duration { return cmp.Or(r.Lease, DefaultLease) }

// claim takes the lease of t's feed when instances share the store, and
// starts t again from the feed's state as stored now: another instance may
// have fetched the feed since t read it. It reports whether t's feed is to
// be fetched; when not, t.rep says why.
func (r *Runner) claim(ctx context.Context, t *turn, force bool, minGap time.Duration) bool {
	if t.rep.Err != nil || t.rep.Skipped != "" {
		return false
	}
	if !r.Store.Shared() {
		return true
	}
	now := r.now()
	ls, err := r.Store.LeaseFeeds(ctx, []int64{t.id}, r.Instance, now, now.Add(r.lease()))
	if err != nil {
		t.rep.Err = err
		return false
	}
	l := ls[0]
	if !l.Granted {
		t.rep.Skipped = "being fetched by " + cmp.Or(l.Holder, "another instance")
		t.rep.HeldUntil = l.Until
		return false
	}
	r.held.add(t.id)
	read := t.state.LastAttempt
	nt := r.newTurn(t.feed, l.FeedStatus, force, minGap)
	nt.order, nt.leased = t.order, true
	*t = *nt
	if t.rep.Skipped == "" && !force && l.State.LastAttempt.After(read) {
		// Another instance fetched the feed since t read it, and gave
		// the lease back: this turn's fetch is done. Without this, --once
		// runs (minGap 0) side by side fetched a feed again as soon as
		// another run had stored it.
		t.rep.Skipped = "fetched meanwhile by another instance"
	}
	if t.rep.Skipped != "" {
		r.release(t)
		return false
	}
	return true
}

// release gives back the lease of t's feed, if t holds it, when the fetch
// was not made or its outcome not stored (SaveFetch gives it back
// otherwise).
func (r *Runner) release(t *turn) {
	if !t.leased {
		return
	}
	t.leased = false
	if r.held.remove(t.id) {
		if err := r.Store.ReleaseFeeds(context.WithoutCancel(context.Background()), []int64{t.id}, r.Instance); err != nil {
			r.Log.Warn("giving back a feed's lease failed; it runs out on its own", "err", err)
		}
	}
}

// stored notes that the outcome of t was stored, which gave its lease back.
func (r *Runner) stored(t *turn) {
	if t.leased {
		t.leased = false
		r.held.remove(t.id)
	}
}

// RenewLeases extends the leases the Runner holds, every third of their
// length, until ctx is done, so that a fetch that waits long for its turn
// (many feeds of one host) keeps its feed. It returns at once unless
// instances share the store.
func (r *Runner) RenewLeases(ctx context.Context) {
	if !r.Store.Shared() {
		return
	}
	every := r.lease() / 3
	for sleep(ctx, every) {
		ids := r.held.list()
		if len(ids) == 0 {
			continue
		}
		if err := r.Store.RenewLeases(ctx, ids, r.Instance, r.now().Add(r.lease())); err != nil && ctx.Err() == nil {
			r.Log.Warn("renewing feed leases failed; trying again", "err", err, "in", every)
		}
	}
}

// sleep waits d, or until ctx is done; it reports whether ctx is not done.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
