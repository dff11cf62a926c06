package issuer

import (
	"container/heap"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
)

// DefaultMemoryStoreSize is the number of sessions a [MemoryStore] holds
// when NewMemoryStore is given 0.
const DefaultMemoryStoreSize = 1 << 20

// MemoryStore is a [Store] in the memory of one process: the default of an
// Issuer. It holds one record per live session and one per subject that has
// sessions or revocations, so refreshing never grows it. It is bounded: it
// holds at most its maximum of live sessions, and a Login past that fails
// with [ErrStoreFull], while every revocation still succeeds. Ended and
// expired records are dropped as time passes, in O(log n) each. It does not
// survive a restart and is not shared between processes; for that, use the
// redisstore module.
//
// Revoked, which a Middleware calls on every request, takes a read lock and
// one map lookup, so concurrent requests do not contend.
type MemoryStore struct {
	mu       sync.RWMutex
	max      int
	sessions map[string]*memSession
	subjects map[string]*memSubject
	expiry   timeHeap // sessions, by Expires
	forget   timeHeap // subjects without sessions, by until

	replay replayOnce // DPoP proofs seen: see dpop.go

	pubKeys map[string]PublicKey // the KeyStore: see fleetmem.go
}

type memSession struct {
	s   Session
	idx int // in MemoryStore.expiry
}

type memSubject struct {
	name     string
	sessions []*memSession // oldest first
	// before revokes the subject's sessionless tokens with iat ≤ before,
	// until beforeUntil.
	before, beforeUntil time.Time
	revoked             map[string]time.Time // sessionless jti → until
	until               time.Time            // the latest deadline above
	idx                 int                  // in MemoryStore.forget, or -1
}

func (s *memSession) at() time.Time { return s.s.Expires }
func (s *memSession) index() *int   { return &s.idx }
func (u *memSubject) at() time.Time { return u.until }
func (u *memSubject) index() *int   { return &u.idx }

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore holding at most max live
// sessions, or DefaultMemoryStoreSize when max is 0 or less.
func NewMemoryStore(max int) *MemoryStore {
	if max <= 0 {
		max = DefaultMemoryStoreSize
	}
	return &MemoryStore{max: max, sessions: make(map[string]*memSession), subjects: make(map[string]*memSubject)}
}

// Len returns the number of records held: sessions and subjects, including
// expired ones not yet dropped.
func (m *MemoryStore) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.sessions) + len(m.subjects)
}

// Revoked implements [jwtauth.Store].
func (m *MemoryStore) Revoked(ctx context.Context, t jwtauth.TokenRef) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if t.Session != "" {
		ms := m.sessions[t.Session]
		return ms == nil || !t.Now.Before(ms.s.Expires) || ms.s.Subject != t.Subject, nil
	}
	if t.Subject == "" {
		return false, nil
	}
	u := m.subjects[t.Subject]
	if u == nil {
		return false, nil
	}
	if t.Now.Before(u.beforeUntil) && (t.IssuedAt.IsZero() || t.IssuedAt.Unix() <= u.before.Unix()) {
		return true, nil
	}
	until, ok := u.revoked[t.ID]
	return ok && t.ID != "" && t.Now.Before(until), nil
}

// CreateSession implements [Store].
func (m *MemoryStore) CreateSession(ctx context.Context, s *Session, max int, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	if _, dup := m.sessions[s.ID]; dup {
		return fmt.Errorf("issuer: memory store: session id already in use")
	}
	u := m.subjects[s.Subject]
	if u != nil {
		for len(u.sessions) >= max && len(u.sessions) > 0 {
			m.removeSession(u.sessions[0], now)
		}
	}
	if len(m.sessions) >= m.max {
		return fmt.Errorf("%w (%d sessions)", ErrStoreFull, m.max)
	}
	if u = m.subjects[s.Subject]; u == nil { // removeSession may have dropped it
		u = &memSubject{name: s.Subject, idx: -1}
		m.subjects[s.Subject] = u
	} else if u.idx >= 0 {
		heap.Remove(&m.forget, u.idx)
	}
	ms := &memSession{s: *s}
	ms.s.Claims = slices.Clone(s.Claims)
	m.sessions[s.ID] = ms
	u.sessions = append(u.sessions, ms)
	heap.Push(&m.expiry, ms)
	return nil
}

// Session implements [Store].
func (m *MemoryStore) Session(ctx context.Context, id string, now time.Time) (*Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	ms := m.sessions[id]
	if ms == nil || !now.Before(ms.s.Expires) {
		return nil, ErrNoSession
	}
	return ms.copy(), nil
}

func (ms *memSession) copy() *Session {
	s := ms.s
	s.Claims = slices.Clone(s.Claims)
	return &s
}

// AdvanceSession implements [Store].
func (m *MemoryStore) AdvanceSession(ctx context.Context, a Advance) (*Session, Outcome, error) {
	if err := ctx.Err(); err != nil {
		return nil, NotFound, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(a.Now)
	ms := m.sessions[a.ID]
	if ms == nil || !a.Now.Before(ms.s.Expires) || ms.s.Subject != a.Subject {
		return nil, NotFound, nil
	}
	switch {
	case a.Generation == ms.s.Generation:
		ms.s.Generation++
		ms.s.Refreshed = a.Now
		ms.s.Expires = minTime(a.Now.Add(a.Idle), ms.s.Deadline)
		if a.Claims != nil {
			ms.s.Claims = slices.Clone(a.Claims)
		}
		heap.Fix(&m.expiry, ms.idx)
		return ms.copy(), Advanced, nil
	case a.Generation+1 == ms.s.Generation && a.Grace > 0 && !a.Now.After(ms.s.Refreshed.Add(a.Grace)):
		return ms.copy(), InGrace, nil
	}
	m.removeSession(ms, a.Now)
	return nil, Reused, nil
}

// EndSession implements [Store].
func (m *MemoryStore) EndSession(ctx context.Context, id, subject string, now time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	ms := m.sessions[id]
	if ms == nil || (subject != "" && ms.s.Subject != subject) {
		return false, nil
	}
	live := now.Before(ms.s.Expires)
	m.removeSession(ms, now)
	return live, nil
}

// RevokeSubject implements [Store].
func (m *MemoryStore) RevokeSubject(ctx context.Context, subject string, now, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	u := m.subject(subject)
	for len(u.sessions) > 0 {
		m.removeSession(u.sessions[0], now)
	}
	u = m.subject(subject) // removeSession may have dropped it
	m.revokeBefore(u, now, until)
	return nil
}

// revokeBefore revokes u's sessionless tokens issued at or before now. The
// jti entries are then moot: those tokens were issued before now.
func (m *MemoryStore) revokeBefore(u *memSubject, now, until time.Time) {
	if now.After(u.before) {
		u.before = now
	}
	u.beforeUntil = maxTime(u.beforeUntil, until)
	for id, t := range u.revoked {
		if !t.After(u.beforeUntil) {
			delete(u.revoked, id)
		}
	}
	m.extend(u, until)
}

// RevokeToken implements [Store].
func (m *MemoryStore) RevokeToken(ctx context.Context, subject, id string, now, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(now)
	u := m.subject(subject)
	for jti, t := range u.revoked {
		if !now.Before(t) {
			delete(u.revoked, jti)
		}
	}
	if _, ok := u.revoked[id]; !ok && len(u.revoked) >= MaxRevokedTokens {
		m.revokeBefore(u, now, until)
		return nil
	}
	if u.revoked == nil {
		u.revoked = make(map[string]time.Time)
	}
	u.revoked[id] = maxTime(u.revoked[id], until)
	m.extend(u, until)
	return nil
}

// Sessions implements [Store].
func (m *MemoryStore) Sessions(ctx context.Context, subject string, now time.Time) ([]Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	u := m.subjects[subject]
	if u == nil {
		return nil, nil
	}
	out := make([]Session, 0, len(u.sessions))
	for _, ms := range u.sessions {
		if now.Before(ms.s.Expires) {
			out = append(out, *ms.copy())
		}
	}
	return out, nil
}

// subject returns u's record, made if need be. m.mu is held.
func (m *MemoryStore) subject(name string) *memSubject {
	u := m.subjects[name]
	if u == nil {
		u = &memSubject{name: name, idx: -1}
		m.subjects[name] = u
	}
	return u
}

// extend makes u last until at least t; a subject without sessions waits in
// m.forget until then. m.mu is held.
func (m *MemoryStore) extend(u *memSubject, t time.Time) {
	u.until = maxTime(u.until, t)
	switch {
	case len(u.sessions) > 0:
	case u.idx >= 0:
		heap.Fix(&m.forget, u.idx)
	default:
		heap.Push(&m.forget, u)
	}
}

// removeSession drops ms, and its subject's record when nothing is left of
// it. m.mu is held.
func (m *MemoryStore) removeSession(ms *memSession, now time.Time) {
	delete(m.sessions, ms.s.ID)
	heap.Remove(&m.expiry, ms.idx)
	u := m.subjects[ms.s.Subject]
	if u == nil {
		return
	}
	if i := slices.Index(u.sessions, ms); i >= 0 {
		u.sessions = slices.Delete(u.sessions, i, i+1)
	}
	if len(u.sessions) > 0 {
		return
	}
	if now.Before(u.until) {
		m.extend(u, u.until)
	} else {
		delete(m.subjects, u.name)
	}
}

// expire drops the sessions and subjects whose time has passed. Each is
// dropped once, so the work is O(log n) per record over its life. m.mu is
// held.
func (m *MemoryStore) expire(now time.Time) {
	for m.expiry.Len() > 0 {
		ms := m.expiry.items[0].(*memSession)
		if now.Before(ms.s.Expires) {
			break
		}
		m.removeSession(ms, now)
	}
	for m.forget.Len() > 0 {
		u := m.forget.items[0].(*memSubject)
		if now.Before(u.until) {
			break
		}
		heap.Pop(&m.forget)
		if len(u.sessions) == 0 {
			delete(m.subjects, u.name)
		}
	}
}

// timeHeap is a min-heap of records by time, each knowing its index.
type timeHeap struct{ items []timed }

type timed interface {
	at() time.Time
	index() *int
}

func (h *timeHeap) Len() int           { return len(h.items) }
func (h *timeHeap) Less(i, j int) bool { return h.items[i].at().Before(h.items[j].at()) }
func (h *timeHeap) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	*h.items[i].index() = i
	*h.items[j].index() = j
}
func (h *timeHeap) Push(x any) {
	t := x.(timed)
	*t.index() = len(h.items)
	h.items = append(h.items, t)
}
func (h *timeHeap) Pop() any {
	t := h.items[len(h.items)-1]
	h.items[len(h.items)-1] = nil
	h.items = h.items[:len(h.items)-1]
	*t.index() = -1
	return t
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
