package publish

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"aggregator"
)

// ArchiveSource gives entries in the order their stories were created. An
// EntrySource that is also an ArchiveSource gets archives (RFC 5005): the
// stories of each output, in that order, in pages of the output's limit,
// reachable from the current feed by its prev-archive link. The stories
// after the last complete page are in the current feed.
type ArchiveSource interface {
	EntriesAfter(ctx context.Context, seq int64, limit int) ([]Archived, error)
}

// SeqLister lists the stories created after seq, in order, without reading
// them: an ArchiveSource that is also a SeqLister has the archives of
// unfiltered outputs extended without reading every story.
type SeqLister interface {
	SeqsAfter(ctx context.Context, seq int64, limit int) ([]int64, error)
}

// PageSource gives the entries of archive pages: an ArchiveSource that is
// also a PageSource has its pages rendered from these, read in one go for
// each page, which may carry a story's summary rather than its full text.
// The current feed, and the choice of a filtered output's stories, still
// see the entries of EntriesAfter.
type PageSource interface {
	// PageEntries returns the entries of the stories seqs (ascending), in
	// that order; a story no longer stored is left out.
	PageEntries(ctx context.Context, seqs []int64) ([]aggregator.Entry, error)
}

// ArchiveMemory keeps what the archives hold across processes, so that a
// new process (a --once run, a restarted daemon) reads only the stories
// created since, and writes only the pages that changed. An ArchiveSource
// that is also an ArchiveMemory gets that.
type ArchiveMemory interface {
	// LoadArchive returns what SaveArchive saved under name, or nil.
	LoadArchive(ctx context.Context, name string) ([]byte, error)
	SaveArchive(ctx context.Context, name string, state []byte) error
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
	filter  string  // Output.Filter the members were chosen by
	lastSeq int64   // the last story looked at
	members []int64 // the stories the output kept, in creation order: page k is members[(k-1)*size : k*size]
	written int     // complete pages when the state was last saved
}

// archiveState is an archive as ArchiveMemory keeps it: members as runs of
// consecutive stories, [first, last], which an unfiltered output has few of.
type archiveState struct {
	Size    int        `json:"size"`
	Filter  string     `json:"filter"`
	LastSeq int64      `json:"last_seq"`
	Runs    [][2]int64 `json:"runs"`
}

func (a *archive) state() archiveState {
	st := archiveState{Size: a.size, Filter: a.filter, LastSeq: a.lastSeq, Runs: [][2]int64{}}
	for _, seq := range a.members {
		if n := len(st.Runs); n > 0 && st.Runs[n-1][1] == seq-1 {
			st.Runs[n-1][1] = seq
		} else {
			st.Runs = append(st.Runs, [2]int64{seq, seq})
		}
	}
	return st
}

// loadArchive returns the archive mem kept for o, or nil when it kept none
// or one of another page size or filter.
func loadArchive(ctx context.Context, mem ArchiveMemory, key string, o Output, size int) (*archive, error) {
	data, err := mem.LoadArchive(ctx, key)
	if err != nil || data == nil {
		return nil, err
	}
	var st archiveState
	if err := json.Unmarshal(data, &st); err != nil || st.Size != size || st.Filter != o.Filter {
		return nil, nil // unreadable or outdated: rebuilt from the store
	}
	a := &archive{size: size, filter: o.Filter, lastSeq: st.LastSeq}
	for _, r := range st.Runs {
		for seq := r[0]; seq <= r[1]; seq++ {
			a.members = append(a.members, seq)
		}
	}
	a.written = len(a.members) / size
	return a, nil
}

// archiveBatch is how many stories are read at a time to extend archives.
const archiveBatch = 500

// archivePath is the path of page k of an output's archive.
func (p *Publisher) archivePath(o Output, k int) string {
	return p.FeedDir + o.Name + "/archive/" + strconv.Itoa(k) + ".atom"
}

// updateArchive adds the stories created since the last build to an
// output's archive and returns its members: those of its complete pages,
// then those of the page not yet complete (fewer than size). It also
// returns how many pages were complete at the last build that saved the
// archive (0 when none did): the pages after those are new, and the last of
// those gains its next-archive link.
func (p *Publisher) updateArchive(ctx context.Context, src ArchiveSource, o Output, size int) (members []int64, written int, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.archives == nil {
		p.archives = map[string]*archive{}
	}
	mem, _ := src.(ArchiveMemory)
	// The daemon's archives and the files of --once runs sharing a store
	// are kept apart: each knows which pages it has rendered.
	key := p.FeedDir + o.Name
	a := p.archives[o.Name]
	if a == nil || a.size != size || a.filter != o.Filter {
		a = nil
		if mem != nil {
			if a, err = loadArchive(ctx, mem, key, o, size); err != nil {
				return nil, 0, err
			}
		}
		if a == nil {
			a = &archive{size: size, filter: o.Filter}
		}
		p.archives[o.Name] = a
	}
	defer func() {
		if err != nil || mem == nil || len(members)/size == a.written {
			return
		}
		data, jerr := json.Marshal(a.state())
		if jerr != nil {
			err = jerr
			return
		}
		if err = mem.SaveArchive(ctx, key, data); err == nil {
			a.written = len(members) / size
		}
	}()
	written = a.written
	all := func() []int64 {
		// Members are only ever appended: the slice stays valid for the
		// pages rendered from it later.
		n := len(a.members)
		return a.members[:n:n]
	}
	if lister, ok := src.(SeqLister); ok && o.Keep == nil {
		for {
			seqs, err := lister.SeqsAfter(ctx, a.lastSeq, archiveBatch)
			if err != nil {
				return nil, 0, err
			}
			if len(seqs) > 0 {
				a.members = append(a.members, seqs...)
				a.lastSeq = seqs[len(seqs)-1]
			}
			if len(seqs) < archiveBatch {
				return all(), written, nil
			}
		}
	}
	for {
		batch, err := src.EntriesAfter(ctx, a.lastSeq, archiveBatch)
		if err != nil {
			return nil, 0, err
		}
		for _, x := range batch {
			a.lastSeq = x.Seq
			if o.Keep == nil || o.Keep(x.Entry) {
				a.members = append(a.members, x.Seq)
			}
		}
		if len(batch) < archiveBatch {
			return all(), written, nil
		}
	}
}

// archivePages adds the pages of an output's archive to site, to be
// rendered when asked for; members are those of its complete pages, and
// pages after written are new since the archive was last saved (and page
// written gains its next-archive link).
func (p *Publisher) archivePages(site *Site, src ArchiveSource, o Output, size int, members []int64, written int) {
	read := func(ctx context.Context, seqs []int64) ([]aggregator.Entry, error) {
		return archiveEntries(ctx, src, seqs)
	}
	if ps, ok := src.(PageSource); ok {
		read = ps.PageEntries
	}
	n := len(members) / size
	for k := 1; k <= n; k++ {
		path := p.archivePath(o, k)
		if k > written || k == written && n > written {
			site.Changed[path] = true
		}
		site.Lazy[path] = func(ctx context.Context) (*File, error) {
			entries, err := read(ctx, members[(k-1)*size:k*size])
			if err != nil {
				return nil, fmt.Errorf("archive %s page %d: %w", o.Name, k, err)
			}
			return p.renderArchivePage(o, entries, k, k < n)
		}
	}
}

// archiveEntries reads the entries of the stories seqs (ascending) from src.
// A story the store no longer holds is left out. Stories far apart, as a
// filtered output's can be, are read in separate runs rather than with every
// story between them.
func archiveEntries(ctx context.Context, src ArchiveSource, seqs []int64) ([]aggregator.Entry, error) {
	entries := make([]aggregator.Entry, 0, len(seqs))
	for len(seqs) > 0 {
		end := 0 // seqs[:end+1] is the next run
		for end+1 < len(seqs) && seqs[end+1]-seqs[end] <= archiveGap && seqs[end+1]-seqs[0] < archiveBatch {
			end++
		}
		after := seqs[0] - 1
		batch, err := src.EntriesAfter(ctx, after, int(seqs[end]-after))
		if err != nil {
			return nil, err
		}
		if len(batch) == 0 {
			break // the rest are gone from the store
		}
		for _, x := range batch {
			for len(seqs) > 0 && seqs[0] < x.Seq {
				seqs = seqs[1:] // gone from the store
			}
			if len(seqs) > 0 && seqs[0] == x.Seq {
				entries = append(entries, x.Entry)
				seqs = seqs[1:]
			}
		}
	}
	return entries, nil
}

// archiveGap is how many stories apart two that archiveEntries wants can be
// and still be read in one run.
const archiveGap = 8

// renderArchivePage renders page k of an output's archive from the entries
// of its stories as stored, oldest first: it sanitises their HTML, without
// keeping it (see sanitizer.sanitize).
func (p *Publisher) renderArchivePage(o Output, entries []aggregator.Entry, k int, hasNext bool) (*File, error) {
	entries = p.clean.sanitize(entries, false)
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
	return newFile(body, "application/atom+xml; charset=utf-8", newestUpdate(entries)), nil
}
