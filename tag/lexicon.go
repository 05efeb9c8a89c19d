package tag

// The lexicon gives each token, once, the word lists its folded form is in,
// as bits, so that the entity and rule passes test bits instead of looking
// words up in maps again and again.

// Word lists of the lexicon.
const (
	lexStop        uint16 = 1 << iota // stopWords
	lexEntityStop                     // entityStop
	lexHonorific                      // honorifics
	lexCommonStart                    // commonStart
	lexParticle                       // particles
	lexGaz                            // the first word of a gazetteer entry (a key of gazIndex)
	lexCommon                         // commonWords and modifiers
	lexModifier                       // modifiers
	lexRole                           // roles
	lexVariant                        // the first word of a variant spelling of a name (a key of nameAliases)
)

// wordHash is the FNV-1a hash of a folded word. tokenize computes it for
// each token (token.hash) as it folds the word, a byte at a time with
// hashByte.
func wordHash(w string) uint32 {
	h := uint32(hashSeed)
	for i := 0; i < len(w); i++ {
		h = hashByte(h, w[i])
	}
	return h
}

const hashSeed = 2166136261 // FNV-1a offset basis

// hashByte adds a byte to a word hash.
func hashByte(h uint32, c byte) uint32 { return (h ^ uint32(c)) * 16777619 }

// wordTable is an open-addressing hash table from words, with their
// wordHash, to bits: cheaper than a map[string]uint16 as the hash is known.
type wordTable struct {
	hashes []uint32 // per slot: the word's hash, or 0 for an empty slot (a hash of 0 is stored as 1)
	words  []string
	bits   []uint16
	shift  uint8    // 32 - log2(len(hashes))
	used   []uint32 // the slots in use
}

// slot spreads a word hash over 1<<(32-shift) slots (Fibonacci hashing:
// FNV's low bits alone are poorly mixed).
func slot(h uint32, shift uint8) uint32 { return (h * 0x9e3779b1) >> shift }

// lexicon holds the words of stopWords, entityStop, honorifics,
// commonStart, particles, commonWords, modifiers and roles; the gazetteer
// adds its first words (lexGaz).
var lexicon = func() *wordTable {
	t := &wordTable{}
	for _, l := range []struct {
		set map[string]bool
		bit uint16
	}{{stopWords, lexStop}, {entityStop, lexEntityStop}, {honorifics, lexHonorific}, {commonStart, lexCommonStart}, {particles, lexParticle},
		{commonWords, lexCommon}, {modifiers, lexCommon | lexModifier}, {roles, lexRole}} {
		for w := range l.set {
			t.add(w, wordHash(w), l.bit)
		}
	}
	return t
}()

// stopFilter holds the stop words: most words in lower case are not, and
// the filter says so without a look into the larger lexicon.
var stopFilter = func() hashFilter {
	f := newHashFilter(len(stopWords))
	for w := range stopWords {
		f.add(wordHash(w))
	}
	return f
}()

func (t *wordTable) grow() {
	n := 256
	if len(t.hashes) > 0 {
		n = 2 * len(t.hashes)
	}
	old := *t
	t.hashes = make([]uint32, n)
	t.words = make([]string, n)
	t.bits = make([]uint16, n)
	t.used = t.used[:0:0]
	t.shift = 32
	for 1<<(32-t.shift) < n {
		t.shift--
	}
	for _, i := range old.used {
		t.add(old.words[i], old.hashes[i], old.bits[i])
	}
}

// add adds bits to the entry of a word whose wordHash is h.
func (t *wordTable) add(w string, h uint32, bits uint16) {
	if 4*(len(t.used)+1) > len(t.hashes) {
		t.grow() // at most a quarter full: misses end fast
	}
	h = max(h, 1)
	mask := uint32(len(t.hashes) - 1)
	for i := slot(h, t.shift); ; i = (i + 1) & mask {
		switch {
		case t.hashes[i] == 0:
			t.hashes[i], t.words[i], t.bits[i] = h, w, bits
			t.used = append(t.used, i)
			return
		case t.hashes[i] == h && t.words[i] == w:
			t.bits[i] |= bits
			return
		}
	}
}

// set adds bits to the entry of a word whose wordHash is h, if it has one.
func (t *wordTable) set(w string, h uint32, bits uint16) {
	if len(t.hashes) == 0 {
		return
	}
	h = max(h, 1)
	mask := uint32(len(t.hashes) - 1)
	for i := slot(h, t.shift); t.hashes[i] != 0; i = (i + 1) & mask {
		if t.hashes[i] == h && t.words[i] == w {
			t.bits[i] |= bits
			return
		}
	}
}

// lookup returns the bits of a word whose wordHash is h.
func (t *wordTable) lookup(w string, h uint32) uint16 {
	if len(t.hashes) == 0 {
		return 0
	}
	h = max(h, 1)
	mask := uint32(len(t.hashes) - 1)
	for i := slot(h, t.shift); t.hashes[i] != 0; i = (i + 1) & mask {
		if t.hashes[i] == h && t.words[i] == w {
			return t.bits[i]
		}
	}
	return 0
}

// reset empties the table, keeping its space.
func (t *wordTable) reset() {
	for _, i := range t.used {
		t.hashes[i], t.words[i], t.bits[i] = 0, "", 0
	}
	t.used = t.used[:0]
}

// hashFilter is a bit set of word hashes: a quick "certainly not" before a
// map lookup.
type hashFilter struct {
	bits  []uint64
	shift uint8
}

// newHashFilter returns a filter for about n words (with few false
// positives: at most 1 in 16).
func newHashFilter(n int) hashFilter {
	f := hashFilter{shift: 32 - 6}
	for 1<<(32-f.shift) < 16*n {
		f.shift--
	}
	f.bits = make([]uint64, 1<<(32-f.shift)/64)
	return f
}

func (f hashFilter) add(h uint32) {
	i := slot(h, f.shift)
	f.bits[i/64] |= 1 << (i % 64)
}

func (f hashFilter) mayHave(h uint32) bool {
	i := slot(h, f.shift)
	return f.bits[i/64]&(1<<(i%64)) != 0
}
