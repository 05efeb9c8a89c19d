package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"aggregator/internal/storetest"
)

// TestStoreFetchClient: the runs' fetch client takes the host slots of a
// PostgreSQL store, per_host of them per host; on SQLite it takes none.
func TestStoreFetchClient(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	config := "fetch:\n  per_host: 3\n  concurrency: 4\nfeeds:\n  - url: https://example.com/feed.xml\n"
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if c := storeFetchClient(cfg, storetest.New(t)); c.HostLimit != nil || c.PerHost != 3 {
		t.Errorf("on SQLite: HostLimit %v, PerHost %d; want none and 3", c.HostLimit, c.PerHost)
	}

	c := storeFetchClient(cfg, storetest.Postgres(t))
	if c.HostLimit == nil {
		t.Fatal("on PostgreSQL: no HostLimit")
	}
	const host = "example.com:443"
	for range 3 {
		release, err := c.HostLimit.Acquire(t.Context(), host)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := c.HostLimit.Acquire(ctx, host); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a fourth slot with per_host 3: %v, want to wait until the deadline", err)
	}
}
