package jwtauth

import (
	"bytes"
	"testing"
)

// TestNewClaimsBoxes: a payload of every length around the boxes' sizes
// comes back as raw exactly, and a payload changed afterwards (the pooled
// scratch it was decoded into is reused) leaves raw as it was.
func TestNewClaimsBoxes(t *testing.T) {
	for _, size := range []int{424, 552, 680, 808, 1064, 1448, 1704} {
		for n := size - 1; n <= size+1; n++ {
			payload := bytes.Repeat([]byte{'a' + byte(n%26)}, n)
			want := string(payload)
			c := newClaims(payload)
			clear(payload)
			if c.raw != want {
				t.Fatalf("payload of %d bytes: raw of %d bytes, or changed with the payload", n, len(c.raw))
			}
		}
	}
	if c := newClaims([]byte("{}")); c.raw != "{}" {
		t.Fatalf("raw %q", c.raw)
	}
}
