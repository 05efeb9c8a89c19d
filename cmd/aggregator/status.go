package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"aggregator"
	"aggregator/pipeline"
	"aggregator/store"
)

// feedStatus is one line of `aggregator status`, and one object of --json.
type feedStatus struct {
	URL         string     `json:"url"`         // as aggregator.PublicURL shows it
	CurrentURL  string     `json:"current_url"` // the same
	Name        string     `json:"name"`
	Health      string     `json:"health"` // new, ok, failing, retired
	LastAttempt *time.Time `json:"last_attempt"`
	LastSuccess *time.Time `json:"last_success"`
	LastStatus  int        `json:"last_status"`
	Failures    int        `json:"failures"`
	NextFetch   *time.Time `json:"next_fetch"`
	Retired     bool       `json:"retired"`
	Error       string     `json:"error"`
}

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("aggregator status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: aggregator status [--config FILE] [--json]\n\nShows the health of each feed in the config.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	configPath := fs.String("config", "", "config `FILE` (YAML)")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, st, err := openConfigStore(ctx, *configPath)
	if err != nil {
		return err
	}
	defer st.Close()
	stored, err := st.Feeds(ctx)
	if err != nil {
		return err
	}
	byURL := make(map[string]store.FeedStatus, len(stored))
	for _, fs := range stored {
		byURL[fs.Feed.URL] = fs
	}
	lines := make([]feedStatus, 0, len(cfg.Feeds))
	for _, f := range cfg.Feeds {
		s, ok := byURL[f.URL]
		if !ok {
			s = store.FeedStatus{Feed: aggregator.Feed{URL: f.URL, Name: f.Name}, State: aggregator.FeedState{URL: f.URL}}
		}
		s.Feed.Name = f.Name
		lines = append(lines, newFeedStatus(s))
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(lines)
	}
	return printStatus(stdout, lines, time.Now())
}

func newFeedStatus(s store.FeedStatus) feedStatus {
	st := s.State
	line := feedStatus{
		URL: s.Feed.PublicURL(), CurrentURL: aggregator.PublicURL(st.URL), Name: s.Feed.DisplayName(),
		LastAttempt: optTime(st.LastAttempt), LastSuccess: optTime(st.LastSuccess), LastStatus: st.LastStatus,
		Failures: st.Failures, NextFetch: optTime(st.NextFetch), Retired: st.Retired, Error: st.Error,
	}
	line.Health = pipeline.HealthOf(st)
	return line
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func printStatus(w io.Writer, lines []feedStatus, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FEED\tHEALTH\tLAST ATTEMPT\tLAST SUCCESS\tSTATUS\tFAILURES\tNEXT FETCH\tERROR")
	for _, l := range lines {
		name := l.Name
		if l.CurrentURL != l.URL {
			name += " (moved to " + l.CurrentURL + ")"
		}
		status := "-"
		if l.LastStatus != 0 {
			status = fmt.Sprint(l.LastStatus)
		}
		next := "due"
		if l.Retired {
			next = "never"
		} else if l.NextFetch != nil && l.NextFetch.After(now) {
			next = "in " + l.NextFetch.Sub(now).Round(time.Minute).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", name, l.Health, ago(l.LastAttempt, now), ago(l.LastSuccess, now),
			status, l.Failures, next, truncate(l.Error, 80))
	}
	return tw.Flush()
}

func ago(t *time.Time, now time.Time) string {
	if t == nil {
		return "never"
	}
	return now.Sub(*t).Round(time.Second).String() + " ago"
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
