package store

import (
	"context"
	"fmt"
	"time"
)

// A tombstone is what Prune leaves of a pruned item for each feed that
// carried it: its key and that feed's GUID for it. While it remains, a fetch
// that still carries the item leaves it out (see lookup and saveItem), so
// that a feed that keeps old articles does not undo retention.

// How long tombstones last; see sweepTombstones.
const (
	// tombstoneGrace is how long a feed's parsed documents may leave out a
	// pruned item before its tombstone goes.
	tombstoneGrace = 14 * 24 * time.Hour
	// tombstoneRefresh is how often at most a document that carries a pruned
	// item rewrites its tombstone's seen: a feed that repeats the item at
	// every fetch then writes nothing most of the time. Far below
	// tombstoneGrace.
	tombstoneRefresh = 24 * time.Hour
	// tombstoneMinAge is the least age of the limit for feeds no longer
	// fetched.
	tombstoneMinAge = 30 * 24 * time.Hour
)

// sweepTombstones drops the tombstones that have served their time, so that
// the table holds about as many rows as the feeds' current documents carry
// pruned items and cannot grow without end. A tombstone's seen is when its
// item was pruned, moved on (at most once per tombstoneRefresh) each time a
// parsed document of any feed carries the item again. It goes when
//
//   - its feed was parsed more than tombstoneGrace after seen: the feed's
//     documents have left the item out for that long, so it is not coming
//     back; a feed that is fetched but unchanged (304, same body) keeps them,
//     since its document still is the one last parsed; or
//   - seen, and the feed's last successful fetch, are both older than
//     max(2×maxAge, tombstoneMinAge), maxAge being the retention age (0 for
//     none): nothing has carried the item for that long, and the feed is gone
//     (dropped from the config, failing or retired), so no parse will drop it
//     by the first rule.
//
// Should a feed bring a dropped item back after all, it is stored again as
// new, as before there were tombstones.
func (s *Store) sweepTombstones(ctx context.Context, now time.Time, maxAge time.Duration) error {
	limit := now.Add(-max(2*maxAge, tombstoneMinAge)).Unix()
	// The table stays small and its rows are short: one statement, not
	// batches, holds the write lock briefly.
	_, err := s.db.ExecContext(ctx, `
		DELETE FROM tombstones WHERE EXISTS (
			SELECT 1 FROM feeds f WHERE f.id = tombstones.feed_id
			AND (tombstones.seen < f.last_parsed - ?1 OR (tombstones.seen < ?2 AND f.last_success < ?2)))`,
		int64(tombstoneGrace/time.Second), limit)
	if err != nil {
		return fmt.Errorf("sweep tombstones: %w", err)
	}
	return nil
}

// refreshTombstone notes that a document carried the item of the tombstone
// st again, at most once per tombstoneRefresh.
func refreshTombstone(ctx context.Context, tx *prepared, st stored, now time.Time) error {
	if st.updated >= now.Add(-tombstoneRefresh).Unix() {
		return nil
	}
	_, err := tx.exec(ctx, `UPDATE tombstones SET seen = ? WHERE key = ? AND feed_id = ?`, now.Unix(), st.key, st.origin)
	return err
}
