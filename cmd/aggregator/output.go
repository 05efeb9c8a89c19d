package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"aggregator"
	"aggregator/pipeline"
)

// newLogger makes the program's logger. Under journald (JOURNAL_STREAM set)
// text lines carry no time, since the journal adds its own.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: write debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		if os.Getenv("JOURNAL_STREAM") != "" {
			opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
				if len(groups) == 0 && a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			}
		}
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: write text or json", format)
}

// isTerminal reports whether w is a terminal (a character device), where a
// person watches; under cron it is a pipe or a file.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
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

// count says n things: "1 feed", "3 feeds".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
