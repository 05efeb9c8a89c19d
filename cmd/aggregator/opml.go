package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/net/html/charset"

	"aggregator"
	"aggregator/tag"
)

// feedEntry is one feed printed by import-opml or discover, as written in
// a config.
type feedEntry struct {
	URL     string   `yaml:"url"`
	Name    string   `yaml:"name,omitempty"`
	Tags    opmlTags `yaml:"tags,omitempty"`
	Comment string   `yaml:"-"` // printed after the URL, as a YAML comment
}

// opmlTags marshals as a YAML flow sequence: [news, asia].
type opmlTags []string

func (s opmlTags) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, v := range s {
		var item yaml.Node
		if err := item.Encode(v); err != nil { // quotes what needs quoting
			return nil, err
		}
		n.Content = append(n.Content, &item)
	}
	return n, nil
}

// opmlOutline is an OPML outline (or the body, for its children). The
// attributes are kept raw: names vary in case between writers.
type opmlOutline struct {
	Attrs    []xml.Attr    `xml:",any,attr"`
	Outlines []opmlOutline `xml:"outline"`
}

// attr is the value of the first of the attributes names that the outline
// has and that is not blank.
func (o *opmlOutline) attr(names ...string) string {
	for _, name := range names {
		for _, a := range o.Attrs {
			if a.Name.Local == name {
				if v := strings.TrimSpace(a.Value); v != "" {
					return v
				}
			}
		}
	}
	return ""
}

// label is the outline's title, else its text, with whitespace collapsed.
func (o *opmlOutline) label() string {
	return strings.Join(strings.Fields(o.attr("title", "text")), " ")
}

// opmlFile is an OPML document: its root element, to check that it is
// <opml>, and its body.
type opmlFile struct {
	XMLName xml.Name
	Body    *opmlOutline `xml:"body"`
}

const importOPMLUsage = `Usage: aggregator import-opml FILE.opml

Reads an OPML subscription list (OPML 1.0 or 2.0, as exported by most feed
readers) and prints its feeds as YAML, ready to paste under feeds: in a
config. Every outline with an xmlUrl becomes a feed: its name is the
outline's title (else its text); its tags are the names of the folders
(enclosing outlines) it sits in, plus its category attribute, slugified
("World News" > "Asia" gives [world-news, asia]). A feed listed twice is
printed once, as first listed. URLs are printed as given, with a warning
for those that name local files (file: and relative URLs) or carry
credentials (a user name and password, a token or key in the query).
`

// runImportOPML implements "aggregator import-opml FILE.opml".
func runImportOPML(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("aggregator import-opml", importOPMLUsage, stderr)
	files, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		fs.Usage()
		return &exitError{code: exitUsage, err: errors.New("import-opml takes one FILE.opml")}
	}
	name := files[0]
	src, err := os.ReadFile(name)
	if err != nil {
		return err // names the file
	}
	feeds, dups, err := parseOPML(src)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	out, err := marshalFeeds(feeds)
	if err != nil {
		return err
	}
	if _, err := stdout.Write(out); err != nil {
		return err
	}
	msg := fmt.Sprintf("%s: %s", name, count(len(feeds), "feed", "feeds"))
	if dups > 0 {
		msg += fmt.Sprintf(" (%d listed again, skipped)", dups)
	}
	fmt.Fprintln(stderr, msg)
	for _, w := range urlWarnings(feeds) {
		fmt.Fprintf(stderr, "%s: warning: %s\n", name, w)
	}
	return nil
}

// urlWarning is a kind of feed URL that import-opml warns about: what it
// has, and what to do about it.
type urlWarning struct{ what, todo string }

var (
	warnFile     = urlWarning{"a file: URL", "it names a file on the machine that wrote the list: check that the file is here, or write the feed's https://… URL"}
	warnRelative = urlWarning{"a relative URL", "a config reads it as a file path relative to the config's folder: write the feed's full https://… URL, unless the file is there"}
	warnUserinfo = urlWarning{"a user name and password in the URL", "move them out of the URL, to the feed's auth: (username, and password_env or password_file); " +
		"the aggregator would fetch with them but never show them"}
	warnSecretParam = urlWarning{"a query parameter that looks like a secret", "the aggregator fetches with it but shows its value as \"redacted\"; " +
		"keep the config private, or give the secret in the feed's headers: (or auth:) if its server takes it there"}
)

// urlWarnings says which feeds have URLs that name local files (file:,
// relative) or carry credentials (a user name and password, a
// secret-looking query parameter), and what to do: a line for each kind,
// naming the feeds by their place in the list and their URL, a web URL as
// aggregator.PublicURL shows it.
func urlWarnings(feeds []feedEntry) []string {
	const most = 5 // feeds named in one line
	found := make(map[urlWarning][]string)
	for i, f := range feeds {
		u, err := url.Parse(f.URL)
		if err != nil {
			continue // --check says what is wrong with it
		}
		var kinds []urlWarning
		shown := f.URL
		switch {
		case strings.EqualFold(u.Scheme, "file"):
			kinds = append(kinds, warnFile)
		case u.Scheme == "":
			kinds = append(kinds, warnRelative)
		default:
			shown = aggregator.PublicURL(f.URL)
			if u.User != nil {
				kinds = append(kinds, warnUserinfo)
			}
			for name := range u.Query() {
				if aggregator.SecretParam(name) {
					kinds = append(kinds, warnSecretParam)
					break
				}
			}
		}
		for _, k := range kinds {
			found[k] = append(found[k], fmt.Sprintf("feeds[%d] %s", i, shown))
		}
	}
	var lines []string
	for _, k := range []urlWarning{warnFile, warnRelative, warnUserinfo, warnSecretParam} {
		list := found[k]
		if len(list) == 0 {
			continue
		}
		feeds := "1 feed has"
		if len(list) > 1 {
			feeds = fmt.Sprintf("%d feeds have", len(list))
		}
		named := strings.Join(list[:min(len(list), most)], ", ")
		if len(list) > most {
			named += fmt.Sprintf(" and %d more", len(list)-most)
		}
		lines = append(lines, fmt.Sprintf("%s %s (%s): %s", feeds, k.what, named, k.todo))
	}
	return lines
}

// parseOPML returns the feeds of an OPML document in document order, each URL
// once, and the number of repeats left out.
func parseOPML(src []byte) (feeds []feedEntry, dups int, err error) {
	d := xml.NewDecoder(bytes.NewReader(src))
	d.CharsetReader = charset.NewReaderLabel // OPML 1.0 files are often ISO-8859-1
	var doc opmlFile
	if err := d.Decode(&doc); err != nil {
		return nil, 0, fmt.Errorf("not valid XML: %w", err)
	}
	if doc.XMLName.Local != "opml" {
		return nil, 0, fmt.Errorf("not an OPML file: the root element is <%s>, not <opml>", doc.XMLName.Local)
	}
	if doc.Body == nil {
		return nil, 0, errors.New("not an OPML file: no <body>")
	}
	seen := make(map[string]bool)
	var walk func(o *opmlOutline, folders []string)
	walk = func(o *opmlOutline, folders []string) {
		for i := range o.Outlines {
			c := &o.Outlines[i]
			u := c.attr("xmlUrl", "xmlURL")
			if u == "" {
				if len(c.Outlines) > 0 { // a folder; empty ones and plain links are skipped
					walk(c, append(folders[:len(folders):len(folders)], tag.Slug(c.label())))
				}
				continue
			}
			if seen[u] {
				dups++
			} else {
				seen[u] = true
				feeds = append(feeds, feedEntry{URL: u, Name: c.label(), Tags: opmlFeedTags(folders, c.attr("category"))})
			}
			// Outlines under a feed are unusual; take their feeds too, in
			// the feed's folders.
			walk(c, folders)
		}
	}
	walk(doc.Body, nil)
	return feeds, dups, nil
}

// opmlFeedTags merges folder slugs and an OPML category attribute
// ("/world,/asia") into tags: slugified, without empties or repeats.
func opmlFeedTags(folders []string, category string) opmlTags {
	var tags opmlTags
	add := func(s string) {
		if s != "" && !slices.Contains(tags, s) {
			tags = append(tags, s)
		}
	}
	for _, f := range folders {
		add(f)
	}
	for c := range strings.SplitSeq(category, ",") {
		add(tag.Slug(strings.TrimLeft(strings.TrimSpace(c), "/")))
	}
	return tags
}

// marshalFeeds renders feeds as a config's feeds: list.
func marshalFeeds(feeds []feedEntry) ([]byte, error) {
	list := &yaml.Node{Kind: yaml.SequenceNode} // feeds: [] when empty, rather than feeds: null
	for _, f := range feeds {
		n := new(yaml.Node)
		if err := n.Encode(f); err != nil {
			return nil, err
		}
		if f.Comment != "" && len(n.Content) > 1 {
			n.Content[1].LineComment = f.Comment // the url's value
		}
		list.Content = append(list.Content, n)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(struct {
		Feeds *yaml.Node `yaml:"feeds"`
	}{list}); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
