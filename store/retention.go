package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// DefaultPruneBatch is how many stories Prune deletes per transaction when
// it is given a batch of 0 or less.
const DefaultPruneBatch = 500

// Prune forgets old stories and reports how many items and stories it
// deleted. It deletes stories whole, never part of one, each with all its
// items and their sources; feeds are never deleted. A story goes when
//
//   - olderThan is not zero and every one of its items was first stored
//     before olderThan (the age of what the store holds, not of the news: a
//     feed of old articles added today is kept), or
//   - maxItems > 0 and, of the stories the age leaves, it is not among the
//     newest (ordered as [Store.Stories] orders them: by their earliest item,
//     newest first) whose members add up to at most maxItems. The first story
//     that would take the count over maxItems goes, as do all older ones, even
//     when it is the newest.
//
// Prune works in transactions of at most batch stories each (0 or less for
// DefaultPruneBatch), oldest stories first, so that it never holds the write
// lock for long and an interrupted prune leaves the newest stories; it goes
// on until nothing is left to prune, and returns what earlier transactions
// deleted along with an error from a later one.
//
// A pruned item leaves a tombstone for each feed that carried it: its key
// and that feed's GUID for it. While the tombstone remains, a fetch that
// still carries the item does not store it again (see SaveFetch), as a new
// item or otherwise. Each Prune also drops the tombstones that have served
// their time (see sweepTombstones), whether or not it deletes stories.
//
// Deleting frees pages inside the database file rather than shrinking it:
// SQLite reuses them for new items. Only when the database was created with
// auto_vacuum=INCREMENTAL does Prune hand them back to the file system, with
// PRAGMA incremental_vacuum; it never changes auto_vacuum itself.
func (s *Store) Prune(ctx context.Context, olderThan time.Time, maxItems int, batch int) (items, stories int, err error) {
	if batch <= 0 {
		batch = DefaultPruneBatch
	}
	now := s.now()
	p := pruner{seen: now.Unix()}
	if !olderThan.IsZero() {
		// published < olderThan, for published in whole seconds.
		p.age, p.cutoff = true, olderThan.Unix()
		if olderThan.Nanosecond() > 0 {
			p.cutoff++
		}
	}
	// drain deletes what p selects until nothing is left.
	drain := func() error {
		for {
			n, m, err := s.pruneBatch(ctx, &p, batch)
			items += n
			stories += m
			if err != nil || m == 0 {
				return err
			}
		}
	}
	err = func() error {
		if p.age {
			if err := drain(); err != nil {
				return err
			}
		}
		if maxItems <= 0 {
			return nil
		}
		// Then count what the age left. Stories stored meanwhile may move
		// the bound: find it again until it holds nothing more to delete.
		for {
			if err := p.findBound(ctx, s.db, maxItems); err != nil {
				return err
			}
			before := stories
			if !p.bounded {
				return nil
			}
			if err := drain(); err != nil {
				return err
			}
			if stories == before {
				return nil
			}
		}
	}()
	if err == nil {
		var maxAge time.Duration
		if !olderThan.IsZero() {
			maxAge = now.Sub(olderThan)
		}
		err = s.sweepTombstones(ctx, now, maxAge)
	}
	if err == nil && stories > 0 {
		err = s.incrementalVacuum(ctx)
	}
	if err != nil {
		return items, stories, fmt.Errorf("prune: %w", err)
	}
	return items, stories, nil
}

// afterPruneBatch, when set, is told how many stories each committed prune
// transaction deleted; for tests.
var afterPruneBatch func(stories int)

// pruner says which stories Prune deletes.
type pruner struct {
	seen int64 // the time the tombstones of the items deleted are stamped with

	age    bool  // by age
	cutoff int64 // with age: stories whose newest item was published before this go

	bounded bool   // by maxItems: the story at (published, id) and every later one goes
	bPub    int64  // with bounded: that story's published
	bID     string // and id
}

// findBound finds the first story, in Stories order, that would take the
// count of members over maxItems. It reads only the stories kept.
func (p *pruner) findBound(ctx context.Context, db *db, maxItems int) error {
	rows, err := db.QueryContext(ctx, `SELECT published, id, members FROM stories ORDER BY published DESC, id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	p.bounded = false
	total := 0
	for rows.Next() {
		var (
			pub     int64
			id      string
			members int
		)
		if err := rows.Scan(&pub, &id, &members); err != nil {
			return err
		}
		total += members
		if total > maxItems {
			p.bounded, p.bPub, p.bID = true, pub, id
			break
		}
	}
	return rows.Err()
}

// pruneBatch deletes up to batch of the stories p selects, oldest first, in
// one transaction.
func (s *Store) pruneBatch(ctx context.Context, p *pruner, batch int) (items, stories int, err error) {
	var (
		where []byte
		args  []any
		upper int64 = math.MinInt64 // no story selected has published above this
	)
	if p.bounded {
		where = append(where, `(published < ? OR (published = ? AND id >= ?))`...)
		args = append(args, p.bPub, p.bPub, p.bID)
		upper = p.bPub
	}
	if p.age {
		if len(where) > 0 {
			where = append(where, ` OR `...)
		}
		// A story's published is its earliest item's, so one with a recent
		// item may still have an old published: look at its items.
		where = append(where, `(published < ? AND NOT EXISTS (
			SELECT 1 FROM items i WHERE i.story_id = stories.id AND i.first_seen >= ?))`...)
		args = append(args, p.cutoff, p.cutoff)
		upper = max(upper, p.cutoff-1)
	}
	args = append(args, upper, batch)

	var (
		ids  []string
		n, m int64
	)
	// The transaction starts IMMEDIATE (see Open), so no writer comes between
	// choosing the stories and deleting them.
	err = s.withTx(ctx, "delete stories", nil, func(tx *prepared) error {
		// ORDER BY published, id DESC reads the stories_published index backwards.
		rows, err := tx.query(ctx, `SELECT id FROM stories WHERE (`+string(where)+`) AND published <= ?
			ORDER BY published, id DESC LIMIT ?`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			return errRollback
		}
		list, err := json.Marshal(ids)
		if err != nil {
			return err
		}
		// A tombstone per source, before the sources go with their items.
		_, err = tx.exec(ctx, `
			INSERT INTO tombstones (key, feed_id, guid, seen)
			SELECT i.key, s.feed_id, s.guid, ? FROM items i JOIN item_sources s ON s.item_id = i.id
			WHERE i.story_id IN (`+tx.d.jsonList+`)
			ON CONFLICT (key, feed_id) DO UPDATE SET guid = excluded.guid,
				seen = `+tx.d.greatest+`(tombstones.seen, excluded.seen)`,
			p.seen, string(list))
		if err != nil {
			return err
		}
		// item_sources go with their items (ON DELETE CASCADE).
		res, err := tx.exec(ctx, `DELETE FROM items WHERE story_id IN (`+tx.d.jsonList+`)`, string(list))
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		res, err = tx.exec(ctx, `DELETE FROM stories WHERE id IN (`+tx.d.jsonList+`)`, string(list))
		if err != nil {
			return err
		}
		m, err = res.RowsAffected()
		return err
	})
	if err != nil || len(ids) == 0 {
		return 0, 0, err
	}
	if afterPruneBatch != nil {
		afterPruneBatch(int(m))
	}
	return int(n), int(m), nil
}

// incrementalVacuum returns free pages to the file system when the database
// uses auto_vacuum=INCREMENTAL (2), and does nothing otherwise.
func (s *Store) incrementalVacuum(ctx context.Context) error {
	if !s.db.d.vacuum {
		return nil
	}
	var mode int
	if err := s.db.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&mode); err != nil {
		return fmt.Errorf("read auto_vacuum: %w", err)
	}
	if mode != 2 {
		return nil
	}
	// Step the pragma to its end: it frees pages as it is stepped.
	rows, err := s.db.QueryContext(ctx, `PRAGMA incremental_vacuum`)
	if err != nil {
		return fmt.Errorf("incremental vacuum: %w", err)
	}
	for rows.Next() {
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("incremental vacuum: %w", err)
	}
	return nil
}
