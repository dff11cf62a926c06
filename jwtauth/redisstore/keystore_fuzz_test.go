package redisstore

import (
	"encoding/json"
	"testing"
)

// FuzzParseKeyRecord feeds parseKeyRecord, which reads back what is in the
// key hash of Redis (where anyone with write access to Redis may have put
// anything), fields and values it did not write: it must never panic, and
// what it accepts must be a record it could have written: a known use, a
// valid kid, an expiry, and a JWK object without private members.
func FuzzParseKeyRecord(f *testing.F) {
	jwk := `{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uE9EHrwk","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`
	kid := "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
	body, _ := json.Marshal(keyRecord{Alg: "ES256", Iss: "https://auth.example", JWK: jwk, Nbf: 1_800_000_000_000})
	f.Add("access:"+kid, "1800003600000 "+string(body))
	f.Add("refresh:"+kid, "1800003600000 "+string(body))
	f.Add("access:"+kid, "1800003600000 "+`{"alg":"ES256","jwk":"{\"kty\":\"EC\",\"d\":\"AAAA\"}","nbf":1}`)
	f.Add("access:"+kid, "1800003600000 "+`{"alg":"HS256","jwk":"{\"kty\":\"oct\",\"k\":\"AAAA\"}","nbf":1}`)
	f.Add("access:"+kid, "1800003600000 "+`{"alg":"ES256","jwk":"[]","nbf":1}`)
	f.Add("access:"+kid, "-1 "+string(body))
	f.Add("access:"+kid, string(body))
	f.Add("other:"+kid, "1800003600000 "+string(body))
	f.Add("access:", "1 {}")
	f.Add("access:"+kid, "1800003600000 "+string(body)+" {}")
	f.Fuzz(func(t *testing.T, field, value string) {
		k, ok := parseKeyRecord(field, value)
		if !ok {
			return
		}
		if k.Use != "access" && k.Use != "refresh" {
			t.Fatalf("accepted use %q", k.Use)
		}
		if !validKID(k.ID) || k.Algorithm == "" || k.Expires.UnixMilli() <= 0 {
			t.Fatalf("accepted %+v", k)
		}
		var members map[string]json.RawMessage
		if err := json.Unmarshal(k.JWK, &members); err != nil {
			t.Fatalf("accepted a JWK that is not an object: %v", err)
		}
		for _, m := range privateMembers {
			if _, has := members[m]; has {
				t.Fatalf("accepted a JWK with the private member %q", m)
			}
		}
	})
}
