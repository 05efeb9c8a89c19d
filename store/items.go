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
	Key  string // identifies the item across fetches and feeds
	Hash string // changes exactly when the item's visible content changes
	Item aggregator.Item
}

// Fetched is the outcome of one fetch attempt of a feed.
type Fetched struct {
	State aggregator.FeedState // the feed's state after the attempt, stored as is
	Meta  *Meta                // what the feed says of itself; nil when it was not parsed
	Items []Keyed
}

// Meta is what a feed says of itself.
type Meta struct {
	Title, SiteURL, AtomID string
}

// SaveFetch records a fetch attempt (its state, and when the feed was parsed
// its metadata and items) in one transaction, and reports how many items were
// new and how many stored ones changed.
//
// An item is the stored item that this feed gave the same GUID before, else the
// stored item with the same key (from any feed); else it is new. A known item
// gains this feed as a source; its content changes only when this feed is its
// origin and the hash differs.
func (s *Store) SaveFetch(ctx context.Context, feedID int64, f Fetched) (added, changed int, err error) {
	now := s.now().UTC().Truncate(time.Second)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("save fetch: %w", err)
	}
	defer tx.Rollback()

	if err := saveState(ctx, tx, feedID, f.State); err != nil {
		return 0, 0, fmt.Errorf("save fetch: %w", err)
	}
	if m := f.Meta; m != nil {
		_, err := tx.ExecContext(ctx, `UPDATE feeds SET title = ?, site_url = ?, atom_id = ? WHERE id = ?`,
			m.Title, m.SiteURL, m.AtomID, feedID)
		if err != nil {
			return 0, 0, fmt.Errorf("save fetch: %w", err)
		}
	}
	stmts := &prepared{tx: tx}
	defer stmts.close()
	for _, k := range f.Items {
		isNew, isChanged, err := saveItem(ctx, stmts, feedID, k, now)
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
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("save fetch: %w", err)
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

func (p *prepared) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return err
	}
	return st.QueryRowContext(ctx, args...).Scan(dest...)
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

func saveItem(ctx context.Context, tx *prepared, feedID int64, k Keyed, now time.Time) (isNew, isChanged bool, err error) {
	var (
		itemID, origin, updated int64
		hash                    string
	)
	found := false
	if k.Item.GUID != "" {
		// "guid != ''" lets SQLite use the partial index on (feed_id, guid).
		err = tx.queryRow(ctx, `
			SELECT i.id, i.feed_id, i.content_hash, i.updated FROM item_sources s JOIN items i ON i.id = s.item_id
			WHERE s.feed_id = ? AND s.guid = ? AND s.guid != ''`, []any{feedID, k.Item.GUID}, &itemID, &origin, &hash, &updated)
		found, err = scanned(err)
		if err != nil {
			return false, false, err
		}
	}
	if !found {
		err = tx.queryRow(ctx, `SELECT id, feed_id, content_hash, updated FROM items WHERE key = ?`, []any{k.Key},
			&itemID, &origin, &hash, &updated)
		found, err = scanned(err)
		if err != nil {
			return false, false, err
		}
	}

	it := k.Item
	cats, err := json.Marshal(nonNil(it.Categories))
	if err != nil {
		return false, false, err
	}
	if !found {
		published, upd := entryTimes(it, now)
		res, err := tx.exec(ctx, `
			INSERT INTO items (key, entry_id, feed_id, guid, link, title, summary, content, author, categories,
				published, updated, first_seen, content_hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			k.Key, aggregator.EntryID(k.Key), feedID, it.GUID, it.Link, it.Title, it.Summary, it.Content, it.Author,
			string(cats), published.Unix(), upd.Unix(), now.Unix(), k.Hash)
		if err != nil {
			return false, false, err
		}
		if itemID, err = res.LastInsertId(); err != nil {
			return false, false, err
		}
		isNew = true
	} else if origin == feedID && hash != k.Hash {
		// The origin revised the item: take its new text, and move updated
		// forward, to the feed's own date if it gives a later one.
		upd := now
		if u := it.Updated; !u.IsZero() && u.Unix() > updated && !u.After(now) {
			upd = u
		}
		if upd.Unix() <= updated {
			upd = time.Unix(updated+1, 0)
		}
		_, err = tx.exec(ctx, `
			UPDATE items SET guid = ?, link = ?, title = ?, summary = ?, content = ?, author = ?, categories = ?,
				updated = ?, content_hash = ? WHERE id = ?`,
			it.GUID, it.Link, it.Title, it.Summary, it.Content, it.Author, string(cats), upd.Unix(), k.Hash, itemID)
		if err != nil {
			return false, false, err
		}
		isChanged = true
	}
	_, err = tx.exec(ctx, `
		INSERT INTO item_sources (item_id, feed_id, guid, link, first_seen) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (item_id, feed_id) DO UPDATE SET guid = excluded.guid, link = excluded.link`,
		itemID, feedID, it.GUID, it.Link, now.Unix())
	return isNew, isChanged, err
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

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Entries returns the newest limit entries, newest first, each with the feeds
// that carried it (its origin first).
func (s *Store) Entries(ctx context.Context, limit int) ([]aggregator.Entry, error) {
	rows, err := s.db.QueryContext(ctx, `
		SELECT i.id, i.entry_id, i.guid, i.link, i.title, i.summary, i.content, i.author, i.categories,
			i.published, i.updated
		FROM items i ORDER BY i.published DESC, i.entry_id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("list entries: %w", err)
	}
	defer rows.Close()
	var (
		entries []aggregator.Entry
		ids     []any
	)
	index := map[int64]int{}
	for rows.Next() {
		var (
			id       int64
			e        aggregator.Entry
			cats     string
			pub, upd int64
		)
		if err := rows.Scan(&id, &e.ID, &e.Item.GUID, &e.Item.Link, &e.Item.Title, &e.Item.Summary, &e.Item.Content,
			&e.Item.Author, &cats, &pub, &upd); err != nil {
			return nil, fmt.Errorf("list entries: %w", err)
		}
		if err := json.Unmarshal([]byte(cats), &e.Item.Categories); err != nil {
			return nil, fmt.Errorf("list entries: categories of %s: %w", e.ID, err)
		}
		e.Published, e.Updated = fromUnix(pub), fromUnix(upd)
		e.Item.Published, e.Item.Updated = e.Published, e.Updated
		index[id] = len(entries)
		entries = append(entries, e)
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list entries: %w", err)
	}
	if len(ids) == 0 {
		return entries, nil
	}
	srows, err := s.db.QueryContext(ctx, `
		SELECT s.item_id, s.link, f.id, f.url, f.name, f.title, f.site_url, f.atom_id
		FROM item_sources s JOIN feeds f ON f.id = s.feed_id JOIN items i ON i.id = s.item_id
		WHERE s.item_id IN (?`+strings.Repeat(",?", len(ids)-1)+`)
		ORDER BY s.item_id, s.feed_id != i.feed_id, s.first_seen, f.url`, ids...)
	if err != nil {
		return nil, fmt.Errorf("list entry sources: %w", err)
	}
	defer srows.Close()
	for srows.Next() {
		var (
			itemID int64
			src    aggregator.Source
		)
		if err := srows.Scan(&itemID, &src.Link, &src.Feed.ID, &src.Feed.URL, &src.Feed.Name, &src.Feed.Title,
			&src.Feed.SiteURL, &src.Feed.AtomID); err != nil {
			return nil, fmt.Errorf("list entry sources: %w", err)
		}
		e := &entries[index[itemID]]
		e.Sources = append(e.Sources, src)
	}
	if err := srows.Err(); err != nil {
		return nil, fmt.Errorf("list entry sources: %w", err)
	}
	return entries, nil
}

// Counts reports how many feeds and items are stored.
func (s *Store) Counts(ctx context.Context) (feeds, items int, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM feeds), (SELECT count(*) FROM items)`).Scan(&feeds, &items)
	if err != nil {
		return 0, 0, fmt.Errorf("count: %w", err)
	}
	return feeds, items, nil
}
