package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"

	"github.com/recallhq/recall/ratelimit"
)

// Usage is the tokens one call used, as the endpoint reported them.
type Usage struct {
	PromptTokens, CompletionTokens int64
}

// Total returns the prompt and completion tokens together.
func (u Usage) Total() int64 { return u.PromptTokens + u.CompletionTokens }

// Client calls the endpoint. It is safe for concurrent use.
type Client struct {
	chat chatAPI
	cfg  Config
}

// chatAPI is the part of the openai client that Client calls. Client holds
// it as this interface rather than as openai.Client: that type's services
// have generic methods (pages, streams), which every package importing llm
// would otherwise compile again, by the thousand, whenever it is rebuilt.
type chatAPI interface {
	New(ctx context.Context, body openai.ChatCompletionNewParams, opts ...option.RequestOption) (*openai.ChatCompletion, error)
	NewStreaming(ctx context.Context, body openai.ChatCompletionNewParams, opts ...option.RequestOption) *ssestream.Stream[openai.ChatCompletionChunk]
}

// New validates cfg (filling its defaults) and returns a Client. It makes no
// call: an endpoint that is down shows in the calls' errors.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	opts := []option.RequestOption{
		option.WithBaseURL(cfg.BaseURL),
		option.WithAPIKey(cfg.Key),
		// A retry would double the wait and the cost; the rules answer
		// at once instead.
		option.WithMaxRetries(0),
	}
	api := openai.NewClient(opts...)
	return &Client{chat: &api.Chat.Completions, cfg: cfg}, nil
}

// Model returns the configured model.
func (c *Client) Model() string { return c.cfg.Model }

// BaseURL returns the configured endpoint.
func (c *Client) BaseURL() string { return c.cfg.BaseURL }

// MaxTokens returns the token budget of one reply.
func (c *Client) MaxTokens() int64 { return c.cfg.MaxTokens }

// Timeout returns the bound of one call.
func (c *Client) Timeout() time.Duration { return c.cfg.Timeout }

// call is one chat completion as the methods make it.
type call struct {
	op        string
	principal string
	messages  []openai.ChatCompletionMessageParamUnion
	maxTokens int64
	format    *openai.ChatCompletionNewParamsResponseFormatUnion
	onChunk   func(string) error // non-nil: streamed
}

// result is what a call produced.
type result struct {
	text      string
	usage     Usage
	truncated bool // the token budget ended the reply
}

// messageBytes is an upper bound of the tokens of a call's prompt: its bytes
// (a byte-level tokenizer never makes more tokens than bytes) and a few
// tokens of framing per message.
func messageBytes(texts ...string) int64 {
	n := int64(3)
	for _, t := range texts {
		n += int64(len(t)) + 8
	}
	return n
}

// do runs one call: the budget reserved, the request bounded in time, the
// reply checked, the budget settled, everything counted.
func (c *Client) do(ctx context.Context, k call, promptBound int64) (result, error) {
	var res *ratelimit.Reservation
	if c.cfg.Budget != nil {
		var err error
		var retry time.Duration
		res, retry, err = c.cfg.Budget.Reserve(ctx, k.principal, ratelimit.PolicyLLM, promptBound+k.maxTokens)
		switch {
		case errors.Is(err, ratelimit.ErrOverBudget):
			e := c.fail(k.op, ReasonOverBudget, err)
			e.RetryAfter = retry
			return result{}, e
		case err != nil:
			return result{}, c.fail(k.op, ReasonBudgetUnknown, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	if m := c.cfg.Metrics; m != nil {
		m.LLMCalls.WithLabelValues(k.op).Inc()
	}
	params := openai.ChatCompletionNewParams{
		Model:               c.cfg.Model,
		Messages:            k.messages,
		MaxCompletionTokens: openai.Int(k.maxTokens),
	}
	if k.format != nil {
		params.ResponseFormat = *k.format
	}
	var r result
	var reason Reason
	var err error
	if k.onChunk != nil {
		params.StreamOptions.IncludeUsage = openai.Bool(true)
		r, reason, err = c.stream(ctx, params, k.onChunk)
	} else {
		r, reason, err = c.complete(ctx, params)
	}
	if res != nil {
		// Settle even when the caller has gone: the budget is shared.
		sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		switch {
		case r.usage.Total() > 0:
			_ = res.Settle(sctx, r.usage.Total())
		case reason == ReasonRefused || reason == ReasonRateLimited || reason == ReasonServer:
			_ = res.Settle(sctx, 0) // the model never ran
		}
		scancel()
	}
	if m := c.cfg.Metrics; m != nil {
		m.LLMTokens.WithLabelValues(k.op, "prompt").Add(float64(r.usage.PromptTokens))
		m.LLMTokens.WithLabelValues(k.op, "completion").Add(float64(r.usage.CompletionTokens))
	}
	if err != nil {
		return r, c.fail(k.op, reason, err)
	}
	return r, nil
}

// fail counts a call that gives the rules the answer and returns its error.
func (c *Client) fail(op string, reason Reason, err error) *Error {
	if m := c.cfg.Metrics; m != nil {
		if reason.failure() {
			m.LLMFailures.WithLabelValues(op, string(reason)).Inc()
		}
		m.LLMFallbacks.WithLabelValues(op, string(reason)).Inc()
	}
	return &Error{Op: op, Reason: reason, Err: err}
}

// classify maps a transport or protocol error to its Reason.
func classify(ctx context.Context, err error) Reason {
	var apiErr *openai.Error
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return ReasonTimeout
	case errors.As(err, &apiErr):
		switch {
		case apiErr.StatusCode == 429:
			return ReasonRateLimited
		case apiErr.StatusCode >= 500:
			return ReasonServer
		case apiErr.StatusCode >= 400:
			return ReasonRefused
		}
		return ReasonMalformed
	case errors.As(err, &syntax), errors.As(err, &typ):
		return ReasonMalformed
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return ReasonCut
	}
	return ReasonServer
}

func (c *Client) complete(ctx context.Context, params openai.ChatCompletionNewParams) (result, Reason, error) {
	cc, err := c.chat.New(ctx, params)
	if err != nil {
		return result{}, classify(ctx, err), err
	}
	r := result{usage: Usage{PromptTokens: cc.Usage.PromptTokens, CompletionTokens: cc.Usage.CompletionTokens}}
	if len(cc.Choices) == 0 {
		return r, ReasonMalformed, errors.New("no choice in the reply")
	}
	ch := cc.Choices[0]
	switch {
	case ch.Message.Refusal != "" || ch.FinishReason == "content_filter":
		return r, ReasonRefused, fmt.Errorf("the model refused (finish reason %q)", ch.FinishReason)
	case ch.FinishReason == "":
		return r, ReasonCut, errors.New("the reply has no finish reason")
	case strings.TrimSpace(ch.Message.Content) == "":
		return r, ReasonMalformed, errors.New("the reply is empty")
	}
	if at, found := findFraming(ch.Message.Content, true); found {
		return r, ReasonFraming, fmt.Errorf("the reply frames Server-Sent Events at byte %d", at)
	}
	r.text, r.truncated = ch.Message.Content, ch.FinishReason == "length"
	return r, "", nil
}

func (c *Client) stream(ctx context.Context, params openai.ChatCompletionNewParams, onChunk func(string) error) (result, Reason, error) {
	s := c.chat.NewStreaming(ctx, params)
	defer s.Close()
	var r result
	var text strings.Builder
	var g framingGuard
	finish := ""
	emit := func(out string) error {
		if out == "" {
			return nil
		}
		text.WriteString(out)
		return onChunk(out)
	}
	for s.Next() {
		chunk := s.Current()
		if chunk.JSON.Usage.Valid() {
			r.usage = Usage{PromptTokens: chunk.Usage.PromptTokens, CompletionTokens: chunk.Usage.CompletionTokens}
		}
		for _, ch := range chunk.Choices {
			if ch.Index != 0 {
				continue
			}
			if ch.Delta.Refusal != "" {
				return r, ReasonRefused, errors.New("the model refused")
			}
			if finish != "" && ch.Delta.Content != "" {
				return r, ReasonMalformed, errors.New("text after the finish reason")
			}
			out, err := g.feed(ch.Delta.Content)
			if err != nil {
				return r, ReasonFraming, err
			}
			if err := emit(out); err != nil {
				return r, ReasonTimeout, fmt.Errorf("passing a chunk on: %w", err)
			}
			if ch.FinishReason != "" {
				finish = ch.FinishReason
			}
		}
	}
	if err := s.Err(); err != nil {
		return r, classify(ctx, err), err
	}
	if ctx.Err() != nil {
		return r, ReasonTimeout, ctx.Err()
	}
	switch finish {
	case "":
		return r, ReasonCut, errors.New("the stream ended without a finish reason")
	case "content_filter":
		return r, ReasonRefused, errors.New("the model refused (content filter)")
	}
	out, err := g.flush()
	if err != nil {
		return r, ReasonFraming, err
	}
	if err := emit(out); err != nil {
		return r, ReasonTimeout, fmt.Errorf("passing a chunk on: %w", err)
	}
	if strings.TrimSpace(text.String()) == "" {
		return r, ReasonMalformed, errors.New("the reply is empty")
	}
	r.text, r.truncated = text.String(), finish == "length"
	return r, "", nil
}
