package publish

import (
	"hash/maphash"
	"sync"

	"aggregator"
	"aggregator/fetch"
)

// The store keeps an article's HTML as its feed gave it (less what XML
// cannot carry); the Publisher sanitises it (see fetch.SanitizeHTML) when it
// reaches an output, so that only those articles pay for it: a story's
// head, not the other articles of its story, nor those no output keeps.
//
// Nothing unsanitised reaches an output. The renderers (Atom, RSS,
// JSONFeed, atomDocument) render the HTML they are given; the entries reach
// them through these exits, each of which sanitises:
//
//   - a feed's current document, in Atom, RSS and JSON Feed (Build): its
//     newest entries as src.Entries gives them, and the stories after its
//     last complete archive page (withPending);
//   - an archive page (renderArchivePage, for Build and Archives), from its
//     stories' entries as stored or their summaries (PageSource);
//   - the index page, which shows the titles of Build's entries, sanitised
//     already, and html/template escapes them.
//
// The status page, the health feed and subscriptions.opml show feeds, not
// articles. Outside this package, "aggregator explain" prints titles, tags
// and words stripped of markup, never an article's HTML. TestXSSEndToEnd
// (package pipeline) checks every exit with hostile feeds.

// sanitizedCache is how many articles' sanitised HTML a Publisher keeps in
// each of the two generations of its cache: more than the entries of the
// outputs of a typical site, so that a site rendered again sanitises only
// the articles that are new to it.
const sanitizedCache = 1024

// sanitizer sanitises entries' HTML, keeping the results of the latest
// ones: a bounded cache in two generations, the older dropped whole when the
// newer fills up.
type sanitizer struct {
	mu       sync.Mutex
	seed     maphash.Seed
	cur, old map[cleanKey]cleanHTML
}

// cleanKey names an article's HTML as stored: its entry, where its relative
// links resolve, and a hash of the HTML.
type cleanKey struct {
	id, link, site, feed string
	sum                  uint64
	size                 int
}

type cleanHTML struct{ summary, content string }

// sanitize returns entries with their HTML sanitised: a new slice, the
// entries given are left alone. With keep unset, nothing is remembered: an
// archive page, rendered once, should not push the outputs' entries out of
// the cache.
func (s *sanitizer) sanitize(entries []aggregator.Entry, keep bool) []aggregator.Entry {
	if len(entries) == 0 {
		return entries
	}
	out := make([]aggregator.Entry, len(entries))
	for i, e := range entries {
		out[i] = e
		out[i].Item.Summary, out[i].Item.Content = s.entryHTML(e, keep)
	}
	return out
}

// keep is sanitize with the results kept.
func (s *sanitizer) keep(entries []aggregator.Entry) []aggregator.Entry {
	return s.sanitize(entries, true)
}

func (s *sanitizer) entryHTML(e aggregator.Entry, keep bool) (summary, content string) {
	it := e.Item
	if it.Summary == "" && it.Content == "" {
		return "", ""
	}
	var site, feed string
	if len(e.Sources) > 0 {
		site, feed = e.Sources[0].Feed.SiteURL, e.Sources[0].Feed.URL
	}
	s.mu.Lock()
	if s.cur == nil {
		s.seed = maphash.MakeSeed()
		s.cur = map[cleanKey]cleanHTML{}
	}
	var h maphash.Hash
	h.SetSeed(s.seed)
	s.mu.Unlock()
	h.WriteString(it.Summary)
	h.WriteByte(0)
	h.WriteString(it.Content)
	key := cleanKey{id: e.ID, link: it.Link, site: site, feed: feed, sum: h.Sum64(), size: len(it.Summary) + len(it.Content)}
	s.mu.Lock()
	c, ok := s.cur[key]
	if !ok {
		if c, ok = s.old[key]; ok && keep {
			s.put(key, c)
		}
	}
	s.mu.Unlock()
	if ok {
		return c.summary, c.content
	}
	base := fetch.ArticleBase(it.Link, site, feed)
	c = cleanHTML{fetch.SanitizeHTML(it.Summary, base), fetch.SanitizeHTML(it.Content, base)}
	if keep {
		s.mu.Lock()
		s.put(key, c)
		s.mu.Unlock()
	}
	return c.summary, c.content
}

// put remembers c under key, with s.mu held.
func (s *sanitizer) put(key cleanKey, c cleanHTML) {
	if len(s.cur) >= sanitizedCache {
		s.old, s.cur = s.cur, make(map[cleanKey]cleanHTML, sanitizedCache)
	}
	s.cur[key] = c
}
