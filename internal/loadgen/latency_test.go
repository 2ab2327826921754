package loadgen

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/recallhq/recall"
)

// TestWithLatencyWaitsBeforeEveryCall calls every method of recall.Store but
// Close on a wrapped store whose caller has given up: each must return the
// context's error without reaching the store below (which here has no
// methods at all, so reaching it panics). A method added to recall.Store
// and not to the decorator reaches it, and fails here.
func TestWithLatencyWaitsBeforeEveryCall(t *testing.T) {
	s := WithLatency(struct{ recall.Store }{}, time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	v := reflect.ValueOf(s)
	it := reflect.TypeFor[recall.Store]()
	for i := range it.NumMethod() {
		m := it.Method(i)
		if m.Name == "Close" {
			continue
		}
		t.Run(m.Name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s reached the store below without waiting: %v", m.Name, r)
				}
			}()
			fn := v.MethodByName(m.Name)
			args := make([]reflect.Value, fn.Type().NumIn())
			args[0] = reflect.ValueOf(ctx)
			for j := 1; j < len(args); j++ {
				args[j] = reflect.Zero(fn.Type().In(j))
			}
			out := fn.Call(args)
			err, _ := out[len(out)-1].Interface().(error)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s(cancelled) = %v, want context.Canceled", m.Name, err)
			}
		})
	}
}

// countingStore counts the calls that reach it.
type countingStore struct {
	recall.Store
	topics int
}

func (c *countingStore) Topics(context.Context, string) ([]*recall.Topic, error) {
	c.topics++
	return nil, nil
}

func TestWithLatencyDelaysThenCalls(t *testing.T) {
	below := &countingStore{}
	s := WithLatency(below, 20*time.Millisecond)
	start := time.Now()
	if _, err := s.Topics(t.Context(), "u"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("Topics returned after %v, want ≥ 20ms", d)
	}
	if below.topics != 1 {
		t.Errorf("the store below got %d calls, want 1", below.topics)
	}
	if got := WithLatency(below, 0); got != recall.Store(below) {
		t.Errorf("WithLatency(s, 0) = %T, want s itself", got)
	}
}
