package tag

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"aggregator"
)

// version changes when the tagger's own behaviour changes, so that stored
// articles are tagged again.
const version = "3"

// fingerprint is everything that decides an article's tags. Its JSON is what
// Fingerprint returns. The field names and types are those of the config's
// tags: and tagging: sections, and must stay so: a store keeps the
// fingerprint of its last tagging, and one that reads differently for the
// same rules would make every store tag its articles again.
type fingerprint struct {
	Version  string
	Tags     map[string]ruleFingerprint
	Tagging  taggingFingerprint
	FeedTags map[string][]string // of the feeds that have tags, by URL
}

// ruleFingerprint is a RuleSpec without its name, which is its key.
type ruleFingerprint struct {
	Label                         string
	Any, All, None, Regex, Fields []string
}

// taggingFingerprint is the config's tagging: section. Entities is a pointer
// so that an old fingerprint without it reads as unset, not as false.
type taggingFingerprint struct {
	Entities *bool
	Aliases  map[string]string
}

// Fingerprint names everything that decides an article's tags: the tagger's
// own version, the options o, and feedTags, the tags each feed gives its
// items, by feed URL. It changes only when one of those does, so that a
// store tags its articles again only then: a feed without tags, added or
// removed, changes no article's tags and leaves it as it was.
func Fingerprint(o Options, feedTags map[string][]string) string {
	entities := o.Entities
	fp := fingerprint{Version: version, Tagging: taggingFingerprint{Entities: &entities, Aliases: o.Aliases},
		FeedTags: map[string][]string{}}
	for _, r := range o.Rules {
		if fp.Tags == nil {
			fp.Tags = map[string]ruleFingerprint{}
		}
		fp.Tags[r.Name] = ruleFingerprint{Label: r.Label, Any: r.Any, All: r.All, None: r.None, Regex: r.Regex, Fields: r.Fields}
	}
	for url, tags := range feedTags {
		if len(tags) > 0 {
			fp.FeedTags[url] = tags
		}
	}
	data, _ := json.Marshal(fp)
	return string(data)
}

// Changes says what changed from the fingerprint old to now, in the words of
// the config that the operator edits (tags.NAME, tagging.entities, the tags
// of a feed), so that a log can say why articles are tagged again. It is nil
// when either is not a fingerprint it can read.
func Changes(old, now string) []string {
	var was, is fingerprint
	if json.Unmarshal([]byte(old), &was) != nil || json.Unmarshal([]byte(now), &is) != nil {
		return nil
	}
	var out []string
	if was.Version != is.Version {
		out = append(out, "the built-in tagger was updated")
	}
	out = append(out, keyedChanges("tags.%s", was.Tags, is.Tags)...)
	if !sameJSON(was.Tagging.Entities, is.Tagging.Entities) {
		out = append(out, "tagging.entities changed")
	}
	if !sameJSON(was.Tagging.Aliases, is.Tagging.Aliases) {
		out = append(out, "tagging.aliases changed")
	}
	out = append(out, keyedChanges("the tags of feed %s", publicURLs(was.FeedTags), publicURLs(is.FeedTags))...)
	return out
}

// keyedChanges says which keys of was and is were added, changed or
// removed, each as the format what with the key.
func keyedChanges[V any](what string, was, is map[string]V) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(is)) {
		if v, ok := was[k]; !ok {
			out = append(out, fmt.Sprintf(what+" added", k))
		} else if !sameJSON(v, is[k]) {
			out = append(out, fmt.Sprintf(what+" changed", k))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(was)) {
		if _, ok := is[k]; !ok {
			out = append(out, fmt.Sprintf(what+" removed", k))
		}
	}
	return out
}

// sameJSON reports whether a and b have the same JSON, which is how a
// fingerprint compares them.
func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// publicURLs keys m by feed URLs as aggregator.PublicURL shows them, which
// hides the secrets some feed URLs carry.
func publicURLs(m map[string][]string) map[string][]string {
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[aggregator.PublicURL(k)] = v
	}
	return out
}
