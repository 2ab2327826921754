//go:build !race

package faults

// raceEnabled is true when the tests run with -race: the recall binary is
// then built with it too.
const raceEnabled = false
