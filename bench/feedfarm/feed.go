package main

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Streams of randomness: each use draws from its own generator, so that
// changing one setting does not reshuffle everything else.
const (
	streamBad uint64 = iota + 1
	streamMode
	streamSlow
	streamFeed
	streamItem
	streamDate
	streamTrack
	streamStory
	streamAdvance
	streamBank
	streamLexicon
)

// Feed cadence when -period is 0: each feed publishes every 1 to 12 hours
// (log-uniform), so 50 items span 2 to 25 days and a 72-hour window holds
// a fraction of them.
const (
	minInterval = time.Hour
	maxInterval = 12 * time.Hour
	// storyBucket is the time slice whose re-reports share a pool of
	// stories when -period is 0.
	storyBucket = 6 * time.Hour
	// reportsPerStory is how many re-reports a story gets on average.
	reportsPerStory = 4
)

// rng is a generator for the seed and parts, the same on every call.
func (f *farm) rng(parts ...uint64) *rand.Rand {
	h := mix(f.seed)
	for _, p := range parts {
		h = mix(h ^ p)
	}
	return rand.New(rand.NewPCG(h, mix(h^0x9e3779b97f4a7c15)))
}

// mix is the splitmix64 finaliser.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// isBad says whether feed n misbehaves; the set of bad feeds is fixed.
func (f *farm) isBad(n int) bool { return f.rng(streamBad, uint64(n)).Float64() < f.bad }

// isAtom says whether feed n is served as Atom rather than RSS.
func (f *farm) isAtom(n int) bool {
	return f.format == "atom" || f.format == "mix" && n%2 == 1
}

// epoch is the current period number, 0 when -period is 0.
func (f *farm) epoch() int64 {
	if f.period <= 0 {
		return 0
	}
	return time.Now().Unix() / int64(max(f.period/time.Second, 1))
}

// head is the sequence number of feed n's newest item. The feed holds items
// head-items+1 … head. It moves with time when -period is set, and with
// each /_advance that picks the feed.
func (f *farm) head(n int) int64 {
	base := int64(f.items)
	if f.period > 0 {
		base = f.epoch()
	}
	return base + f.growth[n].Load()
}

// profile is what stays the same for all of a feed's items.
type profile struct {
	host, outlet string
	authors      []string
	interval     time.Duration // between items, when -period is 0
	phase        time.Duration // age of the newest of the first items
}

func (f *farm) profile(n int) profile {
	r := f.rng(streamFeed, uint64(n))
	p := profile{
		host:   "news" + strconv.Itoa(n) + ".example",
		outlet: "The " + place(r) + " " + pick(r, outletEnds),
	}
	for range 3 + r.IntN(4) {
		p.authors = append(p.authors, person(r))
	}
	ratio := float64(maxInterval) / float64(minInterval)
	p.interval = time.Duration(float64(minInterval) * math.Pow(ratio, r.Float64()))
	p.phase = time.Duration(r.Int64N(int64(p.interval)))
	return p
}

// published is the date of item k of feed n. With -period set, item k
// appears at k periods after 1970, as it always has. Otherwise the first
// -items items reach back from -ref at the feed's cadence, and items added
// by /_advance follow -ref a minute apart.
func (f *farm) published(n int, k int64, p profile) time.Time {
	if f.period > 0 {
		return time.Unix(k*int64(max(f.period/time.Second, 1)), 0).UTC()
	}
	if k > int64(f.items) {
		return f.ref.Add(time.Duration(k-int64(f.items)) * time.Minute)
	}
	jitter := time.Duration(f.rng(streamDate, uint64(n), uint64(k)).Int64N(int64(p.interval / 2)))
	t := f.ref.Add(-p.phase - time.Duration(int64(f.items)-k)*p.interval - jitter)
	return t.Truncate(time.Second)
}

// storySlots is how many stories the re-reports of one time slice share.
func (f *farm) storySlots() int {
	var expected float64
	if f.period > 0 {
		expected = float64(f.feeds) * f.dups // every feed publishes once a period
	} else {
		mean := float64(maxInterval-minInterval) / math.Log(float64(maxInterval)/float64(minInterval))
		expected = float64(f.feeds) * f.dups * float64(storyBucket) / mean
	}
	return max(1, int(math.Round(expected/reportsPerStory)))
}

func (f *farm) bucketLen() time.Duration {
	if f.period > 0 {
		return max(f.period, time.Second)
	}
	return storyBucket
}

// story is a news event that several feeds report, each in its own words
// around the same rare names.
type story struct {
	place, person, role string
	event, reaction     int
	affected            int
	day                 string
	fact                []byte
}

func (f *farm) story(bucket int64, slot int) story {
	r := f.rng(streamStory, uint64(bucket), uint64(slot))
	p := f.lexicon.prose(r)
	s := story{
		place:    place(r),
		person:   person(r),
		role:     pick(r, roles),
		event:    r.IntN(len(eventWords)),
		reaction: r.IntN(len(reactionWords)),
		affected: 10 + r.IntN(990),
		day:      pick(r, weekdays),
	}
	s.fact = p.appendSentence(nil, 10+r.IntN(8))
	return s
}

// article is one item as a feed serves it.
type article struct {
	seq                 int64 // k: the item's number in its feed
	title, link, author string
	categories          []string
	published           time.Time
	summary             []byte // plain text
	lead, tail          []byte // HTML before and after the bank paragraphs
	figure              []byte // HTML
	paras               []int  // indices into the bank
}

// item is item k of feed n: usually its own article; a share -tracking of
// items are another feed's article under its link with tracking parameters
// added; a share -dups report a story that other feeds report too.
func (f *farm) item(n int, k int64, p profile) article {
	r := f.rng(streamTrack, uint64(n), uint64(k))
	if f.feeds > 1 && r.Float64() < f.tracking {
		src := (n + 1 + r.IntN(f.feeds-1)) % f.feeds
		a := f.article(src, k, f.profile(src))
		a.link += trackingQuery(r, n)
		a.seq = k
		a.published = f.published(n, k, p)
		return a
	}
	return f.article(n, k, p)
}

func trackingQuery(r *rand.Rand, n int) string {
	switch r.IntN(3) {
	case 0:
		return "?utm_source=rss&utm_medium=rss&utm_campaign=news" + strconv.Itoa(n)
	case 1:
		return "?utm_source=news" + strconv.Itoa(n) + "&utm_medium=rss"
	default:
		const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		b := []byte("?fbclid=IwAR")
		for range 24 {
			b = append(b, alnum[r.IntN(len(alnum))])
		}
		return string(b)
	}
}

// article is feed n's own item k.
func (f *farm) article(n int, k int64, p profile) article {
	r := f.rng(streamItem, uint64(n), uint64(k))
	text := f.lexicon.prose(r)
	a := article{
		seq:       k,
		author:    pick(r, p.authors),
		published: f.published(n, k, p),
	}
	for range 1 + r.IntN(2) {
		a.categories = append(a.categories, pick(r, topics))
	}
	var where string
	if r.Float64() < f.dups {
		bucket := a.published.Unix() / int64(f.bucketLen()/time.Second)
		s := f.story(bucket, r.IntN(f.storySlots()))
		a.title, a.summary = s.report(text)
		where = s.place
	} else {
		where = place(r)
		var t []byte
		for i := range 4 + r.IntN(5) {
			w := text.content()
			if i == 0 {
				w = capitalize(w)
			} else {
				t = append(t, ' ')
			}
			t = append(t, w...)
		}
		a.title = string(t) + " in " + where
		a.summary = append([]byte(where+" — "), text.appendText(nil, 260)...)
	}
	a.link = "https://" + p.host + a.published.Format("/2006/01/02/") + slug(a.title) + "-" + strconv.FormatInt(k, 10)

	// The body: a lead paragraph of its own, a picture, paragraphs from the
	// bank up to about -size bytes, and a closing link.
	lead := []byte("<p>In <strong>")
	lead = append(lead, where...)
	lead = append(lead, "</strong>, "...)
	lead = text.appendText(lead, min(max(f.size/3, 60), 300))
	lead = append(lead, ` <a href="https://`...)
	lead = append(lead, strings.ToLower(name(r))...)
	lead = append(lead, `.example/">`...)
	lead = append(lead, pick(r, roles)...)
	lead = append(lead, " statement</a>.</p>\n"...)
	a.lead = lead
	fig := []byte(`<figure><img src="https://`)
	fig = append(fig, p.host...)
	fig = append(fig, "/img/"...)
	fig = strconv.AppendInt(fig, k, 10)
	fig = append(fig, '-')
	fig = strconv.AppendUint(fig, r.Uint64()>>40, 16)
	fig = append(fig, `.jpg" alt="`...)
	fig = append(fig, where...)
	fig = append(fig, `" width="800" height="450"><figcaption>`...)
	fig = text.appendSentence(fig, 5+r.IntN(5))
	fig = append(fig, "</figcaption></figure>\n"...)
	a.figure = fig
	tail := []byte(`<p>Read more at <a href="`)
	tail = append(tail, a.link...)
	tail = append(tail, `">`...)
	tail = append(tail, p.outlet...)
	tail = append(tail, "</a>.</p>\n"...)
	a.tail = tail
	total := len(a.lead) + len(a.figure) + len(a.tail)
	for total < f.size {
		i := r.IntN(len(f.bank))
		l := len(f.bank[i].html)
		if total+l/2 > f.size {
			break
		}
		a.paras = append(a.paras, i)
		total += l
	}
	return a
}

// report is how one outlet words story s: a title and a summary.
func (s story) report(text *prose) (title string, summary []byte) {
	r := text.r
	event := pick(r, eventWords[s.event])
	hit := pick(r, hitWords)
	reaction := pick(r, reactionWords[s.reaction])
	switch r.IntN(6) {
	case 0:
		title = capitalize(event) + " " + hit + " " + s.place + " as " + s.person + " " + reaction
	case 1:
		title = s.person + " " + reaction + " after " + event + " in " + s.place
	case 2:
		title = s.place + " " + event + ": " + s.person + " " + reaction
	case 3:
		title = s.place + ": " + s.role + " " + s.person + " " + reaction + " over " + event
	case 4:
		title = capitalize(event) + " in " + s.place + " – " + s.person + " " + reaction
	default:
		title = s.person + ": what we know about the " + s.place + " " + event
	}
	affected := strconv.Itoa(s.affected)
	var b string
	switch r.IntN(3) {
	case 0:
		b = s.person + ", the " + s.role + ", " + reaction + " on " + s.day + " after " + event + " " + hit + " " + s.place + ". " + affected + " people were affected, officials said."
	case 1:
		b = capitalize(event) + " " + hit + " " + s.place + " on " + s.day + "; " + s.role + " " + s.person + " " + reaction + ". Officials put the number affected at " + affected + "."
	default:
		b = "In " + s.place + ", " + s.person + " " + reaction + " as " + event + " left " + affected + " people affected, the " + s.role + "'s office said on " + s.day + "."
	}
	summary = []byte(b)
	if r.Float64() < 0.6 {
		summary = append(append(summary, ' '), s.fact...)
	}
	if len(summary) < 280 {
		summary = append(summary, ' ')
		summary = text.appendText(summary, 280-len(summary))
	}
	return title, summary
}

// slug is the title in lower case, words joined by hyphens, at most six.
func slug(title string) string {
	var b strings.Builder
	words := 0
	for w := range strings.FieldsFuncSeq(strings.ToLower(title), func(c rune) bool {
		return c < 'a' || c > 'z'
	}) {
		if words == 6 {
			break
		}
		if words > 0 {
			b.WriteByte('-')
		}
		b.WriteString(w)
		words++
	}
	return b.String()
}
