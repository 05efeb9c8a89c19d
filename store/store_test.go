package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"aggregator"
	"aggregator/internal/pgtest"
)

// t0 is the store clock of most tests: a fixed, whole-second instant.
var t0 = time.Date(2023, 9, 12, 6, 0, 0, 0, time.UTC)

// An engine is a database the store runs on, as the tests open it.
type engine struct {
	name string
	// store is the argument of Open for a new, empty store.
	store func(tb testing.TB) string
}

var (
	sqliteEngine = engine{"sqlite", func(tb testing.TB) string {
		return filepath.Join(tb.TempDir(), "agg.db")
	}}
	// postgresEngine's stores are databases of their own on the cluster
	// pgtest finds or starts; without one its tests skip, or fail in CI.
	postgresEngine = engine{"postgres", pgtest.DSN}
	engines        = []engine{sqliteEngine, postgresEngine}
)

// eachEngine runs test on every engine, as subtests named after them
// (go test -run 'Test.*/postgres' picks one engine).
func eachEngine(t *testing.T, test func(t *testing.T, eng engine)) {
	t.Helper()
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) { test(t, eng) })
	}
}

// open opens a new, empty store of the engine, with its clock at t0. It
// is the store's own storetest.New, which these tests cannot import.
func (eng engine) open(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(context.Background(), eng.store(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	s.SetClock(func() time.Time { return t0 })
	return s
}

func pragma(t *testing.T, s *Store, name string) string {
	t.Helper()
	var v string
	if err := s.db.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

// TestOpen: what opening a SQLite file does to it. SQLite only (WAL, PRAGMA,
// file paths); TestReopen and TestOpenPostgresTogether open both engines.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	wantVersion := fmt.Sprint(len(migrations))

	t.Run("creates the file in WAL mode at the current version", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "not", "yet", "agg.db")
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("database file: %v", err)
		}
		if got := pragma(t, s, "journal_mode"); got != "wal" {
			t.Errorf("journal_mode = %q, want wal", got)
		}
		if got := pragma(t, s, "user_version"); got != wantVersion {
			t.Errorf("user_version = %s, want %s", got, wantVersion)
		}
		if got := pragma(t, s, "foreign_keys"); got != "1" {
			t.Errorf("foreign_keys = %s, want 1", got)
		}
	})

	t.Run("sizes the page cache of every connection, and keeps its temporary files in memory", func(t *testing.T) {
		s, err := Open(ctx, filepath.Join(t.TempDir(), "agg.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		// Hold every connection the pool opens at once, so that each is
		// asked and not the same one again.
		for i := range maxConns {
			c, err := s.db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&got); err != nil {
				t.Fatal(err)
			}
			if want := "-8192"; got != want { // KiB, SQLite's default -2000
				t.Errorf("connection %d: cache_size = %s, want %s", i, got, want)
			}
			if err := c.QueryRowContext(ctx, "PRAGMA temp_store").Scan(&got); err != nil {
				t.Fatal(err)
			}
			if want := "2"; got != want { // MEMORY
				t.Errorf("connection %d: temp_store = %s, want %s", i, got, want)
			}
		}
	})

	t.Run("paths with URI characters", func(t *testing.T) {
		for _, name := range []string{"a b", "100%25", "no#1", "what?x=1", "ünï"} {
			dir := t.TempDir()
			path := filepath.Join(dir, name, name+".db")
			s, err := Open(ctx, path)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			s.Close()
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s: database file: %v", name, err)
			}
			if files, _ := os.ReadDir(dir); len(files) != 1 {
				t.Errorf("%s: %d files in the folder, want just %q", name, len(files), name)
			}
		}
	})

	t.Run("concurrent opens of a new file", func(t *testing.T) {
		// The daemon and a --once run may both start on a database that does
		// not exist yet.
		path := filepath.Join(t.TempDir(), "agg.db")
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				s, err := Open(ctx, path)
				if err == nil {
					_, _, err = s.Feed(ctx, fmt.Sprintf("https://%d.example/feed", i), "")
					s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
	})
}

// TestReopen: a store opens again as it was left, and not at all when a
// newer program has migrated it further.
func TestReopen(t *testing.T) { eachEngine(t, testReopen) }

func testReopen(t *testing.T, eng engine) {
	ctx := context.Background()

	t.Run("reopening is a no-op", func(t *testing.T) {
		path := eng.store(t)
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		f, _, err := s.Feed(ctx, "https://a.example/feed", "A")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SaveFetch(ctx, f.ID, Fetched{Items: []Keyed{keyed("k1", "h1")}}); err != nil {
			t.Fatal(err)
		}
		s.Close()

		s, err = Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer s.Close()
		if got := schemaVersion(t, s); got != len(migrations) {
			t.Errorf("schema version after reopen = %d, want %d", got, len(migrations))
		}
		feeds, items, err := s.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if feeds != 1 || items != 1 {
			t.Errorf("Counts after reopen = %d feeds, %d items; want 1, 1", feeds, items)
		}
		again, _, err := s.Feed(ctx, "https://a.example/feed", "A")
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != f.ID {
			t.Errorf("feed id after reopen = %d, want %d", again.ID, f.ID)
		}
	})

	t.Run("a newer schema asks to upgrade", func(t *testing.T) {
		path := eng.store(t)
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		setSchemaVersion(t, s, len(migrations)+1)
		s.Close()

		s, err = Open(ctx, path)
		if err == nil {
			s.Close()
			t.Fatal("Open of a newer schema succeeded, want an error")
		}
		if !strings.Contains(err.Error(), "upgrade") || !strings.Contains(err.Error(), "newer") {
			t.Errorf("error = %q, want it to say the schema is newer and to upgrade", err)
		}
	})

}

// schemaVersion is the store's schema version, as its engine keeps it.
func schemaVersion(t *testing.T, s *Store) int {
	t.Helper()
	tx, err := s.db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	v, err := s.db.d.version(context.Background(), tx)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func setSchemaVersion(t *testing.T, s *Store, v int) {
	t.Helper()
	tx, err := s.db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := s.db.d.setVersion(context.Background(), tx, v); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestFeed(t *testing.T) { eachEngine(t, testFeed) }

func testFeed(t *testing.T, eng engine) {
	ctx := context.Background()
	s := eng.open(t)

	a, st, err := s.Feed(ctx, "https://a.example/feed", "Alpha")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 || a.URL != "https://a.example/feed" || a.Name != "Alpha" {
		t.Errorf("new feed = %+v", a)
	}
	if want := (aggregator.FeedState{URL: "https://a.example/feed"}); !reflect.DeepEqual(st, want) {
		t.Errorf("state of a new feed = %+v, want %+v", st, want)
	}

	b, _, err := s.Feed(ctx, "https://b.example/feed", "")
	if err != nil {
		t.Fatal(err)
	}
	if b.ID == a.ID {
		t.Errorf("second feed has the id of the first (%d)", a.ID)
	}

	renamed, _, err := s.Feed(ctx, "https://a.example/feed", "Alpha News")
	if err != nil {
		t.Fatal(err)
	}
	if renamed.ID != a.ID || renamed.Name != "Alpha News" {
		t.Errorf("after rename: id %d name %q, want id %d name %q", renamed.ID, renamed.Name, a.ID, "Alpha News")
	}

	s.SetClock(func() time.Time { return t0.Add(90*time.Minute + 500*time.Millisecond) })
	_, _, err = s.SaveFetch(ctx, a.ID, Fetched{
		State: aggregator.FeedState{ETag: `"v1"`, LastModified: "Tue, 12 Sep 2023 07:00:00 GMT",
			LastAttempt: t0.Add(90*time.Minute + 500*time.Millisecond)},
		Meta: &Meta{Title: "Alpha Daily", SiteURL: "https://a.example/", AtomID: "tag:a.example,2023:feed"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, st, err := s.Feed(ctx, "https://a.example/feed", "Alpha News")
	if err != nil {
		t.Fatal(err)
	}
	wantFeed := aggregator.Feed{ID: a.ID, URL: "https://a.example/feed", Name: "Alpha News",
		Title: "Alpha Daily", SiteURL: "https://a.example/", AtomID: "tag:a.example,2023:feed"}
	if got != wantFeed {
		t.Errorf("feed = %+v\nwant   %+v", got, wantFeed)
	}
	wantState := aggregator.FeedState{URL: "https://a.example/feed", ETag: `"v1"`, LastModified: "Tue, 12 Sep 2023 07:00:00 GMT",
		LastAttempt: t0.Add(90 * time.Minute)}
	if !reflect.DeepEqual(st, wantState) {
		t.Errorf("state = %+v\nwant    %+v", st, wantState)
	}
}

// keyed is an item with the given key and hash, a GUID and link derived from
// the key, and no dates.
func keyed(key, hash string) Keyed {
	return Keyed{Key: key, Hash: hash, Item: aggregator.Item{
		GUID: "guid-" + key, Link: "https://news.example/" + key, Title: "Title " + key,
	}}
}

// with returns k with its item changed by f.
func (k Keyed) with(f func(*aggregator.Item)) Keyed {
	f(&k.Item)
	return k
}

// movedK1 is keyed("k1", "h1") after its link changed.
var movedK1 = Keyed{Key: "k1-moved", Hash: "h1-moved", Item: keyed("k1", "").with(func(it *aggregator.Item) {
	it.Link = "https://news.example/k1-moved"
}).Item}

// step is one call to SaveFetch.
type step struct {
	at          time.Time // the store clock for this step; zero keeps it
	feed        string    // URL of the feed fetched
	in          Fetched
	added, chgd int
}

const (
	feedA = "https://z-origin.example/feed" // sorts after feedB, so "origin first" is not an accident of URL order
	feedB = "https://a-second.example/feed"
)

// Every field of the state survives a round trip; a current URL equal to the
// configured one is not stored twice.
func TestFeedStateRoundTrip(t *testing.T) { eachEngine(t, testFeedStateRoundTrip) }

func testFeedStateRoundTrip(t *testing.T, eng engine) {
	ctx := context.Background()
	s := eng.open(t)
	f, _, err := s.Feed(ctx, feedA, "A")
	if err != nil {
		t.Fatal(err)
	}
	full := aggregator.FeedState{
		URL: "https://moved.example/feed", ETag: `"e"`, LastModified: "Mon, 11 Sep 2023 00:00:00 GMT", BodyHash: "abc",
		TTL: 90 * time.Minute, SkipHours: []int{0, 1, 23}, SkipDays: []time.Weekday{time.Saturday, time.Sunday},
		LastAttempt: t0, LastSuccess: t0.Add(-time.Hour), LastStatus: 410, Error: "gone", Failures: 3,
		NextFetch: t0.Add(2 * time.Hour), Retired: true,
		FailingSince: t0.Add(-3 * time.Hour), OutageFrom: t0.Add(-48 * time.Hour), RecoveredAt: t0.Add(-40 * time.Hour),
	}
	for _, want := range []aggregator.FeedState{full, {URL: feedA, LastAttempt: t0}} {
		if _, _, err := s.SaveFetch(ctx, f.ID, Fetched{State: want}); err != nil {
			t.Fatal(err)
		}
		_, got, err := s.Feed(ctx, feedA, "A")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("state = %+v\nwant    %+v", got, want)
		}
	}
	all, err := s.Feeds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Feed.ID != f.ID || all[0].State.LastAttempt != t0 {
		t.Errorf("Feeds() = %+v", all)
	}
	var current string
	if err := s.db.QueryRow(`SELECT current_url FROM feeds WHERE id = ?`, f.ID).Scan(&current); err != nil {
		t.Fatal(err)
	}
	if current != "" {
		t.Errorf("current_url = %q for an unmoved feed, want empty", current)
	}
}

func TestSaveFetch(t *testing.T) { eachEngine(t, testSaveFetch) }

func testSaveFetch(t *testing.T, eng engine) {
	ctx := context.Background()
	tests := []struct {
		name  string
		steps []step
		check func(t *testing.T, s *Store, feeds map[string]aggregator.Feed, entries []aggregator.Entry)
	}{{
		name: "new items are added",
		steps: []step{
			{feed: feedA, in: Fetched{Items: []Keyed{keyed("k1", "h1"), keyed("k2", "h2")}}, added: 2},
		},
		check: func(t *testing.T, s *Store, feeds map[string]aggregator.Feed, entries []aggregator.Entry) {
			wantIDs(t, entries, "k1", "k2")
		},
	}, {
		name: "the same items again change nothing",
		steps: []step{
			{feed: feedA, in: Fetched{Items: []Keyed{keyed("k1", "h1"), keyed("k2", "h2")}}, added: 2},
			{at: t0.Add(time.Hour), feed: feedA, in: Fetched{Items: []Keyed{keyed("k1", "h1"), keyed("k2", "h2")}}},
		},
		check: func(t *testing.T, s *Store, feeds map[string]aggregator.Feed, entries []aggregator.Entry) {
			wantIDs(t, entries, "k1", "k2")
			for _, e := range entries {
				if !e.Updated.Equal(t0) || !e.Published.Equal(t0) {
					t.Errorf("%s: published %v updated %v, want both %v", e.Item.Title, e.Published, e.Updated, t0)
				}
			}
		},
	}, {
		name: "the same key from a second feed adds a source",
		steps: []step{
			{feed: feedA, in: Fetched{Items: []Keyed{keyed("k1", "h1")}}, added: 1},
			{feed: feedB, in: Fetched{Items: []Keyed{keyed("k1", "h1").with(func(it *aggregator.Item) {
				it.GUID, it.Link = "b-guid", "https://b.example/k1?utm_source=b"
			})}}},
		},
		check: func(t *testing.T, s *Store, feeds map[string]aggregator.Feed, entries []aggregator.Entry) {
			wantIDs(t, entries, "k1")
			wantSources(t, entries[0],
				aggregator.Source{Feed: feeds[feedA], Link: "https://news.example/k1"},
				aggregator.Source{Feed: feeds[feedB], Link: "https://b.example/k1?utm_source=b"})
		},
	}, {
		name: "the same GUID with a changed link is the same item",
		steps: []step{
			{feed: feedA, in: Fetched{Items: []Keyed{keyed("k1", "h1")}}, added: 1},
			// The key follows the link, so it changes with it; the GUID does not.
			{at: t0.Add(time.Hour), feed: feedA, in: Fetched{Items: []Keyed{movedK1}}, chgd: 1},
			{at: t0.Add(2 * time.Hour), feed: feedA, in: Fetched{Items: []Keyed{movedK1}}},
		},
		check: func(t *testing.T, s *Store, feeds map[string]aggregator.Feed, entries []aggregator.Entry) {
			wantIDs(t, entries, "k1")
			if got := entries[0].Item.Link; got != "https://news.example/k1-moved" {
				t.Errorf("link = %q, want the new one", got)
			}
			wantSources(t, entries[0], aggregator.Source{Feed: feeds[feedA], Link: "https://news.example/k1-moved"})
		},
	}, {
		name: "the origin revising an item changes it",
		steps: []step{
			{feed: feedA, in: Fetched{Items: []Keyed{keyed("k1", "h1")}}, added: 1},
			{at: t0.Add(time.Hour), feed: feedA, in: Fetched{Items: []Keyed{keyed("k1", "h2").with(func(it *aggregator.Item) {
				it.Title, it.Summary, it.Categories = "Revised", "<p>more</p>", []string{"update"}
			})}}, chgd: 1},
		},
		check: func(t *testing.T, s *Store, feeds map[string]aggregator.Feed, entries []aggregator.Entry) {
			wantIDs(t, entries, "k1")
			e := entries[0]
			if e.Item.Title != "Revised" || e.Item.Summary != "<p>more</p>" || !slices.Equal(e.Item.Categories, []string{"update"}) {
				t.Errorf("item = %+v, want the revised text", e.Item)
			}
			if !e.Published.Equal(t0) {
				t.Errorf("published = %v, want it kept at %v", e.Published, t0)
			}
			if want := t0.Add(time.Hour); !e.Updated.Equal(want) {
				t.Errorf("updated = %v, want %v", e.Updated, want)
			}
		},
	}, {
		name: "a revision within the same second still moves updated forward",
		steps: []step{
			{feed: feedA, in: Fetched{Items: []Keyed{keyed("k1", "h1")}}, added: 1},
			{feed: feedA, in: Fetched{Items: []Keyed{keyed("k1", "h2")}}, chgd: 1},
		},
		check: func(t *testing.T, s *Store, feeds map[string]aggregator.Feed, entries []aggregator.Entry) {
			wantIDs(t, entries, "k1")
			if want := t0.Add(time.Second); !entries[0].Updated.Equal(want) {
				t.Errorf("updated = %v, want %v", entries[0].Updated, want)
			}
		},
	}, {
		name: "a revision takes the feed's own later date",
		steps: []step{
			{feed: feedA, in: Fetched{Items: []Keyed{keyed("k1", "h1")}}, added: 1},
			{at: t0.Add(3 * time.Hour), feed: feedA, in: Fetched{Items: []Keyed{keyed("k1", "h2").with(func(it *aggregator.Item) {
				it.Updated = t0.Add(2 * time.Hour)
			})}}, chgd: 1},
		},
		check: func(t *testing.T, s *Store, feeds map[string]aggregator.Feed, entries []aggregator.Entry) {
			if want := t0.Add(2 * time.Hour); !entries[0].Updated.Equal(want) {
				t.Errorf("updated = %v, want %v", entries[0].Updated, want)
			}
		},
	}, {
		name: "another feed's different text does not change the item",
		steps: []step{
			{feed: feedA, in: Fetched{Items: []Keyed{keyed("k1", "h1")}}, added: 1},
			{at: t0.Add(time.Hour), feed: feedB, in: Fetched{Items: []Keyed{keyed("k1", "h-b").with(func(it *aggregator.Item) {
				it.Title = "Rewritten by B"
			})}}},
		},
		check: func(t *testing.T, s *Store, feeds map[string]aggregator.Feed, entries []aggregator.Entry) {
			wantIDs(t, entries, "k1")
			if e := entries[0]; e.Item.Title != "Title k1" || !e.Updated.Equal(t0) {
				t.Errorf("title %q updated %v, want %q and %v", e.Item.Title, e.Updated, "Title k1", t0)
			}
			wantSources(t, entries[0],
				aggregator.Source{Feed: feeds[feedA], Link: "https://news.example/k1"},
				aggregator.Source{Feed: feeds[feedB], Link: "https://news.example/k1"})
		},
	}, {
		name: "not modified keeps the feed's title and site",
		steps: []step{
			{feed: feedA, in: Fetched{State: aggregator.FeedState{ETag: `"1"`},
				Meta:  &Meta{Title: "Origin", SiteURL: "https://z-origin.example/", AtomID: "urn:x:origin"},
				Items: []Keyed{keyed("k1", "h1")}}, added: 1},
			{at: t0.Add(time.Hour), feed: feedA, in: Fetched{State: aggregator.FeedState{ETag: `"2"`,
				LastModified: "Tue, 12 Sep 2023 07:00:00 GMT", LastAttempt: t0.Add(time.Hour)}}},
		},
		check: func(t *testing.T, s *Store, feeds map[string]aggregator.Feed, entries []aggregator.Entry) {
			f, st, err := s.Feed(context.Background(), feedA, "")
			if err != nil {
				t.Fatal(err)
			}
			if f.Title != "Origin" || f.SiteURL != "https://z-origin.example/" || f.AtomID != "urn:x:origin" {
				t.Errorf("feed = %+v, want title, site and atom id kept", f)
			}
			want := aggregator.FeedState{URL: feedA, ETag: `"2"`, LastModified: "Tue, 12 Sep 2023 07:00:00 GMT", LastAttempt: t0.Add(time.Hour)}
			if !reflect.DeepEqual(st, want) {
				t.Errorf("state = %+v, want %+v", st, want)
			}
			wantIDs(t, entries, "k1")
		},
	}, {
		name: "a failed attempt keeps items and metadata",
		steps: []step{
			{feed: feedA, in: Fetched{State: aggregator.FeedState{ETag: `"1"`, LastModified: "Mon, 11 Sep 2023 00:00:00 GMT"},
				Meta: &Meta{Title: "Origin"}, Items: []Keyed{keyed("k1", "h1")}}, added: 1},
			{at: t0.Add(time.Hour), feed: feedA, in: Fetched{State: aggregator.FeedState{ETag: `"1"`,
				LastModified: "Mon, 11 Sep 2023 00:00:00 GMT", LastAttempt: t0.Add(time.Hour),
				Error: "GET https://z-origin.example/feed: 503 Service Unavailable", LastStatus: 503, Failures: 1}}},
		},
		check: func(t *testing.T, s *Store, feeds map[string]aggregator.Feed, entries []aggregator.Entry) {
			f, st, err := s.Feed(context.Background(), feedA, "")
			if err != nil {
				t.Fatal(err)
			}
			want := aggregator.FeedState{URL: feedA, ETag: `"1"`, LastModified: "Mon, 11 Sep 2023 00:00:00 GMT",
				LastAttempt: t0.Add(time.Hour), Error: "GET https://z-origin.example/feed: 503 Service Unavailable",
				LastStatus: 503, Failures: 1}
			if !reflect.DeepEqual(st, want) {
				t.Errorf("state = %+v\nwant    %+v", st, want)
			}
			if f.Title != "Origin" {
				t.Errorf("title = %q, want it kept", f.Title)
			}
			wantIDs(t, entries, "k1")
		},
	}, {
		name: "the state is replaced, not merged",
		steps: []step{
			{feed: feedA, in: Fetched{State: aggregator.FeedState{Error: "boom", Failures: 1}}},
			{feed: feedA, in: Fetched{}},
		},
		check: func(t *testing.T, s *Store, feeds map[string]aggregator.Feed, entries []aggregator.Entry) {
			_, st, err := s.Feed(context.Background(), feedA, "")
			if err != nil {
				t.Fatal(err)
			}
			if st.Error != "" {
				t.Errorf("error = %q after a success, want empty", st.Error)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := eng.open(t)
			// Create feedB first: its lower id must not make it the origin.
			feeds := map[string]aggregator.Feed{}
			for _, u := range []string{feedB, feedA} {
				f, _, err := s.Feed(ctx, u, "")
				if err != nil {
					t.Fatal(err)
				}
				feeds[u] = f
			}
			for i, st := range tt.steps {
				if !st.at.IsZero() {
					s.SetClock(func() time.Time { return st.at })
				}
				id := feeds[st.feed].ID
				added, changed, err := s.SaveFetch(ctx, id, st.in)
				if err != nil {
					t.Fatalf("step %d: SaveFetch: %v", i, err)
				}
				if added != st.added || changed != st.chgd {
					t.Errorf("step %d: SaveFetch = %d added, %d changed; want %d, %d", i, added, changed, st.added, st.chgd)
				}
			}
			entries, err := entriesOf(ctx, s, 100)
			if err != nil {
				t.Fatal(err)
			}
			// Feed() is read back after the steps, which set titles.
			for u := range feeds {
				f, _, err := s.Feed(ctx, u, "")
				if err != nil {
					t.Fatal(err)
				}
				feeds[u] = f
			}
			tt.check(t, s, feeds, entries)
		})
	}
}

// wantIDs checks that entries are exactly those of keys, in any order.
func wantIDs(t *testing.T, entries []aggregator.Entry, keys ...string) {
	t.Helper()
	var got, want []string
	for _, e := range entries {
		got = append(got, e.ID)
	}
	for _, k := range keys {
		want = append(want, aggregator.EntryID(k))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("entry ids = %q, want %q (keys %q)", got, want, keys)
	}
}

func wantSources(t *testing.T, e aggregator.Entry, want ...aggregator.Source) {
	t.Helper()
	if !slices.Equal(e.Sources, want) {
		t.Errorf("sources of %s:\n got %+v\nwant %+v", e.Item.Title, e.Sources, want)
	}
}

func TestEntries(t *testing.T) { eachEngine(t, testEntries) }

func testEntries(t *testing.T, eng engine) {
	ctx := context.Background()

	t.Run("newest first, ties by entry id, limit", func(t *testing.T) {
		s := eng.open(t)
		f, _, err := s.Feed(ctx, feedA, "")
		if err != nil {
			t.Fatal(err)
		}
		at := func(h int) time.Time { return t0.Add(-time.Duration(h) * time.Hour) }
		// Three items share a date; store them in the reverse of the order
		// expected, so that insertion order cannot pass for the tie-break.
		tied := []string{"tie-1", "tie-2", "tie-3"}
		slices.SortFunc(tied, func(a, b string) int { return strings.Compare(aggregator.EntryID(b), aggregator.EntryID(a)) })
		var items []Keyed
		items = append(items, keyed("old", "h").with(func(it *aggregator.Item) { it.Published = at(30) }))
		for _, k := range tied {
			items = append(items, keyed(k, "h").with(func(it *aggregator.Item) { it.Published = at(5) }))
		}
		items = append(items, keyed("new", "h").with(func(it *aggregator.Item) { it.Published = at(1) }))
		if _, _, err := s.SaveFetch(ctx, f.ID, Fetched{Items: items}); err != nil {
			t.Fatal(err)
		}
		slices.Reverse(tied)
		want := append(append([]string{"new"}, tied...), "old")

		for _, limit := range []int{100, len(want), 2, 1} {
			entries, err := entriesOf(ctx, s, limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, strings.TrimPrefix(e.Item.Title, "Title "))
			}
			w := want[:min(limit, len(want))]
			if !slices.Equal(got, w) {
				t.Errorf("Entries(%d) = %q, want %q", limit, got, w)
			}
		}
	})

	t.Run("dates", func(t *testing.T) {
		tests := []struct {
			name           string
			pub, upd       time.Time
			wantPub, wantU time.Time
		}{
			{"both given", t0.Add(-2 * time.Hour), t0.Add(-time.Hour), t0.Add(-2 * time.Hour), t0.Add(-time.Hour)},
			{"no dates get the clock", time.Time{}, time.Time{}, t0, t0},
			{"only updated", time.Time{}, t0.Add(-time.Hour), t0.Add(-time.Hour), t0.Add(-time.Hour)},
			{"future published is clamped", t0.Add(48 * time.Hour), time.Time{}, t0, t0},
			{"future updated is clamped", t0.Add(-time.Hour), t0.Add(time.Hour), t0.Add(-time.Hour), t0.Add(-time.Hour)},
			{"updated before published", t0.Add(-time.Hour), t0.Add(-2 * time.Hour), t0.Add(-time.Hour), t0.Add(-time.Hour)},
			{"sub-second and zoned", time.Date(2023, 9, 12, 10, 0, 0, 999, time.FixedZone("KST", 9*3600)), time.Time{},
				time.Date(2023, 9, 12, 1, 0, 0, 0, time.UTC), time.Date(2023, 9, 12, 1, 0, 0, 0, time.UTC)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := eng.open(t)
				// A clock with a fraction of a second: stored times are whole seconds.
				s.SetClock(func() time.Time { return t0.Add(400 * time.Millisecond) })
				f, _, err := s.Feed(ctx, feedA, "")
				if err != nil {
					t.Fatal(err)
				}
				k := keyed("k", "h").with(func(it *aggregator.Item) { it.Published, it.Updated = tt.pub, tt.upd })
				if _, _, err := s.SaveFetch(ctx, f.ID, Fetched{Items: []Keyed{k}}); err != nil {
					t.Fatal(err)
				}
				e := onlyEntry(t, s)
				if !e.Published.Equal(tt.wantPub) || !e.Updated.Equal(tt.wantU) {
					t.Errorf("published %v updated %v, want %v and %v", e.Published, e.Updated, tt.wantPub, tt.wantU)
				}
				if e.Published.Location() != time.UTC {
					t.Errorf("published is in %v, want UTC", e.Published.Location())
				}
			})
		}
	})

	t.Run("fields round-trip", func(t *testing.T) {
		s := eng.open(t)
		f, _, err := s.Feed(ctx, feedA, "Origin")
		if err != nil {
			t.Fatal(err)
		}
		full := aggregator.Item{
			GUID: "tag:z-origin.example,2023:1", Link: "https://z-origin.example/a?id=1&x=ü",
			Title: "Kim’s train — “armoured”", Summary: "<p>Sum &amp; mary</p>", Content: "<p>Body</p>",
			Author: "Jane Doe", Categories: []string{"North Korea", "Russia", "日本語"},
			Published: t0.Add(-time.Hour), Updated: t0.Add(-30 * time.Minute),
			Tags: []aggregator.Tag{{Slug: "north-korea", Label: "north-korea"}, {Slug: "kim-jong-un", Label: "Kim Jong Un", Entity: true}},
		}
		bare := aggregator.Item{Title: "No categories"}
		in := Fetched{Items: []Keyed{{Key: "url:full", Hash: "1", Item: full}, {Key: "hash:bare", Hash: "2", Item: bare}}}
		if _, _, err := s.SaveFetch(ctx, f.ID, in); err != nil {
			t.Fatal(err)
		}
		entries, err := entriesOf(ctx, s, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 {
			t.Fatalf("%d entries, want 2", len(entries))
		}
		// bare has the clock's date, so it comes first.
		if got, want := entries[0].ID, aggregator.EntryID("hash:bare"); got != want {
			t.Errorf("id = %s, want %s", got, want)
		}
		if got := entries[0].Item.Categories; len(got) != 0 {
			t.Errorf("categories of an item without = %q, want none", got)
		}
		e := entries[1]
		if want := aggregator.EntryID("url:full"); e.ID != want {
			t.Errorf("id = %s, want %s", e.ID, want)
		}
		if !e.Item.Published.Equal(full.Published) || !e.Item.Updated.Equal(full.Updated) {
			t.Errorf("item dates %v %v, want %v %v", e.Item.Published, e.Item.Updated, full.Published, full.Updated)
		}
		got := e.Item
		got.Published, got.Updated = full.Published, full.Updated
		if !slices.Equal(got.Categories, full.Categories) {
			t.Errorf("categories = %q, want %q", got.Categories, full.Categories)
		}
		got.Categories = full.Categories
		if !reflect.DeepEqual(got, full) {
			t.Errorf("item =\n%+v\nwant\n%+v", got, full)
		}
		wantSources(t, e, aggregator.Source{Feed: aggregator.Feed{ID: f.ID, URL: feedA, Name: "Origin"}, Link: full.Link})
	})

	t.Run("empty store", func(t *testing.T) {
		entries, err := entriesOf(ctx, eng.open(t), 10)
		if err != nil || len(entries) != 0 {
			t.Errorf("Entries = %v, %v; want none", entries, err)
		}
	})
}

// TestConcurrentStores writes through two Store values on one store, as the
// daemon and a --once run do.
func TestConcurrentStores(t *testing.T) { eachEngine(t, testConcurrentStores) }

func testConcurrentStores(t *testing.T, eng engine) {
	ctx := context.Background()
	path := eng.store(t)
	const writers, fetches, perFetch = 2, 50, 3

	stores := make([]*Store, writers)
	for i := range stores {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}

	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w, s := range stores {
		wg.Go(func() {
			errs[w] = func() error {
				for n := range fetches {
					// Both writers also fetch a shared feed, and share keys.
					for _, u := range []string{fmt.Sprintf("https://w%d.example/feed", w), "https://shared.example/feed"} {
						f, _, err := s.Feed(ctx, u, "")
						if err != nil {
							return err
						}
						var items []Keyed
						for i := range perFetch {
							items = append(items, keyed(fmt.Sprintf("w%d-n%d-i%d", w, n, i), "h"))
						}
						items = append(items, keyed(fmt.Sprintf("shared-%d", n), "h"))
						if _, _, err := s.SaveFetch(ctx, f.ID, Fetched{State: aggregator.FeedState{ETag: fmt.Sprint(n)}, Items: items}); err != nil {
							return err
						}
					}
					if _, err := entriesOf(ctx, s, 20); err != nil {
						return err
					}
				}
				return nil
			}()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	feeds, items, err := stores[0].Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := writers*fetches*perFetch + fetches; feeds != writers+1 || items != want {
		t.Errorf("Counts = %d feeds, %d items; want %d, %d", feeds, items, writers+1, want)
	}
}

func BenchmarkSaveFetch(b *testing.B) {
	ctx := context.Background()
	s := sqliteEngine.open(b)
	f, _, err := s.Feed(ctx, feedA, "")
	if err != nil {
		b.Fatal(err)
	}
	const perFetch = 50
	items := make([]Keyed, perFetch)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		for i := range items {
			key := fmt.Sprintf("bench-%d-%d", n, i)
			items[i] = Keyed{Key: key, Hash: key, Item: aggregator.Item{
				GUID: key, Link: "https://news.example/" + key, Title: "Title " + key,
				Summary: "<p>A summary of some length for " + key + ".</p>", Categories: []string{"a", "b"},
				Published: t0.Add(-time.Duration(n) * time.Minute),
			}}
		}
		added, _, err := s.SaveFetch(ctx, f.ID, Fetched{Items: items})
		if err != nil {
			b.Fatal(err)
		}
		if added != perFetch {
			b.Fatalf("added %d, want %d", added, perFetch)
		}
		n++
	}
	b.ReportMetric(float64(n*perFetch)/b.Elapsed().Seconds(), "items/s")
}

// BenchmarkUnstored looks up a fetched document as the pipeline does before
// every save of a changed feed: most of its items are stored, a few are new.
func BenchmarkUnstored(b *testing.B) {
	ctx := context.Background()
	s := sqliteEngine.open(b)
	f, _, err := s.Feed(ctx, feedA, "")
	if err != nil {
		b.Fatal(err)
	}
	const known, fresh = 40, 10
	items := make([]Keyed, known+fresh)
	for i := range items {
		key := fmt.Sprintf("bench-%d", i)
		items[i] = Keyed{Key: key, Hash: key, Item: aggregator.Item{
			GUID: key, Link: "https://news.example/" + key, Title: "Title " + key,
		}}
	}
	if _, _, err := s.SaveFetch(ctx, f.ID, Fetched{Items: items[:known]}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		unstored, err := s.Unstored(ctx, f.ID, items)
		if err != nil {
			b.Fatal(err)
		}
		if unstored[0] || !unstored[known] {
			b.Fatalf("Unstored = %v", unstored)
		}
	}
	b.ReportMetric(float64(b.N*len(items))/b.Elapsed().Seconds(), "items/s")
}

// oldStore writes a store of schema version (the first version migrations)
// holding what the statements insert, and returns its path.
func oldStore(t *testing.T, version int, inserts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), fmt.Sprintf("v%d.db", version))
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	qs := append(slices.Clone(migrations[:version]), fmt.Sprintf(`PRAGMA user_version = %d`, version))
	for _, q := range append(qs, inserts...) {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return path
}

// A store written by the first schema version opens with its feeds' fetch
// history carried over. SQLite only, as are the other tests of stores
// from before PostgreSQL (oldStore): no PostgreSQL store is that old.
func TestMigrateFromVersion1(t *testing.T) {
	path := oldStore(t, 1,
		`INSERT INTO feeds (url, etag, checked_at, error) VALUES ('https://ok.example/feed', '"e"', 1694500000, '')`,
		`INSERT INTO feeds (url, checked_at, error) VALUES ('https://bad.example/feed', 1694500000, 'boom')`)
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	feeds, err := s.Feeds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(feeds) != 2 {
		t.Fatalf("%d feeds after migration, want 2", len(feeds))
	}
	checked := time.Unix(1694500000, 0).UTC()
	bad, ok := feeds[0].State, feeds[1].State
	if ok.ETag != `"e"` || ok.LastAttempt != checked || ok.LastSuccess != checked || ok.URL != "https://ok.example/feed" {
		t.Errorf("migrated healthy feed: %+v", ok)
	}
	if bad.LastAttempt != checked || !bad.LastSuccess.IsZero() || bad.Error != "boom" {
		t.Errorf("migrated failing feed: %+v", bad)
	}
}

// A store written before there were tombstones (schema version 6) opens
// with its items, and pruning it leaves tombstones that keep a pruned item
// out. SQLite only (oldStore).
func TestMigrateToTombstones(t *testing.T) {
	ctx := context.Background()
	path := oldStore(t, 6,
		`INSERT INTO feeds (id, url, name, last_success) VALUES (1, 'https://v6.example/feed', 'v6', 1694500000)`,
		`INSERT INTO items (id, key, entry_id, feed_id, guid, link, title, summary, content, author, categories,
			published, updated, first_seen, content_hash, story_id, story_score, tags)
		VALUES (1, 'old', 'urn:old', 1, 'guid-old', 'https://news.example/old', 'Old', '', '', '', '[]',
			1600000000, 1600000000, 1600000000, 'h', 'urn:old', 1, '[]')`,
		`INSERT INTO item_sources (item_id, feed_id, guid, link, first_seen)
		VALUES (1, 1, 'guid-old', 'https://news.example/old', 1600000000)`,
		`INSERT INTO stories (id, published, members, seq) VALUES ('urn:old', 1600000000, 1, 1)`)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetClock(func() time.Time { return t0 })
	if got, want := pragma(t, s, "user_version"), fmt.Sprint(len(migrations)); got != want {
		t.Errorf("user_version = %s, want %s", got, want)
	}
	if got := pragma(t, s, "integrity_check"); got != "ok" {
		t.Errorf("integrity_check = %q", got)
	}
	if _, items, err := s.Counts(ctx); err != nil || items != 1 {
		t.Fatalf("Counts = %d items, %v; want 1", items, err)
	}
	items, stories, err := s.Prune(ctx, t0.Add(-90*24*time.Hour), 0, 0)
	if err != nil || items != 1 || stories != 1 {
		t.Fatalf("Prune = %d items, %d stories, %v; want 1, 1", items, stories, err)
	}
	k := Keyed{Key: "old", Hash: "h", Item: aggregator.Item{GUID: "guid-old", Link: "https://news.example/old", Title: "Old"}}
	added, _, err := s.SaveFetch(ctx, 1, Fetched{Items: []Keyed{k}})
	if err != nil || added != 0 {
		t.Errorf("SaveFetch of the pruned item = %d added, %v; want 0", added, err)
	}
}

// entriesOf lists the newest stories as entries, by the default rule.
func entriesOf(ctx context.Context, s *Store, limit int) ([]aggregator.Entry, error) {
	stories, err := s.Stories(ctx, limit)
	if err != nil {
		return nil, err
	}
	entries := make([]aggregator.Entry, len(stories))
	for i, st := range stories {
		entries[i] = st.Entry(aggregator.EntryRule{})
	}
	return entries, nil
}

// onlyEntry is the entry of the one story stored, by the default rule.
func onlyEntry(t *testing.T, s *Store) aggregator.Entry {
	t.Helper()
	entries, err := entriesOf(context.Background(), s, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("%d entries, want 1", len(entries))
	}
	return entries[0]
}

// Articles assigned to one story come back as one story, ordered by their
// earliest article, with every member and its sources; Replay gives them
// back in the order they were stored; StoryOf finds the story of an article.
func TestStories(t *testing.T) { eachEngine(t, testStories) }

func testStories(t *testing.T, eng engine) {
	ctx := context.Background()
	s := eng.open(t)
	a, _, _ := s.Feed(ctx, feedA, "A")
	b, _, _ := s.Feed(ctx, feedB, "B")
	at := func(k Keyed, d time.Duration) Keyed {
		return k.with(func(it *aggregator.Item) { it.Published = t0.Add(d) })
	}
	// The clusterer's decisions, by key: k2 joins k1's story.
	storyOf := map[string]string{
		aggregator.EntryID("k1"): aggregator.EntryID("k1"),
		aggregator.EntryID("k2"): aggregator.EntryID("k1"),
		aggregator.EntryID("k3"): aggregator.EntryID("k3"),
	}
	var asked []string
	assign := func(entryID string, it aggregator.Item) (string, float64) {
		asked = append(asked, it.Title)
		if storyOf[entryID] == entryID {
			return entryID, 1
		}
		return storyOf[entryID], 0.42
	}
	if _, _, err := s.SaveFetch(ctx, a.ID, Fetched{Items: []Keyed{at(keyed("k1", "h"), -3*time.Hour), at(keyed("k3", "h"), -time.Hour)}, Assign: assign}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SaveFetch(ctx, b.ID, Fetched{Items: []Keyed{at(keyed("k2", "h"), -4*time.Hour), at(keyed("k1", "h"), -3*time.Hour)}, Assign: assign}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"Title k1", "Title k3", "Title k2"}; !reflect.DeepEqual(asked, want) {
		t.Errorf("Assign asked for %q, want only the new articles %q", asked, want)
	}

	stories, err := s.Stories(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(stories) != 2 {
		t.Fatalf("%d stories, want 2", len(stories))
	}
	// k1's story holds k2, published 4h ago: it is older than k3's story.
	k3, k1 := stories[0], stories[1]
	if k3.ID != aggregator.EntryID("k3") || k1.ID != aggregator.EntryID("k1") {
		t.Fatalf("stories %s, %s; want k3's then k1's", stories[0].ID, stories[1].ID)
	}
	if len(k1.Members) != 2 || k1.Members[0].EntryID != aggregator.EntryID("k1") || k1.Members[1].EntryID != aggregator.EntryID("k2") {
		t.Fatalf("k1's story members = %+v", k1.Members)
	}
	if n := len(k1.Members[0].Sources); n != 2 {
		t.Errorf("k1 carried by %d feeds, want 2", n)
	}
	if limited, _ := s.Stories(ctx, 1); len(limited) != 1 || limited[0].ID != k3.ID {
		t.Errorf("Stories(1) = %+v, want k3's story only", limited)
	}

	var replayed []string
	err = s.Replay(ctx, t0.Add(-3*time.Hour-time.Minute), func(st Stored) error {
		replayed = append(replayed, st.Item.Title+" in "+st.StoryID+" from "+st.Source)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Title k1 in " + k1.ID + " from " + feedA, "Title k3 in " + k3.ID + " from " + feedA}
	if !reflect.DeepEqual(replayed, want) {
		t.Errorf("Replay = %q\nwant     %q (k2 is older than the window)", replayed, want)
	}

	p, err := s.StoryOf(ctx, "k2", "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Story.ID != k1.ID || p.Index != 1 || !reflect.DeepEqual(p.Scores, []float64{1, 0.42}) {
		t.Errorf("StoryOf(k2) = story %s index %d scores %v", p.Story.ID, p.Index, p.Scores)
	}
	if p, err := s.StoryOf(ctx, "nope", keyed("k3", "").Item.Link); err != nil || p.Story.ID != k3.ID {
		t.Errorf("StoryOf by link = %v, %v", p.Story.ID, err)
	}
	if _, err := s.StoryOf(ctx, "nope", "https://nowhere.example/"); !errors.Is(err, ErrNotFound) {
		t.Errorf("StoryOf unknown = %v, want ErrNotFound", err)
	}
}

// Place moves articles stored on their own into the story they belong to,
// notes the story a new one follows, and ReplayPlaced gives them back in the
// order they were placed, not stored; an article the store does not have is
// skipped, and one not placed is not replayed.
func TestPlace(t *testing.T) { eachEngine(t, testPlace) }

func testPlace(t *testing.T, eng engine) {
	ctx := context.Background()
	s := eng.open(t)
	a, _, _ := s.Feed(ctx, feedA, "A")
	items := []Keyed{
		keyed("k1", "h").with(func(it *aggregator.Item) { it.Published = t0.Add(-2 * time.Hour) }),
		keyed("k2", "h").with(func(it *aggregator.Item) { it.Published = t0.Add(-3 * time.Hour) }),
		keyed("k3", "h").with(func(it *aggregator.Item) { it.Published = t0.Add(-time.Hour) }),
	}
	if _, _, err := s.SaveFetch(ctx, a.ID, Fetched{Items: items}); err != nil {
		t.Fatal(err)
	}
	k1, k2, k3 := aggregator.EntryID("k1"), aggregator.EntryID("k2"), aggregator.EntryID("k3")
	err := s.Place(ctx, []Placed{
		{EntryID: k1, StoryID: k1},
		{EntryID: k2, StoryID: k1, Score: 0.3},
		{EntryID: aggregator.EntryID("gone"), StoryID: k1, Score: 0.3},
	})
	if err != nil {
		t.Fatal(err)
	}
	var replayed []string
	replay := func() {
		replayed = nil
		if err := s.ReplayPlaced(ctx, time.Time{}, func(st Stored) error {
			replayed = append(replayed, st.EntryID+">"+st.StoryID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	replay()
	if want := []string{k1 + ">" + k1, k2 + ">" + k1}; !slices.Equal(replayed, want) {
		t.Errorf("replayed %q, want the placed articles in placement order %q", replayed, want)
	}
	if last, err := s.LastPlaced(ctx); err != nil || !last.Equal(t0.Add(-2*time.Hour)) {
		t.Errorf("LastPlaced = %v, %v; want k1's publication time %v", last, err, t0.Add(-2*time.Hour))
	}
	if err := s.Place(ctx, []Placed{{EntryID: k3, StoryID: k3, Follows: k1}}); err != nil {
		t.Fatal(err)
	}
	replay()
	if len(replayed) != 3 || replayed[2] != k3+">"+k3 {
		t.Errorf("replayed %q, want k3 last", replayed)
	}
	stories, err := s.Stories(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(stories) != 2 {
		t.Fatalf("%d stories after the move, want 2", len(stories))
	}
	// k1's story now starts 3h ago, with k2: older than k3's.
	if stories[1].ID != k1 || len(stories[1].Members) != 2 || stories[1].Members[1].EntryID != k2 {
		t.Errorf("stories = %+v", stories)
	}
	if stories[0].ID != k3 || stories[0].Follows != k1 || stories[1].Follows != "" {
		t.Errorf("follows: %s follows %q, %s follows %q; want k3 to follow k1", stories[0].ID, stories[0].Follows, stories[1].ID, stories[1].Follows)
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM stories`).Scan(&n); err != nil || n != 2 {
		t.Errorf("stories table has %d rows (%v), want 2", n, err)
	}
}

// Stories come back in the order they were created, whatever their dates.
func TestStoriesAfter(t *testing.T) { eachEngine(t, testStoriesAfter) }

func testStoriesAfter(t *testing.T, eng engine) {
	ctx := context.Background()
	s := eng.open(t)
	a, _, _ := s.Feed(ctx, feedA, "A")
	items := []Keyed{
		keyed("k1", "h").with(func(it *aggregator.Item) { it.Published = t0.Add(-time.Hour) }),
		keyed("k2", "h").with(func(it *aggregator.Item) { it.Published = t0.Add(-3 * time.Hour) }),
		keyed("k3", "h").with(func(it *aggregator.Item) { it.Published = t0.Add(-2 * time.Hour) }),
	}
	if _, _, err := s.SaveFetch(ctx, a.ID, Fetched{Items: items}); err != nil {
		t.Fatal(err)
	}
	first, err := s.StoriesAfter(ctx, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || first[0].ID != aggregator.EntryID("k1") || first[1].ID != aggregator.EntryID("k2") || first[0].Seq >= first[1].Seq {
		t.Fatalf("StoriesAfter(0, 2) = %+v", first)
	}
	rest, err := s.StoriesAfter(ctx, first[1].Seq, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != 1 || rest[0].ID != aggregator.EntryID("k3") {
		t.Errorf("StoriesAfter(%d, 10) = %+v, want k3's story", first[1].Seq, rest)
	}
}

// StoryBriefs leaves out the text of the articles that have a summary,
// but not of those in a story of several, whose head their length decides.
func TestStoryBriefs(t *testing.T) { eachEngine(t, testStoryBriefs) }

func testStoryBriefs(t *testing.T, eng engine) {
	ctx := context.Background()
	s := eng.open(t)
	a, _, _ := s.Feed(ctx, feedA, "A")
	text := func(summary, content string) func(*aggregator.Item) {
		return func(it *aggregator.Item) { it.Summary, it.Content = summary, content }
	}
	items := []Keyed{
		keyed("alone", "h").with(text("<p>alone, in short</p>", "<p>alone, in full</p>")),
		keyed("bare", "h").with(text("", "<p>bare, in full</p>")),
		keyed("head", "h").with(text("<p>The story, in short</p>", "<p>head, in full</p>")),
		// Shorter in summary, longer in full: it heads the story.
		keyed("joined", "h").with(text("<p>The story</p>", "<p>joined, in full, and at length</p>")),
	}
	if _, _, err := s.SaveFetch(ctx, a.ID, Fetched{Items: items}); err != nil {
		t.Fatal(err)
	}
	head := aggregator.EntryID("head")
	if err := s.Place(ctx, []Placed{{EntryID: head, StoryID: head}, {EntryID: aggregator.EntryID("joined"), StoryID: head, Score: 0.5}}); err != nil {
		t.Fatal(err)
	}
	full, err := s.StoriesAfter(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != 3 {
		t.Fatalf("StoriesAfter gave %d stories, want 3", len(full))
	}
	// In creation order whatever the order asked in, without a story
	// no longer stored.
	brief, err := s.StoryBriefs(ctx, []int64{full[2].Seq, full[0].Seq, full[1].Seq, full[2].Seq + 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(brief) != 3 || brief[0].Seq != full[0].Seq || brief[2].Seq != full[2].Seq {
		t.Fatalf("StoryBriefs gave %+v, want the 3 stories in creation order", brief)
	}
	contents := func(stories []aggregator.Story) (out []string) {
		for _, st := range stories {
			for _, m := range st.Members {
				out = append(out, m.Item.Content)
			}
		}
		return out
	}
	want := []string{"", "<p>bare, in full</p>", "<p>head, in full</p>", "<p>joined, in full, and at length</p>"}
	if got := contents(brief); !slices.Equal(got, want) {
		t.Errorf("brief contents = %q, want %q", got, want)
	}
	if e := full[2].Entry(aggregator.EntryRule{}); e.Item.Content != items[3].Item.Content {
		t.Fatalf("the story of two is headed by %q, want the longer one", e.Item.Content)
	}
	for i := range full {
		full[i].Members[0].Item.Content = brief[i].Members[0].Item.Content
		if fe, be := full[i].Entry(aggregator.EntryRule{}), brief[i].Entry(aggregator.EntryRule{}); !reflect.DeepEqual(fe, be) {
			t.Errorf("story %d: entry %+v from the brief, want %+v", i, be, fe)
		}
	}
}

// TestSaveFetches: several fetches share a transaction, and one that fails
// is undone alone.
func TestSaveFetches(t *testing.T) { eachEngine(t, testSaveFetches) }

func testSaveFetches(t *testing.T, eng engine) {
	ctx := context.Background()
	s := eng.open(t)
	refs := []FeedRef{{"https://a.example/feed", "A"}, {"https://b.example/feed", "B"}}
	feeds, err := s.FeedsFor(ctx, refs)
	if err != nil {
		t.Fatal(err)
	}
	if len(feeds) != 2 || feeds[0].Feed.Name != "A" || feeds[1].Feed.URL != refs[1].URL {
		t.Fatalf("FeedsFor = %+v", feeds)
	}
	// The batch is saved twice, the second time with each feed in a
	// savepoint; the caller is asked of each new item once all the same.
	var asked []string
	assign := func(entryID string, _ aggregator.Item) (string, float64) {
		asked = append(asked, entryID)
		return "", 0
	}
	saved, err := s.SaveFetches(ctx, []Save{
		{feeds[0].Feed.ID, Fetched{State: aggregator.FeedState{ETag: `"a1"`}, Items: []Keyed{keyed("k1", "h1"), keyed("k2", "h2")}, Assign: assign}},
		// No such feed: its item breaks the foreign key, and its state
		// update must go with it.
		{999, Fetched{State: aggregator.FeedState{ETag: `"x"`}, Items: []Keyed{keyed("k3", "h3")}}},
		{feeds[1].Feed.ID, Fetched{State: aggregator.FeedState{ETag: `"b1"`}, Items: []Keyed{keyed("k2", "h2"), keyed("k4", "h4")}, Assign: assign}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{aggregator.EntryID("k1"), aggregator.EntryID("k2"), aggregator.EntryID("k4")}; !slices.Equal(asked, want) {
		t.Errorf("Assign asked of %v, want %v: each new item once", asked, want)
	}
	if saved[0].Err != nil || saved[0].Added != 2 || saved[2].Err != nil || saved[2].Added != 1 {
		t.Errorf("saved = %+v; want 2 then 1 added without error", saved)
	}
	if saved[1].Err == nil || saved[1].Added != 0 {
		t.Errorf("save of a missing feed = %+v; want an error and nothing added", saved[1])
	}
	if _, items, err := s.Counts(ctx); err != nil || items != 3 {
		t.Errorf("store holds %d items (err %v), want k1, k2, k4", items, err)
	}
	again, err := s.FeedsFor(ctx, append(refs, FeedRef{"https://c.example/feed", "C"}))
	if err != nil {
		t.Fatal(err)
	}
	if again[0].State.ETag != `"a1"` || again[1].State.ETag != `"b1"` || again[0].Feed.ID != feeds[0].Feed.ID {
		t.Errorf("states after SaveFetches: %+v", again)
	}
	if again[2].Feed.ID == 0 || again[2].Feed.Name != "C" {
		t.Errorf("FeedsFor did not add the new feed: %+v", again[2])
	}
	renamed, err := s.FeedsFor(ctx, []FeedRef{{refs[0].URL, "Alpha"}})
	if err != nil || renamed[0].Feed.Name != "Alpha" || renamed[0].State.ETag != `"a1"` {
		t.Errorf("FeedsFor after a rename = %+v, %v", renamed, err)
	}
}

// TestPrepare: Prepare runs only for what is written (a new item, an item
// its origin revised), and a hash of an older scheme is replaced without a
// revision.
func TestPrepare(t *testing.T) { eachEngine(t, testPrepare) }

func testPrepare(t *testing.T, eng engine) {
	ctx := context.Background()
	s := eng.open(t)
	f, _, err := s.Feed(ctx, feedA, "A")
	if err != nil {
		t.Fatal(err)
	}
	var prepared []string
	prep := func(k Keyed) Keyed {
		k.Prepare = func(it *aggregator.Item) {
			prepared = append(prepared, it.GUID)
			it.Summary = "clean " + it.GUID
			it.Tags = []aggregator.Tag{{Slug: "prepared"}}
		}
		return k
	}
	save := func(ks ...Keyed) (added, changed int) {
		t.Helper()
		prepared = nil
		added, changed, err := s.SaveFetch(ctx, f.ID, Fetched{Items: ks})
		if err != nil {
			t.Fatal(err)
		}
		return added, changed
	}

	// Stored before hashes had a scheme.
	if a, _ := save(keyed("k1", "legacy1"), keyed("k2", "legacy2")); a != 2 {
		t.Fatalf("added %d, want 2", a)
	}
	if a, c := save(prep(keyed("k1", "raw:1")), prep(keyed("k2", "raw:2")), prep(keyed("k3", "raw:3"))); a != 1 || c != 0 {
		t.Errorf("new scheme: %d added, %d changed; want 1, 0 (k3 new, k1 and k2 rehashed)", a, c)
	}
	if !slices.Equal(prepared, []string{"guid-k3"}) {
		t.Errorf("prepared %q, want only the new item", prepared)
	}
	if a, c := save(prep(keyed("k1", "raw:1")), prep(keyed("k2", "raw:2b")), prep(keyed("k3", "raw:3"))); a != 0 || c != 1 {
		t.Errorf("one revised: %d added, %d changed; want 0, 1", a, c)
	}
	if !slices.Equal(prepared, []string{"guid-k2"}) {
		t.Errorf("prepared %q, want only the revised item", prepared)
	}
	stories, err := s.Stories(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	summaries := map[string]string{}
	for _, st := range stories {
		it := st.Members[0].Item
		summaries[it.GUID] = it.Summary
		if (it.GUID != "guid-k1") != (len(it.Tags) == 1) {
			t.Errorf("%s tags %v", it.GUID, it.Tags)
		}
	}
	if summaries["guid-k1"] != "" || summaries["guid-k2"] != "clean guid-k2" || summaries["guid-k3"] != "clean guid-k3" {
		t.Errorf("stored summaries %q", summaries)
	}
}

// TestStorySourcesChunked: the sources of a story's members are read in
// chunks (SQLite bounds a statement's parameters), and every member still
// gets all its sources, origin first.
func TestStorySourcesChunked(t *testing.T) { eachEngine(t, testStorySourcesChunked) }

func testStorySourcesChunked(t *testing.T, eng engine) {
	defer func(n int) { sourcesChunk = n }(sourcesChunk)
	sourcesChunk = 3
	ctx := context.Background()
	s := eng.open(t)
	a, _, err := s.Feed(ctx, feedA, "A")
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := s.Feed(ctx, "https://b.example/feed", "B")
	if err != nil {
		t.Fatal(err)
	}
	one := func(string, aggregator.Item) (string, float64) { return "story", 0.5 }
	var items []Keyed
	for i := range 10 {
		items = append(items, keyed(fmt.Sprint("k", i), "h"))
	}
	for _, f := range []int64{a.ID, b.ID} {
		if _, _, err := s.SaveFetch(ctx, f, Fetched{Items: items, Assign: one}); err != nil {
			t.Fatal(err)
		}
	}
	stories, err := s.Stories(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(stories) != 1 || len(stories[0].Members) != 10 {
		t.Fatalf("stories = %d, members %d; want one story of 10", len(stories), len(stories[0].Members))
	}
	for _, m := range stories[0].Members {
		if len(m.Sources) != 2 || m.Sources[0].Feed.ID != a.ID || m.Sources[1].Feed.ID != b.ID {
			t.Errorf("%s: sources %+v, want A (its origin) then B", m.Item.GUID, m.Sources)
		}
	}
}

// A merge moves a story's articles into another and redirects the stories
// that followed it; each article keeps its cluster for the replay.
func TestPlaceMerges(t *testing.T) { eachEngine(t, testPlaceMerges) }

func testPlaceMerges(t *testing.T, eng engine) {
	ctx := context.Background()
	s := eng.open(t)
	a, _, _ := s.Feed(ctx, feedA, "A")
	var items []Keyed
	for i := range 4 {
		items = append(items, keyed(fmt.Sprint("k", i), "h").with(func(it *aggregator.Item) {
			it.Published = t0.Add(time.Duration(i-5) * time.Hour)
		}))
	}
	if _, _, err := s.SaveFetch(ctx, a.ID, Fetched{Items: items}); err != nil {
		t.Fatal(err)
	}
	k := func(i int) string { return aggregator.EntryID(fmt.Sprint("k", i)) }
	err := s.Place(ctx, []Placed{
		{EntryID: k(0), StoryID: k(0)},
		{EntryID: k(1), StoryID: k(1)},
		{EntryID: k(2), StoryID: k(2), Follows: k(1)},
		{EntryID: k(3), StoryID: k(0), Merges: []string{k(1)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stories, err := s.Stories(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	follows := map[string]string{}
	for _, st := range stories {
		for _, m := range st.Members {
			got[st.ID] = append(got[st.ID], m.EntryID)
		}
		follows[st.ID] = st.Follows
	}
	if len(got) != 2 || !slices.Equal(got[k(0)], []string{k(0), k(1), k(3)}) || follows[k(2)] != k(0) {
		t.Errorf("stories %v, follows %v; want k1 merged into k0's story, which k2 now follows", got, follows)
	}
	var n int
	if err := s.db.QueryRow(`SELECT members FROM stories WHERE id = ?`, k(0)).Scan(&n); err != nil || n != 3 {
		t.Errorf("merged story counts %d members (%v), want 3", n, err)
	}
	var clusters []string
	if err := s.ReplayPlaced(ctx, time.Time{}, func(st Stored) error {
		clusters = append(clusters, st.Cluster+">"+st.StoryID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{k(0) + ">" + k(0), k(1) + ">" + k(0), k(2) + ">" + k(2), k(0) + ">" + k(0)}; !slices.Equal(clusters, want) {
		t.Errorf("replayed clusters %q, want %q", clusters, want)
	}
	// StoryOf tells the articles that began a story, this one or one merged
	// into it, by their cluster, which is their own.
	p, err := s.StoryOf(ctx, "k1", "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{k(0), k(1), k(0)}; p.Story.ID != k(0) || p.Index != 1 || !slices.Equal(p.Clusters, want) {
		t.Errorf("StoryOf(k1) = story %s, index %d, clusters %q; want story k0, index 1, clusters %q", p.Story.ID, p.Index, p.Clusters, want)
	}
}

// TestReplayOrder: Replay, ReplayPlaced and Unplaced give the articles of
// the window in their order across the chunks they are read in.
func TestReplayOrder(t *testing.T) { eachEngine(t, testReplayOrder) }

func testReplayOrder(t *testing.T, eng engine) {
	defer func(n int) { replayChunk = n }(replayChunk)
	replayChunk = 2
	ctx := context.Background()
	s := eng.open(t)
	a, _, _ := s.Feed(ctx, feedA, "A")
	var items []Keyed
	ids := make([]string, 7)
	for i := range ids {
		key := fmt.Sprintf("k%d", i)
		ids[i] = aggregator.EntryID(key)
		age := time.Duration(i+1) * time.Hour
		if i == 6 {
			age = 100 * time.Hour // out of the window
		}
		items = append(items, keyed(key, "h").with(func(it *aggregator.Item) { it.Published = t0.Add(-age) }))
	}
	if _, _, err := s.SaveFetch(ctx, a.ID, Fetched{Items: items}); err != nil {
		t.Fatal(err)
	}
	// Placed in another order than stored; k1 and k4 not placed.
	var placed []Placed
	for _, i := range []int{5, 2, 6, 0, 3} {
		placed = append(placed, Placed{EntryID: ids[i], StoryID: ids[i]})
	}
	if err := s.Place(ctx, placed); err != nil {
		t.Fatal(err)
	}
	since := t0.Add(-48 * time.Hour)
	for _, tc := range []struct {
		name   string
		replay func(context.Context, time.Time, func(Stored) error) error
		want   []int
	}{
		{"Replay", s.Replay, []int{0, 1, 2, 3, 4, 5}},
		{"ReplayPlaced", s.ReplayPlaced, []int{5, 2, 0, 3}},
		{"Unplaced", s.Unplaced, []int{1, 4}},
	} {
		var got, want []string
		for _, i := range tc.want {
			want = append(want, ids[i])
		}
		if err := tc.replay(ctx, since, func(st Stored) error {
			got = append(got, st.EntryID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s = %q, want %q", tc.name, got, want)
		}
	}
	stop := errors.New("stop")
	n := 0
	err := s.ReplayPlaced(ctx, since, func(Stored) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("ReplayPlaced whose fn fails = %v after %d calls, want fn's error after 1", err, n)
	}
}
