package aggregator

import (
	"net/url"
	"strings"
	"testing"
)

func TestPublicURL(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"https://feeds.example/world.rss", "https://feeds.example/world.rss"},
		{"https://feeds.example/world.rss?page=2&sort=new#top", "https://feeds.example/world.rss?page=2&sort=new#top"},
		{"http://user:pass@feeds.example/feed", "http://feeds.example/feed"},
		{"https://ghp_tok3n@feeds.example/feed", "https://feeds.example/feed"},
		{"https://feeds.example/feed?token=s3cret", "https://feeds.example/feed?token=redacted"},
		{"https://feeds.example/feed?lang=en&TOKEN=s3cret&page=2", "https://feeds.example/feed?lang=en&TOKEN=redacted&page=2"},
		{"https://feeds.example/feed?key=a&api_key=b&apiKey=c&apikey=d", "https://feeds.example/feed?key=redacted&api_key=redacted&apiKey=redacted&apikey=redacted"},
		{"https://feeds.example/feed?access_token=a&client_secret=b&password=c&passwd=d", "https://feeds.example/feed?access_token=redacted&client_secret=redacted&password=redacted&passwd=redacted"},
		{"https://feeds.example/feed?sig=a&X-Amz-Signature=b&auth=c&authKey=d&X-Amz-Credential=e", "https://feeds.example/feed?sig=redacted&X-Amz-Signature=redacted&auth=redacted&authKey=redacted&X-Amz-Credential=redacted"},
		{"https://feeds.example/feed?acc%65ss_token=a%20b", "https://feeds.example/feed?acc%65ss_token=redacted"},
		{"https://feeds.example/feed?token", "https://feeds.example/feed?token"},
		{"https://feeds.example/feed?author=kim&keywords=train&monkey=1", "https://feeds.example/feed?author=kim&keywords=train&monkey=1"},
		{"http://u:p@feeds.example/feed?token=t", "http://feeds.example/feed?token=redacted"},
		{"file:///home/kim/private/feeds/world.xml", "file:world.xml"},
		{"FILE://localhost/srv/feeds/world.xml?token=t", "file:world.xml"},
		{"/home/kim/private/world.xml", "file:world.xml"},
		{"feeds/world.xml", "file:world.xml"},
		{"http://user:pass@[::1/feed.xml?token=t", "http://[::1/feed.xml"},
		{"HTTPS://Feeds.Example/world.rss?b=2&a=1", "HTTPS://Feeds.Example/world.rss?b=2&a=1"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			if got := PublicURL(tt.raw); got != tt.want {
				t.Errorf("PublicURL(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func TestDisplayNameHidesSecrets(t *testing.T) {
	f := Feed{URL: "https://user:pass@feeds.example/feed?token=s3cret"}
	if got, want := f.DisplayName(), "https://feeds.example/feed?token=redacted"; got != want {
		t.Errorf("DisplayName = %q, want %q", got, want)
	}
	f.Title = "World"
	if got := f.DisplayName(); got != "World" {
		t.Errorf("DisplayName with a title = %q", got)
	}
}

// FuzzPublicURL: of any URL with a host, the public form parses, has no
// user information and shows every secret parameter's value as "redacted".
func FuzzPublicURL(f *testing.F) {
	for _, s := range []string{
		"https://user:pass@feeds.example/feed?token=t&page=2",
		"http://feeds.example/feed?Api-Key=k&api%5Fkey=k2#top",
		"http://u@feeds.example:8080/a/b?sig=1;x=2&&=3&token",
		"file:///srv/feeds/world.xml",
		"feeds/world.xml",
		"http://user:pass@[::1/feed.xml?token=t",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		pub := PublicURL(raw)
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return
		}
		p, err := url.Parse(pub)
		if err != nil {
			t.Fatalf("PublicURL(%q) = %q does not parse: %v", raw, pub, err)
		}
		if p.User != nil {
			t.Errorf("PublicURL(%q) = %q has user information", raw, pub)
		}
		for _, param := range strings.Split(p.RawQuery, "&") {
			name, value, ok := strings.Cut(param, "=")
			if n, err := url.QueryUnescape(name); err == nil {
				name = n
			}
			if ok && SecretParam(name) && value != redacted {
				t.Errorf("PublicURL(%q) = %q shows %s", raw, pub, param)
			}
		}
	})
}
