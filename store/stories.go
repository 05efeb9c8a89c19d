package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"aggregator"
)

// Stories returns the newest limit stories (by their earliest article),
// newest first, each with its articles in the order they joined and the feeds
// that carried each (its origin first).
func (s *Store) Stories(ctx context.Context, limit int) ([]aggregator.Story, error) {
	return s.StoriesPage(ctx, 0, limit)
}

// StoriesPage is Stories after skipping the newest offset stories.
func (s *Store) StoriesPage(ctx context.Context, offset, limit int) ([]aggregator.Story, error) {
	stories, err := s.stories(ctx, `SELECT id, seq, follows FROM stories ORDER BY published DESC, id LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, err
	}
	// Newest first, as the stories table orders them.
	published := func(st aggregator.Story) time.Time {
		t := st.Members[0].Item.Published
		for _, m := range st.Members[1:] {
			if m.Item.Published.Before(t) {
				t = m.Item.Published
			}
		}
		return t
	}
	slices.SortStableFunc(stories, func(a, b aggregator.Story) int {
		if c := published(b).Compare(published(a)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return stories, nil
}

// StoriesAfter returns up to limit stories created after the story with
// sequence number seq, oldest first: a story's Seq never changes, and new
// stories always get larger ones.
func (s *Store) StoriesAfter(ctx context.Context, seq int64, limit int) ([]aggregator.Story, error) {
	stories, err := s.stories(ctx, `SELECT id, seq, follows FROM stories WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(stories, func(a, b aggregator.Story) int { return cmp.Compare(a.Seq, b.Seq) })
	return stories, nil
}

// StoryBriefs returns the stories with the sequence numbers seqs, in
// creation order, for archive pages, which carry each story's summary: an
// article that has a Summary comes without its Content, unless its story has
// several articles (which of them heads the story weighs the length of their
// text). An article without a summary keeps its content. Stories the store
// no longer holds are left out.
func (s *Store) StoryBriefs(ctx context.Context, seqs []int64) ([]aggregator.Story, error) {
	var out []aggregator.Story
	for chunk := range slices.Chunk(seqs, sourcesChunk) {
		in, args := idList(chunk)
		stories, err := s.storiesOf(ctx, true, `SELECT id, seq, follows FROM stories WHERE seq IN (`+in+`)`, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, stories...)
	}
	slices.SortFunc(out, func(a, b aggregator.Story) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

// StoriesByID returns the stored stories among ids, in no particular order;
// ids the store does not have are left out.
func (s *Store) StoriesByID(ctx context.Context, ids []string) ([]aggregator.Story, error) {
	var out []aggregator.Story
	for chunk := range slices.Chunk(ids, sourcesChunk) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		stories, err := s.stories(ctx, `SELECT id, seq, follows FROM stories WHERE id IN (?`+strings.Repeat(",?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, stories...)
	}
	return out, nil
}

// StoriesFollowing returns the stories that follow the story id: its later
// developments, in the order they were created.
func (s *Store) StoriesFollowing(ctx context.Context, id string) ([]aggregator.Story, error) {
	stories, err := s.stories(ctx, `SELECT id, seq, follows FROM stories WHERE follows = ?`, id)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(stories, func(a, b aggregator.Story) int { return cmp.Compare(a.Seq, b.Seq) })
	return stories, nil
}

// StorySeqsAfter returns the sequence numbers of up to limit stories created
// after the story with sequence number seq, in creation order: StoriesAfter
// without the stories.
func (s *Store) StorySeqsAfter(ctx context.Context, seq int64, limit int) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq FROM stories WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit)
	if err != nil {
		return nil, fmt.Errorf("list stories: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("list stories: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list stories: %w", err)
	}
	return out, nil
}

// stories loads the stories whose ids a query selects, newest first.
func (s *Store) stories(ctx context.Context, idQuery string, args ...any) ([]aggregator.Story, error) {
	return s.storiesOf(ctx, false, idQuery, args...)
}

// storiesOf is stories, which with brief leaves out the content of the
// articles that have a summary in stories of one article (see
// StoryBriefs): what is not read costs nothing, and a story's text is
// most of what it stores.
func (s *Store) storiesOf(ctx context.Context, brief bool, idQuery string, args ...any) ([]aggregator.Story, error) {
	content := "i.content"
	if brief {
		// length, not = '': an empty body is an empty blob (see encodeBody),
		// which SQLite does not take for equal to the empty text.
		content = "CASE WHEN length(i.summary) = 0 THEN i.content ELSE NULL END"
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT st.seq, st.follows, i.id, i.story_id, i.entry_id, i.guid, i.link, i.title, i.summary, `+content+`, i.author, i.categories,
			i.tags, i.published, i.updated, i.first_seen
		FROM (`+idQuery+`) st
		JOIN items i ON i.story_id = st.id
		ORDER BY i.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list stories: %w", err)
	}
	defer rows.Close()
	type place struct{ story, member int }
	var (
		stories []aggregator.Story
		ids     []int64
	)
	byStory := map[string]int{}
	byItem := map[int64]place{}
	for rows.Next() {
		var (
			seq, id             int64
			storyID, follows    string
			m                   aggregator.Member
			cats, tags          string
			pub, upd, firstSeen int64
			summary, content    sql.RawBytes
		)
		if err := rows.Scan(&seq, &follows, &id, &storyID, &m.EntryID, &m.Item.GUID, &m.Item.Link, &m.Item.Title, &summary,
			&content, &m.Item.Author, &cats, &tags, &pub, &upd, &firstSeen); err != nil {
			return nil, fmt.Errorf("list stories: %w", err)
		}
		if err := decodeBodies(summary, content, &m.Item.Summary, &m.Item.Content); err != nil {
			return nil, fmt.Errorf("list stories: %s: %w", m.EntryID, err)
		}
		if err := json.Unmarshal([]byte(cats), &m.Item.Categories); err != nil {
			return nil, fmt.Errorf("list stories: categories of %s: %w", m.EntryID, err)
		}
		if tags != "[]" {
			if err := json.Unmarshal([]byte(tags), &m.Item.Tags); err != nil {
				return nil, fmt.Errorf("list stories: tags of %s: %w", m.EntryID, err)
			}
		}
		m.Item.Published, m.Item.Updated, m.FirstSeen = fromUnix(pub), fromUnix(upd), fromUnix(firstSeen)
		si, ok := byStory[storyID]
		if !ok {
			si = len(stories)
			byStory[storyID] = si
			stories = append(stories, aggregator.Story{ID: storyID, Seq: seq, Follows: follows})
		}
		byItem[id] = place{si, len(stories[si].Members)}
		stories[si].Members = append(stories[si].Members, m)
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list stories: %w", err)
	}
	if len(ids) == 0 {
		return stories, nil
	}
	if brief {
		// The articles of stories of several: the text of each.
		var want []int64
		for id, p := range byItem {
			if m := stories[p.story].Members[p.member]; len(stories[p.story].Members) > 1 && m.Item.Content == "" && m.Item.Summary != "" {
				want = append(want, id)
			}
		}
		slices.Sort(want)
		for chunk := range slices.Chunk(want, sourcesChunk) {
			if err := s.itemContents(ctx, chunk, func(itemID int64, content string) {
				p := byItem[itemID]
				stories[p.story].Members[p.member].Item.Content = content
			}); err != nil {
				return nil, err
			}
		}
	}
	// In chunks: SQLite takes at most 32,766 parameters in a statement, and
	// a story can have more members than that.
	for chunk := range slices.Chunk(ids, sourcesChunk) {
		if err := s.storySources(ctx, chunk, func(itemID int64, src aggregator.Source) {
			p := byItem[itemID]
			m := &stories[p.story].Members[p.member]
			m.Sources = append(m.Sources, src)
		}); err != nil {
			return nil, err
		}
	}
	return stories, s.relabel(ctx, stories)
}

// itemContents calls fn with the content of each of the items ids.
func (s *Store) itemContents(ctx context.Context, ids []int64, fn func(itemID int64, content string)) error {
	in, args := idList(ids)
	rows, err := s.db.QueryContext(ctx, `SELECT id, content FROM items WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return fmt.Errorf("list stories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id      int64
			content sql.RawBytes
		)
		if err := rows.Scan(&id, &content); err != nil {
			return fmt.Errorf("list stories: %w", err)
		}
		text, err := decodeBody(content)
		if err != nil {
			return fmt.Errorf("list stories: content of item %d: %w", id, err)
		}
		fn(id, text)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list stories: %w", err)
	}
	return nil
}

// sourcesChunk is how many items storySources looks up in one statement.
var sourcesChunk = 500

// storySources calls fn with each feed that carried one of the items ids:
// per item, its origin first, then the others in the order they joined.
func (s *Store) storySources(ctx context.Context, ids []int64, fn func(itemID int64, src aggregator.Source)) error {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, `
		SELECT s.item_id, s.link, f.id, f.url, f.name, f.title, f.site_url, f.atom_id, f.language
		FROM item_sources s JOIN feeds f ON f.id = s.feed_id JOIN items i ON i.id = s.item_id
		WHERE s.item_id IN (?`+strings.Repeat(",?", len(ids)-1)+`)
		ORDER BY s.item_id, s.feed_id != i.feed_id, s.first_seen, f.url`, args...)
	if err != nil {
		return fmt.Errorf("list story sources: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			itemID int64
			src    aggregator.Source
		)
		if err := rows.Scan(&itemID, &src.Link, &src.Feed.ID, &src.Feed.URL, &src.Feed.Name, &src.Feed.Title,
			&src.Feed.SiteURL, &src.Feed.AtomID, &src.Feed.Language); err != nil {
			return fmt.Errorf("list story sources: %w", err)
		}
		fn(itemID, src)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list story sources: %w", err)
	}
	return nil
}

// Stored is an article as it was stored, for replaying into a clusterer.
type Stored struct {
	EntryID string
	StoryID string
	Cluster string          // the clusterer's own story of it (see Placed)
	Source  string          // URL of the article's origin feed
	Item    aggregator.Item // Published and Updated are its entry times
}

// Replay calls fn for every article published at or after since, in the order
// they were stored.
func (s *Store) Replay(ctx context.Context, since time.Time, fn func(Stored) error) error {
	return s.replay(ctx, `i.published >= ?`, `i.id`, since, fn)
}

// ReplayPlaced calls fn for every article published at or after since that
// was placed in a story (see Place), in the order they were placed: the
// order a clusterer saw them in, so that it can be brought back to where it
// was.
func (s *Store) ReplayPlaced(ctx context.Context, since time.Time, fn func(Stored) error) error {
	return s.replay(ctx, `i.published >= ? AND i.placed > 0`, `i.placed`, since, fn)
}

// Unplaced calls fn for every article published at or after since that
// was stored but not placed in a story (a run stopped between storing and
// placing it, or stories were off), in the order they were stored.
func (s *Store) Unplaced(ctx context.Context, since time.Time, fn func(Stored) error) error {
	return s.replay(ctx, `i.published >= ? AND i.placed = 0`, `i.id`, since, fn)
}

// replayChunk is how many articles replay reads in one statement.
var replayChunk = 256

// replay calls fn for every article that where selects (since its one
// argument), in the order of the integer column order. It reads their ids
// first, from an index (items_window), and sorts them, then the articles a
// chunk of ids at a time: sorting the whole articles, the window's text,
// made SQLite write a temporary file as large as the window and read it
// back, and reading the table in order to spare the sort read every
// article. One read-only transaction holds the store as it was at the
// start.
func (s *Store) replay(ctx context.Context, where, order string, since time.Time, fn func(Stored) error) error {
	return s.withTx(ctx, "replay", &sql.TxOptions{ReadOnly: true}, func(tx *prepared) error {
		// Without ORDER BY, which SQLite would rather satisfy by reading
		// the table in its order than sort.
		rows, err := tx.query(ctx, `SELECT i.id, `+order+` FROM items i WHERE `+where, since.Unix())
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		type article struct{ id, order int64 }
		var window []article
		for rows.Next() {
			var a article
			if err := rows.Scan(&a.id, &a.order); err != nil {
				rows.Close()
				return fmt.Errorf("replay: %w", err)
			}
			window = append(window, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		slices.SortFunc(window, func(a, b article) int { return cmp.Or(cmp.Compare(a.order, b.order), cmp.Compare(a.id, b.id)) })
		ids := make([]any, len(window))
		for i, a := range window {
			ids[i] = a.id
		}
		for chunk := range slices.Chunk(ids, replayChunk) {
			if err := replayChunkOf(ctx, tx, chunk, order, fn); err != nil {
				return err
			}
		}
		return errRollback
	})
}

// replayChunkOf calls fn for each article of the ids, in the order of the
// column order.
func replayChunkOf(ctx context.Context, tx *prepared, ids []any, order string, fn func(Stored) error) error {
	rows, err := tx.query(ctx, `
		SELECT i.entry_id, i.story_id, i.cluster_id, f.url, i.title, i.summary, i.content, i.link, i.published, i.updated
		FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.id IN (?`+strings.Repeat(",?", len(ids)-1)+`)
		ORDER BY `+order, ids...)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			st               Stored
			pub, upd         int64
			summary, content sql.RawBytes
		)
		if err := rows.Scan(&st.EntryID, &st.StoryID, &st.Cluster, &st.Source, &st.Item.Title, &summary, &content, &st.Item.Link,
			&pub, &upd); err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		if err := decodeBodies(summary, content, &st.Item.Summary, &st.Item.Content); err != nil {
			return fmt.Errorf("replay: %s: %w", st.EntryID, err)
		}
		st.Item.Published, st.Item.Updated = fromUnix(pub), fromUnix(upd)
		if err := fn(st); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	return nil
}

// LastPlaced returns the publication time of the newest article placed in a
// story: the clusterer's present, as far as the store knows it. It is zero
// when no article was placed.
func (s *Store) LastPlaced(ctx context.Context) (time.Time, error) {
	var pub int64
	err := s.db.QueryRowContext(ctx, `SELECT published FROM items WHERE placed > 0 ORDER BY published DESC LIMIT 1`).Scan(&pub)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("last placed: %w", err)
	}
	return fromUnix(pub), nil
}

// StoryCount reports how many stories are stored.
func (s *Store) StoryCount(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM stories`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count stories: %w", err)
	}
	return n, nil
}

// ErrNotFound is returned when the store has no such item.
var ErrNotFound = errors.New("not found")

// Placement is a stored story and how each of its articles came into it.
type Placement struct {
	Story aggregator.Story
	// Scores are, by member, how close each was to the story it joined
	// when it joined; 1 for one that started a story (see Clusters).
	Scores []float64
	// Clusters are, by member, the clusterer's own story it was placed in
	// (see Placed.Cluster), whose id is that of the article that started
	// it; "" for an article not placed yet. A member whose cluster is its
	// own began a story: this one, or one merged into it later.
	Clusters []string
	Index    int // the member asked about
}

// StoryOf returns the story of the article with the given dedup key, or
// failing that, the given link.
func (s *Store) StoryOf(ctx context.Context, key, link string) (Placement, error) {
	var storyID, entryID string
	err := s.db.QueryRowContext(ctx, `
		SELECT story_id, entry_id FROM items WHERE key = ?
		UNION ALL SELECT story_id, entry_id FROM items WHERE link = ?
		LIMIT 1`, key, link).Scan(&storyID, &entryID)
	if errors.Is(err, sql.ErrNoRows) {
		return Placement{}, fmt.Errorf("story of %s: %w", link, ErrNotFound)
	}
	if err != nil {
		return Placement{}, fmt.Errorf("story of %s: %w", link, err)
	}
	stories, err := s.stories(ctx, `SELECT id, seq, follows FROM stories WHERE id = ?`, storyID)
	if err != nil || len(stories) == 0 {
		return Placement{}, fmt.Errorf("story of %s: %w", link, errors.Join(err, ErrNotFound))
	}
	p := Placement{Story: stories[0]}
	rows, err := s.db.QueryContext(ctx, `SELECT entry_id, story_score, cluster_id FROM items WHERE story_id = ? ORDER BY id`, storyID)
	if err != nil {
		return Placement{}, fmt.Errorf("story of %s: %w", link, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, cluster string
			score       float64
		)
		if err := rows.Scan(&id, &score, &cluster); err != nil {
			return Placement{}, fmt.Errorf("story of %s: %w", link, err)
		}
		if id == entryID {
			p.Index = len(p.Scores)
		}
		p.Scores = append(p.Scores, score)
		p.Clusters = append(p.Clusters, cluster)
	}
	return p, rows.Err()
}

// Placed is where the clusterer placed an article.
type Placed struct {
	EntryID string // the article
	StoryID string // its story as published: its own entry id when it started one
	// Cluster is the clusterer's own story of the article, which differs
	// from StoryID once stories were merged; "" for StoryID.
	Cluster string
	Score   float64 // how close it was to the story (when it joined one)
	// Follows is, for an article that started a story, the story that
	// one develops ("" for none).
	Follows string
	// Merges are stories found to be the same event as StoryID: their
	// articles move into it, and the stories that followed them follow it.
	Merges []string
}

// Place records, in one transaction, where articles were placed, in the
// order given, which is the order the clusterer saw them in (ReplayPlaced
// replays them in it). An article stored as a story of its own that joined
// another moves into it, and so do the articles of stories merged into it.
func (s *Store) Place(ctx context.Context, placed []Placed) error {
	return s.PlaceIn(ctx, 0, placed)
}

// PlaceIn is Place by the leader of term (see Leader), which fails with
// ErrNotLeader once another instance leads; term 0 places unfenced.
func (s *Store) PlaceIn(ctx context.Context, term int64, placed []Placed) error {
	if len(placed) == 0 {
		return nil
	}
	return s.withTx(ctx, "place", nil, func(tx *prepared) error {
		if err := checkTerm(ctx, tx, term); err != nil {
			return err
		}
		var seq int64
		if err := tx.queryRow(ctx, `SELECT coalesce(max(placed), 0) FROM items`, nil, &seq); err != nil {
			return fmt.Errorf("place: %w", err)
		}
		for _, p := range placed {
			var (
				old           string
				id, published int64
			)
			err := tx.queryRow(ctx, `SELECT id, story_id, published FROM items WHERE entry_id = ?`, []any{p.EntryID},
				&id, &old, &published)
			found, err := rowFound(err)
			if err != nil {
				return fmt.Errorf("place %s: %w", p.EntryID, err)
			}
			if !found {
				continue // pruned meanwhile
			}
			seq++
			type query struct {
				sql  string
				args []any
			}
			queries := []query{{`UPDATE items SET placed = ?, cluster_id = ? WHERE id = ?`, []any{seq, cmp.Or(p.Cluster, p.StoryID), id}}}
			if old != p.StoryID {
				queries = append(queries,
					query{`UPDATE items SET story_id = ?, story_score = ? WHERE id = ?`, []any{p.StoryID, p.Score, id}},
					query{`UPDATE stories SET members = members - 1 WHERE id = ?`, []any{old}},
					query{`DELETE FROM stories WHERE id = ? AND members <= 0`, []any{old}},
					query{`INSERT INTO stories (id, published, members, seq) VALUES (?, ?, 1, ?)
					  ON CONFLICT (id) DO UPDATE SET published = ` + tx.d.least + `(stories.published, excluded.published),
					  members = stories.members + 1`,
						[]any{p.StoryID, published, id}})
			}
			if p.Follows != "" {
				queries = append(queries, query{`UPDATE stories SET follows = ? WHERE id = ?`, []any{p.Follows, p.StoryID}})
			}
			for _, m := range p.Merges {
				if m == p.StoryID {
					continue
				}
				queries = append(queries,
					query{`UPDATE stories SET published = ` + tx.d.least + `(published, (SELECT published FROM stories WHERE id = ?)),
						members = members + (SELECT members FROM stories WHERE id = ?) WHERE id = ? AND EXISTS (SELECT 1 FROM stories WHERE id = ?)`,
						[]any{m, m, p.StoryID, m}},
					query{`UPDATE items SET story_id = ? WHERE story_id = ?`, []any{p.StoryID, m}},
					query{`DELETE FROM stories WHERE id = ?`, []any{m}},
					query{`UPDATE stories SET follows = ? WHERE follows = ? AND id != ?`, []any{p.StoryID, m, p.StoryID}},
					query{`UPDATE stories SET follows = '' WHERE id = ? AND follows = ?`, []any{p.StoryID, m}})
			}
			for _, q := range queries {
				if _, err := tx.exec(ctx, q.sql, q.args...); err != nil {
					return fmt.Errorf("place %s: %w", p.EntryID, err)
				}
			}
		}
		return nil
	})
}
