package text

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// Rules like those the callers of FromHTML follow: tagging's, the
// clusterer's, fetch's for titles, and the publisher's for one-line texts.
var (
	hidden = func(name string) bool {
		switch name {
		case "script", "style", "noscript", "template", "iframe", "object":
			return true
		}
		return false
	}
	// lines breaks at paragraphs and at <br>, but not at </br>.
	lines = func(name string, end bool) bool {
		return name == "p" || name == "li" || name == "br" && !end
	}
	ruleSets = map[string]Options{
		"paragraphs": {Sep: "\u2029", Break: func(n string, _ bool) bool { return !Inline(n) }, Drop: hidden},
		"every tag":  {Sep: " ", Drop: ScriptOrStyle},
		"titles":     {Sep: " ", Break: lines, Drop: ScriptOrStyle},
		"all markup": {Sep: " ", Comments: true, Collapse: true},
		"one line":   {Sep: " ", Break: func(n string, _ bool) bool { return !Inline(n) }, Collapse: true},
	}
)

func TestFromHTML(t *testing.T) {
	tests := []struct {
		rules, in, want string
	}{
		{"paragraphs", "plain, & <b>bold</b>", "plain, & bold"},
		{"paragraphs", "no tags\r\n", "no tags\r\n"},
		{"paragraphs", "Tom &amp; Jerry\r\n", "Tom & Jerry\r\n"},
		{"paragraphs", "<p>Kim &amp; <a href=x>Putin</a>.</p><p>Talks</p>", "\u2029Kim & Putin.\u2029\u2029Talks\u2029"},
		{"paragraphs", "a<br>b<wbr>c<!-- x -->d", "a\u2029bcd"},
		{"paragraphs", "a<noscript>x</noscript>b<object>y<p>z</p></object>c", "a\u2029\u2029b\u2029\u2029\u2029\u2029c"},
		{"paragraphs", "x <y", "x "},
		{"paragraphs", "one\r\ntwo<b>\rthree</b>", "one\ntwo\nthree"},
		{"every tag", "<p>Kim</p><a>Putin</a>.", " Kim  Putin ."},
		{"every tag", "a<script>x</script>b<noscript>y</noscript>c", "a  b y c"},
		{"every tag", "a<br/>b<!-- x -->c", "a bc"},
		{"titles", "a <b>bold</b> move", "a bold move"},
		{"titles", "line<br>break</br>", "line break"},
		{"titles", "<p>one</p><p>two</p>", " one  two "},
		{"titles", "Tom &amp; <script>alert(1)</script>Jerry<style>p{}</style>", "Tom & Jerry"},
		{"titles", "x <y", "x "},
		{"titles", "x <y> z", "x  z"},
		{"all markup", "<a>Putin</a>.", "Putin ."},
		{"all markup", "a<!-- x -->b<?php ?>c</>d<script>e</script>", "a b c d e"},
		{"all markup", "  spaced \n out ", "spaced out"},
		{"one line", "<p><a>Putin</a>.</p>\n<p>Kim</p>", "Putin. Kim"},
		{"one line", "a<!-- x -->b<br>c", "ab c"},
	}
	for _, tt := range tests {
		if got := FromHTML(tt.in, ruleSets[tt.rules]); got != tt.want {
			t.Errorf("%s: FromHTML(%q) = %q, want %q", tt.rules, tt.in, got, tt.want)
		}
	}
}

// markupPieces make random strings that are mostly markup.
var markupPieces = []string{"<", "<", "<", ">", ">", "/", "/", "=", "=", "\"", "'", " ", " ", "\n", "\r", "\r\n", "\t", "\f", "\v",
	"a", "b", "p", "P", "x", "br", "div", "em", "EM", "script", "style", "title", "template", "object", "iframe", "textarea",
	"!", "?", "-", "--", "&", "&amp;", "&amp", "&#", "&#x41;", "&lt", ";", "\x00", "é", "\u212a", "kbd", "K", "s", "S", "xmp",
	"noscript", "span", "href", "alt", "1", "\xff"}

// The fast path must give exactly what the tokenizer gives, under every
// caller's rules.
func TestFromHTMLFast(t *testing.T) {
	n := 300000
	if testing.Short() {
		n = 20000
	}
	rng := rand.New(rand.NewPCG(11, 12))
	fast := 0
	for i := range n {
		var sb strings.Builder
		for range 1 + rng.IntN(14) {
			sb.WriteString(markupPieces[rng.IntN(len(markupPieces))])
		}
		s := sb.String()
		if !strings.Contains(s, "<") {
			continue
		}
		name, o := ruleSetAt(i)
		want := fromHTMLTokenizer(s, &o)
		if got, ok := fromHTMLFast(s, &o); ok {
			fast++
			if got != want {
				t.Fatalf("%s: fromHTMLFast(%q) = %q, want %q", name, s, got, want)
			}
		}
	}
	if fast < n/10 {
		t.Errorf("only %d of %d strings took the fast path", fast, n)
	}
}

// ruleSetAt returns one of ruleSets by number, in the order of their names.
func ruleSetAt(i int) (string, Options) {
	names := []string{"all markup", "every tag", "one line", "paragraphs", "titles"}
	name := names[i%len(names)]
	return name, ruleSets[name]
}

func FuzzFromHTML(f *testing.F) {
	f.Add(`<p class="x">Kim &amp; <b>Putin</b></p><img src=a.jpg alt='x > y'/>`)
	f.Add("a<3 b</ c</> d<?x> e<a\r\nb=c>f")
	f.Add("<P>x</P ><br/><x-y z=1/>&eacute;&#0;")
	f.Fuzz(func(t *testing.T, s string) {
		if !strings.Contains(s, "<") {
			return
		}
		for i := range len(ruleSets) {
			name, o := ruleSetAt(i)
			if got, ok := fromHTMLFast(s, &o); ok {
				if want := fromHTMLTokenizer(s, &o); got != want {
					t.Fatalf("%s: fromHTMLFast(%q) = %q, want %q", name, s, got, want)
				}
			}
		}
	})
}

func BenchmarkFromHTML(b *testing.B) {
	var sb strings.Builder
	for p := range 20 {
		fmt.Fprintf(&sb, `<p>Officials in <a href="https://example.com/%d">Seoul</a> said the talks went on for <em>hours</em>; `+
			`Kim&#8217;s train left at dawn.<br/>Markets &amp; prices rose.</p>`, p)
	}
	s := sb.String()
	for _, name := range []string{"all markup", "every tag", "one line", "paragraphs", "titles"} {
		b.Run(name, func(b *testing.B) {
			o := ruleSets[name]
			b.SetBytes(int64(len(s)))
			b.ReportAllocs()
			for b.Loop() {
				FromHTML(s, o)
			}
		})
	}
}
