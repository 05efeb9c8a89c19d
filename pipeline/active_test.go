package pipeline

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"golang.org/x/net/html"
)

// activeTags are the elements that run script, load other documents or
// restyle the page: none may reach an output's HTML. A page's own head
// (<meta>, <link>, <style>) is checked with pageTags instead.
var activeTags = map[string]bool{
	"script": true, "iframe": true, "frame": true, "frameset": true, "object": true, "embed": true,
	"applet": true, "base": true, "form": true, "svg": true, "math": true, "template": true,
	"meta": true, "link": true, "style": true,
}

var pageTags = map[string]bool{
	"script": true, "iframe": true, "frame": true, "frameset": true, "object": true, "embed": true,
	"applet": true, "base": true, "form": true, "svg": true, "math": true, "template": true,
}

// urlAttrs are the attributes whose value a browser follows or loads.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true, "xlink:href": true, "background": true,
	"poster": true, "cite": true, "data": true, "lowsrc": true, "dynsrc": true, "srcset": true, "url": true, "uri": true,
	"xmlUrl": true, "htmlUrl": true, // OPML
}

// activeURL reports whether a URL runs script or carries a document of its
// own when followed: javascript:, vbscript: or data: (in any case, with any
// white space or control characters a browser skips).
func activeURL(u string) bool {
	u = strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToLower(html.UnescapeString(u)))
	for _, scheme := range []string{"javascript:", "vbscript:", "data:", "livescript:"} {
		if strings.HasPrefix(u, scheme) {
			return true
		}
	}
	return false
}

// activeTag reports what is active in an HTML start tag.
func activeTag(name string, attrs []html.Attribute, tags map[string]bool) []string {
	var found []string
	name = strings.ToLower(name)
	if tags[name] {
		found = append(found, "<"+name+">")
	}
	for _, a := range attrs {
		key := strings.ToLower(a.Key)
		if a.Namespace != "" {
			key = strings.ToLower(a.Namespace) + ":" + key
		}
		switch {
		case strings.HasPrefix(key, "on"):
			found = append(found, fmt.Sprintf("<%s %s=%q>", name, key, a.Val))
		case key == "style" && (strings.Contains(strings.ToLower(a.Val), "expression(") || strings.Contains(strings.ToLower(a.Val), "url(")):
			found = append(found, fmt.Sprintf("<%s style=%q>", name, a.Val))
		case urlAttrs[key] && activeURL(a.Val):
			found = append(found, fmt.Sprintf("<%s %s=%q>", name, key, a.Val))
		}
	}
	return found
}

// activeHTML reports the active content in an HTML fragment or page.
func activeHTML(s string, tags map[string]bool) []string {
	var found []string
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return found
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			found = append(found, activeTag(t.Data, t.Attr, tags)...)
		}
	}
}

// htmlField reports whether an Atom or RSS element's text is HTML: Atom's
// when its type says so, RSS's description and content:encoded always.
func htmlField(e xml.StartElement) bool {
	for _, a := range e.Attr {
		if a.Name.Local == "type" && a.Name.Space == "" {
			return a.Value == "html" || a.Value == "text/html"
		}
	}
	return e.Name.Local == "description" || e.Name.Local == "encoded"
}

// urlField reports whether an XML element's text is a URL a reader follows.
func urlField(e xml.StartElement) bool {
	switch e.Name.Local {
	case "link", "uri", "comments", "docs", "url", "icon", "logo":
		return true
	}
	return false
}

// activeXML checks an Atom or RSS document: it must be well-formed, and
// neither its HTML nor its links may be active.
func activeXML(doc []byte) ([]string, error) {
	var found []string
	type open struct {
		html, url, xhtml bool
		text             strings.Builder
	}
	var stack []*open
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			if len(stack) > 0 {
				return found, errors.New("unexpected end of document")
			}
			return found, nil
		}
		if err != nil {
			return found, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			o := &open{html: htmlField(tok), url: urlField(tok)}
			for _, a := range tok.Attr {
				if a.Name.Local == "type" && a.Value == "xhtml" {
					o.xhtml = true
				}
			}
			if len(stack) > 0 && stack[len(stack)-1].xhtml {
				// Inside an Atom xhtml text construct: markup a reader shows.
				o.xhtml = true
				attrs := make([]html.Attribute, len(tok.Attr))
				for i, a := range tok.Attr {
					attrs[i] = html.Attribute{Key: a.Name.Local, Val: a.Value}
					if a.Name.Space == "http://www.w3.org/1999/xlink" {
						attrs[i].Namespace = "xlink"
					}
				}
				found = append(found, activeTag(tok.Name.Local, attrs, activeTags)...)
			} else {
				for _, a := range tok.Attr {
					if urlAttrs[a.Name.Local] && activeURL(a.Value) {
						found = append(found, fmt.Sprintf("<%s %s=%q>", tok.Name.Local, a.Name.Local, a.Value))
					}
				}
			}
			stack = append(stack, o)
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(tok)
			}
		case xml.EndElement:
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			switch {
			case o.html:
				found = append(found, activeHTML(o.text.String(), activeTags)...)
			case o.url && activeURL(o.text.String()):
				found = append(found, fmt.Sprintf("<%s>%s", tok.Name.Local, o.text.String()))
			}
		}
	}
}

// activeJSON checks a JSON Feed: content_html is HTML, and no URL it gives
// may be active.
func activeJSON(doc []byte) ([]string, error) {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, err
	}
	var found []string
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(k, x)
			}
		case []any:
			for _, x := range v {
				walk(key, x)
			}
		case string:
			switch {
			case key == "content_html":
				found = append(found, activeHTML(v, activeTags)...)
			case key == "url" || strings.HasSuffix(key, "_url") || key == "image" || key == "icon" || key == "favicon":
				if activeURL(v) {
					found = append(found, fmt.Sprintf("%s: %s", key, v))
				}
			}
		}
	}
	walk("", v)
	return found, nil
}

// activeIn checks one rendered output by its name's extension: Atom
// and RSS must be well-formed XML and JSON Feed valid JSON, and none may
// carry active content (elements that run script or load other documents,
// on* attributes, javascript:, vbscript: or data: URLs) in its HTML or links.
func activeIn(name string, body []byte) ([]string, error) {
	switch path.Ext(name) {
	case ".atom", ".rss", ".xml", ".opml":
		return activeXML(body)
	case ".json":
		return activeJSON(body)
	case ".html":
		return activeHTML(string(body), pageTags), nil
	}
	return nil, fmt.Errorf("%s: no check for this kind of output", name)
}
