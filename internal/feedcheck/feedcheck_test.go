package feedcheck

import (
	"strings"
	"testing"
	"time"
)

const goodAtom = `<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:x:1</id>
<updated>2023-09-13T09:05:00Z</updated><author><name>A</name></author>
<link href="https://a.example/all.atom" rel="self"/>
<entry><title>E</title><id>urn:x:2</id><updated>2023-09-13T09:05:00Z</updated>
<link href="https://a.example/e" rel="alternate" type="text/html"/><summary>s</summary>
<source><id>urn:x:3</id><title>S</title><updated>2023-09-13T09:05:00Z</updated></source></entry></feed>`

func TestRules(t *testing.T) {
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, file, doc, want string // want: the rule expected; "" for none
	}{
		{"valid atom", "a.atom", goodAtom, ""},
		{"source without updated", "a.atom", strings.Replace(goodAtom, "<title>S</title><updated>2023-09-13T09:05:00Z</updated>", "<title>S</title>", 1), "MissingElement"},
		{"empty feed at the epoch", "a.atom", strings.Replace(goodAtom, "2023-09-13T09:05:00Z", "1970-01-01T00:00:00Z", 1), "ImplausibleDate"},
		{"date without zone", "a.atom", strings.Replace(goodAtom, "2023-09-13T09:05:00Z", "2023-09-13T09:05:00", 1), "InvalidRFC3339Date"},
		{"self elsewhere", "a.atom", strings.Replace(goodAtom, "all.atom", "other.atom", 1), "SelfDoesntMatchLocation"},
		{"duplicate ids", "a.atom", strings.Replace(goodAtom, "</entry>", "</entry><entry><title>F</title><id>urn:x:2</id><updated>2023-09-13T09:05:00Z</updated><summary>s</summary><content>c</content></entry>", 1), "DuplicateEntries"},
		{"no text", "a.atom", strings.Replace(goodAtom, "<summary>s</summary>", "", 1), "MissingTextualContent"},
		{"unregistered rel", "a.atom", strings.Replace(goodAtom, `rel="alternate"`, `rel="story"`, 1), "UnregisteredAtomLinkRel"},
		{"empty category", "a.atom", strings.Replace(goodAtom, "<summary>", `<category term=""/><summary>`, 1), "MissingAttribute"},
		{"bad xml:lang", "a.atom", strings.Replace(goodAtom, `<feed `, `<feed xml:lang="en gb" `, 1), "InvalidLanguage"},
		{"rss guid permalink", "a.rss", `<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>T</title><link>https://a.example/</link><description>D</description>
<atom:link href="https://a.example/a.rss" rel="self"/><item><title>I</title><guid>urn:x:1</guid></item></channel></rss>`, "InvalidHttpGUID"},
		{"rss date", "a.rss", `<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>T</title><link>https://a.example/</link><description>D</description>
<atom:link href="https://a.example/a.rss" rel="self"/><item><title>I</title><pubDate>2023-09-13</pubDate></item></channel></rss>`, "InvalidRFC2822Date"},
		{"json without content", "a.json", `{"version":"https://jsonfeed.org/version/1.1","title":"T","feed_url":"https://a.example/a.json","items":[{"id":"1"}]}`, "MissingElement"},
		{"json version", "a.json", `{"version":"https://jsonfeed.org/version/1","title":"T","feed_url":"https://a.example/a.json","items":[]}`, "InvalidValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := "https://a.example/all.atom"
			if !strings.HasSuffix(tt.file, ".atom") {
				loc = "https://a.example/" + tt.file
			}
			got, err := Check(tt.file, []byte(tt.doc), loc, now)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if len(got) > 0 {
					t.Errorf("problems in a valid feed: %v", got)
				}
				return
			}
			for _, p := range got {
				if p.Rule == tt.want {
					return
				}
			}
			t.Errorf("got %v, want a %s", got, tt.want)
		})
	}
}
