package config

import (
	"strings"
	"testing"
)

// TestLoadWarnsWithoutBaseURL checks that Options.Warn hears once of a
// publish.base_url left out, at the line of publish if there is one, and
// not of one given.
func TestLoadWarnsWithoutBaseURL(t *testing.T) {
	const feed = "feeds:\n  - url: https://example.com/feed.xml\n"
	for _, tt := range []struct {
		name string
		src  string
		want string // the warning without the file name; "" for none
	}{
		{"no publish", feed, ": publish.base_url: not set, so the outputs' ids and self links, the links between their formats, " +
			"their archive pages, _health.atom and the User-Agent name http://127.0.0.1:8080/ (from server.listen), which only the daemon " +
			"on this machine answers; if a web server serves what --once writes, or readers reach the daemon through a proxy, " +
			"set publish.base_url to the address readers use, e.g. https://news.example.com/"},
		{"publish without it", "server:\n  listen: :8081\npublish:\n  dir: www\n" + feed, ":3: publish.base_url: not set, so the outputs' ids and self links, " +
			"the links between their formats, their archive pages, _health.atom and the User-Agent name http://localhost:8081/ (from server.listen)"},
		{"given empty", "publish:\n  base_url: \"\"\n" + feed, ":2: publish.base_url: not set"},
		{"given", "publish:\n  base_url: http://127.0.0.1:8080/\n" + feed, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.src)
			var got []string
			if _, err := LoadFileWith(path, Options{Warn: func(p Problem) { got = append(got, p.String()) }}); err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.want == "" && len(got) != 0:
				t.Errorf("warnings %q, want none", got)
			case tt.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], path+tt.want)):
				t.Errorf("warnings %q, want one that starts %q", got, path+tt.want)
			}
		})
	}
}
