package tag

import (
	"strings"
	"unicode"
)

// Entity tags: names of people, places and organisations found in an item's
// title, summary and content without any rule. Precision comes before
// recall: a wrong tag is worse than a missing one.
//
//   - Countries come from the gazetteer (gazetteer.go): names, adjectives and
//     demonyms, capitals; the longest match wins ("North Korean" before
//     "Korea"). They are tagged with the country's slug and label.
//   - Other names are runs of 2–4 capitalised words in running text
//     ("Kim Jong-un", "Vladimir Putin", "Ursula von der Leyen"), with
//     hyphenated parts and lower-case particles (bin, al, de, van, von, ...)
//     inside a run. Honorifics and titles before a name are cut off
//     ("President Vladimir Putin", "Foreign Minister Sergei Lavrov"), as are
//     countries and their adjectives at either end ("Russian President
//     Vladimir Putin"). Roles at the end are cut off too ("Apple CEO"), and
//     numbers and epithets at the start ("Two House Republicans", "New
//     Camera"). Words in the stop lists (days, months, function words,
//     contractions, news boilerplate) end a run; a word joined by a hyphen
//     that makes an adjective ends it before the hyphen ("New York-based").
//     A run at the start of a sentence or a block loses a leading
//     connective ("Meanwhile Vladimir Putin"); one whose first word is a
//     common English word ("Show HN:", "Comments URL:", "New AI offers") or
//     is written in lower case elsewhere in the item is dropped there, as
//     its capital may be only grammatical — unless a gazetteer name starts
//     there ("New York City officials").
//   - A run that ends where the text was cut short, before an ellipsis or
//     at the end of an HTML summary cut at a length ("at New Yor"), is not
//     a name.
//   - Where the summary or content repeats the title ("The post <title>
//     appeared first on ..."), its names are not taken again; nor is the
//     outlet's own name (Input.Source).
//   - Single words are never tagged unless they are gazetteer entries. Short
//     references (a surname alone, "Mr Putin") therefore add nothing: they
//     are covered by the full name when it appears in the item. A name that
//     is the start or the end of a longer name in the item ("Jong Un", "Kim
//     Jong") is merged into the longer one.
//   - Text in Title Case or ALL CAPS (most words capitalised) carries no
//     capitalisation signal: only gazetteer entries are taken from it. (A
//     full name in such a title yields no tag unless the summary or content
//     names it too — and then the tag comes from there.)
//   - A one-word gazetteer name that is the first or last word of a name
//     found in the item ("Jordan" with "Michael Jordan", "Holland" with "Tom
//     Holland") is not taken as the country.
//   - The same words spelled differently in hyphens, case or accents give
//     the same tag ("Kim Jong Un", "Kim Jong-un"); the label is the first
//     spelling seen (title, then summary, then content). Well-known
//     transliterations of a name give the tag and label of its usual
//     spelling ("Volodymyr Zelenskiy", variants.go).

// maxEntityNames caps the name tags of one item (the first found, in the
// order title, summary, content); maxNameCands caps the runs examined.
const (
	maxEntityNames = 40
	maxNameCands   = 2000
)

type entityScratch struct {
	norms     []string        // the norms of names
	parts     map[string]bool // the starts and ends of names
	seen      map[string]bool
	country   []uint8 // per country of the gazetteer: strong, added
	run       []int
	lowerSeen wordTable // the words lowerSeen may be asked about, and whether seen in lower case
	lowerDone bool
	covered   []bool
	names     []nameCand
	out       []nameCand
	hits      []countryHit
}

func (s *entityScratch) reset() {
	clear(s.norms)
	s.norms = s.norms[:0]
	clear(s.parts)
	clear(s.seen)
	s.lowerSeen.reset()
	s.lowerDone = false
	clear(s.names)
	s.names = s.names[:0]
	clear(s.out)
	s.out = s.out[:0]
	s.hits = s.hits[:0]
}

type nameCand struct {
	norms   []string
	key     string
	label   string
	variant bool // the first word may start a variant spelling (nameAliases)
}

type countryHit struct {
	country int
	weak    bool
	single  string // the word, for a one-word name or place; "" otherwise
}

// entityTags adds the entity tags of an item.
func entityTags(x *itemText, add func(Tag)) {
	s := &x.ent
	for _, f := range [...]int{fieldTitle, fieldSummary, fieldContent} {
		toks := x.tokens(f)
		raw := "" // the text that may be cut short (cutShort): not a title
		switch f {
		case fieldSummary:
			raw = x.in.Item.Summary
		case fieldContent:
			raw = x.in.Item.Content
		}
		for a := 0; a < len(toks); {
			b := a + 1
			for b < len(toks) && toks[b].flags&tPara == 0 {
				b++
			}
			seg := toks[a:b]
			tc, allCaps := caseStyle(seg)
			if cap(s.covered) < len(seg) {
				s.covered = make([]bool, len(seg)+64)
			}
			covered := s.covered[:len(seg)]
			clear(covered)
			s.scanGazetteer(seg, covered, allCaps)
			if !tc {
				if f == fieldTitle {
					s.findNames(x, seg, covered, "")
				} else {
					s.findNamesBesideTitle(x, seg, covered, raw)
				}
			}
			a = b
		}
	}

	// Merge a name into a longer one it starts or ends; keep the first
	// spelling of each. (The words of a name's start or end are a prefix
	// or a suffix of its key.)
	if s.parts == nil {
		s.parts, s.seen = map[string]bool{}, map[string]bool{}
	}
	parts, seen := s.parts, s.seen
	for _, n := range s.names {
		p := 0
		for k := 1; k < len(n.norms); k++ {
			p += len(n.norms[k-1])
			parts[n.key[:p]] = true   // strings.Join(n.norms[:k], " ")
			parts[n.key[p+1:]] = true // strings.Join(n.norms[k:], " ")
			p++
		}
	}
	out := s.out[:0]
	for _, n := range s.names {
		if parts[n.key] || seen[n.key] {
			continue
		}
		seen[n.key] = true
		out = append(out, n)
	}
	s.out = out
	tagged := 0
	for _, n := range out {
		if tagged == maxEntityNames {
			break
		}
		if len(n.label) == len(x.in.Source) && strings.EqualFold(n.label, x.in.Source) {
			continue // the outlet's own name ("... appeared first on Security Affairs.")
		}
		if n.variant {
			if a, ok := nameAliases[n.key]; ok {
				add(Tag{Slug: a.slug, Label: a.label, Kind: Entity})
				tagged++
				continue
			}
		}
		slug := Slug(n.label)
		if slug == "" || !hyphenated(slug, n.key) {
			continue // letters of other scripts: no faithful slug
		}
		add(Tag{Slug: slug, Label: n.label, Kind: Entity})
		tagged++
	}

	// Countries, each once (Tags keeps one tag of a slug), in the order
	// named.
	const strong, added = 1, 2
	if s.country == nil {
		s.country = make([]uint8, len(gazCountries))
	}
	for _, h := range s.hits {
		if !h.weak && s.country[h.country] == 0 && !partOfName(h.single, out) {
			s.country[h.country] = strong
		}
	}
	for _, h := range s.hits {
		if s.country[h.country] == strong {
			s.country[h.country] = added
			c := gazCountries[h.country]
			add(Tag{Slug: c.slug, Label: c.label, Kind: Entity})
		}
	}
	clear(s.country)
}

// hyphenated reports whether slug == strings.ReplaceAll(key, " ", "-").
func hyphenated(slug, key string) bool {
	if len(slug) != len(key) {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == ' ' {
			c = '-'
		}
		if slug[i] != c {
			return false
		}
	}
	return true
}

func partOfName(w string, names []nameCand) bool {
	if w == "" {
		return false
	}
	for _, n := range names {
		if n.norms[0] == w || n.norms[len(n.norms)-1] == w {
			return true
		}
	}
	return false
}

// caseStyle reports whether a block of text is in Title Case or ALL CAPS
// (tc), where capitals say nothing about names, and whether it is in ALL
// CAPS. Words with letters only, not joined by a hyphen, not stop words
// and not written with a capital inside only ("iPhone", "eBay": written so
// in any case style) count (content): tc if fewer than one in eight is
// lower case, allCaps if all are in capitals.
func caseStyle(seg []token) (tc, allCaps bool) {
	// The capitalised words first: their lexicon bits are at hand.
	caps, capsUpper := 0, 0 // content words with a capital; those in capitals
	others := false
	for i := range seg {
		t := &seg[i]
		if t.flags&tLetters == 0 || t.flags&tHyph != 0 {
			continue
		}
		if t.flags&tCap == 0 {
			others = true
			continue
		}
		if t.lexBits()&lexStop != 0 {
			continue
		}
		caps++
		if t.flags&tUpper != 0 || len(t.norm) == 1 {
			capsUpper++
		}
	}
	// Then the other words, looked up only until the answer is known: no
	// Title Case once lower*7 >= caps, and no ALL CAPS once one word is
	// not in capitals (the counts only grow).
	lower, lowerUpper := 0, 0 // content words without a capital; those in capitals
	for i := 0; others && i < len(seg); i++ {
		t := &seg[i]
		if t.flags&(tLetters|tHyph|tCap|tCamel) != tLetters || stopFilter.mayHave(t.hash) && t.lexBits()&lexStop != 0 {
			continue
		}
		lower++
		if t.flags&tUpper != 0 {
			lowerUpper++
		}
		if 7*lower >= caps && (capsUpper < caps || lowerUpper < lower) {
			return false, false
		}
	}
	content := caps + lower
	return content >= 2 && lower*8 < content, content >= 2 && capsUpper+lowerUpper == content
}

// scanGazetteer finds the countries named in a block, marking the words
// it covers.
func (s *entityScratch) scanGazetteer(seg []token, covered []bool, allCaps bool) {
	for i := 0; i < len(seg); {
		if seg[i].flags&tCap == 0 || seg[i].lexBits()&lexGaz == 0 {
			i++ // as gazMatch would find
			continue
		}
		id, j, ok := gazMatch(seg, i, allCaps)
		if !ok {
			i++
			continue
		}
		e := &gazEntries[id]
		accept := e.country >= 0
		switch {
		case !accept:
		case e.notSent && seg[i].flags&tStop != 0:
			accept = false
		case len(e.toks) == 1 && prevBlocks(seg, i):
			accept = false
		case e.alone && (nextBlocks(seg, j) || ofBlocks(seg, i)):
			accept = false
		case e.kind == gazAdj && j < len(seg) && seg[j].flags&tSep == 0 && (seg[j].norm == "ocean" || seg[j].norm == "sea"):
			accept = false
		}
		if accept {
			for k := i; k < j; k++ {
				covered[k] = true
			}
			h := countryHit{country: e.country, weak: e.weak}
			if len(e.toks) == 1 && e.kind != gazAdj {
				h.single = e.toks[0]
			}
			s.hits = append(s.hits, h)
		}
		i = j
	}
}

// prevBlocks reports whether the word before seg[i] is a capitalised word
// joined to it, so seg[i] is likely part of a longer name ("Tom Holland",
// "Dawn French"). A modifier does not ("Five Americans"), nor a common
// word that starts a sentence ("Top Russian officials").
func prevBlocks(seg []token, i int) bool {
	if i == 0 || seg[i].flags&(tSep|tHyph) != 0 {
		return false
	}
	p := seg[i-1]
	if p.flags&tPoss != 0 || p.flags&tCap == 0 || p.flags&tLetters == 0 {
		return false
	}
	if p.lexBits()&(lexStop|lexHonorific|lexEntityStop|lexModifier) != 0 {
		return false
	}
	if p.flags&tStop != 0 && p.lexBits()&(lexCommonStart|lexCommon) != 0 {
		return false
	}
	return true
}

// nextBlocks reports whether seg[j] is a capitalised word joined to the word
// before it ("Washington Post").
func nextBlocks(seg []token, j int) bool {
	if j >= len(seg) || seg[j].flags&(tSep|tHyph) != 0 || seg[j-1].flags&tPoss != 0 {
		return false
	}
	n := seg[j]
	return n.flags&tCap != 0 && n.flags&tLetters != 0 && n.lexBits()&(lexStop|lexEntityStop) == 0
}

// ofBlocks reports "Capital of X" ("Bank of America", "University of
// Georgia").
func ofBlocks(seg []token, i int) bool {
	if i < 2 || seg[i].flags&tSep != 0 || seg[i-1].norm != "of" || seg[i-1].flags&(tSep|tCap) != 0 {
		return false
	}
	p := seg[i-2]
	return p.flags&tCap != 0 && p.flags&tLetters != 0 && p.lexBits()&lexStop == 0
}

// named reports whether a token can be part of a name.
func named(t token) bool {
	return t.flags&tCap != 0 && t.flags&tLetters != 0 && t.lexBits()&(lexStop|lexEntityStop) == 0
}

// findNamesBesideTitle is findNames for a block of the summary or the
// content, leaving out the item's title where the block repeats it ("The
// post <title> appeared first on ..."): the title's names were taken from
// the title, or deliberately not, if it is in Title Case.
func (s *entityScratch) findNamesBesideTitle(x *itemText, seg []token, covered []bool, raw string) {
	title := x.tokens(fieldTitle)
	const minTitle = 4 // words: a shorter title may well be a phrase of the text
	a := 0
	if len(title) >= minTitle {
		for i := 0; i+len(title) <= len(seg); i++ {
			if seg[i].hash != title[0].hash || !sameNorms(seg[i:i+len(title)], title) {
				continue
			}
			if a < i {
				s.findNames(x, seg[a:i], covered[a:i], raw)
			}
			i += len(title)
			a = i
			i--
		}
	}
	if a < len(seg) {
		s.findNames(x, seg[a:], covered[a:], raw)
	}
}

// cutShort reports whether a summary or content in HTML stops in the
// middle of its text, as one cut at a length does ("... at New Yor"): it
// has markup, and ends neither with a tag nor inside one (then the text
// before the tag is whole). A plain-text summary that stops without a full
// stop is common and not taken as cut.
func cutShort(raw string) bool {
	raw = strings.TrimRightFunc(raw, unicode.IsSpace)
	if raw == "" || raw[len(raw)-1] == '>' {
		return false
	}
	lt := strings.LastIndexByte(raw, '<')
	return lt >= 0 && strings.LastIndexByte(raw, '>') > lt
}

// sameNorms reports whether a starts with the words of b.
func sameNorms(a, b []token) bool {
	for i := range b {
		if a[i].norm != b[i].norm {
			return false
		}
	}
	return true
}

// findNames collects the runs of capitalised words of a block. raw is the
// HTML of a summary or content, whose last word is only part of a word if
// it was cut short (cutShort); "" for a title.
func (s *entityScratch) findNames(x *itemText, seg []token, covered []bool, raw string) {
	run := s.run
	defer func() { s.run = run }()
	for i := 0; i < len(seg); {
		if !named(seg[i]) || seg[i].flags&tHyph != 0 {
			i++
			continue
		}
		run = append(run[:0], i)
		j := i + 1
		for j < len(seg) {
			t := seg[j]
			if seg[j-1].flags&tPoss != 0 {
				break
			}
			if t.flags&tHyph != 0 && t.flags&tLetters != 0 {
				if t.flags&tCap == 0 && compoundSuffix(t.norm) {
					// "New York-based", "AI-powered", "World Cup-winning":
					// the name, if any, ends before the hyphen.
					j++
					break
				}
				run = append(run, j) // "Jong-un", "al-Assad"
				j++
				continue
			}
			if t.flags&tSep != 0 {
				break
			}
			if named(t) {
				run = append(run, j)
				j++
				continue
			}
			if t.flags&tCap == 0 && t.lexBits()&lexParticle != 0 {
				k := j
				for k < len(seg) && seg[k].flags&(tCap|tSep) == 0 && seg[k-1].flags&tPoss == 0 && seg[k].lexBits()&lexParticle != 0 {
					k++
				}
				if k < len(seg) && seg[k].flags&tSep == 0 && named(seg[k]) {
					for ; j < k; j++ {
						run = append(run, j)
					}
					continue
				}
			}
			break
		}
		s.takeRun(x, seg, covered, run, raw)
		i = j
	}
}

// gerund reports whether a word looks like a verb's -ing form ("Comparing",
// "Introducing"): at the start of a sentence it does not start a name.
func gerund(w string) bool {
	return len(w) >= 6 && strings.HasSuffix(w, "ing")
}

// compoundSuffix reports whether a word joined in lower case by a hyphen
// to a name makes an adjective of it ("New York-based", "Democrat-led",
// "AI-powered", "World Cup-winning", "Bond-style").
func compoundSuffix(w string) bool {
	// Six letters at least for -ing, five for -ed: the syllables of
	// romanised names ("Chun-ying", "Xiao-ping") are shorter.
	if len(w) >= 6 && strings.HasSuffix(w, "ing") || len(w) >= 5 && strings.HasSuffix(w, "ed") {
		return true
	}
	switch w {
	case "based", "led", "style", "like", "esque", "era", "born", "made", "free", "wide", "friendly", "themed", "linked",
		"backed", "owned", "run", "class", "level", "sized", "size", "focused", "related", "specific", "only", "centric",
		"inspired", "bound":
		return true
	}
	return false
}

// takeRun trims a run of capitalised words and records it as a name if it
// is one.
func (s *entityScratch) takeRun(x *itemText, seg []token, covered []bool, run []int, raw string) {
	if len(s.names) >= maxNameCands {
		return
	}
	// A run where the text was cut short may be part of a name ("at New
	// Yor", "The Open Wallet Foundati…").
	if last := seg[run[len(run)-1]].flags; last&tCut != 0 || last&tLast != 0 && cutShort(raw) {
		return
	}
	run = trimRun(x, seg, covered, run)
	if len(run) == 0 || !nameShaped(seg, run) {
		return
	}
	s.addName(seg, run)
}

// trimRun returns what may be a name in a run of capitalised words: the
// run after its last honorific or title but the last word, without the
// words at either end that names found already cover, without a common
// word that starts a sentence, modifiers in front or roles at the end. It
// returns an empty run when there is no name in it, as when it starts a
// sentence with a common word, a gerund or a word the item writes in lower
// case, and no gazetteer name starts it.
func trimRun(x *itemText, seg []token, covered []bool, run []int) []int {
	sentStart := seg[run[0]].flags&tStop != 0
	// Cut at the last honorific or title that is not the last word.
	cut := -1
	for k, i := range run[:len(run)-1] {
		if seg[i].flags&tHyph == 0 && seg[i].lexBits()&lexHonorific != 0 {
			cut = k
		}
	}
	if cut >= 0 {
		run = run[cut+1:]
		sentStart = false
	}
	trimmed := cut >= 0
	for len(run) > 0 && (covered[run[0]] || seg[run[0]].flags&tHyph != 0) {
		run = run[1:]
		sentStart, trimmed = false, true
	}
	for len(run) > 0 && covered[run[len(run)-1]] {
		run = run[:len(run)-1]
	}
	if len(run) == 0 {
		return nil
	}
	if !trimmed && sentStart {
		first := seg[run[0]]
		switch {
		case first.lexBits()&lexCommonStart != 0:
			run = run[1:]
			for len(run) > 0 && seg[run[0]].flags&tHyph != 0 {
				run = run[1:]
			}
		case first.lexBits()&lexCommon != 0 || gerund(first.norm) || x.lowerSeen(first):
			if !gazStarts(seg, run) {
				return nil
			}
		}
	}
	// Modifiers are cut off the front ("Two House Republicans"), roles off
	// the end ("Apple CEO").
	for len(run) > 0 && seg[run[0]].lexBits()&lexModifier != 0 && seg[run[0]].flags&tHyph == 0 && !gazStarts(seg, run) {
		run = run[1:]
		for len(run) > 0 && seg[run[0]].flags&tHyph != 0 {
			run = run[1:]
		}
	}
	for len(run) > 0 && seg[run[len(run)-1]].lexBits()&lexRole != 0 && seg[run[len(run)-1]].flags&tHyph == 0 {
		run = run[:len(run)-1]
	}
	return run
}

// nameShaped reports whether a trimmed run has the shape of a name: two to
// four words, not titles only ("Deputy Prime Minister", "UN Secretary
// General"), nor two titles, nor letters only ("U K", from "U.K" without its
// last stop), and not ending in a lower-case particle.
func nameShaped(seg []token, run []int) bool {
	allTitles, titles := true, 0
	words, letters := 0, 0
	for k, i := range run {
		t := seg[i]
		if t.flags&tCap == 0 && t.lexBits()&lexParticle != 0 {
			continue
		}
		if t.flags&tHyph != 0 && !(k > 0 && seg[run[k-1]].lexBits()&lexParticle != 0) {
			continue // "Jong-un" is one word, "al-Assad" one more
		}
		words++
		if len(t.norm) == 1 {
			letters++
		}
		if t.lexBits()&lexHonorific != 0 {
			titles++
		} else {
			allTitles = false
		}
	}
	if words < 2 || words > 4 || allTitles || titles >= 2 || letters == words {
		return false
	}
	if last := seg[run[len(run)-1]]; last.flags&tCap == 0 && last.lexBits()&lexParticle != 0 {
		return false
	}
	return true
}

// addName records a run as a name candidate. The norms of all names share
// s.norms; the key and the label are built in one buffer each.
func (s *entityScratch) addName(seg []token, run []int) {
	start := len(s.norms)
	keyLen, labelLen := len(run)-1, len(run)-1
	for _, i := range run {
		s.norms = append(s.norms, seg[i].norm)
		keyLen += len(seg[i].norm)
		labelLen += len(seg[i].raw)
	}
	norms := s.norms[start:len(s.norms):len(s.norms)]
	var key, label strings.Builder
	key.Grow(keyLen)
	label.Grow(labelLen)
	for k, i := range run {
		t := seg[i]
		if k > 0 {
			key.WriteByte(' ')
			if t.flags&tHyph != 0 {
				label.WriteByte('-')
			} else {
				label.WriteByte(' ')
			}
		}
		key.WriteString(t.norm)
		label.WriteString(t.raw)
	}
	s.names = append(s.names, nameCand{norms: norms, key: key.String(), label: label.String(),
		variant: seg[run[0]].lexBits()&lexVariant != 0})
}

// gazStarts reports whether a gazetteer name starts a run and lies within
// it ("New York", "New York Times").
func gazStarts(seg []token, run []int) bool {
	i := run[0]
	if seg[i].lexBits()&lexGaz == 0 {
		return false
	}
	_, j, ok := gazMatch(seg, i, false)
	return ok && j <= run[len(run)-1]+1
}

// lowerSeen reports whether a word is written in lower case somewhere in the
// item's title, summary or content.
func (x *itemText) lowerSeen(w token) bool {
	s := &x.ent
	const asked, lower = 1, 2
	fields := [...]int{fieldTitle, fieldSummary, fieldContent}
	if !s.lowerDone {
		s.lowerDone = true
		// takeRun asks only about the words that may start a name at the
		// start of a sentence: note those, then mark those written in lower
		// case.
		for _, f := range fields {
			toks := x.tokens(f)
			for i := range toks {
				if t := &toks[i]; t.flags&tCap != 0 && askedLower(t) {
					s.lowerSeen.add(t.norm, t.hash, asked)
				}
			}
		}
		for _, f := range fields {
			toks := x.tokens(f)
			for i := range toks {
				if t := &toks[i]; t.flags&(tCap|tHyph|tLetters) == tLetters {
					s.lowerSeen.set(t.norm, t.hash, lower)
				}
			}
		}
	}
	if !askedLower(&w) {
		// Not noted (takeRun does not ask): look.
		for _, f := range fields {
			for _, t := range x.tokens(f) {
				if t.flags&(tCap|tHyph) == 0 && t.flags&tLetters != 0 && t.norm == w.norm {
					return true
				}
			}
		}
		return false
	}
	return s.lowerSeen.lookup(w.norm, w.hash)&lower != 0
}

// askedLower reports whether takeRun may ask lowerSeen about a token: the
// capitalised first word of a sentence that may start a name.
func askedLower(t *token) bool {
	return t.flags&(tCap|tStop|tLetters) == tCap|tStop|tLetters && t.flags&tHyph == 0 &&
		t.lexBits()&(lexStop|lexEntityStop|lexCommonStart|lexCommon) == 0
}

// stopWords end a run of capitalised words and are never part of a name.
var stopWords = setOf(`a about above across after again against ago all along also although am amid among an and
	another any are around as at be because been before being below beneath beside besides between beyond both but by
	can cannot could did do does doing down during each either even ever every few for from further had has have
	having he her here hers herself him himself his how however i if in inside into is it its itself just less like
	me more most much must my myself neither no nor not now of off on once only onto or other others our ours
	ourselves out outside over own per same shall she should since so some such than that the their theirs them
	themselves then there these they this those though through throughout till to too toward towards under unless
	unlike until up upon us very via vs was we were what whatever when whenever where whether which while who whom
	whose why with within without would yet you your yours yourself yourselves may might says said say tells told
	let lets im ive youre youve youll youd theyre theyve theyll weve hes shes thats whats whos heres theres wheres
	dont doesnt didnt isnt arent wasnt werent cant couldnt wouldnt shouldnt wont hasnt havent hadnt aint`)

// entityStop are capitalised words that are never part of a name: dates and
// news boilerplate.
var entityStop = setOf(`january february march april may june july august september october november december
	jan feb mar apr jun jul aug sep sept oct nov dec
	monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat
	breaking live watch update updates updated opinion analysis exclusive video videos photo photos picture pictures
	gallery explainer review editorial comment commentary podcast newsletter sponsored advertisement read more share
	subscribe click sign related latest news today tonight yesterday tomorrow weekend morning afternoon evening night
	week month year please note fact factcheck quiz listen follow copyright reporting editing additional report
	reports story image images credit christmas easter url urls roundup recap digest highlights livestream liveblog
	transcript todays tonights`)

// honorifics and titles are cut off the front of a name.
var honorifics = setOf(`mr mrs ms mx miss dr prof professor sir dame lord lady president presidents vice prime minister
	ministers premier chancellor king queen prince princess crown emperor empress pope cardinal archbishop bishop rev
	reverend father imam ayatollah rabbi sheikh sen senator senators rep representative congressman congresswoman gov
	governor mayor gen general lt lieutenant col colonel maj major capt captain cmdr commander adm admiral sgt sergeant
	marshal brig brigadier judge justice chief secretary foreign defence defense interior home finance economy trade
	health education state deputy acting former ambassador envoy speaker chairman chairwoman chair ceo director
	spokesman spokeswoman spokesperson leader supreme commissioner attorney treasury officer 
	opposition dictator strongman tycoon billionaire star actor actress singer rapper coach striker midfielder
	defender goalkeeper manager counsel lawmaker lawmakers candidate nominee hopeful pm boss founder cofounder owner
	comedian comedienne artist author writer novelist poet journalist reporter columnist photographer filmmaker
	producer developer designer musician influencer youtuber streamer activist campaigner pastor priest investor ag
	economist analyst historian scientist researcher astronaut model chef presenter broadcaster pundit witness suspect
	treasurer`)

// roles are titles that do not end a name: cut off the end of a run
// ("Apple CEO", "Texas Gov", "Exchange Commission Chair", "New Jersey
// Republican").
var roles = setOf(`ceo boss chief president governor gov minister secretary senator sen director officer commissioner
	congressman congresswoman spokesman spokeswoman spokesperson chair chairman chairwoman mayor candidate nominee
	professor ambassador envoy leader founder cofounder owner coach striker midfielder goalkeeper chancellor treasurer
	rep lawmaker official executive analyst reporter correspondent editor columnist host presenter republican
	democrat`)

// modifiers are words that qualify what follows them and do not begin a
// name: numbers and epithets ("Two House Republicans", "Top Democrat",
// "New Camera", "disgraced FTX founder"). They are cut off the front of a
// run anywhere; at the start of a sentence they end it as commonWords do.
var modifiers = setOf(`new top ex two three four five six seven eight nine ten eleven twelve twenty
	thirty forty fifty hundred hundreds thousand thousands million millions billion billions dozen dozens longtime
	disgraced retired beloved furious fellow suspected alleged accused convicted embattled outgoing incoming
	legendary iconic veteran famed renowned notorious jailed slain murdered missing injured senior`)

// commonWords are common English words — in lower case in running text —
// that often take a capital only because they start a sentence, a line, a
// label or a headline ("Show HN:", "Comments URL:", "Big Change To ...").
// At the start of a sentence or a block such a word (or a verb's -ing
// form: gerund) does not start a name, unless a gazetteer name starts
// there ("New York"). Words that commonly begin names are left out
// ("Federal", "National", "World", "House", "Daily", "Fire", "Storm",
// "Final", "Online", "Public", "Secret", "Planned", "Best"), as are words
// that are also given names ("Will", "Mark", "Bill", "Grant", "Rose").
var commonWords = setOf(`one old big small large huge massive giant tiny better good bad worse worst great greater
	last next first second third early recent current future key main minor true false fake free open full empty
	high higher low lower short hot cold warm cool fresh rare strange weird mysterious hidden private special simple
	easy hard tough strong weak fast faster slow quick cheap expensive costly poor happy sad angry shocking stunning
	amazing incredible beautiful excellent perfect important critical serious dangerous deadly fatal safe unsafe
	popular famous controversial historic ancient classic typical common normal virtual smart sexual violent viral
	leaked proposed revised upcoming ongoing annual weekly monthly various multiple single double triple whole
	entire extra ultimate essential urgent unprecedented unexpected unusual surprising show ask tell get see check
	meet make take find try learn help join buy sell save win lose play stop start keep go come give know think want
	need use look work call move run turn put set bring hold pay plan add test build grab forget remember discover
	explore enter install download shop order preorder upgrade compare choose vote protect prevent fix solve avoid
	boost raise drop fall rise hit beat face fight warn reveal imagine using article articles comments points link
	links source sources post posts thread reply question questions answer answers guide guides tips tip deal deals
	sale sales preview result results study data survey poll interview moment moments everything something nothing
	anything everyone someone somebody nobody people man men woman women boy boys girl girls kids children family
	families parents son daughter wife husband users customers players workers staff students teachers nurses
	patients citizens migrants refugees teens teenagers survivors victims lawyers prosecutors climate business money
	life death war peace food water energy oil gas tech science research crime court sport music film movie movies
	games app apps phone phones car cars school schools town country government market stocks rates inflation jobs
	tax taxes budget law rules evidence weather rain snow heat flood floods drought crisis scandal attack attacks
	strike strikes protest protests election elections campaign debate trial case investigation probe lawsuit talks
	meeting plans policy reform ban warning threat risk danger fear fears concern concerns problem problems issue
	issues change changes growth decline record records version release launch feature features design price prices
	cost costs offer offers discount discounts gift gifts ideas ways reasons things secrets lessons mistakes signs
	symptoms benefits steps`)

// commonStart are words that often begin a sentence with a capital that is
// only grammatical; they are dropped from the front of a run there.
var commonStart = setOf(`meanwhile however but and or so yet then now still also already instead indeed perhaps
	maybe nearly almost later earlier today yesterday tomorrow tonight last next first second third finally overall
	together elsewhere nevertheless nonetheless here there this that these those several many most some all both each
	every few more other another such no not only even just speaking asked according following despite during after
	before since until while when where why how what who which whose if as though although because once twice
	officials analysts police critics sources residents experts witnesses authorities protesters troops forces leaders
	lawmakers scientists researchers doctors investors shares stocks prices markets voters fans supporters
	will would could should can may might must shall did does do is are was were has have had be been being
	watch read live breaking update exclusive opinion analysis video photos inside behind beyond across against
	among around amid under over without within with from into onto upon about above below between
	thanks thank sadly luckily fortunately unfortunately clearly obviously interestingly notably separately
	similarly likewise additionally moreover furthermore again yes hey hi dear welcome oh hello goodbye sorry
	recently currently suddenly reportedly allegedly apparently basically actually really simply literally certainly
	probably possibly definitely absolutely specifically primarily originally previously initially eventually
	ultimately officially publicly privately surprisingly ironically crucially importantly hopefully honestly
	seriously`)

// particles may stand in lower case inside a name ("Mohammed bin Salman",
// "Ursula von der Leyen", "Charles de Gaulle").
var particles = setOf(`bin bint ibn al el de del della der den di da dos das du van von le la y ben`)
