package redisstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/authkit-go/authkit/jwtauth/issuer/storetest"
	"github.com/authkit-go/authkit/jwtauth/redisstore/redistest"
)

// BenchmarkRedisStore measures each operation against a real redis-server
// on the loopback interface: one round trip each, so mostly the network and
// go-redis. Run with -benchmem.
func BenchmarkRedisStore(b *testing.B) {
	c := redistest.Start(b).Client(b)
	ctx, now := context.Background(), storetest.Base

	b.Run("Login", func(b *testing.B) {
		st := newStore(b, c)
		for i := 0; b.Loop(); i++ {
			// 10000 subjects, each with a few sessions.
			if err := st.CreateSession(ctx, session(fmt.Sprint("user", i%10000), now), 32, now); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("LoginAtCap", func(b *testing.B) {
		st := newStore(b, c)
		for range 32 {
			if err := st.CreateSession(ctx, session("alice", now), 32, now); err != nil {
				b.Fatal(err)
			}
		}
		for b.Loop() {
			// A subject at its cap of 32: each login reads its sessions
			// and ends the oldest.
			if err := st.CreateSession(ctx, session("alice", now), 32, now); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("Refresh", func(b *testing.B) {
		st := newStore(b, c)
		s := session("alice", now)
		if err := st.CreateSession(ctx, s, 32, now); err != nil {
			b.Fatal(err)
		}
		gen := uint64(1)
		for b.Loop() {
			_, out, err := st.AdvanceSession(ctx, issuer.Advance{ID: s.ID, Subject: s.Subject, Generation: gen, Now: now, Idle: time.Hour})
			if err != nil || out != issuer.Advanced {
				b.Fatal(out, err)
			}
			gen++
		}
	})

	b.Run("Logout", func(b *testing.B) {
		st := newStore(b, c)
		// Sessions to end, made ahead; each subject has 8.
		ss := make([]*issuer.Session, 0, 1<<16)
		next := 0
		fill := func() {
			ss, next = ss[:0], 0
			for k := range cap(ss) / 64 {
				s := session(fmt.Sprint("user", k%(cap(ss)/512)), now)
				if err := st.CreateSession(ctx, s, 1024, now); err != nil {
					b.Fatal(err)
				}
				ss = append(ss, s)
			}
		}
		fill()
		for b.Loop() {
			if next == len(ss) {
				b.StopTimer()
				fill()
				b.StartTimer()
			}
			s := ss[next]
			next++
			if ended, err := st.EndSession(ctx, s.ID, s.Subject, now); err != nil || !ended {
				b.Fatal(ended, err)
			}
		}
	})

	b.Run("RevokeSubject", func(b *testing.B) {
		st := newStore(b, c)
		for i := 0; b.Loop(); i++ {
			if err := st.RevokeSubject(ctx, fmt.Sprint("user", i%1000), now, now.Add(time.Hour)); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("Revoked", func(b *testing.B) {
		st := newStore(b, c)
		s := session("alice", now)
		if err := st.CreateSession(ctx, s, 32, now); err != nil {
			b.Fatal(err)
		}
		ref := jwtauth.TokenRef{ID: "jti", Session: s.ID, Subject: s.Subject, IssuedAt: now, Now: now}
		for b.Loop() {
			if revoked, err := st.Revoked(ctx, ref); err != nil || revoked {
				b.Fatal(revoked, err)
			}
		}
	})

	b.Run("RevokedSessionless", func(b *testing.B) {
		st := newStore(b, c)
		if err := st.RevokeToken(ctx, "alice", "other", now, now.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
		ref := jwtauth.TokenRef{ID: "jti", Subject: "alice", IssuedAt: now, Now: now}
		for b.Loop() {
			if revoked, err := st.Revoked(ctx, ref); err != nil || revoked {
				b.Fatal(revoked, err)
			}
		}
	})

	b.Run("RevokedParallel", func(b *testing.B) {
		st := newStore(b, c)
		s := session("alice", now)
		if err := st.CreateSession(ctx, s, 32, now); err != nil {
			b.Fatal(err)
		}
		ref := jwtauth.TokenRef{ID: "jti", Session: s.ID, Subject: s.Subject, IssuedAt: now, Now: now}
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if revoked, err := st.Revoked(ctx, ref); err != nil || revoked {
					b.Error(revoked, err)
					return
				}
			}
		})
	})
}
