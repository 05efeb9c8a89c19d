package filter

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// testSubjects are the stories the tests match filters against. In nk,
// "BBC News" is the title of a feed that has no name in the config.
var testSubjects = map[string]Subject{
	"nk": {
		Tags:      []string{"north-korea", "politics"},
		Sources:   []string{"Reuters", "BBC News", "Yonhap", "reuters "},
		Feeds:     []string{"Reuters", "https://feeds.bbci.co.uk/news/world/rss.xml", "Yonhap", "reuters "},
		Title:     "Kim Jong-un visits Moscow",
		Text:      "North Korea's leader met Putin; talks on Ukraine war.",
		Lang:      "en-GB",
		Published: testNow.Add(-3 * time.Hour),
	},
	"sport": {
		Tags:      []string{"north-korea", "sport"},
		Sources:   []string{"Yonhap"},
		Feeds:     []string{"Yonhap"},
		Title:     "Football: North Korea beat Japan 2-1",
		Text:      "A late goal in Pyongyang.",
		Lang:      "en",
		Published: testNow.Add(-50 * time.Hour),
	},
	"fr": {
		Tags:      []string{"ukraine-war", "europe"},
		Sources:   []string{"Le Monde", "AFP"},
		Feeds:     []string{"Le Monde", "AFP"},
		Title:     "Guerre en Ukraine : la Côte d’Ivoire réagit",
		Text:      "Le président Zelensky s'est exprimé à Kyiv.",
		Lang:      "fr",
		Published: testNow.Add(-9 * 24 * time.Hour),
	},
	"unknown": {
		Title: "Untitled",
	},
}

func TestParseCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"   \t", ""},
		{"tag:north-korea", "tag:north-korea"},
		{"TAG:North-Korea", "tag:north-korea"},
		{`tag:"Ukraine war"`, "tag:ukraine-war"},
		{`tag:"Côte d'Ivoire"`, "tag:cote-divoire"},
		{"tag:north-korea AND NOT tag:sport", "tag:north-korea AND NOT tag:sport"},
		{"tag:a and not tag:b or tag:c", "tag:a AND NOT tag:b OR tag:c"},
		{"tag:a AND (tag:b OR tag:c)", "tag:a AND (tag:b OR tag:c)"},
		{"(tag:a AND tag:b) OR tag:c", "tag:a AND tag:b OR tag:c"},
		{"((tag:a))", "tag:a"},
		{"(tag:a OR tag:b) OR (tag:c OR tag:d)", "tag:a OR tag:b OR tag:c OR tag:d"},
		{"NOT (tag:a OR tag:b)", "NOT (tag:a OR tag:b)"},
		{"NOT (tag:a AND tag:b)", "NOT (tag:a AND tag:b)"},
		{"NOT NOT tag:a", "NOT NOT tag:a"},
		{"not(tag:a)", "NOT tag:a"},
		{"source:Reuters", "source:Reuters"},
		{`source:"  BBC News "`, `source:"BBC News"`},
		{`title:"Kim Jong-un"`, `title:"Kim Jong-un"`},
		{`text:Putin`, `text:Putin`},
		{`text:"say \"hi\" \\o/"`, `text:"say \"hi\" \\o/"`},
		{`/kim\s+jong/`, `/kim\s+jong/`},
		{`/a\/b/`, `/a\/b/`},
		{`/a\\/`, `/a\\/`},
		{"lang:EN_gb", "lang:en-gb"},
		{"age<48h", "age<2d"},
		{"age<36h", "age<36h"},
		{"age <= 2d", "age<=2d"},
		{"AGE>90m", "age>1h30m"},
		{"age<14d", "age<2w"},
		{"age<1w2d", "age<9d"},
		{"age<1.5h", "age<1h30m"},
		{"age>=0", "age>=0s"},
		{"age>=1m0s", "age>=1m"},
		{"age>=1500ms", "age>=1.5s"},
		{"age>=1h0m1s", "age>=1h0m1s"},
		{"sources>=3", "sources>=3"},
		{"sources = 2", "sources=2"},
		{"sources<5 OR sources>1", "sources<5 OR sources>1"},
		{"tag:north-korea AND sources>=3", "tag:north-korea AND sources>=3"},
	}
	for _, tt := range tests {
		f, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := f.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	const pred = expectPredicate
	tests := []struct {
		in       string
		col      int
		expected string
		found    string
	}{
		{"tag:north-korea AND AND tag:x", 21, pred, "AND"},
		{"tag:a tag:b", 7, "AND, OR or end of input", "tag:b"},
		{"(tag:a tag:b)", 8, "AND, OR or )", "tag:b"},
		{"tag:a)", 6, "AND, OR or end of input", ")"},
		{"(tag:a", 7, "AND, OR or )", ""},
		{"((tag:a) OR tag:b", 18, "AND, OR or )", ""},
		{"()", 2, pred, ")"},
		{"tag:a AND", 10, pred, ""},
		{"NOT", 4, pred, ""},
		{"OR tag:a", 1, pred, "OR"},
		{"north-korea", 1, pred, "north-korea"},
		{`"north korea"`, 1, pred, `"north korea"`},
		{"tags:x", 1, pred, "tags:x"},
		{"foo:\"a b\"", 1, pred, "foo:"},
		{"tag", 1, pred, "tag"},
		{"tag:", 5, `a value right after "tag:"`, ""},
		{"tag: x", 5, `a value right after "tag:"`, " "},
		{"tag:(x)", 5, `a value right after "tag:"`, "("},
		{`tag:"!!"`, 5, "a tag name with letters or digits", `"!!"`},
		{`source:"  "`, 8, "an outlet's name", `"  "`},
		{`title:"--"`, 7, "a phrase with letters or digits", `"--"`},
		{`tag:"ukraine war`, 5, `a closing '"' for this one`, `"ukraine war`},
		{`tag:a AND "oops`, 11, `a closing '"' for this one`, `"oops`},
		{"/kim", 1, "a closing / for this regular expression", "/kim"},
		{`/kim\/`, 1, "a closing / for this regular expression", `/kim\/`},
		{"//", 1, "a regular expression between the slashes", "//"},
		{"tag:a OR /(kim/", 10, "a regular expression in Go's syntax (missing closing ): `(?i)(kim`)", "/(kim/"},
		{"lang:english!", 6, "a language tag like en or en-GB", "english!"},
		{"lang:e1", 6, "a language tag like en or en-GB", "e1"},
		{"age<", 5, "a duration like 90m, 48h, 2d or 1w", ""},
		{"age<2 AND tag:a", 5, "a duration like 90m, 48h, 2d or 1w", "2"},
		{"age<2y", 5, "a duration like 90m, 48h, 2d or 1w", "2y"},
		{"age<-1h", 5, "a duration like 90m, 48h, 2d or 1w", "-1h"},
		{"age<99999999999w", 5, "a duration like 90m, 48h, 2d or 1w", "99999999999w"},
		{"age=1h", 4, `<, <=, > or >= after "age"`, "=1h"},
		{"age:1h", 4, `<, <=, > or >= after "age"`, ":1h"},
		{"age AND", 5, `<, <=, > or >= after "age"`, "AND"},
		{"sources:3", 8, `<, <=, >, >= or = after "sources"`, ":3"},
		{"sources>=three", 10, "a number of outlets like 3", "three"},
		{"sources>=+3", 10, "a number of outlets like 3", "+3"},
		{"sources==3", 9, "a number of outlets like 3", "=3"},
		{"tag:a && tag:b", 7, "AND, OR or end of input", "&&"},
		{"tag:été AND été", 13, pred, "été"},
		{strings.Repeat("(", 101) + "tag:a" + strings.Repeat(")", 101), 101, "at most 100 nested parentheses and NOTs", "("},
	}
	for _, tt := range tests {
		f, err := Parse(tt.in)
		var fe *SyntaxError
		if !errors.As(err, &fe) {
			t.Errorf("Parse(%q) = %v, %v; want a *SyntaxError", tt.in, f, err)
			continue
		}
		if fe.Column != tt.col || fe.Expected != tt.expected || fe.Found != tt.found {
			t.Errorf("Parse(%q): got column %d, expected %q, found %q; want %d, %q, %q",
				tt.in, fe.Column, fe.Expected, fe.Found, tt.col, tt.expected, tt.found)
		}
	}
}

func TestSyntaxErrorMessage(t *testing.T) {
	tests := []struct{ in, want string }{
		{"tag:north-korea AND AND tag:x", `column 21: expected a predicate (tag:, source:, title:, text:, /regex/, lang:, age, sources) or "(", found "AND"`},
		{"(tag:a tag:b)", `column 8: expected AND, OR or ), found "tag:b"`},
		{"(tag:a", `column 7: expected AND, OR or ), found end of input`},
		{"age<2y", `column 5: expected a duration like 90m, 48h, 2d or 1w, found "2y"`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) error = %v, want %s", tt.in, err, tt.want)
		}
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		filter string
		want   []string // the subjects it matches, in testSubjects' key order: fr nk sport unknown
	}{
		{"", []string{"fr", "nk", "sport", "unknown"}},
		{"tag:north-korea", []string{"nk", "sport"}},
		{"tag:North-Korea", []string{"nk", "sport"}},
		{`tag:"Ukraine War"`, []string{"fr"}},
		{"tag:ukraine", nil},
		{"tag:north-korea AND NOT tag:sport", []string{"nk"}},
		{"NOT tag:north-korea", []string{"fr", "unknown"}},
		{"tag:north-korea AND sources>=3", []string{"nk"}},
		{"source:reuters", []string{"nk"}},
		// Not by the title a feed gives itself, which any feed could give.
		{`source:"bbc news"`, nil},
		{`source:"BBC"`, nil},
		{"source:https://feeds.bbci.co.uk/news/world/rss.xml", []string{"nk"}},
		{"source:FEEDS.BBCI.CO.UK", []string{"nk"}},
		{"source:bbci.co.uk", nil},
		{"source:Yonhap AND NOT source:feeds.bbci.co.uk", []string{"sport"}},
		{"source:afp OR source:yonhap", []string{"fr", "nk", "sport"}},
		{`title:"kim jong un"`, []string{"nk"}},
		{`title:"Kim Jong-un visits"`, []string{"nk"}},
		{`title:"Jong"`, []string{"nk"}},
		{`title:"Jon"`, nil},
		{`title:putin`, nil},
		{`text:putin`, []string{"nk"}},
		{`text:"north korea"`, []string{"nk", "sport"}},
		{`text:"korea s leader"`, []string{"nk"}},
		{`text:"cote d ivoire"`, []string{"fr"}},
		{`text:"Côte d’Ivoire"`, []string{"fr"}},
		{`text:"COTE D'IVOIRE"`, []string{"fr"}},
		{`text:"president zelensky"`, []string{"fr"}},
		{`text:"visits moscow north"`, nil}, // not across title and text
		{`/kim\s+jong/`, []string{"nk"}},
		{`/(?-i)kim/`, nil},
		{`/(?-i)Kim/`, []string{"nk"}},
		{`/putin; talks/`, []string{"nk"}},
		{`/moscow north/`, []string{"nk"}}, // title + " " + text
		{`/\d-\d/`, []string{"sport"}},
		{`/a\/b/ OR /^untitled $/`, []string{"unknown"}},
		{"lang:en", []string{"nk", "sport"}},
		{"lang:en-gb", []string{"nk"}},
		{"lang:en-us", nil},
		{"lang:e", nil},
		{"lang:fr", []string{"fr"}},
		{"NOT lang:en", []string{"fr", "unknown"}},
		{"age<48h", []string{"nk"}},
		{"age<=2d", []string{"nk"}},
		{"age>1h", []string{"fr", "nk", "sport"}},
		{"age>1w", []string{"fr"}},
		{"age<1w AND age>2d", []string{"sport"}},
		{"sources>=3", []string{"nk"}}, // "Reuters" and "reuters " are one outlet
		{"sources=3", []string{"nk"}},
		{"sources=4", nil},
		{"sources>1", []string{"fr", "nk"}},
		{"sources<1", []string{"unknown"}},
		{"sources<5", []string{"fr", "nk", "sport", "unknown"}},
		// Precedence: NOT > AND > OR.
		{"tag:europe OR tag:politics AND tag:sport", []string{"fr"}},
		{"(tag:europe OR tag:politics) AND tag:sport", nil},
		{"tag:sport OR tag:politics AND NOT lang:en", []string{"sport"}},
		{"NOT tag:sport AND tag:north-korea", []string{"nk"}},
		{"NOT (tag:sport AND tag:north-korea)", []string{"fr", "nk", "unknown"}},
		{"NOT NOT tag:sport", []string{"sport"}},
	}
	names := []string{"fr", "nk", "sport", "unknown"}
	for _, tt := range tests {
		f, err := Parse(tt.filter)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.filter, err)
			continue
		}
		var got []string
		for _, name := range names {
			if f.Match(testSubjects[name], testNow) {
				got = append(got, name)
			}
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%q matches %v, want %v", tt.filter, got, tt.want)
		}
	}
}

func TestNilFilter(t *testing.T) {
	var f *Filter
	if !f.Match(Subject{}, testNow) || f.String() != "" {
		t.Error("a nil *Filter should match everything and print as \"\"")
	}
	if !(&Filter{}).Match(Subject{}, testNow) {
		t.Error("the zero Filter should match everything")
	}
}

func TestWords(t *testing.T) {
	for _, tt := range []struct{ in, words string }{
		{"Ukraine war", "ukraine war"},
		{"  Kim Jong-un's  ", "kim jong un s"},
		{"Côte d’Ivoire", "cote d ivoire"},
		{"Łódź, Straße; Ærø", "lodz strasse aero"},
		{"ﬁnal №1", "final no1"},
		{"Война в Украине", "воина в украине"},
		{"--", ""},
	} {
		if got := words(tt.in); got != tt.words {
			t.Errorf("words(%q) = %q, want %q", tt.in, got, tt.words)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"48h", 48 * time.Hour, true},
		{"2d", 48 * time.Hour, true},
		{"1w", 7 * 24 * time.Hour, true},
		{"1w1d1h1m1s", (8*24+1)*time.Hour + time.Minute + time.Second, true},
		{"1.5d", 36 * time.Hour, true},
		{"90M", 90 * time.Minute, true},
		{"250ms", 250 * time.Millisecond, true},
		{"1µs", time.Microsecond, true},
		{"0", 0, true},
		{"", 0, false},
		{"h", 0, false},
		{"3", 0, false},
		{"1y", 0, false},
		{"-1h", 0, false},
		{"1..5h", 0, false},
		{"15300w", 0, false}, // overflows
	} {
		got, ok := parseDuration(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// equivalent fails t unless a and b, parsed, match the same test
// subjects at a few times.
func equivalent(t *testing.T, a, b *Filter) {
	t.Helper()
	for name, s := range testSubjects {
		for _, now := range []time.Time{testNow, testNow.Add(-3 * time.Hour), testNow.Add(10 * 24 * time.Hour)} {
			if a.Match(s, now) != b.Match(s, now) {
				t.Fatalf("%q and %q differ on %s at %v", a, b, name, now)
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, in := range seeds {
		f, err := Parse(in)
		if err != nil {
			continue
		}
		s := f.String()
		g, err := Parse(s)
		if err != nil {
			t.Errorf("Parse(%q).String() = %q, which does not parse: %v", in, s, err)
			continue
		}
		if g.String() != s {
			t.Errorf("String of %q is not stable: %q, then %q", in, s, g.String())
		}
		equivalent(t, f, g)
	}
}

var seeds = []string{
	"",
	"tag:north-korea AND NOT tag:sport",
	`tag:"Ukraine war" OR tag:"Côte d'Ivoire"`,
	"tag:north-korea AND sources>=3",
	`source:"BBC News" OR source:Reuters`,
	`title:"Kim Jong-un" AND text:"north korea"`,
	`text:"say \"hi\" \\o/"`,
	`/kim\s+jong/ OR /a\/b/ OR /(?-i)Kim/ OR /x\\/`,
	"lang:en AND NOT lang:en-gb",
	"age<48h OR age<=2d OR age>1h OR age>=1w2d OR age<1.5h",
	"sources>=3 OR sources>1 OR sources=2 OR sources<5",
	"NOT (tag:a OR tag:b) AND (tag:c OR NOT tag:d) OR NOT NOT tag:e",
	"((tag:a AND (tag:b OR (tag:c))))",
	// Broken ones.
	"tag:a AND AND tag:b",
	"tag:a tag:b",
	"(tag:a",
	"tag:a)",
	`tag:"open`,
	"/open",
	"/(/",
	"age<2y",
	"sources>=x",
	"foo:bar",
	"NOT",
	"tag:",
	"&& ||",
	"tAg:\xf1ʳ", // found by fuzzing: invalid UTF-8 before a mark
}

func FuzzParse(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		flt, err := Parse(in)
		if err != nil {
			var fe *SyntaxError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse(%q): error %v is not a *SyntaxError", in, err)
			}
			if n := len([]rune(in)); fe.Column < 1 || fe.Column > n+1 {
				t.Fatalf("Parse(%q): column %d out of 1..%d", in, fe.Column, n+1)
			}
			return
		}
		s := flt.String()
		g, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q, which does not parse: %v", in, s, err)
		}
		if g.String() != s {
			t.Fatalf("String of %q is not stable: %q, then %q", in, s, g.String())
		}
		equivalent(t, flt, g)
	})
}

func BenchmarkMatch(b *testing.B) {
	f, err := Parse(`(text:"ukraine war" OR tag:north-korea) AND NOT tag:sport AND lang:en AND sources>=2 AND age<2d`)
	if err != nil {
		b.Fatal(err)
	}
	s := testSubjects["nk"]
	s.Text = strings.Repeat("Officials in Seoul said the talks went on for hours. ", 8) + s.Text
	b.ReportAllocs()
	for b.Loop() {
		if !f.Match(s, testNow) {
			b.Fatal("no match")
		}
	}
}

// TestTextOf: a subject's text comes from TextOf only when a
// predicate reads text, and then once.
func TestTextOf(t *testing.T) {
	calls := 0
	sub := Subject{Tags: []string{"korea"}, Title: "Kim goes by train", TextOf: func() string {
		calls++
		return "He travels to Vladivostok to meet Putin."
	}}
	now := time.Now()
	for _, tc := range []struct {
		filter string
		want   bool
		calls  int
	}{
		{"tag:korea", true, 0},
		{`tag:korea AND title:"by train"`, true, 0},
		{`text:"vladivostok" AND text:"putin"`, true, 1},
		{`/meet putin/`, true, 1},
		{`tag:korea AND NOT text:"moscow"`, true, 1},
	} {
		calls = 0
		f, err := Parse(tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Match(sub, now); got != tc.want || calls != tc.calls {
			t.Errorf("%s: match %v with %d calls of TextOf, want %v with %d", tc.filter, got, calls, tc.want, tc.calls)
		}
	}
}
