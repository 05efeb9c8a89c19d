package config

import (
	"bytes"
	"os"
	"testing"
	"time"
)

// FuzzLoad: arbitrary bytes given as a config never make Load panic, and a
// config Load accepts passes Validate.
//
//	go test -run '^$' -fuzz FuzzLoad -fuzztime 30s -fuzzminimizetime 2s ./config
func FuzzLoad(f *testing.F) {
	for _, p := range []string{"../config.example.yaml", "../testdata/kim/config.yaml"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"",
		"store: a.db\nfeeds:\n  - url: http://example.com/feed\n",
		"feeds: [\n",
		"store: a.db\nfeeds:\n  - url: http://example.com/feed\n    schedule: '@every 0s'\n",
		"fetch:\n  timeout: -5s\n  max_body_size: 10QB\nfeeds:\n  - url: ::::\n",
		"feeds:\n  - &a {url: http://x/}\n  - *a\n  - *b\n",
		"tags:\n  x:\n    any: [\"\"]\noutputs:\n  - name: all\n    filter: tag:x AND (\n",
		"server: {listen: 'localhost:99999'}\npublish: {base_url: 'ftp://x'}\n",
		"? [a, b]\n: c\n",
		"store: !!binary AAAA\n",
		"\t- nope",
		"retention: {max_age: 1h, max_items: -1}\nfeeds:\n  - url: file:///dev/null\n    auth: {username: u, password_env: NOPE}\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		// Relative paths (store, publish.dir, file:// feeds) resolve in a
		// scratch folder; Load creates nothing.
		type loaded struct {
			c   *Config
			err error
		}
		ch := make(chan loaded, 1)
		go func() {
			c, err := Load(bytes.NewReader(data), dir+"/fuzz.yaml")
			ch <- loaded{c, err}
		}()
		var l loaded
		select {
		case l = <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("Load has not returned after 5s; input:\n%q", data)
		}
		c, err := l.c, l.err
		if err != nil {
			if c != nil {
				t.Errorf("Load returned a config and an error: %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load accepted a config that Validate rejects: %v\ninput:\n%s", err, data)
		}
	})
}
