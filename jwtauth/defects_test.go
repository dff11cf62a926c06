package jwtauth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"log/slog"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// A fetched RSA key without alg gets RemoteOptions.Algorithm; when jwx
// refuses to set it, the key is skipped and the reason logged, rather than
// the error dropped. Remote validates Algorithm, so the refusal is forced
// here with a RemoteKeys made by hand.
func TestRemoteConvertSetAlgFails(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	noAlg, err := jwk.Import(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := noAlg.Set(jwk.KeyIDKey, "rsa-no-alg"); err != nil {
		t.Fatal(err)
	}
	ec, err := jwk.Import(&ecKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := ec.Set(jwk.KeyIDKey, "ec"); err != nil {
		t.Fatal(err)
	}
	src := jwk.NewSet()
	for _, k := range []jwk.Key{noAlg, ec} {
		if err := src.AddKey(k); err != nil {
			t.Fatal(err)
		}
	}

	var log bytes.Buffer
	r := &RemoteKeys{url: "https://idp.example/jwks", opts: RemoteOptions{
		Algorithm: "not-an-algorithm",
		Logger:    slog.New(slog.NewTextHandler(&log, nil)),
	}}
	set, n := r.convert(src)
	if n != 1 {
		t.Fatal("no keys; want the EC key")
	}
	if _, err := set.findByKID("ES256", "ec"); err != nil {
		t.Errorf("EC key: %v", err)
	}
	if _, err := set.findByKID("RS256", "rsa-no-alg"); err == nil {
		t.Error("the RSA key whose alg could not be set is in the set")
	}
	if !strings.Contains(log.String(), "cannot set alg") {
		t.Errorf("skip not logged with its reason: %q", log.String())
	}
}
