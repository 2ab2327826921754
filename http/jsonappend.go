package http

import (
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// Append-style JSON encoders for the values of the hand-encoded responses
// (the topic views, see appendTopic). Each produces, byte for byte, what
// encoding/json's Marshal produces for the same Go value, so a response is
// the same whichever way it was encoded; topicjson_test.go proves it
// against encoding/json itself.

// hexDigits are the digits of \u00XX escapes, lower case as encoding/json
// writes them.
const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string escaped as encoding/json
// escapes by default: " and \ backslashed; \b \f \n \r \t short; other
// control characters and the HTML-sensitive <, > and & as \u00XX (a string
// pasted into a page cannot end a script); U+2028 and U+2029 as \u2028 and
// \u2029 (they end a line in JavaScript); each byte of invalid UTF-8 as
// \ufffd. Everything else is copied as is.
//
// Most text is plain ASCII, so runs of it are skipped 8 bytes at a time
// (plain8), which is about twice as fast as testing each byte.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0 // s[start:i] is pending, to be copied as is
	for i := 0; i < len(s); {
		if i+8 <= len(s) && plain8(load8(s, i)) {
			i += 8
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1: // invalid; a well-formed U+FFFD is copied
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// load8 returns s[i:i+8] as a little-endian word (one load once compiled).
func load8(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// Byte-lane constants of plain8: 0x01 and 0x80 in each of the 8 bytes.
const (
	lanesLow  = 0x0101010101010101
	lanesHigh = 0x8080808080808080
)

// plain8 reports whether each of the 8 bytes in x is ASCII that
// appendJSONString copies as is: none is 0x80 or above, below 0x20, or one
// of " \ < > &. It tests all lanes at once with the "has a byte less than
// n" trick: (x - n*lanesLow) &^ x & lanesHigh is non-zero exactly when some
// byte of x (all below 0x80) is below n; a byte equal to c is a zero byte
// of x ^ c*lanesLow.
func plain8(x uint64) bool {
	hasZero := func(x uint64) bool { return (x-lanesLow)&^x&lanesHigh != 0 }
	return x&lanesHigh == 0 &&
		(x-0x20*lanesLow)&^x&lanesHigh == 0 &&
		!hasZero(x^'"'*lanesLow) && !hasZero(x^'\\'*lanesLow) &&
		!hasZero(x^'<'*lanesLow) && !hasZero(x^'>'*lanesLow) && !hasZero(x^'&'*lanesLow)
}

// appendJSONFloat appends f as encoding/json writes a float64: the
// shortest decimal that reads back as f (as ES6 prints numbers), plain
// from 1e-6 up to 1e21 and in exponent form outside, the exponent without
// a leading zero (1e-7, not 1e-07). NaN and the infinities are no JSON: an
// error, as encoding/json reports.
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, errors.New("json: unsupported value: " + strconv.FormatFloat(f, 'g', -1, 64))
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// strconv pads the exponent to two digits: e-07 becomes e-7.
		if n := len(b); b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// appendJSONTime appends t in UTC as time.Time.MarshalJSON writes it: a
// quoted RFC 3339 time with as many fractional digits as it needs. A year
// outside 0..9999 has no RFC 3339 form: an error, as MarshalJSON reports.
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return b, errors.New("Time.MarshalJSON: year outside of range [0,9999]")
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}
