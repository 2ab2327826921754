package cache

import "github.com/recallhq/recall"

// DecodeTopics decodes a topic list as the backend holds it (tests).
func DecodeTopics(val []byte) ([]*recall.Topic, error) { return decodeTopics(entry{val: val}) }

// Wait returns once no refill is queued or running.
func (r *Refiller) Wait() { r.wait() }

// Closed reports whether Close has begun.
func (r *Refiller) Closed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}
