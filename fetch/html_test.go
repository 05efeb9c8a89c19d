package fetch

import (
	"bufio"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aggregator/internal/shared"
)

var resolveBase, _ = url.Parse("https://news.example/world/story.html")

func TestMayResolve(t *testing.T) {
	for _, c := range []struct {
		html string
		want bool
	}{
		{`<p>no links</p>`, false},
		{`<a href="https://a.example/x">a</a> <img src='http://b.example/i.png'>`, false},
		{`<a href=https://a.example/x>a</a>`, false},
		{`<a HREF = "https://a.example/x">a</a>`, false},
		{`<a data-href="rel">a</a> x=1`, false},
		{`<a href="/x">a</a>`, true},
		{`<a href="x.html">a</a>`, true},
		{`<img src = rel.png>`, true},
		{`<a href="//cdn.example/x">a</a>`, true}, // scheme-relative
		{`<a href="&#104;ttps://a.example/">a</a>`, true},
		{`<a href=" https://a.example/ ">a</a>`, true}, // trimmed when resolved
		{`<a x="1"href="rel">a</a>`, true},
		{`<a href="https://a.example/`, true}, // unterminated
		{`<blockquote cite="rel">q</blockquote>`, true},
		{`<video poster="p.jpg"></video>`, true},
	} {
		if got := mayResolve(c.html, resolveBase); got != c.want {
			t.Errorf("mayResolve(%q) = %v, want %v", c.html, got, c.want)
		}
	}
}

// sanitizeResolving is sanitizeHTML as it was before mayResolve: every
// fragment with markup is tokenised and its links resolved.
func sanitizeResolving(s string, base *url.URL) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if base != nil && strings.IndexByte(s, '<') >= 0 {
		s = absolutizeHTML(s, base)
	}
	return strings.TrimSpace(ugcPolicy().Sanitize(s))
}

// FuzzSanitizeSkipsResolving: skipping the resolving pass where mayResolve
// says it changes nothing gives the same sanitised HTML, byte for byte.
func FuzzSanitizeSkipsResolving(f *testing.F) {
	for _, s := range []string{
		`<p>Kim <a href="https://a.example/kim?x=1&amp;y=2">train</a> <img src="https://a.example/t.jpg" onerror=alert(1)></p>`,
		`<a href=https://a.example/x title='a "b"'>a</a><br/><b>bold`,
		`<A HREF = 'https://a.example/X' CLASS=c>a</A>`,
		`<a x="1"href="https://a.example/">a</a><img src=https://a.example/i.png/>`,
		`<svg onload=alert(1)><a xlink:href="https://a.example/">x</a></svg>`,
		`<p>x < y > z & w</p><!-- <a href=rel> --><script>a="<a href=rel>"</script>`,
		`<table><tr><td background="https://a.example/b.png">c</td></tr></table>`,
		`<a href="https://a.example/" <b>unclosed`,
		`<img src="https://a.example/a.png" srcset="b.png 2x">`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if mayResolve(strings.TrimSpace(s), resolveBase) {
			return
		}
		if got, want := sanitizeHTML(s, resolveBase), sanitizeResolving(s, resolveBase); got != want {
			t.Errorf("sanitizeHTML(%q):\n got %q\nwant %q", s, got, want)
		}
	})
}

// BenchmarkSanitize sanitises the HTML summaries of the realweek fixture
// (real feeds, most linking absolutely), with and without skipping the
// resolving pass where it changes nothing.
func BenchmarkSanitize(b *testing.B) {
	f, err := os.Open(filepath.Join(shared.Dir(), "fixtures", "realweek", "items.jsonl"))
	if err != nil {
		b.Skip("realweek fixture absent:", err)
	}
	defer f.Close()
	var docs []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var it struct{ Summary string }
		if json.Unmarshal(sc.Bytes(), &it) == nil && strings.Contains(it.Summary, "<") {
			docs = append(docs, it.Summary)
		}
	}
	for _, c := range []struct {
		name string
		fn   func(string, *url.URL) string
	}{{"skip", sanitizeHTML}, {"always", sanitizeResolving}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				for _, d := range docs {
					c.fn(d, resolveBase)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(docs)), "µs/doc")
		})
	}
}

// mayResolve stays linear on input built to make it rescan: thousands of
// URL attributes inside one long value.
func TestMayResolveLinear(t *testing.T) {
	s := `<a title="` + strings.Repeat(`href=https://a.example/ `, 400_000) + `">x</a>`
	if !mayResolve(s, resolveBase) {
		t.Error("mayResolve = false past the attribute limit")
	}
	long := `<a href="https://a.example/` + strings.Repeat("x", 3000) + `">x</a>`
	if !mayResolve(long, resolveBase) {
		t.Error("mayResolve = false on a 3 KB value")
	}
}
