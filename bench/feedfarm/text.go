package main

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// functionWords are the glue of the synthetic prose; a clusterer ignores
// them.
var functionWords = strings.Fields(`the the the a a an of of of to to in in
	in and and for on with by at from as that this it its was were is are be
	been has have had will would could said says after before over under
	about against between during while since more most new other many some
	two three four five several`)

// newsWords are the most common content words of the synthetic prose, the
// head of its lexicon.
var newsWords = strings.Fields(`
	government minister president council officials police court city region
	market prices energy weather election vote parliament border trade deal
	report statement spokesperson agency company workers union bank rate
	percent million billion year week month morning evening night people
	residents families schools hospital roads bridge river harbour port
	airport railway station budget plan policy law bill reform tax spending
	inquiry investigation evidence witnesses judge verdict appeal case
	football league match season club coach final championship record
	festival museum orchestra exhibition film theatre book prize award
	scientists researchers study data climate emissions coal solar wind
	water supply shortage drought harvest farmers crops exports imports
	factory jobs unemployment inflation growth economy recovery talks
	agreement ceasefire troops military defence security attack support aid
	relief emergency services fire storm flood damage repairs local national
	international regional central northern southern eastern western coastal
	rural urban public private major minor senior junior announced confirmed
	denied warned urged promised expected rejected approved delayed
	cancelled opened closed raised cut increased reduced meeting hearing
	session programme project contract tender network service system
	software platform users customers passengers tourists`)

// lexicon is the farm's language: the news words, then invented words.
// Prose draws its content words from it by Zipf's law, as real text does,
// so two unrelated articles share mostly common words, which weigh little,
// and each has rare words of its own; a story's reports share its rare
// names.
type lexicon []string

// newLexicon makes a lexicon of the news words and n invented words.
func newLexicon(r *rand.Rand, n int) lexicon {
	const consonants, vowels = "bcdfghjklmnprstvwz", "aeiou"
	lex := append(lexicon(nil), newsWords...)
	seen := make(map[string]bool, len(lex)+n)
	for _, w := range lex {
		seen[w] = true
	}
	for len(lex) < len(newsWords)+n {
		b := make([]byte, 4+r.IntN(6))
		for i := range b {
			if i%2 == 0 {
				b[i] = consonants[r.IntN(len(consonants))]
			} else {
				b[i] = vowels[r.IntN(len(vowels))]
			}
		}
		if w := string(b); !seen[w] {
			seen[w] = true
			lex = append(lex, w)
		}
	}
	return lex
}

// prose draws the words of one text.
type prose struct {
	r   *rand.Rand
	z   *rand.Zipf
	lex lexicon
}

func (l lexicon) prose(r *rand.Rand) *prose {
	return &prose{r: r, z: rand.NewZipf(r, 1.1, 10, uint64(len(l)-1)), lex: l}
}

// content is a content word.
func (p *prose) content() string { return p.lex[p.z.Uint64()] }

// word is a function word or a content word.
func (p *prose) word() string {
	if p.r.IntN(100) < 45 {
		return pick(p.r, functionWords)
	}
	return p.content()
}

// topics are the categories items carry.
var topics = strings.Fields(`world politics business economy science
	technology health environment sport culture local weather transport
	education justice energy`)

// firstNames and syllables make people and places. The places and surnames
// are invented, so a story's named terms are rare: what a clusterer should
// key on.
var firstNames = strings.Fields(`Anna Ben Clara David Elena Farid Greta Hugo
	Ines Jonas Katya Leon Maria Nikos Olga Pavel Rosa Samir Tomas Ula Vera
	Yusuf Zofia Amir Bea Carlos Dana Emil Freya Goran`)

var syllables = strings.Fields(`ka lo ver tan mi dor el sa rin bo zu fen
	gra mor vel ti an sel var ost ne ru ha lin pe dra cor mal tes vi`)

var placeEnds = strings.Fields(`ia ov an ton berg ville a o stad grad mere`)

var outletEnds = strings.Fields(`Herald Times Post Wire Courier Observer
	Gazette Tribune Chronicle Ledger Daily Journal`)

// A story's event, what it did, and how someone reacted: each a group of
// synonyms, so that outlets reporting one story word it differently.
var (
	eventWords = [][]string{
		{"floods", "flooding", "flash floods", "heavy flooding"},
		{"strike", "walkout", "industrial action", "stoppage"},
		{"earthquake", "quake", "tremor", "strong earthquake"},
		{"protests", "demonstrations", "rallies", "street protests"},
		{"wildfire", "blaze", "forest fire", "bushfire"},
		{"talks", "negotiations", "summit", "peace talks"},
		{"merger", "takeover", "buyout", "acquisition"},
		{"power cut", "blackout", "power outage", "grid failure"},
		{"train crash", "rail accident", "derailment", "train collision"},
		{"budget row", "budget dispute", "spending fight", "budget standoff"},
		{"data breach", "cyberattack", "hack", "security breach"},
		{"drought", "water shortage", "dry spell", "water crisis"},
	}
	hitWords      = []string{"hits", "strikes", "grips", "rocks", "disrupts"}
	reactionWords = [][]string{
		{"calls for calm", "urges calm", "appeals for calm"},
		{"orders inquiry", "promises investigation", "vows full inquiry"},
		{"declares emergency", "announces state of emergency", "declares state of emergency"},
		{"pledges aid", "promises support", "announces relief package"},
		{"resigns", "steps down", "quits"},
		{"warns of delays", "warns of disruption", "says delays likely"},
	}
	roles = []string{"mayor", "interior minister", "governor", "chief executive",
		"union leader", "prime minister", "regional governor", "police chief"}
	weekdays = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
)

func pick(r *rand.Rand, s []string) string { return s[r.IntN(len(s))] }

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// name is an invented word of two or three syllables, capitalised.
func name(r *rand.Rand) string {
	var b strings.Builder
	for range 2 + r.IntN(2) {
		b.WriteString(pick(r, syllables))
	}
	return capitalize(b.String())
}

func place(r *rand.Rand) string  { return name(r) + pick(r, placeEnds) }
func person(r *rand.Rand) string { return pick(r, firstNames) + " " + name(r) }

// appendSentence appends a sentence of n words.
func (p *prose) appendSentence(b []byte, n int) []byte {
	for i := range n {
		w := p.word()
		if i == 0 {
			w = capitalize(w)
		} else {
			b = append(b, ' ')
		}
		b = append(b, w...)
	}
	return append(b, '.')
}

// appendText appends sentences until b has grown by about n bytes.
func (p *prose) appendText(b []byte, n int) []byte {
	start := len(b)
	for len(b)-start < n {
		if len(b) > start {
			b = append(b, ' ')
		}
		b = p.appendSentence(b, 8+p.r.IntN(12))
	}
	return b
}

// paragraph is one paragraph of the shared bank from which article bodies
// are assembled, as HTML (for CDATA) and as escaped HTML (for Atom).
type paragraph struct {
	html, escaped []byte
}

// newBank makes n paragraphs of HTML: sentences with some emphasis, strong
// text and links, between about 150 and 1,000 bytes each. Article bodies
// are assembled from it so that serving a feed costs copies, not text
// generation.
func newBank(p *prose, n int) []paragraph {
	r := p.r
	bank := make([]paragraph, n)
	for i := range bank {
		var b []byte
		b = append(b, "<p>"...)
		for s := range 1 + r.IntN(6) {
			if s > 0 {
				b = append(b, ' ')
			}
			switch r.IntN(8) {
			case 0:
				b = append(b, "<em>"...)
				b = p.appendSentence(b, 3+r.IntN(5))
				b = append(b, "</em>"...)
			case 1:
				b = append(b, "<strong>"...)
				b = p.appendSentence(b, 2+r.IntN(4))
				b = append(b, "</strong>"...)
			case 2:
				b = append(b, `<a href="https://`...)
				b = append(b, strings.ToLower(name(r))...)
				b = append(b, ".example/"...)
				b = append(b, pick(r, topics)...)
				b = append(b, '/')
				b = strconv.AppendInt(b, int64(r.IntN(100000)), 10)
				b = append(b, `">`...)
				b = p.appendSentence(b, 3+r.IntN(4))
				b = append(b, "</a>"...)
			default:
				b = p.appendSentence(b, 8+r.IntN(14))
			}
		}
		b = append(b, "</p>\n"...)
		bank[i] = paragraph{html: b, escaped: appendEscaped(nil, b)}
	}
	return bank
}

// appendEscaped appends s with &, <, > and " escaped, for XML text and
// attribute values.
func appendEscaped[T string | []byte](b []byte, s T) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&#34;"
		default:
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		last = i + 1
	}
	return append(b, s[last:]...)
}
