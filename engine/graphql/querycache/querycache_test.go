package querycache

import (
	"sync"
	"testing"
)

func TestEvictsLeastRecentlyUsedByCount(t *testing.T) {
	c := New[string, int](2, 0)
	c.Add(1, "a", 1, 10)
	c.Add(1, "b", 2, 10)
	c.Get(1, "a") // b is now the least recently used
	c.Add(1, "c", 3, 10)
	if _, ok := c.Get(1, "b"); ok {
		t.Error("b should have been evicted")
	}
	for k, want := range map[string]int{"a": 1, "c": 3} {
		if v, ok := c.Get(1, k); !ok || v != want {
			t.Errorf("%s: %d %v, want %d", k, v, ok, want)
		}
	}
	if c.Len() != 2 || c.Bytes() != 20 {
		t.Errorf("len %d bytes %d, want 2 and 20", c.Len(), c.Bytes())
	}
}

func TestEvictsByBytes(t *testing.T) {
	c := New[string, int](100, 100)
	c.Add(1, "a", 1, 40)
	c.Add(1, "b", 2, 40)
	c.Add(1, "c", 3, 40) // 120 bytes: a goes
	if _, ok := c.Get(1, "a"); ok {
		t.Error("a should have been evicted by the byte budget")
	}
	if c.Len() != 2 || c.Bytes() != 80 {
		t.Errorf("len %d bytes %d, want 2 and 80", c.Len(), c.Bytes())
	}
	// Growing an entry evicts the least recently used others first...
	c.Get(1, "b")
	c.Grow(1, "b", 30) // b 70 + c 40 = 110: c goes
	if _, ok := c.Get(1, "c"); ok {
		t.Error("c should have been evicted when b grew")
	}
	if _, ok := c.Get(1, "b"); !ok || c.Bytes() != 70 {
		t.Errorf("b should stay, bytes %d want 70", c.Bytes())
	}
	// ...and the entry itself when it alone exceeds the budget.
	c.Grow(1, "b", 31)
	if c.Len() != 0 || c.Bytes() != 0 {
		t.Errorf("len %d bytes %d, want an empty cache", c.Len(), c.Bytes())
	}
	if v, stored := c.Add(1, "huge", 9, 101); stored || v != 9 || c.Len() != 0 {
		t.Errorf("a value larger than the budget must not be cached: %d %v len %d", v, stored, c.Len())
	}
}

func TestGenerationsAreIsolated(t *testing.T) {
	c := New[string, string](10, 0)
	c.Add(1, "q", "built on 1", 1)
	if _, ok := c.Get(2, "q"); ok {
		t.Fatal("an entry of generation 1 was found under generation 2")
	}
	// A request that started on generation 1 finishes after generation 2
	// was seen: its entry must not be stored, nor found.
	if _, stored := c.Add(1, "q", "late, built on 1", 1); stored {
		t.Fatal("an insertion for an older generation was accepted")
	}
	if v, ok := c.Get(2, "q"); ok {
		t.Fatalf("generation 2 found %q", v)
	}
	if _, ok := c.Get(1, "q"); ok {
		t.Fatal("an older generation must not read the cache either")
	}
	c.Add(2, "q", "built on 2", 1)
	if v, ok := c.Get(2, "q"); !ok || v != "built on 2" {
		t.Fatalf("generation 2: %q %v", v, ok)
	}
	c.Grow(1, "q", 100) // a stale request's accounting is ignored
	if c.Bytes() != 1 {
		t.Errorf("bytes %d, want 1", c.Bytes())
	}
	// A newer generation empties the cache.
	c.Get(3, "other")
	if c.Len() != 0 || c.Bytes() != 0 {
		t.Errorf("len %d bytes %d after generation 3, want an empty cache", c.Len(), c.Bytes())
	}
}

func TestAddKeepsTheFirstValue(t *testing.T) {
	c := New[string, string](10, 0)
	c.Add(1, "q", "first", 5)
	if v, stored := c.Add(1, "q", "second", 7); stored || v != "first" {
		t.Fatalf("got %q %v, want the value cached first", v, stored)
	}
	if c.Bytes() != 5 {
		t.Errorf("bytes %d, want 5", c.Bytes())
	}
}

// Under concurrent use with generations advancing, every value read was
// stored under the generation it was read with.
func TestConcurrentGenerations(t *testing.T) {
	c := New[int, int64](64, 1<<10)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				gen := int64(i / 100)
				k := (w*31 + i) % 50
				if v, ok := c.Get(gen, k); ok && v != gen {
					t.Errorf("generation %d read a value of generation %d", gen, v)
					return
				}
				c.Add(gen, k, gen, 16)
				c.Grow(gen, k, 1)
			}
		}()
	}
	wg.Wait()
	if c.Len() > 64 || c.Bytes() > 1<<10 {
		t.Fatalf("budgets exceeded: len %d bytes %d", c.Len(), c.Bytes())
	}
}
