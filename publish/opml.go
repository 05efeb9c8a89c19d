package publish

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"

	"aggregator"
	"aggregator/tag"
)

// OPMLContentType is the content type to serve an OPML document with.
const OPMLContentType = "text/x-opml; charset=utf-8"

// Subscription is one feed in an OPML subscription list.
type Subscription struct {
	Title   string   // display name; when empty, the feed's own title (see subscriptionsWith), else its URL
	XMLURL  string   // the feed
	HTMLURL string   // the site the feed belongs to; optional, and in a Publisher's list found from its Health
	Tags    []string // the feed's tags, as written in the config
}

// opmlDocument is an OPML 2.0 document (http://opml.org/spec2.opml).
type opmlDocument struct {
	XMLName xml.Name    `xml:"opml"`
	Version string      `xml:"version,attr"`
	Head    opmlHead    `xml:"head"`
	Body    opmlOutline `xml:"body"`
}

type opmlHead struct {
	Title string `xml:"title"`
}

// opmlOutline is an outline element; the body is marshalled as one too, for
// its children.
type opmlOutline struct {
	Type     string        `xml:"type,attr,omitempty"`
	Text     string        `xml:"text,attr,omitempty"`
	Title    string        `xml:"title,attr,omitempty"`
	XMLURL   string        `xml:"xmlUrl,attr,omitempty"`
	HTMLURL  string        `xml:"htmlUrl,attr,omitempty"`
	Category string        `xml:"category,attr,omitempty"`
	Outlines []opmlOutline `xml:"outline"`
}

// OPML renders subs as an OPML 2.0 subscription list titled title, one
// type="rss" outline per feed, in the order given, at the top level of the
// body. A feed's tags go in its category attribute as slash-prefixed slugs
// ("/world,/asia"). Only http and https feeds are listed: file:// feeds and
// local paths mean nothing on another machine. A feed's URL shows as
// aggregator.PublicURL shows it: without a user name and password, and with
// secret-looking query parameters "redacted". The output depends only on
// the arguments (no dateCreated), so it can be cached and compared.
func OPML(title string, subs []Subscription) ([]byte, error) {
	doc := opmlDocument{Version: "2.0", Head: opmlHead{Title: title}}
	for _, s := range subs {
		if !webURL(s.XMLURL) {
			continue
		}
		xmlURL := aggregator.PublicURL(s.XMLURL)
		text := strings.Join(strings.Fields(s.Title), " ")
		if text == "" {
			text = xmlURL
		}
		doc.Body.Outlines = append(doc.Body.Outlines, opmlOutline{
			Type:     "rss",
			Text:     text,
			Title:    text,
			XMLURL:   xmlURL,
			HTMLURL:  s.HTMLURL,
			Category: opmlCategory(s.Tags),
		})
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("opml: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// subscriptionsWith returns subs with what their feeds' health (matched by
// URL) tells of them and the config does not: the feed's own title, when the
// config gives no name; the site the feed belongs to, when it is an http or
// https one; and the URL a permanent redirect moved the feed to, which a
// reader importing the list should subscribe to, once even when the config
// also names it. A retired feed (410 Gone) is left out: there is nothing
// there to subscribe to.
func subscriptionsWith(subs []Subscription, health []FeedHealth) []Subscription {
	if len(health) == 0 {
		return subs
	}
	byURL := make(map[string]FeedHealth, len(health))
	for _, h := range health {
		byURL[h.URL] = h
	}
	out := make([]Subscription, 0, len(subs))
	listed := make(map[string]bool, len(subs))
	for _, s := range subs {
		h := byURL[s.XMLURL]
		if h.Health == "retired" {
			continue
		}
		if strings.TrimSpace(s.Title) == "" && h.Name != aggregator.PublicURL(h.URL) {
			s.Title = h.Name
		}
		if s.HTMLURL == "" && webURL(h.SiteURL) {
			s.HTMLURL = h.SiteURL
		}
		if webURL(h.CurrentURL) {
			s.XMLURL = h.CurrentURL
		}
		if !listed[s.XMLURL] {
			listed[s.XMLURL] = true
			out = append(out, s)
		}
	}
	return out
}

// webURL reports whether u is an absolute http or https URL.
func webURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return false
	}
	scheme := strings.ToLower(p.Scheme)
	return scheme == "http" || scheme == "https"
}

// opmlCategory renders tags as an OPML category attribute: each tag
// slugified (so it holds no comma or slash), slash-prefixed, duplicates and
// empty slugs dropped, comma-separated.
func opmlCategory(tags []string) string {
	var cats []string
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		s := tag.Slug(t)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		cats = append(cats, "/"+s)
	}
	return strings.Join(cats, ",")
}
