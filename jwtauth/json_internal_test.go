package jwtauth

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzObjectMembers compares the strict JSON reader of json.go with
// encoding/json. objectMembers must succeed exactly when the input is one
// RFC 8259 object (json.Valid) that is valid UTF-8, has no two top-level
// names equal under case folding, nests values at most maxJSONDepth deep and
// has at most maxMembers members; when it succeeds it must report the same
// members, in order, with the same raw values, as encoding/json. Along the
// way, jsonString and parseNumericDate must agree with encoding/json and
// strconv on every member value.

type omMember struct{ name, value string }

func omCheck(t *testing.T, data []byte, maxMembers int) {
	var got []omMember
	err := objectMembers(data, maxMembers, func(name, value []byte) error {
		got = append(got, omMember{string(name), string(value)})
		return nil
	})
	switch err {
	case nil, errJSONSyntax, errJSONDuplicate, errJSONNotObject, errJSONTooMany, errJSONNumber:
	default:
		t.Fatalf("unexpected error %v", err)
	}

	ref, isObject := RefMembers(data)
	validUTF8 := utf8.Valid(data)
	dup := false
	for i, a := range ref {
		for _, b := range ref[:i] {
			dup = dup || strings.EqualFold(a.Name, b.Name)
		}
	}
	depth := -1
	if isObject {
		depth = RefValueDepth(data)
	}
	// Every number must fit a float64, so that Claims.Decode into any works.
	var anyValue any
	decodable := isObject && json.Unmarshal(data, &anyValue) == nil
	want := isObject && validUTF8 && !dup && depth <= maxJSONDepth && len(ref) <= maxMembers && decodable
	if (err == nil) != want {
		t.Fatalf("objectMembers(%q, %d) = %v; encoding/json: object %v, UTF-8 %v, duplicate %v, depth %d, members %d, decodes %v",
			data, maxMembers, err, isObject, validUTF8, dup, depth, len(ref), decodable)
	}

	// The kind of error, where only one rule is broken.
	first := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case !validUTF8:
		if err != errJSONSyntax {
			t.Fatalf("invalid UTF-8: error %v", err)
		}
	case json.Valid(data) && (len(first) == 0 || first[0] != '{'):
		if err != errJSONNotObject {
			t.Fatalf("valid JSON, not an object: error %v", err)
		}
	case isObject && validUTF8 && depth <= maxJSONDepth && !dup && len(ref) <= maxMembers && !decodable:
		if err != errJSONNumber {
			t.Fatalf("a number beyond float64: error %v", err)
		}
	case isObject && depth <= maxJSONDepth && dup && len(ref) <= maxMembers && decodable:
		if err != errJSONDuplicate {
			t.Fatalf("duplicate names: error %v", err)
		}
	case isObject && depth <= maxJSONDepth && !dup && len(ref) > maxMembers && decodable:
		if err != errJSONTooMany {
			t.Fatalf("%d members, max %d: error %v", len(ref), maxMembers, err)
		}
	}
	if err != nil {
		return
	}

	if len(got) != len(ref) {
		t.Fatalf("members %q, encoding/json %q", got, ref)
	}
	var asMap map[string]json.RawMessage
	if err := json.Unmarshal(data, &asMap); err != nil {
		t.Fatalf("accepted, but json.Unmarshal: %v", err)
	}
	if len(asMap) != len(got) {
		t.Fatalf("members %q, json.Unmarshal map %q", got, asMap)
	}
	for i, m := range got {
		if m.name != ref[i].Name || m.value != string(ref[i].Raw) {
			t.Fatalf("member %d: %q, encoding/json %q", i, m, ref[i])
		}
		if string(asMap[m.name]) != m.value {
			t.Fatalf("member %q: value %q, json.Unmarshal %q", m.name, m.value, asMap[m.name])
		}
		omCheckValue(t, []byte(m.value))
	}
}

// omCheckValue compares the package's scalar readers with the standard ones
// on one raw JSON value.
func omCheckValue(t *testing.T, raw []byte) {
	var s string
	isString := raw[0] == '"' && json.Unmarshal(raw, &s) == nil
	got, ok := jsonString(raw)
	if ok != isString || got != s {
		t.Fatalf("jsonString(%q) = %q, %v; encoding/json %q, %v", raw, got, ok, s, isString)
	}
	if b, ok := jsonBytes(raw); ok != isString || string(b) != s {
		t.Fatalf("jsonBytes(%q) = %q, %v; encoding/json %q, %v", raw, b, ok, s, isString)
	}
	if raw[0] == '-' || '0' <= raw[0] && raw[0] <= '9' {
		f, err := strconv.ParseFloat(string(raw), 64)
		wantOK := err == nil && !math.IsInf(f, 0)
		got, ok := parseNumericDate(raw)
		if ok != wantOK || ok && got != f {
			t.Fatalf("parseNumericDate(%s) = %v, %v; strconv %v, %v", raw, got, ok, f, err)
		}
	} else if _, ok := parseNumericDate(raw); ok {
		t.Fatalf("parseNumericDate(%s) accepted a non-number", raw)
	}
	if raw[0] == '[' {
		var list []string
		wantOK := json.Unmarshal(raw, &list) == nil
		if wantOK {
			// encoding/json turns null elements into "": stringArray must not.
			var elems []any
			_ = json.Unmarshal(raw, &elems)
			for _, e := range elems {
				if _, isStr := e.(string); !isStr {
					wantOK = false
				}
			}
		}
		got, ok := stringArray(raw)
		if ok != wantOK || ok && strings.Join(got, "\x00") != strings.Join(list, "\x00") {
			t.Fatalf("stringArray(%s) = %q, %v; encoding/json %q, %v", raw, got, ok, list, wantOK)
		}
	}
}

// omSeeds are the headers and payloads of the tokens in testdata/, and JSON
// texts at the edges of every rule.
func omSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	for _, name := range []string{"interop_tokens.json", "attack_tokens.json"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			tb.Fatal(err)
		}
		var f struct {
			Tokens, Controls, Attacks []struct {
				Token string `json:"token"`
			}
		}
		if err := json.Unmarshal(data, &f); err != nil {
			tb.Fatal(err)
		}
		for _, list := range [][]struct {
			Token string `json:"token"`
		}{f.Tokens, f.Controls, f.Attacks} {
			for _, tk := range list {
				for _, seg := range strings.SplitN(tk.Token, ".", 4)[:min(2, strings.Count(tk.Token, ".")+1)] {
					if len(seg) > 4096 {
						continue
					}
					if b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "=")); err == nil {
						seeds = append(seeds, b)
					}
				}
			}
		}
	}
	deep := func(n int, open, close string) string {
		return `{"a":` + strings.Repeat(open, n) + "1" + strings.Repeat(close, n) + `}`
	}
	for _, s := range []string{
		`{}`, ` { } `, `{"a":1}`, `{"a":1,"A":2}`, `{"a":1,"a":2}`, `{"exp":1,"\u0065xp":2}`, `{"sub":1,"ſub":2}`, `{"k":1,"K":2}`,
		`{"\ud800":1,"\udc00":2}`, `{"\ud800":1}`, `{"a\u0000b":1}`, `{"":1,"":2}`, `{"":1}`,
		`{"a":[1,2,{"b":null}],"c":{"d":"e"}}`, `{"a":"\"\\\/\b\f\n\r\t\u00e9"}`, `{"a":-0.0e+0,"b":1E-7,"c":12345678901234567890}`,
		`{"a":1e400}`, `{"a":-1e400}`, `{"a":1e-400}`, `{"a":123456789012345}`, `{"a":1234567890123456}`, `{"a":0}`, `{"a":-0}`,
		`{"a":01}`, `{"a":1.}`, `{"a":.1}`, `{"a":+1}`, `{"a":1e}`, `{"a":--1}`, `{"a":0x10}`, `{"a":NaN}`, `{"a":Infinity}`,
		`{"a":tru}`, `{"a":nul}`, `{"a":truex}`, `{"a":[1,]}`, `{"a":1,}`, `{,}`, `{"a"}`, `{"a":}`, `{"a" 1}`, `{'a':1}`,
		`{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12G4"}`, "{\"a\":\"\x01\"}", "{\"a\":\"\x7f\"}", "{\"a\":\"\xff\"}", "{\"a\":\"\xc0\xaf\"}",
		`{"a":1}x`, `{"a":1}{}`, `{"a":1} `, "\ufeff{}", `[]`, `"s"`, `1`, `null`, ``, ` `, `{`, `}`, `{"a":[}`, `{"a":{]}`,
		`{"a":["x","y"]}`, `{"a":[ "x" , "y" ]}`, `{"a":["x",null]}`, `{"a":["x",1]}`, `{"a":[]}`, `{"a":[[]]}`,
		deep(31, "[", "]"), deep(32, "[", "]"), deep(33, "[", "]"), deep(32, `{"b":`, "}"), deep(33, `{"b":`, "}"),
		`{"a":` + strings.Repeat("[", 33) + strings.Repeat("]", 33) + `}`,
		`{"a":` + strings.Repeat("[", 34) + strings.Repeat("]", 34) + `}`,
	} {
		seeds = append(seeds, []byte(s))
	}
	var many strings.Builder
	many.WriteString("{")
	for i := range 300 {
		if i > 0 {
			many.WriteString(",")
		}
		many.WriteString(`"m` + strconv.Itoa(i) + `":` + strconv.Itoa(i))
	}
	many.WriteString("}")
	return append(seeds, []byte(many.String()))
}

func FuzzObjectMembers(f *testing.F) {
	for i, s := range omSeeds(f) {
		f.Add(s, uint8(i))
		f.Add(s, uint8(255)) // maxMembers 256, as for claims
		f.Add(s, uint8(31))  // 32, as for headers
	}
	f.Fuzz(func(t *testing.T, data []byte, n uint8) {
		omCheck(t, data, int(n)+1)
	})
}

// TestObjectMembersCallbackError: an error from the callback stops the walk
// and is returned as is.
func TestObjectMembersCallbackError(t *testing.T) {
	stop := errors.New("stop")
	calls := 0
	err := objectMembers([]byte(`{"a":1,"b":2,"c":3}`), 10, func(name, value []byte) error {
		calls++
		if string(name) == "b" {
			return stop
		}
		return nil
	})
	if err != stop || calls != 2 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

// TestFoldMinTable: the table agrees with unicode.SimpleFold's orbits for
// every rune, so foldHash hashes bytes.EqualFold-equal names alike.
func TestFoldMinTable(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		if got := foldMin(r); got != m {
			t.Fatalf("foldMin(%U) = %U, want %U", r, got, m)
		}
	}
}

// checkStops fails t unless strStops finds in w exactly the first byte that
// stop says is one, or none when there is none.
func checkStops(t *testing.T, w [8]byte, stop func(byte) bool) {
	t.Helper()
	want := -1
	for i, c := range w {
		if stop(c) {
			want = i
			break
		}
	}
	got := -1
	if m := strStops(binary.LittleEndian.Uint64(w[:])); m != 0 {
		got = bits.TrailingZeros64(m) >> 3
	}
	if got != want {
		t.Fatalf("strStops(% x): first stop at %d, want %d", w, got, want)
	}
}

// TestStrStops: the eight-byte test of scanner.str finds the first byte the
// byte-wise one stops at, for every byte value at every position, among
// fillers of every value that is not itself a stop, including UTF-8 bytes
// ≥ 0x80, and in words of several stops and borrows.
func TestStrStops(t *testing.T) {
	stop := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 }
	for _, fill := range []byte{'a', ' ', '!', '#', '[', ']', '~', 0x7f, 0x80, 0xc3, 0xff} {
		for pos := range 8 {
			for b := range 256 {
				var w [8]byte
				for i := range w {
					w[i] = fill
				}
				w[pos] = byte(b)
				checkStops(t, w, stop)
			}
		}
	}
	// Words of several stops and borrows: every byte drawn from the values
	// around the thresholds.
	edge := []byte{0, 1, 0x1f, 0x20, 0x21, '"', '"' + 1, '\\' - 1, '\\', '\\' + 1, 0x7f, 0x80, 0x81, 0xff}
	r := uint64(0x9e3779b97f4a7c15)
	for range 200_000 {
		var w [8]byte
		for i := range w {
			r ^= r << 13
			r ^= r >> 7
			r ^= r << 17
			w[i] = edge[r%uint64(len(edge))]
		}
		checkStops(t, w, stop)
	}
}

// TestFoldHashASCIIPartners: the ASCII letters with non-ASCII fold partners
// hash as their partners do, whatever the case, so that "kid" and "\u212aid"
// (Kelvin sign) or "sub" and "\u017fub" (long s) meet in the duplicate check
// and the fold-variant check.
func TestFoldHashASCIIPartners(t *testing.T) {
	for _, group := range [][]string{
		{"kid", "Kid", "KID", "\u212aid"},
		{"sub", "Sub", "SUB", "\u017fub"},
		{"ks", "KS", "\u212a\u017f", "k\u017f"},
	} {
		for _, n := range group[1:] {
			if foldHash([]byte(n)) != foldHash([]byte(group[0])) {
				t.Errorf("foldHash(%q) != foldHash(%q)", n, group[0])
			}
		}
	}
}
