package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"aggregator"
	"aggregator/store"
	"aggregator/story"
)

const explainUsage = `Usage: aggregator explain [--config FILE] URL

Shows the story the article at URL belongs to, its articles, and why they are together.

Flags:
`

// runExplain implements "aggregator explain URL".
func runExplain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("aggregator explain", explainUsage, stderr)
	configPath := fs.String("config", "", "config `FILE` (YAML)")
	links, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(links) != 1 {
		fs.Usage()
		return &exitError{code: exitUsage, err: errors.New("explain takes the URL of one article")}
	}
	link := links[0]
	cfg, st, err := openConfigStore(ctx, *configPath)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := st.StoryOf(ctx, dedupeRules(cfg).Key("", aggregator.Item{Link: link}), link)
	if errors.Is(err, store.ErrNotFound) {
		return &exitError{code: exitFeeds, err: fmt.Errorf("no stored article has the link %s", link)}
	}
	if err != nil {
		return err
	}
	entries := storyEntries(cfg, st)
	e, err := entries.Entry(ctx, p.Story)
	if err != nil {
		return err
	}
	later, err := st.StoriesFollowing(ctx, p.Story.ID)
	if err != nil {
		return err
	}
	var next []aggregator.Entry
	for _, s := range later {
		next = append(next, s.Entry(entries.Rule))
	}
	printExplanation(stdout, p, e, next, storyConfig(cfg))
	return nil
}

// printExplanation shows a story: its entry (headline, tags, storyline),
// its articles, and for each how it came into the story (the probability it
// had of belonging to the story it joined, or that it started the story or
// one merged into it later), the distinctive words it shares with the rest
// of the story, and its own tags.
func printExplanation(w io.Writer, p store.Placement, e aggregator.Entry, later []aggregator.Entry, sc story.Config) {
	s := p.Story
	first := s.Members[0].Item.Published
	outlets := map[string]bool{}
	headline := 0
	for i, m := range s.Members {
		if m.Item.Published.Before(first) {
			first = m.Item.Published
		}
		for _, src := range m.Sources {
			outlets[src.Feed.DisplayName()] = true
		}
		if m.Item.Link == e.Item.Link && m.Item.Title == e.Item.Title {
			headline = i
		}
	}
	fmt.Fprintf(w, "story %s: %d articles from %d outlets\n", s.ID, len(s.Members), len(outlets))
	kind := "a report"
	if !aggregator.IsReport(e.Item) {
		kind = "no report among the first articles (opinion, analysis, live page, video...)"
	}
	fmt.Fprintf(w, "headline: %s (%s): %s, the most central to the story's coverage;\n", e.Item.Title, e.Sources[0].Feed.DisplayName(), kind)
	fmt.Fprintf(w, "  it may change until the story has %d outlets and is %s old, its id never does\n",
		aggregator.HeadlineSettleOutlets, aggregator.HeadlineSettleAge)
	var tags []string
	for _, t := range e.Tags {
		tags = append(tags, t.Slug)
	}
	fmt.Fprintf(w, "tags: %s\n  (the headline article's, and those a third of the articles carry; at most %d, ranked)\n",
		strings.Join(tags, ", "), aggregator.MaxEntryTags)
	for _, d := range e.Earlier {
		fmt.Fprintf(w, "follows: %s  %s  %s\n", d.Published.UTC().Format("2006-01-02 15:04"), d.ID, d.Title)
	}
	for _, l := range later {
		fmt.Fprintf(w, "followed by: %s  %s  %s\n", l.Published.UTC().Format("2006-01-02 15:04"), l.ID, l.Item.Title)
	}
	fmt.Fprintf(w, "\nAn article joins when the join model gives it a probability of at least %.3f of belonging to the story,\n", sc.Threshold)
	fmt.Fprintf(w, "and it comes within %s of the story's latest article.\n\n", sc.Window)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tJOINED\tAFTER FIRST\tOUTLETS\tTITLE\tSHARED WORDS")
	merged := false
	for i, m := range s.Members {
		mark := ""
		switch {
		case i == p.Index:
			mark = "→"
		case i == headline:
			mark = "*"
		}
		joined := joinedAs(p, i)
		merged = merged || joined == mergedIn
		var names []string
		for _, src := range m.Sources {
			names = append(names, src.Feed.DisplayName())
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", mark, joined, m.Item.Published.Sub(first).Round(time.Minute),
			strings.Join(names, ", "), truncate(m.Item.Title, 70), strings.Join(sharedWords(s, i), " "))
	}
	tw.Flush()
	if merged {
		fmt.Fprintf(w, "\n%s: it started a story of its own, found later to be the same event and merged into this one;\n", mergedIn)
		fmt.Fprintln(w, "the articles that joined that story show the probability they had of belonging to it.")
	}
	fmt.Fprintln(w, "\n* the headline article; → the article asked about. Each article's own tags:")
	for _, m := range s.Members {
		var own []string
		for _, t := range m.Item.Tags {
			own = append(own, t.Slug)
		}
		fmt.Fprintf(w, "  %s: %s\n", truncate(m.Item.Title, 50), strings.Join(own, ", "))
	}
}

// How an article that did not join a story by the join model came into it.
const (
	startedIt = "started it" // the article the story began with
	mergedIn  = "merged in"  // it began a story that was merged into this one
)

// joinedAs says how member i of p's story came into it: the probability the
// join model gave it of belonging to the story it joined, or startedIt or
// mergedIn for an article that began a story. The store keeps a score of 1
// for those, which is no probability. A story's id, and a cluster's, is the
// entry id of the article that began it (see story.StoryID).
func joinedAs(p store.Placement, i int) string {
	m := p.Story.Members[i]
	switch began := story.StoryID(m.EntryID); {
	case began == p.Story.ID:
		return startedIt
	case i < len(p.Clusters) && began == p.Clusters[i]:
		return mergedIn
	}
	return fmt.Sprintf("%.3f", p.Scores[i])
}

// sharedWords lists the words of member i's title and summary that other
// members of the story use too, most shared first.
func sharedWords(s aggregator.Story, i int) []string {
	words := func(m aggregator.Member) map[string]bool {
		set := map[string]bool{}
		for _, t := range story.Tokens(m.Item.Title + " " + story.StripHTML(m.Item.Summary)) {
			set[t] = true
		}
		return set
	}
	mine := words(s.Members[i])
	count := map[string]int{}
	for j, m := range s.Members {
		if j == i {
			continue
		}
		for t := range words(m) {
			if mine[t] {
				count[t]++
			}
		}
	}
	var out []string
	for t := range count {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b string) int {
		if count[a] != count[b] {
			return count[b] - count[a]
		}
		return strings.Compare(a, b)
	})
	if len(out) > 8 {
		out = out[:8]
	}
	return out
}
