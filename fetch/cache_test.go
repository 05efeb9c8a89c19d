package fetch

import (
	"net/http"
	"testing"
	"time"
)

func TestFreshness(t *testing.T) {
	httpDate := func(d time.Duration) string { return t0.Add(d).Format(http.TimeFormat) }
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"none", http.Header{}, 0},
		{"max-age", http.Header{"Cache-Control": {"max-age=900"}}, 15 * time.Minute},
		{"several directives", http.Header{"Cache-Control": {"public, max-age=600, must-revalidate"}}, 10 * time.Minute},
		{"case-insensitive", http.Header{"Cache-Control": {"Public, MAX-AGE=60"}}, time.Minute},
		{"spaces", http.Header{"Cache-Control": {" max-age = 60 "}}, time.Minute},
		{"quoted value", http.Header{"Cache-Control": {`max-age="120"`}}, 2 * time.Minute},
		{"comma inside quotes", http.Header{"Cache-Control": {`private="set-cookie, max-age=5", max-age=180`}}, 3 * time.Minute},
		{"escaped quote inside quotes", http.Header{"Cache-Control": {`no-transform, community="a\"b, c", max-age=30`}}, 30 * time.Second},
		{"several fields", http.Header{"Cache-Control": {"public", "max-age=45"}}, 45 * time.Second},
		{"the first max-age counts", http.Header{"Cache-Control": {"max-age=60, max-age=6000"}}, time.Minute},
		{"no-cache", http.Header{"Cache-Control": {"no-cache"}}, 0},
		{"no-cache beats max-age", http.Header{"Cache-Control": {"max-age=600, no-cache"}}, 0},
		{"no-cache with a field list", http.Header{"Cache-Control": {`no-cache="set-cookie", max-age=600`}}, 0},
		{"no-store in another field", http.Header{"Cache-Control": {"max-age=600", "no-store"}, "Expires": {httpDate(time.Hour)}}, 0},
		{"max-age=0", http.Header{"Cache-Control": {"max-age=0"}, "Expires": {httpDate(time.Hour)}}, 0},
		{"bad max-age", http.Header{"Cache-Control": {"max-age=soon"}, "Expires": {httpDate(time.Hour)}}, 0},
		{"negative max-age", http.Header{"Cache-Control": {"max-age=-60"}}, 0},
		{"empty max-age", http.Header{"Cache-Control": {"max-age="}}, 0},
		{"huge max-age", http.Header{"Cache-Control": {"max-age=99999999999999999999"}}, maxDeltaSeconds * time.Second},
		{"s-maxage is for shared caches", http.Header{"Cache-Control": {"s-maxage=600"}}, 0},
		{"max-age beats Expires", http.Header{"Cache-Control": {"max-age=60"}, "Expires": {httpDate(time.Hour)}}, time.Minute},
		{"Expires with Date", http.Header{"Date": {httpDate(-time.Hour)}, "Expires": {httpDate(time.Hour)}}, 2 * time.Hour},
		{"Expires without Date: now", http.Header{"Expires": {httpDate(time.Hour)}}, time.Hour},
		{"Expires with a bad Date: now", http.Header{"Date": {"yesterday"}, "Expires": {httpDate(time.Hour)}}, time.Hour},
		{"Expires when Cache-Control decides nothing", http.Header{"Cache-Control": {"public"}, "Expires": {httpDate(time.Hour)}}, time.Hour},
		{"Expires in the past", http.Header{"Date": {httpDate(0)}, "Expires": {httpDate(-time.Hour)}}, 0},
		{"Expires: 0", http.Header{"Expires": {"0"}}, 0},
		{"Expires in RFC 850 form", http.Header{"Expires": {t0.Add(time.Hour).Format(time.RFC850)}}, time.Hour},
		{"Age counts", http.Header{"Cache-Control": {"max-age=600"}, "Age": {"100"}}, 500 * time.Second},
		{"Age beyond the lifetime", http.Header{"Cache-Control": {"max-age=600"}, "Age": {"900"}}, 0},
		{"bad Age ignored", http.Header{"Cache-Control": {"max-age=600"}, "Age": {"old"}}, 10 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := freshness(tt.header, t0); got != tt.want {
				t.Errorf("freshness = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDirectives(t *testing.T) {
	type kv struct{ name, value string }
	tests := []struct {
		in   string
		want []kv
	}{
		{"", nil},
		{"no-cache", []kv{{"no-cache", ""}}},
		{`Max-Age=60 , private="a, \"b\"" ,, no-store`, []kv{{"max-age", "60"}, {"private", `a, "b"`}, {"no-store", ""}}},
		{`x="unterminated, max-age=5`, []kv{{"x", "unterminated, max-age=5"}}},
		{`a="q"junk, b`, []kv{{"a", "q"}, {"b", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got []kv
			for n, v := range directives(tt.in) {
				got = append(got, kv{n, v})
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("got %q, want %q", got, tt.want)
				}
			}
		})
	}
}
