package srs

import (
	"slices"
	"time"
)

// Day is a calendar date in a user's time zone, counted in days since
// 1970-01-01.
type Day int

// DayOf returns the date of t in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	y, m, d := t.In(loc).Date()
	return Day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Time returns the start of d in loc.
func (d Day) Time(loc *time.Location) time.Time {
	y, m, dd := time.Unix(int64(d)*86400, 0).UTC().Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, loc)
}

// String returns d as YYYY-MM-DD.
func (d Day) String() string { return time.Unix(int64(d)*86400, 0).UTC().Format(time.DateOnly) }

// DayBounds returns the start of the day that holds now in loc, and the
// start of the next one (23 or 25 hours later across a change of clocks).
func DayBounds(now time.Time, loc *time.Location) (start, end time.Time) {
	d := DayOf(now, loc)
	return d.Time(loc), (d + 1).Time(loc)
}

// Streak returns the user's current and longest runs of consecutive days of
// study, from the days they studied (any order, repeats allowed). The
// current run is the one that ends today, or yesterday while today has no
// study yet; it is 0 otherwise.
func Streak(days []Day, today Day) (current, longest int) {
	ds := slices.Clone(days)
	slices.Sort(ds)
	ds = slices.Compact(ds)
	run := 0
	for i, d := range ds {
		if d > today {
			break
		}
		if i > 0 && ds[i-1] == d-1 {
			run++
		} else {
			run = 1
		}
		longest = max(longest, run)
		if d == today || d == today-1 {
			current = run
		}
	}
	return current, longest
}
