package pipeline

import (
	"context"
	"fmt"
	"sync"

	"github.com/robfig/cron/v3"
)

// Scheduler runs every feed at start and then on its cron schedule, and calls
// Changed after fetches that changed what is stored.
type Scheduler struct {
	Runner *Runner
	Feeds  []Feed
	// Changed is called after one or more fetches added or changed items.
	// Calls never overlap; changes that arrive during a call cause one more.
	Changed func(ctx context.Context)
}

// Run schedules the feeds and blocks until ctx is done. Then it stops
// scheduling, waits for the fetches in flight (which see ctx cancelled) and
// returns ctx's error.
func (s *Scheduler) Run(ctx context.Context) error {
	n := s.Runner.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	sem := make(chan struct{}, n)
	changed := make(chan struct{}, 1)
	notify := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}

	var wg sync.WaitGroup
	run := func(f Feed) {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-sem }()
		rep := s.Runner.RunFeed(ctx, f)
		if rep.Added > 0 || rep.Changed > 0 {
			notify()
		}
	}

	c := cron.New()
	jobs := make([]func(), len(s.Feeds))
	for i, f := range s.Feeds {
		// One job per feed, wrapped once, so the start-up run and the
		// scheduled runs of a feed never overlap.
		job := cron.NewChain(cron.SkipIfStillRunning(cron.DiscardLogger)).Then(cron.FuncJob(func() { run(f) }))
		if _, err := c.AddJob(f.Schedule, job); err != nil {
			return fmt.Errorf("schedule %s: %w", f.URL, err)
		}
		jobs[i] = job.Run
	}

	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-changed:
				if s.Changed != nil {
					s.Changed(ctx)
				}
			}
		}
	}()

	for _, job := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			job()
		}()
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	wg.Wait()
	return ctx.Err()
}
