package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"aggregator"
	"aggregator/internal/pgtest"
)

// articleHTML is an article body like a feed's: about n bytes of HTML.
func articleHTML(n int, seed string) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, `<p>Paragraph %d of %s: the talks in Vladivostok went on — «Kim Jong Un» met <a href="https://news.example/%s/%d">Putin</a>, <em>reports say</em>.</p>`+"\n", i, seed, seed, i)
	}
	return b.String()
}

func TestBodyEncoding(t *testing.T) {
	random := make([]byte, 4000)
	rand.Read(random)
	for _, tc := range []struct {
		name  string
		text  string
		first byte // of the encoding; 0xff: no bytes
	}{
		{"empty", "", 0xff},
		{"short", "<p>Kim leaves for Russia.</p>", bodyPlain},
		{"article", articleHTML(9000, "a"), bodyZstd},
		{"incompressible", string(random), bodyPlain}, // not valid UTF-8 either: kept as it is
		{"just under the threshold", strings.Repeat("a", bodyMinZstd-1), bodyPlain},
		{"at the threshold", strings.Repeat("a", bodyMinZstd), bodyZstd},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := encodeBody(tc.text)
			switch {
			case tc.first == 0xff && len(b) != 0:
				t.Errorf("encoded as %d bytes, want none", len(b))
			case tc.first != 0xff && (len(b) == 0 || b[0] != tc.first):
				t.Errorf("encoded as %x…, want the first byte %#x", b[:min(len(b), 8)], tc.first)
			}
			if tc.first == bodyZstd && len(b) >= len(tc.text) {
				t.Errorf("compressed to %d bytes from %d", len(b), len(tc.text))
			}
			got, err := decodeBody(b)
			if err != nil || got != tc.text {
				t.Errorf("decodeBody(encodeBody(text)) = %d bytes, %v; want the %d bytes of text", len(got), err, len(tc.text))
			}
		})
	}
	if _, err := decodeBody([]byte{0x02, 'x'}); !errors.Is(err, errBody) {
		t.Errorf("decodeBody of an unknown encoding: %v, want errBody", err)
	}
	if _, err := decodeBody([]byte{bodyZstd, 1, 2, 3}); err == nil {
		t.Error("decodeBody of a broken frame: no error")
	}
}

// storeAt returns a store of the engine at schema version (the first
// version migrations), as an older program left it, holding what the
// inserts put there; each insert is a statement with its arguments.
func storeAt(t *testing.T, eng engine, version int, inserts ...[]any) string {
	t.Helper()
	ctx := context.Background()
	var (
		store, driver, name string
		d                   *dialect
	)
	switch eng.name {
	case "sqlite":
		store = eng.store(t)
		driver, name, d = "sqlite", "file:"+store, sqliteDialect
	default:
		store = pgtest.DSN(t)
		driver, name, d = "pgx", store, postgresDialect
	}
	db, err := sql.Open(driver, name)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	qs := slices.Clone(d.migrations[:version])
	if d == sqliteDialect {
		qs = append(qs, fmt.Sprintf(`PRAGMA user_version = %d`, version))
	} else {
		qs = append(qs, `CREATE TABLE schema_version (version BIGINT NOT NULL)`,
			fmt.Sprintf(`INSERT INTO schema_version (version) VALUES (%d)`, version))
	}
	for _, q := range qs {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	tx, err := db.BeginTx(ctx, nil) // one commit: a sync each would take seconds
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, ins := range inserts {
		if _, err := tx.ExecContext(ctx, d.sql(ins[0].(string)), ins[1:]...); err != nil {
			t.Fatalf("%s: %v", ins[0], err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return store
}

// TestMigrateCompressesBodies: a store written before bodies were
// compressed (schema version 10) opens, and reads back every item's
// summary and content byte for byte, now compressed.
func TestMigrateCompressesBodies(t *testing.T) { eachEngine(t, testMigrateCompressesBodies) }

func testMigrateCompressesBodies(t *testing.T, eng engine) {
	ctx := context.Background()
	type body struct{ summary, content string }
	bodies := []body{
		{"", ""},
		{"<p>Kim leaves for Russia by armoured train.</p>", ""},
		{"<p>Lead: «Путин» and 金正恩 meet.</p>", articleHTML(9000, "one")},
		{articleHTML(600, "two"), articleHTML(20000, "two")},
	}
	// More items than compressBodies rewrites at a time.
	for i := range bodyBatch + 3 {
		bodies = append(bodies, body{fmt.Sprintf("<p>Item %d.</p>", i), articleHTML(500+i*7, fmt.Sprint(i))})
	}
	inserts := [][]any{{`INSERT INTO feeds (id, url, name, title) VALUES (1, 'https://v10.example/feed', 'v10', 'V10')`}}
	pub := t0.Add(-time.Hour).Unix()
	for i, b := range bodies {
		id, key := i+1, fmt.Sprintf("k%d", i)
		inserts = append(inserts,
			[]any{`INSERT INTO items (id, key, entry_id, feed_id, guid, link, title, summary, content, author, categories,
				published, updated, first_seen, content_hash, story_id, story_score, tags, placed, cluster_id)
				VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, '', '[]', ?, ?, ?, 'h', ?, 1, '[]', ?, ?)`,
				id, key, "urn:" + key, "guid-" + key, "https://news.example/" + key, "Title " + key, b.summary, b.content,
				pub, pub, pub, "urn:" + key, id, "urn:" + key},
			[]any{`INSERT INTO item_sources (item_id, feed_id, guid, link, first_seen) VALUES (?, 1, ?, ?, ?)`,
				id, "guid-" + key, "https://news.example/" + key, pub},
			[]any{`INSERT INTO stories (id, published, members, seq) VALUES (?, ?, 1, ?)`, "urn:" + key, pub, id})
	}
	s, err := Open(ctx, storeAt(t, eng, 10, inserts...))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	stories, err := s.Stories(ctx, len(bodies)+1)
	if err != nil {
		t.Fatal(err)
	}
	if len(stories) != len(bodies) {
		t.Fatalf("%d stories after migrating, want %d", len(stories), len(bodies))
	}
	for _, st := range stories {
		var i int
		fmt.Sscanf(st.ID, "urn:k%d", &i)
		it := st.Members[0].Item
		if it.Summary != bodies[i].summary || it.Content != bodies[i].content {
			t.Errorf("story %s: summary of %d bytes and content of %d, want %d and %d, byte for byte",
				st.ID, len(it.Summary), len(it.Content), len(bodies[i].summary), len(bodies[i].content))
		}
	}
	replayed := 0
	err = s.ReplayPlaced(ctx, t0.Add(-24*time.Hour), func(st Stored) error {
		var i int
		fmt.Sscanf(st.EntryID, "urn:k%d", &i)
		if st.Item.Summary != bodies[i].summary || st.Item.Content != bodies[i].content {
			t.Errorf("replay of %s: the bodies differ", st.EntryID)
		}
		replayed++
		return nil
	})
	if err != nil || replayed != len(bodies) {
		t.Errorf("ReplayPlaced = %d articles, %v; want %d", replayed, err, len(bodies))
	}

	// Stored compressed: the big bodies shrank, and none is text any more.
	var stored, text int64
	err = s.db.QueryRowContext(ctx, `SELECT sum(length(content)), `+
		map[string]string{"sqlite": `sum(typeof(content) = 'text')`, "postgres": `0`}[eng.name]+
		` FROM items`).Scan(&stored, &text)
	if err != nil {
		t.Fatal(err)
	}
	var written int64
	for _, b := range bodies {
		written += int64(len(b.content))
	}
	if stored*2 > written || text != 0 {
		t.Errorf("contents take %d bytes stored, %d as text, for %d bytes written; want under half, none as text", stored, text, written)
	}

	// And the items migrated are the items saved again.
	k := keyed("k2", "h")
	added, changed, err := s.SaveFetch(ctx, 1, Fetched{Items: []Keyed{k}})
	if err != nil || added != 0 || changed != 0 {
		t.Errorf("SaveFetch of a migrated item = %d added, %d changed, %v; want 0, 0", added, changed, err)
	}
}

// TestBodiesRoundTrip: what SaveFetch writes, revises and takes over is
// what the store reads back, whatever the size of its bodies.
func TestBodiesRoundTrip(t *testing.T) { eachEngine(t, testBodiesRoundTrip) }

func testBodiesRoundTrip(t *testing.T, eng engine) {
	ctx := context.Background()
	s := eng.open(t)
	feeds, err := s.FeedsFor(ctx, []FeedRef{{"https://a.example/feed", "A"}})
	if err != nil {
		t.Fatal(err)
	}
	summary, content := "<p>Короткий — short.</p>", articleHTML(12000, "rt")
	k := keyed("k1", "h1").with(func(it *aggregator.Item) { it.Summary, it.Content = summary, content })
	if _, _, err := s.SaveFetch(ctx, feeds[0].Feed.ID, Fetched{Items: []Keyed{k}}); err != nil {
		t.Fatal(err)
	}
	check := func(what, summary, content string) {
		t.Helper()
		stories, err := s.Stories(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(stories) != 1 || stories[0].Members[0].Item.Summary != summary || stories[0].Members[0].Item.Content != content {
			t.Errorf("%s: the bodies read back differ from those saved", what)
		}
	}
	check("new", summary, content)
	k2 := keyed("k1", "h2").with(func(it *aggregator.Item) { it.Summary, it.Content = content, "" })
	if _, changed, err := s.SaveFetch(ctx, feeds[0].Feed.ID, Fetched{Items: []Keyed{k2}}); err != nil || changed != 1 {
		t.Fatalf("revision: %d changed, %v", changed, err)
	}
	check("revised", content, "")
	n, err := s.Retag(ctx, func(it aggregator.Item, _ aggregator.Feed) []aggregator.Tag {
		if it.Summary != content || it.Content != "" {
			t.Errorf("Retag sees other bodies than those saved")
		}
		return nil
	})
	if err != nil || n != 1 {
		t.Errorf("Retag = %d, %v", n, err)
	}
}
