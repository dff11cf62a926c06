package main

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/examples/users/accounts"
	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// flakyStore is a MemoryStore that fails while failing is set, with an
// error whose text must never reach a response.
type flakyStore struct {
	*issuer.MemoryStore
	failing atomic.Bool
}

var errFlaky = errors.New("flaky store: redis 10.1.2.3:6379 said NOAUTH")

func (f *flakyStore) err() error {
	if f.failing.Load() {
		return errFlaky
	}
	return nil
}

func (f *flakyStore) Revoked(ctx context.Context, t jwtauth.TokenRef) (bool, error) {
	if err := f.err(); err != nil {
		return false, err
	}
	return f.MemoryStore.Revoked(ctx, t)
}

func (f *flakyStore) CreateSession(ctx context.Context, s *issuer.Session, max int, now time.Time) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.MemoryStore.CreateSession(ctx, s, max, now)
}

func (f *flakyStore) Session(ctx context.Context, id string, now time.Time) (*issuer.Session, error) {
	if err := f.err(); err != nil {
		return nil, err
	}
	return f.MemoryStore.Session(ctx, id, now)
}

func (f *flakyStore) AdvanceSession(ctx context.Context, a issuer.Advance) (*issuer.Session, issuer.Outcome, error) {
	if err := f.err(); err != nil {
		return nil, issuer.NotFound, err
	}
	return f.MemoryStore.AdvanceSession(ctx, a)
}

func (f *flakyStore) EndSession(ctx context.Context, id, subject string, now time.Time) (bool, error) {
	if err := f.err(); err != nil {
		return false, err
	}
	return f.MemoryStore.EndSession(ctx, id, subject, now)
}

func (f *flakyStore) RevokeSubject(ctx context.Context, subject string, now, until time.Time) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.MemoryStore.RevokeSubject(ctx, subject, now, until)
}

func (f *flakyStore) Sessions(ctx context.Context, subject string, now time.Time) ([]issuer.Session, error) {
	if err := f.err(); err != nil {
		return nil, err
	}
	return f.MemoryStore.Sessions(ctx, subject, now)
}

// Store errors: a full store gives 503 with Retry-After to a login and
// never stops a logout; a failing store gives 500. Both with fixed text.
func TestStoreErrors(t *testing.T) {
	t.Run("full", func(t *testing.T) {
		s := newTestServer(t, accounts.Config{Hasher: cheap(), Store: issuer.NewMemoryStore(2)})
		s.registerID(t, "alice", "alice's password")
		s.registerID(t, "bob", "bob's password")
		a1 := pair(t, s.token(t, "alice", "alice's password"))
		pair(t, s.token(t, "alice", "alice's password"))
		r := s.token(t, "bob", "bob's password")
		wantStatus(t, "login with the store full", r, http.StatusServiceUnavailable, "temporarily_unavailable")
		if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n < 1 {
			t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
		}
		if got := r.json(t)["error_description"]; got != "no room for another session now; retry later" {
			t.Errorf("description %q", got)
		}
		wantStatus(t, "logout with the store full", s.logout(t, a1.AccessToken), http.StatusNoContent, "")
		pair(t, s.token(t, "bob", "bob's password")) // room again
	})
	t.Run("failing", func(t *testing.T) {
		store := &flakyStore{MemoryStore: issuer.NewMemoryStore(0)}
		s := newTestServer(t, accounts.Config{Hasher: cheap(), Store: store})
		s.registerID(t, "alice", "alice's password")
		tk := pair(t, s.token(t, "alice", "alice's password"))
		store.failing.Store(true)
		for name, r := range map[string]response{
			"login":   s.token(t, "alice", "alice's password"),
			"refresh": s.refresh(t, tk.RefreshToken),
			// A protected route: the middleware fails closed.
			"secure-data": s.secureData(t, tk.AccessToken),
			"sessions":    s.sessions(t, tk.AccessToken),
		} {
			if r.status != http.StatusInternalServerError {
				t.Errorf("%s with the store failing: %d %s", name, r.status, r.body)
			}
			wantNoLeak(t, name, r.body, errFlaky.Error(), "flaky", "10.1.2.3", "NOAUTH", "issuer:", "jwtauth:")
		}
		store.failing.Store(false)
		pair(t, s.refresh(t, tk.RefreshToken)) // nothing was lost
	})
}
