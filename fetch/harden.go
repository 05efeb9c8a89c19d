package fetch

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"aggregator"
)

// DefaultMaxItems is how many items of one document are kept when
// Client.MaxItems is 0, and by Parse.
const DefaultMaxItems = 1000

func (c *Client) maxItems() int {
	if c.MaxItems <= 0 {
		return DefaultMaxItems
	}
	return c.MaxItems
}

// validItem replaces any invalid UTF-8 left in an item's text with U+FFFD.
// The document was made valid UTF-8 (see toUTF8), so this is a safety net.
func validItem(it aggregator.Item) aggregator.Item {
	for _, s := range []*string{&it.GUID, &it.Link, &it.Title, &it.Summary, &it.Content, &it.Author} {
		*s = strings.ToValidUTF8(*s, "\uFFFD")
	}
	for i := range it.Categories {
		it.Categories[i] = strings.ToValidUTF8(it.Categories[i], "\uFFFD")
	}
	return it
}

// uniqueItems drops nil items, items with no link, GUID, title,
// description or content at all, and every item whose GUID an earlier item
// of the document has (whatever their links: the store knows an item of a
// feed by its GUID, so a second one would overwrite the first, and the two
// would take turns at every fetch). Document order is kept.
func uniqueItems(items []*gofeed.Item) []*gofeed.Item {
	out := make([]*gofeed.Item, 0, len(items))
	seen := make(map[string]bool)
	for _, it := range items {
		if it == nil {
			continue
		}
		guid := strings.TrimSpace(it.GUID)
		if guid == "" && strings.TrimSpace(it.Link) == "" && strings.TrimSpace(strings.Join(it.Links, "")) == "" &&
			strings.TrimSpace(it.Title) == "" && strings.TrimSpace(it.Description) == "" && strings.TrimSpace(it.Content) == "" {
			continue
		}
		if guid != "" {
			if seen[guid] {
				continue
			}
			seen[guid] = true
		}
		out = append(out, it)
	}
	return out
}

// keepNewest returns the max newest of items (all if there are no more),
// in document order. An item's date is its published date, else its
// updated date (plausible ones only, see saneDate). Undated items count as
// the newest, as the store dates them when it first sees them; items of
// the same date (undated ones among them) rank in document order, so a
// feed without dates keeps its first max items, which in most feeds are
// the newest.
func keepNewest(items []*gofeed.Item, max int) []*gofeed.Item {
	if max <= 0 {
		max = DefaultMaxItems
	}
	if len(items) <= max {
		return items
	}
	type ranked struct {
		i     int
		date  time.Time
		dated bool
	}
	rs := make([]ranked, len(items))
	for i, it := range items {
		rs[i].i = i
		switch {
		case saneDate(it.PublishedParsed):
			rs[i].date, rs[i].dated = *it.PublishedParsed, true
		case saneDate(it.UpdatedParsed):
			rs[i].date, rs[i].dated = *it.UpdatedParsed, true
		}
	}
	slices.SortStableFunc(rs, func(a, b ranked) int {
		switch {
		case a.dated != b.dated:
			if !a.dated {
				return -1
			}
			return 1
		case !a.dated:
			return 0
		}
		return b.date.Compare(a.date) // newer first
	})
	rs = rs[:max]
	slices.SortFunc(rs, func(a, b ranked) int { return a.i - b.i })
	out := make([]*gofeed.Item, len(rs))
	for j, r := range rs {
		out[j] = items[r.i]
	}
	return out
}

// saneDate reports whether t is a date worth keeping: set, and within
// years 1000 to 9999, so that it renders as RFC 3339. Earlier years are a
// misparse (a two-digit year, "0001-01-01"); dates before 1970 are kept. A
// date in the future is kept here; the store does not date entries later
// than the moment it first sees them.
func saneDate(t *time.Time) bool {
	return t != nil && !t.IsZero() && t.Year() >= 1000 && t.Year() <= 9999
}

// safeLink returns link if it is an http(s) URL or a relative reference,
// else "": a javascript:, data: or other link from a feed is never
// republished. Links that do not parse are dropped too.
func safeLink(link string) string {
	if link == "" {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "", "http", "https":
		return link
	}
	return ""
}
