package auth

import (
	"container/list"
	"sync"
	"time"
)

// sessionCache keeps webhook answers until they expire, evicting the least
// recently used one when full.
type sessionCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // front: most recently used
	items map[[32]byte]*list.Element
}

type cacheEntry struct {
	key     [32]byte
	session *Session
	expires time.Time
}

func newSessionCache(size int) *sessionCache {
	return &sessionCache{max: size, order: list.New(), items: map[[32]byte]*list.Element{}}
}

func (c *sessionCache) get(key [32]byte, now time.Time) (*Session, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.items, key)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.session.clone(), true
}

func (c *sessionCache) put(key [32]byte, s *Session, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		e := el.Value.(*cacheEntry)
		e.session, e.expires = s.clone(), expires
		c.order.MoveToFront(el)
		return
	}
	for c.order.Len() >= c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*cacheEntry).key)
	}
	c.items[key] = c.order.PushFront(&cacheEntry{key: key, session: s.clone(), expires: expires})
}

func (c *sessionCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
