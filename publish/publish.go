// Package publish renders the outputs (merged Atom feeds and an HTML index)
// from stored entries, serves them over HTTP from memory, and writes them to a
// folder for static hosting.
package publish

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"aggregator"
)

// DefaultLimit is the number of entries in an output that sets no limit.
const DefaultLimit = 100

// Output is one published feed.
type Output struct {
	Name  string // the file name without extension: feeds/{Name}.atom
	Title string
	// Limit is how many of the newest entries the feed holds; 0 means
	// DefaultLimit. It is also the size of an archive page, and the feed of
	// an archived output holds, besides, the stories after its last
	// complete page (see Build).
	Limit int
	// Keep selects the entries of a filtered output; nil keeps all.
	Keep func(aggregator.Entry) bool
	// Filter is the source of Keep, as configured: archives chosen by
	// another filter are chosen again.
	Filter string
	// Hub is the WebSub hub the feed names; Build sets it from Publisher.Hub.
	Hub string
	// Site is the publication the feed is part of; Build sets it from
	// Publisher.Site.
	Site Publication
}

// Publication describes the whole site; every field may be empty.
type Publication struct {
	Title    string // starts each feed's title, and heads the index page
	Subtitle string // each feed's subtitle, and the index page's
	Icon     string // absolute URL of a small square image: each feed's icon
}

// feedTitle is the output's title, after the publication's.
func (o Output) feedTitle() string {
	if o.Site.Title == "" || o.Site.Title == o.Title {
		return o.Title
	}
	return o.Site.Title + " — " + o.Title
}

// EntrySource gives the newest entries that keep accepts (all when keep is
// nil), newest first.
type EntrySource interface {
	Entries(ctx context.Context, limit int, keep func(aggregator.Entry) bool) ([]aggregator.Entry, error)
}

// Publisher renders a set of outputs.
type Publisher struct {
	Outputs []Output
	BaseURL *url.URL // absolute; links and ids in the outputs start with it
	// FeedDir is the folder of the feeds relative to BaseURL and to the index:
	// "feeds/" when served by the daemon, "" for the files --once writes.
	FeedDir string
	// Hub is the URL of a WebSub hub the feeds name; "" for none.
	Hub string
	// Site is the publication's title, subtitle and icon.
	Site Publication
	// Subscriptions are listed in subscriptions.opml; none: no such file.
	// With Health set, one the config gives no name is listed by the
	// feed's own title, and each with its site (see subscriptionsWith).
	Subscriptions []Subscription
	// Health, if set, gives the feeds' health for the status page and the
	// health feed.
	Health HealthSource
	// Location is the time zone of the times the status page shows; nil
	// for time.Local.
	Location *time.Location
	// Now is the time of a build: it dates a feed with no entries when
	// nothing is stored and no feed was fetched yet, and the status page
	// counts the time to each next fetch from it; nil: time.Now.
	Now func() time.Time
	// Instance, when instances share the store, names the one that renders
	// the site: the status page says so, and with Leader whether it leads
	// them. "" (the store is not shared): the page names no instance.
	Instance string
	// Leader, if set, says whether Instance leads the instances sharing
	// the store, and its term.
	Leader interface{ Leading() (bool, int64) }

	mu       sync.Mutex
	archives map[string]*archive // by output name
	clean    sanitizer           // the articles' HTML, sanitised
}

// OPMLPath is where the site keeps the list of subscriptions.
const OPMLPath = "subscriptions.opml"

// File is one rendered document.
type File struct {
	Body        []byte
	ContentType string
	// ModTime is the newest entry's update; zero when unknown. The Server
	// sends no Last-Modified for a zero ModTime, and for the others the
	// time it began serving these bytes (see Server.lastModified); WriteDir
	// leaves the modification time of a file alone unless its bytes change.
	ModTime time.Time
	ETag    string // strong validator of Body, quoted
}

func newFile(body []byte, contentType string, mod time.Time) *File {
	sum := sha256.Sum256(body)
	return &File{Body: body, ContentType: contentType, ModTime: mod, ETag: `"` + hex.EncodeToString(sum[:16]) + `"`}
}

// Site is a rendered set of outputs: files keyed by their path relative to
// the base URL ("index.html", "feeds/all.atom").
type Site struct {
	Files map[string]*File
	// Lazy are the files rendered only when asked for: the archive pages,
	// which grow with the store's history and would not fit in memory.
	Lazy map[string]LazyFile
	// Changed are the lazy files that are new or changed since the
	// archives were last saved (see ArchiveMemory); the others are as
	// written then.
	Changed map[string]bool
}

// A LazyFile renders a file of a Site when it is asked for.
type LazyFile func(ctx context.Context) (*File, error)

// indexEntries is how many entries of each output the index page lists.
const indexEntries = 20

// Build renders every output from src.
func (p *Publisher) Build(ctx context.Context, src EntrySource) (*Site, error) {
	site := &Site{Files: map[string]*File{}, Lazy: map[string]LazyFile{}, Changed: map[string]bool{}}
	var sections []indexSection
	var newest time.Time
	var health []FeedHealth
	if p.Health != nil {
		var err error
		if health, err = p.Health.FeedHealth(ctx); err != nil {
			return nil, fmt.Errorf("feed health: %w", err)
		}
	}
	asOf, err := p.asOf(ctx, src, health)
	if err != nil {
		return nil, err
	}
	for _, o := range p.Outputs {
		o.Hub, o.Site = p.Hub, p.Site
		limit := o.limit()
		entries, err := src.Entries(ctx, limit, o.Keep)
		if err != nil {
			return nil, fmt.Errorf("publish %s: %w", o.Name, err)
		}
		// Every format of the feed, and the index, render these: the
		// sanitised HTML (see sanitizer).
		entries = p.clean.sanitize(entries, true)
		path := p.FeedDir + o.Name + ".atom"
		page := atomPage{asOf: asOf}
		var archive string
		current := entries // the feed's, in every format
		if as, ok := src.(ArchiveSource); ok {
			members, written, err := p.updateArchive(ctx, as, o, limit)
			if err != nil {
				return nil, fmt.Errorf("publish %s: %w", o.Name, err)
			}
			full := len(members) / limit * limit
			p.archivePages(site, as, o, limit, members[:full], written)
			if full > 0 {
				archive = p.archivePath(o, full/limit)
				page.prevArchive = p.BaseURL.JoinPath(p.archivePath(o, full/limit)).String()
			}
			// The current feed holds the newest stories by date, and the
			// archive pages the stories in the order they were created, so
			// that a complete page keeps its stories for good (RFC 5005: a
			// reader that has read an archive page does not read it again).
			// A story created after the last complete page but older than
			// the newest limit (a feed added late brings old stories) would
			// then be in no document: so the current feed also carries
			// every story after the last complete page, fewer than limit of
			// them. A story may be in the current feed and in a page, which
			// RFC 5005 allows; the entry is the same in both (id, title,
			// dates, credits), though a page may carry its summary where
			// the feed has its full text (see PageSource). The RSS and
			// JSON documents, which link no archives, hold the same
			// entries as the Atom one all the same. Ordering the
			// current feed by creation instead would put a late feed's old
			// stories at its top, and ordering the pages by date would
			// change complete pages whenever an old story arrived.
			if current, err = withPending(ctx, as, entries, members[full:], p.clean.keep); err != nil {
				return nil, fmt.Errorf("publish %s: %w", o.Name, err)
			}
		}
		body, err := atomDocument(o, current, p.BaseURL.JoinPath(path).String(), p.BaseURL.String(), page)
		if err != nil {
			return nil, fmt.Errorf("publish %s: %w", o.Name, err)
		}
		mod := newestUpdate(current)
		if mod.After(newest) {
			newest = mod
		}
		site.Files[path] = newFile(body, "application/atom+xml; charset=utf-8", mod)
		// The same entries as RSS 2.0 and JSON Feed 1.1.
		for _, alt := range []struct {
			ext, contentType string
			render           func(Output, []aggregator.Entry, string, string) ([]byte, error)
		}{
			{".rss", RSSContentType, RSS},
			{".json", JSONFeedContentType, JSONFeed},
		} {
			altPath := p.FeedDir + o.Name + alt.ext
			altBody, err := alt.render(o, current, p.BaseURL.JoinPath(altPath).String(), p.BaseURL.String())
			if err != nil {
				return nil, fmt.Errorf("publish %s%s: %w", o.Name, alt.ext, err)
			}
			site.Files[altPath] = newFile(altBody, alt.contentType, mod)
		}
		s := newIndexSection(o, path, entries)
		s.Archive = archive
		sections = append(sections, s)
	}
	markRepeats(sections)
	index := indexPage{Title: cmp.Or(p.Site.Title, "aggregator"), Subtitle: p.Site.Subtitle, Outputs: sections}
	if p.Health != nil {
		page, feed, err := p.healthFiles(health, asOf)
		if err != nil {
			return nil, err
		}
		site.Files[StatusPath] = page
		site.Files[p.FeedDir+HealthFeed] = feed
		index.Status, index.Feeds = StatusPath, len(health)
		for _, f := range health {
			switch f.Health {
			case "failing":
				index.Failing++
			case "retired":
				index.Gone++
			}
		}
	}
	if len(p.Subscriptions) > 0 {
		index.OPML = OPMLPath
		opml, err := OPML("aggregator subscriptions", subscriptionsWith(p.Subscriptions, health))
		if err != nil {
			return nil, fmt.Errorf("publish subscriptions: %w", err)
		}
		site.Files[OPMLPath] = newFile(opml, OPMLContentType, time.Time{})
	}
	body, err := renderIndex(index)
	if err != nil {
		return nil, fmt.Errorf("publish index: %w", err)
	}
	site.Files["index.html"] = newFile(body, "text/html; charset=utf-8", newest)
	return site, nil
}

// asOf dates the outputs that have no entries, for an Atom feed needs an
// updated date: the newest stored entry's update, the same for the same
// store however often it is rendered; with no entry stored, the newest
// fetch attempt; with none, the time of the build.
// limit is how many entries the output's feed holds, and each of its
// archive pages.
func (o Output) limit() int {
	if o.Limit <= 0 {
		return DefaultLimit
	}
	return o.Limit
}

// Archives returns the archive pages that another Publisher's Build over
// the same store last saved (see ArchiveMemory), rendered when asked for:
// for an instance that serves the files another rendered, and renders these
// pages from the store they share, as that one does. It saves nothing.
func (p *Publisher) Archives(ctx context.Context, src EntrySource) (map[string]LazyFile, error) {
	site := &Site{Files: map[string]*File{}, Lazy: map[string]LazyFile{}, Changed: map[string]bool{}}
	as, ok := src.(ArchiveSource)
	mem, remembers := src.(ArchiveMemory)
	if !ok || !remembers {
		return site.Lazy, nil
	}
	for _, o := range p.Outputs {
		o.Hub, o.Site = p.Hub, p.Site
		limit := o.limit()
		a, err := loadArchive(ctx, mem, p.FeedDir+o.Name, o, limit)
		if err != nil {
			return nil, fmt.Errorf("publish %s: %w", o.Name, err)
		}
		if a != nil {
			p.archivePages(site, as, o, limit, a.members[:a.written*limit], a.written)
		}
	}
	return site.Lazy, nil
}

// ForgetArchives drops what the Publisher remembers of the archives, so
// that the next Build reads them from its source's ArchiveMemory: for an
// instance that takes over publishing from another, which kept them
// meanwhile.
func (p *Publisher) ForgetArchives() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.archives = nil
}

// Entries hides what src is beyond an EntrySource: a Build from it has no
// archives, and saves none.
func Entries(src EntrySource) EntrySource { return entriesOnly{src} }

type entriesOnly struct{ src EntrySource }

func (e entriesOnly) Entries(ctx context.Context, limit int, keep func(aggregator.Entry) bool) ([]aggregator.Entry, error) {
	return e.src.Entries(ctx, limit, keep)
}

func (p *Publisher) asOf(ctx context.Context, src EntrySource, health []FeedHealth) (time.Time, error) {
	newest, err := src.Entries(ctx, 1, nil)
	if err != nil {
		return time.Time{}, fmt.Errorf("publish: %w", err)
	}
	if t := newestUpdate(newest); !t.IsZero() {
		return t.UTC(), nil
	}
	var t time.Time
	for _, h := range health {
		if h.LastAttempt.After(t) {
			t = h.LastAttempt
		}
	}
	if t.IsZero() {
		now := time.Now
		if p.Now != nil {
			now = p.Now
		}
		t = now()
	}
	return t.UTC().Truncate(time.Second), nil
}

// newestUpdate returns the latest Updated of entries; zero when none.
func newestUpdate(entries []aggregator.Entry) time.Time {
	var t time.Time
	for _, e := range entries {
		if e.Updated.After(t) {
			t = e.Updated
		}
	}
	return t
}

// withPending adds to entries (an output's newest, newest first) the
// entries of the stories pending, those not yet in a complete archive page,
// that are not among them, and returns them all newest first. The entries
// read go through sanitize.
func withPending(ctx context.Context, src ArchiveSource, entries []aggregator.Entry, pending []int64,
	sanitize func([]aggregator.Entry) []aggregator.Entry) ([]aggregator.Entry, error) {
	if len(pending) == 0 {
		return entries, nil
	}
	extra, err := archiveEntries(ctx, src, pending)
	if err != nil {
		return nil, err
	}
	extra = sanitize(extra)
	have := make(map[string]bool, len(entries))
	for _, e := range entries {
		have[e.ID] = true
	}
	out := slices.Clone(entries)
	for _, e := range extra {
		if !have[e.ID] {
			out = append(out, e)
		}
	}
	if len(out) == len(entries) {
		return entries, nil
	}
	slices.SortStableFunc(out, func(a, b aggregator.Entry) int { return b.Published.Compare(a.Published) })
	return out, nil
}

// WriteDir writes every file of the site under dir, and of the lazy ones
// those that changed or are missing there: an archive page, once written,
// stays as it is. Each file is replaced atomically (a temporary file renamed
// over it), so a reader sees the old version or the new one, never a part; a
// file whose bytes did not change is left alone, keeping its modification
// time.
//
// It first removes the temporary files that an earlier write, killed
// before it renamed them, left in dir and in the folders of the site's
// files (the archives'): only files named as writeFileAtomic names them.
// WriteDir expects to be the only writer of dir, as a --once run holding
// the store's lock is.
func (s *Site) WriteDir(ctx context.Context, dir string) error {
	if err := s.removeTemp(dir); err != nil {
		return err
	}
	write := func(name string, f *File) error {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if old, err := os.ReadFile(path); err == nil && string(old) == string(f.Body) {
			return nil
		}
		return writeFileAtomic(path, f.Body)
	}
	for name, f := range s.Files {
		if err := write(name, f); err != nil {
			return err
		}
	}
	for name, render := range s.Lazy {
		if !s.Changed[name] {
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name))); err == nil {
				continue
			}
		}
		f, err := render(ctx)
		if err != nil {
			return err
		}
		if err := write(name, f); err != nil {
			return err
		}
	}
	return nil
}

// removeTemp removes the temporary files of writeFileAtomic left in dir and
// in the folders of the site's files. A folder that does not exist has none.
func (s *Site) removeTemp(dir string) error {
	dirs := map[string]map[string]bool{dir: {}} // folder: the site's files there
	add := func(name string) {
		path := filepath.Join(dir, filepath.FromSlash(name))
		d := filepath.Dir(path)
		if dirs[d] == nil {
			dirs[d] = map[string]bool{}
		}
		dirs[d][filepath.Base(path)] = true
	}
	for name := range s.Files {
		add(name)
	}
	for name := range s.Lazy {
		add(name)
	}
	for d, ours := range dirs {
		entries, err := os.ReadDir(d)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("remove temporary files: %w", err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() && isTempName(e.Name(), ours) {
				if err := os.Remove(filepath.Join(d, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("remove temporary files: %w", err)
				}
			}
		}
	}
	return nil
}

// tempPrefix starts the name of every temporary file writeFileAtomic makes,
// so that no other file is taken for one.
const tempPrefix = ".aggregator-"

// tempPattern is the pattern of os.CreateTemp for the temporary file of
// the file named base; os.CreateTemp puts a decimal number for the "*".
func tempPattern(base string) string { return tempPrefix + base + ".*.tmp" }

// isTempName reports whether name is that of a temporary file of
// writeFileAtomic: tempPrefix + a file's name + "." + digits + ".tmp". Of
// the older names, "." + the file's name + "." + digits + ".tmp", it takes
// only those of a file in ours, the site's files in name's folder: the
// program replaces those files anyway.
func isTempName(name string, ours map[string]bool) bool {
	if rest, ok := strings.CutPrefix(name, tempPrefix); ok {
		base, ok := tempBase(rest)
		return ok && base != ""
	}
	if rest, ok := strings.CutPrefix(name, "."); ok {
		base, ok := tempBase(rest)
		return ok && ours[base]
	}
	return false
}

// tempBase cuts "." + digits + ".tmp" from the end of rest and returns what
// is before it.
func tempBase(rest string) (string, bool) {
	rest, ok := strings.CutSuffix(rest, ".tmp")
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(rest, '.')
	if i < 0 || i == len(rest)-1 {
		return "", false
	}
	for _, c := range rest[i+1:] {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return rest[:i], true
}

func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, tempPattern(filepath.Base(path)))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
