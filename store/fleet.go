package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Several instances (daemons and --once runs) may share one PostgreSQL
// store. They share the work this way:
//
//   - Fetching: an instance fetches a feed only while it holds the feed's
//     lease (LeaseFeeds), taken with SELECT … FOR UPDATE SKIP LOCKED so that
//     two instances asking at once never both get it, and given back when
//     the fetch is stored (SaveFetch) or not made (ReleaseFeeds). A lease
//     runs out at its expiry, so the feeds of an instance that died are
//     fetched by the others after it.
//   - Placing articles in stories and rendering the outputs: one instance
//     leads (leader.go) and writes, fenced by its term (see Term), the
//     placements and the rendered files (SaveSite), which the others serve
//     as they are (Site).
//
// On SQLite, one process owns the store: leases are not taken and that
// process always leads.

// Shared reports whether other instances may share the store: a
// PostgreSQL store.
func (s *Store) Shared() bool { return s.db.pool != nil }

// Lease is the answer to asking for a feed's lease.
type Lease struct {
	FeedStatus // the feed as stored when granted; only its ID otherwise
	Granted    bool
	// Holder and Until say who holds the lease, until when, when it was
	// not granted; Holder is "" when another instance was taking it at
	// that moment, and Until then when a lease taken then would run out.
	Holder string
	Until  time.Time
}

// leaseBatch bounds the feeds of one lease statement, under PostgreSQL's
// limit of 65,535 parameters.
const leaseBatch = 1000

// LeaseFeeds asks for the leases of the feeds with these ids for holder,
// until until, and returns the answers in the order of ids. A lease is
// granted when no instance holds it, or the holder's ran out by now, or
// holder holds it already. Granted leases carry the feed's state as stored
// now, which may be newer than what holder read before: another instance may
// have fetched the feed meanwhile.
func (s *Store) LeaseFeeds(ctx context.Context, ids []int64, holder string, now, until time.Time) ([]Lease, error) {
	out := make([]Lease, 0, len(ids))
	for start := 0; start < len(ids); start += leaseBatch {
		batch := ids[start:min(start+leaseBatch, len(ids))]
		leases, err := s.leaseBatch(ctx, batch, holder, now, until)
		if err != nil {
			return nil, fmt.Errorf("lease feeds: %w", err)
		}
		out = append(out, leases...)
	}
	return out, nil
}

func (s *Store) leaseBatch(ctx context.Context, ids []int64, holder string, now, until time.Time) ([]Lease, error) {
	in, args := idList(ids)
	// The rows another transaction is leasing at this moment are skipped,
	// not waited for: that instance gets them. No advisory write lock: the
	// row locks are all a lease needs, so leasing does not wait for saves.
	query := `UPDATE feeds SET lease_holder = ?, lease_until = ?
		WHERE id IN (SELECT id FROM feeds WHERE id IN (` + in + `) AND (lease_until <= ? OR lease_holder = ?)
			ORDER BY id` + s.db.d.skipLocked + `)
		RETURNING ` + feedColumns
	args = append([]any{holder, unix(until)}, args...)
	args = append(args, unix(now), holder)
	granted := make(map[int64]FeedStatus, len(ids))
	err := s.rawTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.db.d.sql(query), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			f, st, err := scanFeed(rows)
			if err != nil {
				return err
			}
			granted[f.ID] = FeedStatus{Feed: f, State: st}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	out := make([]Lease, len(ids))
	var held []int64
	for i, id := range ids {
		if fs, ok := granted[id]; ok {
			out[i] = Lease{FeedStatus: fs, Granted: true}
			continue
		}
		out[i].Feed.ID = id
		held = append(held, id)
	}
	if len(held) == 0 {
		return out, nil
	}
	holders, err := s.leaseHolders(ctx, held)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Granted {
			continue
		}
		h := holders[out[i].Feed.ID]
		out[i].Holder, out[i].Until = h.Holder, h.Until
		if !h.Until.After(now) {
			// Another instance was taking the lease at that moment (the row
			// was locked, and what it wrote not yet committed): its lease
			// runs as long as this one would have.
			out[i].Holder, out[i].Until = "", until
		}
	}
	return out, nil
}

// leaseHolders reads who holds the leases of the feeds ids.
func (s *Store) leaseHolders(ctx context.Context, ids []int64) (map[int64]Lease, error) {
	in, args := idList(ids)
	rows, err := s.db.QueryContext(ctx, `SELECT id, lease_holder, lease_until FROM feeds WHERE id IN (`+in+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]Lease, len(ids))
	for rows.Next() {
		var (
			l     Lease
			until int64
		)
		if err := rows.Scan(&l.Feed.ID, &l.Holder, &until); err != nil {
			return nil, err
		}
		l.Until = fromUnix(until)
		out[l.Feed.ID] = l
	}
	return out, rows.Err()
}

// ReleaseFeeds gives back holder's leases of the feeds ids, for feeds it
// leased and did not fetch after all. SaveFetch gives back the lease of the
// feed it saves.
func (s *Store) ReleaseFeeds(ctx context.Context, ids []int64, holder string) error {
	for start := 0; start < len(ids); start += leaseBatch {
		in, args := idList(ids[start:min(start+leaseBatch, len(ids))])
		_, err := s.db.ExecContext(ctx, `UPDATE feeds SET lease_holder = '', lease_until = 0
			WHERE lease_holder = ? AND id IN (`+in+`)`, append([]any{holder}, args...)...)
		if err != nil {
			return fmt.Errorf("release feeds: %w", err)
		}
	}
	return nil
}

// RenewLeases extends, until until, holder's leases of the feeds ids; the
// leases it no longer holds stay as they are, and so do those of feeds
// whose rows another transaction is writing at this moment: that is a save
// giving the lease back, which a renewal waiting for it would deadlock with
// when the save goes on to a row the renewal holds. Such a lease, should
// the save fail, is renewed next time, well before it runs out.
func (s *Store) RenewLeases(ctx context.Context, ids []int64, holder string, until time.Time) error {
	for start := 0; start < len(ids); start += leaseBatch {
		in, args := idList(ids[start:min(start+leaseBatch, len(ids))])
		_, err := s.db.ExecContext(ctx, `UPDATE feeds SET lease_until = ?
			WHERE id IN (SELECT id FROM feeds WHERE lease_holder = ? AND id IN (`+in+`)`+s.db.d.skipLocked+`)`,
			append([]any{unix(until), holder}, args...)...)
		if err != nil {
			return fmt.Errorf("renew leases: %w", err)
		}
	}
	return nil
}

// idList is the placeholders and arguments of a list of ids.
func idList(ids []int64) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return strings.TrimSuffix(strings.Repeat("?,", len(ids)), ","), args
}

// rawTx runs fn in a transaction that takes no advisory write lock, and
// commits when fn returns nil.
func (s *Store) rawTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// SiteFile is a file of the outputs as the leader rendered it.
type SiteFile struct {
	Name        string // its path relative to the base URL
	ContentType string
	ETag        string
	ModTime     time.Time
	Body        []byte
}

// ErrNotLeader is the error of a write that only the leader makes, from an
// instance whose term ended: another instance leads now.
var ErrNotLeader = errors.New("this instance no longer leads: another took over")

// siteVersionKey is the setting that counts the versions of the site saved.
const siteVersionKey = "site_version"

// SaveSite stores the files of the outputs, as the leader of term rendered
// them, in place of those stored, and returns the site's new version. Files
// whose ETag did not change are not written again.
func (s *Store) SaveSite(ctx context.Context, term int64, files []SiteFile) (version int64, err error) {
	err = s.withTx(ctx, "save site", nil, func(tx *prepared) error {
		if err := saveSite(ctx, tx, term, files, &version); err != nil {
			return fmt.Errorf("save site: %w", err)
		}
		return nil
	})
	return version, err
}

// saveSite is SaveSite in its transaction.
func saveSite(ctx context.Context, tx *prepared, term int64, files []SiteFile, version *int64) error {
	if err := checkTerm(ctx, tx, term); err != nil {
		return err
	}
	stored := map[string]string{}
	rows, err := tx.query(ctx, `SELECT name, etag FROM site_files`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name, etag string
		if err := rows.Scan(&name, &etag); err != nil {
			rows.Close()
			return err
		}
		stored[name] = etag
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, f := range files {
		etag, ok := stored[f.Name]
		delete(stored, f.Name)
		if ok && etag == f.ETag {
			continue
		}
		_, err := tx.exec(ctx, `INSERT INTO site_files (name, content_type, etag, mod_time, body) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET content_type = excluded.content_type, etag = excluded.etag,
				mod_time = excluded.mod_time, body = excluded.body`,
			f.Name, f.ContentType, f.ETag, unixNano(f.ModTime), f.Body)
		if err != nil {
			return err
		}
	}
	for name := range stored {
		if _, err := tx.exec(ctx, `DELETE FROM site_files WHERE name = ?`, name); err != nil {
			return err
		}
	}
	return tx.queryRow(ctx, `INSERT INTO settings (key, value) VALUES (?, '1')
		ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(settings.value AS INTEGER) + 1 AS TEXT)
		RETURNING CAST(value AS INTEGER)`, []any{siteVersionKey}, version)
}

// SiteVersion returns the version of the site stored, 0 when none is.
func (s *Store) SiteVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT CAST(value AS INTEGER) FROM settings WHERE key = ?`, siteVersionKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("site version: %w", err)
	}
	return v, nil
}

// Site returns the files of the site stored and its version, read together.
func (s *Store) Site(ctx context.Context) ([]SiteFile, int64, error) {
	var (
		files   []SiteFile
		version int64
	)
	err := s.withTx(ctx, "read site", &sql.TxOptions{ReadOnly: true}, func(tx *prepared) error {
		err := tx.queryRow(ctx, `SELECT CAST(value AS INTEGER) FROM settings WHERE key = ?`, []any{siteVersionKey}, &version)
		if found, err := rowFound(err); err != nil || !found {
			return err
		}
		rows, err := tx.query(ctx, `SELECT name, content_type, etag, mod_time, body FROM site_files ORDER BY name`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				f   SiteFile
				mod int64
			)
			if err := rows.Scan(&f.Name, &f.ContentType, &f.ETag, &mod, &f.Body); err != nil {
				return err
			}
			if mod != 0 {
				f.ModTime = time.Unix(0, mod).UTC()
			}
			files = append(files, f)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("read site: %w", err)
	}
	return files, version, nil
}

// unixNano is t in nanoseconds since 1970, 0 for the zero time.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// HasUnplaced reports whether articles wait to be placed in stories (see
// Place): for the leader of instances sharing the store, the sign that
// another instance stored some.
func (s *Store) HasUnplaced(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM items WHERE placed = 0 LIMIT 1) AS waiting`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("unplaced articles: %w", err)
	}
	return n > 0, nil
}
