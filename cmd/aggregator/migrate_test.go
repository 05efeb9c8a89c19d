package main

import (
	"bytes"
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"aggregator/internal/pgtest"
	"aggregator/internal/storetest"
)

// TestMigrate moves the store of a real --once run into PostgreSQL and
// back to SQLite: each time migrate prints every table's rows and checksum,
// never the password, and a --once on the copy publishes the same entries,
// byte for byte.
func TestMigrate(t *testing.T) {
	ctx := context.Background()
	cfg := writeConfig(t, "", kimURLs(t)...)
	dir := filepath.Dir(cfg)
	atom := filepath.Join(dir, "public", "all.atom")
	once := func(what string) []byte {
		t.Helper()
		var stderr bytes.Buffer
		if err := run(ctx, []string{"--config", cfg, "--once"}, io.Discard, &stderr); err != nil {
			t.Fatalf("--once %s: %v\n%s", what, err, stderr.String())
		}
		b, err := os.ReadFile(atom)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(atom); err != nil {
			t.Fatal(err)
		}
		return b
	}
	want := once("on SQLite")
	sqlitePath := filepath.Join(dir, "agg.db")

	// The password is in the URL and in a file: with trust authentication
	// the test cluster does not ask for it, but migrate must not show it.
	u, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "s3cret-in-url")
	dsn := u.String()
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("s3cret-in-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	migrate := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		err := run(ctx, append([]string{"migrate"}, args...), &stdout, &stderr)
		out := stdout.String() + stderr.String()
		if err != nil {
			t.Fatalf("migrate %q: %v\n%s", args, err, out)
		}
		if strings.Contains(out, "s3cret") {
			t.Errorf("migrate showed a password:\n%s", out)
		}
		return stdout.String()
	}
	out := migrate("--from", sqlitePath, "--to", dsn, "--to-password-file", pwFile)
	for _, table := range []string{"feeds", "items", "item_sources", "settings", "stories", "tag_labels", "tombstones"} {
		if !regexp.MustCompile(`(?m)^` + table + `: \d+ rows?, sha256 [0-9a-f]{64}$`).MatchString(out) {
			t.Errorf("no line for %s in:\n%s", table, out)
		}
	}
	if !strings.Contains(out, "feeds: 5 rows,") || !strings.Contains(out, "items: 13 rows,") {
		t.Errorf("want 5 feeds and 13 items copied:\n%s", out)
	}
	if !strings.Contains(out, "the copy matches the source: ") || !strings.Contains(out, "aggregator:xxxxx@") {
		t.Errorf("no final line saying the copy matches, naming the store without its password:\n%s", out)
	}

	setStore(t, cfg, dsn)
	if got := once("on the PostgreSQL copy"); !bytes.Equal(got, want) {
		t.Errorf("--once on PostgreSQL published otherwise than on SQLite:\n%s\nwant\n%s", got, want)
	}

	// And back into a new SQLite file.
	back := filepath.Join(t.TempDir(), "sub", "back.db")
	migrate("--from", dsn, "--to", back)
	feeds, items, err := storetest.Open(t, back).Counts(ctx)
	if err != nil || feeds != 5 || items != 13 {
		t.Errorf("the SQLite copy of the copy holds %d feeds, %d items (%v); want 5, 13", feeds, items, err)
	}
	setStore(t, cfg, back)
	if got := once("on the SQLite copy of the copy"); !bytes.Equal(got, want) {
		t.Errorf("--once on the SQLite copy published otherwise than on SQLite first:\n%s\nwant\n%s", got, want)
	}
}

// TestMigrateRefuses: migrate refuses bad usage (2), a store it would
// have to make or overwrite (3), and a store another run holds (4), and
// leaves everything as it was.
func TestMigrateRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	full := filepath.Join(dir, "full.db")
	st := storetest.Open(t, full)
	if _, _, err := st.Feed(ctx, "https://a.example/feed", "A"); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.db")
	otherStore := storetest.Open(t, other)
	if _, _, err := otherStore.Feed(ctx, "https://b.example/feed", "B"); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.db")
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no flags", nil, exitUsage, "migrate takes --from and --to"},
		{"no --to", []string{"--from", full}, exitUsage, "migrate takes --from and --to"},
		{"the same store", []string{"--from", full, "--to", full}, exitUsage, "the same store"},
		{"a password for SQLite", []string{"--from", full, "--to", filepath.Join(dir, "new.db"), "--to-password-file", full}, exitUsage, "SQLite"},
		{"a missing source", []string{"--from", missing, "--to", filepath.Join(dir, "new.db")}, exitCannotRun, "no store at " + missing},
		{"a store that is not empty", []string{"--from", full, "--to", other}, exitCannotRun,
			"the destination store is not empty: it holds 1 feed; migrate into a new database"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(ctx, append([]string{"migrate"}, tt.args...), &stdout, &stderr)
			if code := exitCode(err); code != tt.code || err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("exit %d (%v), want %d and %q", code, err, tt.code, tt.want)
			}
			if tt.code == exitUsage && !strings.Contains(err.Error(), "same") && !strings.Contains(err.Error(), "SQLite") &&
				!strings.Contains(stderr.String(), "Usage: aggregator migrate") {
				t.Errorf("no usage shown: %q", stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("printed %q", stdout.String())
			}
		})
	}
	for _, path := range []string{missing, filepath.Join(dir, "new.db")} {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s made (%v)", path, err)
		}
	}
	if feeds, _, err := otherStore.Counts(ctx); err != nil || feeds != 1 {
		t.Errorf("the refused destination holds %d feeds (%v), want its 1", feeds, err)
	}

	// A --once run holding the source's lock keeps migrate out.
	unlock, err := lockOnce(ctx, st, false)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	to := filepath.Join(dir, "to.db")
	err = run(ctx, []string{"migrate", "--from", full, "--to", to}, io.Discard, io.Discard)
	if code := exitCode(err); code != exitLocked || !strings.Contains(err.Error(), "source store "+full+" is in use") {
		t.Errorf("exit %d (%v), want %d and the source in use", code, err, exitLocked)
	}
}
