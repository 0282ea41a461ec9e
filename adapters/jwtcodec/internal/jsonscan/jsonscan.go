// Package jsonscan reads JSON texts in place, for the token decoder of
// package jwtcodec. It accepts exactly the texts encoding/json accepts (its
// grammar and its nesting limit, MaxDepth) and reads strings as
// encoding/json does: escapes decoded, invalid UTF-8 and lone surrogates
// replaced by U+FFFD. ParseValue builds the values encoding/json builds
// when decoding into an interface with UseNumber; the other functions
// check or locate values without allocating.
//
// The functions take a text b and an index i into it, and return the index
// just past what they read, with ok false for a malformed text. Given any
// text and a non-negative index, they never panic: every index is checked
// against len(b).
package jsonscan

import (
	"encoding/json"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is encoding/json's nesting limit: it refuses a text with more
// than this many objects and arrays open at once.
const MaxDepth = 10000

// SkipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func SkipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// String scans the string literal whose opening quote is b[i] and
// returns the index just past its closing quote. plain reports that the
// literal has no escape and no byte outside ASCII, so that the bytes between
// the quotes are its value. ok is false for a malformed literal.
func String(b []byte, i int) (end int, plain, ok bool) {
	plain = true
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, plain, true
		case c == '\\':
			plain = false
			i++
			if i >= len(b) {
				return 0, false, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(b)-i < 5 {
					return 0, false, false
				}
				for _, h := range b[i+1 : i+5] {
					if !isHex(h) {
						return 0, false, false
					}
				}
				i += 4
			default:
				return 0, false, false
			}
		case c < ' ':
			return 0, false, false
		case c >= utf8.RuneSelf:
			plain = false
		}
	}
	return 0, false, false
}

// StringValue returns the value of the string literal b[start:end], which
// String accepted and reported plain or not. A plain value is a slice of b;
// others may be too.
func StringValue(b []byte, start, end int, plain bool) []byte {
	s := b[start+1 : end-1]
	if plain {
		return s
	}
	return Unquote(s)
}

// Unquote returns the value of s, the text between the quotes of a string
// literal String accepted, as encoding/json reads it: escapes are decoded,
// invalid UTF-8 and unpaired surrogates become U+FFFD. It returns s itself
// when nothing needs changing, and a new slice otherwise.
func Unquote(s []byte) []byte {
	r := 0
	for r < len(s) {
		c := s[r]
		if c == '\\' || c == '"' || c < ' ' {
			break
		}
		if c < utf8.RuneSelf {
			r++
			continue
		}
		rr, size := utf8.DecodeRune(s[r:])
		if rr == utf8.RuneError && size == 1 {
			break
		}
		r += size
	}
	if r == len(s) {
		return s
	}
	b := make([]byte, r, len(s)+2*utf8.UTFMax)
	copy(b, s[:r])
	for r < len(s) {
		c := s[r]
		switch {
		case c == '\\' && r+1 < len(s):
			r++
			switch s[r] {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rr := getu4(s[r-1:])
				if rr < 0 { // not reached: String checked the escape
					b = utf8.AppendRune(b, unicode.ReplacementChar)
					r++
					continue
				}
				r += 5
				if utf16.IsSurrogate(rr) {
					if dec := utf16.DecodeRune(rr, getu4(s[r:])); dec != unicode.ReplacementChar {
						// A valid pair.
						r += 6
						b = utf8.AppendRune(b, dec)
						continue
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
				continue
			default: // '"', '\\', '/'
				b = append(b, s[r])
			}
			r++
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			// Coerce to well-formed UTF-8.
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			b = utf8.AppendRune(b, rr)
		}
	}
	return b
}

// getu4 decodes \uXXXX from the beginning of s, returning the hex value, or
// -1 (encoding/json's getu4).
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// isHex reports whether c is a hexadecimal digit.
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isDigit reports whether c is a decimal digit.
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// Number scans the number literal starting at b[i] and returns the index
// just past it. Its value may not fit a float64; see SkipValue.
func Number(b []byte, i int) (end int, ok bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return 0, false
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return 0, false
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return 0, false
		}
		for i++; i < len(b) && isDigit(b[i]); i++ {
		}
	}
	return i, true
}

// Literal returns the index just past lit if b holds it at i.
func Literal(b []byte, i int, lit string) (end int, ok bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, false
	}
	return i + len(lit), true
}

// SkipValue checks the JSON value starting at b[i], inside depth open
// objects and arrays, and returns the index just past it. With floats, a
// number that does not fit a float64 is refused, as encoding/json refuses
// it when decoding into an interface without UseNumber.
func SkipValue(b []byte, i, depth int, floats bool) (end int, ok bool) {
	if i >= len(b) {
		return 0, false
	}
	switch c := b[i]; c {
	case '{':
		return skipObject(b, i, depth+1, floats)
	case '[':
		return skipArray(b, i, depth+1, floats)
	case '"':
		end, _, ok = String(b, i)
		return end, ok
	case 't':
		return Literal(b, i, "true")
	case 'f':
		return Literal(b, i, "false")
	case 'n':
		return Literal(b, i, "null")
	default:
		end, ok = Number(b, i)
		if ok && floats {
			_, err := strconv.ParseFloat(string(b[i:end]), 64)
			ok = err == nil
		}
		return end, ok
	}
}

// skipObject checks the object whose '{' is b[i], depth being its own
// nesting level, and returns the index just past its '}'.
func skipObject(b []byte, i, depth int, floats bool) (end int, ok bool) {
	if depth > MaxDepth {
		return 0, false
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, false
		}
		if i, _, ok = String(b, i); !ok {
			return 0, false
		}
		i = SkipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return 0, false
		}
		if i, ok = SkipValue(b, SkipSpace(b, i+1), depth, floats); !ok {
			return 0, false
		}
		if i, ok = NextMember(b, i, '}'); !ok || b[i-1] == '}' {
			return i, ok
		}
	}
}

// skipArray checks the array whose '[' is b[i], depth being its own
// nesting level, and returns the index just past its ']'.
func skipArray(b []byte, i, depth int, floats bool) (end int, ok bool) {
	if depth > MaxDepth {
		return 0, false
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		if i, ok = SkipValue(b, i, depth, floats); !ok {
			return 0, false
		}
		if i, ok = NextMember(b, i, ']'); !ok || b[i-1] == ']' {
			return i, ok
		}
	}
}

// NextMember reads what follows a member of an object or array ending at
// b[i]: white space, then either a comma, after which the index returned is
// that of the next member (past white space), or the closing byte, after
// which it is just past it, so that b[end-1] == closing. After a comma the
// caller must check that a member starts at end: a trailing comma leaves
// the closing byte there.
func NextMember(b []byte, i int, closing byte) (end int, ok bool) {
	i = SkipSpace(b, i)
	switch {
	case i >= len(b):
		return 0, false
	case b[i] == closing:
		return i + 1, true
	case b[i] == ',':
		return SkipSpace(b, i+1), true
	default:
		return 0, false
	}
}

// ParseValue reads the JSON value starting at b[i], inside depth open
// objects and arrays, as encoding/json decodes into an interface with
// UseNumber: map[string]any, []any, string, json.Number, bool or nil.
func ParseValue(b []byte, i, depth int) (v any, end int, ok bool) {
	if i >= len(b) {
		return nil, 0, false
	}
	switch c := b[i]; c {
	case '{':
		return parseObject(b, i, depth+1)
	case '[':
		return parseArray(b, i, depth+1)
	case '"':
		end, plain, ok := String(b, i)
		if !ok {
			return nil, 0, false
		}
		return string(StringValue(b, i, end, plain)), end, true
	case 't':
		end, ok = Literal(b, i, "true")
		return true, end, ok
	case 'f':
		end, ok = Literal(b, i, "false")
		return false, end, ok
	case 'n':
		end, ok = Literal(b, i, "null")
		return nil, end, ok
	default:
		if end, ok = Number(b, i); !ok {
			return nil, 0, false
		}
		return json.Number(b[i:end]), end, true
	}
}

// parseObject is ParseValue for an object; depth is its own nesting level.
// A repeated name keeps its last value, as with encoding/json.
func parseObject(b []byte, i, depth int) (v any, end int, ok bool) {
	if depth > MaxDepth {
		return nil, 0, false
	}
	m := make(map[string]any)
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return m, i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, 0, false
		}
		start := i
		var plain bool
		if i, plain, ok = String(b, i); !ok {
			return nil, 0, false
		}
		key := string(StringValue(b, start, i, plain))
		i = SkipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return nil, 0, false
		}
		var e any
		if e, i, ok = ParseValue(b, SkipSpace(b, i+1), depth); !ok {
			return nil, 0, false
		}
		m[key] = e
		if i, ok = NextMember(b, i, '}'); !ok || b[i-1] == '}' {
			return m, i, ok
		}
	}
}

// parseArray is ParseValue for an array; depth is its own nesting level.
// An empty array is an empty, non-nil slice, as with encoding/json.
func parseArray(b []byte, i, depth int) (v any, end int, ok bool) {
	if depth > MaxDepth {
		return nil, 0, false
	}
	s := make([]any, 0)
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return s, i + 1, true
	}
	for {
		var e any
		if e, i, ok = ParseValue(b, i, depth); !ok {
			return nil, 0, false
		}
		s = append(s, e)
		if i, ok = NextMember(b, i, ']'); !ok || b[i-1] == ']' {
			return s, i, ok
		}
	}
}
