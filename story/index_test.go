package story

import (
	"slices"
	"testing"
)

// TestIndex: a term's stories as posted and removed, through the change
// from one story kept in the map to a list and back.
func TestIndex(t *testing.T) {
	x := newIndex()
	want := map[uint32][]int32{}
	check := func(step string) {
		t.Helper()
		for id, w := range want {
			got := slices.Sorted(slices.Values(x.get(id)))
			if !slices.Equal(got, w) {
				t.Fatalf("%s: term %d: stories %v, want %v", step, id, got, w)
			}
		}
		if x.len() != len(want) {
			t.Fatalf("%s: %d terms posted, want %d", step, x.len(), len(want))
		}
	}
	add := func(id uint32, s int32) {
		x.add(id, s)
		want[id] = slices.Sorted(slices.Values(append(want[id], s)))
	}
	remove := func(id uint32, s int32) {
		x.remove(id, s)
		i := slices.Index(want[id], s)
		want[id] = slices.Delete(want[id], i, i+1)
		if len(want[id]) == 0 {
			delete(want, id)
		}
	}
	add(1, 10)
	check("one story")
	add(1, 11)
	add(2, 20)
	add(1, 12)
	check("a list")
	remove(1, 10)
	check("removed from a list")
	remove(1, 12)
	check("back to one story")
	remove(2, 20)
	remove(1, 11)
	check("empty")
	if x.get(1) != nil {
		t.Errorf("a term no story is posted under has stories %v", x.get(1))
	}
	for s := range int32(20) {
		add(3, s)
		add(4, 100+s)
	}
	for s := range int32(19) {
		remove(3, s)
	}
	add(5, 1)
	add(5, 2)
	check("a list after a long one")
	if len(x.lists) > 2 {
		t.Errorf("%d lists made for at most 2 terms of several stories at a time", len(x.lists))
	}
}
