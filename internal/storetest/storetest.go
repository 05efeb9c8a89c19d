// Package storetest opens stores for tests, on SQLite and on PostgreSQL.
// The store package's own tests cannot use it, since it imports store; they
// have openTest.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"aggregator/internal/pgtest"
	"aggregator/store"
)

// Open opens the store at path (a SQLite file or a postgres:// URL) and
// closes it when tb ends. It fails tb if the store does not open.
func Open(tb testing.TB, path string) *store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// New opens a new SQLite store in a temporary folder of tb, as Open does.
func New(tb testing.TB) *store.Store {
	tb.Helper()
	return Open(tb, filepath.Join(tb.TempDir(), "agg.db"))
}

// Postgres opens a new store on PostgreSQL, in a database of its own that
// is dropped when tb ends (see pgtest: without PostgreSQL tb is skipped,
// or fails under CI).
func Postgres(tb testing.TB) *store.Store {
	tb.Helper()
	return Open(tb, pgtest.DSN(tb))
}

// An Engine is a database the store runs on, as tests open it.
type Engine struct {
	Name string
	// New opens a new, empty store on the engine.
	New func(testing.TB) *store.Store
}

// Engines are the engines the store runs on.
var Engines = []Engine{{"sqlite", New}, {"postgres", Postgres}}

// EachEngine runs test on every engine, as subtests named after them
// (go test -run 'Test.*/postgres' picks one engine).
func EachEngine(t *testing.T, test func(t *testing.T, eng Engine)) {
	t.Helper()
	for _, eng := range Engines {
		t.Run(eng.Name, func(t *testing.T) { test(t, eng) })
	}
}
