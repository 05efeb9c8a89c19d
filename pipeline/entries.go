package pipeline

import (
	"context"
	"maps"
	"slices"

	"aggregator"
	"aggregator/filter"
	"aggregator/publish"
	"aggregator/store"
	"aggregator/story"
)

// StoryEntries publishes the stored stories as entries, by Rule.
type StoryEntries struct {
	Store *store.Store
	Rule  aggregator.EntryRule
}

// storyPage is how many stories StoryEntries reads at a time while it looks
// for those an output keeps.
const storyPage = 200

// Entries returns the entries of the newest limit stories that keep accepts
// (all when keep is nil), newest first.
func (s StoryEntries) Entries(ctx context.Context, limit int, keep func(aggregator.Entry) bool) ([]aggregator.Entry, error) {
	var (
		entries []aggregator.Entry
		follows []string
	)
	for offset := 0; len(entries) < limit; offset += storyPage {
		page := storyPage
		if keep == nil {
			page = limit - len(entries)
		}
		stories, err := s.Store.StoriesPage(ctx, offset, page)
		if err != nil {
			return nil, err
		}
		for _, st := range stories {
			e := st.Entry(s.Rule)
			if keep == nil || keep(e) {
				entries = append(entries, e)
				follows = append(follows, st.Follows)
				if len(entries) == limit {
					break
				}
			}
		}
		if len(stories) < page {
			break
		}
	}
	return entries, s.storylines(ctx, entries, follows)
}

// Entry is the entry of one story, with its storyline.
func (s StoryEntries) Entry(ctx context.Context, st aggregator.Story) (aggregator.Entry, error) {
	entries := []aggregator.Entry{st.Entry(s.Rule)}
	err := s.storylines(ctx, entries, []string{st.Follows})
	return entries[0], err
}

// maxEarlier is how many earlier developments of its storyline an entry
// links: enough to follow a story back over a few days, few enough that a
// long saga does not bury the news under its history.
const maxEarlier = 3

// storylines fills each entry's Earlier: the story its story follows, the
// one that one follows, and so on, up to maxEarlier, with each headed as
// it is published. A story deleted by retention ends the line.
// follows[i] is the story entries[i]'s story follows. Developments among
// the entries are taken from them; only the others are read.
func (s StoryEntries) storylines(ctx context.Context, entries []aggregator.Entry, follows []string) error {
	heads := map[string]aggregator.Development{} // by story id
	next := map[string]string{}                  // the story each follows
	want := map[string]bool{}                    // the stories to read
	note := func(e aggregator.Entry, follows string) {
		heads[e.ID] = aggregator.Development{ID: e.ID, Title: e.Item.Title, Link: e.Item.Link, Published: e.Published}
		next[e.ID] = follows
		delete(want, e.ID)
	}
	wanted := func(f string) {
		if _, ok := heads[f]; f != "" && !ok {
			want[f] = true
		}
	}
	for i, e := range entries {
		note(e, follows[i])
	}
	for _, f := range follows {
		wanted(f)
	}
	for range maxEarlier {
		if len(want) == 0 {
			break
		}
		stories, err := s.Store.StoriesByID(ctx, slices.Sorted(maps.Keys(want)))
		if err != nil {
			return err
		}
		clear(want)
		for _, st := range stories {
			note(st.Entry(s.Rule), st.Follows)
		}
		for _, st := range stories {
			wanted(st.Follows)
		}
	}
	for i := range entries {
		seen := map[string]bool{entries[i].ID: true}
		for id := follows[i]; id != "" && !seen[id] && len(entries[i].Earlier) < maxEarlier; id = next[id] {
			d, ok := heads[id]
			if !ok {
				break
			}
			seen[id] = true
			entries[i].Earlier = append(entries[i].Earlier, d)
		}
	}
	return nil
}

// EntriesAfter returns the entries of up to limit stories created after the
// story with sequence number seq, oldest first, for archives.
func (s StoryEntries) EntriesAfter(ctx context.Context, seq int64, limit int) ([]publish.Archived, error) {
	stories, err := s.Store.StoriesAfter(ctx, seq, limit)
	if err != nil {
		return nil, err
	}
	entries, err := s.entriesOf(ctx, stories, false)
	if err != nil {
		return nil, err
	}
	out := make([]publish.Archived, len(stories))
	for i, st := range stories {
		out[i] = publish.Archived{Seq: st.Seq, Entry: entries[i]}
	}
	return out, nil
}

var _ publish.ArchiveSource = StoryEntries{}

// PageEntries returns the entries of the stories seqs for archive pages,
// which carry each story's summary rather than its full text: an entry
// whose article has a summary comes without its content (the full text of
// every story is most of what the store holds, and reading it back for
// every page was most of what writing a cold cycle's archives cost). An
// article without a summary keeps its content, so that no page entry is
// left without text.
func (s StoryEntries) PageEntries(ctx context.Context, seqs []int64) ([]aggregator.Entry, error) {
	stories, err := s.Store.StoryBriefs(ctx, seqs)
	if err != nil {
		return nil, err
	}
	return s.entriesOf(ctx, stories, true)
}

// entriesOf is the entry of each of stories, with its storyline; brief
// leaves out the content of an entry that has a summary.
func (s StoryEntries) entriesOf(ctx context.Context, stories []aggregator.Story, brief bool) ([]aggregator.Entry, error) {
	entries := make([]aggregator.Entry, len(stories))
	follows := make([]string, len(stories))
	for i, st := range stories {
		entries[i], follows[i] = st.Entry(s.Rule), st.Follows
		if brief && entries[i].Item.Summary != "" {
			entries[i].Item.Content = ""
		}
	}
	if err := s.storylines(ctx, entries, follows); err != nil {
		return nil, err
	}
	return entries, nil
}

var _ publish.PageSource = StoryEntries{}

// SeqsAfter is EntriesAfter without the entries.
func (s StoryEntries) SeqsAfter(ctx context.Context, seq int64, limit int) ([]int64, error) {
	return s.Store.StorySeqsAfter(ctx, seq, limit)
}

// LoadArchive and SaveArchive keep the archives' state in the store's
// settings, so that each run need not read every story again.
func (s StoryEntries) LoadArchive(ctx context.Context, name string) ([]byte, error) {
	v, err := s.Store.Setting(ctx, archiveSetting+name)
	if err != nil || v == "" {
		return nil, err
	}
	return []byte(v), nil
}

func (s StoryEntries) SaveArchive(ctx context.Context, name string, state []byte) error {
	return s.Store.SetSetting(ctx, archiveSetting+name, string(state))
}

const archiveSetting = "archive:"

var _ publish.ArchiveMemory = StoryEntries{}

// Subject is what an output's filter sees of an entry.
func Subject(e aggregator.Entry) filter.Subject {
	sub := filter.Subject{
		Title:     e.Item.Title,
		TextOf:    func() string { return story.StripHTML(e.Item.Summary + " " + e.Item.Content) },
		Lang:      e.Sources[0].Feed.Language,
		Published: e.Published,
	}
	for _, t := range e.Tags {
		sub.Tags = append(sub.Tags, t.Slug)
	}
	seen, known := map[string]bool{}, map[string]bool{}
	for _, src := range e.Sources {
		if name := src.Feed.DisplayName(); !seen[name] {
			seen[name] = true
			sub.Sources = append(sub.Sources, name)
		}
		if id := src.Feed.Identity(); !known[id] {
			known[id] = true
			sub.Feeds = append(sub.Feeds, id)
		}
	}
	return sub
}
