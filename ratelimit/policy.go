package ratelimit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Bounds of a policy. They keep every GCRA quantity exact in the integer
// microseconds that the Redis script computes with (Lua numbers are doubles,
// exact up to 2^53 µs, which is about 285 years past the epoch).
const (
	// MinWindow is the shortest window a policy may have.
	MinWindow = time.Millisecond
	// MaxWindow is the longest window a policy may have.
	MaxWindow = 366 * 24 * time.Hour
	// MinQuota is the smallest quota a policy may have.
	MinQuota = 0.001
	// MaxQuota is the largest quota a policy may have.
	MaxQuota = 1e9
	// MaxInterval is the longest emission interval (window/quota) allowed:
	// a policy must allow at least one request per MaxInterval.
	MaxInterval = 366 * 24 * time.Hour
	// MinInterval is the shortest emission interval allowed: a policy may
	// allow at most one request per microsecond.
	MinInterval = time.Microsecond
	// maxNameLen bounds a policy name.
	maxNameLen = 64
)

// Policy is a named rate limit: Quota requests per Window, as a bucket that
// holds Quota requests and refills at Quota/Window. A rested principal may
// send floor(Quota) requests at once (at least one). Fractional quotas are
// allowed: 1.5/1s admits one request at once, the next a third of a second
// later, then one every two thirds of a second.
type Policy struct {
	// Name identifies the policy in headers, metrics and Redis keys:
	// 1 to 64 characters of a-z, 0-9, '_', '-', starting with a letter.
	Name string
	// Quota is the number of requests allowed per Window (> 0, may be fractional).
	Quota float64
	// Window is the period the quota is spread over.
	Window time.Duration
}

// Built-in policy names.
const (
	// PolicyDefault applies to every authenticated request, per user.
	PolicyDefault = "default"
	// PolicyAuth applies to account creation and sign-in, per client address.
	PolicyAuth = "auth"
	// PolicyTurns applies to session turns, per user.
	PolicyTurns = "turns"
	// PolicyWrites applies to topic and question writes, per user.
	PolicyWrites = "writes"
	// PolicyLLM is the budget of LLM tokens, per user: a call reserves its
	// maximum with Reserve and settles to what it used.
	PolicyLLM = "llm"
)

// String formats p the way ParsePolicy reads it, e.g. "turns=60/1m".
func (p Policy) String() string {
	return p.Name + "=" + strconv.FormatFloat(p.Quota, 'f', -1, 64) + "/" + formatWindow(p.Window)
}

// Validate reports what is wrong with p, or nil.
func (p Policy) Validate() error {
	if err := validateName(p.Name); err != nil {
		return err
	}
	if math.IsNaN(p.Quota) || p.Quota < MinQuota || p.Quota > MaxQuota {
		return fmt.Errorf("quota %s is out of range: it must be between %g and %g",
			strconv.FormatFloat(p.Quota, 'g', -1, 64), MinQuota, float64(MaxQuota))
	}
	if p.Window < MinWindow || p.Window > MaxWindow {
		return fmt.Errorf("window %s is out of range: it must be between %s and %s",
			p.Window, MinWindow, formatWindow(MaxWindow))
	}
	interval := float64(p.Window) / p.Quota
	if interval < float64(MinInterval) {
		return fmt.Errorf("rate %s is too high: at most one request per %s", p.rate(), MinInterval)
	}
	if interval > float64(MaxInterval) {
		return fmt.Errorf("rate %s is too low: at least one request per %s", p.rate(), formatWindow(MaxInterval))
	}
	return nil
}

func (p Policy) rate() string {
	return strconv.FormatFloat(p.Quota, 'f', -1, 64) + "/" + formatWindow(p.Window)
}

// Burst is the number of requests the policy admits at once from a rested
// state: floor(Quota), and at least one.
func (p Policy) Burst() int64 {
	b := int64(math.Floor(p.Quota))
	if b < 1 {
		b = 1
	}
	return b
}

func validateName(name string) error {
	if name == "" {
		return errors.New("policy name is empty")
	}
	if len(name) > maxNameLen {
		return fmt.Errorf("policy name %.20q... is longer than %d characters", name, maxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_' || c == '-'):
		default:
			return fmt.Errorf("policy name %q is invalid: use a-z, 0-9, '_' and '-', starting with a letter", name)
		}
	}
	return nil
}

// ParsePolicy reads "NAME=QUOTA/WINDOW", e.g. "turns=30/1m", "turns=30/60s",
// "api=1.5/1s", "export=100/1h" or "daily=1000/1d". QUOTA is a plain decimal
// number (no sign, exponent or underscores). WINDOW is a Go duration
// ("90s", "1m30s", "500ms"), a number of days ("1d"), or a bare unit meaning
// one of it ("s", "m", "h", "d"). The error says what is wrong and how the
// input should look.
func ParsePolicy(s string) (Policy, error) {
	p, err := parsePolicy(s)
	if err != nil {
		return Policy{}, fmt.Errorf("rate limit %q: %w", s, err)
	}
	return p, nil
}

func parsePolicy(s string) (Policy, error) {
	name, rest, ok := strings.Cut(s, "=")
	if !ok {
		return Policy{}, errors.New("missing '=': want NAME=QUOTA/WINDOW, e.g. turns=30/1m")
	}
	quota, window, ok := strings.Cut(rest, "/")
	if !ok {
		return Policy{}, errors.New("missing '/': want NAME=QUOTA/WINDOW, e.g. turns=30/1m")
	}
	name, quota, window = strings.TrimSpace(name), strings.TrimSpace(quota), strings.TrimSpace(window)
	if err := validateName(name); err != nil {
		return Policy{}, err
	}
	q, err := parseQuota(quota)
	if err != nil {
		return Policy{}, err
	}
	w, err := parseWindow(window)
	if err != nil {
		return Policy{}, err
	}
	p := Policy{Name: name, Quota: q, Window: w}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

func parseQuota(s string) (float64, error) {
	if s == "" {
		return 0, errors.New("quota is empty: want a number of requests such as 30 or 1.5")
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return 0, fmt.Errorf("quota %q is not a plain decimal number such as 30 or 1.5", s)
		}
	}
	if digits == 0 || len(s) > 32 {
		return 0, fmt.Errorf("quota %q is not a plain decimal number such as 30 or 1.5", s)
	}
	q, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("quota %q is not a plain decimal number such as 30 or 1.5", s)
	}
	if q <= 0 {
		return 0, fmt.Errorf("quota %q must be greater than zero", s)
	}
	return q, nil
}

func parseWindow(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("window is empty: want a duration such as 1m, 60s, 1h or 1d")
	}
	switch s {
	case "ms":
		return time.Millisecond, nil
	case "s":
		return time.Second, nil
	case "m":
		return time.Minute, nil
	case "h":
		return time.Hour, nil
	case "d":
		return 24 * time.Hour, nil
	}
	if s[0] < '0' || s[0] > '9' {
		return 0, fmt.Errorf("window %q must start with a number, e.g. 1m, 60s, 1h or 1d", s)
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 16)
		if err != nil {
			return 0, fmt.Errorf("window %q: days must be a whole number such as 1d or 7d", s)
		}
		if n > uint64(MaxWindow/(24*time.Hour)) {
			return 0, fmt.Errorf("window %q is out of range: it must be between %s and %s", s, MinWindow, formatWindow(MaxWindow))
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("window %q is not a duration such as 1m, 60s, 1h30m or 1d", s)
	}
	return d, nil
}

// formatWindow writes w in the largest whole unit that ParsePolicy reads.
func formatWindow(w time.Duration) string {
	switch {
	case w <= 0:
		return w.String()
	case w%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(w/(24*time.Hour)), 10) + "d"
	case w%time.Hour == 0:
		return strconv.FormatInt(int64(w/time.Hour), 10) + "h"
	case w%time.Minute == 0:
		return strconv.FormatInt(int64(w/time.Minute), 10) + "m"
	case w%time.Second == 0:
		return strconv.FormatInt(int64(w/time.Second), 10) + "s"
	case w%time.Millisecond == 0:
		return strconv.FormatInt(int64(w/time.Millisecond), 10) + "ms"
	}
	return w.String()
}

// ReadPolicies reads a policy file: one NAME=QUOTA/WINDOW per line, blank
// lines ignored, '#' starting a comment (whole line or trailing). name is
// used in error messages ("policies.conf:3: ..."). A name defined twice in
// one file is an error.
func ReadPolicies(r io.Reader, name string) ([]Policy, error) {
	var out []Policy
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	line := 0
	for sc.Scan() {
		line++
		text, _, _ := strings.Cut(sc.Text(), "#")
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		p, err := parsePolicy(text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %q: %w", name, line, text, err)
		}
		if first, dup := seen[p.Name]; dup {
			return nil, fmt.Errorf("%s:%d: policy %q is already defined on line %d", name, line, p.Name, first)
		}
		seen[p.Name] = line
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	return out, nil
}

// ParsePolicyFile reads the policy file at path (see ReadPolicies).
func ParsePolicyFile(path string) ([]Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("rate-limit policy file: %w", err)
	}
	defer f.Close()
	return ReadPolicies(f, path)
}

// Policies is a set of policies by name. Build one with DefaultPolicies and
// Override; New copies it, so changing it later does not affect a Limiter.
type Policies map[string]Policy

// DefaultPolicies returns the built-in policies: default 600/1m, auth 10/1m,
// turns 60/1m, writes 120/1m and llm 50000/1d (tokens, not requests).
func DefaultPolicies() Policies {
	return Policies{
		PolicyDefault: {Name: PolicyDefault, Quota: 600, Window: time.Minute},
		PolicyAuth:    {Name: PolicyAuth, Quota: 10, Window: time.Minute},
		PolicyTurns:   {Name: PolicyTurns, Quota: 60, Window: time.Minute},
		PolicyWrites:  {Name: PolicyWrites, Quota: 120, Window: time.Minute},
		PolicyLLM:     {Name: PolicyLLM, Quota: 50000, Window: 24 * time.Hour},
	}
}

// Override adds each policy to ps, replacing any policy of the same name.
// It returns an error, and changes nothing, if one of them is invalid.
func (ps Policies) Override(p ...Policy) error {
	for _, x := range p {
		if err := x.Validate(); err != nil {
			return fmt.Errorf("rate limit %q: %w", x.String(), err)
		}
	}
	for _, x := range p {
		ps[x.Name] = x
	}
	return nil
}

// Names returns the policy names, sorted.
func (ps Policies) Names() []string {
	names := make([]string, 0, len(ps))
	for n := range ps {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LoadPolicies builds the policy set of a server: the built-ins, then the
// policies of file (if not empty), then each --rate-limit flag value in
// order, each replacing a policy of the same name. The error says which
// input is wrong and how.
func LoadPolicies(file string, flags []string) (Policies, error) {
	ps := DefaultPolicies()
	if file != "" {
		fromFile, err := ParsePolicyFile(file)
		if err != nil {
			return nil, err
		}
		if err := ps.Override(fromFile...); err != nil {
			return nil, err
		}
	}
	for _, f := range flags {
		p, err := ParsePolicy(f)
		if err != nil {
			return nil, err
		}
		if err := ps.Override(p); err != nil {
			return nil, err
		}
	}
	return ps, nil
}
