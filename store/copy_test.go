package store

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"aggregator"
)

// fillStore stores something in every table: three feeds (one retired,
// with every field of its state set), tagged articles from two feeds in
// stories (merged, followed, with fractional scores), a setting, and
// tombstones of pruned articles. It returns the key of a pruned article.
func fillStore(t *testing.T, s *Store) (pruned Keyed) {
	t.Helper()
	ctx := context.Background()
	a, _, err := s.Feed(ctx, feedA, "Alpha")
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := s.Feed(ctx, feedB, "")
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := s.Feed(ctx, "https://gone.example/feed", "Gone")
	if err != nil {
		t.Fatal(err)
	}
	item := func(key string, age time.Duration, label string) Keyed {
		return keyed(key, "h-"+key).with(func(it *aggregator.Item) {
			it.Published = t0.Add(-age)
			it.Updated = t0.Add(-age / 2)
			it.Summary = "Kim’s armoured train “begging” – " + key
			switch key {
			case "k1": // compressed
				it.Content = articleHTML(9000, key)
			case "k3": // no bytes at all
				it.Summary, it.Content = "", ""
			default:
				it.Content = "<p>Text of " + key + "</p>"
			}
			it.Author = "Jürgen"
			it.Categories = []string{"asia", "rail"}
			it.Tags = []aggregator.Tag{{Slug: "kim-jong-un", Label: label, Entity: true}, {Slug: "asia", Label: "Asia"}}
		})
	}
	old := item("old", 200*day, "Kim Jong-un")
	fromA := []Keyed{old, item("k1", 3*time.Hour, "Kim Jong Un"), item("k2", 2*time.Hour, "KIM"), item("k3", time.Hour, "Kim"),
		item("k4", 4*time.Hour, "Kim")}
	assign := func(entryID string, _ aggregator.Item) (string, float64) {
		if entryID == aggregator.EntryID("k2") {
			return aggregator.EntryID("k1"), 0.625
		}
		return entryID, 1
	}
	s.SetClock(func() time.Time { return t0.Add(-200 * day) })
	if _, _, err := s.SaveFetch(ctx, a.ID, Fetched{Items: fromA[:1], Assign: assign}); err != nil {
		t.Fatal(err)
	}
	s.SetClock(func() time.Time { return t0 })
	_, _, err = s.SaveFetch(ctx, a.ID, Fetched{
		State: aggregator.FeedState{URL: "https://moved.example/feed", ETag: `"e1"`, LastModified: "Mon, 11 Sep 2023 00:00:00 GMT",
			BodyHash: "sha256:abc", TTL: 90 * time.Minute, SkipHours: []int{0, 23}, SkipDays: []time.Weekday{time.Sunday},
			LastAttempt: t0, LastSuccess: t0, LastStatus: 200, FailingSince: t0.Add(-3 * day), OutageFrom: t0.Add(-3 * day), RecoveredAt: t0},
		Meta:   &Meta{Title: "Alpha Daily", SiteURL: "https://a.example/", AtomID: "tag:a.example,2023:feed", Language: "en-gb"},
		Items:  fromA,
		Assign: assign,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SaveFetch(ctx, b.ID, Fetched{Items: []Keyed{fromA[1], item("b1", 30*time.Minute, "Kim")}, Assign: assign}); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.SaveFetch(ctx, c.ID, Fetched{State: aggregator.FeedState{URL: "https://gone.example/feed", LastAttempt: t0,
		LastStatus: 410, Error: "410 Gone", Failures: 4, NextFetch: t0.Add(day), Retired: true}})
	if err != nil {
		t.Fatal(err)
	}
	id := aggregator.EntryID
	err = s.Place(ctx, []Placed{
		{EntryID: id("k1"), StoryID: id("k1")},
		{EntryID: id("k2"), StoryID: id("k1"), Score: 0.625},
		{EntryID: id("k4"), StoryID: id("k4")},
		{EntryID: id("b1"), StoryID: id("b1"), Follows: id("k1")},
		{EntryID: id("k3"), StoryID: id("k1"), Score: 0.1 + 0.2, Cluster: id("k3"), Merges: []string{id("k4")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting(ctx, "archive:all", `{"next":3,"pages":["a","b"]}`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveSite(ctx, 0, []SiteFile{{Name: "index.html", ContentType: "text/html", ETag: `"1"`, ModTime: t0, Body: []byte("<p>\x00\xff")}}); err != nil {
		t.Fatal(err)
	}
	if items, _, err := s.Prune(ctx, t0.Add(-90*day), 0, 0); err != nil || items != 1 {
		t.Fatalf("Prune = %d items, %v; want the old one", items, err)
	}
	for _, table := range []string{"feeds", "items", "item_sources", "settings", "site_files", "stories", "tag_labels", "tombstones"} {
		if n := count(t, s, table); n == 0 {
			t.Fatalf("fillStore left %s empty", table)
		}
	}
	return old
}

// tableSums checksums every table of s, as Copy does.
func tableSums(t *testing.T, s *Store) []TableCopy {
	t.Helper()
	ctx := context.Background()
	var sums []TableCopy
	err := s.withTx(ctx, "sums", &sql.TxOptions{ReadOnly: true}, func(tx *prepared) error {
		tables, err := tablesOf(ctx, tx)
		if err != nil {
			return err
		}
		for _, tb := range copyOrder(tables) {
			var order []int
			for i, c := range tb.columns {
				if c.pk > 0 {
					order = append(order, i)
				}
			}
			slices.SortFunc(order, func(a, b int) int { return tb.columns[a].pk - tb.columns[b].pk })
			n, sum, err := tableSum(ctx, tx, tb.name, tb.columns, order)
			if err != nil {
				return err
			}
			sums = append(sums, TableCopy{tb.name, n, sum})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

// content is what a store gives back through its read methods.
type content struct {
	Feeds    []FeedStatus
	Stories  []aggregator.Story
	Replayed []Stored
	Placed   []Stored
	Setting  string
	Counts   [3]int
}

func contentOf(t *testing.T, s *Store) content {
	t.Helper()
	ctx := context.Background()
	var c content
	var err error
	if c.Feeds, err = s.Feeds(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Stories, err = s.Stories(ctx, 1000); err != nil {
		t.Fatal(err)
	}
	collect := func(into *[]Stored) func(Stored) error {
		return func(st Stored) error { *into = append(*into, st); return nil }
	}
	if err := s.Replay(ctx, time.Time{}, collect(&c.Replayed)); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplayPlaced(ctx, time.Time{}, collect(&c.Placed)); err != nil {
		t.Fatal(err)
	}
	if c.Setting, err = s.Setting(ctx, "archive:all"); err != nil {
		t.Fatal(err)
	}
	if c.Counts[0], c.Counts[1], err = s.Counts(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Counts[2], err = s.StoryCount(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

func sameContent(t *testing.T, what string, got, want content) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s reads back otherwise than the source:\n got  %+v\nwant %+v", what, got, want)
	}
}

// TestCopy copies a SQLite store into PostgreSQL and back: every table is
// copied, with the same counts and checksums on both sides, reads back the
// same, and PostgreSQL's ids go on after the largest copied.
func TestCopy(t *testing.T) {
	ctx := context.Background()
	src := sqliteEngine.open(t)
	pruned := fillStore(t, src)
	want := contentOf(t, src)
	retired := slices.IndexFunc(want.Feeds, func(f FeedStatus) bool { return f.State.Retired })
	if len(want.Stories) != 2 || want.Stories[0].Follows == "" || len(want.Stories[1].Members) != 4 || retired < 0 {
		t.Fatalf("fillStore made stories %+v, feeds %+v", want.Stories, want.Feeds)
	}

	pg := postgresEngine.open(t)
	seen := map[string]int64{}
	report, err := Copy(ctx, src, pg, func(table string, rows int64) { seen[table] = rows })
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tc := range report.Tables {
		names = append(names, tc.Name)
		if n := int64(count(t, src, tc.Name)); tc.Rows != n || seen[tc.Name] != n {
			t.Errorf("%s: report says %d rows, progress %d; the source holds %d", tc.Name, tc.Rows, seen[tc.Name], n)
		}
		if len(tc.SHA256) != 64 {
			t.Errorf("%s: sha256 %q", tc.Name, tc.SHA256)
		}
	}
	if want := []string{"feeds", "items", "item_sources", "settings", "site_files", "stories", "tag_labels", "tombstones"}; !slices.Equal(names, want) {
		t.Errorf("copied %q, want %q (parents first)", names, want)
	}
	if got := tableSums(t, src); !reflect.DeepEqual(got, report.Tables) {
		t.Errorf("the source's sums %+v\ndiffer from the report's %+v", got, report.Tables)
	}
	if got := tableSums(t, pg); !reflect.DeepEqual(got, report.Tables) {
		t.Errorf("PostgreSQL's sums %+v\ndiffer from the report's %+v", got, report.Tables)
	}
	sameContent(t, "the PostgreSQL copy", contentOf(t, pg), want)

	// And back to SQLite: the same rows, to the checksum.
	back := sqliteEngine.open(t)
	again, err := Copy(ctx, pg, back, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, report) {
		t.Errorf("copied back: %+v\nwant %+v", again, report)
	}
	sameContent(t, "the SQLite copy of the copy", contentOf(t, back), want)

	// New rows on PostgreSQL take ids after the copied ones, and the
	// copied tombstone still keeps its pruned article out.
	var maxFeed, maxItem int64
	if err := pg.db.QueryRow(`SELECT max(id) FROM feeds`).Scan(&maxFeed); err != nil {
		t.Fatal(err)
	}
	if err := pg.db.QueryRow(`SELECT max(id) FROM items`).Scan(&maxItem); err != nil {
		t.Fatal(err)
	}
	f, _, err := pg.Feed(ctx, "https://new.example/feed", "New")
	if err != nil {
		t.Fatalf("a new feed after the copy: %v", err)
	}
	if f.ID <= maxFeed {
		t.Errorf("new feed id %d, want more than the copied %d", f.ID, maxFeed)
	}
	alpha, _, err := pg.Feed(ctx, feedA, "Alpha")
	if err != nil {
		t.Fatal(err)
	}
	added, _, err := pg.SaveFetch(ctx, alpha.ID, Fetched{Items: []Keyed{pruned, keyed("fresh", "h")}})
	if err != nil {
		t.Fatalf("a new item after the copy: %v", err)
	}
	if added != 1 {
		t.Errorf("added %d items, want 1: the fresh one, not the pruned one", added)
	}
	var fresh int64
	if err := pg.db.QueryRow(`SELECT id FROM items WHERE key = 'fresh'`).Scan(&fresh); err != nil {
		t.Fatal(err)
	}
	if fresh <= maxItem {
		t.Errorf("new item id %d, want more than the copied %d", fresh, maxItem)
	}
}

// TestCopyRefusesNonEmpty: a destination holding anything, a feed or only
// a setting, is refused and left as it was.
func TestCopyRefusesNonEmpty(t *testing.T) { eachEngine(t, testCopyRefusesNonEmpty) }

func testCopyRefusesNonEmpty(t *testing.T, eng engine) {
	ctx := context.Background()
	src := sqliteEngine.open(t)
	fillStore(t, src)
	for _, tt := range []struct {
		name string
		fill func(*Store) error
		want string
	}{
		{"a feed", func(s *Store) error { _, _, err := s.Feed(ctx, "https://mine.example/feed", ""); return err }, "it holds 1 feed;"},
		{"a setting", func(s *Store) error { return s.SetSetting(ctx, "k", "v") }, "it holds 1 row in settings;"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dst := eng.open(t)
			if err := tt.fill(dst); err != nil {
				t.Fatal(err)
			}
			before := tableSums(t, dst)
			_, err := Copy(ctx, src, dst, nil)
			if err == nil || !strings.Contains(err.Error(), "the destination store is not empty") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Copy into a store with %s: %v; want it refused, saying %q", tt.name, err, tt.want)
			}
			if after := tableSums(t, dst); !reflect.DeepEqual(after, before) {
				t.Errorf("the refused copy changed the destination:\n%+v\nwas %+v", after, before)
			}
		})
	}
}

// TestCopyVersions: stores at different schema versions are not copied.
func TestCopyVersions(t *testing.T) {
	src, dst := sqliteEngine.open(t), sqliteEngine.open(t)
	setSchemaVersion(t, dst, len(migrations)-1)
	_, err := Copy(context.Background(), src, dst, nil)
	want := fmt.Sprintf("at version %d and the destination's at %d", len(migrations), len(migrations)-1)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Copy = %v, want an error saying %q", err, want)
	}
}

// addTables adds to s what a later migration might: a column, and a
// table whose name sorts before its parents'.
func addTables(t *testing.T, s *Store) {
	t.Helper()
	for _, q := range []string{
		`ALTER TABLE items ADD COLUMN extra TEXT NOT NULL DEFAULT ''`,
		`CREATE TABLE annotations (
			item_id BIGINT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
			n       BIGINT NOT NULL,
			note    TEXT,
			weight  DOUBLE PRECISION,
			flagged BOOLEAN NOT NULL DEFAULT false,
			PRIMARY KEY (item_id, n))`,
	} {
		if _, err := s.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCopyNewTables: tables and columns that Copy does not know of, as a
// later migration adds them, are copied too: a child table whose name
// sorts before its parents', a boolean, NULLs, a composite key; and
// tables of many rows, and of large ones, in several batches.
func TestCopyNewTables(t *testing.T) {
	ctx := context.Background()
	src, dst := sqliteEngine.open(t), postgresEngine.open(t)
	fillStore(t, src)
	addTables(t, src)
	addTables(t, dst)
	if _, err := src.db.Exec(`UPDATE items SET extra = 'x' || id`); err != nil {
		t.Fatal(err)
	}
	// Per item: 1 with a note, 2 to 400 without, and 5 large notes for
	// the first item, more than one batch holds.
	if _, err := src.db.Exec(`
		WITH RECURSIVE seq(n) AS (SELECT 2 UNION ALL SELECT n + 1 FROM seq WHERE n < 400)
		INSERT INTO annotations (item_id, n, note, weight, flagged)
		SELECT id, n, NULL, NULL, 1 FROM items, seq
		UNION ALL SELECT id, 1, 'é', 2.5, 0 FROM items
		UNION ALL SELECT (SELECT min(id) FROM items), 1000 + n, printf('%.*c', 1500000, 'z'), n / 3.0, 0 FROM seq WHERE n <= 6`); err != nil {
		t.Fatal(err)
	}
	items := count(t, src, "items")
	report, err := Copy(ctx, src, dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(report.Tables, func(tc TableCopy) bool { return tc.Name == "annotations" })
	if i < 0 || report.Tables[i].Rows != int64(400*items+5) {
		t.Fatalf("annotations not copied whole: %+v", report.Tables)
	}
	if j := slices.IndexFunc(report.Tables, func(tc TableCopy) bool { return tc.Name == "items" }); j > i {
		t.Errorf("annotations copied before items: %+v", report.Tables)
	}
	var flagged, notes, large, extras int
	if err := dst.db.QueryRow(`SELECT count(*) FILTER (WHERE flagged), count(note), count(*) FILTER (WHERE length(note) = 1500000),
		count(*) FILTER (WHERE extra = 'x' || item_id)
		FROM annotations JOIN items ON items.id = item_id`).Scan(&flagged, &notes, &large, &extras); err != nil {
		t.Fatal(err)
	}
	if flagged != 399*items || notes != items+5 || large != 5 || extras != 400*items+5 {
		t.Errorf("PostgreSQL holds %d flagged, %d notes (%d large), %d extras; want %d, %d (5), %d",
			flagged, notes, large, extras, 399*items, items+5, 400*items+5)
	}
	if got := tableSums(t, dst); !reflect.DeepEqual(got, report.Tables) {
		t.Errorf("PostgreSQL's sums %+v\ndiffer from the report's %+v", got, report.Tables)
	}

	// Back into SQLite, in batches too.
	back := sqliteEngine.open(t)
	addTables(t, back)
	again, err := Copy(ctx, dst, back, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, report) {
		t.Errorf("copied back: %+v\nwant %+v", again, report)
	}

	// A column the destination lacks would be lost: refused.
	other := postgresEngine.open(t)
	if _, err := other.db.Exec(`CREATE TABLE annotations (item_id BIGINT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (item_id, n))`); err != nil {
		t.Fatal(err)
	}
	_, err = Copy(ctx, src, other, nil)
	if err == nil || !strings.Contains(err.Error(), "lacks") {
		t.Errorf("Copy into a store without the new columns: %v, want a refusal", err)
	}
}

// TestCopyChecks: a destination that does not keep what it is given (here
// a trigger rewrites settings) fails the check, which names the table, and
// keeps nothing of the copy.
func TestCopyChecks(t *testing.T) {
	src, dst := sqliteEngine.open(t), sqliteEngine.open(t)
	fillStore(t, src)
	if _, err := dst.db.Exec(`CREATE TRIGGER garble AFTER INSERT ON settings BEGIN
		UPDATE settings SET value = value || '!' WHERE key = NEW.key; END`); err != nil {
		t.Fatal(err)
	}
	_, err := Copy(context.Background(), src, dst, nil)
	if err == nil || !strings.Contains(err.Error(), "the rows of settings differ") {
		t.Errorf("Copy = %v, want the rows of settings to differ", err)
	}
	for _, tc := range tableSums(t, dst) {
		if tc.Rows != 0 {
			t.Errorf("the failed copy left %d rows in %s", tc.Rows, tc.Name)
		}
	}
}
