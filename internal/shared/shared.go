// Package shared finds, for tests, the fixtures and tools kept beside the
// project as .ci/run finds them: in $SHARED_DIR, else in ../shared next to
// the module's root.
package shared

import (
	"os"
	"path/filepath"
	"testing"
)

// Path returns the path of elem (e.g. "fixtures", "realweek") under the
// shared folder. When it is not there the test is skipped, or fails under
// CI (the CI environment variable set), where a missing fixture would
// otherwise pass unnoticed.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{Dir()}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared fixture missing under CI: %v (set SHARED_DIR)", err)
		}
		t.Skipf("shared fixture absent: %v (set SHARED_DIR)", err)
	}
	return p
}

// Dir is the shared folder: $SHARED_DIR, else ../shared next to the
// module's root (which may not exist: benchmarks that can do without it
// look for it there, and tests use Path).
func Dir() string {
	if dir := os.Getenv("SHARED_DIR"); dir != "" {
		return dir
	}
	root, err := moduleRoot()
	if err != nil {
		return filepath.Join("..", "shared")
	}
	return filepath.Join(root, "..", "shared")
}

// moduleRoot is the nearest folder up from the working directory that
// holds a go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
