package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"aggregator"
	"aggregator/config"
)

const discoverUsage = `Usage: aggregator discover [--config FILE] URL

Finds the feeds that the web site at URL offers and prints them as YAML,
ready to paste under feeds: in a config, each with the feed's own title as
its name and its type (RSS, Atom, JSON Feed) in a comment. The feeds are
those the page links in its head (<link rel="alternate">), each fetched to
check it; when it links none, those at /feed, /rss.xml, /atom.xml,
/feed.xml and /index.xml. A URL that is a feed is printed as it is.

It fetches as the daemon does, with the fetch: settings of the config
(user_agent, timeout, max_body_size, allow_private_addresses) when there
is one: FILE, else ./config.yaml, else $AGGREGATOR_CONFIG, else the
defaults. It exits 1 when it finds no feed.

Flags:
`

// runDiscover implements "aggregator discover URL".
func runDiscover(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("aggregator discover", discoverUsage, stderr)
	configPath := fs.String("config", "", "config `FILE` (YAML) whose fetch: settings to use")
	urls, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(urls) != 1 {
		fs.Usage()
		return &exitError{code: exitUsage, err: errors.New("discover takes one URL")}
	}
	pageURL := urls[0]
	cfg, err := discoverConfig(*configPath)
	if err != nil {
		return err
	}
	d, err := newFetchClient(cfg).Discover(ctx, pageURL)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return &exitError{code: exitFeeds, err: err}
	}
	name := aggregator.PublicURL(pageURL)
	for _, b := range d.Broken {
		fmt.Fprintf(stderr, "%s: warning: %v\n", name, b)
	}
	if len(d.Feeds) == 0 {
		links := "an HTML page that links no feed"
		if len(d.Broken) > 0 {
			links = "an HTML page whose feed links do not load (see above)"
		}
		return &exitError{code: exitFeeds, err: fmt.Errorf("%s: %s, and none answers at %s: look for an RSS or Atom link on the site",
			name, links, strings.Join(d.Tried, ", "))}
	}
	feeds := make([]feedEntry, len(d.Feeds))
	for i, f := range d.Feeds {
		feeds[i] = feedEntry{URL: f.URL, Name: f.Title, Comment: f.Type}
	}
	out, err := marshalFeeds(feeds)
	if err != nil {
		return err
	}
	if _, err := stdout.Write(out); err != nil {
		return err
	}
	var msg string
	switch {
	case d.IsFeed:
		msg = "a feed itself"
	case d.Guessed && len(d.Broken) > 0:
		msg = fmt.Sprintf("its feed links do not load; found %s at the common paths", plural(len(feeds), "feed"))
	case d.Guessed:
		msg = fmt.Sprintf("links no feed; found %s at the common paths", plural(len(feeds), "feed"))
	default:
		msg = fmt.Sprintf("links %s", plural(len(feeds), "feed"))
	}
	fmt.Fprintf(stderr, "%s: %s\n", name, msg)
	for _, w := range urlWarnings(feeds) {
		fmt.Fprintf(stderr, "%s: warning: %s\n", name, w)
	}
	return nil
}

// discoverConfig is the config whose fetch settings discover uses: the
// one named or found as for the other commands, else the defaults.
func discoverConfig(flagValue string) (*config.Config, error) {
	if _, err := findConfig(flagValue); err != nil {
		c := config.Default()
		return &c, nil
	}
	return loadConfig(flagValue)
}

// plural is "1 feed", "2 feeds".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
