package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"aggregator"
	"aggregator/pipeline"
	"aggregator/publish"
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
	NextFetch   *time.Time `json:"next_fetch"` // the daemon's next attempt (see pipeline.NextAttempt); null when retired
	NotBefore   *time.Time `json:"not_before"` // the earliest fetch that back-off, Retry-After and the feed's hints allow
	Retired     bool       `json:"retired"`
	Error       string     `json:"error"`
	// FetchedBy names the instance that last fetched the feed when
	// instances share the store; "" otherwise.
	FetchedBy string `json:"fetched_by"`
}

const statusUsage = `Usage: aggregator status [--config FILE] [--json]

Shows the health of each feed in the config. On a PostgreSQL store that
several instances share, it also says which instance leads them and which
fetched each feed last.

Flags:
`

// runStatus implements "aggregator status".
func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("aggregator status", statusUsage, stderr)
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
	for _, f := range stored {
		byURL[f.Feed.URL] = f
	}
	now := time.Now()
	lines := make([]feedStatus, 0, len(cfg.Feeds))
	for i, f := range pipelineFeeds(cfg) {
		s, ok := byURL[f.URL]
		if !ok {
			s = store.FeedStatus{Feed: aggregator.Feed{URL: f.URL, Name: f.Name}, State: aggregator.FeedState{URL: f.URL}}
		}
		s.Feed.Name = cfg.Feeds[i].Name
		next, err := pipeline.NextAttempt(f, s.State, cfg.Fetch.Jitter.Std(), now)
		if err != nil {
			return err
		}
		lines = append(lines, newFeedStatus(s, next))
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(lines)
	}
	if st.Shared() {
		fmt.Fprintln(stdout, leaderLine(ctx, st))
	}
	return printStatus(stdout, lines, now, time.Local, st.Shared())
}

// leaderLine says which instance leads those sharing st: "leader: NAME",
// "leader: none" when none holds the lead.
func leaderLine(ctx context.Context, st *store.Store) string {
	name, err := st.LeaderName(ctx)
	switch {
	case err != nil:
		return "leader: unknown (" + oneLine(err.Error(), 200) + ")"
	case name == "":
		return "leader: none"
	}
	return "leader: " + name
}

// newFeedStatus is the line of a stored feed that is next fetched at next.
func newFeedStatus(s store.FeedStatus, next time.Time) feedStatus {
	st := s.State
	line := feedStatus{
		URL: s.Feed.PublicURL(), CurrentURL: aggregator.PublicURL(st.URL), Name: s.Feed.DisplayName(),
		LastAttempt: optTime(st.LastAttempt), LastSuccess: optTime(st.LastSuccess), LastStatus: st.LastStatus,
		Failures: st.Failures, NextFetch: optTime(next.UTC()), NotBefore: optTime(st.NextFetch),
		Retired: st.Retired, Error: st.Error, FetchedBy: s.FetchedBy,
	}
	line.Health = pipeline.HealthOf(st)
	return line
}

// optTime is t, or nil for the zero time, which --json shows as null.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// printStatus prints lines as a table; the next fetches are shown in loc
// and from now. With shared (instances share the store), a column names
// the instance that last fetched each feed.
func printStatus(w io.Writer, lines []feedStatus, now time.Time, loc *time.Location, shared bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "FEED\tHEALTH\tLAST ATTEMPT\tLAST SUCCESS\tSTATUS\tFAILURES\tNEXT FETCH\t"
	if shared {
		header += "FETCHED BY\t"
	}
	fmt.Fprintln(tw, header+"ERROR")
	for _, l := range lines {
		name := l.Name
		if l.CurrentURL != l.URL {
			name += " (moved to " + l.CurrentURL + ")"
		}
		status := "-"
		if l.LastStatus != 0 {
			status = fmt.Sprint(l.LastStatus)
		}
		next := "never"
		if l.NextFetch != nil {
			next = nextFetch(*l.NextFetch, now, loc)
		}
		by := ""
		if shared {
			by = cmp.Or(l.FetchedBy, "-") + "\t"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s%s\n", name, l.Health, ago(l.LastAttempt, now), ago(l.LastSuccess, now),
			status, l.Failures, next, by, truncate(l.Error, 80))
	}
	return tw.Flush()
}

// nextFetch shows a next fetch: "14:05 CEST (in 4 min)", with the date
// when it is not today.
func nextFetch(t, now time.Time, loc *time.Location) string {
	t, now = t.In(loc), now.In(loc)
	layout := "15:04 MST"
	if t.YearDay() != now.YearDay() || t.Year() != now.Year() {
		layout = "2 Jan 15:04 MST"
	}
	return t.Format(layout) + " (" + publish.Until(t, now) + ")"
}

// ago shows how long before now t was: "4m0s ago", or "never" for nil.
func ago(t *time.Time, now time.Time) string {
	if t == nil {
		return "never"
	}
	return now.Sub(*t).Round(time.Second).String() + " ago"
}

// truncate cuts s to n runes, the last an ellipsis, to keep a table narrow.
func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
