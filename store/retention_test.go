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
func seedPrune(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s := openTest(t)
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
	if got := pragma(t, s, "integrity_check"); got != "ok" {
		t.Errorf("integrity_check = %q", got)
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

func TestPrune(t *testing.T) {
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
			s := seedPrune(t)
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

// A pruned story's id is free again: an article that arrives for it later
// starts it anew, and the feeds stay.
func TestPruneThenStore(t *testing.T) {
	ctx := context.Background()
	s := seedPrune(t)
	if _, _, err := s.Prune(ctx, t0.Add(-90*day), 0, 0); err != nil {
		t.Fatal(err)
	}
	feeds, err := s.Feeds(ctx)
	if err != nil || len(feeds) != 2 {
		t.Fatalf("Feeds after Prune = %d, %v; want 2", len(feeds), err)
	}
	k := keyed("old0", "h").with(func(it *aggregator.Item) { it.Published = t0.Add(-100 * day) })
	added, _, err := s.SaveFetch(ctx, feeds[0].Feed.ID, Fetched{Items: []Keyed{k}})
	if err != nil || added != 1 {
		t.Fatalf("SaveFetch after Prune = %d added, %v; want 1", added, err)
	}
	if got := storyNames(t, s); !slices.Contains(got, "old:1") {
		t.Errorf("stories = %q, want old:1 among them", got)
	}
	checkConsistent(t, s)
}

// Prune hands freed pages back only to a database in incremental
// auto-vacuum mode, and never changes the mode.
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
		s := openTest(t)
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
		s := openTest(t)
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
