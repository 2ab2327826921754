package llm

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/recallhq/recall/metrics"
	"github.com/recallhq/recall/ratelimit"
)

// Defaults and bounds of Config.
const (
	DefaultMaxTokens = 512
	MinMaxTokens     = 16
	MaxMaxTokens     = 32768
	DefaultTimeout   = 20 * time.Second
	MinTimeout       = 100 * time.Millisecond
	MaxTimeout       = 10 * time.Minute
	// KeyEnv is the environment variable the API key is read from when no
	// key file is given.
	KeyEnv = "RECALL_LLM_KEY"
)

// Config configures a Client.
type Config struct {
	// BaseURL is the endpoint's API root, e.g. https://api.openai.com/v1
	// (chat completions are POSTed to BaseURL + "/chat/completions").
	BaseURL string
	// Model names the model, e.g. "gpt-4o-mini".
	Model string
	// Key is the API key sent as a bearer token; empty sends none (a local
	// endpoint that needs none).
	Key string
	// MaxTokens is the token budget of one reply (default 512).
	MaxTokens int64
	// Timeout bounds one call, streaming included (default 20s).
	Timeout time.Duration
	// Budget, when set, holds the per-principal token budget (the policy
	// ratelimit.PolicyLLM): every call reserves its most and settles.
	Budget *ratelimit.Limiter
	// Metrics receives the recall_llm_* series; nil counts nothing.
	Metrics *metrics.Metrics
}

// Validate fills the defaults and reports what is wrong, naming the flag a
// user would set.
func (c *Config) Validate() error {
	u, err := url.Parse(c.BaseURL)
	switch {
	case c.BaseURL == "":
		return errors.New("llm url is empty: want the endpoint's API root, e.g. https://api.openai.com/v1")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("llm url %q: want http(s)://host[:port]/path, without credentials, query or fragment", c.BaseURL)
	}
	if c.Model == "" {
		return errors.New("llm model is empty: name the model, e.g. gpt-4o-mini")
	}
	if len(c.Model) > 200 || strings.IndexFunc(c.Model, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		return fmt.Errorf("llm model %.40q: want a name of at most 200 printable characters without spaces", c.Model)
	}
	if strings.IndexFunc(c.Key, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
		return errors.New("llm key: it holds spaces, line breaks or non-ASCII characters (a key file should hold the key alone)")
	}
	if c.MaxTokens == 0 {
		c.MaxTokens = DefaultMaxTokens
	}
	if c.MaxTokens < MinMaxTokens || c.MaxTokens > MaxMaxTokens {
		return fmt.Errorf("llm max tokens %d: want %d to %d", c.MaxTokens, MinMaxTokens, MaxMaxTokens)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Timeout < MinTimeout || c.Timeout > MaxTimeout {
		return fmt.Errorf("llm timeout %s: want %s to %s", c.Timeout, MinTimeout, MaxTimeout)
	}
	return nil
}

// ReadKey returns the API key: the contents of file (surrounding white
// space trimmed) when file is set, else the variable RECALL_LLM_KEY. Both
// set is an error (which one was meant?), so is an empty or unreadable file.
func ReadKey(getenv func(string) string, file string) (string, error) {
	env := getenv(KeyEnv)
	if file == "" {
		return strings.TrimSpace(env), nil
	}
	if env != "" {
		return "", fmt.Errorf("llm key: both %s and a key file are set; keep one", KeyEnv)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("llm key file: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if key == "" {
		return "", fmt.Errorf("llm key file %s is empty", file)
	}
	return key, nil
}
