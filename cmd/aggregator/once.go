package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"aggregator"
	"aggregator/config"
	"aggregator/pipeline"
	"aggregator/store"
)

// runOnce runs one cycle (--once): it fetches every feed of cfg that may
// be fetched now (with force, every feed), places the new articles in
// stories, prunes and writes the outputs. Another --once run on the same
// store makes it fail with exitLocked, or with wait, wait for that run.
func runOnce(ctx context.Context, cfg *config.Config, log *slog.Logger, force, wait bool, stderr io.Writer) error {
	st, err := store.OpenWith(ctx, cfg.Store, storeOptions(cfg))
	if err != nil {
		return err
	}
	defer st.Close()
	unlock, err := lockOnce(ctx, st, wait)
	if errors.Is(err, errLocked) {
		return &exitError{code: exitLocked, err: err}
	}
	if err != nil {
		return err
	}
	defer unlock()
	s, err := newSetup(ctx, cfg, st, log, asOnce, nil)
	if err != nil {
		return err
	}
	if st.Shared() {
		// Among instances sharing the store, the run places its articles in
		// stories only if no daemon leads; else the leader places them.
		leadCtx, stopLeading := context.WithCancel(ctx)
		defer stopLeading()
		leader := st.Leader()
		leader.Log = log
		go leader.Run(leadCtx)
		<-leader.Tried()
		s.runner.Leader = leader
	}
	progress := &onceReport{w: stderr, live: isTerminal(stderr), total: len(s.feeds)}
	s.runner.OnReport = progress.add
	reports := s.runner.RunAll(ctx, s.feeds, force)
	if err := ctx.Err(); err != nil {
		return err
	}
	// Prune first, so that the outputs show what the store keeps. A prune
	// that fails keeps nothing from being published: the error is
	// returned after the outputs are written.
	_, pruneErr := prune(ctx, s.runner.Store, s.cfg.Retention, s.runner.Log, time.Now())
	site, err := s.pub.Build(ctx, s.entries)
	if err != nil {
		return errors.Join(err, pruneErr)
	}
	if err := site.WriteDir(ctx, s.cfg.Publish.Dir); err != nil {
		return errors.Join(err, pruneErr)
	}
	progress.finish(ctx, s.runner.Store.StoryCount)
	if pruneErr != nil {
		return pruneErr
	}
	if pipeline.Failed(reports) != nil {
		return &exitError{code: exitFeeds}
	}
	return nil
}

// onceReport counts what a --once run did, shows progress on a terminal,
// and sums it up.
type onceReport struct {
	w        io.Writer
	live     bool // a terminal: show progress as feeds finish
	total    int
	done     int
	fetched  int
	skipped  int
	newItems int
	failed   []pipeline.Report
}

// add counts one feed's turn.
func (o *onceReport) add(rep pipeline.Report) {
	o.done++
	switch {
	case rep.Err != nil:
		o.failed = append(o.failed, rep)
	case rep.Skipped != "":
		o.skipped++
	default:
		o.fetched++
		o.newItems += rep.Added
	}
	if o.live {
		fmt.Fprintf(o.w, "\r\033[Kfeeds %d/%d · %s · %s", o.done, o.total, count(o.newItems, "new item", "new items"), count(len(o.failed), "error", "errors"))
	}
}

// finish prints the summary: on a terminal always, elsewhere only when some
// feeds failed (cron mails whatever a job prints).
func (o *onceReport) finish(ctx context.Context, stories func(context.Context) (int, error)) {
	if o.live {
		n, _ := stories(ctx)
		fmt.Fprintf(o.w, "\r\033[K%s: %d fetched, %d not due, %d failed; %s; %s stored\n",
			count(o.total, "feed", "feeds"), o.fetched, o.skipped, len(o.failed), count(o.newItems, "new item", "new items"),
			count(n, "story", "stories"))
	}
	if len(o.failed) == 0 {
		return
	}
	failed := fmt.Sprintf("%d of %s", len(o.failed), count(o.total, "feed", "feeds"))
	if len(o.failed) == o.total {
		failed = "every feed"
		if o.total > 1 {
			failed = fmt.Sprintf("all %d feeds", o.total)
		}
	}
	fmt.Fprintf(o.w, "aggregator: %s failed; the outputs were written without their new articles, from what was stored before:\n", failed)
	for _, rep := range o.failed {
		name := aggregator.PublicURL(rep.Feed.URL)
		if rep.Feed.Name != "" {
			name = rep.Feed.Name + " (" + name + ")"
		}
		fmt.Fprintf(o.w, "  %s: %s\n", name, oneLine(rep.Err.Error(), 200))
	}
}
