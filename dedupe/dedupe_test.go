package dedupe

import (
	"testing"

	"aggregator"
)

func TestCanonicalURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"tracking dropped", "https://worldwire.example/asia/kim?utm_source=rss&utm_medium=feed", "https://worldwire.example/asia/kim"},
		{"fbclid and campaign dropped", "https://worldwire.example/asia/kim?utm_source=partner&utm_campaign=ledger&fbclid=IwAR0abc", "https://worldwire.example/asia/kim"},
		{"params sorted, tracking dropped", "https://a.example/x?b=2&gclid=z&a=1", "https://a.example/x?a=1&b=2"},
		{"scheme and host case", "HTTP://Example.COM/Path", "https://example.com/Path"},
		{"default port", "http://example.com:80/a", "https://example.com/a"},
		{"other port kept", "http://example.com:8080/a", "https://example.com:8080/a"},
		{"fragment dropped", "https://example.com/a#comments", "https://example.com/a"},
		{"trailing slash", "https://example.com/a/", "https://example.com/a"},
		{"root", "https://example.com/", "https://example.com"},
		{"dot segments", "https://example.com/a/./b/../c", "https://example.com/a/c"},
		{"escaped path kept", "https://example.com/a%2Fb", "https://example.com/a%2Fb"},
		{"relative", "/a/b", ""},
		{"not http", "mailto:x@example.com", ""},
		{"garbage", "http://[::1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CanonicalURL(tt.in); got != tt.want {
				t.Errorf("CanonicalURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestKey(t *testing.T) {
	a := aggregator.Item{Link: "https://x.example/a?utm_source=rss", GUID: "g1", Title: "A"}
	b := aggregator.Item{Link: "http://x.example/a/", GUID: "other", Title: "B"}
	if Key("f1", a) != Key("f2", b) {
		t.Errorf("same canonical link, different keys: %q, %q", Key("f1", a), Key("f2", b))
	}
	noLink := aggregator.Item{GUID: "g1", Title: "A"}
	if Key("f1", noLink) == Key("f2", noLink) {
		t.Error("a GUID without a link must be scoped to its feed")
	}
	bare := aggregator.Item{Title: "A", Summary: "s"}
	bare2 := aggregator.Item{Title: "A", Summary: "t"}
	if Key("f1", bare) == Key("f1", bare2) {
		t.Error("items with different text and no link or GUID must differ")
	}
}

func TestContentHashChangesWithContent(t *testing.T) {
	a := aggregator.Item{Title: "A", Summary: "s"}
	b := a
	b.Summary = "s2"
	if ContentHash(a) == ContentHash(b) {
		t.Error("hash did not change with the summary")
	}
	if c := a; ContentHash(a) != ContentHash(c) {
		t.Error("hash is not deterministic")
	}
}

func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{
		"https://worldwire.example/asia/kim?utm_source=rss&utm_medium=feed",
		"http://example.com:80/a/./b/?b=2&a=1#x",
		"https://example.com/%zz",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := CanonicalURL(s)
		if c == "" {
			return
		}
		if again := CanonicalURL(c); again != c {
			t.Errorf("not idempotent: %q -> %q -> %q", s, c, again)
		}
	})
}

func TestStripTracking(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://w.example/a?utm_source=rss&utm_medium=feed", "https://w.example/a"},
		{"https://w.example/a?id=3&fbclid=x", "https://w.example/a?id=3"},
		{"http://w.example/a?b=2&a=1", "http://w.example/a?b=2&a=1"},
		{"https://w.example/a#frag", "https://w.example/a#frag"},
	}
	for _, tt := range tests {
		if got := StripTracking(tt.in); got != tt.want {
			t.Errorf("StripTracking(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRules(t *testing.T) {
	r := NewRules([]string{"SessionID", "pk_*"})
	tests := []struct{ in, want string }{
		{"https://a.example/x?sessionid=1&id=2", "https://a.example/x?id=2"},
		{"https://a.example/x?pk_campaign=feed&pk_kwd=k&id=2", "https://a.example/x?id=2"},
		{"https://a.example/x?ref=rss", "https://a.example/x"},
		{"https://a.example/x?ref=Twitter&b=1", "https://a.example/x?b=1"},
		{"https://a.example/x?ref=v2-release", "https://a.example/x?ref=v2-release"},
		{"https://a.example/x?utm_source=a", "https://a.example/x"},
	}
	for _, tt := range tests {
		if got := r.CanonicalURL(tt.in); got != tt.want {
			t.Errorf("CanonicalURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := CanonicalURL("https://a.example/x?sessionid=1"); got != "https://a.example/x?sessionid=1" {
		t.Errorf("the default rules strip a configured parameter: %q", got)
	}
}
