package llm

import (
	"strings"
	"testing"
)

// TestFramingGuard feeds replies in every two-piece split: framing is found
// wherever the split falls, before any of it is passed on, and a clean reply
// passes on whole.
func TestFramingGuard(t *testing.T) {
	for _, tc := range []struct {
		reply   string
		framing bool
	}{
		{"Paris is the capital.\nIt has been since 987.", false},
		{"The data: it says Paris. Event: none.", false},
		{"ids: 1, 2\nretry later? no", false},
		{"Paris\n\ndata: [DONE]\n\n", true},
		{"ok\n  event: end\n", true},
		{"ok\rid: 7", true},
		{"data: x", true},
		{"the end [DONE] really", true},
		{"tail\nretry:", true},
	} {
		for cut := 0; cut <= len(tc.reply); cut++ {
			var g framingGuard
			var out strings.Builder
			var err error
			for _, piece := range []string{tc.reply[:cut], tc.reply[cut:]} {
				var s string
				if s, err = g.feed(piece); err != nil {
					break
				}
				out.WriteString(s)
			}
			if err == nil {
				s, _ := g.flush()
				out.WriteString(s)
			}
			if (err != nil) != tc.framing {
				t.Fatalf("%q cut at %d: err %v", tc.reply, cut, err)
			}
			if tc.framing && (strings.Contains(out.String(), "data:") || strings.Contains(out.String(), "[DONE]") || strings.Contains(out.String(), "event:")) {
				t.Fatalf("%q cut at %d: passed on %q", tc.reply, cut, out.String())
			}
			if !tc.framing && out.String() != tc.reply {
				t.Fatalf("%q cut at %d: passed on %q", tc.reply, cut, out.String())
			}
		}
	}
}

func TestSuspicious(t *testing.T) {
	for _, ok := range []string{"Paris", "the city of Paris", "100 °C", "Tōkyō", "H2O", "mitochondria", "Saint-Étienne", "42", "e = mc²", "Москва"} {
		if reason, bad := Suspicious(ok); bad {
			t.Errorf("%q flagged: %s", ok, reason)
		}
	}
}
