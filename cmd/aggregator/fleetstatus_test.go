package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aggregator"
	"aggregator/internal/pgtest"
	"aggregator/store"
)

// On a PostgreSQL store, `aggregator status` says which instance leads
// ("leader: none" while none does) and has a FETCHED BY column; --json
// gives every feed a fetched_by, "" for a feed no instance fetched.
func TestStatusOnSharedStore(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	fetched, never := "https://desk.example/feed.xml", "https://never.example/feed.xml"
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	config := fmt.Sprintf("store: %q\ninstance: feeds-cli\npublish:\n  dir: public\n  base_url: http://feeds.example/\n"+
		"feeds:\n  - url: %s\n    name: Desk\n  - url: %s\n    name: Never\n", dsn, fetched, never)
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	status := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := run(ctx, append([]string{"status", "--config", cfg}, args...), &stdout, &stderr); err != nil {
			t.Fatalf("status %v: %v\n%s", args, err, stderr.String())
		}
		return stdout.String()
	}
	if out := status(); !strings.HasPrefix(out, "leader: none\n") {
		t.Errorf("status with no instance leading does not begin with leader: none:\n%s", out)
	}

	// feeds-1 leads; feeds-2 fetched the first feed.
	st, err := store.OpenWith(ctx, dsn, store.Options{Instance: "feeds-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	leadCtx, stopLeading := context.WithCancel(ctx)
	leader := st.Leader()
	leader.Retry = 100 * time.Millisecond
	leading := make(chan struct{})
	go func() { defer close(leading); leader.Run(leadCtx) }()
	defer func() { stopLeading(); <-leading }()
	<-leader.Tried()
	if lead, _ := leader.Leading(); !lead {
		t.Fatal("feeds-1 does not lead")
	}
	feed, _, err := st.Feed(ctx, fetched, "")
	if err != nil {
		t.Fatal(err)
	}
	attempt := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	state := aggregator.FeedState{URL: fetched, LastAttempt: attempt, LastSuccess: attempt, LastStatus: 200}
	if _, _, err := st.SaveFetch(ctx, feed.ID, store.Fetched{State: state, By: "feeds-2"}); err != nil {
		t.Fatal(err)
	}

	out := status()
	lines := strings.Split(out, "\n")
	if len(lines) < 4 || lines[0] != "leader: feeds-1" {
		t.Fatalf("status does not begin with leader: feeds-1:\n%s", out)
	}
	header := lines[1]
	from, to := strings.Index(header, "FETCHED BY"), strings.Index(header, "ERROR")
	if from < 0 || to < from {
		t.Fatalf("status table has no FETCHED BY column before ERROR:\n%s", out)
	}
	for i, want := range []string{"feeds-2", "-"} {
		row := lines[2+i]
		if to > len(row) {
			to = len(row)
		}
		if got := strings.TrimSpace(row[from:to]); got != want {
			t.Errorf("FETCHED BY of row %d is %q, want %q:\n%s", i+1, got, want, out)
		}
	}

	var feeds []map[string]any
	if err := json.Unmarshal([]byte(status("--json")), &feeds); err != nil {
		t.Fatalf("status --json is not an array of objects: %v", err)
	}
	if len(feeds) != 2 {
		t.Fatalf("status --json lists %d feeds, want 2", len(feeds))
	}
	for i, want := range []string{"feeds-2", ""} {
		if got, ok := feeds[i]["fetched_by"]; !ok || got != want {
			t.Errorf("status --json: feed %d has fetched_by %v (present: %v), want %q", i+1, got, ok, want)
		}
	}
}
