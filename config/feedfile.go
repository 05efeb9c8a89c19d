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

// checkFeedFiles reports each feed read from a local file whose file cannot
// be read: it does not exist, may not be opened, or is a folder. Feeds whose
// url is not a valid file URL are left to check.
func (c *Config) checkFeedFiles(file string, lines map[string]int, failed func(string) bool) []Problem {
	var problems []Problem
	for i, f := range c.Feeds {
		path := fmt.Sprintf("feeds[%d].url", i)
		if failed(path) || !strings.HasPrefix(f.URL, "file:") {
			continue
		}
		u, err := url.Parse(f.URL)
		if err != nil || u.Opaque != "" || (u.Host != "" && u.Host != "localhost") || !strings.HasPrefix(u.Path, "/") {
			continue
		}
		if msg := feedFileProblem(filepath.FromSlash(u.Path)); msg != "" {
			problems = append(problems, Problem{File: file, Line: lineOf(lines, path), Field: path, Message: msg})
		}
	}
	return problems
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
