// Package feedcheck checks published feeds against the rules of the W3C Feed
// Validation Service (validator.w3.org/feed) that this project's outputs can
// meet, and against the JSON Feed 1.1 specification. A Problem is named
// after the validator's own message (MissingElement, InvalidRFC3339Date,
// SelfDoesntMatchLocation, DuplicateEntries, ...), so that a warning of the
// real validator can be looked up here and the other way round. Its
// warnings count as problems: a feed passes with none.
package feedcheck

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"mime"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Problem is one finding: the validator's name for it, where it is, and
// what was found.
type Problem struct {
	Rule   string // the W3C validator's message class, e.g. "MissingElement"
	Where  string // a path such as "feed/entry[3]/source"
	Detail string
}

func (p Problem) String() string { return fmt.Sprintf("%s: %s: %s", p.Where, p.Rule, p.Detail) }

// Check checks data as the format its name ends with (.atom, .rss, .json)
// and location as the URL the document is published at; "" skips the
// comparison with its self link.
func Check(name string, data []byte, location string, now time.Time) ([]Problem, error) {
	switch {
	case strings.HasSuffix(name, ".atom"):
		return Atom(data, location, now), nil
	case strings.HasSuffix(name, ".rss"):
		return RSS(data, location, now), nil
	case strings.HasSuffix(name, ".json"):
		return JSONFeed(data, location, now), nil
	}
	return nil, fmt.Errorf("%s: not a .atom, .rss or .json feed", name)
}

const atomNS = "http://www.w3.org/2005/Atom"

// node is an XML element with its attributes, children and text.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []node     `xml:",any"`
	Text     string     `xml:",chardata"`
}

func (n *node) attr(space, local string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

func (n *node) all(space, local string) []*node {
	var out []*node
	for i := range n.Children {
		c := &n.Children[i]
		if c.XMLName.Space == space && c.XMLName.Local == local {
			out = append(out, c)
		}
	}
	return out
}

func (n *node) text() string { return strings.TrimSpace(n.Text) }

type checker struct {
	now      time.Time
	problems []Problem
}

func (c *checker) add(rule, where, format string, args ...any) {
	c.problems = append(c.problems, Problem{Rule: rule, Where: where, Detail: fmt.Sprintf(format, args...)})
}

func parseXML(c *checker, data []byte) (*node, bool) {
	var root node
	if err := xml.Unmarshal(data, &root); err != nil {
		c.add("SAXError", "document", "not well-formed XML: %v", err)
		return nil, false
	}
	return &root, true
}

// once reports MissingElement when parent has no child named local, and
// DuplicateElement when it has several; it returns the first.
func (c *checker) once(parent *node, where, space, local string) *node {
	found := parent.all(space, local)
	switch {
	case len(found) == 0:
		c.add("MissingElement", where, "missing <%s>", local)
		return nil
	case len(found) > 1:
		c.add("DuplicateElement", where, "%d <%s> elements, want one", len(found), local)
	}
	return found[0]
}

// rfc3339 is the validator's pattern for Atom dates.
var rfc3339 = regexp.MustCompile(`^\d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*)?(Z|[+-]\d\d:\d\d)$`)

func (c *checker) date3339(n *node, where string) {
	if n == nil {
		return
	}
	v := n.text()
	t, err := time.Parse(time.RFC3339Nano, v)
	if !rfc3339.MatchString(v) || err != nil {
		c.add("InvalidRFC3339Date", where, "%q is not an RFC 3339 date-time", v)
		return
	}
	c.plausible(t, v, where)
}

// plausible reports ImplausibleDate for a date after tomorrow or at the
// Unix epoch or before it: a zero time written out, not a real date.
func (c *checker) plausible(t time.Time, v, where string) {
	if t.After(c.now.Add(24*time.Hour)) || t.Before(time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)) {
		c.add("ImplausibleDate", where, "%q is in the future or at the Unix epoch", v)
	}
}

// fullURI reports whether s is an absolute IRI with no white space.
func fullURI(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Opaque != "" || u.Host != "" || u.Path != "")
}

func (c *checker) uri(v, where, what string) {
	if !fullURI(v) {
		c.add("InvalidFullLink", where, "%s %q is not an absolute IRI", what, v)
	}
}

// languageTag is RFC 3066 / BCP 47's shape of a language tag.
var languageTag = regexp.MustCompile(`^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$`)

// langs reports InvalidLanguage for every xml:lang in the tree of n.
func (c *checker) langs(n *node, where string) {
	if v, ok := n.attr("http://www.w3.org/XML/1998/namespace", "lang"); ok && v != "" && !languageTag.MatchString(v) {
		c.add("InvalidLanguage", where, "xml:lang %q is not a language tag", v)
	}
	for i := range n.Children {
		c.langs(&n.Children[i], where+"/"+n.Children[i].XMLName.Local)
	}
}

// registeredRels are the link relations of the IANA registry the validator
// knows; another must be an absolute IRI (UnregisteredAtomLinkRel).
var registeredRels = map[string]bool{
	"alternate": true, "related": true, "self": true, "enclosure": true, "via": true,
	"current": true, "prev-archive": true, "next-archive": true, "first": true,
	"last": true, "next": true, "previous": true, "prev": true, "hub": true,
	"license": true, "replies": true, "edit": true, "edit-media": true,
	"payment": true, "search": true, "service": true, "up": true,
}

type atomLinkInfo struct{ rel, typ, href, hreflang string }

func (c *checker) atomLinks(n *node, where string) []atomLinkInfo {
	var out []atomLinkInfo
	for i, l := range n.all(atomNS, "link") {
		w := fmt.Sprintf("%s/link[%d]", where, i+1)
		href, ok := l.attr("", "href")
		if !ok || strings.TrimSpace(href) == "" {
			c.add("MissingHref", w, "link without href")
		} else if !fullURI(href) {
			c.add("InvalidFullLink", w, "href %q is not absolute", href)
		}
		rel, ok := l.attr("", "rel")
		if !ok {
			rel = "alternate"
		}
		if !registeredRels[rel] && !fullURI(rel) {
			c.add("UnregisteredAtomLinkRel", w, "rel %q is not registered", rel)
		}
		typ, _ := l.attr("", "type")
		if typ != "" {
			if _, _, err := mime.ParseMediaType(typ); err != nil {
				c.add("InvalidMIMEType", w, "type %q", typ)
			}
		}
		if title, ok := l.attr("", "title"); ok && strings.TrimSpace(title) == "" {
			c.add("AttrNotBlank", w, "empty title")
		}
		if l.text() != "" {
			c.add("AtomLinkNotEmpty", w, "link has text")
		}
		lang, _ := l.attr("", "hreflang")
		out = append(out, atomLinkInfo{rel, typ, href, lang})
	}
	// One alternate link per type and hreflang.
	seen := map[[2]string]bool{}
	for _, l := range out {
		if l.rel != "alternate" {
			continue
		}
		k := [2]string{l.typ, l.hreflang}
		if seen[k] {
			c.add("DuplicateAtomLink", where, "two alternate links of type %q", l.typ)
		}
		seen[k] = true
	}
	return out
}

func (c *checker) selfLink(links []atomLinkInfo, location, where string) {
	for _, l := range links {
		if l.rel == "self" {
			if location != "" && l.href != location {
				c.add("SelfDoesntMatchLocation", where, "self link %q, document at %q", l.href, location)
			}
			return
		}
	}
	c.add("MissingSelf", where, "no link rel=\"self\"")
}

func (c *checker) atomCategories(n *node, where string) {
	for i, cat := range n.all(atomNS, "category") {
		w := fmt.Sprintf("%s/category[%d]", where, i+1)
		if term, _ := cat.attr("", "term"); strings.TrimSpace(term) == "" {
			c.add("MissingAttribute", w, "category without term")
		}
		if scheme, ok := cat.attr("", "scheme"); ok && !fullURI(scheme) {
			c.add("InvalidFullLink", w, "scheme %q is not an absolute IRI", scheme)
		}
		if label, ok := cat.attr("", "label"); ok && strings.TrimSpace(label) == "" {
			c.add("AttrNotBlank", w, "empty label")
		}
	}
}

func (c *checker) person(n *node, where string) {
	if name := n.all(atomNS, "name"); len(name) != 1 || name[0].text() == "" {
		c.add("MissingElement", where, "an author needs one non-empty <name>")
	}
	for _, u := range n.all(atomNS, "uri") {
		c.uri(u.text(), where+"/uri", "uri")
	}
}

// Atom checks an Atom 1.0 document published at location.
func Atom(data []byte, location string, now time.Time) []Problem {
	c := &checker{now: now}
	feed, ok := parseXML(c, data)
	if !ok {
		return c.problems
	}
	if feed.XMLName.Space != atomNS || feed.XMLName.Local != "feed" {
		c.add("UndefinedElement", "document", "root is <%s>, not an Atom feed", feed.XMLName.Local)
		return c.problems
	}
	c.langs(feed, "feed")
	// Metadata comes before the first entry.
	seenEntry := false
	for _, ch := range feed.Children {
		if ch.XMLName.Local == "entry" {
			seenEntry = true
		} else if seenEntry && ch.XMLName.Space == atomNS {
			c.add("MisplacedMetadata", "feed", "<%s> after an entry", ch.XMLName.Local)
		}
	}
	c.once(feed, "feed", atomNS, "title")
	if id := c.once(feed, "feed", atomNS, "id"); id != nil {
		c.uri(id.text(), "feed/id", "id")
	}
	c.date3339(c.once(feed, "feed", atomNS, "updated"), "feed/updated")
	feedAuthor := len(feed.all(atomNS, "author")) > 0
	for _, a := range feed.all(atomNS, "author") {
		c.person(a, "feed/author")
	}
	c.selfLink(c.atomLinks(feed, "feed"), location, "feed")
	c.atomCategories(feed, "feed")
	if len(feed.all("http://purl.org/syndication/history/1.0", "archive")) > 0 {
		current := false
		for _, l := range feed.all(atomNS, "link") {
			if rel, _ := l.attr("", "rel"); rel == "current" {
				current = true
			}
		}
		if !current {
			c.add("MissingCurrentInArchive", "feed", "an archive without a link rel=\"current\"")
		}
	}
	ids := map[string]int{}
	for i, e := range feed.all(atomNS, "entry") {
		w := fmt.Sprintf("feed/entry[%d]", i+1)
		c.once(e, w, atomNS, "title")
		if id := c.once(e, w, atomNS, "id"); id != nil {
			v := id.text()
			c.uri(v, w+"/id", "id")
			if first, dup := ids[v]; dup {
				c.add("DuplicateEntries", w, "id %q already used by entry %d", v, first)
			} else {
				ids[v] = i + 1
			}
		}
		c.date3339(c.once(e, w, atomNS, "updated"), w+"/updated")
		for _, p := range e.all(atomNS, "published") {
			c.date3339(p, w+"/published")
		}
		authors := e.all(atomNS, "author")
		for _, a := range authors {
			c.person(a, w+"/author")
		}
		sources := e.all(atomNS, "source")
		if len(sources) > 1 {
			c.add("DuplicateElement", w, "%d <source> elements", len(sources))
		}
		sourceAuthor := false
		for _, s := range sources {
			sw := w + "/source"
			c.once(s, sw, atomNS, "title")
			if id := c.once(s, sw, atomNS, "id"); id != nil {
				c.uri(id.text(), sw+"/id", "id")
			}
			c.date3339(c.once(s, sw, atomNS, "updated"), sw+"/updated")
			c.atomLinks(s, sw)
			c.atomCategories(s, sw)
			sourceAuthor = sourceAuthor || len(s.all(atomNS, "author")) > 0
		}
		if len(authors) == 0 && !feedAuthor && !sourceAuthor {
			c.add("MissingElement", w, "missing <author>, and the feed has none")
		}
		links := c.atomLinks(e, w)
		contents := e.all(atomNS, "content")
		if len(contents) > 1 {
			c.add("DuplicateElement", w, "%d <content> elements", len(contents))
		}
		summaries := e.all(atomNS, "summary")
		if len(contents) == 0 {
			alternate := false
			for _, l := range links {
				alternate = alternate || l.rel == "alternate"
			}
			if !alternate {
				c.add("MissingContentOrAlternate", w, "neither <content> nor an alternate link")
			}
			if len(summaries) == 0 {
				c.add("MissingTextualContent", w, "neither <content> nor <summary>")
			}
		} else if _, src := contents[0].attr("", "src"); src && len(summaries) == 0 {
			c.add("MissingTextualContent", w, "content by src needs a <summary>")
		}
		c.atomCategories(e, w)
	}
	return c.problems
}

// RSS checks an RSS 2.0 document published at location.
func RSS(data []byte, location string, now time.Time) []Problem {
	c := &checker{now: now}
	rss, ok := parseXML(c, data)
	if !ok {
		return c.problems
	}
	if rss.XMLName.Local != "rss" {
		c.add("UndefinedElement", "document", "root is <%s>, not <rss>", rss.XMLName.Local)
		return c.problems
	}
	if v, _ := rss.attr("", "version"); v != "2.0" {
		c.add("InvalidValue", "rss", "version %q, want 2.0", v)
	}
	ch := c.once(rss, "rss", "", "channel")
	if ch == nil {
		return c.problems
	}
	w := "rss/channel"
	for _, name := range []string{"title", "link", "description"} {
		if n := c.once(ch, w, "", name); n != nil && name == "link" {
			c.uri(n.text(), w+"/link", "link")
		}
	}
	for _, name := range []string{"pubDate", "lastBuildDate"} {
		for _, n := range ch.all("", name) {
			c.date822(n, w+"/"+name)
		}
	}
	if l := ch.all("", "language"); len(l) > 0 && !languageTag.MatchString(l[0].text()) {
		c.add("InvalidLanguage", w+"/language", "%q", l[0].text())
	}
	self := false
	for i, l := range ch.all(atomNS, "link") {
		lw := fmt.Sprintf("%s/atom:link[%d]", w, i+1)
		href, _ := l.attr("", "href")
		if !fullURI(href) {
			c.add("InvalidFullLink", lw, "href %q is not absolute", href)
		}
		rel, _ := l.attr("", "rel")
		if rel == "" {
			rel = "alternate"
		}
		if !registeredRels[rel] && !fullURI(rel) {
			c.add("UnregisteredAtomLinkRel", lw, "rel %q is not registered", rel)
		}
		if rel == "self" {
			self = true
			if location != "" && href != location {
				c.add("SelfDoesntMatchLocation", lw, "self link %q, document at %q", href, location)
			}
		}
	}
	if !self {
		c.add("MissingAtomSelfLink", w, "no atom:link rel=\"self\"")
	}
	guids := map[string]int{}
	for i, it := range ch.all("", "item") {
		iw := fmt.Sprintf("%s/item[%d]", w, i+1)
		if len(it.all("", "title")) == 0 && len(it.all("", "description")) == 0 {
			c.add("ItemMustContainTitleOrDescription", iw, "neither <title> nor <description>")
		}
		for _, name := range []string{"title", "link", "description", "guid", "pubDate", "author", "comments", "source"} {
			if n := it.all("", name); len(n) > 1 {
				c.add("DuplicateElement", iw, "%d <%s> elements", len(n), name)
			}
		}
		for _, l := range it.all("", "link") {
			c.uri(l.text(), iw+"/link", "link")
		}
		for _, g := range it.all("", "guid") {
			v := g.text()
			perma, ok := g.attr("", "isPermaLink")
			switch {
			case ok && perma != "true" && perma != "false":
				c.add("InvalidBooleanAttribute", iw+"/guid", "isPermaLink %q", perma)
			case perma != "false" && !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://"):
				c.add("InvalidHttpGUID", iw+"/guid", "%q is a permalink (isPermaLink is not false) but not an http URL", v)
			}
			if first, dup := guids[v]; dup {
				c.add("DuplicateEntries", iw, "guid %q already used by item %d", v, first)
			} else {
				guids[v] = i + 1
			}
		}
		for _, d := range it.all("", "pubDate") {
			c.date822(d, iw+"/pubDate")
		}
		for j, cat := range it.all("", "category") {
			cw := fmt.Sprintf("%s/category[%d]", iw, j+1)
			if cat.text() == "" {
				c.add("NotBlank", cw, "empty category")
			}
			if d, ok := cat.attr("", "domain"); ok && strings.TrimSpace(d) == "" {
				c.add("AttrNotBlank", cw, "empty domain")
			}
		}
		for _, s := range it.all("", "source") {
			u, ok := s.attr("", "url")
			if !ok {
				c.add("MissingAttribute", iw+"/source", "source without url")
			} else {
				c.uri(u, iw+"/source", "url")
			}
		}
		if len(it.all("", "author")) > 0 && len(it.all("http://purl.org/dc/elements/1.1/", "creator")) > 0 {
			c.add("DuplicateItemSemantics", iw, "both <author> and <dc:creator>")
		}
	}
	return c.problems
}

// rfc822 is RFC 822's date-time as RSS 2.0 uses it, with a four-digit year.
var rfc822 = regexp.MustCompile(`^((Mon|Tue|Wed|Thu|Fri|Sat|Sun), *)?\d\d? +(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d\d\d\d +\d\d:\d\d(:\d\d)? +([+-]\d\d\d\d|UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|[A-IK-Z])$`)

func (c *checker) date822(n *node, where string) {
	v := n.text()
	if !rfc822.MatchString(v) {
		c.add("InvalidRFC2822Date", where, "%q is not an RFC 822 date-time", v)
		return
	}
	for _, layout := range []string{time.RFC1123Z, time.RFC1123} {
		if t, err := time.Parse(layout, v); err == nil {
			if t.Weekday().String()[:3] != v[:3] && strings.Contains(v, ",") {
				c.add("IncorrectDOW", where, "%q names the wrong day of the week", v)
			}
			c.plausible(t, v, where)
			return
		}
	}
}

// JSONFeed checks a JSON Feed 1.1 document published at location.
func JSONFeed(data []byte, location string, now time.Time) []Problem {
	c := &checker{now: now}
	var f map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		c.add("InvalidJSON", "document", "%v", err)
		return c.problems
	}
	str := func(m map[string]json.RawMessage, key, where string, required bool) (string, bool) {
		raw, ok := m[key]
		if !ok {
			if required {
				c.add("MissingElement", where, "missing %q", key)
			}
			return "", false
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			c.add("InvalidValue", where+"."+key, "not a string")
			return "", false
		}
		return s, true
	}
	if v, _ := str(f, "version", "feed", true); v != "https://jsonfeed.org/version/1.1" {
		c.add("InvalidValue", "feed.version", "%q, want https://jsonfeed.org/version/1.1", v)
	}
	if t, ok := str(f, "title", "feed", true); ok && strings.TrimSpace(t) == "" {
		c.add("NotBlank", "feed.title", "empty title")
	}
	for _, key := range []string{"home_page_url", "icon", "favicon"} {
		if v, ok := str(f, key, "feed", false); ok {
			c.uri(v, "feed."+key, key)
		}
	}
	if v, ok := str(f, "feed_url", "feed", false); !ok {
		c.add("MissingSelf", "feed", "no feed_url")
	} else {
		c.uri(v, "feed.feed_url", "feed_url")
		if location != "" && v != location {
			c.add("SelfDoesntMatchLocation", "feed.feed_url", "feed_url %q, document at %q", v, location)
		}
	}
	if _, ok := f["author"]; ok {
		c.add("DeprecatedElement", "feed", "\"author\" is deprecated in 1.1; use \"authors\"")
	}
	c.jsonAuthors(f["authors"], "feed.authors")
	if lang, ok := str(f, "language", "feed", false); ok && !languageTag.MatchString(lang) {
		c.add("InvalidLanguage", "feed.language", "%q", lang)
	}
	var items []map[string]json.RawMessage
	if raw, ok := f["items"]; !ok {
		c.add("MissingElement", "feed", "missing \"items\"")
	} else if err := json.Unmarshal(raw, &items); err != nil {
		c.add("InvalidValue", "feed.items", "not an array of objects")
	}
	ids := map[string]int{}
	for i, it := range items {
		w := fmt.Sprintf("feed.items[%d]", i)
		if id, ok := str(it, "id", w, true); ok {
			if strings.TrimSpace(id) == "" {
				c.add("NotBlank", w+".id", "empty id")
			}
			if first, dup := ids[id]; dup {
				c.add("DuplicateEntries", w, "id %q already used by item %d", id, first)
			} else {
				ids[id] = i
			}
		}
		_, html := it["content_html"]
		_, text := it["content_text"]
		if !html && !text {
			c.add("MissingElement", w, "needs content_html or content_text")
		}
		for _, key := range []string{"title", "content_html", "content_text", "summary"} {
			str(it, key, w, false)
		}
		for _, key := range []string{"url", "external_url", "image", "banner_image"} {
			if v, ok := str(it, key, w, false); ok {
				c.uri(v, w+"."+key, key)
			}
		}
		for _, key := range []string{"date_published", "date_modified"} {
			if v, ok := str(it, key, w, false); ok {
				c.date3339(&node{Text: v}, w+"."+key)
			}
		}
		if _, ok := it["author"]; ok {
			c.add("DeprecatedElement", w, "\"author\" is deprecated in 1.1; use \"authors\"")
		}
		c.jsonAuthors(it["authors"], w+".authors")
		if raw, ok := it["tags"]; ok {
			var tags []string
			if err := json.Unmarshal(raw, &tags); err != nil {
				c.add("InvalidValue", w+".tags", "not an array of strings")
			}
			for _, t := range tags {
				if strings.TrimSpace(t) == "" {
					c.add("NotBlank", w+".tags", "empty tag")
				}
			}
		}
		for key := range it {
			if !jsonItemKeys[key] && !strings.HasPrefix(key, "_") {
				c.add("UndefinedElement", w, "unknown key %q", key)
			}
		}
	}
	for key := range f {
		if !jsonFeedKeys[key] && !strings.HasPrefix(key, "_") {
			c.add("UndefinedElement", "feed", "unknown key %q", key)
		}
	}
	return c.problems
}

var jsonFeedKeys = map[string]bool{
	"version": true, "title": true, "home_page_url": true, "feed_url": true,
	"description": true, "user_comment": true, "next_url": true, "icon": true,
	"favicon": true, "authors": true, "author": true, "language": true,
	"expired": true, "hubs": true, "items": true,
}

var jsonItemKeys = map[string]bool{
	"id": true, "url": true, "external_url": true, "title": true, "content_html": true,
	"content_text": true, "summary": true, "image": true, "banner_image": true,
	"date_published": true, "date_modified": true, "authors": true, "author": true,
	"tags": true, "language": true, "attachments": true,
}

func (c *checker) jsonAuthors(raw json.RawMessage, where string) {
	if raw == nil {
		return
	}
	var authors []struct {
		Name   string `json:"name"`
		URL    string `json:"url"`
		Avatar string `json:"avatar"`
	}
	if err := json.Unmarshal(raw, &authors); err != nil {
		c.add("InvalidValue", where, "not an array of authors")
		return
	}
	for i, a := range authors {
		if a.Name == "" && a.URL == "" && a.Avatar == "" {
			c.add("MissingElement", fmt.Sprintf("%s[%d]", where, i), "an author needs a name, url or avatar")
		}
		if a.URL != "" {
			c.uri(a.URL, fmt.Sprintf("%s[%d].url", where, i), "url")
		}
	}
}
