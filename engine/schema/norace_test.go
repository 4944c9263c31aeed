//go:build !race

package schema_test

// raceEnabled relaxes timing checks under the race detector.
const raceEnabled = false
