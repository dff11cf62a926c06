package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth/issuer"
)

// KeyStoreHarness is how [RunKeyStore] makes key stores.
type KeyStoreHarness struct {
	// New returns an empty key store; every test gets its own. Required.
	New func(t *testing.T) issuer.KeyStore
}

// testJWK is a public JWK (a P-256 key); the suite only stores it.
const testJWK = `{"crv":"P-256","kty":"EC","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`

func pubKey(id string, now time.Time) issuer.PublicKey {
	return issuer.PublicKey{ID: id, Use: issuer.UseAccess, Algorithm: "ES256", Issuer: "https://iss",
		JWK: []byte(testJWK), NotBefore: now, Expires: now.Add(time.Hour)}
}

// RunKeyStore runs the conformance suite of an [issuer.KeyStore]: records
// read back as written, extended but never shortened, refused when they
// conflict, dropped when they expire by the caller's clock, at most
// [issuer.MaxPublicKeys] of them, and calls bounded by their context.
//
//	func TestKeyStore(t *testing.T) {
//		storetest.RunKeyStore(t, storetest.KeyStoreHarness{
//			New: func(t *testing.T) issuer.KeyStore { return newStore(t) },
//		})
//	}
func RunKeyStore(t *testing.T, h KeyStoreHarness) {
	if h.New == nil {
		t.Fatal("storetest: KeyStoreHarness.New is required")
	}
	now := Base
	read := func(t *testing.T, ks issuer.KeyStore, at time.Time) []issuer.PublicKey {
		t.Helper()
		recs, err := ks.PublicKeys(t.Context(), at)
		if err != nil {
			t.Fatalf("PublicKeys: %v", err)
		}
		return recs
	}
	publish := func(t *testing.T, ks issuer.KeyStore, k issuer.PublicKey, at time.Time) {
		t.Helper()
		if err := ks.PublishKey(t.Context(), k, at); err != nil {
			t.Fatalf("PublishKey(%s): %v", k.ID, err)
		}
	}

	t.Run("RoundTrip", func(t *testing.T) {
		ks := h.New(t)
		k := pubKey("kid-a", now)
		r := pubKey("kid-b", now)
		r.Use, r.Algorithm = issuer.UseRefresh, "EdDSA"
		publish(t, ks, k, now)
		publish(t, ks, r, now)
		recs := read(t, ks, now)
		if len(recs) != 2 {
			t.Fatalf("%d records, want 2", len(recs))
		}
		for _, want := range []issuer.PublicKey{k, r} {
			found := false
			for _, g := range recs {
				if g.ID == want.ID && g.Use == want.Use && g.Algorithm == want.Algorithm && g.Issuer == want.Issuer &&
					string(g.JWK) == string(want.JWK) && g.NotBefore.Equal(want.NotBefore) && g.Expires.Equal(want.Expires) {
					found = true
				}
			}
			if !found {
				t.Fatalf("record %s not read back as written: %+v", want.ID, recs)
			}
		}
	})

	t.Run("ExtendNeverShorten", func(t *testing.T) {
		ks := h.New(t)
		k := pubKey("kid", now)
		publish(t, ks, k, now)
		k.Expires = now.Add(3 * time.Hour)
		publish(t, ks, k, now)
		k.Expires = now.Add(2 * time.Hour)
		publish(t, ks, k, now)
		recs := read(t, ks, now.Add(150*time.Minute))
		if len(recs) != 1 || !recs[0].Expires.Equal(now.Add(3*time.Hour)) {
			t.Fatalf("records %+v: want one, expiring at the latest Expires published", recs)
		}
	})

	t.Run("Conflict", func(t *testing.T) {
		ks := h.New(t)
		k := pubKey("kid", now)
		publish(t, ks, k, now)
		for name, f := range map[string]func(*issuer.PublicKey){
			"Algorithm": func(p *issuer.PublicKey) { p.Algorithm = "ES384" },
			"JWK":       func(p *issuer.PublicKey) { p.JWK = []byte(`{"kty":"EC"}`) },
			"Issuer":    func(p *issuer.PublicKey) { p.Issuer = "https://other" },
			"NotBefore": func(p *issuer.PublicKey) { p.NotBefore = now.Add(-time.Minute) },
		} {
			o := k
			f(&o)
			if err := ks.PublishKey(t.Context(), o, now); err == nil {
				t.Errorf("a record of the same kid with another %s was accepted", name)
			}
		}
		recs := read(t, ks, now)
		if len(recs) != 1 || recs[0].Algorithm != "ES256" || string(recs[0].JWK) != testJWK {
			t.Fatalf("records after conflicts: %+v", recs)
		}
		// The same kid for the other use is another record.
		r := k
		r.Use = issuer.UseRefresh
		publish(t, ks, r, now)
		if n := len(read(t, ks, now)); n != 2 {
			t.Fatalf("%d records, want 2", n)
		}
	})

	t.Run("Expiry", func(t *testing.T) {
		ks := h.New(t)
		publish(t, ks, pubKey("old", now), now)
		if n := len(read(t, ks, now.Add(time.Hour))); n != 0 {
			t.Fatalf("%d records read at their Expires", n)
		}
		if n := len(read(t, ks, now.Add(time.Hour-time.Millisecond))); n != 1 {
			t.Fatalf("%d records read a millisecond before their Expires", n)
		}
		expired := pubKey("expired", now)
		expired.Expires = now.Add(-time.Second)
		expired.NotBefore = now.Add(-time.Hour)
		if err := ks.PublishKey(t.Context(), expired, now); err != nil {
			t.Fatalf("PublishKey of an expired record: %v", err)
		}
		if n := len(read(t, ks, now)); n != 1 {
			t.Fatalf("%d records: an expired one was recorded", n)
		}
	})

	t.Run("Bounded", func(t *testing.T) {
		ks := h.New(t)
		for n := range issuer.MaxPublicKeys {
			publish(t, ks, pubKey(fmt.Sprintf("k%d", n), now), now)
		}
		if err := ks.PublishKey(t.Context(), pubKey("more", now), now); !errors.Is(err, issuer.ErrKeyStoreFull) {
			t.Fatalf("record %d: %v, want ErrKeyStoreFull", issuer.MaxPublicKeys+1, err)
		}
		// A heartbeat at the cap still extends.
		k := pubKey("k3", now)
		k.Expires = now.Add(2 * time.Hour)
		publish(t, ks, k, now)
		// Expired records make room.
		later := now.Add(90 * time.Minute)
		publish(t, ks, pubKey("after", later), later)
		if n := len(read(t, ks, later)); n != 2 {
			t.Fatalf("%d records, want 2", n)
		}
	})

	t.Run("Context", func(t *testing.T) {
		ks := h.New(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := ks.PublishKey(ctx, pubKey("kid", now), now); err == nil {
			t.Error("PublishKey with a canceled context succeeded")
		}
		if _, err := ks.PublicKeys(ctx, now); err == nil {
			t.Error("PublicKeys with a canceled context succeeded")
		}
	})
}
