package jwtauth

import (
	"bytes"
	"encoding/json"
	"io"
)

// The reading of JSON by encoding/json that the strict reader of json.go is
// held to: by FuzzObjectMembers here, and by the differential test of the
// external test package, which is why these names are exported (from a test
// file, so only to the tests).

// RefMember is one top-level member of a JSON object as encoding/json reads
// it.
type RefMember struct {
	Name string
	Raw  json.RawMessage
}

// RefMembers reads data with encoding/json: its top-level members, in
// order, and whether data is exactly one JSON object.
func RefMembers(data []byte) (members []RefMember, ok bool) {
	if !json.Valid(data) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false
		}
		members = append(members, RefMember{t.(string), raw})
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return members, true
}

// RefValueDepth is the deepest nesting of a value below the top-level
// object's members (a member value is at depth 0), by encoding/json's
// tokenizer; -1 without members. data must be valid JSON.
func RefValueDepth(data []byte) int {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct{ obj, wantKey bool }
	var stack []frame
	deepest := -1
	for {
		tok, err := dec.Token()
		if err != nil {
			return deepest
		}
		d, isDelim := tok.(json.Delim)
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
			if isDelim && d == '}' {
				stack = stack[:n-1]
			} else {
				stack[n-1].wantKey = false
			}
			continue
		}
		if isDelim && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		if n := len(stack); n > 0 {
			deepest = max(deepest, n-1)
			if stack[n-1].obj {
				stack[n-1].wantKey = true
			}
		}
		if isDelim {
			stack = append(stack, frame{obj: d == '{', wantKey: d == '{'})
		}
	}
}
