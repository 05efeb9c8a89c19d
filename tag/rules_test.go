package tag

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"aggregator"
)

func TestPhraseMatching(t *testing.T) {
	cases := []struct {
		name   string
		phrase string
		text   string
		want   bool
	}{
		{"exact", "Kim Jong Un", "Kim Jong Un arrived", true},
		{"hyphen", "Kim Jong Un", "Kim Jong-un arrived", true},
		{"caps", "Kim Jong Un", "KIM JONG UN ARRIVED", true},
		{"possessive", "Kim Jong Un", "Kim Jong-Un's train", true},
		{"curly possessive", "Kim Jong Un", "Kim Jong-Un’s train", true},
		{"hyphenated phrase", "Kim Jong-un", "kim jong un", true},
		{"en dash", "Kim Jong Un", "Kim Jong–un", true},
		{"word prefix", "Kim", "Kimchi sales rose", false},
		{"word suffix", "arms", "firearms sales", false},
		{"plural is another word", "missile", "missiles fired", false},
		{"accents", "Pétain", "Petain spoke", true},
		{"accents reversed", "Petain", "PÉTAIN spoke", true},
		{"zelenskyy", "Zelenskyy", "President Zelenskyy said", true},
		{"punctuation around", "Putin", "(Putin), \"Putin\"", true},
		{"comma inside", "Paris Texas", "Paris, Texas", true},
		{"sentence end inside", "North Korea", "in the north. Korea said", false},
		{"paragraph inside", "North Korea", "<p>north</p><p>Korea</p>", false},
		{"html stripped", "Kim Jong Un", "<p>leader <b>Kim</b> Jong <i>Un</i></p>", true},
		{"entities decoded", "AT&T", "AT&amp;T shares", true},
		{"script ignored", "tracking", "<p>hi</p><script>tracking()</script>", false},
		{"dotted", "U.S.", "the US said", true},
		{"dotted text", "US", "the U.S. said", true},
		{"dots inside word", "node js", "Node.js released", true},
		{"apostrophe inside", "Cote d'Ivoire", "Côte d’Ivoire", true},
		{"digits", "iPhone 15", "the iPhone 15 launch", true},
		{"not across digits", "iPhone 15", "the iPhone 150", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg := mustNew(t, Options{Rules: []RuleSpec{{Name: "x", Any: []string{c.phrase}}}})
			got := slices.Contains(slugs(tg.Tags(Input{Item: aggregator.Item{Summary: c.text}}), Rule), "x")
			if got != c.want {
				t.Errorf("phrase %q in %q: got %v, want %v", c.phrase, c.text, got, c.want)
			}
		})
	}
}

func TestRuleLogic(t *testing.T) {
	item := aggregator.Item{
		Title:      "Kim Jong Un meets Putin",
		Summary:    "<p>The leaders discussed <b>artillery</b> shells.</p>",
		Content:    "<p>Satellite technology was also on the table.</p>",
		Author:     "Jane Doe",
		Categories: []string{"Diplomacy", "Asia Pacific"},
		Link:       "https://example.com/2023/kim-jong-un-vostochny",
	}
	cases := []struct {
		name string
		rule RuleSpec
		src  string
		want bool
	}{
		{"any one", RuleSpec{Any: []string{"nothing here", "artillery"}}, "", true},
		{"any none", RuleSpec{Any: []string{"nothing here", "tanks"}}, "", false},
		{"all present", RuleSpec{All: []string{"Putin", "satellite"}}, "", true},
		{"all missing one", RuleSpec{All: []string{"Putin", "drones"}}, "", false},
		{"any and all", RuleSpec{Any: []string{"tanks", "shells"}, All: []string{"kim jong un"}}, "", true},
		{"none blocks", RuleSpec{Any: []string{"Putin"}, None: []string{"satellite"}}, "", false},
		{"none absent", RuleSpec{Any: []string{"Putin"}, None: []string{"football"}}, "", true},
		{"regex", RuleSpec{Regex: []string{`art[a-z]+ry`}}, "", true},
		{"regex case-insensitive", RuleSpec{Regex: []string{`KIM JONG`}}, "", true},
		{"regex case-sensitive on request", RuleSpec{Regex: []string{`(?-i)KIM JONG`}}, "", false},
		{"regex sees plain text", RuleSpec{Regex: []string{`discussed artillery`}}, "", true},
		{"regex no match", RuleSpec{Regex: []string{`drone`}}, "", false},
		{"phrase and regex both needed", RuleSpec{Any: []string{"Putin"}, Regex: []string{`drone`}}, "", false},
		{"link not searched by default", RuleSpec{Any: []string{"vostochny"}}, "", false},
		{"link when listed", RuleSpec{Any: []string{"vostochny"}, Fields: []string{"link"}}, "", true},
		{"link phrase across hyphens", RuleSpec{Any: []string{"Kim Jong Un Vostochny"}, Fields: []string{"link"}}, "", true},
		{"fields restrict", RuleSpec{Any: []string{"Putin"}, Fields: []string{"summary", "content"}}, "", false},
		{"author", RuleSpec{Any: []string{"jane doe"}, Fields: []string{"Author"}}, "", true},
		{"author not by default", RuleSpec{Any: []string{"jane doe"}}, "", false},
		{"source", RuleSpec{Any: []string{"korea desk"}, Fields: []string{"source"}}, "Korea Desk", true},
		{"categories default", RuleSpec{Any: []string{"asia pacific"}}, "", true},
		{"not across categories", RuleSpec{Any: []string{"diplomacy asia"}}, "", false},
		{"regex on link", RuleSpec{Regex: []string{`/20\d\d/`}, Fields: []string{"link"}}, "", true},
		{"all across fields", RuleSpec{All: []string{"Putin", "satellite", "diplomacy"}}, "", true},
		{"none in unlisted field ignored", RuleSpec{Any: []string{"Putin"}, None: []string{"vostochny"}}, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.rule.Name = "x"
			tg := mustNew(t, Options{Rules: []RuleSpec{c.rule}})
			tags := tg.Tags(Input{Item: item, Source: c.src})
			got := slices.Contains(slugs(tags, Rule), "x")
			if got != c.want {
				t.Errorf("got %v, want %v (%v)", got, c.want, tags)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		rule RuleSpec
		want []string // substrings of the error
	}{
		{RuleSpec{Name: "", Any: []string{"x"}}, []string{"rule 1", "no name"}},
		{RuleSpec{Name: "North Korea", Any: []string{"x"}}, []string{`"North Korea"`, "north-korea"}},
		{RuleSpec{Name: "a--b", Any: []string{"x"}}, []string{`"a--b"`}},
		{RuleSpec{Name: "nk"}, []string{`"nk"`, "any, all or regex"}},
		{RuleSpec{Name: "nk", None: []string{"x"}}, []string{`"nk"`, "any, all or regex"}},
		{RuleSpec{Name: "nk", Any: []string{"ok", "--"}}, []string{`"nk"`, "any phrase", `"--"`}},
		{RuleSpec{Name: "nk", All: []string{" "}}, []string{`"nk"`, "all phrase"}},
		{RuleSpec{Name: "nk", Any: []string{"x"}, None: []string{"!"}}, []string{`"nk"`, "none phrase"}},
		{RuleSpec{Name: "nk", Regex: []string{"(unclosed"}}, []string{`"nk"`, `regex "(unclosed"`}},
		{RuleSpec{Name: "nk", Any: []string{"x"}, Fields: []string{"title", "body"}}, []string{`"nk"`, `field "body"`}},
	}
	for _, c := range cases {
		_, err := New(Options{Rules: []RuleSpec{c.rule}})
		if err == nil {
			t.Errorf("%+v: no error", c.rule)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: error %q lacks %q", c.rule, err, w)
			}
		}
	}
}

func TestTagsOrderAndKinds(t *testing.T) {
	tg := mustNew(t, Options{
		Rules:    []RuleSpec{{Name: "russia", Any: []string{"Russia"}}, {Name: "zz-summit", Any: []string{"summit"}}},
		Aliases:  map[string]string{"Diplomacy": "politics", "Asia": ""},
		Entities: true,
	})
	tags := tg.Tags(Input{
		Item: aggregator.Item{
			Title:      "Kim Jong Un heads to Russia for summit",
			Summary:    "Kim Jong Un will meet Vladimir Putin.",
			Categories: []string{"Russia", "Diplomacy", "Asia", "North Korea", "World"},
		},
		FeedTags: []string{"World", "Korea news"},
	})
	want := []Tag{
		{"kim-jong-un", "Kim Jong Un", Entity},
		{"korea-news", "Korea news", Feed},
		{"north-korea", "North Korea", Category},
		{"politics", "Diplomacy", Category},
		{"russia", "russia", Rule},
		{"vladimir-putin", "Vladimir Putin", Entity},
		{"world", "World", Feed},
		{"zz-summit", "zz-summit", Rule},
	}
	if !slices.Equal(tags, want) {
		t.Errorf("got  %v\nwant %v", tags, want)
	}
}

func TestConcurrentTags(t *testing.T) {
	tg := mustNew(t, Options{Rules: kimRules, Entities: true})
	want := make([][]Tag, len(kimTrain))
	for i, it := range kimTrain {
		want[i] = tg.Tags(Input{Item: it})
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := range 200 {
				i := (g + n) % len(kimTrain)
				if got := tg.Tags(Input{Item: kimTrain[i]}); !slices.Equal(got, want[i]) {
					t.Errorf("item %d: got %v, want %v", i, got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func FuzzTags(f *testing.F) {
	for _, it := range kimTrain {
		f.Add(it.Title, it.Summary)
	}
	f.Add("Kim Jong-Un's U.S. trip", "<p>Mr. Putin & Co.</p><script>x</script>")
	f.Add("\u2029\u2029", "'s 's - -- ’ U.S.A.B. a.b.")
	f.Add("ÉTATS-UNIS Côte d’Ivoire Straße", "Ursula von der von al- -bin Leyen")
	f.Add("\xff\xfe invalid", "<a href='x'>&#0;&#xD800;</a>")
	tg := mustNew(f, Options{Rules: kimRules, Entities: true, Aliases: map[string]string{"asia": "asia-pacific"}})
	f.Fuzz(func(t *testing.T, title, summary string) {
		tags := tg.Tags(Input{
			Item:     aggregator.Item{Title: title, Summary: summary, Content: summary, Categories: []string{title, summary}},
			FeedTags: []string{summary},
		})
		for i, g := range tags {
			if !slugRE.MatchString(g.Slug) {
				t.Errorf("invalid slug %q in %v", g.Slug, tags)
			}
			if g.Kind < Rule || g.Kind > Entity {
				t.Errorf("bad kind %v", g)
			}
			if i > 0 && tags[i-1].Slug >= g.Slug {
				t.Errorf("not sorted or not unique: %v", tags)
			}
		}
		if s := Slug(title); s != "" && !slugRE.MatchString(s) {
			t.Errorf("Slug(%q) = %q", title, s)
		}
	})
}

// BenchmarkTags tags a pool of synthetic items (title, summary, four
// paragraphs of content) with 50 rules and entities on; the 500-rule run
// shows that phrase matching does not grow with the number of rules.
func BenchmarkTags(b *testing.B) {
	for _, n := range []int{50, 500} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) { benchTags(b, n) })
	}
}

func benchTags(b *testing.B, nRules int) {
	words := strings.Fields(`government officials said the talks would continue next week despite growing pressure
		from opposition parties markets fell sharply as investors weighed the outlook for interest rates and inflation
		while analysts expected further cuts storms flooded several towns and rescue teams searched for survivors
		the company reported record profits and announced new products for the coming season`)
	names := []string{"Vladimir Putin", "Kim Jong Un", "Emmanuel Macron", "Olaf Scholz", "Xi Jinping", "Joe Biden",
		"Rishi Sunak", "Narendra Modi", "Mohammed bin Salman", "Ursula von der Leyen"}
	places := []string{"Russia", "North Korea", "Pyongyang", "France", "Germany", "Beijing", "Washington", "the UK",
		"India", "Saudi Arabia", "Brussels", "Ukraine", "Kyiv", "Japan", "Brazil"}
	var rules []RuleSpec
	for i := range nRules {
		r := RuleSpec{Name: fmt.Sprintf("topic-%d", i)}
		for k := range 6 {
			r.Any = append(r.Any, words[(i*7+k*3)%len(words)]+" "+words[(i*5+k)%len(words)])
		}
		r.Any = append(r.Any, places[i%len(places)], names[i%len(names)])
		if i%3 == 0 {
			r.All = []string{words[i%len(words)]}
		}
		if i%4 == 0 {
			r.None = []string{words[(i+11)%len(words)]}
		}
		if i%10 == 0 && i < 50 {
			r.Regex = []string{`\b(talks|profits)\b`}
		}
		rules = append(rules, r)
	}
	tg := mustNew(b, Options{Rules: rules, Entities: true})
	const pool = 1000
	items := make([]Input, pool)
	for i := range items {
		var sb strings.Builder
		for s := range 4 {
			sb.WriteString("<p>")
			for w := range 18 {
				if w == 5 {
					sb.WriteString(names[(i+s)%len(names)] + " ")
				}
				if w == 12 {
					sb.WriteString("in " + places[(i*3+s)%len(places)] + " ")
				}
				sb.WriteString(words[(i*13+s*7+w)%len(words)] + " ")
			}
			sb.WriteString("today.</p>")
		}
		items[i] = Input{
			Item: aggregator.Item{
				Title:      fmt.Sprintf("%s visits %s as %s %s", names[i%len(names)], places[i%len(places)], words[i%len(words)], words[(i+1)%len(words)]),
				Summary:    sb.String()[:len(sb.String())/3],
				Content:    sb.String(),
				Categories: []string{"World", places[(i+2)%len(places)]},
				Link:       fmt.Sprintf("https://example.com/news/%d", i),
			},
			Source: "Example News",
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		tg.Tags(items[n%pool])
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "items/s")
}
