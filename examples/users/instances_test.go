package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authkit-go/authkit/examples/internal/logbuf"
	"github.com/authkit-go/authkit/examples/users/accounts"
	"github.com/authkit-go/authkit/jwtauth/redisstore"
	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
)

// raceRefresh presents one refresh token to a and b at once and returns the
// two statuses, a's first.
func raceRefresh(t *testing.T, a, b *testServer, refreshToken string) [2]int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"refresh_token": refreshToken})
	var reqs [2]*http.Request
	for i, s := range []*testServer{a, b} {
		req, err := http.NewRequest("POST", s.URL+"/auth/refresh", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", jsonType)
		reqs[i] = req
	}
	var statuses [2]int
	var errs [2]error
	start := make(chan struct{})
	done := make(chan struct{})
	for i := range 2 {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			res, err := http.DefaultClient.Do(reqs[i])
			if err != nil {
				errs[i] = err
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			statuses[i] = res.StatusCode
		}()
	}
	close(start)
	<-done
	<-done
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return statuses
}

// Two instances of the command on one database and one Redis share the
// sessions: a login on A refreshes on B, B lists it, a logout-all on A
// holds on B, and of two refreshes of one refresh token at once, one on
// each, exactly one succeeds.
func TestRunSharedSessions(t *testing.T) {
	redisSrv := redistest.Start(t)
	dbPath := filepath.Join(t.TempDir(), "users.db")
	env := map[string]string{"JWT_SECRET": string(testSecret)}
	args := []string{"-db", dbPath, "-redis-addr", redisSrv.Addr()}
	var logs logbuf.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	urlA, _ := runCommand(t, args, env, logger)
	urlB, _ := runCommand(t, args, env, logger)
	a, b := &testServer{URL: urlA}, &testServer{URL: urlB}

	a.registerID(t, "judy", "judy's password")
	onA := pair(t, a.tokenFrom(t, "judy", "judy's password", "Judy's laptop"))
	onB := pair(t, b.refresh(t, onA.RefreshToken))
	b.wantHello(t, "B serves the refreshed token", onB.AccessToken, "judy")
	list := b.listSessions(t, onB.AccessToken)
	if len(list) != 1 || list[0].ID != sid(t, onA.AccessToken) || list[0].Device != "Judy's laptop" || !list[0].Current {
		t.Errorf("B lists %+v", list)
	}
	other := pair(t, b.token(t, "judy", "judy's password"))
	if list := a.listSessions(t, onB.AccessToken); len(list) != 2 {
		t.Errorf("A lists %d sessions after a login on B, want 2", len(list))
	}

	wantStatus(t, "logout-all on A", a.logoutAll(t, onB.AccessToken), http.StatusNoContent, "")
	// B answers revocation checks from its near cache, which honours a
	// revocation made on another instance within MaxLag of its completion
	// (redisstore's guarantee): any request that starts later sees it.
	time.Sleep(redisstore.DefaultNearCacheMaxLag)
	for _, tk := range []tokens{onB, other} {
		b.wantSessionDead(t, "on B after logout-all on A", tk)
		a.wantSessionDead(t, "on A after logout-all on A", tk)
	}

	// One refresh token on both at once: one wins, the other is a reuse.
	for i := range 10 {
		tk := pair(t, a.token(t, "judy", "judy's password"))
		got := raceRefresh(t, a, b, tk.RefreshToken)
		slices.Sort(got[:])
		if got != [2]int{http.StatusOK, http.StatusUnauthorized} {
			t.Errorf("round %d: concurrent refreshes on A and B: %v, want one 200 and one 401", i, got)
		}
	}
	for _, secret := range []string{onA.AccessToken, onA.RefreshToken, onB.RefreshToken, "judy's password", string(testSecret)} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log contains %.10s…", secret)
		}
	}
}

// With RefreshGrace, two instances that get the same refresh token at once
// both answer with the session's tokens: two tabs refreshing together are
// no reuse.
func TestSharedSessionsGrace(t *testing.T) {
	redisSrv := redistest.Start(t)
	client := redisSrv.Client(t)
	path := filepath.Join(t.TempDir(), "users.db")
	var inst [2]*testServer
	for i := range inst {
		store, err := redisstore.New(t.Context(), client, redisstore.Options{Prefix: "grace-test:"})
		if err != nil {
			t.Fatal(err)
		}
		inst[i] = serveDB(t, path, accounts.Config{Hasher: cheap(), Store: store, RefreshGrace: 10 * time.Second,
			RefreshSecret: []byte("the refresh secret of this test, 32 bytes or more")})
	}
	a, b := inst[0], inst[1]
	a.registerID(t, "kim", "kim's password")
	for i := range 5 {
		tk := pair(t, b.token(t, "kim", "kim's password"))
		if got := raceRefresh(t, a, b, tk.RefreshToken); got != [2]int{http.StatusOK, http.StatusOK} {
			t.Errorf("round %d: concurrent refreshes with grace: %v, want two 200", i, got)
		}
	}
}
