package tag

import (
	"slices"
	"testing"
)

// A fingerprint reads as stores already keep it: the same rules must give
// the same string, or every store would tag its articles again.
func TestFingerprintKept(t *testing.T) {
	o := Options{Entities: true, Rules: []RuleSpec{
		{Name: "russia", Any: []string{"Russia", "Kremlin"}, Fields: []string{"title", "summary", "content", "categories"}},
		{Name: "arms", Label: "Arms", Any: []string{"missiles"}, None: []string{"arms race"}, Fields: []string{"title"}},
	}}
	feedTags := map[string][]string{"https://desk.example/korea.atom": {"korea"}, "https://wire.example/world.rss": nil}
	want := `{"Version":"3","Tags":{"arms":{"Label":"Arms","Any":["missiles"],"All":null,"None":["arms race"],"Regex":null,"Fields":["title"]},` +
		`"russia":{"Label":"","Any":["Russia","Kremlin"],"All":null,"None":null,"Regex":null,"Fields":["title","summary","content","categories"]}},` +
		`"Tagging":{"Entities":true,"Aliases":null},"FeedTags":{"https://desk.example/korea.atom":["korea"]}}`
	if got := Fingerprint(o, feedTags); got != want {
		t.Errorf("Fingerprint =\n%s\nwant\n%s", got, want)
	}
	if got, want := Fingerprint(Options{}, nil), `{"Version":"3","Tags":null,"Tagging":{"Entities":false,"Aliases":null},"FeedTags":{}}`; got != want {
		t.Errorf("Fingerprint of nothing = %s, want %s", got, want)
	}
}

func TestChanges(t *testing.T) {
	russia := RuleSpec{Name: "russia", Any: []string{"Russia"}}
	base := Options{Entities: true, Rules: []RuleSpec{russia}}
	feeds := map[string][]string{"https://desk.example/korea.atom?token=s3cret": {"korea"}}
	was := Fingerprint(base, feeds)
	tests := []struct {
		name  string
		o     Options
		feeds map[string][]string
		want  []string
	}{
		{"nothing", base, feeds, nil},
		{"a feed without tags added", base, map[string][]string{"https://desk.example/korea.atom?token=s3cret": {"korea"}, "https://b.example/": nil}, nil},
		{"rules", Options{Entities: true, Rules: []RuleSpec{{Name: "arms", Any: []string{"missiles"}}, {Name: "russia", Any: []string{"Russia", "Kremlin"}}}},
			feeds, []string{"tags.arms added", "tags.russia changed"}},
		{"a rule removed", Options{Entities: true}, feeds, []string{"tags.russia removed"}},
		{"tagging", Options{Entities: false, Aliases: map[string]string{"uk": "united-kingdom"}, Rules: []RuleSpec{russia}},
			feeds, []string{"tagging.entities changed", "tagging.aliases changed"}},
		{"feed tags, secrets hidden", base, map[string][]string{"https://desk.example/korea.atom?token=s3cret": {"asia"}},
			[]string{"the tags of feed https://desk.example/korea.atom?token=redacted changed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Changes(was, Fingerprint(tt.o, tt.feeds)); !slices.Equal(got, tt.want) {
				t.Errorf("Changes = %q, want %q", got, tt.want)
			}
		})
	}
	if got := Changes(`{"Version":"2"}`, was); !slices.Contains(got, "the built-in tagger was updated") {
		t.Errorf("Changes from version 2 = %q, want the tagger updated", got)
	}
	if got := Changes("not a fingerprint", was); got != nil {
		t.Errorf("Changes from junk = %q, want nil", got)
	}
}
