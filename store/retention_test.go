package store

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"aggregator"
)

const day = 24 * time.Hour

// pruneStory is a story of the prune fixture: its name, and the age of each
// member (by key, name + index) at t0.
type pruneStory struct {
	name string
	ages []time.Duration
}

// pruneFixture, newest story (by its earliest member) first. Feed B carries
// the first member of every story too, so each story has items with two
// sources.
var pruneFixture = []pruneStory{
	{"newest", []time.Duration{time.Hour, 2 * time.Hour, 30 * time.Minute}},
	{"recent", []time.Duration{2 * day}},
	{"edge", []time.Duration{90 * day}},             // exactly at the cutoff: not older
	{"old", []time.Duration{100 * day, 95 * day}},   // wholly older than the cutoff
	{"mixed", []time.Duration{120 * day, 1 * day}},  // one old member and one recent
	{"ancient", []time.Duration{200 * day}},         // older still
	{"stale", []time.Duration{150 * day, 91 * day}}, // both just older
}

// seedPrune stores pruneFixture and returns the store.
func seedPrune(t *testing.T, eng engine) *Store {
	t.Helper()
	ctx := context.Background()
	s := eng.open(t)
	a, _, err := s.Feed(ctx, feedA, "A")
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := s.Feed(ctx, feedB, "B")
	if err != nil {
		t.Fatal(err)
	}
	storyOf := map[string]string{} // entry id → story name
	var fromA, fromB []Keyed
	for _, st := range pruneFixture {
		for i, age := range st.ages {
			key := st.name + string(rune('0'+i))
			k := keyed(key, "h").with(func(it *aggregator.Item) { it.Published = t0.Add(-age) })
			storyOf[aggregator.EntryID(key)] = st.name
			fromA = append(fromA, k)
			if i == 0 {
				fromB = append(fromB, k)
			}
		}
	}
	first := map[string]string{} // story name → its first entry id
	assign := func(entryID string, _ aggregator.Item) (string, float64) {
		name := storyOf[entryID]
		if id, ok := first[name]; ok {
			return id, 0.5
		}
		first[name] = entryID
		return entryID, 1
	}
	saveSeenWhenPublished(t, s, a.ID, fromA, assign)
	saveSeenWhenPublished(t, s, b.ID, fromB, assign)
	return s
}

// saveSeenWhenPublished stores items one by one, each first seen when it was
// published (retention goes by when the store first saw an item), then sets
// the store's clock back to t0.
func saveSeenWhenPublished(t *testing.T, s *Store, feedID int64, items []Keyed, assign func(string, aggregator.Item) (string, float64)) {
	t.Helper()
	for _, k := range items {
		at := k.Item.Published
		s.SetClock(func() time.Time { return at })
		if _, _, err := s.SaveFetch(context.Background(), feedID, Fetched{Items: []Keyed{k}, Assign: assign}); err != nil {
			t.Fatal(err)
		}
	}
	s.SetClock(func() time.Time { return t0 })
}

// storyNames lists the stored stories by fixture name, newest first, each
// with its member count, as in "old:2".
func storyNames(t *testing.T, s *Store) []string {
	t.Helper()
	stories, err := s.Stories(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, st := range stories {
		name := strings.TrimPrefix(st.Members[0].Item.Title, "Title ")
		names = append(names, name[:len(name)-1]+":"+string(rune('0'+len(st.Members))))
	}
	return names
}

// checkConsistent checks the database after a prune: the stories table
// agrees with the items, no item or source is left without its story or
// item, and SQLite finds nothing wrong.
func checkConsistent(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []struct{ what, sql string }{
		{"items without a story", `SELECT count(*) FROM items WHERE story_id NOT IN (SELECT id FROM stories)`},
		{"stories without items", `SELECT count(*) FROM stories WHERE id NOT IN (SELECT story_id FROM items)`},
		{"stories with a wrong member count", `SELECT count(*) FROM stories s
			WHERE members != (SELECT count(*) FROM items WHERE story_id = s.id)`},
		{"sources without an item", `SELECT count(*) FROM item_sources WHERE item_id NOT IN (SELECT id FROM items)`},
	} {
		var n int
		if err := s.db.QueryRowContext(ctx, q.sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q.what, err)
		}
		if n != 0 {
			t.Errorf("%d %s", n, q.what)
		}
	}
	if got, err := s.IntegrityCheck(ctx); err != nil || got != "ok" {
		t.Errorf("IntegrityCheck = %q, %v", got, err)
	}
	if s.db.d != sqliteDialect {
		return // PostgreSQL enforces foreign keys at every statement
	}
	rows, err := s.db.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Error("foreign_key_check reports a violation")
	}
}

func count(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPrune(t *testing.T) { eachEngine(t, testPrune) }

func testPrune(t *testing.T, eng engine) {
	all := []string{"newest:3", "recent:1", "edge:1", "old:2", "mixed:2", "stale:2", "ancient:1"}
	tests := []struct {
		name                string
		olderThan           time.Time
		maxItems, batch     int
		wantItems, wantStor int
		want                []string
	}{
		{"nothing to do", time.Time{}, 0, 0, 0, 0, all},
		{"by age: a story goes whole, once its newest member is older", t0.Add(-90 * day), 0, 0, 5, 3,
			[]string{"newest:3", "recent:1", "edge:1", "mixed:2"}},
		{"by age, a cutoff between whole seconds", t0.Add(-90*day + time.Millisecond), 0, 0, 6, 4,
			[]string{"newest:3", "recent:1", "mixed:2"}},
		{"by age, nothing old enough", t0.Add(-365 * day), 0, 0, 0, 0, all},
		{"max items keeps the newest stories that fit", time.Time{}, 7, 0, 5, 3,
			[]string{"newest:3", "recent:1", "edge:1", "old:2"}},
		{"max items counts whole stories", time.Time{}, 8, 0, 5, 3,
			[]string{"newest:3", "recent:1", "edge:1", "old:2"}},
		{"max items, one short", time.Time{}, 6, 0, 7, 4,
			[]string{"newest:3", "recent:1", "edge:1"}},
		{"max items, all fit", time.Time{}, 12, 0, 0, 0, all},
		{"max items, only the newest fits", time.Time{}, 3, 0, 9, 6, []string{"newest:3"}},
		{"max items below the newest story", time.Time{}, 2, 0, 12, 7, nil},
		{"max items counts what the age leaves", t0.Add(-90 * day), 7, 0, 5, 3,
			[]string{"newest:3", "recent:1", "edge:1", "mixed:2"}},
		{"age and max items", t0.Add(-90 * day), 6, 0, 7, 4,
			[]string{"newest:3", "recent:1", "edge:1"}},
		{"batches of one", t0.Add(-90 * day), 0, 1, 5, 3,
			[]string{"newest:3", "recent:1", "edge:1", "mixed:2"}},
		{"batches of two, both rules", t0.Add(-90 * day), 6, 2, 7, 4,
			[]string{"newest:3", "recent:1", "edge:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := seedPrune(t, eng)
			if got := storyNames(t, s); !reflect.DeepEqual(got, all) {
				t.Fatalf("fixture stories = %q, want %q", got, all)
			}
			var batches []int
			afterPruneBatch = func(n int) { batches = append(batches, n) }
			defer func() { afterPruneBatch = nil }()

			items, stories, err := s.Prune(ctx, tt.olderThan, tt.maxItems, tt.batch)
			if err != nil {
				t.Fatal(err)
			}
			if items != tt.wantItems || stories != tt.wantStor {
				t.Errorf("Prune = %d items, %d stories; want %d, %d", items, stories, tt.wantItems, tt.wantStor)
			}
			if got := storyNames(t, s); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("stories left = %q, want %q", got, tt.want)
			}
			feeds, left, err := s.Counts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if feeds != 2 || left != 12-tt.wantItems {
				t.Errorf("Counts = %d feeds, %d items; want 2, %d", feeds, left, 12-tt.wantItems)
			}
			// Feed B carried the first member of every story.
			if got, want := count(t, s, "item_sources"), left+len(tt.want); got != want {
				t.Errorf("%d item sources, want %d", got, want)
			}
			limit := tt.batch
			if limit <= 0 {
				limit = DefaultPruneBatch
			}
			sum := 0
			for _, n := range batches {
				sum += n
				if n > limit {
					t.Errorf("a transaction deleted %d stories, more than the batch of %d", n, limit)
				}
			}
			if sum != tt.wantStor {
				t.Errorf("transactions deleted %v stories, want %d in all", batches, tt.wantStor)
			}
			if tt.batch > 0 && len(batches) < (tt.wantStor+tt.batch-1)/tt.batch {
				t.Errorf("%d transactions, want at least %d", len(batches), (tt.wantStor+tt.batch-1)/tt.batch)
			}
			checkConsistent(t, s)

			batches = nil
			items, stories, err = s.Prune(ctx, tt.olderThan, tt.maxItems, tt.batch)
			if err != nil || items != 0 || stories != 0 {
				t.Errorf("second Prune = %d items, %d stories, %v; want nothing", items, stories, err)
			}
			if len(batches) != 0 {
				t.Errorf("second Prune committed %d deleting transactions", len(batches))
			}
		})
	}
}

// A pruned item stays out while its tombstone remains: saving a fetch that
// still carries it, under its key or (from a feed that carried it) its GUID,
// stores nothing and revises nothing, and Unstored reports it as not to be
// written; a new item of the same feed is stored, and the feeds stay.
func TestPruneThenStore(t *testing.T) { eachEngine(t, testPruneThenStore) }

func testPruneThenStore(t *testing.T, eng engine) {
	ctx := context.Background()
	s := seedPrune(t, eng)
	if _, _, err := s.Prune(ctx, t0.Add(-90*day), 0, 0); err != nil {
		t.Fatal(err)
	}
	// old, ancient and stale went, each with its sources; feed B carried
	// the first member of every story.
	if got, want := tombstones(t, s), []string{"ancient0/A", "ancient0/B", "old0/A", "old0/B", "old1/A",
		"stale0/A", "stale0/B", "stale1/A"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tombstones = %q, want %q", got, want)
	}
	feeds, err := s.Feeds(ctx)
	if err != nil || len(feeds) != 2 {
		t.Fatalf("Feeds after Prune = %d, %v; want 2", len(feeds), err)
	}
	a, b := feeds[1].Feed.ID, feeds[0].Feed.ID // ordered by URL
	c, _, err := s.Feed(ctx, "https://c-new.example/feed", "C")
	if err != nil {
		t.Fatal(err)
	}
	old := func(key, hash string) Keyed {
		return keyed(key, hash).with(func(it *aggregator.Item) { it.Published = t0.Add(-100 * day) })
	}
	moved := old("old1", "h")
	moved.Key = "old1-moved" // its link changed; its GUID did not
	for _, tt := range []struct {
		name string
		feed int64
		k    Keyed
	}{
		{"the same item from its origin", a, old("old0", "h")},
		{"revised by its origin", a, old("old0", "h2")},
		{"from the other feed that carried it", b, old("ancient0", "h")},
		{"under another key, with the GUID its origin gave it", a, moved},
		{"from a feed that did not carry it, under its key", c.ID, old("stale0", "h")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			unstored, err := s.Unstored(ctx, tt.feed, []Keyed{tt.k})
			if err != nil || unstored[0] {
				t.Errorf("Unstored = %v, %v; want [false]", unstored, err)
			}
			added, changed, err := s.SaveFetch(ctx, tt.feed, Fetched{Items: []Keyed{tt.k}})
			if err != nil || added != 0 || changed != 0 {
				t.Errorf("SaveFetch = %d added, %d changed, %v; want nothing", added, changed, err)
			}
		})
	}

	fresh := old("fresh0", "h")
	unstored, err := s.Unstored(ctx, a, []Keyed{old("old0", "h"), fresh})
	if err != nil || !reflect.DeepEqual(unstored, []bool{false, true}) {
		t.Errorf("Unstored = %v, %v; want [false true]", unstored, err)
	}
	added, _, err := s.SaveFetch(ctx, a, Fetched{Items: []Keyed{old("old0", "h"), fresh}})
	if err != nil || added != 1 {
		t.Fatalf("SaveFetch of a pruned and a new item = %d added, %v; want 1", added, err)
	}
	want := []string{"newest:3", "recent:1", "edge:1", "fresh:1", "mixed:2"}
	if got := storyNames(t, s); !reflect.DeepEqual(got, want) {
		t.Errorf("stories = %q, want %q", got, want)
	}
	checkConsistent(t, s)
}

// tombstones lists the tombstones as key/feed, the feed by its name.
func tombstones(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.db.Query(`SELECT t.key, f.name FROM tombstones t JOIN feeds f ON f.id = t.feed_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var key, feed string
		if err := rows.Scan(&key, &feed); err != nil {
			t.Fatal(err)
		}
		out = append(out, key+"/"+feed)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// Tombstones go once their feed's parsed documents have left the item out
// for tombstoneGrace, or once their feed has not been fetched for
// max(2×max_age, 30 days); a feed fetched but unchanged keeps them.
func TestTombstoneSweep(t *testing.T) { eachEngine(t, testTombstoneSweep) }

func testTombstoneSweep(t *testing.T, eng engine) {
	ctx := context.Background()
	s := eng.open(t)
	a, _, err := s.Feed(ctx, feedA, "A")
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := s.Feed(ctx, feedB, "B")
	if err != nil {
		t.Fatal(err)
	}
	item := func(key string, age time.Duration) Keyed {
		return keyed(key, "h").with(func(it *aggregator.Item) { it.Published = t0.Add(-age) })
	}
	a1, a2, a3, a4, b1 := item("a1", 3*time.Hour), item("a2", 2*time.Hour), item("a3", time.Hour), item("a4", 0), item("b1", 4*time.Hour)
	// fetch saves a parsed document of feed at t0+after, fetched then.
	fetch := func(after time.Duration, feed int64, items ...Keyed) int {
		t.Helper()
		at := t0.Add(after)
		s.SetClock(func() time.Time { return at })
		st := aggregator.FeedState{LastAttempt: at, LastSuccess: at}
		added, _, err := s.SaveFetch(ctx, feed, Fetched{State: st, Meta: &Meta{}, Items: items})
		if err != nil {
			t.Fatal(err)
		}
		return added
	}
	// unchanged saves a fetch of feed at t0+after that found its document
	// unchanged (a 304).
	unchanged := func(after time.Duration, feed int64) {
		t.Helper()
		at := t0.Add(after)
		s.SetClock(func() time.Time { return at })
		st := aggregator.FeedState{LastAttempt: at, LastSuccess: at, LastStatus: 304}
		if _, _, err := s.SaveFetch(ctx, feed, Fetched{State: st}); err != nil {
			t.Fatal(err)
		}
	}
	// prune runs Prune at t0+after, by max items only.
	prune := func(after time.Duration, maxItems int) {
		t.Helper()
		at := t0.Add(after)
		s.SetClock(func() time.Time { return at })
		if _, _, err := s.Prune(ctx, time.Time{}, maxItems, 0); err != nil {
			t.Fatal(err)
		}
	}
	want := func(step string, keys ...string) {
		t.Helper()
		if got := tombstones(t, s); !slices.Equal(got, keys) {
			t.Errorf("%s: tombstones = %q, want %q", step, got, keys)
		}
	}

	fetch(0, a.ID, a1, a2, a3)
	fetch(0, b.ID, b1)
	prune(0, 1)
	want("after the prune", "a1/A", "a2/A", "b1/B")

	if n := fetch(20*day, a.ID, a1, a3, a4); n != 1 {
		t.Errorf("a document with two pruned items and a new one added %d, want 1", n)
	}
	prune(20*day, 0)
	want("a2 left out of A's documents for 20 days", "a1/A", "b1/B")
	if unstored, err := s.Unstored(ctx, a.ID, []Keyed{a1, a2}); err != nil || !reflect.DeepEqual(unstored, []bool{false, true}) {
		t.Errorf("Unstored(a1, a2) = %v, %v; want [false true]: a2's tombstone is gone", unstored, err)
	}

	// A is fetched but unchanged from here on; B is no longer fetched.
	unchanged(30*day, a.ID)
	prune(30*day, 0)
	want("30 days after B's last fetch", "a1/A", "b1/B")
	prune(30*day+time.Second, 0)
	want("B not fetched for more than 30 days", "a1/A")
	unchanged(60*day, a.ID)
	prune(60*day, 0)
	want("A unchanged since it last carried a1", "a1/A")
	if n := fetch(61*day, a.ID, a1, a3, a4); n != 0 {
		t.Errorf("A changed again, still with a1: added %d, want 0", n)
	}
	prune(61*day, 0)
	want("A carried a1 again", "a1/A")
	fetch(61*day+tombstoneGrace, a.ID, a3, a4)
	prune(61*day+tombstoneGrace, 0)
	want("A left a1 out for exactly the grace", "a1/A")
	fetch(61*day+tombstoneGrace+time.Second, a.ID, a3, a4)
	prune(61*day+tombstoneGrace+time.Second, 0)
	want("A left a1 out for longer than the grace")
	checkConsistent(t, s)
}

// The limit for the tombstones of feeds no longer fetched is twice the
// retention age, and at least 30 days.
func TestTombstoneSweepMaxAge(t *testing.T) { eachEngine(t, testTombstoneSweepMaxAge) }

func testTombstoneSweepMaxAge(t *testing.T, eng engine) {
	for _, tt := range []struct {
		maxAge, limit time.Duration
	}{
		{0, 30 * day},
		{10 * day, 30 * day},
		{40 * day, 80 * day},
	} {
		t.Run(tt.maxAge.String(), func(t *testing.T) {
			ctx := context.Background()
			s := eng.open(t)
			b, _, err := s.Feed(ctx, feedB, "B")
			if err != nil {
				t.Fatal(err)
			}
			old := keyed("b1", "h").with(func(it *aggregator.Item) { it.Published = t0.Add(-time.Hour) })
			st := aggregator.FeedState{LastAttempt: t0, LastSuccess: t0}
			if _, _, err := s.SaveFetch(ctx, b.ID, Fetched{State: st, Items: []Keyed{old, keyed("b2", "h")}}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Prune(ctx, time.Time{}, 1, 0); err != nil {
				t.Fatal(err)
			}
			for _, after := range []time.Duration{tt.limit, tt.limit + time.Second} {
				now := t0.Add(after)
				s.SetClock(func() time.Time { return now })
				var olderThan time.Time
				if tt.maxAge > 0 {
					olderThan = now.Add(-tt.maxAge)
				}
				if _, _, err := s.Prune(ctx, olderThan, 0, 0); err != nil {
					t.Fatal(err)
				}
				var n int
				if err := s.db.QueryRow(`SELECT count(*) FROM tombstones WHERE key = 'b1'`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				want := 1
				if after > tt.limit {
					want = 0
				}
				if n != want {
					t.Errorf("%s after B's last fetch: %d tombstones of b1, want %d", after, n, want)
				}
			}
		})
	}
}

// Prune hands freed pages back only to a database in incremental
// auto-vacuum mode, and never changes the mode. SQLite only: auto_vacuum
// and the free list are SQLite's.
func TestPruneVacuum(t *testing.T) {
	big := strings.Repeat("lorem ipsum ", 2000)
	fill := func(t *testing.T, s *Store) {
		t.Helper()
		ctx := context.Background()
		a, _, err := s.Feed(ctx, feedA, "A")
		if err != nil {
			t.Fatal(err)
		}
		var items []Keyed
		for i := range 200 {
			key := "k" + string(rune('a'+i%26)) + string(rune('a'+i/26))
			items = append(items, keyed(key, "h").with(func(it *aggregator.Item) {
				it.Published = t0.Add(-time.Duration(100+i) * day)
				it.Content = big
			}))
		}
		saveSeenWhenPublished(t, s, a.ID, items, nil)
	}
	prune := func(t *testing.T, s *Store) {
		t.Helper()
		items, stories, err := s.Prune(context.Background(), t0.Add(-90*day), 0, 50)
		if err != nil || items != 200 || stories != 200 {
			t.Fatalf("Prune = %d items, %d stories, %v; want 200, 200", items, stories, err)
		}
		checkConsistent(t, s)
	}

	t.Run("incremental", func(t *testing.T) {
		s := sqliteEngine.open(t)
		if _, err := s.db.Exec(`PRAGMA auto_vacuum = INCREMENTAL; VACUUM`); err != nil {
			t.Fatal(err)
		}
		fill(t, s)
		prune(t, s)
		if got := pragma(t, s, "auto_vacuum"); got != "2" {
			t.Errorf("auto_vacuum = %s, want 2", got)
		}
		if got := pragma(t, s, "freelist_count"); got != "0" {
			t.Errorf("freelist_count = %s after Prune, want 0", got)
		}
	})
	t.Run("none", func(t *testing.T) {
		s := sqliteEngine.open(t)
		fill(t, s)
		prune(t, s)
		if got := pragma(t, s, "auto_vacuum"); got != "0" {
			t.Errorf("auto_vacuum = %s, want 0", got)
		}
		if got := pragma(t, s, "freelist_count"); got == "0" {
			t.Error("freelist_count = 0 after Prune; want the freed pages kept for reuse")
		}
	})
}
