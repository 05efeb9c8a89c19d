package publish

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"slices"
	"time"

	"aggregator"
)

// FeedHealth is how one subscribed feed is doing.
type FeedHealth struct {
	Name        string // the configured name, else the feed's own title, else its public URL
	URL         string // as configured; shown as aggregator.PublicURL shows it
	SiteURL     string // the site the feed belongs to, as the feed gives it; "" when unknown
	CurrentURL  string // where it is fetched now, when a permanent redirect moved it
	Health      string // ok, failing, retired or new
	LastAttempt time.Time
	LastSuccess time.Time
	NextFetch   time.Time
	LastStatus  int
	Failures    int
	Error       string
	// FetchedBy names the instance that last fetched the feed, when
	// instances share the store; "" otherwise.
	FetchedBy string

	FailingSince time.Time // the current outage's first failure; zero while ok
	OutageFrom   time.Time // the last ended outage's first failure
	RecoveredAt  time.Time // when that outage ended
}

// recoveredFor is how long the health feed keeps announcing a recovery.
const recoveredFor = 7 * 24 * time.Hour

// HealthSource gives the health of every subscribed feed.
type HealthSource interface {
	FeedHealth(ctx context.Context) ([]FeedHealth, error)
}

// Paths of the health views.
const (
	StatusPath = "status.html"  // a page listing every feed's health
	HealthFeed = "_health.atom" // an Atom feed with an entry per broken feed
)

var statusTemplate = template.Must(template.New("status").Funcs(template.FuncMap{
	"public": aggregator.PublicURL,
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Feed health</title>
<link rel="alternate" type="application/atom+xml" title="Feed health" href="{{.Feed}}">
<style>
:root { color-scheme: light dark; --muted: #666; --rule: #ddd; --bad: #b00020; --ok: #1b7a3a; }
@media (prefers-color-scheme: dark) { :root { --muted: #aaa; --rule: #444; --bad: #ff6b6b; --ok: #6fd08c; } }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .35rem .5rem; border-top: 1px solid var(--rule); vertical-align: top; overflow-wrap: anywhere; }
.failing, .retired { color: var(--bad); font-weight: 600; }
.ok { color: var(--ok); }
.err, .by, .fleet { color: var(--muted); }
.by { font-weight: normal; }
.fleet { overflow-wrap: anywhere; }
@media (max-width: 40rem) {
  table, tbody, tr, td { display: block; }
  tr.head { display: none; }
  tr { border-top: 1px solid var(--rule); padding: .4rem 0; }
  td { border: none; padding: .1rem 0; }
  td.name { font-weight: 600; }
  td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); }
  td.err:empty { display: none; }
}
</style>
</head>
<body>
<h1>Feed health</h1>
{{if .Instance}}<p class="fleet">Rendered by {{.Instance}}{{if .Leads}}, which leads the instances sharing this store{{else}}, one of the instances sharing this store{{end}}.</p>
{{end}}<p>{{.OK}} of {{len .Feeds}} feeds ok{{if .Broken}}, {{.Broken}} failing or retired{{end}}, as of {{.When .Now}}. <a href="{{.Feed}}">Subscribe to changes</a>.</p>
<table>
<tr class="head"><th>Feed</th><th>Health</th><th>Last success</th><th>Next fetch</th><th>Error</th></tr>
{{range .Feeds}}<tr><td class="name">{{.Name}}{{if .CurrentURL}}<br><small>moved to {{public .CurrentURL}}</small>{{end}}{{if .FetchedBy}}<br><small class="by">fetched by {{.FetchedBy}}</small>{{end}}</td>
<td class="{{.Health}}" data-label="Health">{{.Health}}{{if .Failures}} ({{.Failures}}){{end}}</td>
<td data-label="Last success">{{$.When .LastSuccess}}</td><td data-label="Next fetch">{{if eq .Health "retired"}}never{{else}}{{$.Next .NextFetch}}{{end}}</td>
<td class="err">{{.Error}}</td></tr>
{{end}}</table>
</body>
</html>
`))

type statusPage struct {
	Feeds      []FeedHealth
	OK, Broken int
	Feed       string
	Now        time.Time // when the page was rendered
	loc        *time.Location
	// Instance names the instance that rendered the page among those
	// sharing the store, and Leads says whether it leads them; "" when the
	// store is not shared.
	Instance string
	Leads    bool
}

// When shows t in the page's time zone.
func (p statusPage) When(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return localTime(t, p.loc).Format("2 Jan 15:04 MST")
}

// Next shows a next fetch in the page's time zone and from the page's now.
func (p statusPage) Next(t time.Time) string {
	if t.IsZero() {
		return "not scheduled"
	}
	return p.When(t) + " (" + Until(t, p.Now) + ")"
}

func localTime(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc)
}

// Until says how far t is from now, as a person would: "in 4 min",
// "in 2 h 5 min", "in 3 days"; "due now" once t has come.
func Until(t, now time.Time) string {
	d := t.Sub(now)
	switch {
	case d <= 0:
		return "due now"
	case d < time.Minute:
		return "in under a minute"
	case d < time.Hour:
		return fmt.Sprintf("in %d min", int(d.Round(time.Minute)/time.Minute))
	case d < 48*time.Hour:
		d = d.Round(time.Minute)
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("in %d h", h)
		}
		return fmt.Sprintf("in %d h %d min", h, m)
	}
	return fmt.Sprintf("in %d days", int(d.Round(24*time.Hour)/(24*time.Hour)))
}

// healthFiles renders the status page and the health feed from the feeds'
// health.
// With no broken feed, the health feed is dated by the newest attempt, else
// asOf.
func (p *Publisher) healthFiles(health []FeedHealth, asOf time.Time) (page, feed *File, err error) {
	feedPath := p.FeedDir + HealthFeed
	var b bytes.Buffer
	data := statusPage{Feeds: health, Feed: feedPath, Now: time.Now(), loc: p.Location, Instance: p.Instance}
	if p.Instance != "" && p.Leader != nil {
		data.Leads, _ = p.Leader.Leading()
	}
	if p.Now != nil {
		data.Now = p.Now()
	}
	var entries []aggregator.Entry
	var newest time.Time
	for _, f := range health {
		switch f.Health {
		case "ok":
			data.OK++
		case "failing", "retired":
			data.Broken++
			entries = append(entries, healthEntry(f))
		}
		if f.LastAttempt.After(newest) {
			newest = f.LastAttempt
		}
	}
	// Recoveries of the last week, measured from the newest attempt so
	// that the same store renders the same feed.
	for _, f := range health {
		if !f.RecoveredAt.IsZero() && f.FailingSince.IsZero() && newest.Sub(f.RecoveredAt) < recoveredFor {
			entries = append(entries, recoveryEntry(f))
		}
	}
	slices.SortStableFunc(entries, func(a, b aggregator.Entry) int { return b.Published.Compare(a.Published) })
	if err := statusTemplate.Execute(&b, data); err != nil {
		return nil, nil, err
	}
	if !newest.IsZero() {
		asOf = newest.UTC().Truncate(time.Second)
	}
	body, err := atomDocument(Output{Name: "_health", Title: "Feed health"}, entries,
		p.BaseURL.JoinPath(feedPath).String(), p.BaseURL.JoinPath(StatusPath).String(), atomPage{asOf: asOf})
	if err != nil {
		return nil, nil, err
	}
	return newFile(b.Bytes(), "text/html; charset=utf-8", newest),
		newFile(body, "application/atom+xml; charset=utf-8", newest), nil
}

// healthEntry announces a broken feed. Its id names the outage (the feed
// and when it began), so a reader sees each outage once, and the entry
// stays the same while the outage lasts.
func healthEntry(f FeedHealth) aggregator.Entry {
	since := f.FailingSince
	if since.IsZero() {
		since = f.LastAttempt
	}
	title := fmt.Sprintf("%s is failing", f.Name)
	text := fmt.Sprintf("<p>%s has failed %d times in a row; the last error: %s</p>",
		template.HTMLEscapeString(aggregator.PublicURL(f.URL)), f.Failures, template.HTMLEscapeString(f.Error))
	if f.Health == "retired" {
		title = fmt.Sprintf("%s is gone", f.Name)
		text = fmt.Sprintf("<p>%s answered 410 Gone: it is no longer fetched. Change or remove its URL in the config.</p>",
			template.HTMLEscapeString(aggregator.PublicURL(f.URL)))
	}
	published := since
	if published.IsZero() {
		published = time.Unix(0, 0)
	}
	return aggregator.Entry{
		ID:        aggregator.EntryID(fmt.Sprintf("health %s %d %s", f.URL, since.Unix(), f.Health)),
		Item:      aggregator.Item{Title: title, Content: text, Author: "aggregator"},
		Published: published,
		Updated:   published,
		Sources:   []aggregator.Source{{Feed: aggregator.Feed{URL: f.URL, Name: f.Name}}},
	}
}

// recoveryEntry announces that a feed works again after an outage.
func recoveryEntry(f FeedHealth) aggregator.Entry {
	text := fmt.Sprintf("<p>%s works again; it had failed since %s.</p>",
		template.HTMLEscapeString(aggregator.PublicURL(f.URL)), f.OutageFrom.UTC().Format(time.RFC1123))
	return aggregator.Entry{
		ID:        aggregator.EntryID(fmt.Sprintf("health %s recovered %d", f.URL, f.RecoveredAt.Unix())),
		Item:      aggregator.Item{Title: fmt.Sprintf("%s works again", f.Name), Content: text, Author: "aggregator"},
		Published: f.RecoveredAt,
		Updated:   f.RecoveredAt,
		Sources:   []aggregator.Source{{Feed: aggregator.Feed{URL: f.URL, Name: f.Name}}},
	}
}
