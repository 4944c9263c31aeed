// Package querycache is the GraphQL endpoint's cache of prepared work: a
// thread-safe least-recently-used cache bounded both by its number of
// entries and by the bytes its entries are estimated to hold, whose
// entries belong to a schema generation.
//
// The generation is checked under the same lock as every lookup, insertion
// and purge: the cache holds entries of one generation only (the newest it
// has been shown), an entry is found only under the generation it was
// built for, and an insertion for an older generation is refused. A
// request that prepared its document on generation N can therefore never
// leave it where a request on generation N+1 finds it.
package querycache

import (
	"container/list"
	"sync"
)

// Cache is an LRU cache of V values under K keys. The zero value is not
// usable; see New.
type Cache[K comparable, V any] struct {
	mu         sync.Mutex
	maxEntries int
	maxBytes   int64
	gen        int64
	bytes      int64
	ll         list.List // of *entry[K, V], most recently used first
	items      map[K]*list.Element
}

type entry[K comparable, V any] struct {
	key  K
	val  V
	size int64
}

// New returns a cache holding at most maxEntries entries and, when
// maxBytes > 0, entries whose sizes add up to at most maxBytes.
func New[K comparable, V any](maxEntries int, maxBytes int64) *Cache[K, V] {
	if maxEntries < 1 {
		maxEntries = 1
	}
	return &Cache[K, V]{maxEntries: maxEntries, maxBytes: maxBytes, items: map[K]*list.Element{}}
}

// advance makes gen current if it is newer, dropping every entry, and
// reports whether entries of gen may be read or stored. Callers hold mu.
func (c *Cache[K, V]) advance(gen int64) bool {
	switch {
	case gen > c.gen:
		c.gen = gen
		c.purge()
		return true
	case gen < c.gen:
		return false
	}
	return true
}

// Get returns the value cached under k for generation gen.
func (c *Cache[K, V]) Get(gen int64, k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.advance(gen) {
		if e, ok := c.items[k]; ok {
			c.ll.MoveToFront(e)
			return e.Value.(*entry[K, V]).val, true
		}
	}
	var zero V
	return zero, false
}

// Add caches v, estimated at size bytes, under k for generation gen. It
// returns the value now cached under k and whether v was stored: when a
// value is already cached under k (another request prepared the same
// work), that value is kept and returned. An insertion for a generation
// older than the newest seen, or of a value larger than the whole byte
// budget, is refused (v is returned, not stored).
func (c *Cache[K, V]) Add(gen int64, k K, v V, size int64) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.advance(gen) || (c.maxBytes > 0 && size > c.maxBytes) {
		return v, false
	}
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*entry[K, V]).val, false
	}
	c.items[k] = c.ll.PushFront(&entry[K, V]{key: k, val: v, size: size})
	c.bytes += size
	c.evict()
	return v, true
}

// Grow adds delta bytes to the size of the entry under k for generation
// gen, if it is still cached, evicting the least recently used entries
// (possibly that one) to stay within the byte budget.
func (c *Cache[K, V]) Grow(gen int64, k K, delta int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if e, ok := c.items[k]; ok {
		e.Value.(*entry[K, V]).size += delta
		c.bytes += delta
		c.evict()
	}
}

// Len is the number of cached entries.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

// Bytes is the estimated size of the cached entries.
func (c *Cache[K, V]) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// evict drops least recently used entries until both budgets hold.
func (c *Cache[K, V]) evict() {
	for c.ll.Len() > c.maxEntries || (c.maxBytes > 0 && c.bytes > c.maxBytes) {
		c.remove(c.ll.Back())
	}
}

func (c *Cache[K, V]) remove(e *list.Element) {
	en := c.ll.Remove(e).(*entry[K, V])
	delete(c.items, en.key)
	c.bytes -= en.size
}

// purge drops every entry.
func (c *Cache[K, V]) purge() {
	c.ll.Init()
	clear(c.items)
	c.bytes = 0
}
