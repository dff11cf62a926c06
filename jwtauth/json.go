package jwtauth

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/bits"
	"strconv"
	"sync"
	"unicode"
	"unicode/utf16"
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
	// errJSONNumber: a number beyond float64 (1e400), which encoding/json,
	// and so Claims.Decode, could not read.
	errJSONNumber = errors.New("jwtauth: number out of range")
)

// objectMembers validates data as one JSON object of at most maxMembers members
// and calls fn for each member in order, with the unescaped name and the raw JSON
// text of the value (both only valid during the call). Two members whose names
// are equal, or equal under Unicode case folding (encoding/json would let "EXP"
// fill a field tagged "exp" in Claims.Decode), make it fail with
// errJSONDuplicate; the check is linear (see dupCheck). Invalid UTF-8 anywhere is
// a syntax error (RFC 8725 §3.7), and so is a number beyond float64
// (errJSONNumber). Names written with escapes are decoded without encoding/json,
// into an arena on the stack while they fit.
func objectMembers(data []byte, maxMembers int, fn func(name, value []byte) error) error {
	w := jsonWorkPool.Get().(*jsonWork)
	err := w.objectMembers(data, maxMembers, fn)
	w.release()
	jsonWorkPool.Put(w)
	return err
}

// jsonWork is the working memory of objectMembers: the duplicate check and
// the arena for escaped names. It is pooled rather than on the stack, where
// the callback's arguments would make it escape, two allocations a call.
type jsonWork struct {
	d        dupCheck
	arenaBuf [1024]byte
}

var jsonWorkPool = sync.Pool{New: func() any { return new(jsonWork) }}

// release forgets the names of the last object, so that a pooled jsonWork
// keeps no payload alive, and readies w for the next.
func (w *jsonWork) release() {
	d := &w.d
	clear(d.namesBuf[:min(d.n, len(d.namesBuf))])
	clear(d.tableBuf[:])
	d.n, d.names, d.hashes, d.table = 0, nil, nil, nil
}

// objectMembers is the package's objectMembers, in w's memory. w must be
// released before it is used again.
func (w *jsonWork) objectMembers(data []byte, maxMembers int, fn func(name, value []byte) error) error {
	if !utf8.Valid(data) {
		return errJSONSyntax
	}
	s := scanner{data: data}
	s.skipSpace()
	if !s.consume('{') {
		return errJSONNotObject
	}
	d := &w.d
	arena := w.arenaBuf[:0]
	s.skipSpace()
	if s.consume('}') {
		return s.end()
	}
	for {
		s.skipSpace()
		start := s.pos
		escaped, ok := s.str()
		if !ok {
			return errJSONSyntax
		}
		name := data[start+1 : s.pos-1]
		if escaped {
			from := len(arena)
			if cap(arena)-len(arena) < len(name) {
				// Once, to room for every name the object can hold
				// (unescaping never lengthens a name): earlier names
				// keep the old arena.
				arena = make([]byte, 0, len(data))
			}
			if arena, ok = appendUnescaped(arena, name); !ok {
				return errJSONSyntax
			}
			name = arena[from:len(arena):len(arena)]
		}
		if d.n == maxMembers {
			return errJSONTooMany
		}
		if !d.add(name, maxMembers) {
			return errJSONDuplicate
		}
		s.skipSpace()
		if !s.consume(':') {
			return errJSONSyntax
		}
		s.skipSpace()
		start = s.pos
		if !s.value(0) {
			if s.overflow {
				return errJSONNumber
			}
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

// dupCheck finds names that are equal under Unicode simple case folding, the
// equivalence of bytes.EqualFold and of encoding/json's field matching, in
// time linear in the number of names: each name is hashed in its folded form
// into an open-addressing table, and compared with bytes.EqualFold only when
// the hashes meet. The first names live in arrays of the struct itself, so a
// usual token allocates nothing here. Its zero value is ready for use.
type dupCheck struct {
	n      int
	names  [][]byte
	hashes []uint32
	table  []int32 // index+1 into names; 0: empty. len is a power of two.

	namesBuf  [32][]byte
	hashesBuf [32]uint32
	tableBuf  [64]int32
}

// add records name and reports whether no earlier name equals it under
// folding. Past the arrays of the struct, it allocates once, room for max
// names.
func (d *dupCheck) add(name []byte, max int) bool {
	if d.names == nil {
		d.names, d.hashes, d.table = d.namesBuf[:0], d.hashesBuf[:0], d.tableBuf[:]
	}
	if d.n == len(d.namesBuf) && max > d.n {
		d.names = append(make([][]byte, 0, max), d.names...)
		d.hashes = append(make([]uint32, 0, max), d.hashes...)
		size := len(d.tableBuf)
		for size < 2*max {
			size *= 2
		}
		d.rehash(size)
	}
	h := foldHash(name)
	mask := uint32(len(d.table) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		j := d.table[i]
		if j == 0 {
			d.table[i] = int32(d.n + 1)
			break
		}
		if d.hashes[j-1] == h && bytes.EqualFold(d.names[j-1], name) {
			return false
		}
	}
	d.names = append(d.names, name)
	d.hashes = append(d.hashes, h)
	d.n++
	return true
}

// last is the foldHash of the name added last.
func (d *dupCheck) last() uint32 { return d.hashes[d.n-1] }

// rehash moves the names to a table of size entries, a power of two.
func (d *dupCheck) rehash(size int) {
	t := make([]int32, size)
	mask := uint32(len(t) - 1)
	for j, h := range d.hashes {
		i := h & mask
		for t[i] != 0 {
			i = (i + 1) & mask
		}
		t[i] = int32(j + 1)
	}
	d.table = t
}

// foldHash is FNV-1a over the runes of name, each replaced by the smallest
// rune of its unicode.SimpleFold orbit, so that names equal under
// bytes.EqualFold hash alike ("K", "k" and the Kelvin sign; "s" and "ſ").
func foldHash(name []byte) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(name); {
		c := name[i]
		var r rune
		if c < utf8.RuneSelf {
			i++
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			r = rune(c)
			// 'k' and 's' have non-ASCII partners, the Kelvin sign and the
			// long s, which foldMin maps to their orbits' smallest members,
			// 'K' and 'S' (TestFoldMinTable): so must these. Other letters
			// may map to either case, as long as all members of an orbit
			// map alike.
			switch r {
			case 'k':
				r = 'K'
			case 's':
				r = 'S'
			}
		} else {
			var size int
			r, size = utf8.DecodeRune(name[i:])
			i += size
			r = foldMin(r)
		}
		h = (h ^ uint32(r)) * 16777619
	}
	return h
}

// foldMin is the smallest rune of r's case-folding orbit. unicode.SimpleFold
// costs tens of nanoseconds a step and some orbits have four members, so a
// header of such runes would cost microseconds per name before the signature
// is checked; the orbits are read once into a table instead.
func foldMin(r rune) rune {
	t := foldTableOnce()
	if r < rune(len(t.low)) {
		return t.low[r]
	}
	if m, ok := t.high[r]; ok {
		return m
	}
	return r
}

// runeFolds holds each rune's smallest orbit member: in an array for the
// runes of one- and two-byte UTF-8 (Latin, Greek, Cyrillic, …), in a map
// for the others that have an orbit.
type runeFolds struct {
	low  [0x800]rune
	high map[rune]rune
}

// foldTableOnce builds the runeFolds on first use, from unicode.SimpleFold:
// about 2,900 runes have an orbit.
var foldTableOnce = sync.OnceValue(func() *runeFolds {
	t := &runeFolds{high: make(map[rune]rune, 2000)}
	for r := range rune(len(t.low)) {
		t.low[r] = r
	}
	set := func(r, m rune) {
		if r < rune(len(t.low)) {
			t.low[r] = m
		} else {
			t.high[r] = m
		}
	}
	// Every rune with a case is below U+20000 (TestFoldMinTable checks all
	// runes); unicode.CaseRanges alone misses orbits such as U+0390/U+1FD3.
	for r := rune(0); r < 0x20000; r++ {
		if unicode.SimpleFold(r) == r {
			continue
		}
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		set(r, m)
	}
	return t
})

// scanner is a cursor over JSON text. Its methods report false on a syntax error
// and never panic on any input.
type scanner struct {
	data     []byte
	pos      int
	overflow bool // number() failed on a number beyond float64
	trusted  bool // data was validated before: number() skips the range check
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

// str reads a string and reports whether it contained escapes.
func (s *scanner) str() (escaped, ok bool) {
	if !s.consume('"') {
		return false, false
	}
	for s.pos < len(s.data) {
		// Eight bytes at a time to the next byte that ends the string,
		// starts an escape or is a control character.
		for s.pos+8 <= len(s.data) {
			if m := strStops(binary.LittleEndian.Uint64(s.data[s.pos:])); m != 0 {
				s.pos += bits.TrailingZeros64(m) >> 3
				break
			}
			s.pos += 8
		}
		if s.pos >= len(s.data) {
			break
		}
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

// strStops marks, in the high bit of each byte, the bytes of v (eight bytes
// of text, little-endian) that are '"', '\\' or below 0x20: the bytes
// scanner.str must look at. Bytes of 0x80 and above (UTF-8, validated
// before) never are. The lowest mark is exact, and so is whether there is
// one: (x - 0x01…) &^ x & 0x80… marks the first zero byte of x and no byte
// before it, and (x - n·0x01…) &^ x & 0x80… the first byte below n, for
// n ≤ 0x80 (a byte after the first may be marked by the borrow, which the
// scanner never reads a mark of).
func strStops(v uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote := v ^ ('"' * ones)
	backslash := v ^ ('\\' * ones)
	return ((quote-ones)&^quote | (backslash-ones)&^backslash | (v-0x20*ones)&^v) & highs
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

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and refuses,
// setting s.overflow, a number beyond float64, which encoding/json could not
// decode (1e400, 400 digits). Numbers too small for float64 (1e-400) are 0 to
// encoding/json, and pass. The magnitude is estimated from the digits and the
// exponent; only a number at the very edge goes to strconv.
func (s *scanner) number() bool {
	start := s.pos
	s.consume('-')
	intStart := s.pos
	switch {
	case s.consume('0'):
	case s.pos < len(s.data) && '1' <= s.data[s.pos] && s.data[s.pos] <= '9':
		s.digits()
	default:
		return false
	}
	intEnd := s.pos
	fracStart := s.pos
	if s.consume('.') {
		fracStart = s.pos
		if !s.digits() {
			return false
		}
	}
	fracEnd := s.pos
	exp := 0
	if s.trusted {
		if s.consume('e') || s.consume('E') {
			if !s.consume('+') {
				s.consume('-')
			}
			return s.digits()
		}
		return true
	}
	if s.consume('e') || s.consume('E') {
		neg := false
		if !s.consume('+') {
			neg = s.consume('-')
		}
		expStart := s.pos
		if !s.digits() {
			return false
		}
		for _, c := range s.data[expStart:s.pos] {
			if exp < 1e6 {
				exp = exp*10 + int(c-'0')
			}
		}
		if neg {
			exp = -exp
		}
	}
	// The power of ten of the first non-zero digit.
	var e int
	switch {
	case s.data[intStart] != '0':
		e = intEnd - intStart - 1 + exp
	default:
		k := fracStart
		for k < fracEnd && s.data[k] == '0' {
			k++
		}
		if k == fracEnd {
			return true // zero
		}
		e = -(k - fracStart + 1) + exp
	}
	switch {
	case e < 308:
		return true
	case e > 308:
		s.overflow = true
		return false
	}
	// e == 308: compare the leading digits with those of MaxFloat64,
	// 1.7976931348623157e308, so that only numbers within a hair of it cost
	// a strconv call (a token of 1e308s must not cost one per number).
	var lead [17]byte
	n := 0
	for _, c := range s.data[intStart:fracEnd] {
		if c == '.' || n == 0 && c == '0' {
			continue
		}
		if n == len(lead) {
			break
		}
		lead[n] = c
		n++
	}
	for n < len(lead) {
		lead[n] = '0'
		n++
	}
	switch c := bytes.Compare(lead[:], []byte("17976931348623157")); {
	case c < 0:
		return true
	case c > 0 && string(lead[:]) > "17976931348623159":
		s.overflow = true
		return false
	}
	_, err := strconv.ParseFloat(string(s.data[start:s.pos]), 64)
	if err != nil {
		s.overflow = true
		return false
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
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		if bytes.IndexByte(inner, '"') >= 0 || !utf8.Valid(inner) || hasControl(inner) {
			return "", false
		}
		return string(inner), true
	}
	var buf [128]byte
	out, ok := appendUnescaped(buf[:0], inner)
	if !ok {
		return "", false
	}
	return string(out), true
}

// hasControl reports whether b has a byte below 0x20, which a JSON string may
// not hold unescaped.
func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// appendUnescaped appends the decoded contents of a JSON string (inner: the
// text between the quotes) to dst, as encoding/json decodes it: \uXXXX escapes
// as UTF-16, surrogate pairs combined, a lone surrogate as U+FFFD. It reports
// false for text that is not a valid string body (bad escapes, a raw quote or
// control character, invalid UTF-8).
func appendUnescaped(dst, inner []byte) ([]byte, bool) {
	for i := 0; i < len(inner); {
		c := inner[i]
		switch {
		case c == '\\':
			if i+1 >= len(inner) {
				return dst, false
			}
			switch e := inner[i+1]; e {
			case '"', '\\', '/':
				dst = append(dst, e)
				i += 2
			case 'b':
				dst, i = append(dst, '\b'), i+2
			case 'f':
				dst, i = append(dst, '\f'), i+2
			case 'n':
				dst, i = append(dst, '\n'), i+2
			case 'r':
				dst, i = append(dst, '\r'), i+2
			case 't':
				dst, i = append(dst, '\t'), i+2
			case 'u':
				r, ok := hex4(inner[i+2:])
				if !ok {
					return dst, false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+1 < len(inner) && inner[i] == '\\' && inner[i+1] == 'u' {
						if v, ok := hex4(inner[i+2:]); ok {
							r2 = v
						}
					}
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						r = d
						i += 6
					} else {
						r = utf8.RuneError
					}
				}
				dst = utf8.AppendRune(dst, r)
			default:
				return dst, false
			}
		case c == '"' || c < 0x20:
			return dst, false
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRune(inner[i:])
			if r == utf8.RuneError && size == 1 {
				return dst, false
			}
			dst = append(dst, inner[i:i+size]...)
			i += size
		}
	}
	return dst, true
}

// hex4 reads four hex digits.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// lookupMember finds the member called name in data, a JSON object that was
// validated when its token was verified: found is whether a member has exactly
// that name, value its raw JSON (a sub-slice of data), and foldVariant whether
// another member equals name under case folding without being it. It walks the
// object once without allocating (names with escapes are decoded into a
// buffer on the stack when they fit), and returns found false for input that
// is not an object.
func lookupMember(data []byte, name string) (value []byte, found, foldVariant bool) {
	s := scanner{data: data, trusted: true}
	s.skipSpace()
	if !s.consume('{') {
		return nil, false, false
	}
	var buf [128]byte
	for {
		s.skipSpace()
		if s.consume('}') {
			return value, found, foldVariant
		}
		start := s.pos
		escaped, ok := s.str()
		if !ok {
			return nil, false, false
		}
		n := data[start+1 : s.pos-1]
		if escaped {
			if n, ok = appendUnescaped(buf[:0], n); !ok {
				return nil, false, false
			}
		}
		s.skipSpace()
		if !s.consume(':') {
			return nil, false, false
		}
		s.skipSpace()
		vstart := s.pos
		if !s.value(0) {
			return nil, false, false
		}
		switch {
		case string(n) == name:
			value, found = data[vstart:s.pos], true
		case bytes.EqualFold(n, []byte(name)):
			foldVariant = true
		}
		s.skipSpace()
		s.consume(',')
	}
}

// eachArrayString calls fn for each element of raw, a JSON array whose
// elements must all be strings, until fn returns false, and reports whether
// raw is such an array (as far as it was read). s is the element's contents:
// a sub-slice of raw when escaped is false, else decoded into a buffer valid
// only during the call. It does not allocate for elements of up to 128 bytes.
func eachArrayString(raw []byte, fn func(s []byte, escaped bool) bool) bool {
	sc := scanner{data: raw}
	sc.skipSpace()
	if !sc.consume('[') {
		return false
	}
	sc.skipSpace()
	if sc.consume(']') {
		return sc.pos == len(raw)
	}
	var buf [128]byte
	for {
		sc.skipSpace()
		start := sc.pos
		esc, ok := sc.str()
		if !ok {
			return false
		}
		v := raw[start+1 : sc.pos-1]
		if esc {
			if v, ok = appendUnescaped(buf[:0], v); !ok {
				return false
			}
		}
		if !fn(v, esc) {
			return true
		}
		sc.skipSpace()
		if sc.consume(',') {
			continue
		}
		return sc.consume(']') && sc.pos == len(raw)
	}
}
