package publish

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"strings"
	"time"

	"github.com/gorilla/feeds"

	"aggregator"
)

// RSSContentType is the content type to serve an RSS document with.
const RSSContentType = "application/rss+xml; charset=utf-8"

// rssDoc is gorilla/feeds' RssFeedXml with the namespaces this package uses:
// gorilla declares only xmlns:content.
type rssDoc struct {
	XMLName          xml.Name    `xml:"rss"`
	Version          string      `xml:"version,attr"`
	ContentNamespace string      `xml:"xmlns:content,attr"`
	DCNamespace      string      `xml:"xmlns:dc,attr"`
	AtomNamespace    string      `xml:"xmlns:atom,attr"`
	Channel          *rssChannel `xml:"channel"`
}

// FeedXml implements feeds.XmlFeed.
func (d *rssDoc) FeedXml() any { return d }

// rssChannel extends gorilla/feeds' RssFeed with atom:link elements, which
// say where the feed itself and its other formats are.
type rssChannel struct {
	*feeds.RssFeed
	AtomLinks []rssAtomLink `xml:"atom:link"`
	Items     []*rssItem    `xml:"item"`
}

type rssAtomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
}

// rssItem extends gorilla/feeds' RssItem, whose single string category, and
// source without its url attribute, cannot say what RSS 2.0 allows; whose
// link is written even when empty; and which has no dc:creator (RSS's own
// author must be an e-mail address).
type rssItem struct {
	*feeds.RssItem
	Link       string        `xml:"link,omitempty"`
	Categories []rssCategory `xml:"category"`
	Source     *rssSource    `xml:"source"`
	Creator    string        `xml:"dc:creator,omitempty"`
}

type rssCategory struct {
	Domain string `xml:"domain,attr,omitempty"`
	Name   string `xml:",chardata"`
}

type rssSource struct {
	URL  string `xml:"url,attr"`
	Name string `xml:",chardata"`
}

// rssTime formats a time the way RSS 2.0 wants it (RFC 822 with a four-digit
// year, in UTC so that the zone of the stored time does not change the bytes).
func rssTime(t time.Time) string { return t.UTC().Format(time.RFC1123Z) }

// RSS renders one output as an RSS 2.0 document, with the entries, ids,
// dates, tags and credits of its Atom version (see Atom). self is the URL of
// the RSS document; when it ends in ".rss", the same path ending in ".atom" and
// ".json" are linked as its other formats. The same entries always render the
// same bytes.
func RSS(o Output, entries []aggregator.Entry, self, home string) ([]byte, error) {
	ch := &rssChannel{
		RssFeed: &feeds.RssFeed{
			Title:       o.feedTitle(),
			Link:        home,
			Description: cmp.Or(o.Site.Subtitle, o.feedTitle()),
			Generator:   "aggregator",
		},
		AtomLinks: []rssAtomLink{{Rel: "self", Type: "application/rss+xml", Href: self}},
	}
	if o.Hub != "" {
		ch.AtomLinks = append(ch.AtomLinks, rssAtomLink{Rel: "hub", Href: o.Hub})
	}
	if base, ok := strings.CutSuffix(self, ".rss"); ok {
		ch.AtomLinks = append(ch.AtomLinks,
			rssAtomLink{Rel: "alternate", Type: "application/atom+xml", Href: base + ".atom"},
			rssAtomLink{Rel: "alternate", Type: "application/feed+json", Href: base + ".json"})
	}
	var updated time.Time
	for _, e := range entries {
		if e.Updated.After(updated) {
			updated = e.Updated
		}
		ch.Items = append(ch.Items, rssItemOf(e))
	}
	if !updated.IsZero() {
		ch.LastBuildDate = rssTime(updated)
	}
	doc := &rssDoc{
		Version:          "2.0",
		ContentNamespace: "http://purl.org/rss/1.0/modules/content/",
		DCNamespace:      "http://purl.org/dc/elements/1.1/",
		AtomNamespace:    "http://www.w3.org/2005/Atom",
		Channel:          ch,
	}
	var b bytes.Buffer
	if err := feeds.WriteXML(doc, &b); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// rssItemOf is the item of an entry: what its Atom entry says, so that both
// formats always tell the same.
func rssItemOf(e aggregator.Entry) *rssItem {
	a := atomEntryOf(e)
	x := &rssItem{
		RssItem: &feeds.RssItem{
			Title:   a.Title,
			Guid:    &feeds.RssGuid{Id: e.ID, IsPermaLink: "false"},
			PubDate: rssTime(e.Published),
		},
		Link: e.Item.Link,
	}
	if a.Content != nil && a.Content.Content != "" {
		x.Content = &feeds.RssContent{Content: a.Content.Content}
	}
	switch {
	case e.Item.Summary != "":
		x.Description = e.Item.Summary
	case e.Item.Content != "":
		x.Description = e.Item.Content
	case x.Content != nil:
		x.Description = x.Content.Content
	}
	if a.Author != nil {
		x.Creator = a.Author.Name
	}
	for _, c := range a.Categories {
		x.Categories = append(x.Categories, rssCategory{Domain: c.Scheme, Name: c.name()})
	}
	if origin := e.Sources[0].Feed; isWebURL(origin.URL) {
		x.Source = &rssSource{URL: origin.PublicURL(), Name: origin.DisplayName()}
	}
	return x
}
