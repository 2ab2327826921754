package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recallhq/recall/llm/llmtest"
)

// TestLLMFlags: the --llm-* flags, their variables and the key's two
// sources, validated before the server starts.
func TestLLMFlags(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte("sk-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		key     string
		wantErr string
	}{
		{"Off", nil, nil, "", ""},
		{"KeyFromEnv", []string{"--llm-url", "https://api.example.com/v1", "--llm-model", "m"}, map[string]string{"RECALL_LLM_KEY": "sk-env"}, "sk-env", ""},
		{"KeyFromFile", []string{"--llm-url", "https://api.example.com/v1", "--llm-model", "m", "--llm-key-file", keyFile}, nil, "sk-from-file", ""},
		{"AllFromEnv", nil, map[string]string{"RECALL_LLM_URL": "http://127.0.0.1:11434/v1", "RECALL_LLM_MODEL": "llama", "RECALL_LLM_MAX_TOKENS": "64", "RECALL_LLM_TIMEOUT": "3s"}, "", ""},
		{"BothKeys", []string{"--llm-url", "https://x/v1", "--llm-model", "m", "--llm-key-file", keyFile}, map[string]string{"RECALL_LLM_KEY": "sk-env"}, "", "keep one"},
		{"MissingKeyFile", []string{"--llm-url", "https://x/v1", "--llm-model", "m", "--llm-key-file", filepath.Join(dir, "nope")}, nil, "", "no such file"},
		{"NoModel", []string{"--llm-url", "https://x/v1"}, nil, "", "model is empty"},
		{"BadURL", []string{"--llm-url", "api.example.com", "--llm-model", "m"}, nil, "", "want http(s)://"},
		{"ModelWithoutURL", []string{"--llm-model", "m"}, nil, "", "need --llm-url"},
		{"TokensTooMany", []string{"--llm-url", "https://x/v1", "--llm-model", "m", "--llm-max-tokens", "100000"}, nil, "", "max tokens 100000"},
		{"TimeoutZero", []string{"--llm-url", "https://x/v1", "--llm-model", "m", "--llm-timeout", "1ms"}, nil, "", "timeout 1ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := parseServe(tc.args, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.readLLMKey(envMap(tc.env))
			if err == nil {
				err = cfg.validate()
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if cfg.LLMKey != tc.key {
					t.Fatalf("key %q, want %q", cfg.LLMKey, tc.key)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "sk-") {
				t.Fatalf("the error shows the key: %v", err)
			}
		})
	}
}

// TestLLMConstructed: with --llm-url the server builds the client over its
// limiter and says so at start, without the key; without it there is none.
func TestLLMConstructed(t *testing.T) {
	srv := llmtest.New(t)
	s := startDefault(t, func(c *Config) {
		c.LLMURL, c.LLMModel, c.LLMKey = srv.URL, "test-model", "sk-secret"
	})
	c := s.m.LLM()
	if c == nil || c.Model() != "test-model" || c.BaseURL() != srv.URL || c.MaxTokens() != 512 {
		t.Fatalf("client %+v", c)
	}
	logs := s.logs.String()
	if !strings.Contains(logs, "LLM configured") || !strings.Contains(logs, `budget="llm=50000/1d"`) || strings.Contains(logs, "sk-secret") {
		t.Fatalf("logs:\n%s", logs)
	}
	if startDefault(t).m.LLM() != nil {
		t.Fatal("a client without --llm-url")
	}
}

// TestLLMProse: with --llm-url, prose sent to generate becomes questions
// written by the model, added to the bank and counted; without it, 400.
func TestLLMProse(t *testing.T) {
	srv := llmtest.New(t)
	srv.Respond(func(llmtest.Request) string {
		return `{"questions": [{"prompt": "What do mitochondria make?", "answers": ["ATP"], "explanation": "They make ATP."}]}`
	})
	s := startDefault(t, func(c *Config) { c.LLMURL, c.LLMModel = srv.URL, "test-model" })
	_, tok := s.signUp(t, "ada", "password-ada")
	topic := s.createTopic(t, tok, "Cells", "")
	path := "/v1/topics/" + topic.ID + "/questions/generate"
	var made struct {
		Questions []struct {
			ID, Prompt, Explanation string
		}
	}
	s.do(apiCall{method: "POST", path: path, token: tok, body: map[string]any{"prose": "Mitochondria make ATP."}}).want(t, 201, &made)
	if len(made.Questions) != 1 || made.Questions[0].ID == "" || made.Questions[0].Explanation != "They make ATP." {
		t.Fatalf("made %+v", made)
	}
	if n := promSum(s.scrape(t), "recall_llm_calls_total", map[string]string{"op": "generate"}); n != 1 {
		t.Errorf("recall_llm_calls_total{op=generate} = %v, want 1", n)
	}
	plain := startDefault(t)
	_, tok = plain.signUp(t, "ada", "password-ada")
	topic = plain.createTopic(t, tok, "Cells", "")
	plain.do(apiCall{method: "POST", path: "/v1/topics/" + topic.ID + "/questions/generate", token: tok,
		body: map[string]any{"prose": "Mitochondria make ATP."}}).wantError(t, 400, "invalid")
}

// TestLLMProseBudgetUnknown stops the Redis that holds the users' llm
// budgets: prose sent to generate is then 503 with a reason (the budget
// cannot be checked), never a 5xx of another kind; the model is not
// called, nothing is added, and the fallback is counted with its reason.
// Once Redis is back, prose becomes questions again.
func TestLLMProseBudgetUnknown(t *testing.T) {
	model := llmtest.New(t)
	model.Respond(func(r llmtest.Request) string {
		if strings.Contains(r.Text(), "Krebs") {
			return `{"questions": [{"prompt": "Where does the Krebs cycle run?", "answers": ["the matrix"], "explanation": "In the matrix."}]}`
		}
		return `{"questions": [{"prompt": "What do mitochondria make?", "answers": ["ATP"], "explanation": "They make ATP."}]}`
	})
	srv, rs := startLLMRedis(t, model)
	_, tok := srv.signUp(t, "ada", "password-ada")
	topic := srv.createTopic(t, tok, "Cells", "")
	path := "/v1/topics/" + topic.ID + "/questions/generate"
	bank := func() int {
		var list struct{ Questions []questionOut }
		srv.do(apiCall{method: "GET", path: "/v1/topics/" + topic.ID + "/questions", token: tok}).want(t, 200, &list)
		return len(list.Questions)
	}
	fallbacks := func() float64 {
		return promSum(srv.scrape(t), "recall_llm_fallbacks_total", map[string]string{"op": "generate", "reason": "budget_unknown"})
	}
	srv.do(apiCall{method: "POST", path: path, token: tok, body: map[string]any{"prose": "Mitochondria make ATP."}}).want(t, 201, nil)
	if n := bank(); n != 1 {
		t.Fatalf("with Redis up the bank has %d questions, want 1", n)
	}

	rs.Kill(t)
	rtWaitFor(t, "/readyz to say degraded", func() bool { return rtReadyz(t, srv) == "degraded" })
	calls, before := len(model.Requests()), fallbacks()
	for _, body := range []map[string]any{
		{"prose": "The Krebs cycle runs in the mitochondrial matrix."},
		{"prose": "The Krebs cycle runs in the mitochondrial matrix.", "dry_run": true},
	} {
		ej := srv.do(apiCall{method: "POST", path: path, token: tok, body: body, unavailable: true}).wantError(t, 503, "unavailable")
		if !strings.Contains(ej.Message, "token budget cannot be checked") || !strings.Contains(ej.Message, "Nothing was added") {
			t.Errorf("%v with Redis down: message %q does not say why", body, ej.Message)
		}
	}
	if n := len(model.Requests()); n != calls {
		t.Errorf("%d calls reached the model while its budget could not be checked", n-calls)
	}
	if got := fallbacks() - before; got != 2 {
		t.Errorf("recall_llm_fallbacks_total{op=generate,reason=budget_unknown} rose by %v, want 2", got)
	}
	if n := bank(); n != 1 {
		t.Errorf("with Redis down the bank has %d questions, want 1", n)
	}

	rs.Start(t)
	rtWaitFor(t, "/readyz to say ok", func() bool { return rtReadyz(t, srv) == "ok" })
	if n := bank(); n != 1 {
		t.Errorf("after the outage the bank has %d questions, want 1", n)
	}
	rtWaitFor(t, "prose to become questions again", func() bool {
		return srv.do(apiCall{method: "POST", path: path, token: tok, body: map[string]any{"prose": "The Krebs cycle runs in the mitochondrial matrix."},
			unavailable: true}).status == 201
	})
	if n := bank(); n != 2 {
		t.Errorf("after the outage generate made the bank %d questions, want 2", n)
	}
}
