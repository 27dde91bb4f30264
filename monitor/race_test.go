//go:build race

package monitor

// raceEnabled is set under the race detector, which makes the chain
// simulations of the crash test about thirty times slower.
const raceEnabled = true
