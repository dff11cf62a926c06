package jwtauth

import (
	"bytes"
	"strings"
	"testing"
)

// segmentsSeeds are compact serializations, valid and not, around the edges
// that segments decides by decoding: CR and LF (which the base64 decoder
// skips), lengths of 4k+1, trailing bits, padding, other alphabets, dots.
func segmentsSeeds() []string {
	h := b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	p := b64.EncodeToString([]byte(`{"sub":"u","aud":["a","b"],"name":"Zoë"}`))
	s := b64.EncodeToString(bytes.Repeat([]byte{0xa5}, 32))
	big := b64.EncodeToString(bytes.Repeat([]byte("x"), 3000))
	return []string{
		h + "." + p + "." + s,
		h + "." + big + "." + s,
		h + "\r." + p + "." + s,
		h + "." + p[:8] + "\n" + p[8:] + "." + s,
		h + "." + p + "." + s[:10] + "\r\n" + s[10:],
		h + "." + p + "." + s + "A",
		h + "." + p + "A." + s,
		h + "." + p + "." + s[:len(s)-1] + "B",
		h + "=." + p + "." + s,
		h + "." + p + "." + s + "==",
		h + "." + strings.ReplaceAll(p, "_", "/") + "." + s,
		h + "." + p + "." + s + "." + s,
		h + ".." + s,
		"." + p + "." + s,
		h + "." + p + ".",
		strings.Repeat(".", 100),
		h + "." + p + "." + s + " ",
		h + ".payload." + s,
	}
}

// FuzzSegments: segments, which checks a token by decoding it, agrees with
// the reading it replaced, splitCompact's alphabet and shape check followed
// by a strict decode of each segment: it refuses exactly the tokens that
// failed there or in the header's decoding, and every segment it decodes is
// what the strict decoder gives; one it leaves nil is too large for the
// scratch or does not decode.
func FuzzSegments(f *testing.F) {
	for _, s := range segmentsSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		var sc scratch
		input, hdr, sig, payload, sseg, pseg, ok := sc.segments([]byte(tok))
		h64, p64, s64, shaped := splitCompact(tok)
		oldHdr, hdrOK := decodeSegment(nil, []byte(h64))
		if want := shaped && hdrOK; ok != want {
			t.Fatalf("segments ok %v; splitCompact %v, header decodes %v", ok, shaped, hdrOK)
		}
		if !ok {
			return
		}
		if string(input) != h64+"."+p64 || string(sseg) != s64 || string(pseg) != p64 {
			t.Fatalf("segments split %q as %q, %q, %q", tok, input, pseg, sseg)
		}
		if !bytes.Equal(hdr, oldHdr) {
			t.Fatalf("header %q, strict decoder %q", hdr, oldHdr)
		}
		for _, c := range []struct {
			name     string
			got, seg []byte
			fits     bool
		}{
			{"signature", sig, sseg, true},
			{"payload", payload, pseg, b64.DecodedLen(len(pseg)) <= len(sc.payload)},
		} {
			want, decodes := decodeSegment(nil, c.seg)
			switch {
			case c.got != nil && (!decodes || !bytes.Equal(c.got, want)):
				t.Fatalf("%s %q; strict decoder %q, %v", c.name, c.got, want, decodes)
			case c.got == nil && decodes && c.fits:
				t.Fatalf("%s left undecoded, though it decodes and fits", c.name)
			}
		}
	})
}
