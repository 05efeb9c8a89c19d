package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadFeedFiles checks that with Options.CheckFeedFiles a feed read from
// a local file that is missing, unreadable or a folder is a problem at its
// url's line, naming the path looked at, and that without it the config
// loads.
func TestLoadFeedFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"world.xml", "locked.xml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("<rss/>"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "feeds"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := "" +
		"feeds:\n" +
		"  - url: world.xml\n" +
		"  - url: wrold.xml\n" +
		"  - url: file://" + filepath.ToSlash(filepath.Join(dir, "gone.xml")) + "\n" +
		"  - url: feeds\n" +
		"  - url: https://example.com/feed.xml\n" +
		"  - url: locked.xml\n"
	want := []string{
		":3: feeds[1].url: cannot read $DIR/wrold.xml: no such file or directory; check the path (relative paths are relative to the config's folder) and the file's permissions",
		":4: feeds[2].url: cannot read $DIR/gone.xml: no such file or directory; check the path (relative paths are relative to the config's folder) and the file's permissions",
		":5: feeds[3].url: $DIR/feeds is a folder; write the path of the feed file in it",
	}
	if os.Geteuid() != 0 { // root reads any file
		if err := os.Chmod(filepath.Join(dir, "locked.xml"), 0); err != nil {
			t.Fatal(err)
		}
		want = append(want, ":7: feeds[5].url: cannot read $DIR/locked.xml: permission denied; check the path (relative paths are relative to the config's folder) and the file's permissions")
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}

	if _, err := LoadFile(path); err != nil {
		t.Fatalf("without CheckFeedFiles: %v", err)
	}
	c, err := LoadFileWith(path, Options{CheckFeedFiles: true})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("LoadFileWith = %+v, %v; want *Error", c, err)
	}
	var got []string
	for _, p := range e.Problems {
		got = append(got, strings.TrimPrefix(p.String(), path))
	}
	for i := range want {
		want[i] = strings.ReplaceAll(want[i], "$DIR", dir)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}
