// Package storetest opens stores for tests. The store package's own tests
// cannot use it, since it imports store; they have openTest.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"aggregator/store"
)

// Open opens the store at path and closes it when tb ends. It fails tb if
// the store does not open.
func Open(tb testing.TB, path string) *store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// New opens a new store in a temporary folder of tb, as Open does.
func New(tb testing.TB) *store.Store {
	tb.Helper()
	return Open(tb, filepath.Join(tb.TempDir(), "agg.db"))
}
