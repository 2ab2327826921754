package cache

import "github.com/recallhq/recall"

// DecodeTopics decodes a topic list as the backend holds it (tests).
func DecodeTopics(val []byte) ([]*recall.Topic, error) { return decodeTopics(entry{val: val}) }
