package jwtauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// This file holds the strict JSON reader used for the protected header (before the
// signature is checked) and for the claims (after). It validates the whole text
// against RFC 8259 and walks the members of the top-level object without building
// a map. encoding/json would also do, but it takes the last of duplicate names,
// matches struct fields case-insensitively and is several times slower; here a
// duplicate name is an error, and the caller decides what each member means.

// maxJSONDepth bounds nesting in header and claims; tokens are already capped by
// Config.MaxTokenSize, this keeps the recursion shallow whatever the cap is.
const maxJSONDepth = 32

var (
	errJSONSyntax    = errors.New("jwtauth: malformed JSON")
	errJSONDuplicate = errors.New("jwtauth: duplicate member name")
	errJSONNotObject = errors.New("jwtauth: JSON is not an object")
	errJSONTooMany   = errors.New("jwtauth: too many members")
)

// objectMembers validates data as one JSON object of at most maxMembers members
// and calls fn for each member in order, with the unescaped name and the raw JSON
// text of the value (both only valid during the call). Two members whose names
// are equal, or equal under case folding (encoding/json would let "EXP" fill a
// field tagged "exp" in Claims.Decode), make it fail with errJSONDuplicate. The
// duplicate check is quadratic, hence the member bound. Invalid UTF-8 anywhere
// is a syntax error (RFC 8725 §3.7).
func objectMembers(data []byte, maxMembers int, fn func(name, value []byte) error) error {
	if !utf8.Valid(data) {
		return errJSONSyntax
	}
	s := scanner{data: data}
	s.skipSpace()
	if !s.consume('{') {
		return errJSONNotObject
	}
	var seenBuf [16][]byte
	seen := seenBuf[:0]
	s.skipSpace()
	if s.consume('}') {
		return s.end()
	}
	for {
		s.skipSpace()
		name, ok := s.name()
		if !ok {
			return errJSONSyntax
		}
		if len(seen) == maxMembers {
			return errJSONTooMany
		}
		for _, prev := range seen {
			if bytes.EqualFold(prev, name) {
				return errJSONDuplicate
			}
		}
		seen = append(seen, name)
		s.skipSpace()
		if !s.consume(':') {
			return errJSONSyntax
		}
		s.skipSpace()
		start := s.pos
		if !s.value(0) {
			return errJSONSyntax
		}
		if err := fn(name, data[start:s.pos]); err != nil {
			return err
		}
		s.skipSpace()
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return s.end()
		}
		return errJSONSyntax
	}
}

// scanner is a cursor over JSON text. Its methods report false on a syntax error
// and never panic on any input.
type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) end() error {
	s.skipSpace()
	if s.pos != len(s.data) {
		return errJSONSyntax
	}
	return nil
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) consume(c byte) bool {
	if s.pos < len(s.data) && s.data[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

// name reads a member name. A name without escapes is a sub-slice of the input;
// one with escapes ("\u0065xp" is "exp") is decoded by encoding/json, which is
// rare and may allocate.
func (s *scanner) name() ([]byte, bool) {
	start := s.pos
	escaped, ok := s.str()
	if !ok {
		return nil, false
	}
	raw := s.data[start:s.pos]
	if !escaped {
		return raw[1 : len(raw)-1], true
	}
	var out string
	if json.Unmarshal(raw, &out) != nil {
		return nil, false
	}
	return []byte(out), true
}

// str reads a string and reports whether it contained escapes.
func (s *scanner) str() (escaped, ok bool) {
	if !s.consume('"') {
		return false, false
	}
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return escaped, true
		case c == '\\':
			escaped = true
			s.pos++
			if s.pos >= len(s.data) {
				return false, false
			}
			switch s.data[s.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos++
			case 'u':
				if s.pos+5 > len(s.data) {
					return false, false
				}
				for _, h := range s.data[s.pos+1 : s.pos+5] {
					if !isHex(h) {
						return false, false
					}
				}
				s.pos += 5
			default:
				return false, false
			}
		case c < 0x20:
			return false, false
		default:
			s.pos++
		}
	}
	return false, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func (s *scanner) value(depth int) bool {
	if depth > maxJSONDepth || s.pos >= len(s.data) {
		return false
	}
	switch c := s.data[s.pos]; {
	case c == '"':
		_, ok := s.str()
		return ok
	case c == '{':
		s.pos++
		s.skipSpace()
		if s.consume('}') {
			return true
		}
		for {
			s.skipSpace()
			if _, ok := s.str(); !ok {
				return false
			}
			s.skipSpace()
			if !s.consume(':') {
				return false
			}
			s.skipSpace()
			if !s.value(depth + 1) {
				return false
			}
			s.skipSpace()
			if s.consume(',') {
				continue
			}
			return s.consume('}')
		}
	case c == '[':
		s.pos++
		s.skipSpace()
		if s.consume(']') {
			return true
		}
		for {
			s.skipSpace()
			if !s.value(depth + 1) {
				return false
			}
			s.skipSpace()
			if s.consume(',') {
				continue
			}
			return s.consume(']')
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		return s.number()
	}
}

func (s *scanner) literal(lit string) bool {
	if bytes.HasPrefix(s.data[s.pos:], []byte(lit)) {
		s.pos += len(lit)
		return true
	}
	return false
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() bool {
	s.consume('-')
	switch {
	case s.consume('0'):
	case s.pos < len(s.data) && '1' <= s.data[s.pos] && s.data[s.pos] <= '9':
		s.digits()
	default:
		return false
	}
	if s.consume('.') && !s.digits() {
		return false
	}
	if s.consume('e') || s.consume('E') {
		if !s.consume('+') {
			s.consume('-')
		}
		if !s.digits() {
			return false
		}
	}
	return true
}

func (s *scanner) digits() bool {
	start := s.pos
	for s.pos < len(s.data) && '0' <= s.data[s.pos] && s.data[s.pos] <= '9' {
		s.pos++
	}
	return s.pos > start
}

// jsonString decodes a raw JSON value that must be a string.
func jsonString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true
	}
	var out string
	if json.Unmarshal(raw, &out) != nil {
		return "", false
	}
	return out, true
}
