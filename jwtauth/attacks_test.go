package jwtauth_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha256"
	_ "crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwe"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// The attacks of ../SECURITY.md §4, one row per attack, forged at run time
// with keys made fresh for this test binary: the checks hold for any key,
// not only for the keys of testdata/. Each row names the verifier it is sent
// to and the one error the pipeline must give for it.
//
// The helpers here (keys, verifiers, token forging, the attack and control
// tables) are shared with differential_test.go and fuzz_test.go. Their names
// start with "sec" so they cannot collide with other test files.

// secNow is the fixed clock of every verifier in these tests.
var secNow = time.Unix(1_800_000_000, 0)

func secClock() time.Time { return secNow }

const (
	secFar  = 4102444800           // exp of valid tokens: 2100-01-01
	secPast = 1_800_000_000 - 3600 // an hour before secNow
	secIss  = "https://issuer.example"
	secAud  = "api://orders"
)

// secKeys are the keys of one test binary, made once: RSA key generation is
// slow under -race.
type secKeys struct {
	hs256, hs384, hs512 []byte
	hs256b              []byte // a second HS256 secret in the JWK Set
	rsa, rsaAttacker    *rsa.PrivateKey
	p256, p256Attacker  *ecdsa.PrivateKey
	p256b               *ecdsa.PrivateKey // a second ES256 key in the JWK Set
	p384, p521          *ecdsa.PrivateKey
	ed, edAttacker      ed25519.PrivateKey
}

var secTestKeys = sync.OnceValue(func() *secKeys {
	k := &secKeys{hs256: secRandom(32), hs384: secRandom(48), hs512: secRandom(64), hs256b: secRandom(32)}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); k.rsa = secMust(rsa.GenerateKey(rand.Reader, 2048)) }()
	go func() { defer wg.Done(); k.rsaAttacker = secMust(rsa.GenerateKey(rand.Reader, 2048)) }()
	k.p256 = secMust(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	k.p256Attacker = secMust(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	k.p256b = secMust(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	k.p384 = secMust(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))
	k.p521 = secMust(ecdsa.GenerateKey(elliptic.P521(), rand.Reader))
	_, k.ed = secMust2(ed25519.GenerateKey(rand.Reader))
	_, k.edAttacker = secMust2(ed25519.GenerateKey(rand.Reader))
	wg.Wait()
	return k
})

func secRandom(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

func secMust[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func secMust2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

// secVerifier is one verifier configuration, as a Middleware and as the
// options of jwx's jwt.Parse that express the same policy (for
// differential_test.go).
type secVerifier struct {
	name string
	cfg  jwtauth.Config
	alg  string  // jwx: jwt.WithKey(alg, key); "" when set is used
	key  any     // the verification key for jwx
	set  jwk.Set // jwx: jwt.WithKeySet(set), for a JWK Set config
	mw   *jwtauth.Middleware
}

// maxSize is the effective Config.MaxTokenSize.
func (v *secVerifier) maxSize() int {
	if v.cfg.MaxTokenSize == 0 {
		return 8192
	}
	return v.cfg.MaxTokenSize
}

// jwxParse verifies and validates tok with jwx under the verifier's policy.
func (v *secVerifier) jwxParse(tok string) (jwt.Token, error) {
	opts := []jwt.ParseOption{
		jwt.WithValidate(true),
		jwt.WithAcceptableSkew(v.cfg.Leeway),
		jwt.WithClock(jwt.ClockFunc(secClock)),
		jwt.WithRequiredClaim("exp"),
	}
	if v.set != nil {
		// Our JWK Sets select a key without a kid when it is the one key
		// of its alg; jwx needs WithRequireKid(false) to try them.
		opts = append(opts, jwt.WithKeySet(v.set, jws.WithRequireKid(false)))
	} else {
		alg, ok := jwa.LookupSignatureAlgorithm(v.alg)
		if !ok {
			panic("unknown alg " + v.alg)
		}
		opts = append(opts, jwt.WithKey(alg, v.key))
	}
	if v.cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.cfg.Issuer))
	}
	if v.cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(v.cfg.Audience))
	}
	for _, c := range v.cfg.RequiredClaims {
		opts = append(opts, jwt.WithRequiredClaim(c))
	}
	return jwt.Parse([]byte(tok), opts...)
}

// secFixture holds the verifiers every test here shares.
type secFixture struct {
	k    *secKeys
	v    map[string]*secVerifier
	jwks []byte // the JWK Set of the "jwks" verifier
	// rsaShortSig is a valid RS256 token whose signature starts with 0x00
	// (found by trying), for the stripped-leading-zero row.
	rsaZeroLead func() (input string, sig []byte)
	// esShortSig is the same for ES256: R starts with 0x00.
	esZeroLead func() (input string, sig []byte)
}

var secFix = sync.OnceValue(func() *secFixture {
	k := secTestKeys()
	f := &secFixture{k: k, v: map[string]*secVerifier{}}

	set := jwk.NewSet()
	addJWK := func(raw any, kid, alg, use string) {
		jk := secMust(jwk.Import(raw))
		for name, val := range map[string]any{jwk.KeyIDKey: kid, jwk.AlgorithmKey: alg, jwk.KeyUsageKey: use} {
			if val != "" {
				if err := jk.Set(name, val); err != nil {
					panic(err)
				}
			}
		}
		if err := set.AddKey(jk); err != nil {
			panic(err)
		}
	}
	addJWK(&k.rsa.PublicKey, "rsa-1", "RS256", "sig")
	addJWK(&k.p256.PublicKey, "ec-1", "ES256", "sig")
	addJWK(k.ed.Public(), "ed-1", "EdDSA", "sig")
	addJWK(k.hs256, "hs-1", "HS256", "sig")
	addJWK(&k.p256b.PublicKey, "ec-2", "ES256", "sig")
	addJWK(k.hs256b, "hs-2", "HS256", "")
	f.jwks = secMust(json.Marshal(set))

	add := func(name string, cfg jwtauth.Config, alg string, key any) {
		cfg.Now = secClock
		v := &secVerifier{name: name, cfg: cfg, alg: alg, key: key}
		if alg == "" {
			v.set = secMust(jwk.Parse(f.jwks))
		}
		m, err := jwtauth.New(cfg)
		if err != nil {
			panic(fmt.Sprintf("verifier %s: %v", name, err))
		}
		v.mw = m
		f.v[name] = v
	}
	add("hs", jwtauth.Config{Keys: jwtauth.HMAC(k.hs256)}, "HS256", k.hs256)
	add("hs384", jwtauth.Config{Keys: jwtauth.SecretKey("HS384", k.hs384)}, "HS384", k.hs384)
	add("hs512", jwtauth.Config{Keys: jwtauth.SecretKey("HS512", k.hs512)}, "HS512", k.hs512)
	add("rs", jwtauth.Config{Keys: jwtauth.PublicKey("RS256", &k.rsa.PublicKey)}, "RS256", &k.rsa.PublicKey)
	add("ps", jwtauth.Config{Keys: jwtauth.PublicKey("PS256", &k.rsa.PublicKey)}, "PS256", &k.rsa.PublicKey)
	add("es", jwtauth.Config{Keys: jwtauth.PublicKey("ES256", &k.p256.PublicKey)}, "ES256", &k.p256.PublicKey)
	add("ed", jwtauth.Config{Keys: jwtauth.PublicKey("EdDSA", k.ed.Public())}, "EdDSA", k.ed.Public())
	add("jwks", jwtauth.Config{Keys: jwtauth.KeySet(f.jwks)}, "", nil)
	add("hsIssAud", jwtauth.Config{Keys: jwtauth.HMAC(k.hs256), Issuer: secIss, Audience: secAud}, "HS256", k.hs256)
	add("hsLeeway", jwtauth.Config{Keys: jwtauth.HMAC(k.hs256), Leeway: 30 * time.Second}, "HS256", k.hs256)
	add("hsBig", jwtauth.Config{Keys: jwtauth.HMAC(k.hs256), MaxTokenSize: 64 << 10}, "HS256", k.hs256)
	add("hsAt", jwtauth.Config{Keys: jwtauth.HMAC(k.hs256), Type: "at+jwt"}, "HS256", k.hs256)
	add("hsRT", jwtauth.Config{Keys: jwtauth.HMAC(k.hs256), Type: "refresh+jwt"}, "HS256", k.hs256)
	add("hsReq", jwtauth.Config{Keys: jwtauth.HMAC(k.hs256), RequiredClaims: []string{"sub", "jti"}}, "HS256", k.hs256)
	add("hsAnyAud", jwtauth.Config{Keys: jwtauth.HMAC(k.hs256), InsecureAnyAudience: true}, "HS256", k.hs256)

	f.rsaZeroLead = sync.OnceValues(func() (string, []byte) {
		for i := 0; ; i++ {
			in := secB64(`{"alg":"RS256","typ":"JWT"}`) + "." + secB64(secClaims(`,"jti":"`+strconv.Itoa(i)+`"`))
			sig := secSign("RS256", k.rsa, []byte(in))
			if sig[0] == 0 {
				return in, sig
			}
		}
	})
	f.esZeroLead = sync.OnceValues(func() (string, []byte) {
		in := secB64(`{"alg":"ES256","typ":"JWT"}`) + "." + secB64(secClaims(""))
		for {
			if sig := secSign("ES256", k.p256, []byte(in)); sig[0] == 0 {
				return in, sig
			}
		}
	})
	return f
})

// secHash is the hash of a JWS algorithm.
func secHash(alg string) crypto.Hash {
	switch alg[len(alg)-3:] {
	case "256":
		return crypto.SHA256
	case "384":
		return crypto.SHA384
	case "512":
		return crypto.SHA512
	}
	return 0
}

// secSign signs input as alg does, with the standard library only, so that the
// forgeries do not depend on the code under test or on jwx. alg only chooses
// the primitive and the hash; the key may be of any size or curve (ES384 with
// a P-256 key is one of the attacks).
func secSign(alg string, key any, input []byte) []byte {
	h := secHash(alg)
	var digest []byte
	if h != 0 {
		d := h.New()
		d.Write(input)
		digest = d.Sum(nil)
	}
	switch alg[:2] {
	case "HS":
		m := hmac.New(h.New, key.([]byte))
		m.Write(input)
		return m.Sum(nil)
	case "RS":
		return secMust(rsa.SignPKCS1v15(nil, key.(*rsa.PrivateKey), h, digest))
	case "PS":
		return secMust(rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), h, digest, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}))
	case "ES":
		k := key.(*ecdsa.PrivateKey)
		r, s := secMust2(ecdsa.Sign(rand.Reader, k, digest))
		size := (k.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out
	case "Ed":
		return ed25519.Sign(key.(ed25519.PrivateKey), input)
	}
	panic("secSign: " + alg)
}

func secB64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func secB64Bytes(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// secSigned appends a signature over input, a signing input h64.p64 taken
// as is (it may be deliberately mis-encoded).
func secSigned(input, alg string, key any) string {
	return input + "." + secB64Bytes(secSign(alg, key, []byte(input)))
}

// secJWT makes a compact JWS of the exact JSON texts hdr and payload.
func secJWT(hdr, payload, alg string, key any) string {
	return secSigned(secB64(hdr)+"."+secB64(payload), alg, key)
}

// secClaims is a valid claims set with extra members appended.
func secClaims(extra string) string {
	return `{"sub":"alice","exp":` + strconv.Itoa(secFar) + extra + `}`
}

// secExp is a claims set with the given raw exp value.
func secExp(raw string) string { return `{"sub":"alice","exp":` + raw + `}` }

// secHS is an HS256 token of the verifiers' secret with the given header and
// claims.
func secHS(hdr, payload string) string { return secJWT(hdr, payload, "HS256", secTestKeys().hs256) }

const secHdr = `{"alg":"HS256","typ":"JWT"}`

// secAttack is one attack: token sent to verifier v must fail with want.
type secAttack struct {
	name  string
	v     string
	token string
	want  error
}

// secValid is a control: token must be accepted by verifier v.
type secValid struct {
	name  string
	v     string
	token string
}

func secPEM(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// secAttacks builds the attack table. jku is the URL of a JWK Set serving the
// attacker's key; the verifiers must never fetch it.
func secAttacks(jku string) []secAttack {
	f := secFix()
	k := f.k
	var rows []secAttack
	add := func(name, v, token string, want error) {
		rows = append(rows, secAttack{name, v, token, want})
	}
	hs := k.hs256
	valid := secClaims("")
	p64 := secB64(valid)

	// alg=none, in every case, with and without a signature.
	for _, none := range []string{"none", "None", "NONE", "nOnE"} {
		h := `{"alg":"` + none + `","typ":"JWT"}`
		add("alg-"+none+"-empty-signature", "hs", secB64(h)+"."+p64+".", jwtauth.ErrTokenMalformed)
		add("alg-"+none+"-with-valid-hmac", "hs", secJWT(h, valid, "HS256", hs), jwtauth.ErrAlgorithm)
	}
	add("alg-none-rs-verifier", "rs", secB64(`{"alg":"none"}`)+"."+p64+".", jwtauth.ErrTokenMalformed)
	add("alg-none-es-verifier", "es", secB64(`{"alg":"none"}`)+"."+p64+".", jwtauth.ErrTokenMalformed)
	add("alg-none-junk-signature-rs", "rs", secB64(`{"alg":"none"}`)+"."+p64+".AAAA", jwtauth.ErrAlgorithm)
	add("alg-none-jwks", "jwks", secB64(`{"alg":"none","kid":"rsa-1"}`)+"."+p64+".AAAA", jwtauth.ErrAlgorithm)

	// Missing, empty, lower-case, non-string alg, each with a real-key MAC.
	add("alg-missing", "hs", secHS(`{"typ":"JWT"}`, valid), jwtauth.ErrAlgorithm)
	add("alg-empty", "hs", secHS(`{"alg":""}`, valid), jwtauth.ErrAlgorithm)
	add("alg-lowercase", "hs", secHS(`{"alg":"hs256"}`, valid), jwtauth.ErrAlgorithm)
	add("alg-case-variant-name", "hs", secHS(`{"Alg":"HS256"}`, valid), jwtauth.ErrAlgorithm)
	add("alg-number", "hs", secHS(`{"alg":256}`, valid), jwtauth.ErrAlgorithm)
	add("alg-null", "hs", secHS(`{"alg":null}`, valid), jwtauth.ErrAlgorithm)
	add("alg-array", "hs", secHS(`{"alg":["HS256"]}`, valid), jwtauth.ErrAlgorithm)
	add("alg-trailing-space", "hs", secHS(`{"alg":"HS256 "}`, valid), jwtauth.ErrAlgorithm)

	// Algorithms outside the keys, signed with the real key.
	add("hs384-with-hs256-secret", "hs", secJWT(`{"alg":"HS384"}`, valid, "HS384", hs), jwtauth.ErrAlgorithm)
	add("hs512-with-hs256-secret", "hs", secJWT(`{"alg":"HS512"}`, valid, "HS512", hs), jwtauth.ErrAlgorithm)
	add("hs256-with-hs384-secret", "hs384", secJWT(`{"alg":"HS256"}`, valid, "HS256", k.hs384), jwtauth.ErrAlgorithm)
	add("ps256-with-rs256-key", "rs", secJWT(`{"alg":"PS256"}`, valid, "PS256", k.rsa), jwtauth.ErrAlgorithm)
	add("rs512-with-rs256-key", "rs", secJWT(`{"alg":"RS512"}`, valid, "RS512", k.rsa), jwtauth.ErrAlgorithm)
	add("rs256-with-ps256-key", "ps", secJWT(`{"alg":"RS256"}`, valid, "RS256", k.rsa), jwtauth.ErrAlgorithm)
	add("es384-with-p256-key", "es", secJWT(`{"alg":"ES384"}`, valid, "ES384", k.p256), jwtauth.ErrAlgorithm)
	add("es512-with-p256-key", "es", secJWT(`{"alg":"ES512"}`, valid, "ES512", k.p256), jwtauth.ErrAlgorithm)
	add("ed25519-alg-name-with-ed-key", "ed", secJWT(`{"alg":"Ed25519"}`, valid, "EdDSA", k.ed), jwtauth.ErrAlgorithm)
	add("hs256-with-real-secret-at-rs", "rs", secJWT(secHdr, valid, "HS256", hs), jwtauth.ErrAlgorithm)
	add("rs256-kid-of-ec-key", "jwks", secJWT(`{"alg":"RS256","kid":"ec-1"}`, valid, "RS256", k.rsa), jwtauth.ErrAlgorithm)

	// HS/RS and HS/EC key confusion: HMAC keyed with the public key.
	spki := secMust(x509.MarshalPKIXPublicKey(&k.rsa.PublicKey))
	rsaPEM := secPEM("PUBLIC KEY", spki)
	jwkJSON := secMust(json.Marshal(secMust(jwk.Import(&k.rsa.PublicKey))))
	confusion := map[string][]byte{
		"spki-pem":            []byte(rsaPEM),
		"spki-pem-no-newline": []byte(strings.TrimSuffix(rsaPEM, "\n")),
		"pkcs1-pem":           []byte(secPEM("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey))),
		"spki-der":            spki,
		"pkcs1-der":           x509.MarshalPKCS1PublicKey(&k.rsa.PublicKey),
		"jwk-json":            jwkJSON,
		"modulus":             k.rsa.PublicKey.N.Bytes(),
	}
	for name, secret := range confusion {
		add("hs256-rs-confusion-"+name, "rs", secJWT(secHdr, valid, "HS256", secret), jwtauth.ErrAlgorithm)
		add("hs256-rs-confusion-jwks-kid-"+name, "jwks",
			secJWT(`{"alg":"HS256","typ":"JWT","kid":"rsa-1"}`, valid, "HS256", secret), jwtauth.ErrAlgorithm)
	}
	ecSPKI := secMust(x509.MarshalPKIXPublicKey(&k.p256.PublicKey))
	ecPEM := secPEM("PUBLIC KEY", ecSPKI)
	add("hs256-ec-confusion-pem", "es", secJWT(secHdr, valid, "HS256", []byte(ecPEM)), jwtauth.ErrAlgorithm)
	add("hs256-ec-confusion-pem-no-newline", "es", secJWT(secHdr, valid, "HS256", []byte(strings.TrimSuffix(ecPEM, "\n"))), jwtauth.ErrAlgorithm)
	add("hs256-ec-confusion-der", "es", secJWT(secHdr, valid, "HS256", ecSPKI), jwtauth.ErrAlgorithm)
	add("hs256-ec-confusion-jwks-kid", "jwks", secJWT(`{"alg":"HS256","kid":"ec-1"}`, valid, "HS256", []byte(ecPEM)), jwtauth.ErrAlgorithm)
	edSPKI := secMust(x509.MarshalPKIXPublicKey(k.ed.Public()))
	add("hs256-ed-confusion-raw", "ed", secJWT(secHdr, valid, "HS256", []byte(k.ed.Public().(ed25519.PublicKey))), jwtauth.ErrAlgorithm)
	add("hs256-ed-confusion-pem", "jwks", secJWT(`{"alg":"HS256","kid":"ed-1"}`, valid, "HS256", []byte(secPEM("PUBLIC KEY", edSPKI))), jwtauth.ErrAlgorithm)

	// Keys embedded in the token, signed by the attacker.
	attRSAJWK := string(secMust(json.Marshal(secMust(jwk.Import(&k.rsaAttacker.PublicKey)))))
	attECJWK := string(secMust(json.Marshal(secMust(jwk.Import(&k.p256Attacker.PublicKey)))))
	add("embedded-jwk-rsa", "rs", secJWT(`{"alg":"RS256","typ":"JWT","jwk":`+attRSAJWK+`}`, valid, "RS256", k.rsaAttacker), jwtauth.ErrSignature)
	add("embedded-jwk-rsa-jwks", "jwks", secJWT(`{"alg":"RS256","kid":"attacker","jwk":`+attRSAJWK+`}`, valid, "RS256", k.rsaAttacker), jwtauth.ErrUnknownKey)
	add("embedded-jwk-rsa-victim-kid", "jwks", secJWT(`{"alg":"RS256","kid":"rsa-1","jwk":`+attRSAJWK+`}`, valid, "RS256", k.rsaAttacker), jwtauth.ErrSignature)
	add("embedded-jwk-ec", "es", secJWT(`{"alg":"ES256","jwk":`+attECJWK+`}`, valid, "ES256", k.p256Attacker), jwtauth.ErrSignature)
	var offCurve map[string]any
	_ = json.Unmarshal([]byte(attECJWK), &offCurve)
	offCurve["y"] = secB64Bytes(secRandom(32))
	add("embedded-jwk-ec-off-curve", "es", secJWT(`{"alg":"ES256","jwk":`+string(secMust(json.Marshal(offCurve)))+`}`, valid, "ES256", k.p256Attacker), jwtauth.ErrSignature)

	// jku / x5u: the verifier must not fetch them (the test counts requests).
	for _, param := range []string{"jku", "x5u"} {
		add(param+"-attacker-kid", "rs", secJWT(`{"alg":"RS256","`+param+`":"`+jku+`","kid":"attacker-rsa"}`, valid, "RS256", k.rsaAttacker), jwtauth.ErrSignature)
		add(param+"-attacker-kid-jwks", "jwks", secJWT(`{"alg":"RS256","`+param+`":"`+jku+`","kid":"attacker-rsa"}`, valid, "RS256", k.rsaAttacker), jwtauth.ErrUnknownKey)
		add(param+"-victim-kid-jwks", "jwks", secJWT(`{"alg":"RS256","`+param+`":"`+jku+`","kid":"rsa-1"}`, valid, "RS256", k.rsaAttacker), jwtauth.ErrSignature)
	}

	// x5c with a self-signed attacker certificate.
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "attacker"},
		NotBefore: secNow.Add(-time.Hour), NotAfter: secNow.Add(time.Hour)}
	cert := secMust(x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.rsaAttacker.PublicKey, k.rsaAttacker))
	x5c := `["` + base64.StdEncoding.EncodeToString(cert) + `"]`
	add("x5c-self-signed", "rs", secJWT(`{"alg":"RS256","x5c":`+x5c+`}`, valid, "RS256", k.rsaAttacker), jwtauth.ErrSignature)
	add("x5c-self-signed-jwks", "jwks", secJWT(`{"alg":"RS256","kid":"rsa-1","x5c":`+x5c+`}`, valid, "RS256", k.rsaAttacker), jwtauth.ErrSignature)

	// kid injection.
	add("kid-path-traversal-empty-key", "hs", secJWT(`{"alg":"HS256","kid":"../../../../../../../../dev/null"}`, valid, "HS256", []byte{}), jwtauth.ErrSignature)
	add("kid-path-traversal-jwks", "jwks", secJWT(`{"alg":"HS256","kid":"../../../../../../../../dev/null"}`, valid, "HS256", []byte{}), jwtauth.ErrUnknownKey)
	add("kid-path-traversal-rsa-jwks", "jwks", secJWT(`{"alg":"RS256","kid":"../rsa-1"}`, valid, "RS256", k.rsa), jwtauth.ErrUnknownKey)
	add("kid-sql-injection", "hs", secJWT(`{"alg":"HS256","kid":"x' UNION SELECT 'attacker-key' -- "}`, valid, "HS256", []byte("attacker-key")), jwtauth.ErrSignature)
	add("kid-sql-injection-jwks", "jwks", secJWT(`{"alg":"HS256","kid":"x' UNION SELECT 'attacker-key' -- "}`, valid, "HS256", []byte("attacker-key")), jwtauth.ErrUnknownKey)
	add("kid-shell-metacharacters", "hs", secJWT(`{"alg":"HS256","kid":"|id; $(reboot) `+"`whoami`"+` & rm -rf /"}`, valid, "HS256", []byte("")), jwtauth.ErrSignature)
	add("kid-nul-byte", "jwks", secJWT(`{"alg":"HS256","kid":"hs-1\u0000"}`, valid, "HS256", hs), jwtauth.ErrUnknownKey)
	add("kid-case-variant", "jwks", secJWT(`{"alg":"HS256","kid":"HS-1"}`, valid, "HS256", hs), jwtauth.ErrUnknownKey)
	add("kid-unknown-valid-signature", "jwks", secJWT(`{"alg":"RS256","kid":"rsa-9"}`, valid, "RS256", k.rsa), jwtauth.ErrUnknownKey)
	add("kid-unknown-valid-signature-ec", "jwks", secJWT(`{"alg":"ES256","kid":"ec-9"}`, valid, "ES256", k.p256), jwtauth.ErrUnknownKey)
	// Two ES256 keys and two HS256 keys: without a kid the key is ambiguous.
	add("kid-missing-two-keys-of-alg", "jwks", secJWT(`{"alg":"ES256"}`, valid, "ES256", k.p256), jwtauth.ErrUnknownKey)
	add("kid-missing-two-secrets", "jwks", secJWT(`{"alg":"HS256"}`, valid, "HS256", k.hs256), jwtauth.ErrUnknownKey)
	add("kid-of-other-key-same-alg", "jwks", secJWT(`{"alg":"ES256","kid":"ec-2"}`, valid, "ES256", k.p256), jwtauth.ErrSignature)
	add("kid-number", "hs", secHS(`{"alg":"HS256","kid":1}`, valid), jwtauth.ErrTokenMalformed)
	add("kid-null", "jwks", secHS(`{"alg":"HS256","kid":null}`, valid), jwtauth.ErrTokenMalformed)
	add("kid-object", "jwks", secHS(`{"alg":"HS256","kid":{"kid":"hs-1"}}`, valid), jwtauth.ErrTokenMalformed)

	// Empty and stripped signatures, tampering, wrong keys.
	good := secHS(secHdr, valid)
	hp := good[:strings.LastIndexByte(good, '.')]
	add("empty-signature", "hs", hp+".", jwtauth.ErrTokenMalformed)
	add("signature-stripped", "hs", hp, jwtauth.ErrTokenMalformed)
	add("tampered-payload", "hs", secB64(secHdr)+"."+secB64(secClaims(`,"role":"admin"`))+good[strings.LastIndexByte(good, '.'):], jwtauth.ErrSignature)
	add("tampered-header", "hs", secB64(`{"alg":"HS256","typ":"JWS"}`)+good[strings.IndexByte(good, '.'):], jwtauth.ErrSignature)
	add("signature-of-other-token", "hs", hp+secHS(secHdr, secClaims(`,"x":1`))[strings.LastIndexByte(secHS(secHdr, secClaims(`,"x":1`)), '.'):], jwtauth.ErrSignature)
	add("wrong-secret", "hs", secJWT(secHdr, valid, "HS256", secRandom(32)), jwtauth.ErrSignature)
	add("wrong-secret-same-kid", "jwks", secJWT(`{"alg":"HS256","kid":"hs-1"}`, valid, "HS256", secRandom(32)), jwtauth.ErrSignature)
	add("wrong-rsa-key", "rs", secJWT(`{"alg":"RS256"}`, valid, "RS256", k.rsaAttacker), jwtauth.ErrSignature)
	add("wrong-rsa-key-same-kid", "jwks", secJWT(`{"alg":"RS256","kid":"rsa-1"}`, valid, "RS256", k.rsaAttacker), jwtauth.ErrSignature)
	add("wrong-ec-key", "es", secJWT(`{"alg":"ES256"}`, valid, "ES256", k.p256Attacker), jwtauth.ErrSignature)
	add("wrong-ec-key-same-kid", "jwks", secJWT(`{"alg":"ES256","kid":"ec-1"}`, valid, "ES256", k.p256Attacker), jwtauth.ErrSignature)
	add("wrong-ed-key", "ed", secJWT(`{"alg":"EdDSA"}`, valid, "EdDSA", k.edAttacker), jwtauth.ErrSignature)
	add("wrong-ed-key-same-kid", "jwks", secJWT(`{"alg":"EdDSA","kid":"ed-1"}`, valid, "EdDSA", k.edAttacker), jwtauth.ErrSignature)
	add("ps256-wrong-key", "ps", secJWT(`{"alg":"PS256"}`, valid, "PS256", k.rsaAttacker), jwtauth.ErrSignature)

	// MAC length.
	mac := secSign("HS256", hs, []byte(hp))
	add("hmac-truncated-16", "hs", hp+"."+secB64Bytes(mac[:16]), jwtauth.ErrSignature)
	add("hmac-truncated-31", "hs", hp+"."+secB64Bytes(mac[:31]), jwtauth.ErrSignature)
	add("hmac-extra-byte", "hs", hp+"."+secB64Bytes(append(mac[:32:32], 0)), jwtauth.ErrSignature)
	add("hmac-doubled", "hs", hp+"."+secB64Bytes(append(mac[:32:32], mac...)), jwtauth.ErrSignature)
	add("hmac-one-byte", "hs", hp+"."+secB64Bytes(mac[:1]), jwtauth.ErrSignature)

	// Psychic signatures (CVE-2022-21449) and ECDSA encodings.
	esIn := secB64(`{"alg":"ES256"}`) + "." + p64
	esSig := secSign("ES256", k.p256, []byte(esIn))
	n := elliptic.P256().Params().N
	nn := make([]byte, 64)
	n.FillBytes(nn[:32])
	n.FillBytes(nn[32:])
	add("es256-psychic-zero", "es", esIn+"."+secB64Bytes(make([]byte, 64)), jwtauth.ErrSignature)
	add("es256-psychic-r-s-n", "es", esIn+"."+secB64Bytes(nn), jwtauth.ErrSignature)
	rZero := append(make([]byte, 32), esSig[32:]...)
	add("es256-psychic-r-zero-real-s", "es", esIn+"."+secB64Bytes(rZero), jwtauth.ErrSignature)
	sZero := append(esSig[:32:32], make([]byte, 32)...)
	add("es256-psychic-real-r-s-zero", "es", esIn+"."+secB64Bytes(sZero), jwtauth.ErrSignature)
	rN := append(nn[:32:32], esSig[32:]...)
	add("es256-r-n-real-s", "es", esIn+"."+secB64Bytes(rN), jwtauth.ErrSignature)
	add("es256-psychic-jwks", "jwks", secB64(`{"alg":"ES256","kid":"ec-1"}`)+"."+p64+"."+secB64Bytes(make([]byte, 64)), jwtauth.ErrSignature)
	r, s := new(big.Int).SetBytes(esSig[:32]), new(big.Int).SetBytes(esSig[32:])
	der := secMust(secDER(r, s))
	add("es256-der-encoded-valid", "es", esIn+"."+secB64Bytes(der), jwtauth.ErrSignature)
	zin, zsig := f.esZeroLead()
	add("es256-63-bytes-unpadded-r", "es", zin+"."+secB64Bytes(zsig[1:]), jwtauth.ErrSignature)
	add("es256-65-bytes-trailing-zero", "es", esIn+"."+secB64Bytes(append(esSig[:64:64], 0)), jwtauth.ErrSignature)
	add("es256-65-bytes-leading-zero", "es", esIn+"."+secB64Bytes(append([]byte{0}, esSig...)), jwtauth.ErrSignature)
	edIn := secB64(`{"alg":"EdDSA"}`) + "." + p64
	edSig := secSign("EdDSA", k.ed, []byte(edIn))
	add("ed25519-63-bytes", "ed", edIn+"."+secB64Bytes(edSig[:63]), jwtauth.ErrSignature)
	add("ed25519-65-bytes", "ed", edIn+"."+secB64Bytes(append(edSig[:64:64], 0)), jwtauth.ErrSignature)
	add("ed25519-zero", "ed", edIn+"."+secB64Bytes(make([]byte, 64)), jwtauth.ErrSignature)

	// RSA signature lengths.
	rin, rsig := f.rsaZeroLead()
	add("rs256-signature-leading-zero-stripped-255", "rs", rin+"."+secB64Bytes(rsig[1:]), jwtauth.ErrSignature)
	add("rs256-signature-extra-zero-257", "rs", rin+"."+secB64Bytes(append([]byte{0}, rsig...)), jwtauth.ErrSignature)
	add("rs256-signature-trailing-zero-257", "rs", rin+"."+secB64Bytes(append(rsig[:256:256], 0)), jwtauth.ErrSignature)
	add("rs256-signature-all-zero", "rs", rin+"."+secB64Bytes(make([]byte, 256)), jwtauth.ErrSignature)
	add("rs256-signature-one", "rs", rin+"."+secB64Bytes(append(make([]byte, 255), 1)), jwtauth.ErrSignature)
	add("rs256-signature-modulus", "rs", rin+"."+secB64Bytes(k.rsa.PublicKey.N.Bytes()), jwtauth.ErrSignature)
	psIn := secB64(`{"alg":"PS256"}`) + "." + p64
	psSig := secSign("PS256", k.rsa, []byte(psIn))
	add("ps256-signature-extra-zero-257", "ps", psIn+"."+secB64Bytes(append([]byte{0}, psSig...)), jwtauth.ErrSignature)

	// Duplicate and case-variant member names.
	add("header-duplicate-alg-none-last", "hs", secHS(`{"alg":"HS256","alg":"none"}`, valid), jwtauth.ErrTokenMalformed)
	add("header-duplicate-alg-hs-last", "hs", secHS(`{"alg":"none","alg":"HS256"}`, valid), jwtauth.ErrTokenMalformed)
	add("header-case-variant-alg", "hs", secHS(`{"alg":"HS256","ALG":"none"}`, valid), jwtauth.ErrTokenMalformed)
	add("header-escaped-duplicate-alg", "hs", secHS(`{"alg":"HS256","\u0061lg":"none"}`, valid), jwtauth.ErrTokenMalformed)
	add("header-duplicate-kid", "jwks", secJWT(`{"alg":"RS256","kid":"rsa-1","kid":"attacker"}`, valid, "RS256", k.rsa), jwtauth.ErrTokenMalformed)
	add("header-duplicate-typ", "hsAt", secHS(`{"alg":"HS256","typ":"JWT","typ":"at+jwt"}`, valid), jwtauth.ErrTokenMalformed)
	far, past := strconv.Itoa(secFar), strconv.Itoa(secPast)
	add("claims-duplicate-exp", "hs", secHS(secHdr, `{"sub":"alice","exp":`+far+`,"exp":`+past+`}`), jwtauth.ErrTokenMalformed)
	add("claims-duplicate-exp-past-first", "hs", secHS(secHdr, `{"sub":"alice","exp":`+past+`,"exp":`+far+`}`), jwtauth.ErrTokenMalformed)
	add("claims-case-variant-exp", "hs", secHS(secHdr, `{"sub":"alice","exp":`+past+`,"EXP":`+far+`}`), jwtauth.ErrTokenMalformed)
	add("claims-case-variants-exp", "hs", secHS(secHdr, `{"sub":"alice","exp":`+past+`,"EXP":`+far+`,"Exp":`+far+`}`), jwtauth.ErrTokenMalformed)
	add("claims-escaped-duplicate-exp", "hs", secHS(secHdr, `{"sub":"alice","exp":`+past+`,"\u0065xp":`+far+`}`), jwtauth.ErrTokenMalformed)
	add("claims-escaped-case-variant-exp", "hs", secHS(secHdr, `{"sub":"alice","exp":`+past+`,"\u0045XP":`+far+`}`), jwtauth.ErrTokenMalformed)
	add("claims-escaped-exp-past", "hs", secHS(secHdr, `{"sub":"alice","\u0065xp":`+past+`}`), jwtauth.ErrTokenExpired)
	add("claims-duplicate-sub", "hs", secHS(secHdr, secClaims(`,"sub":"admin"`)), jwtauth.ErrTokenMalformed)
	add("claims-unicode-fold-sub", "hs", secHS(secHdr, secClaims(`,"ſub":"admin"`)), jwtauth.ErrTokenMalformed)
	add("claims-case-variant-private", "hs", secHS(secHdr, secClaims(`,"role":"user","ROLE":"admin"`)), jwtauth.ErrTokenMalformed)
	add("claims-duplicate-aud", "hsIssAud", secHS(secHdr, secClaims(`,"iss":"`+secIss+`","aud":"other","aud":"`+secAud+`"`)), jwtauth.ErrTokenMalformed)
	add("claims-duplicate-iss", "hsIssAud", secHS(secHdr, secClaims(`,"iss":"evil","iss":"`+secIss+`","aud":"`+secAud+`"`)), jwtauth.ErrTokenMalformed)

	// crit, b64, zip, enc, cty.
	add("crit-unknown-extension", "hs", secHS(`{"alg":"HS256","crit":["urn:example:ext"],"urn:example:ext":true}`, valid), jwtauth.ErrUnsupportedHeader)
	add("crit-listed-param-absent", "hs", secHS(`{"alg":"HS256","crit":["exp"]}`, valid), jwtauth.ErrUnsupportedHeader)
	add("crit-empty", "hs", secHS(`{"alg":"HS256","crit":[]}`, valid), jwtauth.ErrUnsupportedHeader)
	add("crit-registered-name", "hs", secHS(`{"alg":"HS256","crit":["alg"]}`, valid), jwtauth.ErrUnsupportedHeader)
	add("crit-not-array", "hs", secHS(`{"alg":"HS256","crit":"b64"}`, valid), jwtauth.ErrUnsupportedHeader)
	add("b64-false-raw-payload", "hs", secSigned(secB64(`{"alg":"HS256","b64":false,"crit":["b64"]}`)+"."+valid, "HS256", hs), jwtauth.ErrTokenMalformed)
	add("b64-false-alphabet-payload", "hs", secSigned(secB64(`{"alg":"HS256","b64":false,"crit":["b64"]}`)+".payload", "HS256", hs), jwtauth.ErrUnsupportedHeader)
	add("b64-true", "hs", secHS(`{"alg":"HS256","b64":true}`, valid), jwtauth.ErrUnsupportedHeader)
	add("zip-deflate", "hs", secHS(`{"alg":"HS256","zip":"DEF"}`, valid), jwtauth.ErrUnsupportedHeader)
	add("enc-in-jws-header", "hs", secHS(`{"alg":"HS256","enc":"A256GCM"}`, valid), jwtauth.ErrUnsupportedHeader)
	inner := secB64(`{"alg":"none"}`) + "." + secB64(secClaims(`,"role":"admin"`)) + "."
	add("nested-cty-jwt-inner-none", "hs", secHS(`{"alg":"HS256","cty":"JWT"}`, inner), jwtauth.ErrUnsupportedHeader)
	add("nested-cty-jwt-lowercase", "hs", secHS(`{"alg":"HS256","cty":"jwt"}`, valid), jwtauth.ErrUnsupportedHeader)
	add("nested-cty-application-jwt", "hs", secHS(`{"alg":"HS256","cty":"application/JWT"}`, valid), jwtauth.ErrUnsupportedHeader)
	add("cty-not-string", "hs", secHS(`{"alg":"HS256","cty":1}`, valid), jwtauth.ErrUnsupportedHeader)
	innerHS := secHS(secHdr, secClaims(`,"role":"admin"`))
	add("nested-jws-without-cty", "hs", secHS(secHdr, innerHS), jwtauth.ErrTokenMalformed)

	// JSON serialisations and JWE.
	parts := strings.Split(good, ".")
	add("json-flattened", "hs", `{"protected":"`+parts[0]+`","payload":"`+parts[1]+`","signature":"`+parts[2]+`"}`, jwtauth.ErrTokenMalformed)
	add("json-general", "hs", `{"payload":"`+parts[1]+`","signatures":[{"protected":"`+parts[0]+`","signature":"`+parts[2]+`"}]}`, jwtauth.ErrTokenMalformed)
	add("json-general-unprotected", "hs", `{"payload":"`+parts[1]+`","signatures":[{"header":{"alg":"HS256"},"signature":"`+parts[2]+`"}]}`, jwtauth.ErrTokenMalformed)
	add("jwe-rsa-oaep-to-verifier-key", "rs", string(secMust(jwe.Encrypt([]byte(valid), jwe.WithKey(jwa.RSA_OAEP_256(), &k.rsa.PublicKey)))), jwtauth.ErrTokenMalformed)
	add("jwe-dir-hmac-secret", "hs", string(secMust(jwe.Encrypt([]byte(valid), jwe.WithKey(jwa.DIRECT(), hs), jwe.WithContentEncryption(jwa.A256GCM())))), jwtauth.ErrTokenMalformed)
	add("five-segments", "hs", good+"."+parts[1]+"."+parts[2], jwtauth.ErrTokenMalformed)
	add("four-segments", "hs", good+".", jwtauth.ErrTokenMalformed)
	add("two-segments", "hs", parts[0]+"."+parts[1], jwtauth.ErrTokenMalformed)
	add("one-segment", "hs", parts[0], jwtauth.ErrTokenMalformed)
	add("empty-token", "hs", "", jwtauth.ErrTokenMalformed)
	add("empty-header", "hs", "."+parts[1]+"."+parts[2], jwtauth.ErrTokenMalformed)
	add("empty-payload", "hs", secSigned(parts[0]+".", "HS256", hs), jwtauth.ErrTokenMalformed)

	// Size and structure.
	add("many-dots-100000", "hs", strings.Repeat(".", 100_000), jwtauth.ErrTokenTooLarge)
	add("many-dots-100000-max-size", "hsBig", strings.Repeat(".", 100_000), jwtauth.ErrTokenTooLarge)
	add("many-dots-under-cap", "hs", parts[0]+strings.Repeat(".", 4000)+parts[2], jwtauth.ErrTokenMalformed)
	deep := `{"alg":"HS256","x":` + strings.Repeat("[", 20_000) + strings.Repeat("]", 20_000) + `}`
	add("header-nested-20000", "hs", secHS(deep, valid), jwtauth.ErrTokenTooLarge)
	add("header-nested-20000-max-size", "hsBig", secHS(deep, valid), jwtauth.ErrTokenMalformed)
	add("header-nested-34", "hs", secHS(`{"alg":"HS256","x":`+strings.Repeat("[", 34)+"1"+strings.Repeat("]", 34)+`}`, valid), jwtauth.ErrTokenMalformed)
	add("claims-nested-20000", "hsBig", secHS(secHdr, secClaims(`,"x":`+strings.Repeat(`{"a":`, 5_000)+"1"+strings.Repeat("}", 5_000))), jwtauth.ErrTokenMalformed)
	oversized := secHS(secHdr, secClaims(`,"pad":"`+strings.Repeat("A", 300_000)+`"`))
	add("oversized-400k-valid-mac", "hs", oversized, jwtauth.ErrTokenTooLarge)
	add("oversized-400k-valid-mac-max-size", "hsBig", oversized, jwtauth.ErrTokenTooLarge)
	add("just-over-default-cap", "hs", secHS(secHdr, secClaims(`,"pad":"`+strings.Repeat("A", 6200)+`"`)), jwtauth.ErrTokenTooLarge)
	var many strings.Builder
	for i := range 32 {
		fmt.Fprintf(&many, `,"h%d":%d`, i, i)
	}
	add("header-33-members", "hs", secHS(`{"alg":"HS256"`+many.String()+`}`, valid), jwtauth.ErrTokenMalformed)
	var claims257 strings.Builder
	for i := range 256 {
		fmt.Fprintf(&claims257, `,"c%d":%d`, i, i)
	}
	add("claims-258-members", "hs", secHS(secHdr, secClaims(claims257.String())), jwtauth.ErrTokenMalformed)

	// base64 variants, each signed over the exact (mis-encoded) input so the
	// encoding is the only defect.
	hdrPad := `{"alg":"HS256","typ":"JWT","x":12}` // 34 bytes: "=" when padded
	if len(hdrPad)%3 == 0 {
		panic("hdrPad needs padding")
	}
	padded := base64.URLEncoding.EncodeToString([]byte(hdrPad))
	add("b64-padding-header", "hs", secSigned(padded+"."+p64, "HS256", hs), jwtauth.ErrTokenMalformed)
	add("b64-padding-payload", "hs", secSigned(secB64(secHdr)+"."+base64.URLEncoding.EncodeToString([]byte(valid+"  ")), "HS256", hs), jwtauth.ErrTokenMalformed)
	add("b64-padding-signature", "hs", hp+"."+base64.URLEncoding.EncodeToString(mac), jwtauth.ErrTokenMalformed)
	stdPayload := secStdAlphabetPayload()
	add("b64-std-alphabet", "hs", secSigned(secB64(secHdr)+"."+base64.RawStdEncoding.EncodeToString([]byte(stdPayload)), "HS256", hs), jwtauth.ErrTokenMalformed)
	add("b64-std-alphabet-signature", "hs", secStdAlphabetSig(), jwtauth.ErrTokenMalformed)
	add("b64-noncanonical-header-bits", "hs", secSigned(secNonCanonical(secB64(hdrPad))+"."+p64, "HS256", hs), jwtauth.ErrTokenMalformed)
	add("b64-noncanonical-payload-bits", "hs", secSigned(secB64(secHdr)+"."+secNonCanonical(p64), "HS256", hs), jwtauth.ErrTokenMalformed)
	add("b64-noncanonical-signature-bits", "hs", hp+"."+secNonCanonical(secB64Bytes(mac)), jwtauth.ErrTokenMalformed)
	add("b64-length-1-mod-4", "hs", secSigned(secB64(secHdr)+"."+p64+"A", "HS256", hs), jwtauth.ErrTokenMalformed)
	nl := p64[:10] + "\n" + p64[10:]
	add("b64-embedded-newline", "hs", secSigned(secB64(secHdr)+"."+nl, "HS256", hs), jwtauth.ErrTokenMalformed)
	add("b64-embedded-crlf", "hs", secSigned(secB64(secHdr)+"."+p64[:10]+"\r\n"+p64[10:], "HS256", hs), jwtauth.ErrTokenMalformed)
	add("b64-embedded-space", "hs", secSigned(secB64(secHdr)+"."+p64[:10]+" "+p64[10:], "HS256", hs), jwtauth.ErrTokenMalformed)
	add("trailing-newline", "hs", good+"\n", jwtauth.ErrTokenMalformed)
	add("trailing-space", "hs", good+" ", jwtauth.ErrTokenMalformed)
	add("trailing-tab", "hs", good+"\t", jwtauth.ErrTokenMalformed)
	add("bearer-prefix-inside-token", "hs", "Bearer "+good, jwtauth.ErrTokenMalformed)
	add("nul-byte", "hs", good+"\x00", jwtauth.ErrTokenMalformed)

	// Time claims (clock fixed at secNow).
	now := int(secNow.Unix())
	for _, c := range []struct {
		name, exp string
		want      error
	}{
		{"exp-past", strconv.Itoa(secPast), jwtauth.ErrTokenExpired},
		{"exp-zero", "0", jwtauth.ErrTokenExpired},
		{"exp-minus-one", "-1", jwtauth.ErrTokenExpired},
		{"exp-negative-zero", "-0", jwtauth.ErrTokenExpired},
		{"exp-float-past", "1500000000.5", jwtauth.ErrTokenExpired},
		{"exp-exponent-past", "1.5e9", jwtauth.ErrTokenExpired},
		{"exp-tiny", "1e-400", jwtauth.ErrTokenExpired},
		{"exp-now", strconv.Itoa(now), jwtauth.ErrTokenExpired},
		{"exp-now-plus-half", strconv.Itoa(now) + ".5", jwtauth.ErrTokenExpired},
		{"exp-huge-negative", "-1e300", jwtauth.ErrTokenExpired},
		{"exp-numeric-string", `"1500000000"`, jwtauth.ErrClaimType},
		{"exp-numeric-string-future", `"4102444800"`, jwtauth.ErrClaimType},
		{"exp-iso-string", `"2001-01-01T00:00:00Z"`, jwtauth.ErrClaimType},
		{"exp-iso-string-future", `"2100-01-01T00:00:00Z"`, jwtauth.ErrClaimType},
		{"exp-true", "true", jwtauth.ErrClaimType},
		{"exp-false", "false", jwtauth.ErrClaimType},
		{"exp-null", "null", jwtauth.ErrClaimType},
		{"exp-1e400", "1e400", jwtauth.ErrTokenMalformed},
		{"exp-minus-1e400", "-1e400", jwtauth.ErrTokenMalformed},
		{"exp-array", "[4102444800]", jwtauth.ErrClaimType},
		{"exp-object", `{"$date":4102444800}`, jwtauth.ErrClaimType},
	} {
		add(c.name, "hs", secHS(secHdr, secExp(c.exp)), c.want)
	}
	add("exp-missing", "hs", secHS(secHdr, `{"sub":"alice"}`), jwtauth.ErrMissingClaim)
	add("exp-missing-empty-claims", "hs", secHS(secHdr, `{}`), jwtauth.ErrMissingClaim)
	add("exp-case-variant-only", "hs", secHS(secHdr, `{"sub":"alice","EXP":`+far+`}`), jwtauth.ErrClaimName)
	add("nbf-future", "hs", secHS(secHdr, secClaims(`,"nbf":`+strconv.Itoa(now+3600))), jwtauth.ErrTokenNotYetValid)
	add("nbf-future-string", "hs", secHS(secHdr, secClaims(`,"nbf":"`+strconv.Itoa(now+3600)+`"`)), jwtauth.ErrClaimType)
	add("nbf-past-string", "hs", secHS(secHdr, secClaims(`,"nbf":"`+strconv.Itoa(secPast)+`"`)), jwtauth.ErrClaimType)
	add("nbf-null", "hs", secHS(secHdr, secClaims(`,"nbf":null`)), jwtauth.ErrClaimType)
	add("nbf-future-float", "hs", secHS(secHdr, secClaims(`,"nbf":`+strconv.Itoa(now+1)+`.5`)), jwtauth.ErrTokenNotYetValid)
	add("nbf-huge", "hs", secHS(secHdr, secClaims(`,"nbf":1e300`)), jwtauth.ErrTokenNotYetValid)
	add("iat-future", "hs", secHS(secHdr, secClaims(`,"iat":`+strconv.Itoa(now+3600))), jwtauth.ErrTokenNotYetValid)
	add("iat-string", "hs", secHS(secHdr, secClaims(`,"iat":"`+strconv.Itoa(secPast)+`"`)), jwtauth.ErrClaimType)
	add("iat-bool", "hs", secHS(secHdr, secClaims(`,"iat":true`)), jwtauth.ErrClaimType)
	add("nbf-future-beyond-leeway", "hsLeeway", secHS(secHdr, secClaims(`,"nbf":`+strconv.Itoa(now+31))), jwtauth.ErrTokenNotYetValid)
	add("exp-past-beyond-leeway", "hsLeeway", secHS(secHdr, secExp(strconv.Itoa(now-30))), jwtauth.ErrTokenExpired)

	// iss and aud.
	issAud := func(iss, aud string) string {
		var b strings.Builder
		if iss != "" {
			b.WriteString(`,"iss":` + iss)
		}
		if aud != "" {
			b.WriteString(`,"aud":` + aud)
		}
		return secHS(secHdr, secClaims(b.String()))
	}
	q := strconv.Quote
	add("iss-wrong", "hsIssAud", issAud(q("https://evil.example"), q(secAud)), jwtauth.ErrIssuer)
	add("iss-upper-case", "hsIssAud", issAud(q(strings.ToUpper(secIss)), q(secAud)), jwtauth.ErrIssuer)
	add("iss-trailing-slash", "hsIssAud", issAud(q(secIss+"/"), q(secAud)), jwtauth.ErrIssuer)
	add("iss-prefix", "hsIssAud", issAud(q(secIss[:len(secIss)-1]), q(secAud)), jwtauth.ErrIssuer)
	add("iss-missing", "hsIssAud", issAud("", q(secAud)), jwtauth.ErrIssuer)
	add("iss-empty", "hsIssAud", issAud(`""`, q(secAud)), jwtauth.ErrIssuer)
	add("iss-number", "hsIssAud", issAud("1", q(secAud)), jwtauth.ErrClaimType)
	add("iss-null", "hsIssAud", issAud("null", q(secAud)), jwtauth.ErrClaimType)
	add("iss-array", "hsIssAud", issAud(`[`+q(secIss)+`]`, q(secAud)), jwtauth.ErrClaimType)
	add("aud-wrong", "hsIssAud", issAud(q(secIss), q("api://billing")), jwtauth.ErrAudience)
	add("aud-prefix", "hsIssAud", issAud(q(secIss), q("api://order")), jwtauth.ErrAudience)
	add("aud-extended", "hsIssAud", issAud(q(secIss), q(secAud+"-evil")), jwtauth.ErrAudience)
	add("aud-case", "hsIssAud", issAud(q(secIss), q(strings.ToUpper(secAud))), jwtauth.ErrAudience)
	add("aud-array-without-expected", "hsIssAud", issAud(q(secIss), `["api://billing","api://x"]`), jwtauth.ErrAudience)
	add("aud-empty-array", "hsIssAud", issAud(q(secIss), `[]`), jwtauth.ErrAudience)
	add("aud-missing", "hsIssAud", issAud(q(secIss), ""), jwtauth.ErrAudience)
	add("aud-number", "hsIssAud", issAud(q(secIss), "1"), jwtauth.ErrClaimType)
	add("aud-number-unchecked", "hs", secHS(secHdr, secClaims(`,"aud":1`)), jwtauth.ErrClaimType)
	add("aud-array-with-number", "hsIssAud", issAud(q(secIss), `[`+q(secAud)+`,1]`), jwtauth.ErrClaimType)
	add("aud-array-with-null", "hsIssAud", issAud(q(secIss), `[`+q(secAud)+`,null]`), jwtauth.ErrClaimType)
	add("aud-null", "hsIssAud", issAud(q(secIss), "null"), jwtauth.ErrClaimType)
	add("aud-object", "hsIssAud", issAud(q(secIss), `{"aud":`+q(secAud)+`}`), jwtauth.ErrClaimType)
	add("aud-nested-array", "hsIssAud", issAud(q(secIss), `[[`+q(secAud)+`]]`), jwtauth.ErrClaimType)
	add("sub-number", "hs", secHS(secHdr, `{"sub":1,"exp":`+far+`}`), jwtauth.ErrClaimType)
	add("sub-null", "hs", secHS(secHdr, `{"sub":null,"exp":`+far+`}`), jwtauth.ErrClaimType)
	add("jti-object", "hs", secHS(secHdr, secClaims(`,"jti":{}`)), jwtauth.ErrClaimType)
	add("required-claim-missing", "hsReq", secHS(secHdr, secClaims("")), jwtauth.ErrMissingClaim)
	add("required-claim-case-variant", "hsReq", secHS(secHdr, secClaims(`,"JTI":"x"`)), jwtauth.ErrClaimName)

	// Case and Unicode-fold variants of the names the library reads: Decode
	// (encoding/json) would take them for the real claim while the accessors
	// and guards would not, so the two could disagree on who the user is.
	for _, v := range []struct{ name, extra string }{
		{"SUB", `,"SUB":"admin"`}, {"Sub", `,"Sub":"admin"`}, {"long-s-sub", `,"ſub":"admin"`},
		{"long-s-sub-raw", `,"ſub":"admin"`}, {"Iss", `,"Iss":"https://evil.example"`}, {"NBF", `,"NBF":1`},
		{"AUD", `,"AUD":"api"`}, {"JTI", `,"JTI":"x"`}, {"SID", `,"SID":"x"`}, {"Fresh", `,"Fresh":true`},
		{"SCOPE", `,"SCOPE":"admin"`}, {"long-s-scope", `,"ſcope":"admin"`}, {"Scp", `,"Scp":["admin"]`},
		{"IAT", `,"IAT":1`}, {"escaped-Sub", `,"Sub":"admin"`},
	} {
		add("claim-fold-variant-"+v.name, "hs", secHS(secHdr, `{"exp":`+far+v.extra+`}`), jwtauth.ErrClaimName)
	}
	add("claim-fold-variant-required", "hsReq", secHS(secHdr, secClaims(`,"jti":"x","Jti":"y"`)), jwtauth.ErrTokenMalformed)

	// A number beyond float64 anywhere in the payload: encoding/json, and so
	// Claims.Decode, could not read it, so it is refused at verification.
	for _, n := range []struct{ name, extra string }{
		{"private", `,"x":1e400`}, {"negative", `,"x":-1e400`}, {"nested", `,"x":{"y":[1,{"z":1e309}]}`},
		{"400-digit", `,"x":1` + strings.Repeat("0", 400)}, {"edge", `,"x":1.8e308`}, {"huge-exponent", `,"x":1e99999999999999999999`},
		{"fraction", `,"x":0.00002e313`},
	} {
		add("number-beyond-float64-"+n.name, "hs", secHS(secHdr, secClaims(n.extra)), jwtauth.ErrTokenMalformed)
	}

	// A verifier with no Audience refuses a token minted for one (as PyJWT
	// does): it may be another service's.
	add("aud-present-no-audience", "hs", secHS(secHdr, secClaims(`,"aud":"api://billing"`)), jwtauth.ErrAudience)
	add("aud-array-no-audience", "hs", secHS(secHdr, secClaims(`,"aud":["api://billing","x"]`)), jwtauth.ErrAudience)
	add("aud-array-empty-element-no-audience", "hs", secHS(secHdr, secClaims(`,"aud":[""]`)), jwtauth.ErrAudience)

	// typ: refresh tokens, and Config.Type. Only a verifier that names
	// RefreshTokenType as its Type (the issuer's own refresh verifier)
	// reads refresh tokens (TestRefreshTypeByName); every other refuses
	// them in any spelling.
	for _, typ := range []string{"refresh+jwt", "application/refresh+jwt", "REFRESH+JWT", "Application/Refresh+JWT"} {
		h := `{"alg":"HS256","typ":"` + typ + `"}`
		add("refresh-typ-"+typ, "hs", secHS(h, valid), jwtauth.ErrTokenType)
		add("refresh-typ-at-verifier-"+typ, "hsAt", secHS(h, valid), jwtauth.ErrTokenType)
		add("refresh-typ-any-audience-"+typ, "hsAnyAud", secHS(h, valid), jwtauth.ErrTokenType)
		add("refresh-typ-required-claims-"+typ, "hsReq", secHS(h, secClaims(`,"jti":"x"`)), jwtauth.ErrTokenType)
	}
	add("refresh-verifier-access-token", "hsRT", secHS(secHdr, valid), jwtauth.ErrTokenType)
	add("refresh-verifier-no-typ", "hsRT", secHS(`{"alg":"HS256"}`, valid), jwtauth.ErrTokenType)
	add("refresh-typ-jwks", "jwks", secJWT(`{"alg":"RS256","kid":"rsa-1","typ":"refresh+jwt"}`, valid, "RS256", k.rsa), jwtauth.ErrTokenType)
	for _, typ := range []string{"JWT", "jwt", "at+jwt ", "application/", "application/jwt", "at-jwt", "at+jwt+jwt", ""} {
		add("type-at-jwt-got-"+typ, "hsAt", secHS(`{"alg":"HS256","typ":"`+typ+`"}`, valid), jwtauth.ErrTokenType)
	}
	add("type-at-jwt-missing", "hsAt", secHS(`{"alg":"HS256"}`, valid), jwtauth.ErrTokenType)
	add("type-at-jwt-case-variant-name", "hsAt", secHS(`{"alg":"HS256","TYP":"at+jwt"}`, valid), jwtauth.ErrTokenType)
	add("typ-number", "hs", secHS(`{"alg":"HS256","typ":1}`, valid), jwtauth.ErrTokenMalformed)
	add("typ-null", "hs", secHS(`{"alg":"HS256","typ":null}`, valid), jwtauth.ErrTokenMalformed)
	add("typ-array", "hsAt", secHS(`{"alg":"HS256","typ":["at+jwt"]}`, valid), jwtauth.ErrTokenMalformed)

	// Encoding and shape of header and payload.
	add("payload-invalid-utf8", "hs", secHS(secHdr, `{"sub":"`+"\xff\xfe"+`","exp":`+far+`}`), jwtauth.ErrTokenMalformed)
	add("payload-overlong-utf8", "hs", secHS(secHdr, `{"sub":"`+"\xc0\xaf"+`","exp":`+far+`}`), jwtauth.ErrTokenMalformed)
	add("payload-utf16", "hs", secHS(secHdr, "\xfe\xff\x00{\x00}"), jwtauth.ErrTokenMalformed)
	add("payload-bom", "hs", secHS(secHdr, "\ufeff"+valid), jwtauth.ErrTokenMalformed)
	add("header-invalid-utf8", "hs", secHS(`{"alg":"HS256","x":"`+"\xff"+`"}`, valid), jwtauth.ErrTokenMalformed)
	add("payload-array", "hs", secHS(secHdr, `[`+valid+`]`), jwtauth.ErrTokenMalformed)
	add("payload-string", "hs", secHS(secHdr, `"`+valid+`"`), jwtauth.ErrTokenMalformed)
	add("payload-null", "hs", secHS(secHdr, `null`), jwtauth.ErrTokenMalformed)
	add("payload-number", "hs", secHS(secHdr, `4102444800`), jwtauth.ErrTokenMalformed)
	add("payload-trailing-garbage", "hs", secHS(secHdr, valid+`x`), jwtauth.ErrTokenMalformed)
	add("payload-two-objects", "hs", secHS(secHdr, valid+valid), jwtauth.ErrTokenMalformed)
	add("payload-trailing-comma", "hs", secHS(secHdr, `{"sub":"alice","exp":`+far+`,}`), jwtauth.ErrTokenMalformed)
	add("payload-single-quotes", "hs", secHS(secHdr, `{'sub':'alice','exp':`+far+`}`), jwtauth.ErrTokenMalformed)
	add("payload-comment", "hs", secHS(secHdr, `{"sub":"alice",/*x*/"exp":`+far+`}`), jwtauth.ErrTokenMalformed)
	add("payload-nan", "hs", secHS(secHdr, secClaims(`,"x":NaN`)), jwtauth.ErrTokenMalformed)
	add("payload-leading-zero", "hs", secHS(secHdr, `{"sub":"alice","exp":04102444800}`), jwtauth.ErrTokenMalformed)
	add("payload-control-char", "hs", secHS(secHdr, `{"sub":"a`+"\x01"+`","exp":`+far+`}`), jwtauth.ErrTokenMalformed)
	add("payload-bad-escape", "hs", secHS(secHdr, `{"sub":"\x","exp":`+far+`}`), jwtauth.ErrTokenMalformed)
	add("payload-truncated", "hs", secHS(secHdr, valid[:len(valid)-1]), jwtauth.ErrTokenMalformed)
	add("payload-empty-json", "hs", secHS(secHdr, ` `), jwtauth.ErrTokenMalformed)
	add("header-array", "hs", secHS(`["alg","HS256"]`, valid), jwtauth.ErrTokenMalformed)
	add("header-string", "hs", secHS(`"HS256"`, valid), jwtauth.ErrTokenMalformed)
	add("header-trailing-garbage", "hs", secHS(secHdr+`,`, valid), jwtauth.ErrTokenMalformed)
	add("header-not-base64-json", "hs", secSigned("eyJhbGciOiJIUzI1NiJ9eyJ."+p64, "HS256", hs), jwtauth.ErrTokenMalformed)
	return rows
}

// secStdAlphabetPayload returns a valid claims set whose base64url encoding
// has '-' or '_', so that its standard-alphabet encoding differs.
func secStdAlphabetPayload() string {
	for i := 0; ; i++ {
		p := secClaims(`,"n":"` + strings.Repeat("?", i%7) + strconv.Itoa(i) + `>"`)
		if strings.ContainsAny(secB64(p), "-_") {
			return p
		}
	}
}

// secStdAlphabetSig returns a valid token whose signature, re-encoded in the
// standard alphabet, differs from its base64url form.
func secStdAlphabetSig() string {
	for i := 0; ; i++ {
		in := secB64(secHdr) + "." + secB64(secClaims(`,"n":`+strconv.Itoa(i)))
		sig := secSign("HS256", secTestKeys().hs256, []byte(in))
		if s := base64.RawStdEncoding.EncodeToString(sig); strings.ContainsAny(s, "+/") {
			return in + "." + s
		}
	}
}

// secNonCanonical sets the unused low bits of a raw base64url segment's last
// character: it decodes to the same bytes with a lenient decoder.
func secNonCanonical(seg string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var unused uint
	switch len(seg) % 4 {
	case 2:
		unused = 4
	case 3:
		unused = 2
	default:
		panic("segment has no unused bits")
	}
	last := strings.IndexByte(alphabet, seg[len(seg)-1])
	return seg[:len(seg)-1] + string(alphabet[last|(1<<unused-1)])
}

// secDER is the ASN.1 DER encoding of an ECDSA signature.
func secDER(r, s *big.Int) ([]byte, error) {
	return asn1.Marshal(struct{ R, S *big.Int }{r, s})
}

// secValids builds the controls: tokens each verifier must accept. A
// rejection of an attack means little unless these pass.
func secValids() []secValid {
	f := secFix()
	k := f.k
	var rows []secValid
	add := func(name, v, token string) { rows = append(rows, secValid{name, v, token}) }
	valid := secClaims("")
	now := int(secNow.Unix())
	add("hs256", "hs", secHS(secHdr, valid))
	add("hs256-no-typ", "hs", secHS(`{"alg":"HS256"}`, valid))
	add("hs384", "hs384", secJWT(`{"alg":"HS384"}`, valid, "HS384", k.hs384))
	add("hs512", "hs512", secJWT(`{"alg":"HS512"}`, valid, "HS512", k.hs512))
	add("rs256", "rs", secJWT(`{"alg":"RS256","typ":"JWT"}`, valid, "RS256", k.rsa))
	add("rs256-zero-lead-signature", "rs", func() string { in, sig := f.rsaZeroLead(); return in + "." + secB64Bytes(sig) }())
	add("ps256", "ps", secJWT(`{"alg":"PS256"}`, valid, "PS256", k.rsa))
	add("es256", "es", secJWT(`{"alg":"ES256"}`, valid, "ES256", k.p256))
	add("es256-zero-lead-signature", "es", func() string { in, sig := f.esZeroLead(); return in + "." + secB64Bytes(sig) }())
	add("eddsa", "ed", secJWT(`{"alg":"EdDSA"}`, valid, "EdDSA", k.ed))
	add("jwks-rs256", "jwks", secJWT(`{"alg":"RS256","kid":"rsa-1"}`, valid, "RS256", k.rsa))
	add("jwks-es256", "jwks", secJWT(`{"alg":"ES256","kid":"ec-1"}`, valid, "ES256", k.p256))
	add("jwks-eddsa", "jwks", secJWT(`{"alg":"EdDSA","kid":"ed-1"}`, valid, "EdDSA", k.ed))
	add("jwks-hs256", "jwks", secJWT(`{"alg":"HS256","kid":"hs-1"}`, valid, "HS256", k.hs256))
	add("jwks-hs256-key-without-use", "jwks", secJWT(`{"alg":"HS256","kid":"hs-2"}`, valid, "HS256", k.hs256b))
	add("jwks-es256-second-key", "jwks", secJWT(`{"alg":"ES256","kid":"ec-2"}`, valid, "ES256", k.p256b))
	add("jwks-rs256-no-kid-one-key-of-alg", "jwks", secJWT(`{"alg":"RS256"}`, valid, "RS256", k.rsa))
	add("kid-ignored-by-single-key", "hs", secHS(`{"alg":"HS256","kid":"whatever"}`, valid))
	add("iss-aud", "hsIssAud", secHS(secHdr, secClaims(`,"iss":"`+secIss+`","aud":"`+secAud+`"`)))
	add("iss-aud-array", "hsIssAud", secHS(secHdr, secClaims(`,"iss":"`+secIss+`","aud":["api://billing","`+secAud+`"]`)))
	add("aud-unchecked-array", "hsAnyAud", secHS(secHdr, secClaims(`,"aud":["a","b"]`)))
	add("aud-empty-string-no-audience", "hs", secHS(secHdr, secClaims(`,"aud":""`)))
	for _, n := range []struct{ name, extra string }{
		{"max", `,"x":1.7976931348623157e308`}, {"tiny", `,"x":1e-400`}, {"zero-big-exponent", `,"x":0.0e999`},
		{"negative-max", `,"x":-1.7976931348623157e308`}, {"long-fraction", `,"x":0.` + strings.Repeat("9", 400)},
	} {
		add("number-within-float64-"+n.name, "hs", secHS(secHdr, secClaims(n.extra)))
	}

	add("aud-empty-array-no-audience", "hs", secHS(secHdr, secClaims(`,"aud":[]`)))
	add("iss-unchecked", "hs", secHS(secHdr, secClaims(`,"iss":"https://anyone.example"`)))
	add("type-at-jwt", "hsAt", secHS(`{"alg":"HS256","typ":"at+jwt"}`, valid))
	add("type-application-at-jwt", "hsAt", secHS(`{"alg":"HS256","typ":"application/at+jwt"}`, valid))
	add("type-AT-JWT", "hsAt", secHS(`{"alg":"HS256","typ":"AT+JWT"}`, valid))
	add("type-escaped-at-jwt", "hsAt", secHS(`{"alg":"HS256","typ":"at\u002bjwt"}`, valid))
	add("escaped-exp-name", "hs", secHS(secHdr, `{"sub":"alice","\u0065xp":`+strconv.Itoa(secFar)+`}`))
	add("escaped-alg-name-and-value", "hs", secHS(`{"\u0061lg":"HS\u0032\u00356"}`, valid))
	add("json-whitespace", "hsAnyAud", secHS(" {\n\t\"alg\" : \"HS256\" } \r\n", " { \"sub\" : \"alice\" , \"exp\" : "+strconv.Itoa(secFar)+" , \"aud\" : [ \"a\" , \"b\" ] } "))
	add("json-whitespace-aud", "hsIssAud", secHS(secHdr, `{"iss":"`+secIss+`", "aud" : [ "x" ,  "`+secAud+`" ] ,"exp":`+strconv.Itoa(secFar)+`}`))
	add("exp-float-future", "hs", secHS(secHdr, secExp(strconv.Itoa(secFar)+".5")))
	add("exp-exponent-future", "hs", secHS(secHdr, secExp("4.1e9")))
	add("exp-huge", "hs", secHS(secHdr, secExp("1e300")))
	add("exp-now-plus-one", "hs", secHS(secHdr, secExp(strconv.Itoa(now+1))))
	add("nbf-now", "hs", secHS(secHdr, secClaims(`,"nbf":`+strconv.Itoa(now))))
	add("nbf-zero", "hs", secHS(secHdr, secClaims(`,"nbf":0`)))
	add("iat-now", "hs", secHS(secHdr, secClaims(`,"iat":`+strconv.Itoa(now))))
	add("iat-zero", "hs", secHS(secHdr, secClaims(`,"iat":0`)))
	add("exp-within-leeway", "hsLeeway", secHS(secHdr, secExp(strconv.Itoa(now-29))))
	add("nbf-within-leeway", "hsLeeway", secHS(secHdr, secClaims(`,"nbf":`+strconv.Itoa(now+30))))
	add("iat-within-leeway", "hsLeeway", secHS(secHdr, secClaims(`,"iat":`+strconv.Itoa(now+30))))
	add("required-claims-present", "hsReq", secHS(secHdr, secClaims(`,"jti":"1"`)))
	add("required-claims-null-value", "hsReq", secHS(secHdr, secClaims(`,"jti":"1","sub2":null`)))
	add("header-unknown-params-ignored", "hs", secHS(`{"alg":"HS256","x5t":"abc","custom":{"a":[1,2]},"CRIT":["x"],"Zip":"DEF"}`, valid))
	add("header-jku-real-key", "rs", secJWT(`{"alg":"RS256","jku":"http://127.0.0.1:9/jwks.json"}`, valid, "RS256", k.rsa))
	add("private-claims", "hs", secHS(secHdr, secClaims(`,"role":"admin","scope":"a b","scp":["c"],"n":1.5,"obj":{"a":{"b":[true,null]}},"s":"\u00e9\ud83d\ude00"`)))
	add("private-claim-null", "hs", secHS(secHdr, secClaims(`,"x":null`)))
	add("nested-depth-31", "hs", secHS(secHdr, secClaims(`,"x":`+strings.Repeat("[", 31)+"1"+strings.Repeat("]", 31))))
	add("header-nested-32", "hs", secHS(`{"alg":"HS256","x":`+strings.Repeat("[", 32)+"1"+strings.Repeat("]", 32)+`}`, valid))
	add("cty-other", "hs", secHS(`{"alg":"HS256","cty":"application/json"}`, valid))
	var m32 strings.Builder
	for i := range 31 {
		fmt.Fprintf(&m32, `,"h%d":%d`, i, i)
	}
	add("header-32-members", "hs", secHS(`{"alg":"HS256"`+m32.String()+`}`, valid))
	var c256 strings.Builder
	for i := range 254 {
		fmt.Fprintf(&c256, `,"c%d":%d`, i, i)
	}
	add("claims-256-members", "hs", secHS(secHdr, secClaims(c256.String())))
	add("max-size-token", "hsBig", secHS(secHdr, secClaims(`,"pad":"`+strings.Repeat("A", 40_000)+`"`)))
	return rows
}

// secAllowed reports whether err is one of the errors the package documents.
func secAllowed(err error) bool {
	for _, s := range []error{jwtauth.ErrInvalidToken, jwtauth.ErrInvalidRequest, jwtauth.ErrMissingToken, jwtauth.ErrCrossOrigin, jwtauth.ErrInsufficientScope} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// secSentinels are the specific token errors, for error messages.
var secSentinels = []error{
	jwtauth.ErrTokenMalformed, jwtauth.ErrTokenTooLarge, jwtauth.ErrUnsupportedHeader,
	jwtauth.ErrAlgorithm, jwtauth.ErrUnknownKey, jwtauth.ErrSignature, jwtauth.ErrTokenExpired,
	jwtauth.ErrTokenNotYetValid, jwtauth.ErrClaimType, jwtauth.ErrMissingClaim, jwtauth.ErrIssuer,
	jwtauth.ErrAudience, jwtauth.ErrTokenType, jwtauth.ErrClaimName,
}

// secShort abbreviates a token for a failure message.
func secShort(s string) string {
	if len(s) > 120 {
		return fmt.Sprintf("%q…(%d bytes)", s[:120], len(s))
	}
	return strconv.Quote(s)
}

func TestAttackControls(t *testing.T) {
	f := secFix()
	for _, c := range secValids() {
		t.Run(c.name, func(t *testing.T) {
			claims, err := f.v[c.v].mw.Verify(t.Context(), c.token)
			if err != nil || claims == nil {
				t.Fatalf("verifier %s rejected a valid token: %v\n%s", c.v, err, secShort(c.token))
			}
			raw, _ := claims.MarshalJSON()
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatalf("claims are not a JSON object: %v", err)
			}
			if sub, ok := m["sub"].(string); ok && claims.Subject() != sub {
				t.Errorf("Subject() = %q, claims %s", claims.Subject(), raw)
			}
			if claims.ExpiresAt().IsZero() {
				t.Errorf("ExpiresAt() is zero, claims %s", raw)
			}
		})
	}
}

func TestAttackClasses(t *testing.T) {
	f := secFix()
	k := f.k
	var hits atomic.Int64
	attackerJWKS := func() []byte {
		set := jwk.NewSet()
		jk := secMust(jwk.Import(&k.rsaAttacker.PublicKey))
		_ = jk.Set(jwk.KeyIDKey, "attacker-rsa")
		_ = jk.Set(jwk.AlgorithmKey, "RS256")
		_ = set.AddKey(jk)
		return secMust(json.Marshal(set))
	}()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(attackerJWKS)
	}))
	defer srv.Close()
	// The server works: a fetch would have found the attacker's key.
	if resp, err := srv.Client().Get(srv.URL + "/probe"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	hits.Store(0)

	rows := secAttacks(srv.URL + "/.well-known/jwks.json")
	seen := map[string]bool{}
	for _, a := range rows {
		if seen[a.name] {
			t.Fatalf("duplicate row name %s", a.name)
		}
		seen[a.name] = true
		t.Run(a.name, func(t *testing.T) {
			v := f.v[a.v]
			claims, err := v.mw.Verify(t.Context(), a.token)
			if err == nil || claims != nil {
				t.Fatalf("ACCEPTED by %s: %s", a.v, secShort(a.token))
			}
			if !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Errorf("error %v does not match ErrInvalidToken", err)
			}
			if !errors.Is(err, a.want) {
				t.Errorf("error %q, want %q", err, a.want)
			}
			if jwtauth.StatusCode(err) != http.StatusUnauthorized {
				t.Errorf("StatusCode = %d", jwtauth.StatusCode(err))
			}

			// The same over HTTP: never the handler, 401 (or 400 when the
			// credential is not even a b64token), nothing echoed.
			var reached bool
			h := v.mw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer "+a.token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if reached {
				t.Fatal("handler reached over HTTP")
			}
			if w.Code != http.StatusUnauthorized && w.Code != http.StatusBadRequest {
				t.Errorf("HTTP status %d", w.Code)
			}
			if body := w.Body.String() + w.Header().Get("WWW-Authenticate"); len(a.token) > 24 && strings.Contains(body, a.token[:24]) {
				t.Errorf("response echoes the token: %s", body)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the attacker's JWK Set server got %d requests; jku/x5u must never be fetched", n)
	}
}

// TestAttackJKURealKeyNotFetched: a token signed by the real key that names
// a jku is accepted, and the URL still is not fetched.
func TestAttackJKURealKeyNotFetched(t *testing.T) {
	f := secFix()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	for _, param := range []string{"jku", "x5u"} {
		tok := secJWT(`{"alg":"RS256","`+param+`":"`+srv.URL+`/jwks.json"}`, secClaims(""), "RS256", f.k.rsa)
		if _, err := f.v["rs"].mw.Verify(t.Context(), tok); err != nil {
			t.Errorf("%s: %v", param, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("server got %d requests", n)
	}
}

// TestAttackEveryAlgorithmAccepted mints a token of each supported algorithm
// with jwx and fresh keys, and checks that a verifier of that algorithm
// accepts it and that every other algorithm's verifier, on the same key
// material where possible, refuses it with ErrAlgorithm.
func TestAttackEveryAlgorithmAccepted(t *testing.T) {
	k := secTestKeys()
	type algCase struct {
		alg       string
		sign, pub any
	}
	cases := []algCase{
		{"HS256", k.hs256, k.hs256}, {"HS384", k.hs384, k.hs384}, {"HS512", k.hs512, k.hs512},
		{"RS256", k.rsa, &k.rsa.PublicKey}, {"RS384", k.rsa, &k.rsa.PublicKey}, {"RS512", k.rsa, &k.rsa.PublicKey},
		{"PS256", k.rsa, &k.rsa.PublicKey}, {"PS384", k.rsa, &k.rsa.PublicKey}, {"PS512", k.rsa, &k.rsa.PublicKey},
		{"ES256", k.p256, &k.p256.PublicKey}, {"ES384", k.p384, &k.p384.PublicKey}, {"ES512", k.p521, &k.p521.PublicKey},
		{"EdDSA", k.ed, k.ed.Public()},
	}
	keysFor := func(c algCase) jwtauth.Keys {
		if c.alg[:2] == "HS" {
			return jwtauth.SecretKey(c.alg, c.pub.([]byte))
		}
		return jwtauth.PublicKey(c.alg, c.pub)
	}
	payload := []byte(secClaims(`,"iat":` + strconv.Itoa(int(secNow.Unix())) + `,"role":"admin"`))
	for _, c := range cases {
		t.Run(c.alg, func(t *testing.T) {
			alg, _ := jwa.LookupSignatureAlgorithm(c.alg)
			hdr := jws.NewHeaders()
			_ = hdr.Set("typ", "JWT")
			tok, err := jws.Sign(payload, jws.WithKey(alg, c.sign, jws.WithProtectedHeaders(hdr)))
			if err != nil {
				t.Fatal(err)
			}
			m, err := jwtauth.New(jwtauth.Config{Keys: keysFor(c), Now: secClock})
			if err != nil {
				t.Fatal(err)
			}
			claims, err := m.Verify(t.Context(), string(tok))
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if claims.Subject() != "alice" || claims.ExpiresAt().Unix() != secFar || !claims.IssuedAt().Equal(secNow) {
				t.Errorf("claims %v %v %v", claims.Subject(), claims.ExpiresAt(), claims.IssuedAt())
			}
			var private struct{ Role string }
			if err := claims.Decode(&private); err != nil || private.Role != "admin" {
				t.Errorf("Decode: %v %q", err, private.Role)
			}
			// Also through jwt.Sign, with jwx's own claim encoding.
			jt, _ := jwt.NewBuilder().Subject("bob").Expiration(time.Unix(secFar, 0)).Build()
			tok2, err := jwt.Sign(jt, jwt.WithKey(alg, c.sign))
			if err != nil {
				t.Fatal(err)
			}
			if claims, err := m.Verify(t.Context(), string(tok2)); err != nil || claims.Subject() != "bob" {
				t.Errorf("jwt.Sign token: %v", err)
			}
			// No verifier of another algorithm takes it.
			for _, o := range cases {
				if o.alg == c.alg {
					continue
				}
				om, err := jwtauth.New(jwtauth.Config{Keys: keysFor(o), Now: secClock})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := om.Verify(t.Context(), string(tok)); !errors.Is(err, jwtauth.ErrAlgorithm) {
					t.Errorf("%s verifier: %v, want ErrAlgorithm", o.alg, err)
				}
			}
		})
	}
}

// TestAttackTimeBoundaries checks the exact edges of exp, nbf and iat, with and
// without leeway, on a fixed clock.
func TestAttackTimeBoundaries(t *testing.T) {
	k := secTestKeys()
	now := secNow.Unix()
	type tc struct {
		leeway time.Duration
		claim  string
		at     string // the claim's raw value
		want   error  // nil: accepted
	}
	n := func(d int64) string { return strconv.FormatInt(now+d, 10) }
	cases := []tc{
		{0, "exp", n(0), jwtauth.ErrTokenExpired},
		{0, "exp", n(1), nil},
		{0, "exp", n(-1), jwtauth.ErrTokenExpired},
		{0, "exp", n(0) + ".999", jwtauth.ErrTokenExpired},
		{0, "exp", n(1) + ".0", nil},
		{30 * time.Second, "exp", n(-29), nil},
		{30 * time.Second, "exp", n(-30), jwtauth.ErrTokenExpired},
		{30 * time.Second, "exp", n(-31), jwtauth.ErrTokenExpired},
		// A fractional leeway is never more than it says.
		{1500 * time.Millisecond, "exp", n(-2), jwtauth.ErrTokenExpired},
		{1500 * time.Millisecond, "nbf", n(2), jwtauth.ErrTokenNotYetValid},
		{5 * time.Minute, "exp", n(-299), nil},
		{5 * time.Minute, "exp", n(-300), jwtauth.ErrTokenExpired},
		{0, "nbf", n(0), nil},
		{0, "nbf", n(-1), nil},
		{0, "nbf", n(1), jwtauth.ErrTokenNotYetValid},
		{0, "nbf", n(0) + ".5", nil},
		{30 * time.Second, "nbf", n(30), nil},
		{30 * time.Second, "nbf", n(31), jwtauth.ErrTokenNotYetValid},
		{0, "iat", n(0), nil},
		{0, "iat", n(1), jwtauth.ErrTokenNotYetValid},
		{30 * time.Second, "iat", n(30), nil},
		{30 * time.Second, "iat", n(31), jwtauth.ErrTokenNotYetValid},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s=now%+d/leeway=%v", c.claim, mustAtoiDelta(c.at, now), c.leeway), func(t *testing.T) {
			m, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(k.hs256), Leeway: c.leeway, Now: secClock})
			if err != nil {
				t.Fatal(err)
			}
			payload := secClaims(`,"` + c.claim + `":` + c.at)
			if c.claim == "exp" {
				payload = secExp(c.at)
			}
			_, err = m.Verify(t.Context(), secHS(secHdr, payload))
			switch {
			case c.want == nil && err != nil:
				t.Errorf("rejected: %v", err)
			case c.want != nil && !errors.Is(err, c.want):
				t.Errorf("error %v, want %v", err, c.want)
			}
		})
	}
}

func mustAtoiDelta(raw string, now int64) int64 {
	whole, _, _ := strings.Cut(raw, ".")
	v, _ := strconv.ParseInt(whole, 10, 64)
	return v - now
}

// TestAttackConfig: New refuses every unsafe configuration with an error that
// matches ErrConfig (and the specific key error where there is one), and
// never panics.
func TestAttackConfig(t *testing.T) {
	k := secTestKeys()
	rsa1024 := secMust(rsa.GenerateKey(rand.Reader, 1024))
	fastAPI := []byte("09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7")
	hs := jwtauth.HMAC(k.hs256)
	jwks := func(keys ...string) []byte { return []byte(`{"keys":[` + strings.Join(keys, ",") + `]}`) }
	rsaJWK := func(extra string) string {
		var m map[string]any
		_ = json.Unmarshal(secMust(json.Marshal(secMust(jwk.Import(&k.rsa.PublicKey)))), &m)
		var e map[string]any
		_ = json.Unmarshal([]byte("{"+extra+"}"), &e)
		for n, v := range e {
			m[n] = v
		}
		return string(secMust(json.Marshal(m)))
	}
	oct := func(secret []byte, extra string) string {
		return `{"kty":"oct","k":"` + secB64Bytes(secret) + `"` + extra + `}`
	}
	evenE := &rsa.PublicKey{N: k.rsa.PublicKey.N, E: 65536}
	offCurve := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).Set(k.p256.X), Y: new(big.Int).Add(k.p256.Y, big.NewInt(1))}

	cases := []struct {
		name string
		cfg  func() jwtauth.Config
		also error // a more specific error it must match too, or nil
	}{
		{"hs256-31-bytes", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.HMAC(k.hs256[:31])} }, jwtauth.ErrWeakSecret},
		{"hs256-secretkey-31-bytes", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.SecretKey("HS256", k.hs256[:31])} }, jwtauth.ErrWeakSecret},
		{"hs384-47-bytes", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.SecretKey("HS384", k.hs384[:47])} }, jwtauth.ErrWeakSecret},
		{"hs512-63-bytes", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.SecretKey("HS512", k.hs512[:63])} }, jwtauth.ErrWeakSecret},
		{"hs512-with-hs256-sized-secret", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.SecretKey("HS512", k.hs256)} }, jwtauth.ErrWeakSecret},
		{"empty-secret", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.HMAC(nil)} }, jwtauth.ErrWeakSecret},
		{"fastapi-published-secret", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.HMAC(fastAPI)} }, jwtauth.ErrWeakSecret},
		{"fastapi-published-secret-hs512", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.SecretKey("HS512", fastAPI)} }, jwtauth.ErrWeakSecret},
		{"fastapi-published-secret-jwks", func() jwtauth.Config {
			return jwtauth.Config{Keys: jwtauth.KeySet(jwks(oct(fastAPI, `,"alg":"HS256","kid":"x"`)))}
		}, jwtauth.ErrWeakSecret},
		{"rsa-1024", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("RS256", &rsa1024.PublicKey)} }, jwtauth.ErrKeyAlgorithm},
		{"rsa-1024-ps256", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("PS256", &rsa1024.PublicKey)} }, jwtauth.ErrKeyAlgorithm},
		{"rsa-1024-jwks", func() jwtauth.Config {
			return jwtauth.Config{Keys: jwtauth.KeySet(jwks(`{"kty":"RSA","alg":"RS256","kid":"r","e":"AQAB","n":"` +
				secB64Bytes(rsa1024.PublicKey.N.Bytes()) + `"}`))}
		}, jwtauth.ErrKeyAlgorithm},
		{"rsa-even-exponent", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("RS256", evenE)} }, jwtauth.ErrKeyAlgorithm},
		{"rsa-nil-key", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("RS256", (*rsa.PublicKey)(nil))} }, jwtauth.ErrKeyAlgorithm},
		{"rsa-empty-key", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("RS256", &rsa.PublicKey{})} }, jwtauth.ErrKeyAlgorithm},
		{"rsa-private-key", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("RS256", k.rsa)} }, jwtauth.ErrKeyAlgorithm},
		{"p384-for-es256", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("ES256", &k.p384.PublicKey)} }, jwtauth.ErrKeyAlgorithm},
		{"p256-for-es384", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("ES384", &k.p256.PublicKey)} }, jwtauth.ErrKeyAlgorithm},
		{"p256-for-es512", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("ES512", &k.p256.PublicKey)} }, jwtauth.ErrKeyAlgorithm},
		{"ec-off-curve", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("ES256", offCurve)} }, jwtauth.ErrKeyAlgorithm},
		{"ec-generic-curve-params", func() jwtauth.Config {
			return jwtauth.Config{Keys: jwtauth.PublicKey("ES256", &ecdsa.PublicKey{Curve: elliptic.P256().Params(), X: k.p256.X, Y: k.p256.Y})}
		}, jwtauth.ErrKeyAlgorithm},
		{"ec-nil-key", func() jwtauth.Config {
			return jwtauth.Config{Keys: jwtauth.PublicKey("ES256", (*ecdsa.PublicKey)(nil))}
		}, jwtauth.ErrKeyAlgorithm},
		// A P-256 key with no coordinates: the EC analogue of rsa-empty-key.
		{"ec-key-without-point", func() jwtauth.Config {
			return jwtauth.Config{Keys: jwtauth.PublicKey("ES256", &ecdsa.PublicKey{Curve: elliptic.P256()})}
		}, jwtauth.ErrKeyAlgorithm},
		{"ec-private-key", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("ES256", k.p256)} }, jwtauth.ErrKeyAlgorithm},
		{"ec-key-for-rs256", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("RS256", &k.p256.PublicKey)} }, jwtauth.ErrKeyAlgorithm},
		{"rsa-key-for-es256", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("ES256", &k.rsa.PublicKey)} }, jwtauth.ErrKeyAlgorithm},
		{"rsa-key-for-eddsa", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("EdDSA", &k.rsa.PublicKey)} }, jwtauth.ErrKeyAlgorithm},
		{"ed-private-key-for-eddsa", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("EdDSA", k.ed)} }, jwtauth.ErrKeyAlgorithm},
		{"ed-short-key", func() jwtauth.Config {
			return jwtauth.Config{Keys: jwtauth.PublicKey("EdDSA", ed25519.PublicKey(k.ed.Public().(ed25519.PublicKey)[:31]))}
		}, jwtauth.ErrKeyAlgorithm},
		{"public-key-for-hs256", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("HS256", &k.rsa.PublicKey)} }, jwtauth.ErrKeyAlgorithm},
		{"bytes-as-public-key", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("HS256", k.hs256)} }, jwtauth.ErrKeyAlgorithm},
		{"secret-for-rs256", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.SecretKey("RS256", k.hs256)} }, jwtauth.ErrKeyAlgorithm},
		{"alg-none-secret", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.SecretKey("none", k.hs256)} }, jwtauth.ErrKeyAlgorithm},
		{"alg-none-public", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("none", &k.rsa.PublicKey)} }, jwtauth.ErrKeyAlgorithm},
		{"alg-lowercase", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.SecretKey("hs256", k.hs256)} }, jwtauth.ErrKeyAlgorithm},
		{"alg-unknown", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("ES256K", &k.p256.PublicKey)} }, jwtauth.ErrKeyAlgorithm},
		{"nil-public-key", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.PublicKey("RS256", nil)} }, jwtauth.ErrKeyAlgorithm},
		{"jwks-rsa-without-alg", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.KeySet(jwks(rsaJWK(`"kid":"r"`)))} }, jwtauth.ErrKeyAlgorithm},
		{"jwks-rsa-alg-none", func() jwtauth.Config {
			return jwtauth.Config{Keys: jwtauth.KeySet(jwks(rsaJWK(`"kid":"r","alg":"none"`)))}
		}, jwtauth.ErrKeyAlgorithm},
		{"jwks-rsa-alg-hs256", func() jwtauth.Config {
			return jwtauth.Config{Keys: jwtauth.KeySet(jwks(rsaJWK(`"kid":"r","alg":"HS256"`)))}
		}, jwtauth.ErrKeyAlgorithm},
		{"jwks-rsa-alg-es256", func() jwtauth.Config {
			return jwtauth.Config{Keys: jwtauth.KeySet(jwks(rsaJWK(`"kid":"r","alg":"ES256"`)))}
		}, jwtauth.ErrKeyAlgorithm},
		{"jwks-only-enc-keys", func() jwtauth.Config {
			return jwtauth.Config{Keys: jwtauth.KeySet(jwks(rsaJWK(`"kid":"r","alg":"RS256","use":"enc"`)))}
		}, jwtauth.ErrNoKeys},
		{"jwks-empty", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.KeySet(jwks())} }, jwtauth.ErrNoKeys},
		{"jwks-oct-too-short", func() jwtauth.Config {
			return jwtauth.Config{Keys: jwtauth.KeySet(jwks(oct(k.hs256[:31], `,"alg":"HS256","kid":"h"`)))}
		}, jwtauth.ErrWeakSecret},
		{"jwks-oct-hs512-too-short", func() jwtauth.Config {
			return jwtauth.Config{Keys: jwtauth.KeySet(jwks(oct(k.hs256, `,"alg":"HS512","kid":"h"`)))}
		}, jwtauth.ErrWeakSecret},
		{"jwks-oct-without-alg", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.KeySet(jwks(oct(k.hs256, `,"kid":"h"`)))} }, jwtauth.ErrKeyAlgorithm},
		{"jwks-oct-alg-rs256", func() jwtauth.Config {
			return jwtauth.Config{Keys: jwtauth.KeySet(jwks(oct(k.hs256, `,"alg":"RS256","kid":"h"`)))}
		}, jwtauth.ErrKeyAlgorithm},
		{"jwks-duplicate-kid", func() jwtauth.Config {
			return jwtauth.Config{Keys: jwtauth.KeySet(jwks(rsaJWK(`"kid":"a","alg":"RS256"`), oct(k.hs256, `,"alg":"HS256","kid":"a"`)))}
		}, jwtauth.ErrKeyAlgorithm},
		{"jwks-not-json", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.KeySet([]byte(`{"keys":[`))} }, nil},
		{"jwks-nil", func() jwtauth.Config { return jwtauth.Config{Keys: jwtauth.KeySet(nil)} }, nil},
		{"jwks-ec-off-curve", func() jwtauth.Config {
			return jwtauth.Config{Keys: jwtauth.KeySet(jwks(`{"kty":"EC","crv":"P-256","kid":"e","alg":"ES256","x":"` +
				secB64Bytes(k.p256.X.FillBytes(make([]byte, 32))) + `","y":"` + secB64Bytes(offCurve.Y.FillBytes(make([]byte, 32))) + `"}`))}
		}, nil},
		{"leeway-6m", func() jwtauth.Config { return jwtauth.Config{Keys: hs, Leeway: 6 * time.Minute} }, nil},
		{"leeway-5m1ns", func() jwtauth.Config { return jwtauth.Config{Keys: hs, Leeway: 5*time.Minute + 1} }, nil},
		{"leeway-negative", func() jwtauth.Config { return jwtauth.Config{Keys: hs, Leeway: -time.Second} }, nil},
		{"max-token-size-negative", func() jwtauth.Config { return jwtauth.Config{Keys: hs, MaxTokenSize: -1} }, nil},
		{"max-token-size-too-large", func() jwtauth.Config { return jwtauth.Config{Keys: hs, MaxTokenSize: 64<<10 + 1} }, nil},
		{"realm-quote", func() jwtauth.Config { return jwtauth.Config{Keys: hs, Realm: `api", error="x`} }, nil},
		{"realm-backslash", func() jwtauth.Config { return jwtauth.Config{Keys: hs, Realm: `a\b`} }, nil},
		{"realm-newline", func() jwtauth.Config { return jwtauth.Config{Keys: hs, Realm: "a\r\nSet-Cookie: x=y"} }, nil},
		{"realm-non-ascii", func() jwtauth.Config { return jwtauth.Config{Keys: hs, Realm: "é"} }, nil},
		{"nil-keys", func() jwtauth.Config { return jwtauth.Config{} }, jwtauth.ErrNoKeys},
		{"required-claims-empty-name", func() jwtauth.Config { return jwtauth.Config{Keys: hs, RequiredClaims: []string{""}} }, nil},
		{"required-claims-65", func() jwtauth.Config { return jwtauth.Config{Keys: hs, RequiredClaims: make([]string, 65)} }, nil},
		{"cookie-bad-name", func() jwtauth.Config { return jwtauth.Config{Keys: hs, Cookie: "a b"} }, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("panic instead of an error: %v", p)
				}
			}()
			m, err := jwtauth.New(c.cfg())
			if err == nil || m != nil {
				t.Fatalf("New accepted the config")
			}
			if !errors.Is(err, jwtauth.ErrConfig) {
				t.Errorf("error %q does not match ErrConfig", err)
			}
			if c.also != nil && !errors.Is(err, c.also) {
				t.Errorf("error %q does not match %q", err, c.also)
			}
		})
	}

	// The limits themselves are accepted.
	for name, cfg := range map[string]jwtauth.Config{
		"leeway-5m":          {Keys: hs, Leeway: 5 * time.Minute},
		"max-token-size-64k": {Keys: hs, MaxTokenSize: 64 << 10},
		"max-token-size-1":   {Keys: hs, MaxTokenSize: 1},
		"hs384-48-bytes":     {Keys: jwtauth.SecretKey("HS384", k.hs384)},
		"hs512-64-bytes":     {Keys: jwtauth.SecretKey("HS512", k.hs512)},
		"hs256-64-bytes":     {Keys: jwtauth.HMAC(k.hs512)},
		"required-claims-64": {Keys: hs, RequiredClaims: strings.Fields(strings.Repeat("c ", 64))},
	} {
		if _, err := jwtauth.New(cfg); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	// A use=enc key in a set is skipped: New succeeds, and a token signed by
	// it under its kid is refused, while the sig key still works.
	encKey := secMust(rsa.GenerateKey(rand.Reader, 2048))
	encJWK := func() string {
		j := secMust(jwk.Import(&encKey.PublicKey))
		_ = j.Set(jwk.KeyIDKey, "enc-1")
		_ = j.Set(jwk.AlgorithmKey, "RS256")
		_ = j.Set(jwk.KeyUsageKey, "enc")
		return string(secMust(json.Marshal(j)))
	}()
	m, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.KeySet(jwks(encJWK, rsaJWK(`"kid":"sig-1","alg":"RS256","use":"sig"`))), Now: secClock})
	if err != nil {
		t.Fatalf("set with a use=enc key: %v", err)
	}
	if _, err := m.Verify(t.Context(), secJWT(`{"alg":"RS256","kid":"enc-1"}`, secClaims(""), "RS256", encKey)); !errors.Is(err, jwtauth.ErrUnknownKey) {
		t.Errorf("token of the use=enc key: %v, want ErrUnknownKey", err)
	}
	if _, err := m.Verify(t.Context(), secJWT(`{"alg":"RS256","kid":"sig-1"}`, secClaims(""), "RS256", k.rsa)); err != nil {
		t.Errorf("token of the sig key: %v", err)
	}
}

// TestAttackRequiredClaimsLimits: the largest RequiredClaims list is enforced
// claim by claim, by exact name.
func TestAttackRequiredClaimsLimits(t *testing.T) {
	var names []string
	var all strings.Builder
	for i := range 64 {
		names = append(names, "c"+strconv.Itoa(i))
		fmt.Fprintf(&all, `,"c%d":%d`, i, i)
	}
	for _, c := range []struct {
		name     string
		required []string
		extra    string
		want     error
	}{
		{"64-present", names, all.String(), nil},
		{"64-last-missing", names, strings.Replace(all.String(), `,"c63":63`, "", 1), jwtauth.ErrMissingClaim},
		{"64-first-missing", names, strings.Replace(all.String(), `,"c0":0`, "", 1), jwtauth.ErrMissingClaim},
		{"64-case-variant", names, strings.Replace(all.String(), `"c63"`, `"C63"`, 1), jwtauth.ErrClaimName},
		{"repeated-name", []string{"sub", "sub"}, "", nil},
		{"null-counts-as-present", []string{"x"}, `,"x":null`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := jwtauth.New(jwtauth.Config{Keys: jwtauth.HMAC(secTestKeys().hs256), RequiredClaims: c.required, Now: secClock})
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.Verify(t.Context(), secHS(secHdr, secClaims(c.extra)))
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("error %v, want %v", err, c.want)
			}
		})
	}
}

// TestAttackCache: the verified-token cache must never let through what a
// cold verification would refuse. A hit re-checks the clock, revocation and
// the key in force; entries belong to one Middleware and its policy.
func TestAttackCache(t *testing.T) {
	k := secTestKeys()
	var clock atomic.Int64
	t0 := secNow.Unix()
	clock.Store(t0)
	now := func() time.Time { return time.Unix(clock.Load(), 0) }
	at := func(d int64) { clock.Store(t0 + d) }
	newMW := func(cfg jwtauth.Config) *jwtauth.Middleware {
		t.Helper()
		if cfg.Keys == nil {
			cfg.Keys = jwtauth.HMAC(k.hs256)
		}
		cfg.Now = now
		cfg.InsecureAnyAudience = cfg.Audience == "" // the aud rows below
		m, err := jwtauth.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	check := func(m *jwtauth.Middleware, tok string, want error) *jwtauth.Claims {
		t.Helper()
		c, err := m.Verify(t.Context(), tok)
		switch {
		case want == nil && err != nil:
			t.Fatalf("rejected: %v", err)
		case want != nil && !errors.Is(err, want):
			t.Fatalf("error %v, want %v", err, want)
		case want != nil && c != nil:
			t.Fatal("claims with an error")
		}
		return c
	}

	for _, disable := range []bool{false, true} {
		t.Run(fmt.Sprintf("DisableCache=%v", disable), func(t *testing.T) {
			m := newMW(jwtauth.Config{DisableCache: disable})
			at(0)
			exp := secHS(secHdr, secExp(strconv.FormatInt(t0+100, 10)))
			check(m, exp, nil) // noted
			check(m, exp, nil) // cached
			check(m, exp, nil) // a hit
			at(99)
			check(m, exp, nil)
			at(100)
			check(m, exp, jwtauth.ErrTokenExpired)
			at(1000)
			check(m, exp, jwtauth.ErrTokenExpired)
			at(0)
			check(m, exp, nil)

			nbf := secHS(secHdr, secClaims(`,"nbf":`+strconv.FormatInt(t0+50, 10)))
			check(m, nbf, jwtauth.ErrTokenNotYetValid)
			at(50)
			check(m, nbf, nil)
			at(0)
			check(m, nbf, jwtauth.ErrTokenNotYetValid)
			at(50)

			// Claims served twice are equal, and what a caller does to
			// the copies it gets does not reach the next request.
			aud := secHS(secHdr, secClaims(`,"aud":["a","b"],"role":"admin"`))
			check(m, aud, nil)       // noted
			c1 := check(m, aud, nil) // cached: c2 is a hit
			a := c1.Audience()
			a[0] = "mutated"
			raw, _ := c1.MarshalJSON()
			raw[2] = 'X'
			c2 := check(m, aud, nil)
			if got := c2.Audience(); !slices.Equal(got, []string{"a", "b"}) {
				t.Errorf("Audience() after a caller changed a copy: %q", got)
			}
			if raw2, _ := c2.MarshalJSON(); string(raw2) != secClaims(`,"aud":["a","b"],"role":"admin"`) {
				t.Errorf("MarshalJSON() after a caller changed a copy: %s", raw2)
			}
			at(0)
		})
	}

	t.Run("policy-per-middleware", func(t *testing.T) {
		at(0)
		open := newMW(jwtauth.Config{})
		tok := secHS(`{"alg":"HS256","typ":"JWT"}`, secClaims(`,"iss":"https://evil.example","aud":"other"`))
		check(open, tok, nil)
		check(open, tok, nil)
		check(open, tok, nil)
		check(newMW(jwtauth.Config{Issuer: secIss}), tok, jwtauth.ErrIssuer)
		check(newMW(jwtauth.Config{Audience: secAud}), tok, jwtauth.ErrAudience)
		check(newMW(jwtauth.Config{Type: "at+jwt"}), tok, jwtauth.ErrTokenType)
		check(newMW(jwtauth.Config{RequiredClaims: []string{"jti"}}), tok, jwtauth.ErrMissingClaim)
		check(newMW(jwtauth.Config{Keys: jwtauth.HMAC(k.hs512)}), tok, jwtauth.ErrSignature)
		check(newMW(jwtauth.Config{Keys: jwtauth.PublicKey("ES256", &k.p256.PublicKey)}), tok, jwtauth.ErrAlgorithm)
	})

	t.Run("revocation", func(t *testing.T) {
		at(0)
		store := newIDStore()
		m := newMW(jwtauth.Config{Store: store})
		tok := secHS(secHdr, secClaims(`,"jti":"j-1"`))
		check(m, tok, nil)
		check(m, tok, nil)
		check(m, tok, nil)
		store.revoke("j-1")
		check(m, tok, jwtauth.ErrTokenRevoked)
		check(m, tok, jwtauth.ErrTokenRevoked)
	})

	t.Run("key-rotation", func(t *testing.T) {
		iss, err := issuer.New(issuer.Config{Key: issuer.SigningKey{Algorithm: "HS256", Key: k.hs256}})
		if err != nil {
			t.Fatal(err)
		}
		m, err := jwtauth.New(jwtauth.Config{Keys: iss.Keys()})
		if err != nil {
			t.Fatal(err)
		}
		old, err := iss.Issue(t.Context(), "alice", nil)
		if err != nil {
			t.Fatal(err)
		}
		oldKID := iss.KeyID()
		for range 3 {
			if _, err := m.Verify(t.Context(), old); err != nil {
				t.Fatalf("fresh token: %v", err)
			}
		}
		if err := iss.Rotate(issuer.SigningKey{Algorithm: "HS256", Key: k.hs256b}); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Verify(t.Context(), old); err != nil {
			t.Fatalf("token of the retired, still verifying key: %v", err)
		}
		if err := iss.Retire(oldKID); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := m.Verify(t.Context(), old); err == nil || !errors.Is(err, jwtauth.ErrInvalidToken) {
				t.Fatalf("token of a removed key: %v", err)
			}
		}
		fresh, _ := iss.Issue(t.Context(), "bob", nil)
		if _, err := m.Verify(t.Context(), fresh); err != nil {
			t.Fatalf("token of the new key: %v", err)
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		at(0)
		m := newMW(jwtauth.Config{CacheSize: 16})
		valid := secHS(secHdr, secClaims(""))
		forged := valid[:len(valid)-2] + "AA"
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 200 {
					tok := valid
					if (g+i)%3 == 0 {
						tok = forged
					}
					if i%5 == 0 { // churn the small cache
						tok = secHS(secHdr, secClaims(`,"n":`+strconv.Itoa(g*1000+i)))
					}
					c, err := m.Verify(t.Context(), tok)
					if (err == nil) != (tok != forged) || (err == nil) != (c != nil) {
						t.Errorf("token %d/%d: %v", g, i, err)
						return
					}
				}
			})
		}
		wg.Wait()
	})
}

// TestAttackClaimAccessors: the accessors report the claims exactly as the
// token carried them (RFC 7519 §4.1: "aud" is a string or an array of
// strings, and an empty string is a value like any other).
func TestAttackClaimAccessors(t *testing.T) {
	m := secFix().v["hsAnyAud"].mw
	for _, c := range []struct {
		extra              string
		aud                []string
		iss, sub, jti, typ string
	}{
		{`,"aud":"api"`, []string{"api"}, "", "alice", "", "JWT"},
		{`,"aud":""`, []string{""}, "", "alice", "", "JWT"},
		{`,"aud":["a",""]`, []string{"a", ""}, "", "alice", "", "JWT"},
		{`,"aud":[]`, []string{}, "", "alice", "", "JWT"},
		{``, nil, "", "alice", "", "JWT"},
		{`,"iss":"i\"s\u0073","jti":"\ud83d\ude00"`, nil, `i"ss`, "alice", "\U0001F600", "JWT"},
	} {
		t.Run(c.extra, func(t *testing.T) {
			claims, err := m.Verify(t.Context(), secHS(secHdr, secClaims(c.extra)))
			if err != nil {
				t.Fatal(err)
			}
			if got := claims.Audience(); !slices.Equal(got, c.aud) || (got == nil) != (c.aud == nil) {
				t.Errorf("Audience() = %#v, want %#v", got, c.aud)
			}
			if claims.Issuer() != c.iss || claims.Subject() != c.sub || claims.ID() != c.jti || claims.Type() != c.typ {
				t.Errorf("Issuer, Subject, ID, Type = %q %q %q %q", claims.Issuer(), claims.Subject(), claims.ID(), claims.Type())
			}
		})
	}
}
