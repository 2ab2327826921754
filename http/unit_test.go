package http

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, tc := range []struct {
		name      string
		remote    string
		forwarded []string
		want      string
	}{
		{"UntrustedPeerIgnoresHeader", "203.0.113.7:5555", []string{"1.2.3.4"}, "203.0.113.7"},
		{"NoHeader", "10.0.0.1:80", nil, "10.0.0.1"},
		{"TrustedPeer", "10.0.0.1:80", []string{"198.51.100.9"}, "198.51.100.9"},
		{"RightmostUntrusted", "10.0.0.1:80", []string{"6.6.6.6, 198.51.100.9, 10.0.0.2"}, "198.51.100.9"},
		{"SeveralHeaders", "10.0.0.1:80", []string{"6.6.6.6", "198.51.100.9,10.0.0.3"}, "198.51.100.9"},
		{"AllTrusted", "10.0.0.1:80", []string{"10.0.0.5, 10.0.0.2"}, "10.0.0.5"},
		{"GarbageStops", "10.0.0.1:80", []string{"6.6.6.6, not-an-ip"}, "10.0.0.1"},
		{"GarbageLeftOfClientIgnored", "10.0.0.1:80", []string{"garbage, 198.51.100.9"}, "198.51.100.9"},
		{"IPv6Peer", "[::1]:80", []string{"2001:db8::1"}, "2001:db8::1"},
		{"MappedIPv4", "[::ffff:203.0.113.7]:80", nil, "203.0.113.7"},
		{"HopWithPort", "10.0.0.1:80", []string{"198.51.100.9:1234"}, "198.51.100.9"},
		{"NotTCP", "@", nil, "@"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{cfg: Config{TrustedProxies: trusted}}
			r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{"X-Forwarded-For": tc.forwarded}}
			if got := s.clientAddr(r); got != tc.want {
				t.Fatalf("clientAddr(%q, %q) = %q, want %q", tc.remote, tc.forwarded, got, tc.want)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	for _, given := range []string{"abc-123", strings.Repeat("x", 128), "a/b:c=d"} {
		if got := requestID(given); got != given {
			t.Errorf("requestID(%q) = %q, want it echoed", given, got)
		}
	}
	for _, bad := range []string{"", strings.Repeat("x", 129), "with space", "tab\t", "ünïcode", "nl\n"} {
		got := requestID(bad)
		if got == bad || len(got) != 26 {
			t.Errorf("requestID(%q) = %q, want a new id", bad, got)
		}
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int64{
		0: 1, -time.Second: 1, time.Millisecond: 1, time.Second: 1,
		1001 * time.Millisecond: 2, 59500 * time.Millisecond: 60,
	} {
		if got := retryAfterSeconds(d); got != want {
			t.Errorf("retryAfterSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}

func TestStatusOf(t *testing.T) {
	for code, want := range map[string]int{
		recall.EINVALID: 400, recall.EUNAUTHORIZED: 401, recall.ENOTFOUND: 404, recall.ECONFLICT: 409,
		recall.ETOOLARGE: 413, recall.ERATELIMITED: 429, recall.EINTERNAL: 500, recall.EUNAVAILABLE: 503,
		errMethodNotAllowed: 405, errUnsupportedMediaType: 415, "something new": 500,
	} {
		if got := statusOf(code); got != want {
			t.Errorf("statusOf(%q) = %d, want %d", code, got, want)
		}
	}
}

func TestDecodeBody(t *testing.T) {
	type inner struct {
		N int `json:"n"`
	}
	type body struct {
		Name  string  `json:"name"`
		Count int     `json:"count"`
		List  []inner `json:"list"`
	}
	for _, tc := range []struct {
		name, body, field string
	}{
		{"Empty", "", "body"},
		{"Blank", " \n\t", "body"},
		{"NotObject", `["a"]`, "body"},
		{"Null", `null`, "body"},
		{"Malformed", `{"name": "x",}`, ""},
		{"Truncated", `{"name": "x"`, ""},
		{"UnknownField", `{"name": "x", "nope": 1}`, "nope"},
		{"TrailingData", `{"name": "x"} {"name": "y"}`, "body"},
		{"TrailingGarbage", `{"name": "x"}]`, "body"},
		{"WrongType", `{"name": 5}`, "name"},
		{"WrongNestedType", `{"list": [{"n": "5"}]}`, "list.n"},
		{"Overflow", `{"count": 1e40}`, "count"},
		{"BadUTF8", "{\"name\": \"\xff\xfe\"}", "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b body
			err := decodeBody([]byte(tc.body), &b)
			if recall.ErrorCode(err) != recall.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
			if tc.field != "" {
				if _, ok := recall.ErrorFields(err)[tc.field]; !ok {
					t.Fatalf("fields = %v, want %q named", recall.ErrorFields(err), tc.field)
				}
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		var b body
		if err := decodeBody([]byte(" {\"name\": \"é\", \"count\": 3, \"list\": [{\"n\": 1}]}\n "), &b); err != nil {
			t.Fatal(err)
		}
		if b.Name != "é" || b.Count != 3 || len(b.List) != 1 || b.List[0].N != 1 {
			t.Fatalf("decoded %+v", b)
		}
	})
}

func TestCheckContentType(t *testing.T) {
	for ct, ok := range map[string]bool{
		"application/json": true, "application/json; charset=utf-8": true,
		"Application/JSON; charset=UTF-8": true, "application/json;charset=\"utf-8\"": true,
		// What a web page may send to another site without a CORS
		// preflight, and what else is not application/json, is refused.
		"": false, "text/plain": false, "text/plain; charset=utf-8": false,
		"application/x-www-form-urlencoded": false, "application/merge-patch+json": false,
		"application/json; charset=utf-8; foo=bar": false, "application/json; foo=bar": false,
		"application/xml": false, "multipart/form-data; boundary=x": false,
		"application/json; charset=latin1": false, "json": false, "application/jsonx": false,
	} {
		err := checkContentType(ct)
		if (err == nil) != ok {
			t.Errorf("checkContentType(%q) = %v, want ok=%v", ct, err, ok)
		}
		if err != nil && recall.ErrorCode(err) != errUnsupportedMediaType {
			t.Errorf("checkContentType(%q) code = %q", ct, recall.ErrorCode(err))
		}
	}
}

// FuzzDecodeBody checks that no body makes the decoder panic or return
// anything but nil or an EINVALID error.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{`{}`, `{"prompt":"x","answers":["a"]}`, `{"questions":[{"prompt":1}]}`, `{"a":1}`, "{\"prompt\":\"\xff\"}", `{"answers":null}{}`, `[`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var body addQuestionsBody
		err := decodeBody(b, &body)
		if err != nil && recall.ErrorCode(err) != recall.EINVALID {
			t.Fatalf("decodeBody(%q) = %v, want nil or EINVALID", b, err)
		}
		var in recall.QuestionInput
		if err := decodeBody(b, &in); err == nil {
			_ = in.Validate(true, "") // must not panic either
		} else if recall.ErrorCode(err) != recall.EINVALID {
			t.Fatalf("decodeBody(%q) = %v", b, err)
		}
	})
}
