package tag

import (
	"slices"
	"strings"
	"testing"

	"aggregator"
)

// The five reports of the kim-train story in testdata/kim, and the unrelated
// items of the same feeds.
var (
	kimKoreaDesk = aggregator.Item{
		Title:      "Kim Jong Un heads to Russia aboard armoured train for Putin summit",
		Summary:    "<p>North Korean leader <b>Kim Jong Un</b> left Pyongyang on Sunday afternoon by private train, bound for Russia and a meeting with President Vladimir Putin, state media KCNA said on Tuesday.</p><p>Analysts expect the talks to centre on Russian requests for artillery ammunition and anti-tank missiles for the war in Ukraine, while Pyongyang seeks satellite and submarine technology and food aid.</p>",
		Categories: []string{"North Korea", "Russia"},
		Link:       "https://korea-desk.example/2023/09/12/kim-train-russia",
	}
	kimWorldWire = aggregator.Item{
		Title:   "North Korea's Kim travels to Russia by train for arms talks with Putin",
		Summary: "Pyongyang says its leader set off by armoured train on Sunday to meet the Russian president, in a trip expected to focus on weapons supplies for Moscow's war in Ukraine.",
		Content: `<p>Kim Jong-un is on his way to Russia on his armoured train, North Korean state media reported on Tuesday, for a summit with Vladimir Putin that US officials say will be dominated by weapons.</p>
<p>The Kremlin confirmed the visit. Washington has warned Pyongyang that it would "pay a price" for supplying arms to Moscow.</p>
<p>Mr Kim, who prefers trains to planes for foreign trips, has not left North Korea since the start of the pandemic.</p>
<img src="https://worldwire.example/img/kim-train.jpg" alt="Kim Jong-un's train" onerror="alert(document.cookie)">
<script>document.write('tracking pixel')</script>`,
		Author:     "World Wire Asia desk",
		Categories: []string{"Asia"},
		Link:       "https://worldwire.example/asia/kim-jong-un-train-russia-putin-20230912?utm_source=rss&utm_medium=feed",
	}
	kimDailyLedger = aggregator.Item{
		Title:   "North Korea's Kim travels to Russia by train for arms talks with Putin",
		Summary: "Pyongyang says its leader set off by armoured train on Sunday to meet the Russian president, in a trip expected to focus on weapons supplies for Moscow's war in Ukraine.",
		Author:  "World Wire",
		Link:    "https://worldwire.example/asia/kim-jong-un-train-russia-putin-20230912?utm_source=partner&utm_campaign=ledger&fbclid=IwAR0abc",
	}
	kimNewsroom = aggregator.Item{
		Title:      "Kremlin confirms Kim Jong-un visit as Putin seeks ammunition for Ukraine war",
		Summary:    "The North Korean leader is travelling to Russia by train; the US says Moscow is begging Pyongyang for shells and rockets.",
		Content:    "<p>Russia confirmed that North Korea's leader Kim Jong-un would visit in the coming days, after Pyongyang said he had left by train on Sunday. US officials expect Vladimir Putin to ask for artillery shells and anti-tank missiles, and Kim to ask for satellite and nuclear submarine technology.</p>",
		Author:     "Newsroom Global",
		Categories: []string{"Russia", "North Korea", "Ukraine war"},
		Link:       "https://newsroom.example/2023/09/12/kremlin-confirms-kim-visit",
	}
	kimPacificObserver = aggregator.Item{
		Title:   "Kim’s armoured train rolls toward Russia’s far east for Putin meeting",
		Summary: "North Korea’s leader is travelling by rail to meet Vladimir Putin, Pyongyang confirmed – a trip Washington calls a sign that Moscow is “begging” for weapons. The visit is Kim’s first abroad since the pandemic; his father, Kim Jong-il, famously avoided flying.",
		Link:    "https://pacific-observer.example/2023/09/12/kim-train-far-east",
	}
	kimTrain = []aggregator.Item{kimKoreaDesk, kimWorldWire, kimDailyLedger, kimNewsroom, kimPacificObserver}

	otherItems = map[string]aggregator.Item{
		"libya-ww": {
			Title:      "Death toll from Libya floods rises sharply after dams burst",
			Summary:    "Officials in eastern Libya say thousands are feared dead in the city of Derna after Storm Daniel caused two dams to collapse.",
			Categories: []string{"Africa"},
		},
		"iphone": {
			Title:      "Apple unveils iPhone 15 with USB-C charging port",
			Summary:    "The company dropped its Lightning connector in favour of USB-C, following pressure from European Union rules.",
			Categories: []string{"Technology"},
		},
		"cycle-lanes": {
			Title:   "Council approves new cycle lanes for city centre",
			Summary: "Councillors voted 31 to 12 in favour of three protected lanes, to be built next spring.",
		},
		"libya-nr": {
			Title:      "Thousands feared dead as floods sweep Libyan city of Derna",
			Summary:    "Two dams collapsed during Storm Daniel, sending a wall of water through the eastern city.",
			Categories: []string{"Libya", "Weather"},
		},
		"yen": {
			Title:   "Yen slips past 147 per dollar as traders eye Bank of Japan",
			Summary: "The currency weakened again despite comments from the central bank’s governor about ending negative rates; the £ and € were little changed.",
		},
		"balloons": {
			Title:   "South Korea detects fresh balloon launches near the border",
			Summary: "Seoul's military said several balloons carrying leaflets drifted across the demilitarised zone overnight; no damage was reported.",
		},
	}
	g20 = aggregator.Item{
		Title:      "G20 summit in Delhi ends with joint declaration",
		Summary:    "Leaders agreed a statement that avoided direct criticism of Russia over the war in Ukraine.",
		Categories: []string{"G20", "India"},
	}
)

// kimRules are the topic rules of testdata/kim/expected.json's note.
var kimRules = []RuleSpec{
	{Name: "north-korea", Any: []string{"North Korea", "North Korean", "Pyongyang", "Kim Jong Un", "KCNA"}},
	{Name: "russia", Any: []string{"Russia", "Russian", "Kremlin", "Moscow", "Putin"}},
	{Name: "ukraine-war", Any: []string{"Ukraine"}},
	{Name: "arms", Any: []string{"weapons", "arms", "artillery", "ammunition", "missiles", "shells"}},
}

func mustNew(t testing.TB, o Options) *Tagger {
	t.Helper()
	tg, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func slugs(tags []Tag, kind Kind) []string {
	var out []string
	for _, g := range tags {
		if kind == 0 || g.Kind == kind {
			out = append(out, g.Slug)
		}
	}
	return out
}

func TestKimTrainRuleTags(t *testing.T) {
	tg := mustNew(t, Options{Rules: kimRules, Entities: true})
	union := map[string]bool{}
	for _, it := range kimTrain {
		tags := tg.Tags(Input{Item: it})
		for _, s := range slugs(tags, Rule) {
			union[s] = true
		}
		// Every report of the story is about North Korea and Russia.
		for _, want := range []string{"north-korea", "russia"} {
			if !slices.Contains(slugs(tags, Rule), want) {
				t.Errorf("%q: no rule tag %s in %v", it.Title, want, tags)
			}
		}
	}
	for _, want := range []string{"north-korea", "russia", "ukraine-war", "arms"} {
		if !union[want] {
			t.Errorf("the kim-train story lacks rule tag %s: %v", want, union)
		}
	}
}

func TestKimTrainEntityTags(t *testing.T) {
	tg := mustNew(t, Options{Entities: true})
	junk := []string{"tuesday", "sunday", "mr", "the", "us-officials", "mr-kim", "kim", "putin", "mr-putin",
		"president-vladimir-putin", "north-korean", "korea", "kcna", "analysts", "kremlin", "jong-un", "kim-jong",
		"state-media", "united-states-officials"}
	union := map[string]bool{}
	for _, it := range kimTrain {
		it.Categories = nil // category tags would win over entity tags of the same slug
		tags := tg.Tags(Input{Item: it})
		ents := slugs(tags, Entity)
		t.Logf("%s: %v", it.Title, tags)
		for _, s := range ents {
			union[s] = true
		}
		text := it.Title + " " + it.Summary + " " + it.Content
		if strings.Contains(text, "Kim Jong Un") || strings.Contains(text, "Kim Jong-un") {
			if !slices.Contains(ents, "kim-jong-un") {
				t.Errorf("%q: no entity kim-jong-un in %v", it.Title, ents)
			}
		}
		if strings.Contains(text, "Vladimir Putin") && !slices.Contains(ents, "vladimir-putin") {
			t.Errorf("%q: no entity vladimir-putin in %v", it.Title, ents)
		}
		for _, want := range []string{"north-korea", "russia"} {
			if !slices.Contains(ents, want) {
				t.Errorf("%q: no gazetteer entity %s in %v", it.Title, want, ents)
			}
		}
		for _, j := range junk {
			if slices.Contains(ents, j) {
				t.Errorf("%q: junk entity tag %s in %v", it.Title, j, ents)
			}
		}
		for _, g := range tags {
			if g.Kind != Entity {
				t.Errorf("%q: %v is not an entity tag, yet there are no rules or categories", it.Title, g)
			}
		}
	}
	for _, want := range []string{"kim-jong-un", "vladimir-putin", "north-korea", "russia", "ukraine"} {
		if !union[want] {
			t.Errorf("the kim-train story lacks entity tag %s: %v", want, union)
		}
	}
	// Labels are one per slug: the gazetteer's where it has the name.
	tags := tg.Tags(Input{Item: kimNewsroom})
	for _, g := range tags {
		switch g.Slug {
		case "kim-jong-un":
			if g.Label != "Kim Jong Un" {
				t.Errorf("label %q, want Kim Jong Un", g.Label)
			}
		case "north-korea":
			if g.Label != "North Korea" {
				t.Errorf("label %q, want North Korea", g.Label)
			}
		}
	}
}

func TestKimUnrelatedItems(t *testing.T) {
	tg := mustNew(t, Options{Rules: kimRules, Entities: true})
	for name, it := range otherItems {
		tags := tg.Tags(Input{Item: it})
		t.Logf("%s: %v", name, tags)
		for _, s := range slugs(tags, 0) {
			switch s {
			case "north-korea", "russia", "ukraine-war", "arms", "kim-jong-un", "vladimir-putin", "ukraine":
				t.Errorf("%s: unrelated item tagged %s: %v", name, s, tags)
			}
		}
	}
	tags := tg.Tags(Input{Item: g20})
	got := slugs(tags, 0)
	for _, want := range []string{"russia", "ukraine-war", "india", "g20"} {
		if !slices.Contains(got, want) {
			t.Errorf("G20 item: no %s in %v", want, tags)
		}
	}
	if slices.Contains(got, "north-korea") {
		t.Errorf("G20 item tagged north-korea: %v", tags)
	}
}

func TestEntities(t *testing.T) {
	tg := mustNew(t, Options{Entities: true})
	cases := []struct {
		name, title, summary, source string
		want, not                    []string
	}{
		{name: "honorific and surname unify",
			summary: "President Vladimir Putin met envoys in Moscow. Mr Putin said talks went well, and Putin later left.",
			want:    []string{"vladimir-putin", "russia"}, not: []string{"putin", "president-vladimir-putin", "mr-putin"}},
		{name: "surname alone is not tagged",
			summary: "The talks were hosted by Mr Putin at a remote site, officials said.",
			not:     []string{"putin", "mr-putin"}},
		{name: "spelling variants",
			summary: "Kim Jong Un arrived. Later, Kim Jong-un spoke; KIM JONG UN's aides listened.",
			want:    []string{"kim-jong-un"}, not: []string{"kim", "jong-un"}},
		{name: "partial name merged",
			summary: "Kim Jong Un arrived in the city where Jong Un was greeted by crowds.",
			want:    []string{"kim-jong-un"}, not: []string{"jong-un"}},
		{name: "titles and adjectives stripped",
			summary: "The talks involved Russian Foreign Minister Sergei Lavrov and French President Emmanuel Macron in a long session.",
			want:    []string{"sergei-lavrov", "emmanuel-macron", "russia", "france"},
			not:     []string{"russian-foreign-minister-sergei-lavrov", "foreign-minister-sergei-lavrov", "french-president-emmanuel-macron"}},
		{name: "particles and hyphens",
			summary: "Talks with Mohammed bin Salman and Ursula von der Leyen followed, as did a call with Bashar al-Assad.",
			want:    []string{"mohammed-bin-salman", "ursula-von-der-leyen", "bashar-al-assad"}},
		{name: "sentence-start common word dropped",
			summary: "Meanwhile Vladimir Putin waited in the hall for the talks.",
			want:    []string{"vladimir-putin"}, not: []string{"meanwhile-vladimir-putin"}},
		{name: "days months boilerplate",
			summary: "BREAKING: The summit opens on Tuesday, September 12, officials said. Watch Live coverage from the hall.",
			not:     []string{"tuesday", "september", "breaking", "watch-live", "live", "the"}},
		{name: "capitals and adjectives",
			summary: "Officials in Pyongyang and Seoul traded warnings while North Korean state media criticised Kyiv and Beijing.",
			want:    []string{"north-korea", "south-korea", "ukraine", "china"}, not: []string{"korea"}},
		{name: "dotted and capital abbreviations",
			summary: "The U.S. and the UK sent envoys. Let us know what you think.",
			want:    []string{"united-states", "united-kingdom"}},
		{name: "us pronoun not a country",
			summary: "Tell us what you think about the new park, said the organisers.",
			not:     []string{"united-states"}},
		{name: "longest match first",
			summary: "South Korean troops and North Korean officials met on the border of South Korea.",
			want:    []string{"south-korea", "north-korea"}, not: []string{"korea"}},
		{name: "washington as capital, not in Washington Post",
			summary: "The report in the Washington Post was denied by officials.",
			not:     []string{"united-states"}, want: []string{"washington-post"}},
		{name: "washington alone",
			summary: "The deal was criticised by Washington on the same day.",
			want:    []string{"united-states"}},
		{name: "person sharing a country name",
			summary: "The actor Tom Holland and the singer Dawn French arrived late; later, Holland left early.",
			want:    []string{"tom-holland"}, not: []string{"netherlands", "france"}},
		{name: "regions are not countries",
			summary: "Growth in Latin America and South America slowed, the bank for North America said.",
			not:     []string{"united-states"}},
		{name: "title case headline carries no signal",
			title:   "Vladimir Putin Meets Kim Jong Un In Far East Summit Talks",
			summary: "The two leaders met at a launch site.",
			not:     []string{"vladimir-putin", "kim-jong-un", "far-east-summit-talks", "far-east"}},
		{name: "title case headline: names from the body",
			title:   "Putin Meets Kim Jong Un In Far East Summit Talks",
			summary: "The two leaders, Vladimir Putin and Kim Jong Un, met at a launch site in Russia.",
			want:    []string{"vladimir-putin", "kim-jong-un", "russia"}, not: []string{"far-east-summit-talks", "far-east"}},
		{name: "accents",
			summary: "Historians compared the speech to one by Philippe Pétain in occupied territory.",
			want:    []string{"philippe-petain"}},
		{name: "single capitalised words are not tagged",
			summary: "Officials at Apple said the Kremlin and Gazprom welcomed the plan.",
			not:     []string{"apple", "kremlin", "gazprom", "officials"}},
		{name: "lower-case word elsewhere",
			summary: "Fresh Balloon Launches were seen. Officials said fresh balloon launches followed.",
			not:     []string{"fresh-balloon-launches", "balloon-launches"}},
		{name: "weak entry needs support",
			summary: "Storms hit Georgia and Florida overnight, the governor said.",
			not:     []string{"georgia"}},
		{name: "weak entry with support",
			summary: "Protests in Tbilisi spread across Georgia overnight.",
			want:    []string{"georgia"}},
		{name: "hacker news labels",
			title: "Show HN: An open-source log viewer written over a weekend",
			summary: `<p>Article URL: <a href="https://example.com/a">https://example.com/a</a></p>
<p>Comments URL: <a href="https://news.ycombinator.com/item?id=1">https://news.ycombinator.com/item?id=1</a></p>
<p>Points: 8</p><p># Comments: 0</p>`,
			not: []string{"show-hn", "article-url", "comments-url", "points"}},
		{name: "ask hn label",
			title: "Ask HN: How do you deal with noise while working from home?",
			not:   []string{"ask-hn"}},
		{name: "common word at sentence start",
			summary: "New AI offers protection against abductions. Top China officials met in Malta.",
			want:    []string{"china"}, not: []string{"new-ai", "top-china"}},
		{name: "gazetteer name at sentence start",
			summary: "New York City officials said a new plan was ready. New Zealand agreed.",
			want:    []string{"new-york-city", "new-zealand"}},
		{name: "modifier before a name",
			summary: "The vote was a blow after Two House Republicans and the New Statesman said so, and Five Americans were freed.",
			want:    []string{"house-republicans", "united-states"},
			not:     []string{"two-house-republicans", "new-statesman", "five-americans"}},
		{name: "camel-case brand keeps a headline in Title Case",
			title: "Check Out the iPhone 15's New Camera in Action",
			not:   []string{"new-camera", "check-out"}},
		{name: "html summary cut short",
			summary: `<p>The retrospective ended with a show at <a href="https://example.com">MoMA</a> in New Yor`,
			not:     []string{"new-yor"}},
		{name: "cut inside a tag keeps the last name",
			summary: `<p>The players said they would continue their boycott after Luis Rubiales <a href="https:`,
			want:    []string{"luis-rubiales"}},
		{name: "plain summary without a full stop keeps the last name",
			summary: "The president pledged to address hard issues at talks with Israel's prime minister in New York",
			want:    []string{"new-york", "israel"}},
		{name: "ellipsis",
			summary: "The standard is overseen by a small group of hosts and The Open Wallet Foundati…",
			not:     []string{"open-wallet-foundati", "open-wallet"}},
		{name: "title repeated in the summary",
			title:   "Thousands of Juniper Appliances Vulnerable to New Exploit",
			summary: "<p>A new exploit targets a Junos OS flaw.</p><p>The post Thousands of Juniper Appliances Vulnerable to New Exploit appeared first on SecurityWeek.</p>",
			not:     []string{"new-exploit", "juniper-appliances-vulnerable", "juniper-appliances"}},
		{name: "the outlet's own name",
			source:  "Security Affairs",
			summary: "<p>Hackers stole data from a bank in Ohio.</p><p>The post Hackers hit Ohio bank appeared first on Security Affairs.</p>",
			not:     []string{"security-affairs"}},
		{name: "roles at the end",
			summary: "The company said Tesla CEO had not commented, while Deutsche Bank CEO Christian Sewing did.",
			want:    []string{"christian-sewing"}, not: []string{"tesla-ceo", "deutsche-bank-ceo"}},
		{name: "hyphenated adjectives",
			summary: "The New York-based artist showed an AI-powered Windows Copilot made by a Democrat-led team.",
			want:    []string{"new-york"}, not: []string{"new-york-based", "ai-powered-windows-copilot", "democrat-led"}},
		{name: "hyphenated syllables of romanised names",
			summary: "Former leader Leung Chun-ying met Deng Xiao-ping's family.",
			want:    []string{"leung-chun-ying", "deng-xiao-ping"}},
		{name: "contractions and titles",
			title:   "Don't Look Away review: a slasher in a car showroom",
			summary: "The film was praised by PM Narendra Modi. I'm Jewish, the director said.",
			want:    []string{"narendra-modi"}, not: []string{"dont-look-away", "pm-narendra-modi", "im-jewish"}},
		{name: "gerund at sentence start",
			summary: "Comparing Datadog with the newcomer takes a while.",
			not:     []string{"comparing-datadog"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tags := tg.Tags(Input{Item: aggregator.Item{Title: c.title, Summary: c.summary}, Source: c.source})
			got := slugs(tags, Entity)
			for _, w := range c.want {
				if !slices.Contains(got, w) {
					t.Errorf("no %s in %v", w, tags)
				}
			}
			for _, n := range c.not {
				if slices.Contains(got, n) {
					t.Errorf("unwanted %s in %v", n, tags)
				}
			}
		})
	}
}
