package fetch

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestParseHints: what a feed says about polling it.
func TestParseHints(t *testing.T) {
	const syNS = `xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"`
	rss := func(attrs, channel string) string {
		return `<?xml version="1.0"?><rss version="2.0" ` + attrs + `><channel><title>T</title>` + channel +
			`<item><title>i</title><link>https://x.example/1</link></item></channel></rss>`
	}
	rdf := func(channel string) string {
		return `<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" ` + syNS + `>
 <channel rdf:about="https://rdf.example/">
  <title>RDF</title><link>https://rdf.example/</link><description>d</description>` + channel + `
  <items><rdf:Seq><rdf:li rdf:resource="https://rdf.example/1"/></rdf:Seq></items>
 </channel>
 <item rdf:about="https://rdf.example/1"><title>One</title><link>https://rdf.example/1</link></item>
</rdf:RDF>`
	}
	tests := []struct {
		name      string
		doc       string
		ttl       time.Duration
		skipHours []int
		skipDays  []time.Weekday
	}{
		{name: "none", doc: rss("", "")},
		{name: "ttl", doc: rss("", "<ttl>90</ttl>"), ttl: 90 * time.Minute},
		{name: "ttl with spaces", doc: rss("", "<ttl> 60 </ttl>"), ttl: time.Hour},
		{name: "bad ttl", doc: rss("", "<ttl>an hour</ttl>")},
		{name: "negative ttl", doc: rss("", "<ttl>-5</ttl>")},
		{name: "huge ttl", doc: rss("", "<ttl>99999999999999999</ttl>"), ttl: time.Duration(maxMinutes) * time.Minute},
		{name: "rdf: hourly twice", doc: rdf("<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>"), ttl: 30 * time.Minute},
		{name: "rdf: period alone", doc: rdf("<sy:updatePeriod> Weekly </sy:updatePeriod>"), ttl: 7 * 24 * time.Hour},
		{name: "rdf: frequency alone is per day", doc: rdf("<sy:updateFrequency>4</sy:updateFrequency>"), ttl: 6 * time.Hour},
		{name: "rdf: bad frequency is 1", doc: rdf("<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>0</sy:updateFrequency>"), ttl: 24 * time.Hour},
		{name: "rdf: unknown period", doc: rdf("<sy:updatePeriod>fortnightly</sy:updatePeriod>")},
		{name: "rdf: monthly, yearly", doc: rdf("<sy:updatePeriod>yearly</sy:updatePeriod><sy:updateFrequency>12</sy:updateFrequency>"), ttl: 365 * 24 * time.Hour / 12},
		{name: "rss 2.0: sy larger than ttl", doc: rss(syNS, "<ttl>60</ttl><sy:updatePeriod>daily</sy:updatePeriod>"), ttl: 24 * time.Hour},
		{name: "rss 2.0: ttl larger than sy", doc: rss(syNS, "<ttl>1500</ttl><sy:updatePeriod>hourly</sy:updatePeriod>"), ttl: 1500 * time.Minute},
		{
			name: "rss 2.0: another prefix for sy",
			doc:  rss(`xmlns:syn="http://purl.org/rss/1.0/modules/syndication/"`, "<syn:updatePeriod>hourly</syn:updatePeriod>"),
			ttl:  time.Hour,
		},
		{
			name: "atom with sy",
			doc: `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" ` + syNS + `><title>A</title><id>urn:a</id>
<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>1</sy:updateFrequency>
<entry><title>E</title><id>urn:e</id><updated>2024-03-15T00:00:00Z</updated></entry></feed>`,
			ttl: time.Hour,
		},
		{
			name:      "skipHours",
			doc:       rss("", "<skipHours><hour>24</hour><hour>3</hour><hour> 7 </hour><hour>3</hour><hour>25</hour><hour>-1</hour><hour>x</hour><hour>23</hour></skipHours>"),
			skipHours: []int{0, 3, 7, 23},
		},
		{
			name:     "skipDays",
			doc:      rss("", "<skipDays><day>Saturday</day><day> sunday </day><day>Funday</day><day>SATURDAY</day><day>Monday</day></skipDays>"),
			skipDays: []time.Weekday{time.Sunday, time.Monday, time.Saturday},
		},
		{name: "empty skip lists", doc: rss("", "<skipHours></skipHours><skipDays><day>Someday</day></skipDays>")},
		{name: "json feed", doc: `{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","title":"E"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Parse(strings.NewReader(tt.doc), "https://feeds.example/f")
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Items) != 1 {
				t.Errorf("got %d items, want 1", len(res.Items))
			}
			if res.TTL != tt.ttl {
				t.Errorf("TTL = %v, want %v", res.TTL, tt.ttl)
			}
			if !reflect.DeepEqual(res.SkipHours, tt.skipHours) {
				t.Errorf("SkipHours = %v, want %v", res.SkipHours, tt.skipHours)
			}
			if !reflect.DeepEqual(res.SkipDays, tt.skipDays) {
				t.Errorf("SkipDays = %v, want %v", res.SkipDays, tt.skipDays)
			}
		})
	}
}
