package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// checkFeedFiles records in p each feed read from a local file whose file
// cannot be read: it does not exist, may not be opened, or is a folder. Feeds
// whose url failed to decode, or is not a valid file URL, are skipped: the
// decoder or check reports them.
func (c *Config) checkFeedFiles(p *problems) {
	for i, f := range c.Feeds {
		path := fmt.Sprintf("feeds[%d].url", i)
		if p.failed(path) || !strings.HasPrefix(f.URL, "file:") {
			continue
		}
		u, err := url.Parse(f.URL)
		if err != nil || u.Opaque != "" || (u.Host != "" && u.Host != "localhost") || !strings.HasPrefix(u.Path, "/") {
			continue
		}
		if msg := feedFileProblem(filepath.FromSlash(u.Path)); msg != "" {
			p.addf(path, "%s", msg)
		}
	}
}

// feedFileProblem says why the feed file at name cannot be read, or returns
// "".
func feedFileProblem(name string) string {
	fi, err := os.Stat(name)
	if err == nil && fi.IsDir() {
		return fmt.Sprintf("%s is a folder; write the path of the feed file in it", name)
	}
	if err == nil {
		var f *os.File
		if f, err = os.Open(name); err == nil {
			f.Close()
			return ""
		}
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Sprintf("cannot read %s: %v; check the path (relative paths are relative to the config's folder) and the file's permissions", name, err)
}
