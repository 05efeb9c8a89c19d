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

// Keyed is an item with the keys the caller computed for it.
type Keyed struct {
	Key string // identifies the item across fetches and feeds
	// Hash changes exactly when the item's visible content changes. Hashes
	// are compared as they are, except that a stored hash of another scheme
	// (its text up to the first ':', "" for none) is replaced by this one
	// without counting as a change: a new way of hashing then costs no
	// spurious revisions.
	Hash string
	Item aggregator.Item
	// Prepare, when set, finishes Item just before the store writes it (as
	// a new item, or revised by its origin): costly work such as sanitising
	// and tagging is left to it, so that the items a feed repeats cost
	// nothing.
	Prepare func(*aggregator.Item)
}

// Fetched is the outcome of one fetch attempt of a feed.
type Fetched struct {
	State aggregator.FeedState // the feed's state after the attempt, stored as is
	Meta  *Meta                // what the feed says of itself; nil when it was not parsed
	// Items are the items of the document fetched. A Fetched with Meta or
	// Items stands for a parsed document of the feed: the tombstones of
	// pruned items that its documents leave out long enough go (see Prune).
	Items []Keyed
	// Assign, when set, is asked for the story of each new item (its entry id
	// and the item, with the entry times the store gave it), in order; it
	// returns the story's id and how close the item is to it. Without it, or
	// when it returns "", every item is a story of its own.
	Assign func(entryID string, it aggregator.Item) (storyID string, score float64)
	// Retold, when set, is called with each item this feed took over from
	// another (see SaveFetch) while it was not yet placed in a story (see
	// Place): its entry id and the item as now stored, with its entry
	// times, so that the story it joins is chosen by the text it now has.
	Retold func(entryID string, it aggregator.Item)
}

// Meta is what a feed says of itself.
type Meta struct {
	Title, SiteURL, AtomID, Language string
}

// SaveFetch records a fetch attempt (its state, and when the feed was parsed
// its metadata and items) in one transaction, and reports how many items were
// new and how many stored ones changed.
//
// An item is the stored item that this feed gave the same GUID before, else the
// stored item with the same key (from any feed); else, when such an item was
// pruned and its tombstone remains (see Prune), it stays out and is neither
// new nor changed; else it is new. A known item gains this feed as a source;
// its content changes only when this feed is its origin and the hash differs,
// or when this feed owns the item's link more firmly than its origin does
// (see aggregator.Feed.Owns): this feed then becomes its origin, and the
// item takes its text and publication date, whatever the order in which
// the feeds came. So a feed that lists another site's articles credits them, but
// never decides their text while a feed of that site carries them.
func (s *Store) SaveFetch(ctx context.Context, feedID int64, f Fetched) (added, changed int, err error) {
	saved, err := s.SaveFetches(ctx, []Save{{FeedID: feedID, Fetched: f}})
	if err != nil {
		return 0, 0, err
	}
	return saved[0].Added, saved[0].Changed, saved[0].Err
}

// Save is one feed's fetch attempt to record.
type Save struct {
	FeedID  int64
	Fetched Fetched
}

// Saved is what SaveFetches did with one Save.
type Saved struct {
	Added, Changed int
	Err            error // this save failed and left nothing behind
}

// SaveFetches records several fetch attempts, in order, as SaveFetch does,
// in one transaction: committing costs SQLite a write of every page the
// transaction touched, so a cycle's feeds share one commit instead of paying
// one each. Each save runs in a savepoint, so one that fails is undone alone
// and reported in its Saved; the error returned is for the transaction as a
// whole, and then nothing was stored.
func (s *Store) SaveFetches(ctx context.Context, saves []Save) ([]Saved, error) {
	now := s.now().UTC().Truncate(time.Second)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("save fetch: %w", err)
	}
	defer tx.Rollback()
	stmts := &prepared{tx: tx}
	defer stmts.close()

	out := make([]Saved, len(saves))
	for i, sv := range saves {
		if _, err := stmts.exec(ctx, `SAVEPOINT save_fetch`); err != nil {
			return nil, fmt.Errorf("save fetch: %w", err)
		}
		out[i].Added, out[i].Changed, out[i].Err = saveFetch(ctx, stmts, sv.FeedID, sv.Fetched, now)
		if out[i].Err != nil {
			if _, err := stmts.exec(ctx, `ROLLBACK TO save_fetch`); err != nil {
				return nil, fmt.Errorf("save fetch: %w", err)
			}
		}
		if _, err := stmts.exec(ctx, `RELEASE save_fetch`); err != nil {
			return nil, fmt.Errorf("save fetch: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("save fetch: %w", err)
	}
	return out, nil
}

// saveFetch is one save of SaveFetches.
func saveFetch(ctx context.Context, stmts *prepared, feedID int64, f Fetched, now time.Time) (added, changed int, err error) {
	var parsed int64
	if f.Meta != nil || len(f.Items) > 0 {
		parsed = now.Unix()
	}
	if err := saveState(ctx, stmts, feedID, f.State, parsed); err != nil {
		return 0, 0, fmt.Errorf("save fetch: %w", err)
	}
	if m := f.Meta; m != nil {
		_, err := stmts.exec(ctx, `UPDATE feeds SET title = ?, site_url = ?, atom_id = ?, language = ? WHERE id = ?`,
			m.Title, m.SiteURL, m.AtomID, m.Language, feedID)
		if err != nil {
			return 0, 0, fmt.Errorf("save fetch: %w", err)
		}
	}
	if len(f.Items) == 0 {
		return 0, 0, nil
	}
	feed, err := ownerOf(ctx, stmts, feedID)
	if err != nil {
		return 0, 0, fmt.Errorf("save fetch: %w", err)
	}
	for _, k := range f.Items {
		isNew, isChanged, err := saveItem(ctx, stmts, feed, k, now, f)
		if err != nil {
			return 0, 0, fmt.Errorf("save item %s: %w", k.Key, err)
		}
		if isNew {
			added++
		}
		if isChanged {
			changed++
		}
	}
	return added, changed, nil
}

// prepared caches the statements of one transaction: a feed of many items
// would otherwise have SQLite parse the same SQL again for every item.
type prepared struct {
	tx *sql.Tx
	m  map[string]*sql.Stmt
}

func (p *prepared) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := p.m[query]; ok {
		return st, nil
	}
	st, err := p.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if p.m == nil {
		p.m = map[string]*sql.Stmt{}
	}
	p.m[query] = st
	return st, nil
}

// row runs a prepared query for one row.
func (p *prepared) row(ctx context.Context, query string, args ...any) scanner {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// errRow is a row whose query could not be prepared.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func (p *prepared) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	return p.row(ctx, query, args...).Scan(dest...)
}

func (p *prepared) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (p *prepared) close() {
	for _, st := range p.m {
		st.Close()
	}
}

// stored is what the store holds of an item it was handed again: the item,
// or the tombstone of the item once it was pruned.
type stored struct {
	id, origin, updated int64 // of a tombstone: 0, its feed, its seen
	hash                string
	tomb                bool
	key                 string // of a tombstone: its key
}

// lookup finds the stored item that k is: the one this feed gave the same
// GUID before, else the one with the same key; else the tombstone of a
// pruned item that this feed gave the same GUID, else of one with the same
// key.
func lookup(ctx context.Context, tx *prepared, feedID int64, k Keyed) (st stored, found bool, err error) {
	if k.Item.GUID != "" {
		// "guid != ''" lets SQLite use the partial index on (feed_id, guid).
		err = tx.queryRow(ctx, `
			SELECT i.id, i.feed_id, i.content_hash, i.updated FROM item_sources s JOIN items i ON i.id = s.item_id
			WHERE s.feed_id = ? AND s.guid = ? AND s.guid != ''`, []any{feedID, k.Item.GUID}, &st.id, &st.origin, &st.hash, &st.updated)
		if found, err = scanned(err); found || err != nil {
			return st, found, err
		}
	}
	// The rest in one statement, each arm a lookup in an index, taken in
	// order until one finds a row: an item new to the store, the common
	// case of a lookup that gets here, costs no more statements than
	// before there were tombstones.
	err = tx.queryRow(ctx, `
		SELECT 0, id, feed_id, content_hash, updated, '' FROM items WHERE key = ?1
		UNION ALL
		SELECT 1, 0, feed_id, '', seen, key FROM tombstones WHERE feed_id = ?2 AND guid = ?3 AND guid != ''
		UNION ALL
		SELECT 1, 0, feed_id, '', seen, key FROM tombstones WHERE key = ?1
		LIMIT 1`, []any{k.Key, feedID, k.Item.GUID},
		&st.tomb, &st.id, &st.origin, &st.hash, &st.updated, &st.key)
	found, err = scanned(err)
	return st, found, err
}

// revised reports whether saving k over the stored item st rewrites its text.
func revised(st stored, feedID int64, k Keyed) bool {
	return !st.tomb && st.origin == feedID && st.hash != k.Hash && hashScheme(st.hash) == hashScheme(k.Hash)
}

// ownerOf is what the store knows of a feed that decides which links it
// owns (see aggregator.Feed.Owns); a feed it does not know owns none.
func ownerOf(ctx context.Context, tx *prepared, feedID int64) (aggregator.Feed, error) {
	f := aggregator.Feed{ID: feedID}
	err := tx.queryRow(ctx, `SELECT url, site_url FROM feeds WHERE id = ?`, []any{feedID}, &f.URL, &f.SiteURL)
	_, err = scanned(err)
	return f, err
}

// takesOver reports whether feed, saving k over the stored item st, takes
// it over from its origin, another feed: feed owns k's link more firmly
// than the origin does.
func takesOver(ctx context.Context, tx *prepared, feed aggregator.Feed, st stored, k Keyed) (bool, error) {
	if st.tomb || st.origin == feed.ID {
		return false, nil
	}
	own := feed.Owns(k.Item.Link)
	if own == aggregator.NotOwner {
		return false, nil
	}
	origin, err := ownerOf(ctx, tx, st.origin)
	if err != nil {
		return false, err
	}
	return own > origin.Owns(k.Item.Link), nil
}

// Unstored reports which of a feed's items saving them would write out
// (new items, items their origin revised, and items the feed takes over
// from their origin), as SaveFetch would find them now, by the site URL
// the store has for the feed: the caller can prepare just those before it
// saves, outside the write transaction. An item pruned earlier is not written while its
// tombstone remains (see Prune). Items stored or pruned meanwhile are still
// saved right: their Prepare runs when needed.
func (s *Store) Unstored(ctx context.Context, feedID int64, items []Keyed) ([]bool, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("look up items: %w", err)
	}
	defer tx.Rollback()
	stmts := &prepared{tx: tx}
	defer stmts.close()
	feed, err := ownerOf(ctx, stmts, feedID)
	if err != nil {
		return nil, fmt.Errorf("look up items: %w", err)
	}
	out := make([]bool, len(items))
	for i, k := range items {
		st, found, err := lookup(ctx, stmts, feedID, k)
		if err != nil {
			return nil, fmt.Errorf("look up item %s: %w", k.Key, err)
		}
		over, err := takesOver(ctx, stmts, feed, st, k)
		if err != nil {
			return nil, fmt.Errorf("look up item %s: %w", k.Key, err)
		}
		out[i] = !found || revised(st, feedID, k) || over
	}
	return out, nil
}

func saveItem(ctx context.Context, tx *prepared, feed aggregator.Feed, k Keyed, now time.Time, f Fetched) (isNew, isChanged bool, err error) {
	feedID := feed.ID
	st, found, err := lookup(ctx, tx, feedID, k)
	if err != nil {
		return false, false, err
	}
	if st.tomb {
		// Pruned, and still carried: it stays out. Its tombstone notes
		// that a document carried it, at most once per tombstoneRefresh.
		if st.updated < now.Add(-tombstoneRefresh).Unix() {
			_, err = tx.exec(ctx, `UPDATE tombstones SET seen = ? WHERE key = ? AND feed_id = ?`, now.Unix(), st.key, st.origin)
		}
		return false, false, err
	}
	itemID, hash, updated := st.id, st.hash, st.updated
	over := false
	if found {
		if over, err = takesOver(ctx, tx, feed, st, k); err != nil {
			return false, false, err
		}
	}

	it := k.Item
	encode := func() (cats, tags []byte, err error) {
		if k.Prepare != nil {
			k.Prepare(&it)
		}
		if cats, err = json.Marshal(nonNil(it.Categories)); err != nil {
			return nil, nil, err
		}
		if tags, err = json.Marshal(nonNil(it.Tags)); err != nil {
			return nil, nil, err
		}
		return cats, tags, labelTags(ctx, tx, it.Tags)
	}
	switch {
	case !found:
		cats, tags, err := encode()
		if err != nil {
			return false, false, err
		}
		published, upd := entryTimes(it, now)
		entryID := aggregator.EntryID(k.Key)
		storyID, score := entryID, 1.0
		if f.Assign != nil {
			placed := it
			placed.Published, placed.Updated = published, upd
			if id, sc := f.Assign(entryID, placed); id != "" {
				storyID, score = id, sc
			}
		}
		res, err := tx.exec(ctx, `
			INSERT INTO items (key, entry_id, feed_id, guid, link, title, summary, content, author, categories,
				published, updated, first_seen, content_hash, story_id, story_score, tags)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			k.Key, entryID, feedID, it.GUID, it.Link, it.Title, it.Summary, it.Content, it.Author,
			string(cats), published.Unix(), upd.Unix(), now.Unix(), k.Hash, storyID, score, string(tags))
		if err != nil {
			return false, false, err
		}
		if itemID, err = res.LastInsertId(); err != nil {
			return false, false, err
		}
		_, err = tx.exec(ctx, `
			INSERT INTO stories (id, published, members, seq) VALUES (?, ?, 1, ?)
			ON CONFLICT (id) DO UPDATE SET published = min(published, excluded.published), members = members + 1`,
			storyID, published.Unix(), itemID)
		if err != nil {
			return false, false, err
		}
		isNew = true
	case revised(st, feedID, k):
		// The origin revised the item: take its new text, and move updated
		// forward, to the feed's own date if it gives a later one.
		cats, tags, err := encode()
		if err != nil {
			return false, false, err
		}
		upd := now
		if u := it.Updated; !u.IsZero() && u.Unix() > updated && !u.After(now) {
			upd = u
		}
		if upd.Unix() <= updated {
			upd = time.Unix(updated+1, 0)
		}
		_, err = tx.exec(ctx, `
			UPDATE items SET guid = ?, link = ?, title = ?, summary = ?, content = ?, author = ?, categories = ?,
				updated = ?, content_hash = ?, tags = ? WHERE id = ?`,
			it.GUID, it.Link, it.Title, it.Summary, it.Content, it.Author, string(cats), upd.Unix(), k.Hash,
			string(tags), itemID)
		if err != nil {
			return false, false, err
		}
		isChanged = true
	case over:
		// A feed of the link's own site: its text and its publication
		// date (never later than the item was first seen) replace those of
		// the feed that stored the item, which stays a source. Once the
		// item was placed in a story, and so may have been published,
		// updated moves forward, as for a revision; before, the item gets
		// the dates it would have had had its own site's feed stored it
		// first, so that the order feeds arrive in within a run changes
		// nothing.
		cats, tags, err := encode()
		if err != nil {
			return false, false, err
		}
		var firstSeen, placed int64
		if err := tx.queryRow(ctx, `SELECT first_seen, placed FROM items WHERE id = ?`, []any{itemID}, &firstSeen, &placed); err != nil {
			return false, false, err
		}
		published, upd := entryTimes(it, time.Unix(firstSeen, 0))
		if placed > 0 {
			upd = now
			if u := it.Updated; !u.IsZero() && u.Unix() > updated && !u.After(now) {
				upd = u
			}
			if upd.Unix() <= updated {
				upd = time.Unix(updated+1, 0)
			}
			if upd.Before(published) {
				upd = published
			}
		}
		var entryID, storyID string
		err = tx.queryRow(ctx, `
			UPDATE items SET feed_id = ?, guid = ?, link = ?, title = ?, summary = ?, content = ?, author = ?,
				categories = ?, published = ?, updated = ?, content_hash = ?, tags = ? WHERE id = ?
			RETURNING entry_id, story_id`,
			[]any{feedID, it.GUID, it.Link, it.Title, it.Summary, it.Content, it.Author, string(cats),
				published.Unix(), upd.Unix(), k.Hash, string(tags), itemID}, &entryID, &storyID)
		if err != nil {
			return false, false, err
		}
		_, err = tx.exec(ctx, `UPDATE stories SET published = (SELECT min(published) FROM items WHERE story_id = ?1) WHERE id = ?1`,
			storyID)
		if err != nil {
			return false, false, err
		}
		if placed == 0 && f.Retold != nil {
			retold := it
			retold.Published, retold.Updated = published, upd
			f.Retold(entryID, retold)
		}
		isChanged = true
	case st.origin == feedID && hash != k.Hash:
		// Hashed another way before: adopt the new hash; the text stays.
		_, err = tx.exec(ctx, `UPDATE items SET content_hash = ? WHERE id = ?`, k.Hash, itemID)
		if err != nil {
			return false, false, err
		}
	}
	_, err = tx.exec(ctx, `
		INSERT INTO item_sources (item_id, feed_id, guid, link, first_seen) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (item_id, feed_id) DO UPDATE SET guid = excluded.guid, link = excluded.link
			WHERE guid != excluded.guid OR link != excluded.link`,
		itemID, feedID, it.GUID, it.Link, now.Unix())
	return isNew, isChanged, err
}

// hashScheme is the scheme of a content hash: its text up to the first ':',
// or "" when it has none.
func hashScheme(h string) string {
	scheme, _, found := strings.Cut(h, ":")
	if !found {
		return ""
	}
	return scheme
}

// entryTimes picks the published and updated times of a new entry: the feed's
// own dates, but never later than now (a date in the future would pin the entry
// to the top of every output), and now when the feed gives none.
func entryTimes(it aggregator.Item, now time.Time) (published, updated time.Time) {
	published = it.Published
	if published.IsZero() {
		published = it.Updated
	}
	if published.IsZero() || published.After(now) {
		published = now
	}
	updated = it.Updated
	if updated.IsZero() || updated.After(now) || updated.Before(published) {
		updated = published
	}
	return published, updated
}

func scanned(err error) (found bool, _ error) {
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

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
	rows, err := s.db.QueryContext(ctx, `
		SELECT st.seq, st.follows, i.id, i.story_id, i.entry_id, i.guid, i.link, i.title, i.summary, i.content, i.author, i.categories,
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
		)
		if err := rows.Scan(&seq, &follows, &id, &storyID, &m.EntryID, &m.Item.GUID, &m.Item.Link, &m.Item.Title, &m.Item.Summary,
			&m.Item.Content, &m.Item.Author, &cats, &tags, &pub, &upd, &firstSeen); err != nil {
			return nil, fmt.Errorf("list stories: %w", err)
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
	return s.replay(ctx, `i.published >= ? ORDER BY i.id`, since, fn)
}

// ReplayPlaced calls fn for every article published at or after since that
// was placed in a story (see Place), in the order they were placed: the
// order a clusterer saw them in, so that it can be brought back to where it
// was.
func (s *Store) ReplayPlaced(ctx context.Context, since time.Time, fn func(Stored) error) error {
	return s.replay(ctx, `i.published >= ? AND i.placed > 0 ORDER BY i.placed`, since, fn)
}

// Unplaced calls fn for every article published at or after since that
// was stored but not placed in a story (a run stopped between storing and
// placing it, or stories were off), in the order they were stored.
func (s *Store) Unplaced(ctx context.Context, since time.Time, fn func(Stored) error) error {
	return s.replay(ctx, `i.published >= ? AND i.placed = 0 ORDER BY i.id`, since, fn)
}

func (s *Store) replay(ctx context.Context, where string, since time.Time, fn func(Stored) error) error {
	rows, err := s.db.QueryContext(ctx, `
		SELECT i.entry_id, i.story_id, i.cluster_id, f.url, i.title, i.summary, i.content, i.link, i.published, i.updated
		FROM items i JOIN feeds f ON f.id = i.feed_id WHERE `+where, since.Unix())
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			st       Stored
			pub, upd int64
		)
		if err := rows.Scan(&st.EntryID, &st.StoryID, &st.Cluster, &st.Source, &st.Item.Title, &st.Item.Summary, &st.Item.Content, &st.Item.Link,
			&pub, &upd); err != nil {
			return fmt.Errorf("replay: %w", err)
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

// Counts reports how many feeds and items are stored.
func (s *Store) Counts(ctx context.Context) (feeds, items int, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM feeds), (SELECT count(*) FROM items)`).Scan(&feeds, &items)
	if err != nil {
		return 0, 0, fmt.Errorf("count: %w", err)
	}
	return feeds, items, nil
}

// ErrNotFound is returned when the store has no such item.
var ErrNotFound = errors.New("not found")

// Placement is a stored story and how close each article was to it when it
// joined (1 for the article that started it).
type Placement struct {
	Story  aggregator.Story
	Scores []float64 // by member
	Index  int       // the member asked about
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
	rows, err := s.db.QueryContext(ctx, `SELECT entry_id, story_score FROM items WHERE story_id = ? ORDER BY id`, storyID)
	if err != nil {
		return Placement{}, fmt.Errorf("story of %s: %w", link, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id    string
			score float64
		)
		if err := rows.Scan(&id, &score); err != nil {
			return Placement{}, fmt.Errorf("story of %s: %w", link, err)
		}
		if id == entryID {
			p.Index = len(p.Scores)
		}
		p.Scores = append(p.Scores, score)
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
	if len(placed) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("place: %w", err)
	}
	defer tx.Rollback()
	stmts := &prepared{tx: tx}
	defer stmts.close()
	var seq int64
	if err := stmts.queryRow(ctx, `SELECT coalesce(max(placed), 0) FROM items`, nil, &seq); err != nil {
		return fmt.Errorf("place: %w", err)
	}
	for _, p := range placed {
		var (
			old           string
			id, published int64
		)
		err := stmts.queryRow(ctx, `SELECT id, story_id, published FROM items WHERE entry_id = ?`, []any{p.EntryID},
			&id, &old, &published)
		found, err := scanned(err)
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
				  ON CONFLICT (id) DO UPDATE SET published = min(published, excluded.published), members = members + 1`,
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
				query{`UPDATE stories SET published = min(published, (SELECT published FROM stories WHERE id = ?)),
					members = members + (SELECT members FROM stories WHERE id = ?) WHERE id = ? AND EXISTS (SELECT 1 FROM stories WHERE id = ?)`,
					[]any{m, m, p.StoryID, m}},
				query{`UPDATE items SET story_id = ? WHERE story_id = ?`, []any{p.StoryID, m}},
				query{`DELETE FROM stories WHERE id = ?`, []any{m}},
				query{`UPDATE stories SET follows = ? WHERE follows = ? AND id != ?`, []any{p.StoryID, m, p.StoryID}},
				query{`UPDATE stories SET follows = '' WHERE id = ? AND follows = ?`, []any{p.StoryID, m}})
		}
		for _, q := range queries {
			if _, err := stmts.exec(ctx, q.sql, q.args...); err != nil {
				return fmt.Errorf("place %s: %w", p.EntryID, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("place: %w", err)
	}
	return nil
}

// Setting returns a setting of the store, "" when unset.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting records a setting of the store.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("set setting %s: %w", key, err)
	}
	return nil
}

// Retag gives every stored article the tags fn returns for it, in one
// transaction; fn sees the article with its categories and its origin feed.
// Each slug is then labelled as the first article stored with it labels it.
func (s *Store) Retag(ctx context.Context, fn func(it aggregator.Item, origin aggregator.Feed) []aggregator.Tag) (int, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT i.id, i.title, i.summary, i.content, i.author, i.categories, i.link, f.url, f.name, f.title
		FROM items i JOIN feeds f ON f.id = i.feed_id ORDER BY i.id`)
	if err != nil {
		return 0, fmt.Errorf("retag: %w", err)
	}
	type retagged struct {
		id   int64
		tags []aggregator.Tag
		json string
	}
	var out []retagged
	for rows.Next() {
		var (
			id   int64
			it   aggregator.Item
			f    aggregator.Feed
			cats string
		)
		if err := rows.Scan(&id, &it.Title, &it.Summary, &it.Content, &it.Author, &cats, &it.Link, &f.URL, &f.Name, &f.Title); err != nil {
			rows.Close()
			return 0, fmt.Errorf("retag: %w", err)
		}
		if err := json.Unmarshal([]byte(cats), &it.Categories); err != nil {
			rows.Close()
			return 0, fmt.Errorf("retag: %w", err)
		}
		tags := fn(it, f)
		js, err := json.Marshal(nonNil(tags))
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("retag: %w", err)
		}
		out = append(out, retagged{id, tags, string(js)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("retag: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("retag: %w", err)
	}
	defer tx.Rollback()
	stmts := &prepared{tx: tx}
	defer stmts.close()
	// The labels are noted afresh, in the order the articles were stored.
	if _, err := tx.ExecContext(ctx, `DELETE FROM tag_labels`); err != nil {
		return 0, fmt.Errorf("retag: %w", err)
	}
	for _, r := range out {
		if _, err := stmts.exec(ctx, `UPDATE items SET tags = ? WHERE id = ?`, r.json, r.id); err != nil {
			return 0, fmt.Errorf("retag: %w", err)
		}
		if err := labelTags(ctx, stmts, r.tags); err != nil {
			return 0, fmt.Errorf("retag: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("retag: %w", err)
	}
	return len(out), nil
}

// IntegrityCheck runs PRAGMA integrity_check and returns its verdict: "ok",
// or what is wrong.
func (s *Store) IntegrityCheck(ctx context.Context) (string, error) {
	var res string
	if err := s.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return "", fmt.Errorf("integrity check: %w", err)
	}
	return res, nil
}
