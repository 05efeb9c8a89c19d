package publish

import (
	"bytes"
	"cmp"
	"encoding/json"

	"aggregator"
	"aggregator/internal/text"
)

// JSONFeedContentType is the content type to serve a JSON Feed with.
const JSONFeedContentType = "application/feed+json; charset=utf-8"

// jsonFeedVersion is the version of https://jsonfeed.org/version/1.1.
const jsonFeedVersion = "https://jsonfeed.org/version/1.1"

// The types of a JSON Feed 1.1 document. They are this package's own, not
// gorilla/feeds' JSONFeed: gorilla writes the deprecated "author" next to
// "authors", writes dates in their own zone with fractions of seconds, has
// no room for an extension, and tags one field "banner_".
type (
	jsonFeed struct {
		Version     string       `json:"version"`
		Title       string       `json:"title"`
		HomePageURL string       `json:"home_page_url,omitempty"`
		FeedURL     string       `json:"feed_url,omitempty"`
		Description string       `json:"description,omitempty"`
		Favicon     string       `json:"favicon,omitempty"`
		Authors     []jsonAuthor `json:"authors,omitempty"`
		Hubs        []jsonHub    `json:"hubs,omitempty"`
		Items       []jsonItem   `json:"items"`
	}
	jsonHub struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	}
	jsonAuthor struct {
		Name string `json:"name,omitempty"`
		URL  string `json:"url,omitempty"`
	}
	jsonItem struct {
		ID  string `json:"id"`
		URL string `json:"url,omitempty"`
		// Title is always given: JSON Feed readers show an item without one
		// as a microblog post, and every entry has a title in Atom.
		Title string `json:"title"`
		// ContentHTML is always given: an item needs content_html or
		// content_text, even if empty.
		ContentHTML   string         `json:"content_html"`
		Summary       string         `json:"summary,omitempty"`
		DatePublished string         `json:"date_published,omitempty"`
		DateModified  string         `json:"date_modified,omitempty"`
		Authors       []jsonAuthor   `json:"authors,omitempty"`
		Tags          []string       `json:"tags,omitempty"`
		Aggregator    *jsonExtension `json:"_aggregator,omitempty"`
	}
	// jsonExtension is this aggregator's extension of an item: every feed
	// that carried the entry, its origin first.
	jsonExtension struct {
		Sources []jsonSource `json:"sources"`
	}
	jsonSource struct {
		Name    string `json:"name"`
		URL     string `json:"url,omitempty"`      // the feed's link for the entry
		FeedURL string `json:"feed_url,omitempty"` // the feed itself, when on the web
	}
)

// JSONFeed renders one output as a JSON Feed 1.1 document, with the entries,
// ids, dates, tags and credits of its Atom version (see Atom). self is the URL
// of the JSON document. The same entries always render the same bytes.
func JSONFeed(o Output, entries []aggregator.Entry, self, home string) ([]byte, error) {
	f := jsonFeed{
		Version:     jsonFeedVersion,
		Title:       o.feedTitle(),
		HomePageURL: home,
		FeedURL:     self,
		Description: o.Site.Subtitle,
		Favicon:     o.Site.Icon,
		Authors:     []jsonAuthor{{Name: cmp.Or(o.Site.Title, o.Title), URL: home}},
		Items:       []jsonItem{},
	}
	if o.Hub != "" {
		f.Hubs = []jsonHub{{Type: "WebSub", URL: o.Hub}}
	}
	for _, e := range entries {
		f.Items = append(f.Items, jsonItemOf(e))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// jsonItemOf is the item of an entry: what its Atom entry says, so that both
// formats always tell the same.
func jsonItemOf(e aggregator.Entry) jsonItem {
	a := atomEntryOf(e)
	x := jsonItem{
		ID:            e.ID,
		URL:           e.Item.Link,
		Title:         a.Title,
		Summary:       text.FromHTML(e.Item.Summary, summaryRules),
		DatePublished: a.Published,
		DateModified:  a.Updated,
	}
	switch {
	case a.Content != nil && a.Content.Content != "":
		x.ContentHTML = a.Content.Content
	case a.Summary != nil:
		// Atom has a link and a summary, and no content: the summary is all
		// the text there is.
		x.ContentHTML = a.Summary.Content
	}
	if a.Author != nil {
		x.Authors = []jsonAuthor{{Name: a.Author.Name}}
	}
	for _, c := range a.Categories {
		x.Tags = append(x.Tags, c.name())
	}
	ext := &jsonExtension{}
	for _, s := range e.Sources {
		src := jsonSource{Name: s.Feed.DisplayName(), URL: s.Link}
		if isWebURL(s.Feed.URL) {
			src.FeedURL = s.Feed.PublicURL()
		}
		ext.Sources = append(ext.Sources, src)
	}
	x.Aggregator = ext
	return x
}

// summaryRules are the rules for the text of a summary: its markup
// dropped, its entities decoded and its runs of white space made one space.
// Unlike entryTitle's, inline elements do not separate words
// ("<a>Putin</a>." is "Putin.", not "Putin ."), but font and wbr do.
var summaryRules = text.Options{
	Sep:      " ",
	Break:    func(name string, _ bool) bool { return !text.Inline(name) || name == "font" || name == "wbr" },
	Collapse: true,
}
