package jwtauth

// TEMPORARY: replaced by the json.go versions when the parser work merges.

import "bytes"

var errJSONNumber = errJSONSyntax

func lookupMember(data []byte, name string) (value []byte, found, foldVariant bool) {
	_ = objectMembers(data, maxClaims, func(n, v []byte) error {
		if string(n) == name {
			value, found = v, true
		} else if bytes.EqualFold(n, []byte(name)) {
			foldVariant = true
		}
		return nil
	})
	return
}

func eachArrayString(raw []byte, fn func(s []byte, escaped bool) bool) bool {
	s := scanner{data: raw}
	s.skipSpace()
	if !s.consume('[') {
		return false
	}
	s.skipSpace()
	if s.consume(']') {
		return true
	}
	for {
		s.skipSpace()
		start := s.pos
		esc, ok := s.str()
		if !ok {
			return false
		}
		v := raw[start+1 : s.pos-1]
		if esc {
			str, _ := jsonString(raw[start:s.pos])
			v = []byte(str)
		}
		if !fn(v, esc) {
			return true
		}
		s.skipSpace()
		if s.consume(',') {
			continue
		}
		return s.consume(']')
	}
}
