package tag

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

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
		feed string // as the config knows it; its title is "Korea Desk"
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
		{"source by the feed's url", RuleSpec{Any: []string{"desk.example"}, Fields: []string{"source"}}, "https://desk.example/feed.atom", true},
		// The title the feed gives itself, which any feed could make "Korea Desk".
		{"source not by the feed's title", RuleSpec{Any: []string{"korea desk"}, Fields: []string{"source"}}, "https://desk.example/feed.atom", false},
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
			tags := tg.Tags(Input{Item: item, Source: "Korea Desk", Feed: c.feed})
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
		{"politics", "Politics", Category},
		{"russia", "Russia", Rule},
		{"vladimir-putin", "Vladimir Putin", Entity},
		{"world", "World", Feed},
		{"zz-summit", "Zz Summit", Rule},
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

// BenchmarkTagsArticle tags a pool of realistic long items — a ~70-character
// title, a ~300-character summary and ~8.5 KB of article HTML (paragraphs,
// links, emphasis, images) with names, places, abbreviations, curly
// apostrophes, hyphens and a few accented words — with five rules and
// entities on, as the aggregator's cold cycle does.
func BenchmarkTagsArticle(b *testing.B) {
	tg := mustNew(b, Options{Entities: true, Rules: articleRules})
	items := articleItems(200, 1)
	b.ReportAllocs()
	b.SetBytes(int64(len(items[0].Item.Title) + len(items[0].Item.Summary) + len(items[0].Item.Content)))
	cpu0 := processCPU()
	n := 0
	for b.Loop() {
		tg.Tags(items[n%len(items)])
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "items/s")
	// CPU time (all threads, GC included) is steadier than wall time on a
	// busy machine.
	b.ReportMetric(float64(processCPU()-cpu0)/float64(n), "cpu-ns/op")
}

// processCPU is the user+system CPU time the process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// articleRules are five rules of the kinds a config has: any, all and none
// phrases in the default fields, and one rule on titles only.
var articleRules = []RuleSpec{
	{Name: "korea", Any: []string{"North Korea", "Pyongyang", "Kim Jong Un"}},
	{Name: "russia-energy", Any: []string{"Putin", "Kremlin"}, All: []string{"energy"}},
	{Name: "climate", Any: []string{"climate", "flood", "storm water"}, None: []string{"football"}},
	{Name: "us-trade", All: []string{"U.S.", "trade"}, None: []string{"festival"}},
	{Name: "headline-budget", Any: []string{"budget", "council budget"}, Fields: []string{"title"}},
}

// articleWords is the common vocabulary of the generated articles.
var articleWords = strings.Fields(`the of and to in a is that for on with as by at from was were it its
	be has have had not but or an this which their they said would could will about after over
	council budget market energy report climate city research transport health school river election
	harbour festival library museum vaccine railway bridge announced reviewed expected published delayed
	approved rejected proposed record quarterly regional national annual local new early late major minor
	data study plan policy price growth storm water housing court trade union officials government
	ministers talks week month year people police workers families residents investors prices rates
	well-known long-term follow-up cross-border it’s don’t won’t country’s city’s people's Zelenskyy café`)

// articleNames are capitalised names and places sprinkled into the text.
var articleNames = []string{"Vladimir Putin", "Mr Putin", "North Korea", "Pyongyang", "U.S.", "Kim Jong-un",
	"Emmanuel Macron", "Mr. Macron", "São Paulo", "Zelenskyy", "Ursula von der Leyen", "the Kremlin",
	"Brussels", "Germany", "Beijing", "Washington", "the European Union", "Reuters", "Tokyo", "Russia’s",
	"Côte d’Ivoire", "Olaf Scholz", "the U.K.", "Ukraine", "Kyiv", "Deputy Prime Minister Anna Smith"}

// articleText returns deterministic English-like sentences of about n bytes.
func articleText(rng *rand.Rand, n int) string {
	var sb strings.Builder
	for sb.Len() < n {
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		words := 6 + rng.IntN(14)
		for w := range words {
			var word string
			if rng.IntN(9) == 0 {
				word = articleNames[rng.IntN(len(articleNames))]
			} else {
				word = articleWords[rng.IntN(len(articleWords))]
			}
			if w == 0 {
				word = strings.ToUpper(word[:1]) + word[1:]
			} else {
				sb.WriteByte(' ')
				if rng.IntN(25) == 0 {
					word += ","
				}
			}
			sb.WriteString(word)
		}
		switch rng.IntN(10) {
		case 0:
			sb.WriteString("?")
		case 1:
			sb.WriteString(" – " + articleWords[rng.IntN(len(articleWords))] + ".")
		case 2:
			sb.WriteString(": “" + articleWords[rng.IntN(len(articleWords))] + "”.")
		default:
			sb.WriteString(".")
		}
	}
	return sb.String()
}

// articleItems returns n items with long HTML content, from seed.
func articleItems(n int, seed uint64) []Input {
	rng := rand.New(rand.NewPCG(seed, 0x7a9))
	items := make([]Input, n)
	for i := range items {
		var sb strings.Builder
		for p := 0; sb.Len() < 8500; p++ {
			sb.WriteString("<p>")
			sb.WriteString(articleText(rng, 200))
			switch p % 4 {
			case 0:
				fmt.Fprintf(&sb, ` <a href="https://site.example/related/%d">%s</a>`, rng.IntN(1e6), articleText(rng, 20))
			case 1:
				fmt.Fprintf(&sb, " <em>%s</em> %s", articleText(rng, 15), articleText(rng, 120))
			case 2:
				fmt.Fprintf(&sb, `</p><p><img src="/img/%d.jpg" alt="%s" width="640" height="360">`, rng.IntN(1e6), articleText(rng, 20))
			case 3:
				fmt.Fprintf(&sb, " <strong>%s</strong> &amp; more", articleText(rng, 25))
			}
			sb.WriteString(articleText(rng, 250))
			sb.WriteString("</p>\n")
		}
		title := articleText(rng, 60)
		title = strings.TrimSuffix(title[:strings.LastIndexByte(title[:min(len(title), 70)], ' ')], ",")
		items[i] = Input{
			Item: aggregator.Item{
				Title:      title,
				Summary:    articleText(rng, 260),
				Content:    sb.String(),
				Categories: []string{"World", "Politics"},
				Link:       fmt.Sprintf("https://site.example/2025/03/story-%d", i),
			},
			Source: "Site Example",
		}
	}
	return items
}
