package main

import (
	"strconv"
	"time"
)

// render appends feed n as it is when its newest item is head: RSS 2.0 or
// Atom 1.0, newest item first. The bytes depend only on the settings, n and
// head, never on the time of the request.
func (f *farm) render(b []byte, n int, head int64) []byte {
	p := f.profile(n)
	items := make([]article, 0, f.items)
	for k := head; k > head-int64(f.items); k-- {
		items = append(items, f.item(n, k, p))
	}
	if f.isAtom(n) {
		return f.renderAtom(b, p, items)
	}
	return f.renderRSS(b, p, items)
}

func (f *farm) renderRSS(b []byte, p profile, items []article) []byte {
	b = append(b, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>`...)
	b = appendEscaped(b, p.outlet)
	b = append(b, "</title>\n<link>https://"...)
	b = append(b, p.host...)
	b = append(b, "/</link>\n<description>Latest news from "...)
	b = appendEscaped(b, p.outlet)
	b = append(b, "</description>\n<language>en</language>\n"...)
	if len(items) > 0 {
		b = append(b, "<lastBuildDate>"...)
		b = items[0].published.AppendFormat(b, time.RFC1123Z)
		b = append(b, "</lastBuildDate>\n"...)
	}
	for _, a := range items {
		b = append(b, "<item>\n<title>"...)
		b = appendEscaped(b, a.title)
		b = append(b, "</title>\n<link>"...)
		b = appendEscaped(b, a.link)
		b = append(b, "</link>\n<guid isPermaLink=\"false\">"...)
		b = appendID(b, p, a)
		b = append(b, "</guid>\n<pubDate>"...)
		b = a.published.AppendFormat(b, time.RFC1123Z)
		b = append(b, "</pubDate>\n<dc:creator>"...)
		b = appendEscaped(b, a.author)
		b = append(b, "</dc:creator>\n"...)
		for _, c := range a.categories {
			b = append(b, "<category>"...)
			b = append(b, c...)
			b = append(b, "</category>\n"...)
		}
		// Summaries are words and names only: escaped once, they are
		// both valid HTML and valid XML text.
		b = append(b, "<description>&lt;p&gt;"...)
		b = appendEscaped(b, a.summary)
		b = append(b, "&lt;/p&gt;</description>\n<content:encoded><![CDATA["...)
		b = append(b, a.lead...)
		b = append(b, a.figure...)
		for _, i := range a.paras {
			b = append(b, f.bank[i].html...)
		}
		b = append(b, a.tail...)
		b = append(b, "]]></content:encoded>\n</item>\n"...)
	}
	return append(b, "</channel>\n</rss>\n"...)
}

func (f *farm) renderAtom(b []byte, p profile, items []article) []byte {
	b = append(b, `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
<id>tag:`...)
	b = append(b, p.host...)
	b = append(b, ",2024:feed</id>\n<title>"...)
	b = appendEscaped(b, p.outlet)
	b = append(b, "</title>\n<subtitle>Latest news from "...)
	b = appendEscaped(b, p.outlet)
	b = append(b, "</subtitle>\n<updated>"...)
	updated := f.ref
	if len(items) > 0 {
		updated = items[0].published
	}
	b = updated.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, "</updated>\n<link rel=\"alternate\" type=\"text/html\" href=\"https://"...)
	b = append(b, p.host...)
	b = append(b, "/\"/>\n<link rel=\"self\" type=\"application/atom+xml\" href=\"https://"...)
	b = append(b, p.host...)
	b = append(b, "/feed.atom\"/>\n<author><name>"...)
	b = appendEscaped(b, p.outlet)
	b = append(b, " newsroom</name></author>\n"...)
	for _, a := range items {
		b = append(b, "<entry>\n<id>"...)
		b = appendID(b, p, a)
		b = append(b, "</id>\n<title>"...)
		b = appendEscaped(b, a.title)
		b = append(b, "</title>\n<link rel=\"alternate\" type=\"text/html\" href=\""...)
		b = appendEscaped(b, a.link)
		b = append(b, "\"/>\n<published>"...)
		b = a.published.UTC().AppendFormat(b, time.RFC3339)
		b = append(b, "</published>\n<updated>"...)
		b = a.published.UTC().AppendFormat(b, time.RFC3339)
		b = append(b, "</updated>\n<author><name>"...)
		b = appendEscaped(b, a.author)
		b = append(b, "</name></author>\n"...)
		for _, c := range a.categories {
			b = append(b, "<category term=\""...)
			b = append(b, c...)
			b = append(b, "\"/>\n"...)
		}
		b = append(b, "<summary type=\"html\">&lt;p&gt;"...)
		b = appendEscaped(b, a.summary)
		b = append(b, "&lt;/p&gt;</summary>\n<content type=\"html\">"...)
		b = appendEscaped(b, a.lead)
		b = appendEscaped(b, a.figure)
		for _, i := range a.paras {
			b = append(b, f.bank[i].escaped...)
		}
		b = appendEscaped(b, a.tail)
		b = append(b, "</content>\n</entry>\n"...)
	}
	return append(b, "</feed>\n"...)
}

// appendID appends the id of item a in the feed with profile p: its RSS
// guid and Atom id, a tag URI. A copy of another feed's item has an id of
// its own.
func appendID(b []byte, p profile, a article) []byte {
	b = append(b, "tag:"...)
	b = append(b, p.host...)
	b = append(b, ",2024:item/"...)
	return strconv.AppendInt(b, a.seq, 10)
}

// etag is the entity tag of feed n at head: a hash of everything its bytes
// depend on.
func (f *farm) etag(n int, head int64) string {
	return `"` + strconv.FormatUint(mix(f.version^mix(uint64(n)^mix(uint64(head)))), 36) + `"`
}
