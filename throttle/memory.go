package throttle

import (
	"context"
	"sync"
	"time"
)

// A Backend keeps counters of failures for a [Limiter], under keys that the
// Limiter makes (24 bytes of [A-Za-z0-9_:-]). Each method must be atomic
// with respect to the others and safe for concurrent use, honour ctx, and
// may forget any counter at any time (evicting it, or expiring it once
// forget has passed since its last failure): forgetting only ever lets a
// client try sooner, never refuses it.
type Backend interface {
	// Load returns the counter of key, or the zero Record if there is none.
	Load(ctx context.Context, key string) (Record, error)

	// Add records a failure at now in the counter of key and returns the
	// counter after it: Failures one more than before (or 1, if the
	// counter was absent or its Last is forget or more before now) and
	// Last the later of now and the Last before. The counter must be kept
	// for at least forget after now, unless evicted.
	Add(ctx context.Context, key string, now time.Time, forget time.Duration) (Record, error)

	// Delete forgets the counter of key. Deleting an absent key is not an
	// error.
	Delete(ctx context.Context, key string) error
}

// Record is a counter of failures.
type Record struct {
	Failures int       // failures counted
	Last     time.Time // time of the last one
}

// Memory is a [Backend] in the memory of one process. It holds at most a
// fixed number of counters: when full, a new one replaces the one least
// recently read or written, so that memory stays bounded and no client is
// ever refused because the table is full (see the package documentation for
// what an attacker can do with that). Each operation takes one mutex and
// O(1) time; there is no background goroutine. Make one with [NewMemory].
type Memory struct {
	mu   sync.Mutex
	max  int
	m    map[string]*entry
	root entry // root.next is the most recently used entry, root.prev the least
}

type entry struct {
	key        string
	rec        Record
	prev, next *entry
}

// NewMemory returns an empty Memory that holds at most maxEntries counters,
// or [DefaultMaxEntries] when maxEntries is not positive. A counter takes
// about 130 bytes, so the default holds 13 MB at most.
func NewMemory(maxEntries int) *Memory {
	if maxEntries <= 0 {
		maxEntries = DefaultMaxEntries
	}
	m := &Memory{max: maxEntries, m: make(map[string]*entry)}
	m.root.next, m.root.prev = &m.root, &m.root
	return m
}

// Len returns the number of counters held.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.m)
}

// Load implements [Backend]. Reading a counter makes it the most recently
// used.
func (m *Memory) Load(ctx context.Context, key string) (Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.m[key]
	if e == nil {
		return Record{}, nil
	}
	m.touch(e)
	return e.rec, nil
}

// Add implements [Backend].
func (m *Memory) Add(ctx context.Context, key string, now time.Time, forget time.Duration) (Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.m[key]
	switch {
	case e != nil:
		m.touch(e)
	case len(m.m) >= m.max:
		// Full: reuse the least recently used entry.
		e = m.root.prev
		delete(m.m, e.key)
		*e = entry{key: key, prev: e.prev, next: e.next}
		m.m[key] = e
		m.touch(e)
	default:
		e = &entry{key: key}
		m.m[key] = e
		m.insert(e)
	}
	if now.Sub(e.rec.Last) >= forget {
		e.rec.Failures = 0
	}
	e.rec.Failures++
	if now.After(e.rec.Last) {
		e.rec.Last = now
	}
	return e.rec, nil
}

// Delete implements [Backend].
func (m *Memory) Delete(ctx context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.m[key]; e != nil {
		e.prev.next, e.next.prev = e.next, e.prev
		delete(m.m, key)
	}
	return nil
}

// touch moves e to the front of the list.
func (m *Memory) touch(e *entry) {
	if m.root.next == e {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	m.insert(e)
}

// insert puts e, not in the list, at its front.
func (m *Memory) insert(e *entry) {
	e.prev, e.next = &m.root, m.root.next
	m.root.next.prev = e
	m.root.next = e
}
