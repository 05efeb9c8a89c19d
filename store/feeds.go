package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"aggregator"
)

const feedColumns = `id, url, name, title, site_url, atom_id, language,
	current_url, etag, last_modified, body_hash, ttl, skip_hours, skip_days,
	last_attempt, last_success, last_status, error, failures, next_fetch, retired,
	failing_since, outage_from, recovered_at`

type scanner interface{ Scan(dest ...any) error }

// scanFeed scans the feedColumns of row, and then into extra the columns
// that follow them.
func scanFeed(row scanner, extra ...any) (aggregator.Feed, aggregator.FeedState, error) {
	var (
		f                           aggregator.Feed
		st                          aggregator.FeedState
		ttl, attempt, success, next int64
		failing, outage, recovered  int64
		skipHours, skipDays         string
	)
	dest := []any{&f.ID, &f.URL, &f.Name, &f.Title, &f.SiteURL, &f.AtomID, &f.Language,
		&st.URL, &st.ETag, &st.LastModified, &st.BodyHash, &ttl, &skipHours, &skipDays,
		&attempt, &success, &st.LastStatus, &st.Error, &st.Failures, &next, &st.Retired,
		&failing, &outage, &recovered}
	err := row.Scan(append(dest, extra...)...)
	if err != nil {
		return f, st, err
	}
	if st.URL == "" {
		st.URL = f.URL
	}
	st.TTL = time.Duration(ttl) * time.Second
	st.SkipHours = splitInts(skipHours, func(n int) int { return n })
	st.SkipDays = splitInts(skipDays, func(n int) time.Weekday { return time.Weekday(n) })
	st.LastAttempt, st.LastSuccess, st.NextFetch = fromUnix(attempt), fromUnix(success), fromUnix(next)
	st.FailingSince, st.OutageFrom, st.RecoveredAt = fromUnix(failing), fromUnix(outage), fromUnix(recovered)
	return f, st, nil
}

// Feed returns the stored feed with this URL and its state, adding the feed
// if it is new and recording its configured name.
func (s *Store) Feed(ctx context.Context, feedURL, name string) (aggregator.Feed, aggregator.FeedState, error) {
	fs, err := s.FeedsFor(ctx, []FeedRef{{feedURL, name}})
	if err != nil {
		return aggregator.Feed{}, aggregator.FeedState{}, err
	}
	return fs[0].Feed, fs[0].State, nil
}

// FeedRef names a configured feed.
type FeedRef struct{ URL, Name string }

// FeedsFor is Feed for many feeds in one transaction, in order: a cycle over
// thousands of feeds pays for one commit, not one per feed.
func (s *Store) FeedsFor(ctx context.Context, refs []FeedRef) ([]FeedStatus, error) {
	out := make([]FeedStatus, len(refs))
	err := s.withTx(ctx, "store feeds", nil, func(tx *prepared) error {
		for i, r := range refs {
			// Most feeds are stored already under their name: reading them
			// writes nothing, and a commit that wrote nothing costs nothing.
			f, st, err := scanFeed(tx.row(ctx, `SELECT `+feedColumns+` FROM feeds WHERE url = ?`, r.URL))
			if found, err := rowFound(err); err != nil {
				return fmt.Errorf("store feed %s: %w", aggregator.PublicURL(r.URL), err)
			} else if !found || f.Name != r.Name {
				f, st, err = scanFeed(tx.row(ctx, `
					INSERT INTO feeds (url, name) VALUES (?, ?)
					ON CONFLICT (url) DO UPDATE SET name = excluded.name
					RETURNING `+feedColumns, r.URL, r.Name))
				if err != nil {
					return fmt.Errorf("store feed %s: %w", aggregator.PublicURL(r.URL), err)
				}
			}
			out[i] = FeedStatus{Feed: f, State: st}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FeedStatus is a feed and its state.
type FeedStatus struct {
	Feed  aggregator.Feed
	State aggregator.FeedState
	// FetchedBy names the instance that last fetched the feed, when
	// instances share the store (see Fetched.By); Feeds gives it.
	FetchedBy string
}

// Feeds returns every stored feed with its state, ordered by URL.
func (s *Store) Feeds(ctx context.Context) ([]FeedStatus, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+feedColumns+`, fetched_by FROM feeds ORDER BY url`)
	if err != nil {
		return nil, fmt.Errorf("list feeds: %w", err)
	}
	defer rows.Close()
	var out []FeedStatus
	for rows.Next() {
		var by string
		f, st, err := scanFeed(rows, &by)
		if err != nil {
			return nil, fmt.Errorf("list feeds: %w", err)
		}
		out = append(out, FeedStatus{Feed: f, State: st, FetchedBy: by})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list feeds: %w", err)
	}
	return out, nil
}

// saveState records a feed's state, and parsed (unix seconds, 0 for none)
// as the time a document of the feed was last parsed.
// by, when not "", is the instance that fetched the feed: it is noted, and
// its lease on the feed (see LeaseFeeds) given back.
func saveState(ctx context.Context, tx *prepared, feedID int64, st aggregator.FeedState, parsed int64, by string) error {
	if by != "" {
		_, err := tx.exec(ctx, `UPDATE feeds SET fetched_by = ?,
			lease_until = CASE WHEN lease_holder = ? THEN 0 ELSE lease_until END,
			lease_holder = CASE WHEN lease_holder = ? THEN '' ELSE lease_holder END
			WHERE id = ?`, by, by, by, feedID)
		if err != nil {
			return err
		}
	}
	_, err := tx.exec(ctx, `
		UPDATE feeds SET
			current_url = CASE WHEN url = ? THEN '' ELSE ? END, last_parsed = `+tx.d.greatest+`(last_parsed, ?),
			etag = ?, last_modified = ?, body_hash = ?, ttl = ?, skip_hours = ?, skip_days = ?,
			last_attempt = ?, last_success = ?, last_status = ?, error = ?, failures = ?, next_fetch = ?, retired = ?,
			failing_since = ?, outage_from = ?, recovered_at = ?
		WHERE id = ?`,
		st.URL, st.URL, parsed,
		st.ETag, st.LastModified, st.BodyHash, int64(st.TTL/time.Second), joinInts(st.SkipHours), joinInts(st.SkipDays),
		unix(st.LastAttempt), unix(st.LastSuccess), st.LastStatus, st.Error, st.Failures, unix(st.NextFetch), st.Retired,
		unix(st.FailingSince), unix(st.OutageFrom), unix(st.RecoveredAt),
		feedID)
	return err
}

func joinInts[T ~int](xs []T) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(int(x))
	}
	return strings.Join(parts, ",")
}

func splitInts[T any](s string, conv func(int) T) []T {
	if s == "" {
		return nil
	}
	var out []T
	for _, p := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(p); err == nil {
			out = append(out, conv(n))
		}
	}
	return out
}
