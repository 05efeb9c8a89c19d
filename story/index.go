package story

// index is the inverted index: term -> the open stories posted under it.
// Most terms are posted by one story only (a rare word or name of one
// item): that story's slot is kept in the map itself, where a slice
// would take a header and an allocation of its own; a list is made when a
// second story comes.
type index struct {
	terms map[uint32]int32 // the one story's slot, or ^i for lists[i]
	lists [][]int32        // the terms posted by several stories
	spare []int32          // unused entries of lists
	one   [1]int32         // what get returns for a term of one story
}

func newIndex() index { return index{terms: map[uint32]int32{}} }

// get returns the stories posted under a term, in no particular order.
// The slice is the index's own: it is valid until the next change.
func (x *index) get(id uint32) []int32 {
	v, ok := x.terms[id]
	switch {
	case !ok:
		return nil
	case v >= 0:
		x.one[0] = v
		return x.one[:]
	}
	return x.lists[^v]
}

// add posts story slot under a term it is not posted under yet.
func (x *index) add(id uint32, slot int32) {
	v, ok := x.terms[id]
	switch {
	case !ok:
		x.terms[id] = slot
	case v >= 0:
		var i int32
		if n := len(x.spare); n > 0 {
			i = x.spare[n-1]
			x.spare = x.spare[:n-1]
		} else {
			i = int32(len(x.lists))
			x.lists = append(x.lists, nil)
		}
		x.lists[i] = append(x.lists[i][:0], v, slot)
		x.terms[id] = ^i
	default:
		x.lists[^v] = append(x.lists[^v], slot)
	}
}

// remove takes story slot out of a term's list, if it is there.
func (x *index) remove(id uint32, slot int32) {
	v, ok := x.terms[id]
	switch {
	case !ok:
		return
	case v >= 0:
		if v == slot {
			delete(x.terms, id)
		}
		return
	}
	i := ^v
	l := x.lists[i]
	for k, s := range l {
		if s != slot {
			continue
		}
		// Order does not matter: retrieval sums each story's shared
		// weight in query order, and ranks the stories by it.
		l[k] = l[len(l)-1]
		l = l[:len(l)-1]
		break
	}
	if len(l) > 1 {
		x.lists[i] = l
		return
	}
	x.terms[id] = l[0]
	// A long list is dropped; a short one is kept for the next term.
	if cap(l) > 8 {
		x.lists[i] = nil
	} else {
		x.lists[i] = l[:0]
	}
	x.spare = append(x.spare, i)
}

// len returns the number of terms posted.
func (x *index) len() int { return len(x.terms) }
