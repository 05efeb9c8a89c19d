package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestLoadTags(t *testing.T) {
	const feed = "feeds:\n  - url: https://example.com/feed.xml\n"
	tests := []struct {
		name string
		src  string
		get  func(*Config) any
		want any
	}{
		{"no tags", feed,
			func(c *Config) any { return []any{c.Tags, c.Tagging, c.Feeds[0].Tags, c.Outputs[0].Filter} },
			[]any{map[string]TagRule(nil), Tagging{Entities: new(true)}, []string(nil), ""}},
		{"empty sections are none", "tags: {}\ntagging:\n  aliases: {}\n" + feed,
			func(c *Config) any { return []any{c.Tags, c.Tagging} },
			[]any{map[string]TagRule(nil), Tagging{Entities: new(true)}}},
		{"entities null", "tagging:\n  entities: ~\n" + feed,
			func(c *Config) any { return *c.Tagging.Entities }, true},
		{"entities false", "tagging:\n  entities: false\n" + feed,
			func(c *Config) any { return *c.Tagging.Entities }, false},
		{"rules", "" +
			"tags:\n" +
			"  arms:\n" +
			"    any: [weapons, arms]\n" +
			"    none: [arms race]\n" +
			"  kim:\n" +
			"    label: Kim Jong Un\n" +
			"    all: [Kim]\n" +
			"    regex: ['\\bKim Jong[ -]Un\\b', \"(?i)kcna\"]\n" +
			"    fields: [title, link, author, source]\n" + feed,
			func(c *Config) any { return c.Tags },
			map[string]TagRule{
				"arms": {Any: []string{"weapons", "arms"}, None: []string{"arms race"}, Fields: DefaultTagFields()},
				"kim": {Label: "Kim Jong Un", All: []string{"Kim"}, Regex: []string{`\bKim Jong[ -]Un\b`, "(?i)kcna"},
					Fields: []string{"title", "link", "author", "source"}},
			}},
		{"empty fields are the default", "tags:\n  x:\n    any: [x]\n    fields: []\n" + feed,
			func(c *Config) any { return c.Tags["x"].Fields }, []string{"title", "summary", "content", "categories"}},
		{"aliases", "tagging:\n  aliases:\n    soccer: sport\n    misc: \"\"\n    other: ~\n" + feed,
			func(c *Config) any { return c.Tagging.Aliases },
			map[string]string{"soccer": "sport", "misc": "", "other": ""}},
		{"feed tags as written", "feeds:\n  - url: https://example.com/\n    tags: [world, Middle East, \"  x \"]\n",
			func(c *Config) any { return c.Feeds[0].Tags }, []string{"world", "Middle East", "  x "}},
		{"filter kept, not parsed", feed + "outputs:\n  - name: korea\n    filter: \"tag:north-korea AND (\"\n",
			func(c *Config) any { return c.Outputs[0] },
			Output{Name: "korea", Title: "korea", Limit: DefaultOutputLimit, Filter: "tag:north-korea AND ("}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadFile(writeConfig(t, tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.get(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
	// Each rule has its own default fields.
	c, err := LoadFile(writeConfig(t, "tags:\n  a: {any: [a]}\n  b: {any: [b]}\n"+feed))
	if err != nil {
		t.Fatal(err)
	}
	c.Tags["a"].Fields[0] = "link"
	if c.Tags["b"].Fields[0] != "title" || DefaultTagFields()[0] != "title" {
		t.Error("rules share their default fields")
	}
}

// problemsOf returns err's problems as strings, without the file name.
func problemsOf(t *testing.T, err error, path string) []string {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v; want *Error", err)
	}
	var got []string
	for _, p := range e.Problems {
		got = append(got, strings.TrimPrefix(p.String(), path))
	}
	return got
}

func TestLoadTagErrors(t *testing.T) {
	const feed = "feeds:\n  - url: https://example.com/feed.xml\n"
	tests := []struct {
		name string
		src  string
		want []string // problems, without the file name
	}{
		{"labels", "" +
			"tags:\n" +
			"  a: {label: \"  \", any: [x]}\n" +
			"  b: {label: \"two\\nlines\", any: [x]}\n" +
			"  c: {label: " + strings.Repeat("x", 101) + ", any: [x]}\n" +
			"  d: {label: " + strings.Repeat("é", 100) + ", any: [x]}\n" + feed,
			[]string{
				`:2: tags.a.label: "  ": write the tag's name as people read it, on one line and at most 100 characters (like "North Korea"), or remove the label`,
				`:3: tags.b.label: "two\nlines": write the tag's name as people read it, on one line and at most 100 characters (like "North Korea"), or remove the label`,
				`:4: tags.c.label: "` + strings.Repeat("x", 101) + `": write the tag's name as people read it, on one line and at most 100 characters (like "North Korea"), or remove the label`,
			}},
		{"tag names", "" +
			"tags:\n" +
			"  North Korea: {any: [Pyongyang]}\n" +
			"  ukraine_war: {any: [Ukraine]}\n" +
			"  -arms-: {any: [arms]}\n" +
			"  Côte d'Ivoire: {any: [Abidjan]}\n" +
			"  \"!!\": {any: [x]}\n" +
			"  Kim's: {any: [Kim]}\n" +
			"  Україна: {any: [Київ]}\n" +
			"  ＡＢＣ: {any: [x]}\n" +
			"  ok-2: {any: [x]}\n" + feed,
			[]string{
				`:2: tags.North Korea: "North Korea": not a tag name; write north-korea`,
				`:3: tags.ukraine_war: "ukraine_war": not a tag name; write ukraine-war`,
				`:4: tags.-arms-: "-arms-": not a tag name; write arms`,
				`:5: tags.Côte d'Ivoire: "Côte d'Ivoire": not a tag name; write cote-divoire`,
				`:6: tags.!!: "!!": not a tag name; write lowercase letters a-z and digits, with single hyphens between words, e.g. north-korea`,
				`:7: tags.Kim's: "Kim's": not a tag name; write kims`,
				`:8: tags.Україна: "Україна": not a tag name; write lowercase letters a-z and digits, with single hyphens between words, e.g. north-korea`,
				`:9: tags.ＡＢＣ: "ＡＢＣ": not a tag name; write abc`,
			}},
		{"rules that match everything", "" +
			"tags:\n" +
			"  empty:\n" +
			"  braces: {}\n" +
			"  none-only:\n" +
			"    none: [sport]\n" +
			"  fields-only:\n" +
			"    fields: [title]\n" + feed,
			[]string{
				":2: tags.empty: no any, all or regex; give at least one of them, or the rule tags every item",
				":3: tags.braces: no any, all or regex; give at least one of them, or the rule tags every item",
				":4: tags.none-only: no any, all or regex; give at least one of them, or the rule tags every item",
				":6: tags.fields-only: no any, all or regex; give at least one of them, or the rule tags every item",
			}},
		{"empty phrases", "" +
			"tags:\n" +
			"  x:\n" +
			"    any: [a, \"\"]\n" +
			"    all:\n" +
			"      - \"  \"\n" +
			"    none:\n" +
			"      -\n" + feed,
			[]string{
				":3: tags.x.any[1]: empty; write a word or phrase, or remove the item",
				":5: tags.x.all[0]: empty; write a word or phrase, or remove the item",
				":7: tags.x.none[0]: empty; write a word or phrase, or remove the item",
			}},
		{"regexes", "" +
			"tags:\n" +
			"  x:\n" +
			"    regex:\n" +
			"      - \"(\"\n" +
			"      - \"\"\n" +
			"      - '\\bok\\b'\n" +
			"      - a**\n" + feed,
			[]string{
				`:4: tags.x.regex[0]: "(" is not a regular expression: missing closing ): ` + "`(`" + `; write one in Go's syntax (RE2), e.g. '\bKim Jong[ -]Un\b'`,
				":5: tags.x.regex[1]: empty, which matches every item; write a regular expression, or remove the item",
				`:7: tags.x.regex[3]: "a**" is not a regular expression: invalid nested repetition operator: ` + "`**`" + `; write one in Go's syntax (RE2), e.g. '\bKim Jong[ -]Un\b'`,
			}},
		{"fields", "tags:\n  x:\n    any: [x]\n    fields: [title, body, title, Title]\n" + feed,
			[]string{
				`:4: tags.x.fields[1]: "body" is not a field; use title, summary, content, categories, author, source or link`,
				`:4: tags.x.fields[2]: "title" is listed twice (also as tags.x.fields[0]); remove one`,
				`:4: tags.x.fields[3]: "Title" is not a field; use title, summary, content, categories, author, source or link`,
			}},
		{"bad types", "" +
			"tags:\n" +
			"  x: [a, b]\n" +
			"  y:\n" +
			"    any: Pyongyang\n" +
			"    some: [a]\n" +
			"  z: {any: [[a]]}\n" +
			"tagging:\n" +
			"  entities: yes please\n" +
			"  aliases: [a]\n" +
			"  alias: {}\n" + feed,
			[]string{
				`:2: tags.x: want keys, found a list; the keys here are label, any, all, none, regex, fields`,
				`:4: tags.y.any: want a list, found "Pyongyang"; start each item on its own line with "- "`,
				":5: tags.y.some: unknown key; known keys here are label, any, all, none, regex, fields",
				":6: tags.z.any[0]: want a string, found a list; quote it if need be",
				`:8: tagging.entities: "yes please" is not true or false; write true or false`,
				`:9: tagging.aliases: want keys, found a list; write one "name: value" per line`,
				":10: tagging.alias: unknown key; known keys here are entities, aliases",
			}},
		{"tags not keys", "tags: [north-korea]\n" + feed, []string{
			`:1: tags: want keys, found a list; write one "name: value" per line`,
		}},
		{"tag set twice", "tags:\n  x: {any: [a]}\n  x: {any: [b]}\n" + feed, []string{
			":3: tags.x: set twice (also on line 2); remove one",
		}},
		{"aliases", "" +
			"tagging:\n" +
			"  aliases:\n" +
			"    soccer: sport\n" +
			"    Premier League: football\n" +
			"    world-news: World News\n" +
			"    misc: \"\"\n" +
			"    uk: ~\n" +
			"    news: news_\n" + feed,
			[]string{
				`:4: tagging.aliases.Premier League: "Premier League": not a category slug; write premier-league (categories are matched by their slug)`,
				`:5: tagging.aliases.world-news: "World News": not a tag name; write world-news, or "" to drop the category`,
				`:8: tagging.aliases.news: "news_": not a tag name; write news, or "" to drop the category`,
			}},
		{"feed tags", "" +
			"feeds:\n" +
			"  - url: https://example.com/a\n" +
			"    tags: [world, \"\", Middle East]\n" +
			"  - url: https://example.com/b\n" +
			"    tags:\n" +
			"      - \" \"\n" +
			"      - [x]\n" +
			"  - url: https://example.com/c\n" +
			"    tags: world\n",
			[]string{
				":3: feeds[0].tags[1]: empty; write a tag, or remove the item",
				":6: feeds[1].tags[0]: empty; write a tag, or remove the item",
				":7: feeds[1].tags[1]: want a string, found a list; quote it if need be",
				`:9: feeds[2].tags: want a list, found "world"; start each item on its own line with "- "`,
			}},
		{"filter not a string", feed + "outputs:\n  - name: x\n    filter: [tag:a]\n", []string{
			":5: outputs[0].filter: want a string, found a list; quote it if need be",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.src)
			c, err := LoadFile(path)
			if err == nil {
				t.Fatalf("LoadFile = %+v, nil; want an error", c)
			}
			if got := problemsOf(t, err, path); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
			}
		})
	}
}

// filterError is an error from a filter parser that knows its column.
type filterError struct {
	col int
	msg string
}

func (e *filterError) Error() string { return e.msg }
func (e *filterError) Column() int   { return e.col }

func TestLoadFileWith(t *testing.T) {
	src := "" +
		"feeds:\n" +
		"  - url: https://example.com/feed.xml\n" +
		"outputs:\n" +
		"  - name: all\n" +
		"  - name: korea\n" +
		"    title: Korea watch\n" +
		"    filter: \"tag:north-korea AND NOT tag:\"\n" +
		"  - name: plain\n" +
		"    filter: bad\n" +
		"  - name: wrapped\n" +
		"    filter: also bad\n" +
		"  - name: nowhere\n" +
		"    filter: bad at no column\n" +
		"  - name: good\n" +
		"    filter: tag:sport\n" +
		"  - name: broken\n" +
		"    filter: [bad]\n"
	var seen []string
	check := func(expr string) error {
		seen = append(seen, expr)
		switch expr {
		case "tag:north-korea AND NOT tag:":
			return &filterError{col: 25, msg: `"tag:" needs a tag name after it`}
		case "bad":
			return errors.New(`unknown word "bad"; write tag:name`)
		case "also bad":
			return fmt.Errorf("parse: %w", &filterError{col: 6, msg: `unknown word "bad"`})
		case "bad at no column":
			return &filterError{msg: "bad"}
		}
		return nil
	}
	path := writeConfig(t, src)
	c, err := LoadFileWith(path, Options{CheckFilter: check})
	if err == nil {
		t.Fatalf("LoadFileWith = %+v, nil; want an error", c)
	}
	want := []string{
		`:7: outputs[1].filter: output "korea": column 25: "tag:" needs a tag name after it`,
		`:9: outputs[2].filter: output "plain": unknown word "bad"; write tag:name`,
		`:11: outputs[3].filter: output "wrapped": column 6: parse: unknown word "bad"`,
		`:13: outputs[4].filter: output "nowhere": bad`,
		":17: outputs[6].filter: want a string, found a list; quote it if need be",
	}
	if got := problemsOf(t, err, path); !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	// Empty filters and those that failed to decode are not checked.
	if want := []string{"tag:north-korea AND NOT tag:", "bad", "also bad", "bad at no column", "tag:sport"}; !slices.Equal(seen, want) {
		t.Errorf("checked %q, want %q", seen, want)
	}

	// Filter problems join the others, in line order.
	path = writeConfig(t, "tags:\n  Sport: {any: [tennis]}\n"+src)
	_, err = LoadFileWith(path, Options{CheckFilter: check})
	if got := problemsOf(t, err, path); len(got) != 6 || !strings.HasPrefix(got[0], ":2: tags.Sport:") || !strings.HasPrefix(got[1], `:9: outputs[1].filter: output "korea": column 25:`) {
		t.Errorf("problems: %q", got)
	}

	// Without a CheckFilter, filters are not checked.
	ok := strings.TrimSuffix(src, "  - name: broken\n    filter: [bad]\n")
	path = writeConfig(t, ok)
	if _, err := LoadFile(path); err != nil {
		t.Errorf("LoadFile: %v", err)
	}
	if _, err := LoadFileWith(path, Options{}); err != nil {
		t.Errorf("LoadFileWith without CheckFilter: %v", err)
	}
	if _, err := LoadWith(strings.NewReader(ok), "", Options{CheckFilter: check}); err == nil ||
		!strings.HasPrefix(err.Error(), `<config>:7: outputs[1].filter: output "korea": column 25: "tag:" needs`) {
		t.Errorf("LoadWith: %v", err)
	}
	c, err = LoadFileWith(path, Options{CheckFilter: func(string) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if c.Outputs[1].Filter != "tag:north-korea AND NOT tag:" {
		t.Errorf("filter = %q", c.Outputs[1].Filter)
	}
}

func TestValidateTags(t *testing.T) {
	c := Config{
		Feeds: []Feed{{URL: "https://example.com/", Tags: []string{"World", ""}}},
		Tags: map[string]TagRule{
			"ok":          {Any: []string{"a"}},
			"North Korea": {Any: []string{"Pyongyang"}, Regex: []string{"("}, Fields: []string{"body"}},
			"all":         {None: []string{"x"}},
		},
		Tagging: Tagging{Aliases: map[string]string{"soccer": "Sport", "misc": ""}},
		Outputs: []Output{{Name: "x", Filter: "not checked ("}},
	}
	want := "" +
		"<config>: feeds[0].tags[1]: empty; write a tag, or remove the item\n" +
		`<config>: tags.North Korea: "North Korea": not a tag name; write north-korea` + "\n" +
		`<config>: tags.North Korea.regex[0]: "(" is not a regular expression: missing closing ): ` + "`(`" + `; write one in Go's syntax (RE2), e.g. '\bKim Jong[ -]Un\b'` + "\n" +
		`<config>: tags.North Korea.fields[0]: "body" is not a field; use title, summary, content, categories, author, source or link` + "\n" +
		"<config>: tags.all: no any, all or regex; give at least one of them, or the rule tags every item\n" +
		`<config>: tagging.aliases.soccer: "Sport": not a tag name; write sport, or "" to drop the category`
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate() = %v\nwant %s", err, want)
	}
}

// TestExampleFilters checks the example's tags and that its filters reach
// CheckFilter.
func TestExampleFilters(t *testing.T) {
	var filters []string
	c, err := LoadFileWith("../config.example.yaml", Options{CheckFilter: func(expr string) error {
		filters = append(filters, expr)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"tag:north-korea AND NOT tag:sport", "tag:sport"}; !slices.Equal(filters, want) {
		t.Errorf("filters = %q, want %q", filters, want)
	}
	for _, tag := range []string{"north-korea", "russia", "ukraine-war", "arms", "sport"} {
		if r, ok := c.Tags[tag]; !ok || len(r.Any) == 0 || len(r.Fields) == 0 {
			t.Errorf("tags[%s] = %+v", tag, r)
		}
	}
	if !*c.Tagging.Entities || !slices.Contains(c.Feeds[0].Tags, "world") {
		t.Errorf("tagging = %+v, feeds[0].tags = %q", c.Tagging, c.Feeds[0].Tags)
	}
}
