package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestStoreFilesIgnored checks that git ignores every file a run leaves
// beside the demo's store: the database, its WAL files and the lock of
// --once, so that the README's offline demo leaves the checkout clean.
func TestStoreFilesIgnored(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("git", "-C", root, "rev-parse", "--is-inside-work-tree").Run(); err != nil {
		t.Skipf("%s is not a git work tree", root)
	}
	store := "testdata/kim/kim.db" // testdata/kim/config.yaml's store
	for _, path := range []string{store, store + "-wal", store + "-shm", lockPath(store)} {
		err := exec.Command("git", "-C", root, "check-ignore", "-q", path).Run()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit) && exit.ExitCode() == 1:
			t.Errorf("git does not ignore %s; add it to .gitignore", path)
		case err != nil:
			t.Fatalf("git check-ignore %s: %v", path, err)
		}
	}
}
