package recall_test

import (
	"maps"
	"testing"

	"github.com/recallhq/recall"
)

func TestInvalidFields(t *testing.T) {
	if err := recall.InvalidFields(nil); err != nil {
		t.Errorf("InvalidFields(nil) = %v, want nil", err)
	}
	if err := recall.InvalidFields(map[string]string{}); err != nil {
		t.Errorf("InvalidFields(none) = %v, want nil", err)
	}
	for _, c := range []struct {
		fields map[string]string
		msg    string
	}{
		{map[string]string{"topic_id": "is required"}, "topic_id is required."},
		{map[string]string{"topic_id": "is required", "title": "is too long"}, "The request is invalid."},
	} {
		err := recall.InvalidFields(c.fields)
		if code := recall.ErrorCode(err); code != recall.EINVALID {
			t.Errorf("%v: code %q, want %q", c.fields, code, recall.EINVALID)
		}
		if msg := recall.ErrorMessage(err); msg != c.msg {
			t.Errorf("%v: message %q, want %q", c.fields, msg, c.msg)
		}
		if got := recall.ErrorFields(err); !maps.Equal(got, c.fields) {
			t.Errorf("%v: fields %v", c.fields, got)
		}
	}
}
