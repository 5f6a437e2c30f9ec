package cowlist

import (
	"slices"
	"sync"
	"testing"
)

func TestAddAndLoad(t *testing.T) {
	var l List[int]
	if got := l.Load(); got != nil {
		t.Fatalf("empty list: %v", got)
	}
	l.Add(1)
	before := l.Load()
	l.Add(2)
	if !slices.Equal(before, []int{1}) {
		t.Fatalf("a list loaded before Add changed: %v", before)
	}
	if got := l.Load(); !slices.Equal(got, []int{1, 2}) {
		t.Fatalf("got %v", got)
	}
}

func TestConcurrentAdds(t *testing.T) {
	var l List[int]
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			l.Add(i)
			_ = l.Load()
		})
	}
	wg.Wait()
	got := slices.Sorted(slices.Values(l.Load()))
	for i, v := range got {
		if v != i {
			t.Fatalf("got %v", got)
		}
	}
	if len(got) != 50 {
		t.Fatalf("%d entries, want 50", len(got))
	}
}
