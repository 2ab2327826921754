package srs_test

import (
	"testing"
	"time"

	"github.com/recallhq/recall/srs"
)

func TestStreak(t *testing.T) {
	const today srs.Day = 20000
	for _, tc := range []struct {
		name             string
		days             []srs.Day
		current, longest int
	}{
		{"Never", nil, 0, 0},
		{"TodayOnly", []srs.Day{today}, 1, 1},
		{"YesterdayKeepsTheStreak", []srs.Day{today - 2, today - 1}, 2, 2},
		{"TwoDaysAgoBreaksIt", []srs.Day{today - 3, today - 2}, 0, 2},
		{"RepeatsAndDisorder", []srs.Day{today, today - 1, today, today - 2, today - 1}, 3, 3},
		{"LongestInThePast", []srs.Day{today - 10, today - 9, today - 8, today - 7, today - 1, today}, 2, 4},
		{"FutureIgnored", []srs.Day{today + 1, today}, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, l := srs.Streak(tc.days, today)
			if c != tc.current || l != tc.longest {
				t.Fatalf("Streak = %d, %d; want %d, %d", c, l, tc.current, tc.longest)
			}
		})
	}
}

func TestDayInTimeZone(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	// 23:30 UTC on 1 March is 08:30 on 2 March in Tokyo.
	at := time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC)
	if got := srs.DayOf(at, tokyo).String(); got != "2026-03-02" {
		t.Fatalf("DayOf in Tokyo = %s", got)
	}
	if got := srs.DayOf(at, time.UTC).String(); got != "2026-03-01" {
		t.Fatalf("DayOf in UTC = %s", got)
	}
	// New York springs forward on 8 March 2026: that day has 23 hours.
	start, end := srs.DayBounds(time.Date(2026, 3, 8, 15, 0, 0, 0, time.UTC), ny)
	if got := end.Sub(start); got != 23*time.Hour {
		t.Fatalf("8 March 2026 in New York lasts %v", got)
	}
	if start.In(ny).Hour() != 0 || srs.DayOf(start, ny).String() != "2026-03-08" {
		t.Fatalf("day start %v", start.In(ny))
	}
}
