package fetch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	"github.com/mmcdole/gofeed/rss"

	"aggregator"
)

// Parse parses a feed document (RSS 0.9x–2.0, Atom 0.3/1.0, JSON Feed) and
// normalises its items. base is the URL the document came from; relative
// links resolve against the feed's own link, else base.
//
// The encoding of an XML document is found from its byte-order mark, else
// the encoding it declares (<?xml encoding="windows-1252"?>), else UTF-8;
// Client.Fetch also heeds the charset of an XML Content-Type (see toUTF8).
// Text in the Result is UTF-8.
//
// Parse also reads what the feed says about polling it: TTL from RSS <ttl>
// or the syndication module (sy:updatePeriod, sy:updateFrequency; RSS 0.9x,
// 1.0, 2.0 and Atom alike), the larger if both; SkipHours and SkipDays from
// RSS <skipHours> and <skipDays>.
//
// Hostile documents are neutralised rather than trusted: a document that
// is read as UTF-8 but is not valid UTF-8 has its bad bytes replaced by
// U+FFFD (see toUTF8); an XML document whose elements nest deeper than
// MaxDepth is refused before it is parsed, with an error wrapping
// ErrTooDeep; items with nothing to show are dropped, and of items sharing
// a GUID only the first is kept; dates before year 1000 or after 9999
// count as absent; links that are not http(s) are dropped; titles and
// names lose their bidirectional controls and zero-width characters and
// are cut at MaxTitle characters (see titleText); and only the newest
// DefaultMaxItems items are kept (see keepNewest). Client.Fetch applies
// Client.MaxItems instead.
//
// A document that is no feed, a JSON object that is not JSON Feed among
// them, fails with a *NotFeedError saying what it is.
func Parse(r io.Reader, base string) (*Result, error) {
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("parse feed: %w", err)
	}
	return parse(body, "", base, DefaultMaxItems)
}

// parse is Parse of a whole document served as contentType ("" if
// unknown), keeping maxItems items at most (DefaultMaxItems if maxItems <=
// 0).
func parse(body []byte, contentType, base string, maxItems int) (*Result, error) {
	// A gofeed.Parser holds no per-parse state, but Parse is a package
	// function: a fresh one costs a few small allocations and needs no global.
	p := gofeed.NewParser()
	// The default RSS translator HTML-parses every item's content to find an
	// image we never use.
	p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	// Keeps a pointer to the already-built atom.Feed for its <id>: no copy.
	p.KeepOriginalFeed = true

	doc := toUTF8(body, contentType)
	if err := checkDepth(doc, MaxDepth); err != nil {
		return nil, fmt.Errorf("parse feed: %w", err)
	}
	feed, err := p.Parse(bytes.NewReader(doc))
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) || (err == nil && notJSONFeed(feed)) {
		return nil, fmt.Errorf("parse feed: %w", notFeed(body, contentType, base))
	}
	if err != nil {
		return nil, fmt.Errorf("parse feed: %w", err)
	}

	baseURL := parseAbsURL(strings.TrimSpace(base))
	res := &Result{
		Title:    strings.ToValidUTF8(titleText(feed.Title), "\uFFFD"),
		SiteURL:  safeLink(resolveURL(baseURL, feed.Link)),
		Language: strings.ToLower(strings.TrimSpace(feed.Language)),
	}
	switch of := feed.OriginalFeed().(type) {
	case *atom.Feed:
		if of != nil {
			res.AtomID = strings.TrimSpace(of.ID)
		}
	case *rss.Feed:
		if of != nil {
			res.TTL = rssTTL(of.TTL)
			res.SkipHours = skipHours(of.SkipHours)
			res.SkipDays = skipDays(of.SkipDays)
		}
	}
	// gofeed files the channel's sy:* elements under the canonical "sy"
	// prefix, whatever prefix the document binds.
	res.TTL = max(res.TTL, syndicationTTL(feed.Extensions["sy"]))

	linkBase := baseURL
	if u := parseAbsURL(res.SiteURL); u != nil {
		linkBase = u
	}
	res.base = linkBase

	// An entry without an author has the feed's (RFC 4287 section 4.2.1).
	feedAuthor := firstName(feed.Authors, feed.Author)
	items := keepNewest(uniqueItems(feed.Items), maxItems)
	res.Items = make([]aggregator.Item, 0, len(items))
	for _, it := range items {
		item := validItem(normaliseItem(it, linkBase))
		if item.Link == "" && item.GUID == "" && item.Title == "" && item.Summary == "" && item.Content == "" {
			continue // nothing to show, nothing to link to
		}
		if item.Author == "" {
			item.Author = feedAuthor
		}
		res.Items = append(res.Items, item)
	}
	return res, nil
}

// Sanitize makes the HTML of an item of r (its Summary and Content) safe to
// publish: relative links resolve against the item's link, else the feed's,
// and then the sanitiser drops scripts, event handlers, unsafe URLs and the
// like (see sanitizeHTML). Parse leaves this to the caller because it costs
// more than the parse itself: only the items that will be stored need it.
func (r *Result) Sanitize(it *aggregator.Item) {
	base := r.base
	if u := parseAbsURL(it.Link); u != nil {
		base = u
	}
	it.Summary = sanitizeHTML(it.Summary, base)
	it.Content = sanitizeHTML(it.Content, base)
}

func normaliseItem(it *gofeed.Item, linkBase *url.URL) aggregator.Item {
	link := strings.TrimSpace(it.Link)
	if link == "" {
		for _, l := range it.Links {
			if l = strings.TrimSpace(l); l != "" {
				link = l
				break
			}
		}
	}
	link = safeLink(resolveURL(linkBase, link))

	return aggregator.Item{
		GUID:       strings.TrimSpace(it.GUID),
		Link:       link,
		Title:      titleText(it.Title),
		Summary:    strings.TrimSpace(it.Description),
		Content:    strings.TrimSpace(it.Content),
		Author:     itemAuthor(it),
		Categories: categories(it.Categories),
		Published:  plausibleUTC(it.PublishedParsed),
		Updated:    plausibleUTC(it.UpdatedParsed),
	}
}

// itemAuthor is the first author with a name, else the deprecated single
// author, else dc:creator.
func itemAuthor(it *gofeed.Item) string {
	if name := firstName(it.Authors, it.Author); name != "" {
		return name
	}
	if dc := it.DublinCoreExt; dc != nil {
		for _, c := range dc.Creator {
			if name := titleText(c); name != "" {
				return name
			}
		}
	}
	return ""
}

// firstName is the name of the first of authors that has one, else that of
// the deprecated single author.
func firstName(authors []*gofeed.Person, author *gofeed.Person) string {
	for _, a := range authors {
		if a == nil {
			continue
		}
		if name := titleText(a.Name); name != "" {
			return name
		}
	}
	if author != nil {
		return titleText(author.Name)
	}
	return ""
}

// categories trims, drops empty and case-insensitively repeated categories,
// keeping the first spelling and the order.
func categories(in []string) []string {
	var out []string
	seen := make(map[string]bool, len(in))
	for _, c := range in {
		c = plainText(c)
		if c == "" {
			continue
		}
		key := strings.ToLower(c)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, c)
	}
	return out
}

// plausibleUTC is *t in UTC; zero (no date) when t is nil or not a plausible date
// (see saneDate).
func plausibleUTC(t *time.Time) time.Time {
	if !saneDate(t) {
		return time.Time{}
	}
	return t.UTC()
}

// parseAbsURL returns s parsed if it is an absolute URL with a scheme, else nil.
func parseAbsURL(s string) *url.URL {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() {
		return nil
	}
	return u
}

// resolveURL resolves ref against base. An absolute ref, an unparseable ref
// or a nil base leaves ref as given (trimmed), so links keep their exact
// spelling and tracking parameters.
func resolveURL(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || base == nil {
		return ref
	}
	u, err := url.Parse(ref)
	if err != nil || u.IsAbs() {
		return ref
	}
	return base.ResolveReference(u).String()
}
