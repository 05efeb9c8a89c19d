// Package store keeps feeds, their fetch state and their items in an embedded
// SQLite database (pure Go, WAL mode). It stores what it is told; deciding what
// is a duplicate belongs to the caller, which hands over a key per item.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// Store is an open database. Its methods are safe for concurrent use, and
// several processes (the daemon and a --once run) may share one file.
type Store struct {
	db  *db
	now func() time.Time
	// name is what to show of the store: a SQLite store's path, a
	// PostgreSQL store's URL without its password.
	name string
	// runScope is Options.RunScope.
	runScope string
	// slots hold the host slots of a PostgreSQL store (see HostSlots);
	// nil on SQLite.
	slots *slotPools
}

// Open opens the store and brings its schema up to date: the PostgreSQL
// database a postgres:// or postgresql:// URL names, else the SQLite
// database at the path, which it creates if need be. See dialect.go for how
// one store runs on both.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenWith(ctx, path, Options{})
}

// Options are how to open a store beyond its path or URL.
type Options struct {
	// Password is a PostgreSQL store's password (config's
	// store_password_file); it overrides one in the URL.
	Password string
	// Instance names this process among the instances sharing a
	// PostgreSQL store, in its sessions' application_name (see LeaderName).
	Instance string
	// RunScope, on PostgreSQL, narrows LockRun to the runs of one scope
	// (an instance of a fleet, whose runs must not overlap), so that the
	// runs of other instances sharing the store go on beside them; "":
	// one run at a time on the whole database.
	RunScope string
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, o Options) (*Store, error) {
	if isPostgres(path) {
		return openPostgres(ctx, path, o)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	q := url.Values{}
	// The driver runs busy_timeout first, which switching a new file to
	// WAL needs (it waits for another process opening it at the same
	// time), and the other pragmas after it in the order of their names,
	// not in the order given here.
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -pageCacheKiB))
	// Statement journals in memory: SQLite journals the pages each
	// statement of a transaction changes, in case it must be undone
	// alone, and once one statement's journal passed 64 KiB it went to a
	// temporary file for the rest of the transaction: 38,000 of the 66,000
	// pwrite64 calls of a cold cycle of 50 feeds. The journal is dropped
	// when its statement ends, so it never holds more than one
	// statement's pages. It also keeps sorts in memory: those left read
	// ids or a page of stories, not the story window's text (see replay).
	q.Add("_pragma", "temp_store(2)")
	q.Set("_txlock", "immediate")
	// In a file: URI, SQLite decodes %XX and ends the path at ? or #.
	name := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(filepath.ToSlash(path))
	sqlDB, err := sql.Open("sqlite", "file:"+name+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// A few connections suffice: SQLite writes one transaction at a time,
	// and an open connection holds file handles (the database, its WAL);
	// without a bound, a thousand fetches saving at once would hold a
	// thousand of them.
	sqlDB.SetMaxOpenConns(maxConns)
	sqlDB.SetMaxIdleConns(maxConns)
	s := &Store{db: &db{DB: sqlDB, d: sqliteDialect}, now: time.Now, name: path}
	if err := s.migrateWhenFree(ctx); err != nil {
		sqlDB.Close()
		if diskFull(path) {
			// SQLite says "disk I/O error" when it cannot create the
			// shared-memory file of a WAL store on a full disk.
			err = fmt.Errorf("%w: %w", ErrDiskFull, err)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// migrateWhenFree migrates, trying again while another process opening a
// new file at the same time keeps it busy. Switching a new file to WAL
// takes an exclusive lock, and SQLite fails a connection that would wait
// for it while holding a lock the other needs, without calling the busy
// handler (to break the deadlock); the loser only has to try again.
func (s *Store) migrateWhenFree(ctx context.Context) error {
	deadline := time.Now().Add(busyTimeout)
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := s.migrate(ctx)
		if !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (or one of its
// extended codes).
func isBusy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY
}

// busyTimeout is how long a connection waits for another's lock.
const busyTimeout = 10 * time.Second

// ErrDiskFull: the disk holding the store has no space left.
var ErrDiskFull = errors.New("the disk holding it is full; free some space and run again")

// diskFull reports whether the file system holding path has no space left
// for its user.
func diskFull(path string) bool {
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(path), &st); err != nil {
		return false
	}
	return st.Bavail == 0
}

// maxConns bounds the database connections a Store keeps open.
const maxConns = 8

// pageCacheKiB is the most of the database each connection keeps in its
// page cache; SQLite's default, 2,000 KiB, is too small for a cycle: a save
// transaction spills pages it changed to the WAL before it commits, pages
// are read again and again, and a sort larger than the cache spills to a
// temporary file. With 8 MiB a cold cycle of 1,000 feeds made 18% fewer
// pread64 and 11% fewer pwrite64 calls, and a warm one 47% fewer pread64
// and 86% fewer pwrite64. It costs memory: each connection fills a cache of
// its own (a cold cycle's peak RSS grew by about 30 MiB, a warm one's by
// 20), and SQLite sorts up to the cache's size in memory before it spills,
// so a larger cache, which saved little more, was not worth it
// (BENCHMARKS.md, "SQLite settings").
const pageCacheKiB = 8 << 10

// Close closes the database. On PostgreSQL it first waits for the host
// slots taken of the store to be released (see HostSlots).
func (s *Store) Close() error {
	if s.slots != nil {
		s.slots.close()
	}
	return s.db.Close()
}

// SetClock replaces the clock used to stamp new items; for tests.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// migrations, in order; migration i brings the schema from user_version i to i+1.
var migrations = []string{
	`CREATE TABLE feeds (
		id            INTEGER PRIMARY KEY,
		url           TEXT NOT NULL UNIQUE,
		name          TEXT NOT NULL DEFAULT '',
		title         TEXT NOT NULL DEFAULT '',
		site_url      TEXT NOT NULL DEFAULT '',
		atom_id       TEXT NOT NULL DEFAULT '',
		etag          TEXT NOT NULL DEFAULT '',
		last_modified TEXT NOT NULL DEFAULT '',
		checked_at    INTEGER NOT NULL DEFAULT 0,
		error         TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE items (
		id           INTEGER PRIMARY KEY,
		key          TEXT NOT NULL UNIQUE,
		entry_id     TEXT NOT NULL UNIQUE,
		feed_id      INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
		guid         TEXT NOT NULL,
		link         TEXT NOT NULL,
		title        TEXT NOT NULL,
		summary      TEXT NOT NULL,
		content      TEXT NOT NULL,
		author       TEXT NOT NULL,
		categories   TEXT NOT NULL,
		published    INTEGER NOT NULL,
		updated      INTEGER NOT NULL,
		first_seen   INTEGER NOT NULL,
		content_hash TEXT NOT NULL
	);
	CREATE INDEX items_published ON items(published DESC, entry_id);
	CREATE TABLE item_sources (
		item_id    INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
		feed_id    INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
		guid       TEXT NOT NULL,
		link       TEXT NOT NULL,
		first_seen INTEGER NOT NULL,
		PRIMARY KEY (item_id, feed_id)
	);
	CREATE INDEX item_sources_guid ON item_sources(feed_id, guid) WHERE guid != '';`,

	// Feed health and what the publisher asked for.
	`ALTER TABLE feeds RENAME COLUMN checked_at TO last_attempt;
	ALTER TABLE feeds ADD COLUMN current_url  TEXT    NOT NULL DEFAULT '';
	ALTER TABLE feeds ADD COLUMN body_hash    TEXT    NOT NULL DEFAULT '';
	ALTER TABLE feeds ADD COLUMN ttl          INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE feeds ADD COLUMN skip_hours   TEXT    NOT NULL DEFAULT '';
	ALTER TABLE feeds ADD COLUMN skip_days    TEXT    NOT NULL DEFAULT '';
	ALTER TABLE feeds ADD COLUMN last_success INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE feeds ADD COLUMN last_status  INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE feeds ADD COLUMN failures     INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE feeds ADD COLUMN next_fetch   INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE feeds ADD COLUMN retired      INTEGER NOT NULL DEFAULT 0;
	UPDATE feeds SET last_success = last_attempt WHERE error = '';`,

	// Stories: every item belongs to one; a story's id is its first item's.
	`ALTER TABLE items ADD COLUMN story_id TEXT NOT NULL DEFAULT '';
	ALTER TABLE items ADD COLUMN story_score REAL NOT NULL DEFAULT 0;
	UPDATE items SET story_id = entry_id;
	CREATE INDEX items_story ON items(story_id, id);
	CREATE TABLE stories (
		id        TEXT PRIMARY KEY,
		published INTEGER NOT NULL, -- the earliest member's
		members   INTEGER NOT NULL
	) WITHOUT ROWID;
	INSERT INTO stories (id, published, members) SELECT entry_id, published, 1 FROM items;
	CREATE INDEX stories_published ON stories(published DESC, id);`,

	// Tags, feed languages, and settings of the store itself.
	`ALTER TABLE items ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
	ALTER TABLE feeds ADD COLUMN language TEXT NOT NULL DEFAULT '';
	CREATE TABLE settings (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	) WITHOUT ROWID;`,

	// The order in which stories were created, for archives that never change.
	`ALTER TABLE stories ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
	UPDATE stories SET seq = (SELECT min(id) FROM items WHERE items.story_id = stories.id);
	CREATE INDEX stories_seq ON stories(seq);`,

	// Outages: when the current one began, and when the last one began and ended.
	`ALTER TABLE feeds ADD COLUMN failing_since INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE feeds ADD COLUMN outage_from INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE feeds ADD COLUMN recovered_at INTEGER NOT NULL DEFAULT 0;
	UPDATE feeds SET failing_since = last_attempt WHERE failures > 0;`,

	// Tombstones: the keys of pruned items, so that a feed still carrying
	// one does not bring it back (see Prune and sweepTombstones).
	`ALTER TABLE feeds ADD COLUMN last_parsed INTEGER NOT NULL DEFAULT 0;
	CREATE TABLE tombstones (
		key     TEXT NOT NULL,    -- the pruned item's key
		feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE, -- one of its sources
		guid    TEXT NOT NULL,    -- the GUID that source gave it
		seen    INTEGER NOT NULL, -- when it was pruned, or last found in a document since
		PRIMARY KEY (key, feed_id)
	) WITHOUT ROWID;
	CREATE INDEX tombstones_guid ON tombstones(feed_id, guid) WHERE guid != '';`,

	// The order in which articles were placed in stories (0: not yet) and
	// the clusterer's own story of each (its cluster, which a merge of
	// stories leaves as it was), for a replay that rebuilds the clusterer
	// as it was; and storylines.
	`ALTER TABLE items ADD COLUMN placed INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE items ADD COLUMN cluster_id TEXT NOT NULL DEFAULT '';
	UPDATE items SET placed = id, cluster_id = story_id;
	ALTER TABLE stories ADD COLUMN follows TEXT NOT NULL DEFAULT '';
	CREATE INDEX items_unplaced ON items(published) WHERE placed = 0;`,

	// One label per tag slug: the first stored (see labelTags).
	`CREATE TABLE tag_labels (
		slug  TEXT PRIMARY KEY,
		label TEXT NOT NULL
	) WITHOUT ROWID;
	INSERT INTO tag_labels (slug, label)
		SELECT json_extract(t.value, '$.Slug'), json_extract(t.value, '$.Label')
		FROM items i, json_each(i.tags) t
		WHERE json_extract(t.value, '$.Label') != ''
		ORDER BY i.id
		ON CONFLICT (slug) DO NOTHING;`,

	// Instances sharing a store (see fleet.go): which one holds a feed's
	// lease to fetch it, until when, and which fetched it last; and the
	// leader's rendered files, which every instance serves.
	`ALTER TABLE feeds ADD COLUMN lease_holder TEXT NOT NULL DEFAULT '';
	ALTER TABLE feeds ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE feeds ADD COLUMN fetched_by TEXT NOT NULL DEFAULT '';
	CREATE TABLE site_files (
		name         TEXT PRIMARY KEY,
		content_type TEXT NOT NULL,
		etag         TEXT NOT NULL,
		mod_time     INTEGER NOT NULL,
		body         BLOB NOT NULL
	) WITHOUT ROWID;`,

	// Article bodies compressed: compressBodies, run after this, rewrites
	// every summary and content as a BLOB (see body.go). SQLite stores a
	// BLOB as it is in a column declared TEXT, so the columns stay.
	`SELECT 1;`,

	// The story window's articles in the order they were placed, read
	// from the index alone (see replay).
	`CREATE INDEX items_window ON items(published, placed);`,
}

// migrationSteps are the steps of migrations done in Go, by the schema
// version the migration brings the store to: each runs after the
// migration's SQL, in its transaction, on every engine.
var migrationSteps = map[int]func(context.Context, *prepared) error{
	11: compressBodies,
}

// migrate brings the schema up to date, a migration per transaction; on
// PostgreSQL each runs under the advisory write lock (see withTx), so
// instances starting together migrate one after the other.
func (s *Store) migrate(ctx context.Context) error {
	migrations := s.db.d.migrations
	for current := false; !current; {
		err := s.withTx(ctx, "migrate schema", nil, func(tx *prepared) error {
			version, err := s.db.d.version(ctx, tx.tx)
			if err != nil {
				return fmt.Errorf("read schema version: %w", err)
			}
			if version > len(migrations) {
				return fmt.Errorf("schema version %d is newer than this program knows (%d); upgrade aggregator", version, len(migrations))
			}
			if version == len(migrations) {
				current = true
				return errRollback
			}
			if _, err := tx.exec(ctx, migrations[version]); err != nil {
				return fmt.Errorf("migrate schema to version %d: %w", version+1, err)
			}
			if step := migrationSteps[version+1]; step != nil {
				if err := step(ctx, tx); err != nil {
					return fmt.Errorf("migrate schema to version %d: %w", version+1, err)
				}
			}
			if err := s.db.d.setVersion(ctx, tx.tx, version+1); err != nil {
				return fmt.Errorf("migrate schema to version %d: %w", version+1, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

// Counts reports how many feeds and items are stored.
func (s *Store) Counts(ctx context.Context) (feeds, items int, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM feeds), (SELECT count(*) FROM items)`).Scan(&feeds, &items)
	if err != nil {
		return 0, 0, fmt.Errorf("count: %w", err)
	}
	return feeds, items, nil
}

// IntegrityCheck runs PRAGMA integrity_check and returns its verdict: "ok",
// or what is wrong. On PostgreSQL, which checks its pages itself, it is
// "ok" when the database answers.
func (s *Store) IntegrityCheck(ctx context.Context) (string, error) {
	var res string
	if s.db.d != sqliteDialect {
		if err := s.db.QueryRowContext(ctx, `SELECT 'ok'`).Scan(&res); err != nil {
			return "", fmt.Errorf("integrity check: %w", err)
		}
		return res, nil
	}
	if err := s.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return "", fmt.Errorf("integrity check: %w", err)
	}
	return res, nil
}
