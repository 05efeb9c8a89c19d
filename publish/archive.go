package publish

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"aggregator"
)

// ArchiveSource gives entries in the order their stories were created. An
// EntrySource that is also an ArchiveSource gets archives (RFC 5005): the
// stories of each output, in that order, in pages of the output's limit,
// reachable from the current feed by its prev-archive link.
type ArchiveSource interface {
	EntriesAfter(ctx context.Context, seq int64, limit int) ([]Archived, error)
}

// Archived is an entry and the creation order of its story.
type Archived struct {
	Seq   int64
	Entry aggregator.Entry
}

// archive is what a Publisher remembers of one output's archive: a complete
// page is rendered once and then kept (only the newest gains its
// next-archive link when the page after it completes), so archive pages do
// not change.
type archive struct {
	size    int   // entries in a page
	lastSeq int64 // the last story looked at
	pending []aggregator.Entry
	pages   []*File            // pages[k-1] is page k
	newest  []aggregator.Entry // the entries of the newest page
}

// archiveBatch is how many stories are read at a time to extend archives.
const archiveBatch = 500

// archivePath is the path of page k of an output's archive.
func (p *Publisher) archivePath(o Output, k int) string {
	return p.FeedDir + o.Name + "/archive/" + strconv.Itoa(k) + ".atom"
}

// updateArchive adds the stories created since the last build to an
// output's archive, rendering the pages they complete.
func (p *Publisher) updateArchive(ctx context.Context, src ArchiveSource, o Output, size int) (*archive, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.archives == nil {
		p.archives = map[string]*archive{}
	}
	a := p.archives[o.Name]
	if a == nil || a.size != size {
		a = &archive{size: size}
		p.archives[o.Name] = a
	}
	for {
		batch, err := src.EntriesAfter(ctx, a.lastSeq, archiveBatch)
		if err != nil {
			return nil, err
		}
		for _, x := range batch {
			a.lastSeq = x.Seq
			if o.Keep != nil && !o.Keep(x.Entry) {
				continue
			}
			a.pending = append(a.pending, x.Entry)
			if len(a.pending) == size {
				if err := p.completePage(o, a); err != nil {
					return nil, err
				}
			}
		}
		if len(batch) < archiveBatch {
			return a, nil
		}
	}
}

// completePage turns the pending entries into the next archive page, and
// links the page before it forward to it.
func (p *Publisher) completePage(o Output, a *archive) error {
	k := len(a.pages) + 1
	if k > 1 {
		prev, err := p.renderArchivePage(o, a.newest, k-1, true)
		if err != nil {
			return err
		}
		a.pages[k-2] = prev
	}
	page, err := p.renderArchivePage(o, a.pending, k, false)
	if err != nil {
		return err
	}
	a.pages = append(a.pages, page)
	a.newest, a.pending = a.pending, nil
	return nil
}

func (p *Publisher) renderArchivePage(o Output, entries []aggregator.Entry, k int, hasNext bool) (*File, error) {
	url := func(k int) string { return p.BaseURL.JoinPath(p.archivePath(o, k)).String() }
	page := atomPage{current: p.BaseURL.JoinPath(p.FeedDir + o.Name + ".atom").String()}
	if k > 1 {
		page.prevArchive = url(k - 1)
	}
	if hasNext {
		page.nextArchive = url(k + 1)
	}
	newestFirst := slices.Clone(entries)
	slices.Reverse(newestFirst)
	body, err := atomDocument(o, newestFirst, url(k), p.BaseURL.String(), page)
	if err != nil {
		return nil, fmt.Errorf("archive %s page %d: %w", o.Name, k, err)
	}
	var mod time.Time
	for _, e := range entries {
		if e.Updated.After(mod) {
			mod = e.Updated
		}
	}
	return newFile(body, "application/atom+xml; charset=utf-8", mod), nil
}
