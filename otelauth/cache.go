package otelauth

import (
	"maps"
	"sync"
	"sync/atomic"
)

// maxCached bounds each cache of attribute sets. The keys come from
// configuration and fixed labels (issuers, routes, methods, reasons), so a
// real service stays far below it; past it, sets are still made, correctly,
// but per event, so that nothing unbounded is kept.
const maxCached = 4096

// setCache remembers the measurement options of each attribute combination,
// so that an event costs a map lookup instead of building and sorting an
// attribute set. Reads take no lock and do not allocate: the map is
// replaced whole, under mu, when a combination is added.
type setCache[K comparable] struct {
	m    atomic.Pointer[map[K]*attrs]
	mu   sync.Mutex
	make func(K) *attrs
}

func (c *setCache[K]) get(k K) *attrs {
	if m := c.m.Load(); m != nil {
		if a, ok := (*m)[k]; ok {
			return a
		}
	}
	return c.add(k)
}

func (c *setCache[K]) add(k K) *attrs {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if old != nil {
		if a, ok := (*old)[k]; ok {
			return a
		}
	}
	a := c.make(k)
	if old != nil && len(*old) >= maxCached {
		return a
	}
	m := maps.Clone(ptrMap(old))
	if m == nil {
		m = make(map[K]*attrs)
	}
	m[k] = a
	c.m.Store(&m)
	return a
}

func ptrMap[K comparable](m *map[K]*attrs) map[K]*attrs {
	if m == nil {
		return nil
	}
	return *m
}

// len is the number of combinations cached, for tests.
func (c *setCache[K]) len() int { return len(ptrMap(c.m.Load())) }
