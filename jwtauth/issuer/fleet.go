package issuer

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authkit-go/authkit/jwtauth"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Rotation configures fleet mode (Config.Rotation): every instance of the
// issuer signs with a private key of its own, made in memory and never
// stored, publishes its public half to the other instances through a
// shared [KeyStore] Ahead of signing with it, replaces it Every so often,
// and serves the union of all instances' live keys in [Issuer.JWKSHandler]
// and [Issuer.Keys]. No private key or secret is copied between instances.
// See the package documentation for the timing rules.
//
// [New] does no I/O: it makes the first key pair and returns, and the
// background publishes it. Until then, and for Ahead after it in a running
// fleet, the Issuer is not [Issuer.Ready]; [Issuer.WaitReady] waits for it
// within a context.
type Rotation struct {
	// Store is where the instances publish their public keys. Default:
	// Config.Store, when it implements KeyStore (MemoryStore and the
	// redisstore module's Store do).
	Store KeyStore

	// Algorithm of the keys the instance makes: ES256 (the default),
	// ES384, ES512, EdDSA, RS256, PS256 (RSA keys of 2048 bits).
	Algorithm string

	// Every is how long an instance signs with one key before the next
	// takes over. Default 24 hours; at least Ahead + Poll, at most 90 days.
	Every time.Duration

	// Ahead is how long a key is published before it signs. Every
	// verifier must re-read the JWK Set at least every Ahead − Poll: then
	// it never meets an unknown kid. Default 20 minutes, which covers the
	// five minutes the JWK Set may be cached, jwtauth.Remote's refresh at
	// that max-age, and verifiers that cache for 15 minutes; at least 2 ×
	// Poll.
	Ahead time.Duration

	// Poll is how often an instance re-reads the union of the fleet's
	// keys and extends the record of the key it signs with. Default 30
	// seconds; at least 10 milliseconds.
	Poll time.Duration

	// Timeout bounds each call to Store. Default the lesser of 5 seconds
	// and Poll.
	Timeout time.Duration

	// Logger receives a warning for each failed Store call and each
	// record refused. Default slog.Default() at the time of New.
	Logger *slog.Logger
}

const (
	defaultEvery      = 24 * time.Hour
	maxEvery          = 90 * 24 * time.Hour
	defaultAhead      = 20 * time.Minute
	defaultPoll       = 30 * time.Second
	minPoll           = 10 * time.Millisecond
	defaultKeyTimeout = 5 * time.Second
)

// ErrNotReady: the Issuer has no key it may sign with yet. An instance
// that joins a running fleet publishes its key and waits Rotation.Ahead
// before signing with it, so that verifiers know it; an instance whose key
// store has been unreachable for longer than Ahead stops signing until it
// answers again. Login, Issue and Refresh fail with it: answer 503 with
// Retry-After. It matches jwtauth.ErrKeysUnavailable, so jwtauth.StatusCode
// gives 503. [Issuer.Ready] tells a readiness probe.
var ErrNotReady error = &classError{"issuer: no signing key ready yet", jwtauth.ErrKeysUnavailable}

func (r *Rotation) validate(cfg *Config) (Rotation, error) {
	rot := *r
	if rot.Store == nil {
		ks, ok := cfg.Store.(KeyStore)
		if !ok {
			return rot, configError("Rotation: Store: Config.Store does not implement KeyStore; set Rotation.Store")
		}
		rot.Store = ks
	}
	if rot.Algorithm == "" {
		rot.Algorithm = "ES256"
	}
	switch rot.Algorithm {
	case "ES256", "ES384", "ES512", "EdDSA", "RS256", "PS256":
	default:
		return rot, configError("Rotation: Algorithm must be ES256, ES384, ES512, EdDSA, RS256 or PS256")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&rot.Poll, defaultPoll)
	def(&rot.Ahead, max(defaultAhead, 2*rot.Poll))
	def(&rot.Every, max(defaultEvery, rot.Ahead+rot.Poll))
	def(&rot.Timeout, min(defaultKeyTimeout, rot.Poll))
	switch {
	case rot.Poll < minPoll:
		return rot, configError("Rotation: Poll must be at least %v", minPoll)
	case rot.Ahead < 2*rot.Poll:
		return rot, configError("Rotation: Ahead must be at least 2 × Poll")
	case rot.Every < rot.Ahead+rot.Poll || rot.Every > maxEvery:
		return rot, configError("Rotation: Every must be between Ahead + Poll and %v", maxEvery)
	case rot.Timeout < 0:
		return rot, configError("Rotation: negative Timeout")
	}
	if rot.Logger == nil {
		rot.Logger = slog.Default()
	}
	return rot, nil
}

// fleet is the key rotation of an Issuer in fleet mode. Its keys are the
// loop's: only ticks, which hold mu, (and New, before the loop starts)
// touch them.
type fleet struct {
	mu    sync.Mutex // held by each tick
	rot   Rotation
	store KeyStore
	iss   string // Config.Issuer: records carry it

	active      *localKey   // signs; nil until the first key is ready
	activeSince time.Time   // when active began to sign
	pending     *localKey   // published ahead, or to be published
	previous    []*localKey // signed; verify until their records expire
	remote      []remoteKey // the last union read, checked

	jwksKids string // the kids of jwks, to render it only on a change
	jwks     []byte

	changed atomic.Pointer[chan struct{}] // closed at each install

	stop      context.CancelFunc
	bg        context.Context
	done      chan struct{}
	closeOnce sync.Once
}

// localKey is one key pair of this instance: an access signer, and a
// refresh signer unless Config.RefreshSecret signs refresh tokens.
type localKey struct {
	access, refresh       *signer
	accessRec, refreshRec PublicKey // as last published
	published             bool
	activeAt              time.Time // when it may sign: Ahead after its publish
	signUntil             time.Time // covered by its access record: it may sign until then
	refreshUntil          time.Time // covered by its refresh record
}

// remoteKey is a checked record of the store.
type remoteKey struct {
	vk      jwtauth.VerificationKey
	use     KeyUse
	nbf     time.Time
	expires time.Time
}

// startFleet sets up fleet mode in New: the first key pair, made now and
// published by the background loop, which it starts.
func (i *Issuer) startFleet(rot Rotation) error {
	f := &fleet{rot: rot, store: rot.Store, iss: i.cfg.Issuer, done: make(chan struct{})}
	ch := make(chan struct{})
	f.changed.Store(&ch)
	k, err := i.newLocalKey(f)
	if err != nil {
		return err
	}
	f.pending = k
	i.fleet = f
	if err := i.installFleet(f, i.cfg.Now()); err != nil {
		return err
	}
	f.bg, f.stop = context.WithCancel(context.Background())
	go i.run(f)
	return nil
}

// newLocalKey makes a key pair of the configured algorithm (and an EdDSA
// refresh pair), from crypto/rand.
func (i *Issuer) newLocalKey(f *fleet) (*localKey, error) {
	pk, err := generate(f.rot.Algorithm)
	if err != nil {
		return nil, configError("Rotation: %w: cannot make a key: %w", jwtauth.ErrKeyAlgorithm, err)
	}
	k := &localKey{}
	if k.access, err = i.newSigner(SigningKey{Algorithm: f.rot.Algorithm, Key: pk}, "Rotation"); err != nil {
		return nil, err
	}
	if k.accessRec, err = f.record(k.access, UseAccess); err != nil {
		return nil, err
	}
	if i.cfg.RefreshSecret == nil {
		_, rk, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, configError("Rotation: %w: cannot make a key: %w", jwtauth.ErrKeyAlgorithm, err)
		}
		s, err := i.newSigner(SigningKey{Algorithm: "EdDSA", Key: rk}, "Rotation")
		if err != nil {
			return nil, err
		}
		s.header = encodeHeader(s.alg, s.kid, jwtauth.RefreshTokenType)
		k.refresh = s
		if k.refreshRec, err = f.record(s, UseRefresh); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func generate(alg string) (crypto.Signer, error) {
	switch alg {
	case "ES256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		return ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "EdDSA":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	default: // RS256, PS256
		return rsa.GenerateKey(rand.Reader, 2048)
	}
}

// record is the PublicKey of s, without times.
func (f *fleet) record(s *signer, use KeyUse) (PublicKey, error) {
	j, err := publicJWK(s)
	if err != nil {
		return PublicKey{}, err
	}
	return PublicKey{ID: s.kid, Use: use, Algorithm: s.alg, Issuer: f.iss, JWK: j}, nil
}

// margin is what a record outlives the last token of its key by: the
// verifiers' largest leeway, and two polls for the instances' clocks and
// reads.
func (f *fleet) margin() time.Duration { return maxLeeway + 2*f.rot.Poll }

// publish writes the records of k, with NotBefore nbf the first time. The
// access record covers signing until signUntil. The refresh record covers
// signing refresh tokens until signUntil too, unless pending: a key that
// has not signed yet needs its refresh record only as long as its access
// record, so that the keys of an instance that crashes before it signs
// lapse within the hour, not RefreshTTL later; the heartbeat at its
// activation extends it, and refresh tokens are signed only while covered.
// It reports whether both were written.
func (i *Issuer) publish(f *fleet, k *localKey, nbf, signUntil, now time.Time, pending bool) bool {
	ae := signUntil.Add(i.cfg.TTL + f.margin())
	re := signUntil.Add(i.cfg.RefreshTTL + f.margin())
	if pending {
		re = ae
	}
	if k.accessRec.NotBefore.IsZero() {
		// Fixed at the first attempt: a retry after a partial failure
		// writes the same record, which the store extends.
		k.accessRec.NotBefore, k.refreshRec.NotBefore = nbf, nbf
	}
	a, r := k.accessRec, k.refreshRec
	a.Expires, r.Expires = maxTime(a.Expires, ae), maxTime(r.Expires, re)
	if err := f.call(func(ctx context.Context) error { return f.store.PublishKey(ctx, a, now) }); err != nil {
		f.warn("issuer: publishing a key failed; the current key keeps signing while its record is valid", err)
		return false
	}
	k.accessRec = a
	if k.refresh != nil {
		if err := f.call(func(ctx context.Context) error { return f.store.PublishKey(ctx, r, now) }); err != nil {
			f.warn("issuer: publishing a refresh key failed; the current key keeps signing while its record is valid", err)
			return false
		}
		k.refreshRec = r
	}
	k.published = true
	k.signUntil = maxTime(k.signUntil, signUntil)
	if !pending {
		k.refreshUntil = maxTime(k.refreshUntil, signUntil)
	}
	return true
}

// call runs one Store call, bounded by Timeout and by Close.
func (f *fleet) call(fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(f.bg, f.rot.Timeout)
	defer cancel()
	return fn(ctx)
}

func (f *fleet) warn(msg string, err error) {
	if f.bg.Err() != nil {
		return // closing: the call was canceled
	}
	f.rot.Logger.LogAttrs(context.Background(), slog.LevelWarn, msg, slog.String("error", err.Error()))
}

// run is the background loop: a tick now, then every Poll, until Close.
func (i *Issuer) run(f *fleet) {
	defer close(f.done)
	t := time.NewTicker(f.rot.Poll)
	defer t.Stop()
	for {
		f.mu.Lock()
		i.tick(f)
		f.mu.Unlock()
		select {
		case <-f.bg.Done():
			return
		case <-t.C:
		}
	}
}

// read re-reads the union, keeping the last one when the store fails.
func (i *Issuer) read(f *fleet, now time.Time) bool {
	var recs []PublicKey
	err := f.call(func(ctx context.Context) (err error) {
		recs, err = f.store.PublicKeys(ctx, now)
		return err
	})
	if err != nil {
		f.warn("issuer: reading the fleet's keys failed; serving the last ones read", err)
		return false
	}
	if len(recs) > MaxPublicKeys {
		f.warn("issuer: reading the fleet's keys", fmt.Errorf("%w: %d records", ErrKeyStoreFull, len(recs)))
		return false
	}
	remote := make([]remoteKey, 0, len(recs))
	refused := 0
	uses := make(map[string]int, len(recs))
	for _, r := range recs {
		uses[r.ID]++
	}
	for _, r := range recs {
		if uses[r.ID] > 1 {
			// Two records of one kid (for both uses: hostile, since a
			// kid is its key's thumbprint): neither is taken.
			refused++
			continue
		}
		vk, err := checkPublicKey(r, f.iss, now)
		if err != nil {
			refused++
			continue
		}
		remote = append(remote, remoteKey{vk: vk, use: r.Use, nbf: r.NotBefore, expires: r.Expires})
	}
	if refused > 0 && f.bg.Err() == nil {
		f.rot.Logger.LogAttrs(context.Background(), slog.LevelWarn, "issuer: key store records refused", slog.Int("count", refused))
	}
	f.remote = remote
	return true
}

// tick does one round of the loop: read the union, publish or activate a
// key, extend the active key's records, forget expired keys, install.
func (i *Issuer) tick(f *fleet) {
	now := i.cfg.Now()
	readOK := i.read(f, now)
	if a := f.active; a != nil && !now.Before(a.accessRec.Expires) {
		// The records of the active key lapsed (the store was away for
		// longer than TTL): verifiers may have dropped it. Start again as
		// a joining instance.
		f.previous = append(f.previous, a)
		f.active = nil
	}
	if f.active == nil && f.pending == nil {
		if k, err := i.newLocalKey(f); err == nil {
			f.pending = k
		}
	}
	if f.active != nil && f.pending == nil && !now.Before(f.activeSince.Add(f.rot.Every-f.rot.Ahead)) {
		k, err := i.newLocalKey(f)
		if err != nil {
			f.warn("issuer: making the next key failed", err)
		} else {
			f.pending = k
		}
	}
	if p := f.pending; p != nil && !p.published && (readOK || f.active != nil) {
		start := i.cfg.Now()
		nbf, cold := start.Add(f.rot.Ahead), f.active == nil && readOK && f.cold(now)
		if cold {
			nbf = start // a cold fleet: no verifier knows any key yet
		}
		if i.publish(f, p, nbf, nbf.Add(f.rot.Ahead), now, true) {
			// Ahead counts from when the record is in the store.
			p.activeAt = nbf
			if !cold {
				p.activeAt = nbf.Add(max(0, i.cfg.Now().Sub(start)))
			}
			i.read(f, now) // the instance's JWKS has it at once anyway
		}
	}
	if now = i.cfg.Now(); f.pending != nil && f.pending.published && !now.Before(f.pending.activeAt) {
		if f.active != nil {
			f.previous = append(f.previous, f.active)
		}
		f.active, f.activeSince, f.pending = f.pending, f.pending.activeAt, nil
	}
	if a := f.active; a != nil {
		i.publish(f, a, time.Time{}, now.Add(f.rot.Ahead), now, false) // the heartbeat
	}
	f.previous = slices.DeleteFunc(f.previous, func(k *localKey) bool {
		return !now.Before(k.accessRec.Expires) && (k.refresh == nil || !now.Before(k.refreshRec.Expires))
	})
	if err := i.installFleet(f, now); err != nil {
		f.warn("issuer: installing the fleet's keys failed; keeping the current ones", err)
	}
}

// cold reports whether no other instance has a key that signs at now:
// then no verifier can be relying on the JWK Set yet.
func (f *fleet) cold(now time.Time) bool {
	mine := func(id string) bool {
		return slices.ContainsFunc(f.previous, func(k *localKey) bool { return k.access.kid == id })
	}
	return !slices.ContainsFunc(f.remote, func(r remoteKey) bool {
		return r.use == UseAccess && !r.nbf.After(now) && !mine(r.vk.ID)
	})
}

// installFleet makes the keys of f the Issuer's: its own keys always, and
// every live key of the union.
func (i *Issuer) installFleet(f *fleet, now time.Time) error {
	var access, refresh []jwtauth.VerificationKey
	local := map[string]bool{}
	addLocal := func(k *localKey, all bool) {
		if k == nil {
			return
		}
		if all || now.Before(k.accessRec.Expires) {
			access = append(access, k.access.verify)
			local[k.access.kid] = true
		}
		if k.refresh != nil && (all || now.Before(k.refreshRec.Expires)) {
			refresh = append(refresh, k.refresh.verify)
			local[k.refresh.kid] = true
		}
	}
	addLocal(f.active, true)
	addLocal(f.pending, true)
	for _, k := range f.previous {
		addLocal(k, false)
	}
	for _, r := range f.remote {
		// A kid held locally is not taken from the store.
		if local[r.vk.ID] || !now.Before(r.expires) {
			continue
		}
		if r.use == UseAccess {
			access = append(access, r.vk)
		} else {
			refresh = append(refresh, r.vk)
		}
	}
	refresh = append(refresh, i.fixedRefresh.verify)
	// Both sets are checked before either changes.
	if _, err := jwtauth.NewKeyRing(nil, access...); err != nil {
		return err
	}
	if _, err := jwtauth.NewKeyRing(nil, refresh...); err != nil {
		return err
	}
	slices.SortFunc(access, func(a, b jwtauth.VerificationKey) int { return strings.Compare(a.ID, b.ID) })
	kids := ""
	for _, vk := range access {
		kids += vk.ID + " "
	}
	if kids != f.jwksKids || f.jwks == nil {
		jwks, err := renderJWKS("Rotation", access)
		if err != nil {
			return err
		}
		f.jwks, f.jwksKids = jwks, kids
	}
	st := &state{jwks: f.jwks, fleet: true}
	if a := f.active; a != nil {
		st.active, st.refresh, st.signUntil, st.refreshUntil = a.access, a.refresh, a.signUntil, a.refreshUntil
	}
	if i.keys == nil {
		i.keys, _ = jwtauth.NewKeyRing(i.store, access...)
		i.refreshKeys, _ = jwtauth.NewKeyRing(nil, refresh...)
	} else {
		i.refreshKeys.Set(refresh...)
		i.keys.Set(access...)
	}
	i.state.Store(st)
	ch := make(chan struct{})
	close(*f.changed.Swap(&ch))
	return nil
}

// renderJWKS renders public keys as a JWK Set, from the keys themselves:
// no byte of a store's record is served as it was read.
func renderJWKS(field string, keys []jwtauth.VerificationKey) ([]byte, error) {
	set := jwk.NewSet()
	for _, vk := range keys {
		jk, err := jwk.Import(vk.Key)
		if err != nil {
			return nil, configError("%s: %w: unusable public key", field, jwtauth.ErrKeyAlgorithm)
		}
		for name, v := range map[string]any{jwk.KeyIDKey: vk.ID, jwk.AlgorithmKey: vk.Algorithm, jwk.KeyUsageKey: "sig"} {
			if err := jk.Set(name, v); err != nil {
				return nil, configError("%s: %w: unusable public key", field, jwtauth.ErrKeyAlgorithm)
			}
		}
		if err := set.AddKey(jk); err != nil {
			return nil, configError("%s: %w: JWK Set: %w", field, jwtauth.ErrKeyAlgorithm, err)
		}
	}
	return json.Marshal(set)
}

// signing returns the state to sign with, or ErrNotReady; with refresh,
// for tokens of a session, whose refresh key must be covered too.
func (i *Issuer) signing(refresh bool) (*state, error) {
	st := i.state.Load()
	if st.active == nil {
		return nil, ErrNotReady
	}
	if st.fleet {
		now := i.cfg.Now()
		if !now.Before(st.signUntil) || (refresh && st.refresh != nil && !now.Before(st.refreshUntil)) {
			return nil, ErrNotReady
		}
	}
	return st, nil
}

// Ready reports whether the Issuer can sign: always, for an Issuer with
// Config.Key; in fleet mode (Config.Rotation), once its first key has been
// published for Rotation.Ahead (at once in a cold fleet), and while its
// key store has answered within the last Ahead. Serve it as the readiness
// probe of a rolling deploy: an instance that is not ready answers Login,
// Issue and Refresh with [ErrNotReady].
func (i *Issuer) Ready() bool {
	_, err := i.signing(true)
	return err == nil
}

// WaitReady waits until [Issuer.Ready], or ctx ends (its error is
// returned), or the Issuer is closed and not ready ([ErrNotReady]).
func (i *Issuer) WaitReady(ctx context.Context) error {
	for {
		f := i.fleet
		var ch chan struct{}
		if f != nil {
			// Before Ready: an install between the two closes this
			// channel, so that its wake-up is not lost.
			ch = *f.changed.Load()
		}
		if i.Ready() {
			return nil
		}
		if f == nil || f.bg.Err() != nil {
			return ErrNotReady
		}
		timer := time.NewTimer(f.rot.Poll)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-f.bg.Done():
			timer.Stop()
		case <-ch:
			timer.Stop()
		case <-timer.C:
		}
	}
}

// Close stops the background work of fleet mode (re-reading the union,
// extending records, rotating) and waits for it to end; every Store call
// of it is bounded by Rotation.Timeout, and canceled by Close. The Issuer
// keeps signing with its current key until its record would lapse, and
// verifying; nothing is removed from the store: records expire by
// themselves. Close is a no-op for an Issuer without Rotation, and safe to
// call more than once.
func (i *Issuer) Close() error {
	f := i.fleet
	if f == nil {
		return nil
	}
	f.closeOnce.Do(func() {
		f.stop()
		<-f.done
	})
	return nil
}

var errFleetKeys = errors.New("keys rotate by themselves in fleet mode (Config.Rotation)")
