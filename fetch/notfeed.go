package fetch

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/mmcdole/gofeed"
	jsonfeed "github.com/mmcdole/gofeed/json"
	"golang.org/x/net/html/charset"

	"aggregator"
)

// ErrNotFeed is returned (wrapped in a *NotFeedError) for a document that
// is none of RSS, Atom and JSON Feed.
var ErrNotFeed = errors.New("not a feed")

// NotFeedError says what came back instead of a feed and, for a web page,
// where its feed is.
type NotFeedError struct {
	Got         string     // what came back: "an HTML page", "an empty body", "an image"…
	ContentType string     // the media type the server gave it, "" if none
	Feeds       []FeedLink // for a web page: the feeds it links, else one found at a common path
	Guessed     bool       // Feeds (if any) were looked for at the common paths: the page links none
	Tried       []string   // the common paths looked at, when Guessed

	page  bool       // Got is a web page
	links []FeedLink // every feed the page links, application/json ones included
}

// FeedLink is a feed a web page offers: by a <link rel="alternate"> in its
// head, or at one of the paths where feeds commonly are.
type FeedLink struct {
	URL   string // absolute
	Title string // the feed's own title, else the link's; "" if neither has one
	Type  string // "RSS", "Atom", "JSON Feed", or "JSON" for an application/json link not yet fetched
}

func (e *NotFeedError) Error() string {
	var b strings.Builder
	b.WriteString("not a feed but ")
	b.WriteString(e.Got)
	if e.ContentType != "" && e.Got != gotEmpty {
		fmt.Fprintf(&b, " (%s)", e.ContentType)
	}
	switch {
	case !e.page:
		b.WriteString(": check the feed's url")
	case len(e.Feeds) == 0 && len(e.Tried) > 0:
		fmt.Fprintf(&b, ", which links no feed, and none answers at %s: find the feed's url on the site (an RSS or Atom link)",
			orList(e.Tried))
	case len(e.Feeds) == 0:
		b.WriteString(", which links no feed: find the feed's url on the site (an RSS or Atom link)")
	case e.Guessed:
		fmt.Fprintf(&b, ", which links no feed, but %s is one: make that the feed's url", e.Feeds[0])
	case len(e.Feeds) == 1:
		fmt.Fprintf(&b, ", which links the feed %s: make that the feed's url", e.Feeds[0])
	default:
		const most = 5
		fmt.Fprintf(&b, ", which links %d feeds: ", len(e.Feeds))
		for i, f := range e.Feeds[:min(len(e.Feeds), most)] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.String())
		}
		if len(e.Feeds) > most {
			fmt.Fprintf(&b, " and %d more", len(e.Feeds)-most)
		}
		b.WriteString(": make one of them the feed's url")
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrNotFeed) hold.
func (e *NotFeedError) Unwrap() error { return ErrNotFeed }

// String is the link's URL, as aggregator.PublicURL shows it, its type and
// its title: `https://example.org/feed.xml (RSS, "Example News")`.
func (l FeedLink) String() string {
	s := aggregator.PublicURL(l.URL) + " (" + l.Type
	if l.Title != "" {
		s += fmt.Sprintf(", %q", l.Title)
	}
	return s + ")"
}

// orList joins items as "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

const gotEmpty = "an empty body"

// notFeed is the error for body, a document gofeed found to be no feed,
// served as contentType ("" if unknown) from base (which relative links
// resolve against). A web page's feed links are read from its head.
func notFeed(body []byte, contentType, base string) *NotFeedError {
	mt := mediaType(contentType)
	e := &NotFeedError{ContentType: mt}
	e.Got, e.page = whatCameBack(body, mt)
	if e.page {
		e.links = pageLinks(body, contentType, parseAbsURL(strings.TrimSpace(base)))
		for _, l := range e.links {
			if l.Type != typeJSON {
				e.Feeds = append(e.Feeds, l)
			}
		}
	}
	return e
}

// notJSONFeed reports whether gofeed read feed, which it took for a JSON
// Feed (any JSON object is one to it), from a JSON document that is not:
// one with neither the version of JSON Feed nor any item.
func notJSONFeed(feed *gofeed.Feed) bool {
	jf, ok := feed.OriginalFeed().(*jsonfeed.Feed)
	return ok && jf != nil && !strings.Contains(jf.Version, "jsonfeed.org/version") && len(jf.Items) == 0
}

// mediaType is the media type of a Content-Type value, in lower case, ""
// if there is none.
func mediaType(contentType string) string {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil {
		return mt
	}
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// whatCameBack says what body, which is no feed, is ("an HTML page", "an
// empty body"…), from its first bytes and its media type mt, and whether
// it is a web page.
func whatCameBack(body []byte, mt string) (got string, page bool) {
	s := bytes.TrimLeft(body, " \t\r\n\f\xef\xbb\xbf")
	if len(s) == 0 {
		return gotEmpty, false
	}
	sniffed := mediaType(http.DetectContentType(s))
	switch {
	case s[0] == '{' || s[0] == '[':
		return "a JSON document that is not JSON Feed", false
	case sniffed == "text/html":
		return "an HTML page", true
	case s[0] == '<':
		switch root := xmlRoot(s); {
		case root == "html" || mt == "text/html" || mt == "application/xhtml+xml":
			return "an HTML page", true
		case root == "":
			return "a document that starts like XML but is not well-formed", false
		default:
			return fmt.Sprintf("an XML document whose root element is <%s>, not <rss>, <rdf:RDF> or <feed>", root), false
		}
	case strings.HasPrefix(sniffed, "image/"):
		return "an image", false
	case strings.HasPrefix(sniffed, "audio/"):
		return "an audio file", false
	case strings.HasPrefix(sniffed, "video/"):
		return "a video", false
	case sniffed == "application/pdf":
		return "a PDF document", false
	case sniffed == "application/x-gzip" || sniffed == "application/zip" || sniffed == "application/x-rar-compressed":
		return "an archive or compressed file", false
	case sniffed == "text/plain":
		return "a plain text document", false
	}
	return "binary data", false
}

// xmlRoot is the local name of the root element of the XML document that
// starts doc (within its first 4 KB), in lower case; "" if none is found.
func xmlRoot(doc []byte) string {
	d := xml.NewDecoder(bytes.NewReader(doc[:min(len(doc), 4<<10)]))
	d.Strict = false
	d.CharsetReader = charset.NewReaderLabel
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok {
			return strings.ToLower(se.Name.Local)
		}
	}
}

// feedType names the format of body, a feed served as contentType:
// "RSS", "Atom" or "JSON Feed".
func feedType(body []byte, contentType string) string {
	prefix := toUTF8(body[:min(len(body), 4<<10)], contentType)
	switch gofeed.DetectFeedType(bytes.NewReader(prefix)) {
	case gofeed.FeedTypeAtom:
		return "Atom"
	case gofeed.FeedTypeJSON:
		return "JSON Feed"
	}
	return "RSS"
}

// safeFeedURL reports whether u may be offered as a feed: http(s), or a
// file: URL found on a page that is itself a file.
func safeFeedURL(u, page *url.URL) bool {
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != ""
	case "file":
		return page != nil && strings.EqualFold(page.Scheme, "file")
	}
	return false
}
