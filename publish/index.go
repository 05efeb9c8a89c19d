package publish

import (
	"bytes"
	"html/template"
	"slices"
	"strings"
	"time"

	"aggregator"
)

type indexPage struct {
	Title    string
	Subtitle string
	Outputs  []indexSection
	// Status and OPML are the paths of the status page and of the list of
	// subscriptions; "" when the site has none.
	Status, OPML string
	// Feeds, Failing and Gone count the subscribed feeds, those failing
	// and those retired (410 Gone); all 0 without a status page.
	Feeds, Failing, Gone int
}

type indexSection struct {
	Name, Title string
	Href        string // of the Atom feed; Base(Href) + ".rss" and ".json" are the others
	Archive     string // the newest archive page; "" when none
	Entries     []indexEntry
}

// Base is the path of the section's feeds without the extension.
func (s indexSection) Base() string { return strings.TrimSuffix(s.Href, ".atom") }

type indexEntry struct {
	ID          string
	Title, Link string
	Outlets     []outlet
	Published   time.Time
	Tags        []aggregator.Tag
	// Storyline are the earlier developments of the entry's storyline
	// that the page lists too: they are shown under it, latest first,
	// rather than on their own.
	Storyline []indexEntry
	// Earlier are those the page does not list, linked in one line.
	Earlier []aggregator.Development
	// AlsoIn are the later sections that list the entry too; ListedIn,
	// set on those, is the section where it is shown in full.
	AlsoIn   []sectionRef
	ListedIn *sectionRef
}

// sectionRef names a section of the index page, to link to it.
type sectionRef struct{ Name, Title string }

// markRepeats shows an entry in full only under the first section that
// lists it: there it says which other sections list it, and under those it
// is one line pointing back at the first.
func markRepeats(sections []indexSection) {
	first := map[string]*indexEntry{}
	firstIn := map[string]int{}
	var mark func(i int, entries []indexEntry)
	mark = func(i int, entries []indexEntry) {
		for k := range entries {
			e := &entries[k]
			f, ok := first[e.ID]
			switch {
			case !ok:
				first[e.ID], firstIn[e.ID] = e, i
			case firstIn[e.ID] != i:
				ref := sectionRef{sections[i].Name, sections[i].Title}
				if !slices.Contains(f.AlsoIn, ref) {
					f.AlsoIn = append(f.AlsoIn, ref)
				}
				e.ListedIn = &sectionRef{sections[firstIn[e.ID]].Name, sections[firstIn[e.ID]].Title}
			}
			mark(i, e.Storyline)
		}
	}
	for i := range sections {
		mark(i, sections[i].Entries)
	}
}

// newIndexSection lists an output's newest entries (newest first), the
// developments of one storyline together: an entry that a later one on the
// page follows is shown under that one.
func newIndexSection(o Output, href string, entries []aggregator.Entry) indexSection {
	s := indexSection{Name: o.Name, Title: o.Title, Href: href}
	entries = entries[:min(len(entries), indexEntries)]
	at := map[string]int{}
	for i, e := range entries {
		at[e.ID] = i
	}
	under := make([]int, len(entries)) // the entry an entry is shown under, -1 for none
	for i := range under {
		under[i] = -1
	}
	for i, e := range entries {
		if under[i] >= 0 {
			continue // itself shown under a later development
		}
		for _, d := range e.Earlier {
			if j, ok := at[d.ID]; ok && j > i && under[j] < 0 {
				under[j] = i
			}
		}
	}
	items := make([]indexEntry, len(entries))
	for i, e := range entries {
		items[i] = indexEntry{
			ID:    e.ID,
			Title: entryTitle(e.Item), Link: e.Item.Link, Outlets: outletsOf(e.Sources), Published: e.Published, Tags: e.Tags,
		}
		for _, d := range e.Earlier {
			if j, ok := at[d.ID]; !ok || under[j] != i {
				items[i].Earlier = append(items[i].Earlier, d)
			}
		}
	}
	for i := len(entries) - 1; i >= 0; i-- { // the oldest first: nested lines are complete when moved
		if j := under[i]; j >= 0 {
			items[i].Earlier = nil // the group shows the storyline
			items[j].Storyline = append([]indexEntry{items[i]}, items[j].Storyline...)
		}
	}
	for i := range entries {
		if under[i] < 0 {
			s.Entries = append(s.Entries, items[i])
		}
	}
	return s
}

var indexTemplate = template.Must(template.New("index").Funcs(template.FuncMap{
	"date":    func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
	"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
{{range .Outputs}}<link rel="alternate" type="application/atom+xml" title="{{.Title}}" href="{{.Href}}">
<link rel="alternate" type="application/rss+xml" title="{{.Title}} (RSS)" href="{{.Base}}.rss">
<link rel="alternate" type="application/feed+json" title="{{.Title}} (JSON Feed)" href="{{.Base}}.json">
{{end -}}
<style>
:root { color-scheme: light dark; --muted: #666; --rule: #ddd; --accent: #0a58ca; --bad: #b00020; }
@media (prefers-color-scheme: dark) { :root { --muted: #aaa; --rule: #444; --accent: #8ab4f8; --bad: #ff6b6b; } }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 46rem; padding: 1rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .25rem; }
a { color: var(--accent); }
.subscribe { font-size: .9rem; color: var(--muted); margin: 0 0 .75rem; }
.banner { border: 1px solid var(--bad); border-radius: .3rem; padding: .4rem .75rem; color: var(--bad); }
.site { font-size: .9rem; color: var(--muted); }
.lede { margin: -.5rem 0 1rem; color: var(--muted); }
ol { list-style: none; padding: 0; margin: 0; }
li { padding: .6rem 0; border-top: 1px solid var(--rule); }
li a.title { font-weight: 600; text-decoration: none; }
li a.title:hover { text-decoration: underline; }
.meta { font-size: .85rem; color: var(--muted); }
.tags { margin-top: .2rem; }
.earlier, .also { font-size: .85rem; margin-top: .2rem; }
ol.storyline { margin: .4rem 0 0 1rem; padding-left: .75rem; border-left: 2px solid var(--rule); font-size: .9rem; }
ol.storyline li { padding: .3rem 0; border-top: none; }
.tags span { display: inline-block; font-size: .75rem; padding: 0 .45rem; margin: .1rem .2rem 0 0; border: 1px solid var(--rule); border-radius: 1rem; color: var(--muted); }
.tags span.entity { font-style: italic; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{if .Subtitle}}<p class="lede">{{.Subtitle}}</p>
{{end -}}
{{if or .Failing .Gone}}<p class="banner" role="status"><strong>{{.Failing}} of {{.Feeds}} feeds failing{{if .Gone}}, {{.Gone}} gone{{end}}</strong>{{if .Status}} — <a href="{{.Status}}">status</a>{{end}}</p>
{{end -}}
{{if or .Status .OPML}}<p class="site">{{if .Status}}<a href="{{.Status}}">Feed status</a>{{end}}{{if and .Status .OPML}} · {{end}}{{if .OPML}}<a href="{{.OPML}}" type="text/x-opml">Subscriptions (OPML)</a>{{end}}</p>
{{end -}}
{{range .Outputs}}
<section id="{{.Name}}">
<h2>{{.Title}}</h2>
<p class="subscribe">Subscribe: <a href="{{.Href}}" type="application/atom+xml">Atom</a> · <a href="{{.Base}}.rss" type="application/rss+xml">RSS</a> · <a href="{{.Base}}.json" type="application/feed+json">JSON Feed</a>{{if .Archive}} · <a href="{{.Archive}}" type="application/atom+xml">Archive</a>{{end}}</p>
{{if .Entries}}<ol>
{{range .Entries}}<li>{{template "entry" .}}
{{- if .Storyline}}<ol class="storyline">{{range .Storyline}}<li>{{template "entry" .}}</li>{{end}}</ol>{{end}}</li>
{{end}}</ol>
{{else}}<p class="meta">Nothing yet.</p>
{{end}}</section>
{{end}}
</body>
</html>
{{define "entry"}}{{if .Link}}<a class="title" href="{{.Link}}">{{.Title}}</a>{{else}}<span class="title">{{.Title}}</span>{{end}}
{{- if .ListedIn}}<div class="meta">Listed above under <a href="#{{.ListedIn.Name}}">{{.ListedIn.Title}}</a></div>{{else}}
<div class="meta"><time datetime="{{rfc3339 .Published}}">{{date .Published}}</time> · {{range $i, $o := .Outlets}}{{if $i}}, {{end}}{{if $o.Link}}<a href="{{$o.Link}}">{{$o.Name}}</a>{{else}}{{$o.Name}}{{end}}{{if gt $o.Articles 1}} ({{$o.Articles}}){{end}}{{end}}</div>
{{- if .Earlier}}<div class="earlier">Earlier: {{range $i, $d := .Earlier}}{{if $i}} · {{end}}{{if $d.Link}}<a href="{{$d.Link}}">{{$d.Title}}</a>{{else}}{{$d.Title}}{{end}}{{end}}</div>{{end}}
{{- if .AlsoIn}}<div class="also">Also in {{range $i, $s := .AlsoIn}}{{if $i}}, {{end}}<a href="#{{$s.Name}}">{{$s.Title}}</a>{{end}}</div>{{end}}
{{- if .Tags}}<div class="tags">{{range .Tags}}<span{{if .Entity}} class="entity"{{end}} title="{{.Slug}}">{{.Label}}</span>{{end}}</div>{{end}}
{{- end}}
{{- end}}`))

func renderIndex(p indexPage) ([]byte, error) {
	var b bytes.Buffer
	if err := indexTemplate.Execute(&b, p); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
