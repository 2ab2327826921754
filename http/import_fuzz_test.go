package http

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/recallhq/recall"
)

// FuzzImport sends any body, as CSV or TSV, to the import route of an
// empty topic: never a 5xx (checkResponse), only the statuses the route
// documents, every reported line inside the file, and all or nothing —
// a refused file adds no question, an accepted one adds what it says.
func FuzzImport(f *testing.F) {
	fe := newFuzzEnv(f)
	for _, s := range []string{
		"q,a\n", "q\ta\n", "#separator:comma\n#columns:Front,Back\nq,a\n",
		"#separator:\nq,a\n", "#html:maybe\nq,a\n", "#guid column:0\nq,a\n", "#separator:two\nq,a\n",
		"#html:true\nq<br>r\t<b>a</b>\n", "#guid column:3\nq\ta\tid1\n", "\ufeff#separator:Pipe\nq|a\n",
		"\"unclosed,a\n", "only one field\n", "q,a,much\n", "#tags:" + strings.Repeat("t ", 2100) + "\nq,a\n",
		"#deck:D\n#notetype:Basic\n#tags column:3\nq\ta\tt1 t2\n", "q,a\nq,a\n", "\x00,\x00\n", "#\n#:\n",
		"#notetype:Cloze\nThe {{c1::sun::star}} shines. It is {{c2::hot}}.\textra\nNo cloze\t\n",
		"#notetype column:1\nCloze\t{{c1::a}} {{c1::b}} {{c2::}}\nBasic\t{{c1::q}}\ta\ncloze\t{{c1::x}}\n",
	} {
		f.Add(strings.Contains(s, "\t"), []byte(s))
	}
	topic := ""
	f.Fuzz(func(t *testing.T, tsv bool, file []byte) {
		auth := http.Header{"Authorization": {"Bearer " + fe.token}, "Content-Type": {"application/json"}}
		if topic == "" {
			w := fe.serve(t, "POST", "/v1/topics", []byte(`{"title":"Import"}`), auth)
			var tr topicResp
			if err := json.Unmarshal(w.Body.Bytes(), &tr); err != nil || w.Code != http.StatusCreated {
				t.Fatalf("create a topic: %d %s", w.Code, w.Body)
			}
			topic = tr.Topic.ID
		}
		mt := "text/csv"
		if tsv {
			mt = "text/tab-separated-values"
		}
		path := "/v1/topics/" + topic + "/questions/import"
		w := fe.serve(t, "POST", path, file, http.Header{"Content-Type": {mt}, "Authorization": auth["Authorization"]})
		bw := fe.serve(t, "GET", "/v1/topics/"+topic+"/questions", nil, auth)
		var b struct {
			Questions []json.RawMessage `json:"questions"`
		}
		if err := json.Unmarshal(bw.Body.Bytes(), &b); err != nil || bw.Code != http.StatusOK {
			t.Fatalf("read the bank: %d %s", bw.Code, bw.Body)
		}
		bank := len(b.Questions)
		switch w.Code {
		case http.StatusOK, http.StatusCreated:
			var out imported
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
				t.Fatalf("%d: %v: %s", w.Code, err, w.Body)
			}
			if out.Added != bank || (out.Added > 0) != (w.Code == http.StatusCreated) || out.Added+out.Duplicates != len(out.Rows) {
				t.Fatalf("%d with %+v; the bank holds %d", w.Code, out, bank)
			}
			if bank > 0 {
				topic = "" // the next file goes to an empty topic again
			}
		case http.StatusBadRequest:
			var eb errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil || eb.Error.Code != recall.EINVALID {
				t.Fatalf("400 %s", w.Body)
			}
			lines := strings.Count(string(file), "\n") + 1
			for _, l := range eb.Error.Lines {
				if l.Line < 1 || l.Line > lines || l.Message == "" {
					t.Fatalf("400 names line %d (%q) of a file of %d lines", l.Line, l.Message, lines)
				}
			}
			if bank != 0 {
				t.Fatalf("a refused file added %d questions", bank)
			}
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}
