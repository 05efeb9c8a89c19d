package story

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
)

func TestDiag(t *testing.T) {
	path := os.Getenv("STORY_DIAG")
	if path == "" {
		t.Skip()
	}
	f, _ := os.Open(path)
	items, _ := ReadItems(f)
	f.Close()
	f, _ = os.Open(path)
	cfg := DefaultConfig()
	cfg.Threshold, _ = strconv.ParseFloat(os.Getenv("STORY_TH"), 64)
	_, as, _ := Evaluate(f, cfg)
	title := map[string]string{}
	for _, it := range items {
		title[it.ID] = it.Title
	}
	clusters := map[string][]Assignment{}
	for _, a := range as {
		clusters[a.Story] = append(clusters[a.Story], a)
	}
	type bad struct {
		id  string
		n   int
		mix map[string]int
	}
	var bads []bad
	for id, m := range clusters {
		mix := map[string]int{}
		for _, a := range m {
			mix[a.Gold]++
		}
		if len(mix) > 1 {
			bads = append(bads, bad{id, len(m), mix})
		}
	}
	sort.Slice(bads, func(i, j int) bool { return bads[i].n > bads[j].n })
	for _, b := range bads[:min(8, len(bads))] {
		fmt.Println("==", b.n, b.mix)
		for i, a := range clusters[b.id] {
			if i > 40 {
				break
			}
			fmt.Printf("   %.2f %s %s\n", a.Score, a.Gold[len(a.Gold)-4:], title[a.ID])
		}
	}
}

func TestDiagSplit(t *testing.T) {
	path := os.Getenv("STORY_DIAG")
	if path == "" {
		t.Skip()
	}
	f, _ := os.Open(path)
	items, _ := ReadItems(f)
	f.Close()
	title := map[string]string{}
	for _, it := range items {
		title[it.ID] = it.Title
	}
	f, _ = os.Open(path)
	cfg := DefaultConfig()
	cfg.Threshold, _ = strconv.ParseFloat(os.Getenv("STORY_TH"), 64)
	_, as, _ := Evaluate(f, cfg)
	byGold := map[string]map[string]int{}
	first := map[string]string{}
	for _, a := range as {
		if byGold[a.Gold] == nil {
			byGold[a.Gold] = map[string]int{}
		}
		byGold[a.Gold][a.Story]++
		if _, ok := first[a.Story]; !ok {
			first[a.Story] = title[a.ID]
		}
	}
	for g, m := range byGold {
		var sizes []int
		var big []string
		for c, n := range m {
			sizes = append(sizes, n)
			if n >= 5 {
				big = append(big, fmt.Sprintf("%d:%q", n, first[c]))
			}
		}
		sort.Sort(sort.Reverse(sort.IntSlice(sizes)))
		fmt.Println(g[len(g)-4:], sizes[:min(12, len(sizes))], len(sizes))
		if os.Getenv("STORY_V") != "" {
			for _, b := range big {
				fmt.Println("     ", b)
			}
		}
	}
}
