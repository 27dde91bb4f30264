//go:build !race

package monitor

// raceEnabled is set under the race detector.
const raceEnabled = false
