package redisstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/authkit-go/authkit/jwtauth/issuer"
	"github.com/redis/go-redis/v9"
)

var _ issuer.KeyStore = (*Store)(nil)

// The key store is one hash, prefix + "k": a field per key, use + ":" +
// kid, whose value is the record's Expires in Unix milliseconds, a space,
// and a JSON object of the rest: {"alg", "iss", "jwk", "nbf"}. Only public
// keys are ever written. The hash expires with its last record, by the
// caller's clock (a PEXPIRE of the time left), as the session keys do.

// maxKeyRecord bounds a record's value as written and as read back.
const maxKeyRecord = issuer.MaxPublicKeySize + 1<<10

// keyRecord is the JSON part of a record.
type keyRecord struct {
	Alg string `json:"alg"`
	Iss string `json:"iss"`
	JWK string `json:"jwk"`
	Nbf int64  `json:"nbf"`
}

// privateMembers are the JWK members of private or secret key material.
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// publishKeyScript: KEYS keys hash; ARGV now, field, body, expires, max.
// It drops expired records (and values it cannot read), then adds or
// extends the record: a record of the same field with another body is a
// conflict; a new one past max live records is refused; one already
// expired is not written.
var publishKeyScript = redis.NewScript(`
local now, field, body, exp, max = tonumber(ARGV[1]), ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
if exp <= now then
	return 0
end
local all = redis.call('HGETALL', KEYS[1])
local live, last, found = 0, exp, nil
for i = 1, #all, 2 do
	local e, rest = string.match(all[i+1], '^(%d+) (.*)$')
	e = tonumber(e)
	if e == nil or e <= now then
		redis.call('HDEL', KEYS[1], all[i])
	elseif all[i] == field then
		found = {e, rest}
		if e > last then last = e end
	else
		live = live + 1
		if e > last then last = e end
	end
end
if found then
	if found[2] ~= body then
		return redis.error_reply('AUTHKIT conflict')
	end
	if found[1] >= exp then
		return 0
	end
elseif live >= max then
	return redis.error_reply('AUTHKIT full')
end
redis.call('HSET', KEYS[1], field, ARGV[4] .. ' ' .. body)
redis.call('PEXPIRE', KEYS[1], last - now)
return 1
`)

// publicKeysScript: KEYS keys hash; ARGV now, max, max value size. It
// refuses a hash of more than max fields (written past the Store), and
// returns field, value pairs of the records that have not expired.
var publicKeysScript = redis.NewScript(`
local now, max, size = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if redis.call('HLEN', KEYS[1]) > max then
	return redis.error_reply('AUTHKIT full')
end
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
	local v = all[i+1]
	local e = tonumber(string.match(v, '^(%d+) '))
	if e ~= nil and e > now and #v <= size and #all[i] <= 80 then
		out[#out+1] = all[i]
		out[#out+1] = v
	end
end
return out
`)

// errKeyConflict: another record holds the kid.
var errKeyConflict = errors.New("redisstore: publish key: another record with this kid")

// PublishKey implements [issuer.KeyStore]: it records the public key k in
// the hash prefix + "k", with one script, dropping expired records. A key
// of the same use and kid is extended (the later Expires stays); one with
// other contents is refused. Past [issuer.MaxPublicKeys] live records a new
// one is refused with an error matching [issuer.ErrKeyStoreFull]. A JWK
// that holds private key material is refused before anything is sent.
func (s *Store) PublishKey(ctx context.Context, k issuer.PublicKey, now time.Time) error {
	if err := checkPublishable(k); err != nil {
		return err
	}
	body, err := json.Marshal(keyRecord{Alg: k.Algorithm, Iss: k.Issuer, JWK: string(k.JWK), Nbf: ms(k.NotBefore)})
	if err != nil || len(body)+20 > maxKeyRecord {
		return errors.New("redisstore: publish key: record too large")
	}
	err = publishKeyScript.Run(ctx, s.client, []string{s.prefix + "k"},
		ms(now), string(k.Use)+":"+k.ID, body, ms(k.Expires), issuer.MaxPublicKeys).Err()
	switch {
	case err == nil:
		return nil
	case strings.Contains(err.Error(), "AUTHKIT full"):
		return fmt.Errorf("redisstore: publish key: %w (%d live records)", issuer.ErrKeyStoreFull, issuer.MaxPublicKeys)
	case strings.Contains(err.Error(), "AUTHKIT conflict"):
		return errKeyConflict
	}
	return wrap(ctx, "publish key", err)
}

// checkPublishable refuses what must never be written: a record without
// a valid use or kid, an oversized JWK, private key material.
func checkPublishable(k issuer.PublicKey) error {
	if k.Use != issuer.UseAccess && k.Use != issuer.UseRefresh {
		return errors.New("redisstore: publish key: unknown use")
	}
	if !validKID(k.ID) {
		return errors.New("redisstore: publish key: kid empty, longer than 64 bytes or not base64url")
	}
	if len(k.JWK) == 0 || len(k.JWK) > issuer.MaxPublicKeySize {
		return fmt.Errorf("redisstore: publish key: JWK empty or larger than %d bytes", issuer.MaxPublicKeySize)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(k.JWK, &members); err != nil {
		return errors.New("redisstore: publish key: JWK is not a JSON object")
	}
	for _, m := range privateMembers {
		if _, ok := members[m]; ok {
			return errors.New("redisstore: publish key: refused: the JWK holds private or secret key material")
		}
	}
	if !k.Expires.After(k.NotBefore) {
		return errors.New("redisstore: publish key: Expires not after NotBefore")
	}
	return nil
}

func validKID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// PublicKeys implements [issuer.KeyStore]: the records of the hash prefix +
// "k" that have not expired at now. A record that does not read back as one
// the Store wrote (a foreign or damaged value) is skipped; the Issuer then
// checks each key itself (algorithm, key type, thumbprint). A hash of more
// than [issuer.MaxPublicKeys] fields, which only writes past the Store can
// make, is refused with an error matching [issuer.ErrKeyStoreFull].
func (s *Store) PublicKeys(ctx context.Context, now time.Time) ([]issuer.PublicKey, error) {
	v, err := publicKeysScript.Run(ctx, s.client, []string{s.prefix + "k"}, ms(now), issuer.MaxPublicKeys, maxKeyRecord).StringSlice()
	if err != nil {
		if strings.Contains(err.Error(), "AUTHKIT full") {
			return nil, fmt.Errorf("redisstore: public keys: %w: more than %d records", issuer.ErrKeyStoreFull, issuer.MaxPublicKeys)
		}
		return nil, wrap(ctx, "public keys", err)
	}
	out := make([]issuer.PublicKey, 0, len(v)/2)
	for j := 0; j+1 < len(v); j += 2 {
		if k, ok := parseKeyRecord(v[j], v[j+1]); ok {
			out = append(out, k)
		}
	}
	return out, nil
}

// parseKeyRecord reads a record back; ok is false for one the Store did
// not write.
func parseKeyRecord(field, value string) (issuer.PublicKey, bool) {
	use, kid, ok := strings.Cut(field, ":")
	if !ok || (use != string(issuer.UseAccess) && use != string(issuer.UseRefresh)) || !validKID(kid) {
		return issuer.PublicKey{}, false
	}
	exp, body, ok := strings.Cut(value, " ")
	if !ok {
		return issuer.PublicKey{}, false
	}
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || e <= 0 {
		return issuer.PublicKey{}, false
	}
	var r keyRecord
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil || dec.More() || r.Alg == "" || r.JWK == "" || r.Nbf < 0 {
		return issuer.PublicKey{}, false
	}
	jwk := []byte(r.JWK)
	var members map[string]json.RawMessage
	if json.Unmarshal(jwk, &members) != nil || !bytes.HasPrefix(bytes.TrimSpace(jwk), []byte("{")) {
		return issuer.PublicKey{}, false
	}
	for _, m := range privateMembers {
		if _, ok := members[m]; ok {
			return issuer.PublicKey{}, false
		}
	}
	return issuer.PublicKey{
		ID: kid, Use: issuer.KeyUse(use), Algorithm: r.Alg, Issuer: r.Iss, JWK: jwk,
		NotBefore: time.UnixMilli(r.Nbf), Expires: time.UnixMilli(e),
	}, true
}
