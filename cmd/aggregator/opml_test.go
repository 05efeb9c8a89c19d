package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"aggregator/config"
	"aggregator/internal/shared"
	"aggregator/publish"
)

// importedFeed is what a printed feed entry loads back as.
type importedFeed struct {
	URL  string   `yaml:"url"`
	Name string   `yaml:"name"`
	Tags []string `yaml:"tags"`
}

const nestedOPML = `<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Subscriptions</title></head>
  <body>
    <outline text="News" title="News">
      <outline text="Asia">
        <outline type="rss" text="NHK World" title="NHK World" xmlUrl="https://www3.nhk.or.jp/rss/news/cat0.xml" htmlUrl="https://www3.nhk.or.jp/"/>
        <outline text="CNA text" title="CNA: Asia &amp; Pacific" xmlURL="https://www.channelnewsasia.com/rss?cat=asia&amp;x=1" category="/World/Asia, Breaking News"/>
      </outline>
      <outline text="Empty folder"/>
      <outline type="link" text="A web page" url="https://example.com/"/>
    </outline>
    <outline type="rss" text="Top &amp; Level" xmlUrl="https://example.com/feed.xml"/>
    <outline text="Elsewhere">
      <outline type="rss" title="NHK again" xmlUrl="https://www3.nhk.or.jp/rss/news/cat0.xml"/>
    </outline>
    <outline text="Quotes: &quot;yes&quot; # no" xmlUrl="https://example.org/a: b?c=#d"/>
  </body>
</opml>
`

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func importOPML(t *testing.T, path string) (stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := runImportOPML([]string{path}, &out, &errOut); err != nil {
		t.Fatalf("import-opml %s: %v\nstderr: %s", path, err, errOut.String())
	}
	return out.String(), errOut.String()
}

func TestImportOPMLNested(t *testing.T) {
	path := writeTemp(t, "subs.opml", nestedOPML)
	out, errOut := importOPML(t, path)
	var got struct {
		Feeds []importedFeed `yaml:"feeds"`
	}
	if err := yaml.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	want := []importedFeed{
		{URL: "https://www3.nhk.or.jp/rss/news/cat0.xml", Name: "NHK World", Tags: []string{"news", "asia"}},
		{URL: "https://www.channelnewsasia.com/rss?cat=asia&x=1", Name: "CNA: Asia & Pacific", Tags: []string{"news", "asia", "world-asia", "breaking-news"}},
		{URL: "https://example.com/feed.xml", Name: "Top & Level"},
		{URL: "https://example.org/a: b?c=#d", Name: `Quotes: "yes" # no`},
	}
	if !reflect.DeepEqual(got.Feeds, want) {
		t.Errorf("feeds:\n got %+v\nwant %+v\noutput:\n%s", got.Feeds, want, out)
	}
	if !strings.HasPrefix(out, "feeds:\n  - url: ") {
		t.Errorf("output does not start as a config's feeds list:\n%s", out)
	}
	if !strings.Contains(out, "tags: [news, asia]") {
		t.Errorf("tags not written as a flow list:\n%s", out)
	}
	if !strings.Contains(errOut, "4 feeds (1 listed again, skipped)") {
		t.Errorf("stderr = %q", errOut)
	}

	// Round trip: the printed feeds make a config that loads.
	cfgPath := writeTemp(t, "config.yaml", "store: agg.db\n"+out)
	cfg, err := config.LoadFile(cfgPath)
	if err != nil {
		t.Fatalf("config with the printed feeds does not load: %v\n%s", err, out)
	}
	if len(cfg.Feeds) != len(want) {
		t.Fatalf("config has %d feeds, want %d", len(cfg.Feeds), len(want))
	}
	for i, f := range cfg.Feeds {
		if f.URL != want[i].URL || f.Name != want[i].Name || !reflect.DeepEqual(f.Tags, want[i].Tags) {
			t.Errorf("config feeds[%d] = %q %q %q, want %+v", i, f.URL, f.Name, f.Tags, want[i])
		}
	}
}

func TestImportOPML1(t *testing.T) {
	// OPML 1.0 in ISO-8859-1, no type attributes, no title attributes.
	src := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n" +
		"<opml version=\"1.0\"><head><title>x</title></head><body>\n" +
		"<outline text=\"Caf\xe9s\"><outline text=\"Le Caf\xe9\" xmlUrl=\"http://example.fr/rss\"/></outline>\n" +
		"</body></opml>\n"
	out, _ := importOPML(t, writeTemp(t, "old.opml", src))
	var got struct {
		Feeds []importedFeed `yaml:"feeds"`
	}
	if err := yaml.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	want := []importedFeed{{URL: "http://example.fr/rss", Name: "Le Café", Tags: []string{"cafes"}}}
	if !reflect.DeepEqual(got.Feeds, want) {
		t.Errorf("feeds = %+v, want %+v", got.Feeds, want)
	}
}

func TestImportOPMLNoFeeds(t *testing.T) {
	out, _ := importOPML(t, writeTemp(t, "empty.opml", `<opml version="2.0"><head/><body><outline text="folder"/></body></opml>`))
	if out != "feeds: []\n" {
		t.Errorf("output = %q", out)
	}
}

func TestImportOPMLErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.opml")
	bad := writeTemp(t, "bad.opml", `<opml version="2.0"><body><outline text="x" xmlUrl="https://e.com/"></body></opml>`)
	notOPML := writeTemp(t, "feed.xml", `<rss version="2.0"><channel/></rss>`)
	noBody := writeTemp(t, "nobody.opml", `<opml version="2.0"><head/></opml>`)
	for _, tt := range []struct {
		name string
		args []string
		code int    // exit code
		want string // in the error
	}{
		{"no file", nil, exitUsage, "takes one FILE.opml"},
		{"two files", []string{bad, missing}, exitUsage, "takes one FILE.opml"},
		{"bad flag", []string{"--nope", bad}, exitUsage, ""},
		{"help", []string{"-h"}, exitOK, ""},
		{"missing", []string{missing}, exitCannotRun, missing},
		{"invalid XML", []string{bad}, exitCannotRun, bad + ": not valid XML"},
		{"not OPML", []string{notOPML}, exitCannotRun, notOPML + ": not an OPML file"},
		{"no body", []string{noBody}, exitCannotRun, noBody + ": not an OPML file: no <body>"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := runImportOPML(tt.args, &out, &errOut)
			if err == nil && tt.code != exitOK {
				t.Fatalf("no error; stdout %q", out.String())
			}
			if got := exitCode(err); got != tt.code {
				t.Errorf("exit code %d, want %d (err %v)", got, tt.code, err)
			}
			if tt.want != "" && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if out.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", out.String())
			}
			var ee *exitError
			if errors.As(err, &ee) && !strings.Contains(errOut.String(), "Usage: aggregator import-opml") {
				t.Errorf("usage error without usage text; stderr %q", errOut.String())
			}
		})
	}
}

// TestImportOPMLWarnsAboutURLs: import-opml prints every feed as given, and
// warns, without printing a secret, about the URLs that name local files
// or carry credentials, saying what to do.
func TestImportOPMLWarnsAboutURLs(t *testing.T) {
	src := `<opml version="2.0"><head/><body>
<outline text="Good" xmlUrl="https://example.com/feed.xml?page=2&amp;author=kim"/>
<outline text="Local" xmlUrl="file:///home/kim/feeds/local.xml"/>
<outline text="Relative" xmlUrl="feeds/relative.xml"/>
<outline text="Members" xmlUrl="https://kim:pw-S3CRET@members.example/feed"/>
<outline text="Keyed" xmlUrl="https://keyed.example/feed?lang=en&amp;API_KEY=k-S3CRET"/>
<outline text="Both" xmlUrl="http://u-S3CRET:p-S3CRET@both.example/feed?access_token=t-S3CRET"/>
</body></opml>`
	out, errOut := importOPML(t, writeTemp(t, "subs.opml", src))
	for _, u := range []string{"file:///home/kim/feeds/local.xml", "https://kim:pw-S3CRET@members.example/feed", "access_token=t-S3CRET"} {
		if !strings.Contains(out, u) {
			t.Errorf("output lacks %s, as given:\n%s", u, out)
		}
	}
	if strings.Contains(errOut, "S3CRET") {
		t.Errorf("the warnings show a secret:\n%s", errOut)
	}
	warnings := strings.Split(strings.TrimSpace(errOut), "\n")[1:]
	want := []struct{ feeds, says string }{
		{"1 feed has a file: URL (feeds[1] file:///home/kim/feeds/local.xml)", "https://"},
		{"1 feed has a relative URL (feeds[2] feeds/relative.xml)", "relative to the config's folder"},
		{"2 feeds have a user name and password in the URL (feeds[3] https://members.example/feed, feeds[5] http://both.example/feed?access_token=redacted)", "auth:"},
		{"2 feeds have a query parameter that looks like a secret (feeds[4] https://keyed.example/feed?lang=en&API_KEY=redacted, feeds[5] http://both.example/feed?access_token=redacted)", "headers:"},
	}
	if len(warnings) != len(want) {
		t.Fatalf("%d warnings, want %d:\n%s", len(warnings), len(want), errOut)
	}
	for i, w := range want {
		if prefix := "subs.opml: warning: " + w.feeds + ": "; !strings.Contains(warnings[i], prefix) || !strings.Contains(warnings[i], w.says) {
			t.Errorf("warning %d = %q, want %q… saying %q", i, warnings[i], prefix, w.says)
		}
	}
}

func TestImportOPMLRealweek(t *testing.T) {
	path := shared.Path(t, "fixtures", "realweek", "feeds.opml")
	out, _ := importOPML(t, path)
	var got struct {
		Feeds []importedFeed `yaml:"feeds"`
	}
	if err := yaml.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not YAML: %v", err)
	}
	if len(got.Feeds) < 300 {
		t.Errorf("%d feeds, want 300 or more", len(got.Feeds))
	}
	for i, f := range got.Feeds {
		if f.URL == "" || f.Name == "" || len(f.Tags) == 0 {
			t.Errorf("feeds[%d] = %+v: want a URL, a name and tags", i, f)
		}
		if strings.Contains(f.URL, "://") {
			t.Errorf("feeds[%d].url = %q; the fixture's URLs are relative paths, printed as given", i, f.URL)
		}
	}
}

// TestImportOPMLExported checks that what publish.OPML exports imports back.
func TestImportOPMLExported(t *testing.T) {
	subs := []publish.Subscription{
		{Title: "World & Co", XMLURL: "https://example.com/world?a=1&b=2", HTMLURL: "https://example.com/", Tags: []string{"world", "Asia Pacific"}},
		{Title: "Local", XMLURL: "file:///srv/local.xml", Tags: []string{"local"}},
		{XMLURL: "http://example.org/rss"},
	}
	b, err := publish.OPML("exported", subs)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := importOPML(t, writeTemp(t, "exported.opml", string(b)))
	var got struct {
		Feeds []importedFeed `yaml:"feeds"`
	}
	if err := yaml.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not YAML: %v\n%s", err, out)
	}
	want := []importedFeed{
		{URL: "https://example.com/world?a=1&b=2", Name: "World & Co", Tags: []string{"world", "asia-pacific"}},
		{URL: "http://example.org/rss", Name: "http://example.org/rss"},
	}
	if !reflect.DeepEqual(got.Feeds, want) {
		t.Errorf("feeds:\n got %+v\nwant %+v", got.Feeds, want)
	}
}
