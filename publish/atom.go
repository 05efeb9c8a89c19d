package publish

import (
	"bytes"
	"cmp"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/feeds"
	"golang.org/x/net/html"

	"aggregator"
	"aggregator/internal/text"
)

// atomFeed extends gorilla/feeds' AtomFeed, which has room for one link only,
// with the self and alternate links a feed reader needs.
type atomFeed struct {
	*feeds.AtomFeed
	Links []atomLink `xml:"link"`
	// Archive marks an archived feed document (RFC 5005, fh:archive).
	Archive *struct{}    `xml:"http://purl.org/syndication/history/1.0 archive,omitempty"`
	Entries []*atomEntry `xml:"entry"`
}

// FeedXml implements feeds.XmlFeed.
func (f *atomFeed) FeedXml() any { return f }

// atomEntry extends gorilla/feeds' AtomEntry, whose single string category and
// string source cannot say what RFC 4287 allows: several categories, links
// with titles, and a structured atom:source.
type atomEntry struct {
	*feeds.AtomEntry
	Links      []atomLink     `xml:"link"`
	Categories []atomCategory `xml:"category"`
	Source     *atomSource    `xml:"source"`
}

type atomLink struct {
	Href  string `xml:"href,attr"`
	Rel   string `xml:"rel,attr,omitempty"`
	Type  string `xml:"type,attr,omitempty"`
	Title string `xml:"title,attr,omitempty"`
}

type atomCategory struct {
	Term   string `xml:"term,attr"`
	Scheme string `xml:"scheme,attr,omitempty"`
	Label  string `xml:"label,attr,omitempty"`
}

type atomSource struct {
	ID      string     `xml:"id,omitempty"`
	Title   string     `xml:"title,omitempty"`
	Links   []atomLink `xml:"link"`
	Updated string     `xml:"updated,omitempty"`
}

// atomTime formats a time the way RFC 4287 wants it (RFC 3339, UTC).
func atomTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Atom renders one output as an Atom 1.0 document. The same entries always
// render the same bytes: nothing depends on the time of rendering. Like RSS
// and JSONFeed it renders the entries' HTML as given: sanitising it is the
// caller's part, as Publisher does for every document it renders.
func Atom(o Output, entries []aggregator.Entry, self, home string) ([]byte, error) {
	return atomDocument(o, entries, self, home, atomPage{})
}

// atomPage places a document among the pages of an output (RFC 5005): the
// current feed links its newest archive; an archive links the current feed
// and its neighbours.
type atomPage struct {
	current     string // the current feed's URL, for an archive page; "" for the current feed itself
	prevArchive string
	nextArchive string
	// asOf is the document's updated date when it has no entries (see
	// Publisher.asOf); zero: the Unix epoch, which validators flag.
	asOf time.Time
}

func atomDocument(o Output, entries []aggregator.Entry, self, home string, page atomPage) ([]byte, error) {
	id := self
	if page.current != "" {
		id = page.current // archives are documents of the same feed
	}
	updated := newestUpdate(entries)
	if updated.IsZero() {
		updated = page.asOf
	}
	if updated.IsZero() {
		updated = time.Unix(0, 0)
	}
	f := &atomFeed{
		AtomFeed: &feeds.AtomFeed{
			Xmlns:    "http://www.w3.org/2005/Atom",
			Title:    o.feedTitle(),
			Subtitle: o.Site.Subtitle,
			Icon:     o.Site.Icon,
			Id:       aggregator.EntryID("output " + id),
			Updated:  atomTime(updated),
			Author:   &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: cmp.Or(o.Site.Title, o.Title), Uri: home}},
		},
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: self},
			{Rel: "alternate", Type: "text/html", Href: home},
		},
	}
	if o.Hub != "" {
		f.Links = append(f.Links, atomLink{Rel: "hub", Href: o.Hub})
	}
	for _, l := range []atomLink{
		{Rel: "current", Type: "application/atom+xml", Href: page.current},
		{Rel: "prev-archive", Type: "application/atom+xml", Href: page.prevArchive},
		{Rel: "next-archive", Type: "application/atom+xml", Href: page.nextArchive},
	} {
		if l.Href != "" {
			f.Links = append(f.Links, l)
		}
	}
	if page.current != "" {
		f.Archive = &struct{}{}
	}
	// The same output in the other formats, for readers that prefer them.
	if base, ok := strings.CutSuffix(self, ".atom"); ok && page.current == "" {
		f.Links = append(f.Links,
			atomLink{Rel: "alternate", Type: "application/rss+xml", Href: base + ".rss"},
			atomLink{Rel: "alternate", Type: "application/feed+json", Href: base + ".json"})
	}
	for _, e := range entries {
		f.Entries = append(f.Entries, atomEntryOf(e))
	}
	var b bytes.Buffer
	if err := feeds.WriteXML(f, &b); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func atomEntryOf(e aggregator.Entry) *atomEntry {
	it := e.Item
	x := &atomEntry{AtomEntry: &feeds.AtomEntry{
		Title:     entryTitle(it),
		Id:        e.ID,
		Updated:   atomTime(e.Updated),
		Published: atomTime(e.Published),
	}}
	origin := e.Sources[0]
	author := it.Author
	if author == "" {
		author = origin.Feed.DisplayName()
	}
	x.Author = &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: author}}
	if it.Link != "" {
		x.Links = append(x.Links, atomLink{Rel: "alternate", Type: "text/html", Href: it.Link})
	}
	// Other feeds with the same article are "via"; other outlets' own
	// articles on the story are "related".
	for _, s := range e.Sources[1:] {
		if s.Link == "" {
			continue
		}
		rel := "related"
		if s.Link == it.Link {
			rel = "via"
		}
		x.Links = append(x.Links, atomLink{Rel: rel, Href: s.Link, Title: s.Feed.DisplayName()})
	}
	// The earlier developments of its storyline are related too.
	for _, d := range e.Earlier {
		if d.Link != "" {
			x.Links = append(x.Links, atomLink{Rel: "related", Href: d.Link, Title: "Earlier: " + d.Title})
		}
	}
	if it.Summary != "" {
		x.Summary = &feeds.AtomSummary{Type: "html", Content: it.Summary}
	}
	content := it.Content
	if content == "" && (it.Link == "" || len(e.Sources) > 1 || len(e.Earlier) > 0) {
		// RFC 4287 needs a link or content; and the list of outlets and
		// the storyline need a place. With no content of its own, the
		// summary is the content.
		content = it.Summary
	}
	if len(e.Sources) > 1 {
		content += outletList(e.Sources)
	}
	content += earlierList(e.Earlier)
	if content != "" || it.Link == "" {
		x.Content = &feeds.AtomContent{Type: "html", Content: content}
	}
	if x.Content == nil && x.Summary == nil {
		// An article given by its headline and link alone: readers (and
		// the W3C validator) want some text, and the headline is all there is.
		x.Summary = &feeds.AtomSummary{Type: "html", Content: html.EscapeString(x.Title)}
	}
	x.Categories = categories(e)
	x.Source = sourceOf(origin.Feed)
	// atom:source needs an updated date (RFC 4287 4.2.11): that of the
	// origin's feed when it carried the entry, which the entry's
	// publication dates; it never changes.
	x.Source.Updated = atomTime(e.Published)
	return x
}

// Schemes of the categories of an entry: tags found in the text (people,
// places, organisations) and the others (from rules, feeds, categories).
const (
	EntityScheme = "urn:aggregator:tag:entity"
	TagScheme    = "urn:aggregator:tag"
)

// categories are an entry's tags, each with its slug as the term, for
// machines, and its label, for people; an entry without tags keeps the
// categories its article came with.
func categories(e aggregator.Entry) []atomCategory {
	var out []atomCategory
	for _, t := range e.Tags {
		c := atomCategory{Term: t.Slug, Scheme: TagScheme, Label: cmp.Or(t.Label, t.Slug)}
		if t.Entity {
			c.Scheme = EntityScheme
		}
		out = append(out, c)
	}
	if len(e.Tags) == 0 {
		for _, c := range e.Item.Categories {
			out = append(out, atomCategory{Term: c})
		}
	}
	return out
}

// name is how the formats with one string per category (RSS, JSON Feed)
// write it: the label people read.
func (c atomCategory) name() string { return cmp.Or(c.Label, c.Term) }

// outlet is one outlet that carried an entry, and how many of its articles
// did.
type outlet struct {
	Name     string // its feed's display name
	Link     string // its first article's link; "" when none has one
	Articles int
}

// outletsOf groups an entry's sources by outlet (the feed's display name), in
// the order they first appear: an outlet can carry a story in several
// articles, or one article in several feeds of the same name, and is
// credited once. An article is counted once however many such feeds ran it.
func outletsOf(sources []aggregator.Source) []outlet {
	var out []outlet
	index := map[string]int{}
	articles := map[[2]string]bool{}
	for _, s := range sources {
		name := s.Feed.DisplayName()
		i, ok := index[name]
		if !ok {
			i = len(out)
			index[name] = i
			out = append(out, outlet{Name: name})
		}
		o := &out[i]
		if o.Link == "" {
			o.Link = s.Link
		}
		if s.Link == "" || !articles[[2]string{name, s.Link}] {
			articles[[2]string{name, s.Link}] = true
			o.Articles++
		}
	}
	return out
}

// outletList is an HTML paragraph crediting every outlet that carried the
// story once, linked to its first article, with the number of its articles
// when it had several: "Reported by Korea Desk, World Wire (2) and BBC (3)".
func outletList(sources []aggregator.Source) string {
	outlets := outletsOf(sources)
	var b strings.Builder
	b.WriteString(`<p class="outlets">Reported by `)
	for i, o := range outlets {
		switch {
		case i == 0:
		case i == len(outlets)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		name := html.EscapeString(o.Name)
		if o.Link == "" {
			b.WriteString(name)
		} else {
			fmt.Fprintf(&b, `<a href="%s">%s</a>`, html.EscapeString(o.Link), name)
		}
		if o.Articles > 1 {
			fmt.Fprintf(&b, " (%d)", o.Articles)
		}
	}
	b.WriteString(".</p>")
	return b.String()
}

// earlierList is an HTML paragraph linking the earlier developments of an
// entry's storyline, the latest first; "" when it has none.
func earlierList(earlier []aggregator.Development) string {
	if len(earlier) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(`<p class="earlier">Earlier in this story: `)
	for i, d := range earlier {
		if i > 0 {
			b.WriteString("; ")
		}
		title := html.EscapeString(cmp.Or(d.Title, d.Link, "Untitled"))
		if d.Link == "" {
			b.WriteString(title)
			continue
		}
		fmt.Fprintf(&b, `<a href="%s">%s</a>`, html.EscapeString(d.Link), title)
	}
	b.WriteString("</p>")
	return b.String()
}

// sourceOf is the atom:source of an entry from f. The feed's URL shows as
// its PublicURL: without a password or secret parameters, and a file feed
// by its file's name alone.
func sourceOf(f aggregator.Feed) *atomSource {
	s := &atomSource{ID: f.AtomID, Title: f.DisplayName()}
	if s.ID == "" {
		s.ID = f.PublicURL()
	}
	if f.SiteURL != "" {
		s.Links = append(s.Links, atomLink{Rel: "alternate", Type: "text/html", Href: f.SiteURL})
	}
	if isWebURL(f.URL) {
		s.Links = append(s.Links, atomLink{Rel: "self", Href: f.PublicURL()})
	}
	return s
}

func isWebURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https")
}

// entryTitle is the item's title, or, for items without one, the start of
// its text: every entry needs a title a reader can show.
func entryTitle(it aggregator.Item) string {
	if it.Title != "" {
		return it.Title
	}
	t := text.FromHTML(it.Summary+" "+it.Content, titleRules)
	if t == "" {
		return "Untitled"
	}
	const max = 80
	if utf8.RuneCountInString(t) <= max {
		return t
	}
	r := []rune(t)[:max]
	// Cut at the last space, unless that would drop more than half: both in runes.
	for i := len(r) - 1; i > max/2; i-- {
		if r[i] == ' ' {
			return string(r[:i]) + "…"
		}
	}
	return string(r) + "…"
}

// titleRules are entryTitle's rules for the text of an entry: every tag and
// every comment separates words, and the text is one line.
var titleRules = text.Options{Sep: " ", Comments: true, Collapse: true}
