package pipeline

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"aggregator"
	"aggregator/store"
)

// Scheduler runs each feed on its cron schedule, shifted by a stable offset
// so that feeds with the same schedule do not all fire in the same second,
// and calls Changed after fetches that changed what is stored. At start-up it
// fetches the feeds whose scheduled time passed while it was not running.
//
// A scheduled fetch still waits for what the publisher asked (see
// Runner.RunFeed), and a feed is never fetched twice within half its
// interval, nor twice at the same time.
type Scheduler struct {
	Runner *Runner
	Feeds  []Feed
	// Jitter bounds each feed's offset from its schedule (and from start-up);
	// the offset is derived from the feed's URL, so it is the same every run.
	Jitter time.Duration
	// Changed is called after one or more fetches added or changed items.
	// Calls never overlap; changes that arrive during a call cause one more.
	Changed func(ctx context.Context)
	// Grace is how long fetches in flight may go on once Run is told to
	// stop, before they are cancelled.
	Grace time.Duration
	// Started, if set, is called once the start-up fetches are done and
	// their articles are placed in stories and published (Changed).
	Started func()
}

// settleDelay is how long the scheduler waits after a fetch that brought new
// articles before it places them in stories and republishes.
const settleDelay = 2 * time.Second

// startupSpread bounds the offset of the start-up fetches: a restarted
// daemon should not take the whole jitter window to catch up.
const startupSpread = time.Minute

// offsetSchedule is a cron schedule shifted later by a fixed offset.
type offsetSchedule struct {
	cron.Schedule
	offset time.Duration
}

func (s offsetSchedule) Next(t time.Time) time.Time {
	if cd, ok := s.Schedule.(cron.ConstantDelaySchedule); ok && cd.Delay > 0 {
		// "@every d" counts from whenever cron asks, which would undo the
		// offset: anchor it to a fixed grid of multiples of d instead, so
		// that it is spread and the same across restarts.
		return t.Add(-s.offset).Truncate(cd.Delay).Add(cd.Delay + s.offset)
	}
	return s.Schedule.Next(t.Add(-s.offset)).Add(s.offset)
}

// offset returns a stable whole number of seconds in [0, max) derived from
// key (cron schedules have a resolution of one second).
func offset(key string, max time.Duration) time.Duration {
	secs := uint64(max / time.Second)
	if secs == 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	return time.Duration(h.Sum64()%secs) * time.Second
}

// feedSchedule is a feed's schedule, shifted by its offset, and the time
// between two of its runs.
func feedSchedule(f Feed, jitter time.Duration, now time.Time) (offsetSchedule, time.Duration, error) {
	spec, err := cron.ParseStandard(f.Schedule)
	if err != nil {
		return offsetSchedule{}, 0, fmt.Errorf("schedule %s: %w", aggregator.PublicURL(f.URL), err)
	}
	every := interval(spec, now)
	return offsetSchedule{spec, offset(f.URL, min(jitter, every))}, every, nil
}

// NextAttempt is when the Scheduler, with the given Jitter, next fetches a
// feed in state: the first run of its schedule after now that is not before
// state.NextFetch (back-off after failures, Retry-After, the feed's own
// hints) nor within half an interval of the last attempt (see Run). It is
// zero for a retired feed, which is never fetched.
func NextAttempt(f Feed, state aggregator.FeedState, jitter time.Duration, now time.Time) (time.Time, error) {
	if state.Retired {
		return time.Time{}, nil
	}
	sched, every, err := feedSchedule(f, jitter, now)
	if err != nil {
		return time.Time{}, err
	}
	from := now
	if t := state.NextFetch.Add(-time.Nanosecond); t.After(from) {
		from = t // a run at NextFetch itself fetches
	}
	if !state.LastAttempt.IsZero() {
		if t := state.LastAttempt.Add(every/2 - time.Nanosecond); t.After(from) {
			from = t
		}
	}
	return sched.Next(from), nil
}

// interval estimates the time between two runs of a schedule.
func interval(s cron.Schedule, now time.Time) time.Duration {
	a := s.Next(now)
	return s.Next(a).Sub(a)
}

// ShortestInterval is the shortest time between two runs of the feeds'
// schedules after now, for readers who should look again as often as the
// feeds may change; false when no feed has a schedule that parses.
func ShortestInterval(feeds []Feed, now time.Time) (time.Duration, bool) {
	var shortest time.Duration
	found := false
	for _, f := range feeds {
		spec, err := cron.ParseStandard(f.Schedule)
		if err != nil {
			continue
		}
		if every := interval(spec, now); !found || every < shortest {
			shortest, found = every, true
		}
	}
	return shortest, found
}

// Run schedules the feeds and blocks until ctx is done. Then it stops
// scheduling, waits for the fetches in flight (which see ctx cancelled) and
// returns ctx's error.
func (s *Scheduler) Run(ctx context.Context) error {
	jobs := newFetchJobs(ctx)
	defer jobs.cancel()
	c := cron.New()
	starts, err := s.scheduleFeeds(ctx, c, jobs)
	if err != nil {
		return err
	}

	var wg sync.WaitGroup
	startupDone := make(chan struct{})
	wg.Add(2)
	go func() {
		defer wg.Done()
		s.settleLoop(ctx, startupDone, jobs.changed)
	}()
	go func() {
		defer wg.Done()
		s.Runner.RenewLeases(jobs.ctx)
	}()
	startUp(ctx, &wg, starts, startupDone)
	c.Start()
	<-ctx.Done()
	c.Stop()
	jobs.stop(s.Grace)
	wg.Wait()
	return ctx.Err()
}

// fetchJobs runs the fetches of one Run, on a context of their own, so that
// a stop can let those in flight finish, and signals on changed each fetch
// that added or changed items.
type fetchJobs struct {
	ctx     context.Context
	cancel  context.CancelFunc
	changed chan struct{} // buffered: one signal stands for any number

	mu       sync.Mutex
	stopping bool          // no fetch starts once set
	stopped  chan struct{} // closed once stopping is set
	inFlight sync.WaitGroup
}

// newFetchJobs returns the fetchJobs of a Run under ctx. Their context
// outlives ctx: stop cancels it, Grace after ctx is done, so that a stop
// lets quick fetches finish.
func newFetchJobs(ctx context.Context) *fetchJobs {
	jobCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &fetchJobs{ctx: jobCtx, cancel: cancel, changed: make(chan struct{}, 1), stopped: make(chan struct{})}
}

// run fetches f with r, unless the jobs are stopping.
func (j *fetchJobs) run(r *Runner, f Feed, every time.Duration) {
	j.mu.Lock()
	if j.stopping {
		j.mu.Unlock()
		return
	}
	j.inFlight.Add(1)
	j.mu.Unlock()
	defer j.inFlight.Done()
	// Never twice within half the feed's interval: the start-up
	// run may fall just before the feed's first scheduled time.
	rep := r.runFeed(j.ctx, f, false, every/2)
	if rep.Added > 0 || rep.Changed > 0 {
		select {
		case j.changed <- struct{}{}:
		default:
		}
	}
	if !rep.HeldUntil.IsZero() {
		j.retry(r, f, every, rep.HeldUntil)
	}
}

// retry runs f again after until, unless the jobs stop first: another
// instance sharing the store holds the feed's lease until then. Should that
// instance die, its lease runs out, and this one fetches the feed, unless
// that instance did (see Runner.claim).
func (j *fetchJobs) retry(r *Runner, f Feed, every time.Duration, until time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.stopping {
		return
	}
	j.inFlight.Add(1)
	go func() {
		defer j.inFlight.Done()
		t := time.NewTimer(time.Until(until) + time.Second)
		defer t.Stop()
		select {
		case <-j.stopped:
		case <-t.C:
			j.run(r, f, every)
		}
	}()
}

// stop lets no more fetches start, waits up to grace for those in flight,
// then cancels them and waits for them to return.
func (j *fetchJobs) stop(grace time.Duration) {
	j.mu.Lock()
	j.stopping = true // no new fetches
	close(j.stopped)
	j.mu.Unlock()
	finished := make(chan struct{})
	go func() { j.inFlight.Wait(); close(finished) }()
	t := time.NewTimer(grace)
	select {
	case <-finished:
	case <-t.C:
	}
	t.Stop()
	j.cancel()
	<-finished
}

// startupFetch is a feed's fetch at start-up: its job, run after delay.
type startupFetch struct {
	job   cron.Job
	delay time.Duration
}

// scheduleFeeds adds one job per feed to c, each fetching through jobs, and
// returns the start-up fetches of the feeds that are due (see due).
func (s *Scheduler) scheduleFeeds(ctx context.Context, c *cron.Cron, jobs *fetchJobs) ([]startupFetch, error) {
	now := s.Runner.now()
	var starts []startupFetch
	refs := make([]store.FeedRef, len(s.Feeds))
	for i, f := range s.Feeds {
		refs[i] = store.FeedRef{URL: f.URL, Name: f.Name}
	}
	// One transaction for every feed's state; should it fail, every feed is
	// fetched at start-up.
	stored, _ := s.Runner.Store.FeedsFor(ctx, refs)
	for i, f := range s.Feeds {
		sched, every, err := feedSchedule(f, s.Jitter, now)
		if err != nil {
			return nil, err
		}
		// One job per feed, wrapped once, so that the start-up run and the
		// scheduled runs of a feed never overlap.
		job := cron.NewChain(cron.SkipIfStillRunning(cron.DiscardLogger)).Then(cron.FuncJob(func() {
			jobs.run(s.Runner, f, every)
		}))
		c.Schedule(sched, job)
		if stored == nil || due(stored[i].State, sched, now) {
			starts = append(starts, startupFetch{job, offset(f.URL, min(s.Jitter, startupSpread))})
		}
	}
	return starts, nil
}

// startUp runs each of starts after its delay, unless ctx is done first, on
// goroutines that wg counts, and closes done once they have all returned.
func startUp(ctx context.Context, wg *sync.WaitGroup, starts []startupFetch, done chan<- struct{}) {
	var startup sync.WaitGroup
	for _, st := range starts {
		wg.Add(1)
		startup.Add(1)
		go func() {
			defer wg.Done()
			defer startup.Done()
			t := time.NewTimer(st.delay)
			defer t.Stop()
			select {
			case <-ctx.Done():
			case <-t.C:
				st.job.Run()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		startup.Wait()
		close(done)
	}()
}

// settleLoop settles (see settle) once the start-up fetches are done, and
// then calls Started; and after each burst of fetches signalled on changed.
// It returns when ctx is done.
func (s *Scheduler) settleLoop(ctx context.Context, startupDone, changed <-chan struct{}) {
	started := startupDone
	for {
		select {
		case <-ctx.Done():
			return
		case <-started:
			// The start-up fetches are done: place their articles,
			// publish, and only then say so.
			started = nil
			s.settle(ctx)
			if ctx.Err() == nil && s.Started != nil {
				s.Started()
			}
		case <-changed:
			// Let the burst of fetches this change belongs to finish, so
			// that its articles are placed in stories together.
			t := time.NewTimer(settleDelay)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			select {
			case <-changed:
			default:
			}
			s.settle(ctx)
		}
	}
}

// settle places the new articles in stories and calls Changed.
func (s *Scheduler) settle(ctx context.Context) {
	if err := s.Runner.Settle(ctx); err != nil && ctx.Err() == nil {
		s.Runner.Log.Error("placing new articles in stories failed; they are published on their own", "err", err)
	}
	if s.Changed != nil {
		s.Changed(ctx)
	}
}

// due reports whether a feed's scheduled time passed since its last attempt
// (or it was never fetched): such a feed is fetched at start-up.
func due(state aggregator.FeedState, sched cron.Schedule, now time.Time) bool {
	if state.LastAttempt.IsZero() {
		return true
	}
	return !sched.Next(state.LastAttempt).After(now)
}
