package ratelimit

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// sfItem is one member of a structured-field list (RFC 9651 §3.1): a bare
// item with parameters. Inner lists are not needed here and are rejected.
type sfItem struct {
	value  any // int64, float64, string, sfToken or bool
	params []sfParam
}

type sfParam struct {
	key   string
	value any
}

type sfToken string

func (it sfItem) param(key string) (any, bool) {
	for _, p := range it.params {
		if p.key == key {
			return p.value, true
		}
	}
	return nil, false
}

// parseSFList parses a List field value following RFC 9651 §4.2.
func parseSFList(s string) ([]sfItem, error) {
	p := &sfParser{s: strings.Trim(s, " ")}
	var out []sfItem
	for p.i < len(p.s) {
		if p.peek() == '(' {
			return nil, p.errf("inner lists are not expected")
		}
		it, err := p.item()
		if err != nil {
			return nil, err
		}
		out = append(out, it)
		p.ows()
		if p.i == len(p.s) {
			return out, nil
		}
		if p.peek() != ',' {
			return nil, p.errf("want ',' between members")
		}
		p.i++
		p.ows()
		if p.i == len(p.s) {
			return nil, p.errf("trailing comma")
		}
	}
	return out, nil
}

type sfParser struct {
	s string
	i int
}

func (p *sfParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *sfParser) errf(format string, a ...any) error {
	return fmt.Errorf("at %d of %q: %s", p.i, p.s, fmt.Sprintf(format, a...))
}

func (p *sfParser) ows() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *sfParser) item() (sfItem, error) {
	v, err := p.bare()
	if err != nil {
		return sfItem{}, err
	}
	it := sfItem{value: v}
	for p.peek() == ';' {
		p.i++
		for p.peek() == ' ' {
			p.i++
		}
		k, err := p.key()
		if err != nil {
			return sfItem{}, err
		}
		var pv any = true
		if p.peek() == '=' {
			p.i++
			if pv, err = p.bare(); err != nil {
				return sfItem{}, err
			}
		}
		it.params = append(it.params, sfParam{k, pv})
	}
	return it, nil
}

func (p *sfParser) key() (string, error) {
	start := p.i
	c := p.peek()
	if !(c >= 'a' && c <= 'z' || c == '*') {
		return "", p.errf("a key must start with a lower-case letter or '*'")
	}
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '*' {
			p.i++
			continue
		}
		break
	}
	return p.s[start:p.i], nil
}

func (p *sfParser) bare() (any, error) {
	switch c := p.peek(); {
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == '"':
		return p.str()
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '*':
		start := p.i
		for p.i < len(p.s) && strings.IndexByte(":/!#$%&'*+-.^_`|~", p.s[p.i]) >= 0 ||
			p.i < len(p.s) && (p.s[p.i] >= 'a' && p.s[p.i] <= 'z' || p.s[p.i] >= 'A' && p.s[p.i] <= 'Z' || p.s[p.i] >= '0' && p.s[p.i] <= '9') {
			p.i++
		}
		return sfToken(p.s[start:p.i]), nil
	case c == '?':
		p.i++
		switch p.peek() {
		case '1':
			p.i++
			return true, nil
		case '0':
			p.i++
			return false, nil
		}
		return nil, p.errf("bad boolean")
	}
	return nil, p.errf("unexpected %q", p.peek())
}

func (p *sfParser) number() (any, error) {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	digits, dot := 0, -1
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c >= '0' && c <= '9' {
			digits++
		} else if c == '.' && dot < 0 {
			if digits > 12 {
				return nil, p.errf("decimal integer part too long")
			}
			dot = p.i
		} else {
			break
		}
		p.i++
	}
	num := p.s[start:p.i]
	if digits == 0 {
		return nil, p.errf("number without digits")
	}
	if dot < 0 {
		if digits > 15 {
			return nil, p.errf("integer too long")
		}
		return strconv.ParseInt(num, 10, 64)
	}
	if frac := p.i - dot - 1; frac < 1 || frac > 3 {
		return nil, p.errf("a decimal has 1 to 3 fraction digits")
	}
	return strconv.ParseFloat(num, 64)
}

func (p *sfParser) str() (any, error) {
	p.i++ // opening quote
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '\\':
			if p.i == len(p.s) || (p.s[p.i] != '"' && p.s[p.i] != '\\') {
				return nil, p.errf("bad escape")
			}
			b.WriteByte(p.s[p.i])
			p.i++
		case c == '"':
			return b.String(), nil
		case c < 0x20 || c > 0x7e:
			return nil, p.errf("character %#x not allowed in a string", c)
		default:
			b.WriteByte(c)
		}
	}
	return nil, p.errf("unterminated string")
}

func TestSFParser(t *testing.T) {
	// The parser itself must reject what the grammar rejects, or the header
	// tests below prove nothing.
	for _, bad := range []string{`"a";q=1,`, `"a" "b"`, `"a";Q=1`, `"a;q=1`, `"a";q=1.2345`, `"a";q=`, `("a")`} {
		if _, err := parseSFList(bad); err == nil {
			t.Errorf("parseSFList(%q) succeeded", bad)
		}
	}
	got, err := parseSFList(`"a";q=30;w=60,  tok;x, "b\"c";f=1.5;t=?1`)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].value != "a" || got[1].value != sfToken("tok") || got[2].value != `b"c` {
		t.Fatalf("parsed %+v", got)
	}
	if v, _ := got[0].param("w"); v != int64(60) {
		t.Fatalf("w = %v", v)
	}
	if v, _ := got[2].param("f"); v != 1.5 {
		t.Fatalf("f = %v", v)
	}
}
