package sqlite

import (
	"strings"
	"testing"
)

// TestTopicReadsUseCoveringIndex: the topic reads aggregate each topic's
// question IDs from the index (topic_id, position, id) alone. Without it
// every question of every topic listed was a lookup in the questions table
// (SEARCH q USING INDEX, then the row), which made the topic list the
// costliest read of a dashboard miss.
func TestTopicReadsUseCoveringIndex(t *testing.T) {
	f := newGroupFixture(t)
	for name, q := range map[string]string{"topicsQuery": topicsQuery, "topicQuery": topicQuery} {
		rows, err := f.s.r.QueryContext(f.ctx, "EXPLAIN QUERY PLAN "+q, "u", "t")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		_ = rows.Close()
		all := strings.Join(plan, "\n")
		if !strings.Contains(all, "SEARCH q USING COVERING INDEX questions_topic_id_position_id") {
			t.Errorf("%s: the question IDs do not come from the covering index; plan:\n%s", name, all)
		}
	}
}
