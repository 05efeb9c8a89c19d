package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
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
	// By names the instance that fetched the feed, when instances share the
	// store: it is noted as the feed's last fetcher (FetchedBy), and its
	// lease on the feed given back.
	By string
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
// one each. A save that fails is undone alone and reported in its Saved;
// the error returned is for the transaction as a whole, and then nothing
// was stored.
//
// The saves run one after the other without a savepoint each: SQLite keeps
// a savepoint's journal in a temporary file, which cost a cold cycle half
// of its writes. When one fails, the transaction is rolled back and the
// batch saved again with a savepoint for each, so that the failed one is
// undone alone. Assign and Retold are asked and told of each item once
// all the same: the second pass answers from what the first was told.
func (s *Store) SaveFetches(ctx context.Context, saves []Save) ([]Saved, error) {
	now := s.now().UTC().Truncate(time.Second)
	saves = once(saves)
	out, err := s.saveFetches(ctx, saves, now, false)
	if errors.Is(err, errSaveFailed) {
		if len(saves) == 1 {
			// Rolled back, as its savepoint would have been.
			return out, nil
		}
		out, err = s.saveFetches(ctx, saves, now, true)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// errSaveFailed ends the transaction of saveFetches without savepoints
// when a save fails: the Saved of that save has its error.
var errSaveFailed = errors.New("a save failed")

// saveFetches runs the saves in one transaction. With savepoints, each
// runs in one and a save that fails is undone alone; without, the first
// that fails rolls the transaction back and errSaveFailed is returned.
func (s *Store) saveFetches(ctx context.Context, saves []Save, now time.Time, savepoints bool) ([]Saved, error) {
	out := make([]Saved, len(saves))
	err := s.withTx(ctx, "save fetch", nil, func(tx *prepared) error {
		for i, sv := range saves {
			if savepoints {
				if _, err := tx.exec(ctx, `SAVEPOINT save_fetch`); err != nil {
					return fmt.Errorf("save fetch: %w", err)
				}
			}
			out[i].Added, out[i].Changed, out[i].Err = saveFetch(ctx, tx, sv.FeedID, sv.Fetched, now)
			if !savepoints {
				if out[i].Err != nil {
					return errSaveFailed
				}
				continue
			}
			if out[i].Err != nil {
				if _, err := tx.exec(ctx, `ROLLBACK TO save_fetch`); err != nil {
					return fmt.Errorf("save fetch: %w", err)
				}
			}
			if _, err := tx.exec(ctx, `RELEASE save_fetch`); err != nil {
				return fmt.Errorf("save fetch: %w", err)
			}
		}
		return nil
	})
	return out, err
}

// once returns saves whose Assign and Retold, when set, pass each entry
// on once: asked again of an entry, Assign gives the answer it gave, and
// Retold does not tell it again. A batch saved a second time so asks the
// caller nothing twice.
func once(saves []Save) []Save {
	if len(saves) < 2 {
		return saves // never saved twice
	}
	out := make([]Save, len(saves))
	for i, sv := range saves {
		if assign := sv.Fetched.Assign; assign != nil {
			type answer struct {
				story string
				score float64
			}
			asked := map[string]answer{}
			sv.Fetched.Assign = func(entryID string, it aggregator.Item) (string, float64) {
				if a, ok := asked[entryID]; ok {
					return a.story, a.score
				}
				story, score := assign(entryID, it)
				asked[entryID] = answer{story, score}
				return story, score
			}
		}
		if retold := sv.Fetched.Retold; retold != nil {
			told := map[string]bool{}
			sv.Fetched.Retold = func(entryID string, it aggregator.Item) {
				if !told[entryID] {
					told[entryID] = true
					retold(entryID, it)
				}
			}
		}
		out[i] = sv
	}
	return out
}

// saveFetch is one save of SaveFetches.
func saveFetch(ctx context.Context, stmts *prepared, feedID int64, f Fetched, now time.Time) (added, changed int, err error) {
	var parsed int64
	if f.Meta != nil || len(f.Items) > 0 {
		parsed = now.Unix()
	}
	if err := saveState(ctx, stmts, feedID, f.State, parsed, f.By); err != nil {
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
		if found, err = rowFound(err); found || err != nil {
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
	found, err = rowFound(err)
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
	_, err = rowFound(err)
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
	out := make([]bool, len(items))
	err := s.withTx(ctx, "look up items", &sql.TxOptions{ReadOnly: true}, func(tx *prepared) error {
		feed, err := ownerOf(ctx, tx, feedID)
		if err != nil {
			return fmt.Errorf("look up items: %w", err)
		}
		for i, k := range items {
			st, found, err := lookup(ctx, tx, feedID, k)
			if err != nil {
				return fmt.Errorf("look up item %s: %w", k.Key, err)
			}
			over, err := takesOver(ctx, tx, feed, st, k)
			if err != nil {
				return fmt.Errorf("look up item %s: %w", k.Key, err)
			}
			out[i] = !found || revised(st, feedID, k) || over
		}
		return errRollback
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// saveItem saves one item of a fetch of feed: as a new article, as a
// revision by its origin, as taken over by feed, or as a source only (see
// SaveFetch); an item whose tombstone remains stays out.
func saveItem(ctx context.Context, tx *prepared, feed aggregator.Feed, k Keyed, now time.Time, f Fetched) (isNew, isChanged bool, err error) {
	st, found, err := lookup(ctx, tx, feed.ID, k)
	if err != nil {
		return false, false, err
	}
	if st.tomb {
		// Pruned, and still carried: it stays out.
		return false, false, refreshTombstone(ctx, tx, st, now)
	}
	over := false
	if found {
		if over, err = takesOver(ctx, tx, feed, st, k); err != nil {
			return false, false, err
		}
	}
	itemID, it := st.id, k.Item
	switch {
	case !found:
		itemID, it, err = insertItem(ctx, tx, feed.ID, k, now, f.Assign)
		isNew = true
	case revised(st, feed.ID, k):
		it, err = reviseItem(ctx, tx, st, k, now)
		isChanged = true
	case over:
		it, err = takeOverItem(ctx, tx, feed.ID, st, k, now, f.Retold)
		isChanged = true
	case st.origin == feed.ID && st.hash != k.Hash:
		// Hashed another way before: adopt the new hash; the text stays.
		_, err = tx.exec(ctx, `UPDATE items SET content_hash = ? WHERE id = ?`, k.Hash, itemID)
	}
	if err != nil {
		return false, false, err
	}
	// Whichever it was, the feed is a source of the item.
	_, err = tx.exec(ctx, `
		INSERT INTO item_sources (item_id, feed_id, guid, link, first_seen) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (item_id, feed_id) DO UPDATE SET guid = excluded.guid, link = excluded.link
			WHERE item_sources.guid != excluded.guid OR item_sources.link != excluded.link`,
		itemID, feed.ID, it.GUID, it.Link, now.Unix())
	return isNew, isChanged, err
}

// encoded is an item as the store writes it: finished by its Prepare, with
// its categories and tags in JSON.
type encoded struct {
	aggregator.Item
	cats, tags string
}

// encode finishes k's item for writing and notes the labels of its tags.
func encode(ctx context.Context, tx *prepared, k Keyed) (encoded, error) {
	it := k.Item
	if k.Prepare != nil {
		k.Prepare(&it)
	}
	cats, err := json.Marshal(nonNil(it.Categories))
	if err != nil {
		return encoded{Item: it}, err
	}
	tags, err := json.Marshal(nonNil(it.Tags))
	if err != nil {
		return encoded{Item: it}, err
	}
	return encoded{it, string(cats), string(tags)}, labelTags(ctx, tx, it.Tags)
}

// insertItem stores k as a new article of the feed feedID, in the story
// assign picks for it (a story of its own when assign is nil or picks
// none), and returns its id and the item as written.
func insertItem(ctx context.Context, tx *prepared, feedID int64, k Keyed, now time.Time,
	assign func(string, aggregator.Item) (string, float64)) (int64, aggregator.Item, error) {
	it, err := encode(ctx, tx, k)
	if err != nil {
		return 0, it.Item, err
	}
	published, upd := entryTimes(it.Item, now)
	entryID := aggregator.EntryID(k.Key)
	storyID, score := entryID, 1.0
	if assign != nil {
		placed := it.Item
		placed.Published, placed.Updated = published, upd
		if id, sc := assign(entryID, placed); id != "" {
			storyID, score = id, sc
		}
	}
	// RETURNING id, not LastInsertId, which PostgreSQL does not have.
	var itemID int64
	err = tx.queryRow(ctx, `
		INSERT INTO items (key, entry_id, feed_id, guid, link, title, summary, content, author, categories,
			published, updated, first_seen, content_hash, story_id, story_score, tags)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`,
		[]any{k.Key, entryID, feedID, it.GUID, it.Link, it.Title, encodeBody(it.Summary), encodeBody(it.Content), it.Author,
			it.cats, published.Unix(), upd.Unix(), now.Unix(), k.Hash, storyID, score, it.tags}, &itemID)
	if err != nil {
		return 0, it.Item, err
	}
	_, err = tx.exec(ctx, `
		INSERT INTO stories (id, published, members, seq) VALUES (?, ?, 1, ?)
		ON CONFLICT (id) DO UPDATE SET published = `+tx.d.least+`(stories.published, excluded.published),
			members = stories.members + 1`,
		storyID, published.Unix(), itemID)
	return itemID, it.Item, err
}

// reviseItem gives the stored item st the new text its origin gave it, k,
// and returns the item as written.
func reviseItem(ctx context.Context, tx *prepared, st stored, k Keyed, now time.Time) (aggregator.Item, error) {
	it, err := encode(ctx, tx, k)
	if err != nil {
		return it.Item, err
	}
	_, err = tx.exec(ctx, `
		UPDATE items SET guid = ?, link = ?, title = ?, summary = ?, content = ?, author = ?, categories = ?,
			updated = ?, content_hash = ?, tags = ? WHERE id = ?`,
		it.GUID, it.Link, it.Title, encodeBody(it.Summary), encodeBody(it.Content), it.Author, it.cats, revisedAt(it.Item, st.updated, now).Unix(), k.Hash,
		it.tags, st.id)
	return it.Item, err
}

// revisedAt is the updated time of a revision of an item last updated at
// updated (unix seconds): the feed's own date if it is later and not in the
// future, else now, and in any case later than updated, so that readers see
// the entry change.
func revisedAt(it aggregator.Item, updated int64, now time.Time) time.Time {
	upd := now
	if u := it.Updated; !u.IsZero() && u.Unix() > updated && !u.After(now) {
		upd = u
	}
	if upd.Unix() <= updated {
		upd = time.Unix(updated+1, 0)
	}
	return upd
}

// takeOverItem makes the feed feedID the origin of the stored item st: the
// text and the publication date k has in this feed replace those of the
// feed that stored it, which stays a source. It returns the item as
// written.
//
// The publication date is never later than the item was first seen. Once
// the item was placed in a story, and so may have been published, updated
// moves forward, as for a revision; before, the item gets the dates it
// would have had had this feed stored it first, so that the order feeds
// arrive in within a run changes nothing, and retold is told of it.
func takeOverItem(ctx context.Context, tx *prepared, feedID int64, st stored, k Keyed, now time.Time,
	retold func(string, aggregator.Item)) (aggregator.Item, error) {
	it, err := encode(ctx, tx, k)
	if err != nil {
		return it.Item, err
	}
	var firstSeen, placed int64
	if err := tx.queryRow(ctx, `SELECT first_seen, placed FROM items WHERE id = ?`, []any{st.id}, &firstSeen, &placed); err != nil {
		return it.Item, err
	}
	published, upd := entryTimes(it.Item, time.Unix(firstSeen, 0))
	if placed > 0 {
		if upd = revisedAt(it.Item, st.updated, now); upd.Before(published) {
			upd = published
		}
	}
	var entryID, storyID string
	err = tx.queryRow(ctx, `
		UPDATE items SET feed_id = ?, guid = ?, link = ?, title = ?, summary = ?, content = ?, author = ?,
			categories = ?, published = ?, updated = ?, content_hash = ?, tags = ? WHERE id = ?
		RETURNING entry_id, story_id`,
		[]any{feedID, it.GUID, it.Link, it.Title, encodeBody(it.Summary), encodeBody(it.Content), it.Author, it.cats,
			published.Unix(), upd.Unix(), k.Hash, it.tags, st.id}, &entryID, &storyID)
	if err != nil {
		return it.Item, err
	}
	_, err = tx.exec(ctx, `UPDATE stories SET published = (SELECT min(published) FROM items WHERE story_id = ?1) WHERE id = ?1`,
		storyID)
	if err != nil {
		return it.Item, err
	}
	if placed == 0 && retold != nil {
		told := it.Item
		told.Published, told.Updated = published, upd
		retold(entryID, told)
	}
	return it.Item, nil
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

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
