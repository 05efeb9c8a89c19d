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

// archive is what a Publisher remembers of one output's archive: which
// stories it holds, in pages of size. Pages are rendered when asked for
// (see Site.Lazy), not kept: an archive grows with the store's history.
// A page holds the same stories for good, and only the newest complete page
// changes, gaining its next-archive link when the page after it completes.
type archive struct {
	size    int     // entries in a page
	lastSeq int64   // the last story looked at
	members []int64 // the stories the output kept, in creation order: page k is members[(k-1)*size : k*size]
}

// archiveBatch is how many stories are read at a time to extend archives.
const archiveBatch = 500

// archivePath is the path of page k of an output's archive.
func (p *Publisher) archivePath(o Output, k int) string {
	return p.FeedDir + o.Name + "/archive/" + strconv.Itoa(k) + ".atom"
}

// updateArchive adds the stories created since the last build to an
// output's archive and returns the members of its complete pages.
func (p *Publisher) updateArchive(ctx context.Context, src ArchiveSource, o Output, size int) ([]int64, error) {
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
			if o.Keep == nil || o.Keep(x.Entry) {
				a.members = append(a.members, x.Seq)
			}
		}
		if len(batch) < archiveBatch {
			// Members are only ever appended: the slice stays valid for
			// the pages rendered from it later.
			complete := len(a.members) / size * size
			return a.members[:complete:complete], nil
		}
	}
}

// archivePages returns the pages of an output's archive, to be rendered
// when asked for; members are those of its complete pages.
func (p *Publisher) archivePages(src ArchiveSource, o Output, size int, members []int64) map[string]LazyFile {
	n := len(members) / size
	pages := make(map[string]LazyFile, n)
	for k := 1; k <= n; k++ {
		pages[p.archivePath(o, k)] = func(ctx context.Context) (*File, error) {
			entries, err := archiveEntries(ctx, src, members[(k-1)*size:k*size])
			if err != nil {
				return nil, fmt.Errorf("archive %s page %d: %w", o.Name, k, err)
			}
			return p.renderArchivePage(o, entries, k, k < n)
		}
	}
	return pages
}

// archiveEntries reads the entries of the stories seqs (ascending) from src.
// A story the store no longer holds is left out.
func archiveEntries(ctx context.Context, src ArchiveSource, seqs []int64) ([]aggregator.Entry, error) {
	entries := make([]aggregator.Entry, 0, len(seqs))
	after := seqs[0] - 1
	for len(seqs) > 0 {
		batch, err := src.EntriesAfter(ctx, after, int(min(archiveBatch, seqs[len(seqs)-1]-after)))
		if err != nil {
			return nil, err
		}
		for _, x := range batch {
			after = x.Seq
			for len(seqs) > 0 && seqs[0] < x.Seq {
				seqs = seqs[1:] // gone from the store
			}
			if len(seqs) > 0 && seqs[0] == x.Seq {
				entries = append(entries, x.Entry)
				seqs = seqs[1:]
			}
		}
		if len(batch) == 0 {
			break
		}
	}
	return entries, nil
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
